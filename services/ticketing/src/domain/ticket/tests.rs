//! The aggregate's commands on plain values: no server, no database.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use canopy_api::tenants::TenantConfig;
use canopy_kernel::ApiError;
use canopy_sla::{Metric, Priority};

use super::*;
use crate::domain::itil::{ChangeType, Decision, NewChange, Risk};

const WARN: [u32; 2] = [7500, 9000];

fn t0() -> DateTime<Utc> {
    "2026-03-02T08:00:00Z".parse().unwrap()
}

fn at(mins: i64) -> Moment<'static> {
    Moment { at: t0() + TimeDelta::minutes(mins), warning_bp: &WARN }
}

fn settings() -> TenantConfig {
    serde_json::from_value(json!({
        "timezone": "UTC", "locale": "en", "business_calendar": {"weekly": {"mon": [["09:00", "17:00"]]}},
        "ticket_categories": [{"key": "network", "name": "Network"}, {"key": "hardware", "name": "Hardware"}],
        "priority_matrix": {"impacts": ["high", "low"], "urgencies": ["high", "low"],
                            "matrix": {"high": {"high": "P1", "low": "P2"}, "low": {"high": "P3", "low": "P4"}}},
        "sites": []
    }))
    .unwrap()
}

/// Around the clock; P1: answer in 15 min, resolve in 4 h; P3: 60 min and 8 h.
fn policy() -> PolicySnapshot {
    serde_json::from_value(json!({
        "contract_id": Uuid::nil(), "tier_name": "Gold", "coverage": "24x7", "timezone": "UTC",
        "targets": {
            "P1": {"first_response_mins": 15, "resolution_mins": 240},
            "P2": {"first_response_mins": 30, "resolution_mins": 480},
            "P3": {"first_response_mins": 60, "resolution_mins": 480},
            "P4": {"first_response_mins": 120, "resolution_mins": 960}
        }
    }))
    .unwrap()
}

fn raise_as(kind: TicketKind, change: Option<NewChange>) -> Raise {
    Raise {
        tenant_id: Uuid::now_v7(),
        kind,
        title: "VPN down".into(),
        description: "  Nobody can connect  ".into(),
        category: "network".into(),
        impact: "low".into(),
        urgency: "high".into(),
        requester_id: None,
        site_id: None,
        channel: Channel::Portal,
        onsite_required: false,
        custom_fields: Default::default(),
        problem: None,
        change,
        created_by: Uuid::now_v7(),
    }
}

/// A P3 incident raised at `t0`.
fn incident() -> Ticket {
    Ticket::raise(raise_as(TicketKind::Incident, None), &settings(), Some(policy()), at(0)).unwrap().0
}

const AGENT: Editor = Editor { id: Uuid::from_u128(7), side: Side::Provider };
const DISPATCHER: Editor = Editor { id: Uuid::nil(), side: Side::Provider };
const REQUESTER: Editor = Editor { id: Uuid::from_u128(9), side: Side::TenantUser };

fn due(t: &Ticket, metric: Metric) -> Option<DateTime<Utc>> {
    t.clocks
        .iter()
        .find(|c| c.metric == metric)
        .and_then(|c| c.due_at)
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

fn kinds(out: &Outcome) -> Vec<&str> {
    out.log.iter().map(|e| e.kind).collect()
}

#[test]
fn raising_copies_the_policy_and_starts_the_clocks() {
    let (t, out) =
        Ticket::raise(raise_as(TicketKind::Incident, None), &settings(), Some(policy()), at(0)).unwrap();
    assert_eq!((t.priority, t.status, t.version), (Priority::P3, Status::New, 1));
    assert_eq!(t.description, "Nobody can connect");
    assert_eq!(due(&t, Metric::FirstResponse), Some(t0() + TimeDelta::minutes(60)));
    assert_eq!(due(&t, Metric::Resolution), Some(t0() + TimeDelta::hours(8)));
    // The watch looks again when 75 % of the first response target is used.
    assert_eq!(t.next_deadline, Some(t0() + TimeDelta::minutes(45)));
    assert_eq!(kinds(&out), ["created", "clock_started", "clock_started"]);
    assert_eq!(out.events, [TicketEvent::created()]);
}

#[test]
fn raising_reports_every_bad_field_at_once() {
    let mut new = raise_as(TicketKind::Change, None);
    new.title = " ".into();
    new.category = "plumbing".into();
    let Err(TicketError::Invalid(errors)) = Ticket::raise(new, &settings(), None, at(0)) else { panic!() };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "category", "change"]);
}

#[test]
fn the_state_machine_and_who_may_move_it() {
    let mut t = incident();
    let err =
        t.update(Edit { status: Some(Status::Closed), ..Edit::default() }, AGENT, None, at(5)).unwrap_err();
    assert_eq!(err, TicketError::Move { from: Status::New, to: Status::Closed });
    assert!(ApiError::from(err).detail().contains("resolved"));
    // A requester may cancel, not start work.
    let start = Edit { status: Some(Status::InProgress), ..Edit::default() };
    assert!(matches!(t.check_edit(&start, REQUESTER), Err(TicketError::StaffOnly(_))));
    let cancel = Edit { status: Some(Status::Cancelled), ..Edit::default() };
    assert!(t.check_edit(&cancel, REQUESTER).is_ok());
}

#[test]
fn a_refused_command_leaves_the_ticket_as_it_was() {
    let mut t = incident();
    let before = t.clone();
    // The title is taken, then the move is refused: nothing of it stays.
    let edit = Edit { title: Some("New title".into()), status: Some(Status::Closed), ..Edit::default() };
    assert!(t.update(edit, AGENT, None, at(5)).is_err());
    assert_eq!(t, before);
}

#[test]
fn waiting_on_the_customer_pauses_the_clocks_and_their_reply_resumes_them() {
    let mut t = incident();
    let wait = Edit { status: Some(Status::PendingCustomer), ..Edit::default() };
    let out = t.update(wait, AGENT, None, at(30)).unwrap();
    assert_eq!(kinds(&out), ["status_changed", "clock_paused", "first_response"]);
    assert_eq!(due(&t, Metric::Resolution), None, "paused");
    assert_eq!(t.next_deadline, None, "nothing runs");
    assert_eq!(t.first_response_at, Some(at(30).at), "the agent's move answered the customer");

    // Two hours later the customer replies: eight hours of resolution less the 30 minutes used.
    let out = t.comment(true, REQUESTER, at(150)).unwrap();
    assert_eq!(kinds(&out), ["commented", "status_changed", "clock_resumed"]);
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(due(&t, Metric::Resolution), Some(at(150 + 450).at));
    assert_eq!(
        serde_json::to_value(&out.events[0]).unwrap(),
        json!({"type": "ticket.updated", "changed": ["comments"], "public": true})
    );
}

#[test]
fn escalating_says_why_and_a_breach_escalates_on_its_own() {
    let mut t = incident();
    let up = Edit { support_level: Some(2), ..Edit::default() };
    let Err(TicketError::Invalid(errors)) = t.update(up.clone(), AGENT, None, at(1)) else { panic!() };
    assert_eq!(errors[0].field, "reason");
    let out = t.update(Edit { reason: Some("needs L2".into()), ..up }, AGENT, None, at(1)).unwrap();
    assert_eq!(out.log[0].data, json!({"from": 1, "to": 2, "reason": "needs L2"}));

    // Nobody answered within the hour: the watch records the breach once and escalates.
    let mut t = incident();
    let out = t.watch(at(61)).unwrap();
    assert_eq!(kinds(&out), ["sla_breached", "escalated"], "a late look skips the warnings");
    assert_eq!(out.breaches.len(), 1);
    assert_eq!(t.support_level, 2);
    assert!(t.watch(at(62)).unwrap().log.is_empty(), "found once");
}

#[test]
fn a_higher_priority_retargets_the_clocks_keeping_the_time_used() {
    let mut t = incident();
    let edit = Edit { impact: Some("high".into()), ..Edit::default() };
    let out = t.update(edit, DISPATCHER, Some(&settings()), at(10)).unwrap();
    assert_eq!(t.priority, Priority::P1);
    assert_eq!(kinds(&out), ["priority_changed", "clock_retargeted", "clock_retargeted"]);
    assert_eq!(due(&t, Metric::FirstResponse), Some(t0() + TimeDelta::minutes(15)));
    assert_eq!(due(&t, Metric::Resolution), Some(t0() + TimeDelta::hours(4)));
    assert_eq!(t.first_response_at, None, "a service acting alone does not answer the customer");
}

#[test]
fn resolving_needs_a_resolution_and_stops_the_clock() {
    let mut t = incident();
    let resolve = Edit { status: Some(Status::Resolved), ..Edit::default() };
    let Err(TicketError::Invalid(e)) = t.update(resolve.clone(), AGENT, None, at(20)) else { panic!() };
    assert_eq!(e[0].field, "resolution_code");
    let resolve = Edit { resolution_code: Some("fixed".into()), ..resolve };
    let out = t.update(resolve, AGENT, None, at(20)).unwrap();
    assert_eq!(t.resolved_at, Some(at(20).at));
    assert_eq!(t.next_deadline, None);
    assert_eq!(kinds(&out), ["status_changed", "clock_stopped", "first_response"]);
    assert_eq!(out.events, [TicketEvent::Resolved {}, TicketEvent::updated(&["status"])]);
    // Reopened three hours later: the time it stood resolved does not count.
    let reopen = Edit { status: Some(Status::InProgress), ..Edit::default() };
    t.update(reopen, REQUESTER, None, at(200)).unwrap();
    assert_eq!(due(&t, Metric::Resolution), Some(at(200 + 460).at));
}

#[test]
fn a_normal_change_waits_for_approval() {
    let plan = NewChange {
        change_type: ChangeType::Normal,
        risk: Risk::Medium,
        plan: "swap".into(),
        backout_plan: None,
        window: None,
    };
    let (mut t, _) =
        Ticket::raise(raise_as(TicketKind::Change, Some(plan)), &settings(), None, at(0)).unwrap();
    let start = Edit { status: Some(Status::InProgress), ..Edit::default() };
    assert!(matches!(t.update(start.clone(), AGENT, None, at(1)), Err(TicketError::NotNow(_))));
    let out = t.decide(Decision::Approved, " ok ").unwrap();
    assert_eq!(out.log[0].data, json!({"decision": "approved", "comment": "ok"}));
    assert_eq!(
        t.decide(Decision::Rejected, "no"),
        Err(TicketError::NotNow("This change was decided already"))
    );
    t.update(start, AGENT, None, at(2)).unwrap();
    assert_eq!(t.status, Status::InProgress);
}

#[test]
fn monitoring_resolves_and_reopens_only_what_is_still_its_to_move() {
    let mut t = incident();
    let out = t.recovered("back".into(), at(5)).unwrap().unwrap();
    assert_eq!((t.status, t.resolution_code.as_deref()), (Status::Resolved, Some("auto_recovered")));
    assert_eq!(out.events.last(), Some(&TicketEvent::updated(&["status"])));
    assert!(t.recovered("again".into(), at(6)).unwrap().is_none(), "not open any more");
    assert!(t.relapsed(at(7)).unwrap().is_some());
    assert_eq!(t.status, Status::InProgress);
}

#[test]
fn a_contract_change_applies_once_and_never_from_a_stale_announcement() {
    let mut t = incident();
    let mut stricter = policy();
    stricter.tier_name = "Platinum".into();
    stricter.targets.insert(
        Priority::P3,
        serde_json::from_value(json!({"first_response_mins": 30, "resolution_mins": 240})).unwrap(),
    );
    stricter.as_of = Some(t0() - TimeDelta::hours(1));
    assert_eq!(t.change_policy(&stricter, at(10)).unwrap(), None, "older than the ticket");
    stricter.as_of = Some(at(10).at);
    let out = t.change_policy(&stricter, at(10)).unwrap().unwrap();
    assert_eq!(out.log[0].kind, "sla_policy_changed");
    assert_eq!(due(&t, Metric::Resolution), Some(t0() + TimeDelta::hours(4)));
    assert_eq!(t.change_policy(&stricter, at(11)).unwrap(), None, "the same terms");
}

#[test]
fn an_imported_history_is_judged_by_the_policy_of_its_day() {
    let history: ImportedTicket = serde_json::from_value(json!({
        "external_id": " OLD-1 ", "type": "incident", "title": "Printer", "category": "hardware",
        "priority": "P3", "reported_at": t0(), "assignee_id": Uuid::from_u128(3),
        "timeline": [{"at": at(90).at, "event": "first_response"}, {"at": at(120).at, "event": "resolved"}]
    }))
    .unwrap();
    let p = policy();
    let mut r = replay(&history, Some(&p), &p.calendar()).unwrap();
    let breaches = judge(&mut r, at(600).at.timestamp());
    let (t, out) =
        Ticket::import(Uuid::now_v7(), &history, r, breaches, Some(p), Uuid::now_v7(), at(600)).unwrap();
    assert_eq!((t.status, t.external_id.as_deref()), (Status::Resolved, Some("OLD-1")));
    assert_eq!(out.breaches.len(), 1, "answered after 90 minutes of 60");
    assert_eq!(out.breaches[0].metric, Metric::FirstResponse);
    assert_eq!(t.next_deadline, None);
    assert_eq!(
        serde_json::to_value(out.events.last().unwrap()).unwrap(),
        json!({"type": "ticket.created", "imported": true, "assignee_id": Uuid::from_u128(3)})
    );
    assert_eq!(
        serde_json::to_value(&out.events[0]).unwrap(),
        json!({"type": "sla.breached", "metric": "first_response", "due_at": at(60).at, "imported": true})
    );
}

#[test]
fn feedback_and_work() {
    let mut t = incident();
    assert!(t.give_feedback(5, false).is_err(), "before resolution");
    let work = Work {
        kind: WorkKind::Remote,
        minutes: 30,
        billable: true,
        note: String::new(),
        arrived_at: Some(at(1).at),
        departed_at: None,
    };
    let Err(TicketError::Invalid(e)) = t.log_work(&work, AGENT, at(5)) else { panic!() };
    assert_eq!(e[0].field, "arrived_at");
    let out = t.log_work(&Work { arrived_at: None, ..work }, AGENT, at(5)).unwrap();
    assert_eq!(kinds(&out), ["work_logged", "first_response"]);
    assert_eq!(t.next_deadline, Some(t0() + TimeDelta::minutes(6 * 60)), "75 % of resolution");
}

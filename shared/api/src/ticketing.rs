//! Ticketing's bodies that other services read or send: tickets (the scheduler reads, opens
//! and assigns them), the SLA breaches and billable work of a span (billing), the month's
//! report run (the scheduler's job); and [`TicketingClient`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use strum::{Display, EnumString, IntoStaticStr};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::client::ServiceClient;
use canopy_sla::{Coverage, Metric, Priority};

use crate::client::{Call, CallError, PathQuery};
use crate::{Page, TenantProblem};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TicketKind {
    Incident,
    ServiceRequest,
    Problem,
    Change,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    Portal,
    Phone,
    Email,
    Api,
    AgentEvent,
}

/// Where a ticket is in its life (the state machine is ticketing's).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    New,
    Assigned,
    InProgress,
    /// Waiting on the customer: the SLA clocks stand still.
    PendingCustomer,
    /// Waiting on a vendor: the clocks run (the provider answers for its vendors).
    PendingVendor,
    Resolved,
    Closed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::PendingCustomer,
        Status::PendingVendor,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::PendingCustomer => "pending_customer",
            Status::PendingVendor => "pending_vendor",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Still to be worked on: neither resolved nor ended.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }
}

/// A tenant admin's decision on a change.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Display, EnumString, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// The cause is known and documented, with a workaround, while a fix is pending.
    #[serde(default)]
    pub known_error: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workaround: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    /// Pre-approved, low-risk, routine.
    Standard,
    /// Needs the tenant admin's approval before work starts.
    Normal,
    /// Goes ahead at once; approval follows.
    Emergency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    NotRequired,
    Pending,
    Approved,
    Rejected,
}

/// What a new change ticket carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChange {
    pub change_type: ChangeType,
    pub risk: Risk,
    /// What will be done, step by step.
    pub plan: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backout_plan: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeDetails {
    pub change_type: ChangeType,
    pub risk: Risk,
    pub plan: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backout_plan: Option<String>,
    pub approval: Approval,
    /// When the change was carried out (the ticket resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implemented_at: Option<DateTime<Utc>>,
    /// The post-implementation review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

/// `POST /tickets`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// Required for provider staff; a tenant's users and keys raise tickets for their own tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Uuid>,
    #[serde(rename = "type")]
    pub kind: TicketKind,
    #[schema(example = "Printer on the 3rd floor offline")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// One of the tenant's categories (e.g. `hardware`).
    pub category: String,
    /// A level of the tenant's priority matrix (e.g. `high`).
    pub impact: String,
    pub urgency: String,
    /// Default: the caller, for a tenant's user. Must be an active user of the ticket's tenant; a user
    /// who is only a requester may name only themselves (else 422 on `requester_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<Uuid>,
    /// Default `portal` (users) or `api` (API keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    // Left out when false: an Idempotency-Key is bound to the body as it was first sent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub onsite_required: bool,
    /// Values of the tenant's own fields, as its configuration defines them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, Value>,
    /// Problems: root cause, known error, workaround.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemDetails>,
    /// Changes (required for them): type, risk and plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<NewChange>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A field that is either absent (`None`) or present, `null` included (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /tickets/{id}`: only what is sent changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// The version you read (or send If-Match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<String>,
    /// An engineer or agent; `null` unassigns.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// L1–L3; raising it is an escalation and needs a `reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_level: Option<i16>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<Option<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onsite_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_notes: Option<String>,
    /// Why (escalation, cancellation, reopening); kept in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Problems: replaces root cause, known error and workaround.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemDetails>,
    /// Changes: risk, plan and back-out plan (before approval or work), review (after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangePatch>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backout_plan: Option<String>,
    /// The post-implementation review, once the change is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    pub metric: Metric,
    pub target_mins: i64,
    pub started_at: DateTime<Utc>,
    /// Absent while the clock stands still (waiting on the customer).
    pub due_at: Option<DateTime<Utc>>,
    pub paused: bool,
    /// When the target was met (or the ticket ended).
    pub stopped_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// Every pause, for explaining the due time.
    pub pauses: Vec<PauseView>,
}

impl ClockView {
    /// Still counting towards its target.
    pub fn running(&self) -> bool {
        self.stopped_at.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PauseView {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaView {
    pub tier_name: String,
    pub coverage: Coverage,
    pub timezone: String,
    pub clocks: Vec<ClockView>,
}

/// `GET /tickets/{id}`, and each item of `GET /tickets`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: i64,
    /// The human reference, e.g. `ACME-42`.
    pub reference: String,
    #[serde(rename = "type")]
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    pub category: String,
    pub impact: String,
    pub urgency: String,
    pub priority: Priority,
    pub status: Status,
    pub channel: Channel,
    pub requester_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub onsite_required: bool,
    pub assignee_id: Option<Uuid>,
    /// L1–L3.
    pub support_level: i16,
    pub custom_fields: BTreeMap<String, Value>,
    pub external_id: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    /// Problems: root cause, known error, workaround.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemDetails>,
    /// Changes: type, risk, plan, approval, implementation and review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeDetails>,
    /// Absent when the tenant had no contract in force when the ticket was raised.
    pub sla: Option<SlaView>,
    /// Send it back as `If-Match` (or `version`) to refuse lost updates.
    pub version: i64,
}

impl TicketView {
    /// The SLA clocks still running (none without an SLA).
    pub fn running_clocks(&self) -> impl Iterator<Item = &ClockView> {
        self.sla.iter().flat_map(|s| s.clocks.iter()).filter(|c| c.running())
    }

    /// The earliest due time of a running clock, with its metric.
    pub fn next_due(&self) -> Option<(DateTime<Utc>, Metric)> {
        self.running_clocks().filter_map(|c| Some((c.due_at?, c.metric))).min_by_key(|(due, _)| *due)
    }
}

/// One recorded SLA breach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BreachRow {
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub reference: String,
    pub metric: Metric,
    pub priority: Priority,
    pub due_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    /// The contract in force when the ticket was raised (whose credit policy applies).
    pub contract_id: Option<Uuid>,
}

/// `GET /sla/breaches`: a page in a stable order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BreachPage {
    pub items: Vec<BreachRow>,
    /// Pass as `after` for the next page; `null` at the end.
    pub next: Option<String>,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WorkKind {
    Remote,
    Onsite,
}

impl WorkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Remote => "remote",
            WorkKind::Onsite => "onsite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [WorkKind::Remote, WorkKind::Onsite].into_iter().find(|k| k.as_str() == s)
    }
}

/// `GET /billable-work`: minutes of billable work of a tenant and kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkTotal {
    pub tenant_id: Uuid,
    pub kind: WorkKind,
    pub minutes: i64,
}

/// `POST /reports/monthly/runs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRun {
    /// `YYYY-MM`: the month that ended.
    pub period: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ReportRunOutcome {
    pub period: String,
    /// Tenants whose report was made and announced.
    pub reports: usize,
    /// Tenants whose report could not be made, and why.
    pub problems: Vec<TenantProblem>,
}

/// Which tickets `GET /tickets` lists (every filter of the endpoint).
#[derive(Clone, Debug, Default)]
pub struct TicketQuery {
    /// Provider staff: one tenant's tickets.
    pub tenant_id: Option<Uuid>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketKind>,
    pub category: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// Text in the title, or a reference such as `ACME-42`.
    pub q: Option<String>,
    /// Tickets with (true) or without (false) a recorded SLA breach.
    pub breached: Option<bool>,
    /// Page size (the endpoint's default when none; at most 200).
    pub limit: Option<u32>,
    /// Open tickets that need (or do not need) someone on site.
    pub onsite: Option<bool>,
    /// Open tickets nobody is assigned to.
    pub unassigned: bool,
    /// Open tickets whose next deadline is within this many minutes.
    pub at_risk_within_mins: Option<i64>,
    /// Only the tickets the caller raised or requested.
    pub mine: bool,
    /// Newest first (else oldest first); the cursor follows.
    pub newest_first: bool,
}

/// Ticketing, as other services call it.
#[derive(Clone, Debug)]
pub struct TicketingClient {
    client: ServiceClient,
}

impl TicketingClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    pub fn service(&self) -> &ServiceClient {
        &self.client
    }

    pub async fn ticket(&self, token: &str, ticket: Uuid) -> Result<TicketView, CallError> {
        Call::get(&self.client, format!("/api/v1/tickets/{ticket}")).bearer(token).answer().await
    }

    /// One page (up to 200) of the tickets `query` selects.
    pub async fn tickets_page(
        &self,
        token: &str,
        query: &TicketQuery,
        cursor: Option<String>,
    ) -> Result<Page<TicketView>, CallError> {
        let path = PathQuery::new("/api/v1/tickets")
            .opt("tenant_id", query.tenant_id)
            .opt("status", query.status.map(|s| s.as_str()))
            .opt("priority", query.priority.map(|p| p.as_str()))
            .opt("type", query.kind.map(<&'static str>::from))
            .opt("category", query.category.as_deref())
            .opt("assignee_id", query.assignee_id)
            .opt("q", query.q.as_deref())
            .opt("breached", query.breached)
            .opt("onsite", query.onsite)
            .opt("unassigned", query.unassigned.then_some(true))
            .opt("at_risk_within_mins", query.at_risk_within_mins)
            .opt("mine", query.mine.then_some(true))
            .opt("order", query.newest_first.then_some("newest"))
            .arg("limit", query.limit.unwrap_or(200))
            .opt("cursor", cursor)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Opens a ticket; the same `idempotency_key` opens it once however often it is sent.
    pub async fn open_ticket(
        &self,
        token: &str,
        ticket: &NewTicket,
        idempotency_key: Option<&str>,
    ) -> Result<TicketView, CallError> {
        let mut call = Call::post(&self.client, "/api/v1/tickets").bearer(token).json(ticket)?;
        if let Some(key) = idempotency_key {
            call = call.header("idempotency-key", key.to_owned());
        }
        call.answer().await
    }

    /// Changes a ticket read at `version` (412 when it changed since).
    pub async fn patch_ticket(
        &self,
        token: &str,
        ticket: Uuid,
        patch: &TicketPatch,
        version: i64,
    ) -> Result<TicketView, CallError> {
        Call::new(&self.client, reqwest::Method::PATCH, format!("/api/v1/tickets/{ticket}"))
            .bearer(token)
            .header("if-match", format!("\"{version}\""))
            .json(patch)?
            .answer()
            .await
    }

    /// One page of the breaches due in `[from, to)`, after the position `after`.
    pub async fn breaches(
        &self,
        token: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<BreachPage, CallError> {
        let path = PathQuery::new("/api/v1/sla/breaches")
            .arg("from", rfc3339(from))
            .arg("to", rfc3339(to))
            .arg("limit", limit)
            .opt("after", after)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Every breach due in `[from, to)`.
    pub async fn all_breaches(
        &self,
        token: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BreachRow>, CallError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.breaches(token, from, to, after.as_deref(), 10_000).await?;
            out.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Billable minutes logged in `[from, to)`, per tenant and kind.
    pub async fn billable_work(
        &self,
        token: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WorkTotal>, CallError> {
        let path =
            PathQuery::new("/api/v1/billable-work").arg("from", rfc3339(from)).arg("to", rfc3339(to)).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Makes and announces the month's report of every tenant with tickets.
    pub async fn run_monthly_reports(
        &self,
        token: &str,
        run: &ReportRun,
    ) -> Result<ReportRunOutcome, CallError> {
        Call::post(&self.client, "/api/v1/reports/monthly/runs").bearer(token).json(run)?.answer().await
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_ticket_is_sent_as_before() {
        let ticket = NewTicket {
            tenant_id: Some(Uuid::from_u128(1)),
            kind: TicketKind::ServiceRequest,
            title: "Daily health inspection".into(),
            description: String::new(),
            category: "hardware".into(),
            impact: "low".into(),
            urgency: "low".into(),
            requester_id: None,
            site_id: None,
            channel: Some(Channel::Api),
            onsite_required: false,
            custom_fields: BTreeMap::new(),
            problem: None,
            change: None,
        };
        assert_eq!(
            serde_json::to_value(&ticket).unwrap(),
            json!({"tenant_id": Uuid::from_u128(1), "type": "service_request", "title": "Daily health inspection",
                   "description": "", "category": "hardware", "impact": "low", "urgency": "low", "channel": "api"})
        );
    }

    #[test]
    fn a_patch_sends_only_what_changes_and_null_unassigns() {
        let assign = TicketPatch { assignee_id: Some(Some(Uuid::from_u128(7))), ..TicketPatch::default() };
        assert_eq!(serde_json::to_value(&assign).unwrap(), json!({"assignee_id": Uuid::from_u128(7)}));
        let unassign = TicketPatch { assignee_id: Some(None), ..TicketPatch::default() };
        assert_eq!(serde_json::to_value(&unassign).unwrap(), json!({"assignee_id": null}));
        let read: TicketPatch = serde_json::from_value(json!({"assignee_id": null})).unwrap();
        assert_eq!(read.assignee_id, Some(None));
        let read: TicketPatch = serde_json::from_value(json!({"title": "x"})).unwrap();
        assert_eq!(read.assignee_id, None);
    }
}

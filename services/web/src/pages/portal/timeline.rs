//! A ticket as its customer reads it: the facts, the SLA clocks, and the timeline of public
//! comments and status changes. Internal notes never reach this far (the API keeps them from
//! customers; they are left out here again all the same).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use canopy_api::tenants::PortalConfigView;
use canopy_api::ticket_work::{AuditEntry, CommentView};
use canopy_api::ticketing::{ClockView, TicketView};

use crate::format;
use crate::pages::Chrome;
use crate::tickets::metric_key;

/// A label and its value.
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// One SLA clock of the ticket.
pub struct ClockRow {
    pub metric_key: &'static str,
    /// The target in words (`4 h 0 min`).
    pub target: String,
    /// `running`, `paused`, `met` or `breached`.
    pub state: &'static str,
    pub due_local: Option<String>,
    pub due_iso: Option<String>,
    /// The live countdown's words, while the clock runs.
    pub countdown: Option<String>,
    pub risk: &'static str,
    /// When the target was met (or the clock stopped).
    pub stopped: Option<String>,
}

impl ClockRow {
    pub fn of(ctx: &Chrome, c: &ClockView, open: bool) -> Self {
        let running = c.running() && open;
        let state = if c.breached_at.is_some() {
            "breached"
        } else if running && c.paused {
            "paused"
        } else if running {
            "running"
        } else {
            "met"
        };
        let countdown = c.due_at.filter(|_| running && !c.paused).map(|at| ctx.until(&at));
        Self {
            metric_key: metric_key(c.metric),
            target: format::span(ctx.lang, c.target_mins.max(0).unsigned_abs() * 60),
            state,
            due_local: c.due_at.map(|at| ctx.when(&at)),
            due_iso: c.due_at.map(|at| ctx.iso(&at)),
            countdown,
            risk: match c.due_at {
                Some(at) if running && !c.paused => ctx.risk(&at),
                _ => "ok",
            },
            stopped: c.stopped_at.map(|at| ctx.when(&at)),
        }
    }
}

/// One line of the timeline.
pub struct Entry {
    at: DateTime<Utc>,
    pub when: String,
    pub iso: String,
    pub who: String,
    /// `created`, `comment` or `status`.
    pub kind: &'static str,
    /// The comment, or the catalogue key of the status entered.
    pub text: String,
    /// Why the status changed, when a customer said.
    pub reason: Option<String>,
    /// Written by the reader.
    pub own: bool,
}

/// Who people are, as far as the reader may know: themselves, the tenant's users they may
/// read (admins read them all), and everyone else is the service desk.
pub struct People {
    pub me: Uuid,
    pub names: HashMap<Uuid, String>,
}

impl People {
    pub fn name(&self, ctx: &Chrome, id: Uuid) -> String {
        if id == self.me {
            ctx.t("portal-you")
        } else {
            self.names.get(&id).cloned().unwrap_or_else(|| ctx.t("portal-service-desk"))
        }
    }

    /// Someone of the customer's side (whose reasons the reader may read).
    fn customer(&self, t: &TicketView, id: Uuid) -> bool {
        id == self.me || Some(id) == t.requester_id || id == t.created_by || self.names.contains_key(&id)
    }
}

pub fn timeline(
    ctx: &Chrome,
    t: &TicketView,
    comments: &[CommentView],
    audit: &[AuditEntry],
    people: &People,
) -> Vec<Entry> {
    let entry = |at: DateTime<Utc>, who: String, kind, text: String, reason, own| Entry {
        at,
        when: ctx.when(&at),
        iso: ctx.iso(&at),
        who,
        kind,
        text,
        reason,
        own,
    };
    let mut out = vec![entry(
        t.created_at,
        people.name(ctx, t.created_by),
        "created",
        String::new(),
        None,
        t.created_by == people.me,
    )];
    out.extend(comments.iter().filter(|c| c.public).map(|c| {
        entry(
            c.created_at,
            people.name(ctx, c.author_id),
            "comment",
            c.body.clone(),
            None,
            c.author_id == people.me,
        )
    }));
    for a in audit.iter().filter(|a| a.kind == "status_changed") {
        let Some(to) = a.data.get("to").and_then(Value::as_str) else { continue };
        let who =
            if a.actor_kind == "system" { ctx.t("portal-automatic") } else { people.name(ctx, a.actor_id) };
        let reason = a
            .data
            .get("reason")
            .and_then(Value::as_str)
            .filter(|r| !r.trim().is_empty() && people.customer(t, a.actor_id))
            .map(str::to_owned);
        out.push(entry(a.at, who, "status", format!("status-{to}"), reason, a.actor_id == people.me));
    }
    // Stable: what happened at the same moment keeps the order it was recorded in.
    out.sort_by_key(|e| e.at);
    out
}

/// The ticket's own fields, by the tenant's labels, in the order the tenant defined them.
pub fn custom_facts(ctx: &Chrome, t: &TicketView, config: &PortalConfigView) -> Vec<Fact> {
    let shown = |v: &Value| match v {
        Value::Bool(true) => ctx.t("portal-yes"),
        Value::Bool(false) => ctx.t("portal-no"),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut facts: Vec<Fact> = config
        .custom_fields
        .iter()
        .filter_map(|f| Some(Fact { label: f.label.clone(), value: shown(t.custom_fields.get(&f.key)?) }))
        .collect();
    // Fields the tenant has removed since keep their key as label.
    facts.extend(
        t.custom_fields
            .iter()
            .filter(|(k, _)| !config.custom_fields.iter().any(|f| &f.key == *k))
            .map(|(k, v)| Fact { label: k.clone(), value: shown(v) }),
    );
    facts.retain(|f| !f.value.is_empty());
    facts
}

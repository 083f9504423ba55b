//! Raising a ticket: its fields checked against the tenant's configuration, its priority
//! from the tenant's matrix, the SLA policy in force copied on and its clocks started.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use canopy_api::tenants::TenantConfig;
use canopy_kernel::Violations;

use super::{Moment, Outcome, Ticket, TicketError, TicketEvent, TicketRecord, checked, clock_log, text};
use crate::domain::clocks;
use crate::domain::fields::TicketFields;
use crate::domain::itil::{Check, IntoDetails, NewChange, ProblemDetails};
use crate::domain::lifecycle::{Channel, MIN_LEVEL, Status, TicketKind};
use crate::domain::snapshot::PolicySnapshot;

/// A new ticket as asked for; who raises it has decided its channel and requester.
#[derive(Clone, Debug)]
pub struct Raise {
    pub tenant_id: Uuid,
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    pub category: String,
    pub impact: String,
    pub urgency: String,
    pub requester_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub channel: Channel,
    pub onsite_required: bool,
    pub custom_fields: BTreeMap<String, Value>,
    pub problem: Option<ProblemDetails>,
    pub change: Option<NewChange>,
    pub created_by: Uuid,
}

impl Ticket {
    /// A new ticket of the tenant whose configuration is `settings` and whose policy in
    /// force is `policy`. It has no number yet: the store gives it one.
    pub fn raise(
        new: Raise,
        settings: &TenantConfig,
        policy: Option<PolicySnapshot>,
        now: Moment,
    ) -> Result<(Ticket, Outcome), TicketError> {
        let mut v = Violations::new();
        let title = text(&new.title, 300, "title", &mut v);
        if new.description.chars().count() > 20_000 {
            v.add("description", "must have at most 20000 characters");
        }
        settings.check_category(&new.category, &mut v);
        let priority = settings.priority(&new.impact, &new.urgency, &mut v);
        settings.check_site(new.site_id, new.onsite_required, &mut v);
        settings.check_custom_fields(new.kind, &new.custom_fields, &mut v);
        let (problem, change) = match (new.kind, new.problem, new.change) {
            (TicketKind::Problem, p, None) => {
                let p = p.unwrap_or_default();
                p.check(&mut v);
                (Some(p), None)
            }
            (TicketKind::Change, None, Some(c)) => {
                c.check(&mut v);
                (None, Some(c.into_details()))
            }
            (TicketKind::Change, _, None) => {
                v.add("change", "a change says its type, risk and plan");
                (None, None)
            }
            (_, None, None) => (None, None),
            (_, p, _) => {
                v.add(if p.is_some() { "problem" } else { "change" }, "does not go with this type of ticket");
                (None, None)
            }
        };
        checked(v)?;
        let priority = priority.ok_or_else(|| {
            TicketError::invalid("impact", "the tenant's matrix has no priority for this pair")
        })?;

        let mut record = TicketRecord {
            tenant_id: new.tenant_id,
            id: Uuid::now_v7(),
            number: 0,
            reference: String::new(),
            kind: new.kind,
            title,
            description: new.description.trim().to_owned(),
            category: new.category,
            impact: new.impact,
            urgency: new.urgency,
            priority,
            status: Status::New,
            channel: new.channel,
            requester_id: new.requester_id,
            site_id: new.site_id,
            onsite_required: new.onsite_required,
            assignee_id: None,
            support_level: MIN_LEVEL,
            custom_fields: new.custom_fields,
            problem,
            change,
            policy,
            external_id: None,
            created_by: new.created_by,
            created_at: now.at,
            updated_at: now.at,
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
            resolution_code: None,
            resolution_notes: None,
            next_deadline: None,
            version: 1,
            clocks: Vec::new(),
        };
        if let Some(policy) = &record.policy {
            record.clocks = clocks::start(
                &policy.targets(priority),
                record.onsite_required,
                now.at.timestamp(),
                &record.calendar(),
            )
            .map_err(|_| TicketError::Calendar)?;
        }
        record.refresh_deadline(now.warning_bp)?;

        let mut out = Outcome::default();
        let terms = record
            .policy
            .as_ref()
            .map(|p| json!({"tier": p.tier_name, "coverage": p.coverage, "contract_id": p.contract_id}));
        out.log(
            "created",
            json!({"type": record.kind, "priority": priority, "channel": record.channel, "policy": terms}),
        );
        for c in &record.clocks {
            out.log("clock_started", clock_log(c));
        }
        out.announce(TicketEvent::created());
        Ok((Ticket(record), out))
    }
}

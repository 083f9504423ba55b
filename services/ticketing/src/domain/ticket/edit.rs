//! Editing a ticket: its fields, priority (through impact and urgency, the clocks keeping
//! the time used), support level, assignment and status, in one step that is taken whole.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use canopy_api::tenants::TenantConfig;
use canopy_kernel::Violations;

use super::{
    Editor, Moment, Outcome, Side, Ticket, TicketError, TicketEvent, TicketRecord, checked, clock_log, text,
};
use crate::domain::clocks;
use crate::domain::fields::TicketFields;
use crate::domain::itil::{ChangePatch, Check, ProblemDetails, WindowRule};
use crate::domain::lifecycle::{MAX_LEVEL, MIN_LEVEL, Status, TicketKind};

/// What an edit changes; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    pub status: Option<Status>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<Uuid>>,
    pub support_level: Option<i16>,
    pub site_id: Option<Option<Uuid>>,
    pub onsite_required: Option<bool>,
    pub custom_fields: Option<BTreeMap<String, Value>>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    /// Why (escalation, cancellation, reopening).
    pub reason: Option<String>,
    pub problem: Option<ProblemDetails>,
    pub change: Option<ChangePatch>,
}

impl Edit {
    /// Whether the tenant's configuration is needed to check the edit.
    pub fn needs_settings(&self) -> bool {
        self.category.is_some()
            || self.impact.is_some()
            || self.urgency.is_some()
            || self.custom_fields.is_some()
            || matches!(self.site_id, Some(Some(_)))
            || self.onsite_required == Some(true)
    }
}

impl Ticket {
    /// What a tenant's users may do: edit the text, cancel, answer while the ticket waits on
    /// them, confirm or reopen; a tenant admin also reclassifies. The rest is the provider's.
    pub fn check_edit(&self, edit: &Edit, by: Editor) -> Result<(), TicketError> {
        if by.staff() {
            return Ok(());
        }
        let mut denied = Vec::new();
        if edit.assignee_id.is_some() {
            denied.push("assignee_id")
        }
        if edit.support_level.is_some() {
            denied.push("support_level")
        }
        if edit.resolution_code.is_some() || edit.resolution_notes.is_some() {
            denied.push("resolution")
        }
        if by.side != Side::TenantAdmin && (edit.impact.is_some() || edit.urgency.is_some()) {
            denied.push("impact/urgency")
        }
        if let Some(to) = edit.status {
            let allowed = matches!(
                (self.status, to),
                (_, Status::Cancelled)
                    | (Status::Resolved, Status::InProgress)
                    | (Status::Resolved, Status::Closed)
                    | (Status::PendingCustomer, Status::InProgress)
            );
            if !allowed {
                denied.push("status")
            }
        }
        if denied.is_empty() {
            Ok(())
        } else {
            Err(TicketError::StaffOnly(format!("Only provider staff change: {}", denied.join(", "))))
        }
    }

    /// Applies an edit by `by`, checked against the tenant's configuration when it needs it
    /// ([`Edit::needs_settings`]). A person of the provider changing anything gives the
    /// first response.
    pub fn update(
        &mut self,
        edit: Edit,
        by: Editor,
        settings: Option<&TenantConfig>,
        now: Moment,
    ) -> Result<Outcome, TicketError> {
        self.check_edit(&edit, by)?;
        self.apply(|t, out| t.update(edit, by, settings, now, out)).map(|((), out)| out)
    }
}

impl TicketRecord {
    fn update(
        &mut self,
        edit: Edit,
        by: Editor,
        settings: Option<&TenantConfig>,
        now: Moment,
        out: &mut Outcome,
    ) -> Result<(), TicketError> {
        let from = self.status;
        let mut v = Violations::new();
        let mut changed: Vec<&'static str> = Vec::new();

        if let Some(title) = &edit.title {
            let title = text(title, 300, "title", &mut v);
            out.log("field_changed", json!({"field": "title", "from": self.title, "to": title}));
            self.title = title;
            changed.push("title");
        }
        if let Some(d) = &edit.description {
            if d.chars().count() > 20_000 {
                v.add("description", "must have at most 20000 characters")
            }
            out.log("field_changed", json!({"field": "description"}));
            self.description = d.trim().to_owned();
            changed.push("description");
        }
        if let (Some(cat), Some(s)) = (&edit.category, settings) {
            s.check_category(cat, &mut v);
            out.log("field_changed", json!({"field": "category", "from": self.category, "to": cat}));
            self.category = cat.clone();
            changed.push("category");
        }
        if let (Some(fields), Some(s)) = (edit.custom_fields, settings) {
            s.check_custom_fields(self.kind, &fields, &mut v);
            self.custom_fields = fields;
            out.log("field_changed", json!({"field": "custom_fields"}));
            changed.push("custom_fields");
        }
        if let Some(site) = edit.site_id {
            if let Some(s) = settings {
                s.check_site(site, edit.onsite_required.unwrap_or(self.onsite_required), &mut v);
            }
            out.log("field_changed", json!({"field": "site_id", "from": self.site_id, "to": site}));
            self.site_id = site;
            changed.push("site_id");
        }
        let mut retarget = self.reclassify(edit.impact, edit.urgency, settings, &mut v, out, &mut changed);
        if let Some(onsite) = edit.onsite_required
            && onsite != self.onsite_required
        {
            out.log("field_changed", json!({"field": "onsite_required", "to": onsite}));
            self.onsite_required = onsite;
            retarget = true;
            changed.push("onsite_required");
        }
        if let Some(level) = edit.support_level
            && self.set_level(level, edit.reason.as_deref(), &mut v, out)
        {
            changed.push("support_level");
        }
        if let Some(code) = &edit.resolution_code {
            self.resolution_code = Some(text(code, 60, "resolution_code", &mut v));
        }
        if let Some(notes) = &edit.resolution_notes {
            if notes.chars().count() > 20_000 {
                v.add("resolution_notes", "must have at most 20000 characters")
            }
            self.resolution_notes = Some(notes.trim().to_owned());
        }
        if let Some(p) = edit.problem {
            if self.kind != TicketKind::Problem {
                v.add("problem", "only problems have a root cause and workaround");
            } else if !by.staff() {
                return Err(TicketError::StaffOnly("Only provider staff record root causes".into()));
            } else {
                p.check(&mut v);
                out.log("problem_updated", json!({"known_error": p.known_error}));
                self.problem = Some(p);
                changed.push("problem");
            }
        }
        if let Some(c) = &edit.change
            && self.edit_change(c, by, &mut v, out)?
        {
            changed.push("change");
        }
        checked(v)?;

        if retarget && let Some(policy) = &self.policy {
            let calendar = policy.calendar();
            clocks::retarget(
                &mut self.clocks,
                &policy.targets(self.priority),
                self.onsite_required,
                self.created_at.timestamp(),
                &calendar,
            )
            .map_err(|_| TicketError::Calendar)?;
            for c in &self.clocks {
                out.log("clock_retargeted", clock_log(c));
            }
        }

        let mut status = from;
        if let Some(assignee) = edit.assignee_id
            && assignee != self.assignee_id
        {
            self.assign(assignee, out);
            changed.push("assignee_id");
            if assignee.is_some() && status == Status::New && edit.status.is_none() {
                status = Status::Assigned;
            }
        }
        if let Some(to) = edit.status {
            self.check_move(to)?;
            status = to;
        }
        if status != from {
            if status == Status::Resolved && self.resolution_code.is_none() && by.staff() {
                return Err(TicketError::invalid("resolution_code", "say how the ticket was resolved"));
            }
            changed.push("status");
            self.enter_status(status, edit.reason.as_deref(), now.at, out)?;
        }

        if by.staff() && !changed.is_empty() && by.person() {
            self.first_response(by.id, now.at, out);
        }
        if changed.is_empty() {
            return Err(TicketError::invalid("body", "nothing to change"));
        }
        self.refresh_deadline(now.warning_bp)?;
        out.announce(TicketEvent::updated(&changed));
        Ok(())
    }

    /// New impact or urgency: the matrix gives the priority. True when the priority changed
    /// (the clocks take its targets).
    fn reclassify(
        &mut self,
        impact: Option<String>,
        urgency: Option<String>,
        settings: Option<&TenantConfig>,
        v: &mut Violations,
        out: &mut Outcome,
        changed: &mut Vec<&'static str>,
    ) -> bool {
        let Some(s) = settings.filter(|_| impact.is_some() || urgency.is_some()) else { return false };
        let impact = impact.unwrap_or_else(|| self.impact.clone());
        let urgency = urgency.unwrap_or_else(|| self.urgency.clone());
        let mut retarget = false;
        if let Some(p) = s.priority(&impact, &urgency, v)
            && p != self.priority
        {
            out.log(
                "priority_changed",
                json!({"from": self.priority, "to": p, "impact": impact, "urgency": urgency}),
            );
            self.priority = p;
            retarget = true;
        }
        self.impact = impact;
        self.urgency = urgency;
        changed.push("priority");
        retarget
    }

    /// A new support level: raising it is an escalation, which says why. True when it moved.
    fn set_level(&mut self, level: i16, reason: Option<&str>, v: &mut Violations, out: &mut Outcome) -> bool {
        if !(MIN_LEVEL..=MAX_LEVEL).contains(&level) {
            v.add("support_level", "must be 1, 2 or 3");
            return false;
        }
        if level == self.support_level {
            return false;
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if level > self.support_level && reason.is_none() {
            v.add("reason", "say why the ticket is escalated");
        }
        let kind = if level > self.support_level { "escalated" } else { "de_escalated" };
        out.log(kind, json!({"from": self.support_level, "to": level, "reason": reason}));
        self.support_level = level;
        true
    }

    /// A change's risk and plan are fixed once work starts; its review comes when it is done.
    /// False when the ticket is no change.
    fn edit_change(
        &mut self,
        c: &ChangePatch,
        by: Editor,
        v: &mut Violations,
        out: &mut Outcome,
    ) -> Result<bool, TicketError> {
        let started = !matches!(self.status, Status::New | Status::Assigned);
        let done = matches!(self.status, Status::Resolved | Status::Closed);
        let Some(info) = self.change.as_mut() else {
            v.add("change", "only changes have a plan and risk");
            return Ok(false);
        };
        if !by.staff() {
            return Err(TicketError::StaffOnly("Only provider staff edit a change's plan".into()));
        }
        if (c.plan.is_some() || c.risk.is_some() || c.backout_plan.is_some() || c.window.is_some()) && started
        {
            v.add("change.plan", "the plan is fixed once work has started");
        }
        if let Some(window) = &c.window {
            window.check("change.window", v);
            info.window = Some(*window);
        }
        if let Some(risk) = c.risk {
            info.risk = risk;
        }
        if let Some(plan) = &c.plan {
            v.check(
                !plan.trim().is_empty() && plan.chars().count() <= 20_000,
                "change.plan",
                "must have 1–20000 characters",
            );
            info.plan = plan.trim().to_owned();
        }
        if let Some(b) = &c.backout_plan {
            info.backout_plan = Some(b.trim().to_owned());
        }
        if let Some(review) = &c.review {
            v.check(done, "change.review", "is written once the change is done");
            info.review = Some(review.trim().to_owned());
        }
        out.log("change_updated", json!({"risk": info.risk}));
        Ok(true)
    }

    fn assign(&mut self, assignee: Option<Uuid>, out: &mut Outcome) {
        out.log("assigned", json!({"from": self.assignee_id, "to": assignee}));
        self.assignee_id = assignee;
        out.announce(TicketEvent::Assigned { assignee_id: assignee });
    }
}

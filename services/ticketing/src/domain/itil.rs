//! What problems and changes carry beyond an incident, and the rule that a normal change
//! waits for the tenant admin's approval.

use canopy_kernel::Violations;

use super::lifecycle::Status;
use super::ticket::TicketError;

pub use canopy_api::ticketing::{
    Approval, ChangeDetails, ChangePatch, ChangeType, Decision, NewChange, ProblemDetails, Risk,
};

/// What a problem's or a change's details must satisfy.
pub trait Check {
    fn check(&self, v: &mut Violations);
}

impl Check for ProblemDetails {
    fn check(&self, v: &mut Violations) {
        for (field, value) in
            [("problem.root_cause", &self.root_cause), ("problem.workaround", &self.workaround)]
        {
            if value.as_ref().is_some_and(|s| s.chars().count() > 20_000) {
                v.add(field, "must have at most 20000 characters");
            }
        }
        if self.known_error && self.root_cause.as_deref().is_none_or(|s| s.trim().is_empty()) {
            v.add("problem.root_cause", "a known error has its root cause written down");
        }
    }
}

impl Check for NewChange {
    fn check(&self, v: &mut Violations) {
        let n = self.plan.trim().chars().count();
        v.check((1..=20_000).contains(&n), "change.plan", "describe the plan (1–20000 characters)");
        if self.change_type == ChangeType::Standard && self.risk == Risk::High {
            v.add("change.risk", "a high-risk change cannot be standard (pre-approved)");
        }
    }
}

/// A new change's details as the ticket keeps them: approval pending unless standard.
pub trait IntoDetails {
    fn into_details(self) -> ChangeDetails;
}

impl IntoDetails for NewChange {
    fn into_details(self) -> ChangeDetails {
        let approval =
            if self.change_type == ChangeType::Standard { Approval::NotRequired } else { Approval::Pending };
        ChangeDetails {
            change_type: self.change_type,
            risk: self.risk,
            plan: self.plan.trim().to_owned(),
            backout_plan: self.backout_plan,
            approval,
            implemented_at: None,
            review: None,
        }
    }
}

/// Whether a change may move to a status, by its approval.
pub trait ApprovalGate {
    fn check_move(&self, to: Status) -> Result<(), TicketError>;
}

impl ApprovalGate for ChangeDetails {
    /// A normal change starts only once approved; a rejected one goes nowhere but cancelled.
    fn check_move(&self, to: Status) -> Result<(), TicketError> {
        let working = matches!(to, Status::InProgress | Status::Resolved | Status::PendingVendor);
        match (self.change_type, self.approval, working) {
            (_, Approval::Rejected, true) => {
                Err(TicketError::NotNow("The change was rejected; it can only be cancelled"))
            }
            (ChangeType::Normal, Approval::Pending, true) => Err(TicketError::NotNow(
                "A normal change waits for the tenant admin's approval before work starts",
            )),
            _ => Ok(()),
        }
    }
}

//! What problems and changes carry beyond an incident, and the rule that a normal change
//! waits for the tenant admin's approval.

use canopy_kernel::Violations;

use super::lifecycle::Status;
use super::ticket::TicketError;

pub use canopy_api::ticketing::{
    Approval, ChangeDetails, ChangePatch, ChangeType, ChangeWindow, Decision, NewChange, ProblemDetails, Risk,
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
        if let Some(window) = &self.window {
            window.check("change.window", v);
        }
    }
}

/// A change window's rule, reported under `field`.
pub trait WindowRule {
    fn check(&self, field: &str, v: &mut Violations);
}

impl WindowRule for ChangeWindow {
    fn check(&self, field: &str, v: &mut Violations) {
        v.check(self.ends_at > self.starts_at, format!("{field}.ends_at"), "must be after starts_at");
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
            window: self.window,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(window: Option<(i64, i64)>) -> NewChange {
        let at = |s: i64| chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap();
        NewChange {
            change_type: ChangeType::Normal,
            risk: Risk::Low,
            plan: "swap the switch".into(),
            backout_plan: None,
            window: window.map(|(a, b)| ChangeWindow { starts_at: at(a), ends_at: at(b) }),
        }
    }

    fn problems(c: &NewChange) -> Vec<String> {
        let mut v = Violations::new();
        c.check(&mut v);
        v.into_result()
            .err()
            .map(|e| e.field_errors().iter().map(|f| f.field.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_change_window_ends_after_it_starts() {
        assert!(problems(&change(None)).is_empty());
        assert!(problems(&change(Some((0, 3600)))).is_empty());
        assert_eq!(problems(&change(Some((3600, 3600)))), ["change.window.ends_at"]);
        assert_eq!(problems(&change(Some((3600, 0)))), ["change.window.ends_at"]);
        assert_eq!(change(Some((0, 60))).into_details().window, change(Some((0, 60))).window);
    }
}

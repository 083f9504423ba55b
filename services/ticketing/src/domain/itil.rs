//! What problems and changes carry beyond an incident, and the rule that a normal change
//! waits for the tenant admin's approval.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString};
use utoipa::ToSchema;

use canopy_kernel::Violations;

use super::lifecycle::Status;
use super::ticket::TicketError;

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

impl ProblemDetails {
    pub fn check(&self, v: &mut Violations) {
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

/// What an edit of a change may replace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePatch {
    pub risk: Option<Risk>,
    pub plan: Option<String>,
    pub backout_plan: Option<String>,
    /// The post-implementation review, once the change is done.
    pub review: Option<String>,
}

/// The tenant admin's decision on a change (stored by its wire name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Display, EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
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

impl NewChange {
    pub fn check(&self, v: &mut Violations) {
        let n = self.plan.trim().chars().count();
        v.check((1..=20_000).contains(&n), "change.plan", "describe the plan (1–20000 characters)");
        if self.change_type == ChangeType::Standard && self.risk == Risk::High {
            v.add("change.risk", "a high-risk change cannot be standard (pre-approved)");
        }
    }

    pub fn into_details(self) -> ChangeDetails {
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

impl ChangeDetails {
    /// A normal change starts only once approved; a rejected one goes nowhere but cancelled.
    pub fn check_move(&self, to: Status) -> Result<(), TicketError> {
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

//! Changes as the tenant admin decides on them: the window they are planned for, the
//! decision with its reason, and the changes still waiting for one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Approval, ChangeType, Decision, Status, TicketKind, TicketQuery, TicketView, TicketingClient};
use crate::client::{Call, CallError, all_pages};

/// When a change is planned to be carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeWindow {
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: DateTime<Utc>,
}

/// `POST /tickets/{id}/approvals`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    pub decision: Decision,
    /// Why; required to reject.
    #[serde(default)]
    pub comment: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalView {
    pub id: Uuid,
    pub decision: Decision,
    pub comment: String,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

impl TicketView {
    /// An open normal or emergency change that waits for the tenant admin's decision.
    pub fn awaits_decision(&self) -> bool {
        self.kind == TicketKind::Change
            && self.status.is_open()
            && self
                .change
                .as_ref()
                .is_some_and(|c| c.approval == Approval::Pending && c.change_type != ChangeType::Standard)
    }
}

impl TicketingClient {
    /// The tenant's open changes that wait for a decision, oldest first.
    pub async fn changes_awaiting_decision(&self, token: &str) -> Result<Vec<TicketView>, CallError> {
        let query = TicketQuery { kind: Some(TicketKind::Change), ..TicketQuery::default() };
        let mut open = Vec::new();
        // By open status: the tenant's changes done long ago are not read at all.
        for status in Status::ALL.into_iter().filter(|s| s.is_open()) {
            let query = TicketQuery { status: Some(status), ..query.clone() };
            let tickets = all_pages(|cursor| self.tickets_page(token, &query, cursor)).await?;
            open.extend(tickets.into_iter().filter(TicketView::awaits_decision));
        }
        open.sort_by_key(|t| t.created_at);
        Ok(open)
    }

    /// Approves or rejects a change (409 when it is not waiting for a decision, 422 for a
    /// rejection without a reason).
    pub async fn decide_change(
        &self,
        token: &str,
        ticket: Uuid,
        decision: &NewDecision,
    ) -> Result<ApprovalView, CallError> {
        Call::post(&self.client, format!("/api/v1/tickets/{ticket}/approvals"))
            .bearer(token)
            .json(decision)?
            .answer()
            .await
    }
}

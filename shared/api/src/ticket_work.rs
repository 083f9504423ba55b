//! Ticketing's bodies of the work around a ticket that its readers (the web application)
//! exchange: comments, the customer's feedback, the audit trail; and the [`TicketingClient`]
//! calls for them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::client::{Call, CallError, CallResultExt, PathQuery};
use crate::ticketing::TicketingClient;

/// A comment on a ticket (`GET/POST /tickets/{id}/comments`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub author_id: Uuid,
    /// Internal notes (`false`) are provider staff's only: customers are never given them.
    pub public: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

fn yes() -> bool {
    true
}

/// `POST /tickets/{id}/comments`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    /// Internal notes (`false`) are seen by provider staff only. Default public.
    #[serde(default = "yes")]
    pub public: bool,
}

/// `POST /tickets/{id}/feedback`.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    /// 1 (poor) to 5 (excellent).
    pub rating: i16,
    #[serde(default)]
    pub complaint: bool,
    #[serde(default)]
    pub text: String,
}

/// The customer's rating of a ticket (`GET /tickets/{id}/feedback`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackView {
    pub rating: i16,
    pub complaint: bool,
    pub text: String,
    pub given_by: Uuid,
    pub given_at: DateTime<Utc>,
}

/// One line of a ticket's audit trail.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    /// e.g. `created`, `status_changed`, `priority_changed`, `clock_paused`, `escalated`.
    pub kind: String,
    pub data: Value,
}

/// `GET /tickets/{id}/audit`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

impl TicketingClient {
    /// The comments the token's holder may read, oldest first (customers: the public ones).
    pub async fn comments(&self, token: &str, ticket: Uuid) -> Result<Vec<CommentView>, CallError> {
        Call::get(self.service(), format!("/api/v1/tickets/{ticket}/comments")).bearer(token).answer().await
    }

    /// Adds a comment. A customer's reply to a ticket waiting on them takes it back to work.
    pub async fn add_comment(
        &self,
        token: &str,
        ticket: Uuid,
        comment: &NewComment,
    ) -> Result<CommentView, CallError> {
        Call::post(self.service(), format!("/api/v1/tickets/{ticket}/comments"))
            .bearer(token)
            .json(comment)?
            .answer()
            .await
    }

    /// The customer's rating, when given (`None` before).
    pub async fn feedback(&self, token: &str, ticket: Uuid) -> Result<Option<FeedbackView>, CallError> {
        Call::get(self.service(), format!("/api/v1/tickets/{ticket}/feedback"))
            .bearer(token)
            .answer()
            .await
            .found()
    }

    /// Rates a resolved or closed ticket, once (409 after).
    pub async fn give_feedback(
        &self,
        token: &str,
        ticket: Uuid,
        feedback: &NewFeedback,
    ) -> Result<FeedbackView, CallError> {
        Call::post(self.service(), format!("/api/v1/tickets/{ticket}/feedback"))
            .bearer(token)
            .json(feedback)?
            .answer()
            .await
    }

    /// One page of the ticket's audit trail, from `cursor`.
    pub async fn audit(
        &self,
        token: &str,
        ticket: Uuid,
        cursor: Option<String>,
    ) -> Result<AuditPage, CallError> {
        let path = PathQuery::new(format!("/api/v1/tickets/{ticket}/audit"))
            .arg("limit", 200)
            .opt("cursor", cursor)
            .build();
        Call::get(self.service(), path).bearer(token).answer().await
    }

    /// The whole audit trail, page after page.
    pub async fn all_audit(&self, token: &str, ticket: Uuid) -> Result<Vec<AuditEntry>, CallError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.audit(token, ticket, cursor.take()).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(out),
            }
        }
    }
}

//! The knowledge base (a part of ticketing): articles as readers get them, search hits; and
//! the [`TicketingClient`] calls that read them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::client::{Call, CallError, PathQuery};
use crate::ticketing::TicketingClient;

/// `GET /kb/articles/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ArticleView {
    pub id: Uuid,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    /// `en` or `zh-CN`.
    pub language: String,
    pub visibility: String,
    pub tenant_id: Option<Uuid>,
    pub status: String,
    pub version: i32,
    pub source_ticket_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// One article found by `GET /kb/search` (or suggested for a ticket).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Hit {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub language: String,
    pub visibility: String,
    /// BM25 relevance: higher is better.
    pub score: f64,
    /// The start of the article.
    pub snippet: String,
}

impl TicketingClient {
    /// The articles the token's holder may read that match `q` (Chinese or English), best
    /// first; at most `limit` (1–50).
    pub async fn search_kb(&self, token: &str, q: &str, limit: u32) -> Result<Vec<Hit>, CallError> {
        let path = PathQuery::new("/api/v1/kb/search").arg("q", q).arg("limit", limit).build();
        Call::get(self.service(), path).bearer(token).answer().await
    }

    /// One article (404 when it is not the token's holder's to read).
    pub async fn article(&self, token: &str, article: Uuid) -> Result<ArticleView, CallError> {
        Call::get(self.service(), format!("/api/v1/kb/articles/{article}")).bearer(token).answer().await
    }

    /// Articles that may solve the ticket, from its title and description.
    pub async fn suggestions(&self, token: &str, ticket: Uuid, limit: u32) -> Result<Vec<Hit>, CallError> {
        let path =
            PathQuery::new(format!("/api/v1/tickets/{ticket}/suggestions")).arg("limit", limit).build();
        Call::get(self.service(), path).bearer(token).answer().await
    }
}

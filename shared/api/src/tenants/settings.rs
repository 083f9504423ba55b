//! What a tenant admin's settings pages exchange with the tenants service: the whole
//! configuration read and written back with its version, the webhook events one may subscribe
//! to, and a webhook's delivery log.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ConfigView, TenantConfig, TenantsClient};
use crate::Page;
use crate::client::{Call, CallError, PathQuery};

/// Events a webhook can subscribe to; `*` means all.
pub const WEBHOOK_EVENTS: [&str; 11] = [
    "*",
    "kb.article_published",
    "ticket.created",
    "ticket.updated",
    "ticket.assigned",
    "ticket.resolved",
    "ticket.closed",
    "sla.warning",
    "sla.breached",
    "invoice.issued",
    "report.ready",
];

/// One event sent (or being sent) to one webhook, with its latest attempt's outcome.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    /// `pending` (waiting for its next attempt), `delivered`, or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body sent, exactly as signed.
    pub payload: Value,
}

impl TenantsClient {
    /// The whole configuration with its version, as a tenant admin (or provider staff) reads
    /// it; webhook secrets are never in it.
    pub async fn read_settings(&self, token: &str, tenant: Uuid) -> Result<ConfigView, CallError> {
        Call::get(&self.client, format!("/api/v1/tenants/{tenant}/config")).bearer(token).answer().await
    }

    /// Replaces the whole configuration if it is still at `version` (`If-Match`): 412 when it
    /// moved on since, 422 with a field error per problem (`ticket_categories[2].key`).
    /// Webhooks sent without a secret keep theirs.
    pub async fn write_settings(
        &self,
        token: &str,
        tenant: Uuid,
        version: i64,
        config: &TenantConfig,
    ) -> Result<ConfigView, CallError> {
        Call::new(&self.client, Method::PUT, format!("/api/v1/tenants/{tenant}/config"))
            .bearer(token)
            .header("if-match", format!("\"{version}\""))
            .json(config)?
            .answer()
            .await
    }

    /// One page of a webhook's deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        token: &str,
        tenant: Uuid,
        webhook: Uuid,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<DeliveryView>, CallError> {
        let path = PathQuery::new(format!("/api/v1/tenants/{tenant}/webhook-deliveries"))
            .arg("webhook_id", webhook)
            .arg("order", "newest")
            .arg("limit", limit)
            .opt("cursor", cursor)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }
}

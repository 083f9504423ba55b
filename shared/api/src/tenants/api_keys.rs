//! A tenant's API keys (for monitoring agents and scripts): listed, created (the key shown
//! in that one answer and never again), revoked.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::TenantsClient;
use crate::Page;
use crate::client::{Call, CallError, PathQuery, all_pages};

/// What a tenant API key may do.
pub const API_KEY_SCOPES: [&str; 3] = ["events:write", "tickets:read", "tickets:write"];

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The visible start of the key, to recognise it (`cnp_ab12cd34`).
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyView {
    /// Neither revoked nor expired at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// The answer to `POST /tenants/{id}/api-keys`: the only one that carries the key.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The key itself. It is shown this once and cannot be read again.
    pub key: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey").field("api_key", &self.api_key).finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(example = "Monitoring agent, head office")]
    pub name: String,
    /// Any of `events:write`, `tickets:read`, `tickets:write`; default `events:write`.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl TenantsClient {
    pub async fn api_keys_page(
        &self,
        token: &str,
        tenant: Uuid,
        cursor: Option<String>,
    ) -> Result<Page<ApiKeyView>, CallError> {
        let path = PathQuery::new(format!("/api/v1/tenants/{tenant}/api-keys"))
            .arg("limit", 200)
            .opt("cursor", cursor)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Every key of the tenant, revoked ones included.
    pub async fn all_api_keys(&self, token: &str, tenant: Uuid) -> Result<Vec<ApiKeyView>, CallError> {
        all_pages(|cursor| self.api_keys_page(token, tenant, cursor)).await
    }

    /// Creates a key; the answer holds the key itself, this once.
    pub async fn create_api_key(
        &self,
        token: &str,
        tenant: Uuid,
        request: &CreateApiKeyRequest,
    ) -> Result<CreatedApiKey, CallError> {
        Call::post(&self.client, format!("/api/v1/tenants/{tenant}/api-keys"))
            .bearer(token)
            .json(request)?
            .answer()
            .await
    }

    /// Revokes a key at once (404 for no key of this tenant).
    pub async fn revoke_api_key(&self, token: &str, tenant: Uuid, key: Uuid) -> Result<(), CallError> {
        Call::new(&self.client, Method::DELETE, format!("/api/v1/tenants/{tenant}/api-keys/{key}"))
            .bearer(token)
            .done()
            .await
    }
}

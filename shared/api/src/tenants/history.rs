//! The versions of a tenant's configuration: who changed what, and when; and any version as
//! it was.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ConfigView, TenantsClient};
use crate::client::{Call, CallError, PathQuery};

/// One version of the configuration, as `GET /tenants/{id}/config/history` lists it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigChange {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Uuid,
    /// What changed from the version before, e.g. `business_calendar.holidays`.
    pub changed_paths: Vec<String>,
}

/// A page of versions, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigHistory {
    pub items: Vec<ConfigChange>,
    pub next_cursor: Option<String>,
}

impl TenantsClient {
    /// Up to `limit` versions, newest first, from `cursor` (a page's `next_cursor`).
    pub async fn config_history(
        &self,
        token: &str,
        tenant: Uuid,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ConfigHistory, CallError> {
        let path = PathQuery::new(format!("/api/v1/tenants/{tenant}/config/history"))
            .arg("limit", limit)
            .opt("cursor", cursor)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// The configuration as it was at `version` (404 for a version it never had).
    pub async fn config_version(
        &self,
        token: &str,
        tenant: Uuid,
        version: i64,
    ) -> Result<ConfigView, CallError> {
        Call::get(&self.client, format!("/api/v1/tenants/{tenant}/config/history/{version}"))
            .bearer(token)
            .answer()
            .await
    }
}

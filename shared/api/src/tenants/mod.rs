//! The tenants service's bodies that other services read or send: tenants, their directory
//! entry (key, status, tier), the lifecycle actions, the API-key exchange and the tenant's
//! configuration; and [`TenantsClient`].

mod access;
mod api_keys;
pub mod auth;
mod config;
mod history;
mod people;
mod profile;
mod settings;
mod users;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::client::ServiceClient;

use crate::Page;
use crate::client::{Call, CallError, PathQuery, all_pages};

pub use access::{Revocation, RevocationsPage, SERVICE_SECRET_HEADER, Withdrawn};
pub use auth::{LoginRequest, LogoutRequest, OnBehalf, RefreshRequest, TokenResponse, UserView};
pub use config::{
    Branding, Category, ConfigUpdate, ConfigView, CustomField, FieldKind, Locale, PortalConfigView,
    PortalSite, PriorityMatrix, SecurityConfig, Site, TenantConfig, Webhook, default_categories,
};
pub use profile::{PasswordChange, ProfileUpdate};
pub use settings::{DeliveryView, WEBHOOK_EVENTS};

pub use api_keys::{API_KEY_SCOPES, ApiKeyView, CreateApiKeyRequest, CreatedApiKey};
pub use history::{ConfigChange, ConfigHistory};
pub use users::{MAX_PASSWORD, MIN_PASSWORD, NewUserRequest, PatchUserRequest};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Trial,
    Active,
    /// Can read, cannot write (unpaid invoices, a provider decision).
    Suspended,
    /// Ended for good: no access.
    Cancelled,
}

impl TenantStatus {
    pub const ALL: [TenantStatus; 4] = [Self::Trial, Self::Active, Self::Suspended, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn can_write(self) -> bool {
        matches!(self, Self::Trial | Self::Active)
    }
}

/// `GET /tenants/{id}`, and each item of `GET /tenants`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    /// Prefix of the tenant's ticket numbers (`ACME-42`).
    pub key: String,
    pub name: String,
    pub status: TenantStatus,
    /// Rate-limit tier (the catalogue's SLA tier once contracts exist).
    pub tier: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The body of `POST /tenants/{id}/suspend`, `/activate` and `/cancel` (optional).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRequest {
    /// Why (kept with the tenant, shown to its admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /internal/v1/tenants/{id}/status`: what the gateway (read-only enforcement, rate-limit
/// size), ticketing (ticket numbers) and every service that needs the tenant's days need of a
/// tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantStatusView {
    pub tenant_id: Uuid,
    /// Prefix of the tenant's ticket numbers.
    pub key: String,
    pub name: String,
    pub status: TenantStatus,
    pub tier: String,
    /// The tenant's IANA time zone: whose days its contracts, periods and reports count.
    pub timezone: String,
}

/// `POST /internal/v1/api-keys/exchange`: a monitoring agent's API key, from the gateway.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    pub key: String,
}

impl std::fmt::Debug for ExchangeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeRequest").finish_non_exhaustive()
    }
}

/// The short-lived access token an API key is traded for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExchangedKey {
    pub access_token: String,
    pub expires_in: u64,
    pub tenant_id: Uuid,
    pub key_id: Uuid,
    pub scopes: Vec<String>,
    pub tenant_status: TenantStatus,
}

/// A user of a tenant, as other services check it (a ticket's requester).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantMember {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub roles: Vec<canopy_kernel::auth::Role>,
    pub active: bool,
}

/// The tenants service, as other services call it.
#[derive(Clone, Debug)]
pub struct TenantsClient {
    client: ServiceClient,
}

impl TenantsClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    /// The underlying client (token verification reads the JWKS through it).
    pub fn service(&self) -> &ServiceClient {
        &self.client
    }

    /// One page of the tenants the token may see.
    pub async fn tenants_page(
        &self,
        token: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<TenantView>, CallError> {
        let path = PathQuery::new("/api/v1/tenants").arg("limit", limit).opt("cursor", cursor).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Every tenant the token may see.
    pub async fn all_tenants(&self, token: &str) -> Result<Vec<TenantView>, CallError> {
        all_pages(|cursor| self.tenants_page(token, cursor, 200)).await
    }

    pub async fn tenant(&self, token: &str, tenant: Uuid) -> Result<TenantView, CallError> {
        Call::get(&self.client, format!("/api/v1/tenants/{tenant}")).bearer(token).answer().await
    }

    /// The tenant's whole configuration in force (webhook secrets left out), for services
    /// acting with any credential of the tenant; the public endpoint gives requesters less.
    pub async fn config(&self, token: &str, tenant: Uuid) -> Result<ConfigView, CallError> {
        Call::get(&self.client, format!("/internal/v1/tenants/{tenant}/config")).bearer(token).answer().await
    }

    /// A user of the tenant (404 when the id is no user of this tenant).
    pub async fn member(&self, token: &str, tenant: Uuid, user: Uuid) -> Result<TenantMember, CallError> {
        Call::get(&self.client, format!("/internal/v1/tenants/{tenant}/users/{user}"))
            .bearer(token)
            .answer()
            .await
    }

    /// The tenant's key, status and tier.
    pub async fn status(&self, token: &str, tenant: Uuid) -> Result<TenantStatusView, CallError> {
        Call::get(&self.client, format!("/internal/v1/tenants/{tenant}/status")).bearer(token).answer().await
    }

    /// Suspends the tenant (409 when it cannot be: already suspended, or cancelled).
    pub async fn suspend(&self, token: &str, tenant: Uuid, reason: &str) -> Result<TenantView, CallError> {
        self.lifecycle(token, tenant, "suspend", reason).await
    }

    /// Reinstates the tenant (409 when it is active already, or cancelled).
    pub async fn activate(&self, token: &str, tenant: Uuid, reason: &str) -> Result<TenantView, CallError> {
        self.lifecycle(token, tenant, "activate", reason).await
    }

    async fn lifecycle(
        &self,
        token: &str,
        tenant: Uuid,
        action: &str,
        reason: &str,
    ) -> Result<TenantView, CallError> {
        let body = LifecycleRequest { reason: Some(reason.to_owned()) };
        Call::post(&self.client, format!("/api/v1/tenants/{tenant}/{action}"))
            .bearer(token)
            .json(&body)?
            .answer()
            .await
    }

    /// The live access revocations after `after` (at most `limit`), for a verifier's replica;
    /// `secret` is the shared service secret, when the platform has one.
    pub async fn revocations(
        &self,
        after: i64,
        limit: u32,
        secret: Option<&str>,
    ) -> Result<RevocationsPage, CallError> {
        let path =
            PathQuery::new("/internal/v1/access/revocations").arg("after", after).arg("limit", limit).build();
        let mut call = Call::get(&self.client, path);
        if let Some(secret) = secret {
            call = call.header(SERVICE_SECRET_HEADER, secret.to_owned());
        }
        call.answer().await
    }

    /// Signs a user in (401 `invalid_credentials`, `otp_required`, `invalid_otp`; 429 while
    /// the account or the address is held back).
    pub async fn login(&self, body: &LoginRequest, on_behalf: &OnBehalf) -> Result<TokenResponse, CallError> {
        on_behalf.apply(Call::post(&self.client, "/api/v1/auth/login")).json(body)?.answer().await
    }

    /// A new pair for a refresh token (which is then spent).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        on_behalf: &OnBehalf,
    ) -> Result<TokenResponse, CallError> {
        let body = RefreshRequest { refresh_token: refresh_token.to_owned() };
        on_behalf.apply(Call::post(&self.client, "/api/v1/auth/refresh")).json(&body)?.answer().await
    }

    /// Ends the session of `refresh_token` and withdraws the access token.
    pub async fn logout(
        &self,
        token: &str,
        refresh_token: &str,
        on_behalf: &OnBehalf,
    ) -> Result<(), CallError> {
        let body = LogoutRequest { refresh_token: Some(refresh_token.to_owned()) };
        on_behalf
            .apply(Call::post(&self.client, "/api/v1/auth/logout"))
            .bearer(token)
            .json(&body)?
            .done()
            .await
    }

    /// The signed-in user.
    pub async fn me(&self, token: &str) -> Result<UserView, CallError> {
        Call::get(&self.client, "/api/v1/auth/me").bearer(token).answer().await
    }

    /// The tenant's configuration as the token's holder may read it: the whole of it for its
    /// admins, the portal's part (categories, fields, sites, branding, zone) for requesters.
    pub async fn portal_config(&self, token: &str, tenant: Uuid) -> Result<PortalConfigView, CallError> {
        /// What the endpoint answers, by the caller's role.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum ConfigRead {
            Portal(Box<PortalConfigView>),
            Full(Box<ConfigView>),
        }
        let read: ConfigRead = Call::get(&self.client, format!("/api/v1/tenants/{tenant}/config"))
            .bearer(token)
            .answer()
            .await?;
        Ok(match read {
            ConfigRead::Portal(view) => *view,
            ConfigRead::Full(view) => PortalConfigView::of(&view),
        })
    }

    /// Trades a monitoring agent's API key (the proof itself) for an access token.
    pub async fn exchange_api_key(&self, key: &str) -> Result<ExchangedKey, CallError> {
        Call::post(&self.client, "/internal/v1/api-keys/exchange")
            .json(&ExchangeRequest { key: key.to_owned() })?
            .answer()
            .await
    }
}

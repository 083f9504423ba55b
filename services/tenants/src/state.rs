use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use canopy_kernel::auth::{Claims, PrincipalKind, Role, TokenKind, TokenSigner};
use canopy_kernel::backends::{Backends, topics};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, TenantScope};

use crate::domain::secrets::PasswordHasherConfig;
use crate::domain::tenant::{StatusRules, TenantStatus};
use crate::store::webhooks::Deliveries;
use crate::store::{
    api_keys::ApiKeys, configs::Configs, keys::Keys, sessions::Sessions, tenants::Tenants, users::Users,
};

pub struct TenantsState {
    pub settings: Arc<crate::settings::TenantsConfig>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub tenants: Tenants,
    pub users: Users,
    pub sessions: Sessions,
    pub api_keys: ApiKeys,
    pub configs: Configs,
    pub deliveries: Deliveries,
    /// Failed sign-ins per account (by the e-mail's hash).
    pub throttles: crate::store::security::Throttles,
    pub totps: crate::store::security::Totps,
    pub audit: crate::store::security::Audit,
    pub keys: Keys,
    /// The clock of sign-in protection (failure delays, TOTP steps, the security audit): the
    /// service's own clock unless the platform hands it its business clock (which tests move).
    pub login_clock: std::sync::OnceLock<SharedClock>,
    pub signer: TokenSigner,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
    pub passwords: PasswordHasherConfig,
}

/// What the tenants service tells other services (topic `tenants`).
pub use canopy_api::events::TenantEvent;

impl TenantsState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, for sign-in protection (see `login_clock`).
    pub fn login_now(&self) -> DateTime<Utc> {
        self.login_clock.get().unwrap_or(&self.clock).now()
    }

    /// Tells other services; a failure to publish is logged, never fails the request that
    /// already committed (consumers also re-read on their cache expiry).
    pub async fn publish(&self, event: TenantEvent) {
        let payload = match serde_json::to_vec(&event) {
            Ok(p) => p,
            Err(err) => return tracing::error!(%err, "cannot encode tenant event"),
        };
        canopy_kernel::backends::generation::bump(self.backends.cache.as_ref(), event.tenant_id()).await;
        if let Err(err) = self.backends.bus.publish(topics::TENANTS, &payload).await {
            tracing::warn!(error = %format!("{err:#}"), "tenant event not published");
        }
    }

    /// Tenant users may change nothing while their tenant is suspended; provider staff may
    /// (to put things right), unless the tenant is cancelled.
    pub async fn ensure_writable(&self, principal: &Principal, scope: &TenantScope) -> ApiResult<()> {
        let status = self.tenants.status(scope).await?;
        match status {
            TenantStatus::Cancelled => {
                Err(ApiError::new(ErrorCode::TenantCancelled, "The tenant is cancelled"))
            }
            _ if principal.is_provider() => Ok(()),
            status => status.ensure_writable(),
        }
    }

    pub fn access_token_for_user(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        roles: Vec<Role>,
    ) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.access_token_ttl_secs;
        self.sign(user_id, tenant_id, roles, PrincipalKind::User, None, ttl)
    }

    pub fn access_token_for_key(
        &self,
        key_id: Uuid,
        tenant_id: Uuid,
        scopes: &str,
    ) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.api_key_token_ttl_secs;
        self.sign(key_id, Some(tenant_id), Vec::new(), PrincipalKind::ApiKey, Some(scopes.to_owned()), ttl)
    }

    /// A provider token for a service acting on its own (recurring jobs): desk and dispatch
    /// rights across tenants, the nil id as subject.
    pub fn access_token_for_service(&self) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.access_token_ttl_secs;
        self.sign(Uuid::nil(), None, vec![Role::Agent, Role::Dispatcher], PrincipalKind::User, None, ttl)
    }

    fn sign(
        &self,
        sub: Uuid,
        tid: Option<Uuid>,
        roles: Vec<Role>,
        kind: PrincipalKind,
        scope: Option<String>,
        ttl: u64,
    ) -> ApiResult<(String, u64)> {
        let now = self.now();
        let claims = Claims {
            iss: self.settings.auth.issuer.clone(),
            aud: self.settings.auth.audience.clone(),
            sub,
            tid,
            roles,
            kind,
            typ: TokenKind::Access,
            scope,
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + TimeDelta::seconds(ttl as i64)).timestamp(),
            jti: Uuid::new_v4(),
        };
        Ok((self.signer.sign(&claims).map_err(ApiError::internal)?, ttl))
    }

    pub fn refresh_ttl(&self) -> TimeDelta {
        TimeDelta::seconds(self.settings.auth.refresh_token_ttl_secs as i64)
    }

    /// Password hashing is slow on purpose; it runs off the async workers.
    pub async fn hash_password(&self, password: String) -> ApiResult<String> {
        let hasher = self.passwords.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    pub async fn verify_password(&self, password: String, stored: Option<String>) -> ApiResult<bool> {
        let hasher = self.passwords.clone();
        tokio::task::spawn_blocking(move || hasher.verify(&password, stored.as_deref()))
            .await
            .map_err(ApiError::internal)
    }
}

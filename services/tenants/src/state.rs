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
use crate::store::revocations::Revocations;
use crate::store::webhooks::Deliveries;
use crate::store::{
    api_keys::ApiKeys, configs::Configs, keys::Keys, sessions::Sessions, tenants::Tenants, users::Users,
};

/// How long past the longest-lived token a revocation is kept: more than any verifier's
/// leeway on `exp`.
const REVOCATION_LEEWAY_SECS: i64 = 120;

/// How long the revocation hint stays in the shared cache (it is only a hint).
const REVOCATION_HINT_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

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
    pub revocations: Revocations,
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

/// Whom a token is for: its `sub`, `tid` and `gen`.
struct Subject {
    sub: Uuid,
    tid: Option<Uuid>,
    generation: i64,
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
        // An access revocation changes nothing other services cache about the tenant.
        if let Some(tenant) =
            event.tenant_id().filter(|_| !matches!(event, TenantEvent::AccessRevoked { .. }))
        {
            canopy_kernel::backends::generation::bump(self.backends.cache.as_ref(), tenant).await;
        }
        if let Err(err) = self.backends.bus.publish(topics::TENANTS, &payload).await {
            tracing::warn!(error = %format!("{err:#}"), "tenant event not published");
        }
    }

    /// Until when a revocation made now must be kept: past the expiry of any token issued
    /// until now (user and API-key tokens), with a margin for verifiers' leeway.
    pub fn revocation_expires_at(&self) -> DateTime<Utc> {
        let auth = &self.settings.auth;
        let longest = auth.access_token_ttl_secs.max(auth.api_key_token_ttl_secs) as i64;
        self.now() + TimeDelta::seconds(longest + REVOCATION_LEEWAY_SECS)
    }

    /// Until when the revocation of one token that expires at `exp` (Unix seconds) is kept.
    pub fn token_revocation_expires_at(exp: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(exp + REVOCATION_LEEWAY_SECS, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Tells verifiers of the revocation `cursor` just committed: the hint in the shared
    /// cache first (the very next request through any gateway checks it), then the event.
    /// Neither is needed for correctness — gateways also sync on their own, and fail closed
    /// when they cannot — so failures are logged only.
    pub async fn announce_revocation(&self, cursor: i64, tenant_id: Option<Uuid>) {
        let hint = cursor.to_string();
        if let Err(err) = self
            .backends
            .cache
            .set(canopy_kernel::auth::cache_keys::REVOCATION_HEAD, hint.as_bytes(), REVOCATION_HINT_TTL)
            .await
        {
            tracing::warn!(cursor, error = %format!("{err:#}"), "revocation hint not cached; gateways learn of it by the event or their next sync");
        }
        self.publish(TenantEvent::AccessRevoked { tenant_id, cursor, at: self.now() }).await;
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

    /// A user's access token, of the user's current access `generation`.
    pub fn access_token_for_user(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        roles: Vec<Role>,
        generation: i64,
    ) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.access_token_ttl_secs;
        self.sign(Subject { sub: user_id, tid: tenant_id, generation }, roles, PrincipalKind::User, None, ttl)
    }

    pub fn access_token_for_key(
        &self,
        key_id: Uuid,
        tenant_id: Uuid,
        scopes: &str,
    ) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.api_key_token_ttl_secs;
        let subject = Subject { sub: key_id, tid: Some(tenant_id), generation: 0 };
        self.sign(subject, Vec::new(), PrincipalKind::ApiKey, Some(scopes.to_owned()), ttl)
    }

    /// A provider token for a service acting on its own (recurring jobs): desk and dispatch
    /// rights across tenants, the nil id as subject.
    pub fn access_token_for_service(&self) -> ApiResult<(String, u64)> {
        let ttl = self.settings.auth.access_token_ttl_secs;
        let subject = Subject { sub: Uuid::nil(), tid: None, generation: 0 };
        self.sign(subject, vec![Role::Agent, Role::Dispatcher], PrincipalKind::User, None, ttl)
    }

    fn sign(
        &self,
        Subject { sub, tid, generation }: Subject,
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
            generation,
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

//! Access revocations: what the tenants service has withdrawn before the tokens' expiry, as
//! verifiers (the gateway) replicate it from `GET /internal/v1/access/revocations`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What one revocation withdraws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Withdrawn {
    /// One access token, by its `jti` (a sign-out).
    Token { jti: Uuid },
    /// Every token of the subject `sub` (a user, or an API key) whose generation (`gen`) is
    /// below `generation`: the user was deactivated or deleted, or their roles or password
    /// changed; the API key was revoked (its tokens all carry generation 0).
    Subject { sub: Uuid, generation: i64 },
    /// Every token of the tenant (its `tid`) issued at or before `issued_up_to` (Unix
    /// seconds, compared with `iat`): the tenant was cancelled.
    Tenant { tenant_id: Uuid, issued_up_to: i64 },
}

/// One revocation, in the order the tenants service committed it (`seq`). After
/// `expires_at` no token it could concern is valid any more, and it is forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub seq: i64,
    pub withdrawn: Withdrawn,
    pub expires_at: DateTime<Utc>,
}

/// `GET /internal/v1/access/revocations?after=&limit=`: the live revocations after the
/// cursor `after`, oldest first. Ask again from `cursor`; `more` says a next page is ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationsPage {
    pub revocations: Vec<Revocation>,
    pub cursor: i64,
    pub more: bool,
}

/// The header a verifier proves it is a platform service with (`auth.service_secret`), when
/// one is configured.
pub const SERVICE_SECRET_HEADER: &str = "x-service-secret";

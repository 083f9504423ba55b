//! Sign-in, tokens and the signed-in user: what the tenants service answers on `/auth/...` and
//! what a client (the web application) sends it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "li.wei@acme.example")]
    pub email: String,
    pub password: String,
    /// The current code of the authenticator app, for users with a second factor
    /// (without it such a sign-in answers 401 `otp_required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "492039")]
    pub otp: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires (unless rotated or revoked first).
    pub refresh_expires_in: u64,
    /// The provider (for staff) or the tenant (for its admins) requires a second factor
    /// this user has not enrolled yet: enrol one (`POST /auth/totp/enroll`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub totp_enrollment_required: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// Ends this session (its whole token family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    /// Absent for provider staff.
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The user's own language for the pages; none: the tenant's.
    #[serde(default)]
    pub locale: Option<super::Locale>,
}

/// Who a trusted front end (the web application) acts for, on the public sign-in endpoints
/// whose limits and audit go by the client's address: the visitor's address, proven by the
/// platform's service secret (without the secret the gateway uses the caller's own address).
#[derive(Clone, Debug)]
pub struct OnBehalf {
    pub address: String,
    pub secret: Option<String>,
}

impl OnBehalf {
    pub(crate) fn apply<'a>(&self, call: crate::client::Call<'a>) -> crate::client::Call<'a> {
        let call = call.header("x-forwarded-for", self.address.clone());
        match &self.secret {
            Some(secret) => call.header(super::SERVICE_SECRET_HEADER, secret.clone()),
            None => call,
        }
    }
}

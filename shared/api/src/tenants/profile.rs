//! The signed-in user's own settings: their name and language (`PATCH /auth/me`), and their
//! password (`POST /auth/password`).

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{Locale, TenantsClient, TokenResponse, UserView};
use crate::client::{Call, CallError};

/// A field either absent (`None`) or present, `null` included (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /auth/me`: only what is sent changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The language of your pages; `null`: your company's.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Locale>)]
    pub locale: Option<Option<Locale>>,
}

/// `POST /auth/password`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10–256 characters, not the current one.
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").finish_non_exhaustive()
    }
}

impl TenantsClient {
    /// Changes the signed-in user's own name or language.
    pub async fn update_me(&self, token: &str, update: &ProfileUpdate) -> Result<UserView, CallError> {
        Call::new(&self.client, reqwest::Method::PATCH, "/api/v1/auth/me")
            .bearer(token)
            .json(update)?
            .answer()
            .await
    }

    /// Changes the signed-in user's password (422 on `current_password` when it is not theirs,
    /// on `new_password` when it breaks the rules). Every session and token of the user ends;
    /// the answer is a new pair for this one.
    pub async fn change_password(
        &self,
        token: &str,
        change: &PasswordChange,
    ) -> Result<TokenResponse, CallError> {
        Call::post(&self.client, "/api/v1/auth/password").bearer(token).json(change)?.answer().await
    }
}

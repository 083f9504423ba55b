//! First start: a signing key, and the first provider admin when one is configured.

use canopy_kernel::ApiResult;
use canopy_kernel::auth::{Role, SigningKey};
use canopy_kernel::config::Settings;
use canopy_kernel::validate::normalize_email;

use crate::state::TenantsState;
use crate::store::keys::Keys;
use crate::store::users::{NewUser, UserScope};

/// The key this replica signs with: the configured one, else the newest in the database,
/// else a new one recorded there for every replica to share.
pub async fn signing_key(
    settings: &Settings,
    keys: &Keys,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<SigningKey> {
    let key = match &settings.auth.signing_key_pem {
        Some(pem) => SigningKey::from_pkcs8_pem(pem.expose())?,
        None => match keys.live().await?.into_iter().next() {
            Some(key) => key,
            None => SigningKey::generate()?,
        },
    };
    keys.ensure(&key, now).await?;
    Ok(key)
}

/// With `CANOPY_ADMIN_EMAIL`/`CANOPY_ADMIN_PASSWORD` set and no provider admin yet, creates one.
pub async fn first_admin(state: &TenantsState) -> ApiResult<Option<String>> {
    let (Some(email), Some(password)) = (&state.settings.admin_email, &state.settings.admin_password) else {
        return Ok(None);
    };
    if state.users.provider_admin_exists().await? {
        return Ok(None);
    }
    let email = normalize_email(email);
    let password_hash = state.hash_password(password.expose().clone()).await?;
    let new = NewUser {
        email: email.clone(),
        display_name: "Provider admin".into(),
        password_hash,
        roles: vec![Role::ProviderAdmin],
    };
    match state.users.create(UserScope::Provider, new, state.now()).await {
        Ok(_) => {
            tracing::info!(%email, "created the first provider admin");
            Ok(Some(email))
        }
        // Another replica created it at the same moment.
        Err(err) if err.code() == canopy_kernel::ErrorCode::Conflict => Ok(None),
        Err(err) => Err(err),
    }
}

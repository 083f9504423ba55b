//! Who is calling. A client's credential is verified here, once, and turned into the one
//! credential services understand: a Canopy access token.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use canopy_api::{CallError, Failure};
use canopy_kernel::auth::cache_keys;
use canopy_kernel::backends::CacheExt;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, Problem};

use crate::state::GatewayState;

pub enum Caller {
    /// A public endpoint called without a credential.
    Anonymous,
    /// `token` is what the gateway forwards as `Authorization: Bearer`.
    Authenticated { principal: Principal, token: String },
}

#[derive(Serialize, Deserialize)]
struct CachedKey {
    key_hash: String,
    access_token: String,
    expires_at: i64,
}

fn api_key(req: &HttpRequest) -> Option<&str> {
    if let Some(key) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("apikey").then(|| key.trim())
}

fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn authenticate(state: &GatewayState, req: &HttpRequest, public: bool) -> ApiResult<Caller> {
    if public {
        return Ok(Caller::Anonymous);
    }
    let token = match (api_key(req), bearer_token(req)) {
        (Some(key), _) => exchange(state, key).await?,
        (None, Some(token)) => token.to_owned(),
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "Send an access token (Authorization: Bearer …) or an API key (X-Api-Key: …)",
            )
            .with_header(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer")));
        }
    };
    let claims = state.verifier.verify(&token).await?;
    state.revocations.check(&claims, revocation_hint(state).await).await?;
    let principal = Principal::from_claims(claims)?;
    Ok(Caller::Authenticated { principal, token })
}

/// The newest revocation's cursor as the tenants service left it in the shared cache: one
/// GET per request. Missing or unreadable, the replica decides alone.
async fn revocation_hint(state: &GatewayState) -> Option<i64> {
    match state.backends.cache.get(cache_keys::REVOCATION_HEAD).await {
        Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok()?.trim().parse().ok(),
        Ok(None) => None,
        Err(err) => {
            tracing::debug!(error = %format!("{err:#}"), "revocation hint unreadable");
            None
        }
    }
}

/// Trades a monitoring agent's API key for a short-lived access token, cached until shortly
/// before it expires (and dropped by the tenants service when the key is revoked).
async fn exchange(state: &GatewayState, key: &str) -> ApiResult<String> {
    let invalid = || ApiError::new(ErrorCode::InvalidToken, "The API key is unknown, expired or revoked");
    // `cnp_` + 8 characters name the key; the rest is its secret.
    let prefix = key.get(..12).filter(|p| p.starts_with("cnp_")).ok_or_else(invalid)?;
    let cache_key = cache_keys::api_key(prefix);
    let key_hash = digest(key);
    let now = chrono::Utc::now().timestamp();
    if let Ok(Some(cached)) = state.backends.cache.get_json::<CachedKey>(&cache_key).await
        && cached.key_hash == key_hash
        && cached.expires_at - now > 30
    {
        return Ok(cached.access_token);
    }
    let tenants = state.tenants().map_err(ApiError::internal)?;
    let exchanged = tenants.exchange_api_key(key).await.map_err(not_exchanged)?;
    let entry = CachedKey {
        key_hash,
        access_token: exchanged.access_token.clone(),
        expires_at: now + exchanged.expires_in as i64,
    };
    let ttl = Duration::from_secs(exchanged.expires_in.saturating_sub(30).max(1));
    if let Err(err) = state.backends.cache.set_json(&cache_key, &entry, ttl).await {
        tracing::warn!(error = %format!("{err:#}"), "exchanged API key not cached");
    }
    Ok(exchanged.access_token)
}

fn not_exchanged(e: CallError) -> ApiError {
    match (&e.failure, e.problem()) {
        // The tenants service explains refusals (unknown key, cancelled tenant); pass them on.
        (Failure::Refused { status: 400..=499, .. }, Some(problem)) => relay(problem.clone()),
        (Failure::Refused { status, .. }, _) => {
            ApiError::new(ErrorCode::UpstreamUnavailable, format!("API key check failed ({status})"))
        }
        (Failure::Unreachable(_), _) => {
            tracing::warn!(error = %e, "API key exchange failed");
            ApiError::new(ErrorCode::UpstreamUnavailable, "API keys cannot be checked right now")
        }
        (Failure::Unreadable(_), _) => ApiError::internal(e),
    }
}

fn relay(problem: Problem) -> ApiError {
    let code =
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == problem.code).unwrap_or(ErrorCode::InvalidToken);
    ApiError::new(code, problem.detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn api_keys_come_from_either_header() {
        let a = TestRequest::default().insert_header(("x-api-key", "cnp_abc")).to_http_request();
        assert_eq!(api_key(&a), Some("cnp_abc"));
        let b = TestRequest::default().insert_header(("authorization", "ApiKey cnp_def")).to_http_request();
        assert_eq!(api_key(&b), Some("cnp_def"));
        let c = TestRequest::default().insert_header(("authorization", "Bearer x.y.z")).to_http_request();
        assert_eq!(api_key(&c), None);
    }
}

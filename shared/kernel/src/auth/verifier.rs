use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::Mutex;

use async_trait::async_trait;

use super::{Claims, Jwks};
use crate::client::ServiceClient;

/// Where a verifier learns the current public keys.
#[async_trait]
pub trait KeySource: Send + Sync {
    async fn fetch(&self) -> anyhow::Result<Jwks>;
}

/// The tenants service's `/.well-known/jwks.json`.
#[async_trait]
impl KeySource for ServiceClient {
    async fn fetch(&self) -> anyhow::Result<Jwks> {
        self.get_json("/.well-known/jwks.json").await
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(&'static str),
    #[error("the keys to check tokens are unavailable")]
    KeysUnavailable,
}

/// Verifies access tokens against the tenants service's public keys.
///
/// Keys are cached; an unknown `kid` triggers one refresh of the JWKS (at most once per
/// `min_refresh`), so a key rotation is picked up without a restart and a flood of made-up
/// key ids cannot turn into a flood of fetches.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    source: Option<Box<dyn KeySource>>,
    min_refresh: Duration,
    last_refresh: Mutex<Option<Instant>>,
}

impl TokenVerifier {
    fn validation(issuer: &str, audience: &str) -> Validation {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        validation
    }

    /// A verifier that knows its keys up front (the tenants service itself).
    pub fn with_keys(issuer: &str, audience: &str, jwks: &Jwks) -> Self {
        let verifier = Self {
            keys: RwLock::new(HashMap::new()),
            validation: Self::validation(issuer, audience),
            source: None,
            min_refresh: Duration::from_secs(10),
            last_refresh: Mutex::new(None),
        };
        verifier.replace_keys(jwks);
        verifier
    }

    /// A verifier that learns keys from `source` (the tenants service's JWKS, or its key table).
    pub fn from_source(
        issuer: &str,
        audience: &str,
        source: impl KeySource + 'static,
        min_refresh: Duration,
    ) -> Self {
        Self {
            keys: RwLock::new(HashMap::new()),
            validation: Self::validation(issuer, audience),
            source: Some(Box::new(source)),
            min_refresh,
            last_refresh: Mutex::new(None),
        }
    }

    pub fn replace_keys(&self, jwks: &Jwks) {
        let keys = jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
            .filter_map(|k| DecodingKey::from_ed_components(&k.x).ok().map(|d| (k.kid.clone(), d)))
            .collect();
        if let Ok(mut guard) = self.keys.write() {
            *guard = keys;
        }
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok().and_then(|keys| keys.get(kid).cloned())
    }

    /// Fetches the JWKS unless another fetch happened within `min_refresh`.
    async fn refresh(&self) -> Result<(), AuthError> {
        let Some(source) = &self.source else { return Ok(()) };
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return Ok(());
        }
        *last = Some(Instant::now());
        let jwks = source.fetch().await.map_err(|err| {
            tracing::warn!(error = %format!("{err:#}"), "JWKS fetch failed");
            AuthError::KeysUnavailable
        })?;
        self.replace_keys(&jwks);
        Ok(())
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid("unsupported signing algorithm"));
        }
        let kid = header.kid.ok_or(AuthError::Invalid("the token names no key"))?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(&kid).ok_or(AuthError::Invalid("the token is signed with an unknown key"))?
            }
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::Invalid("the token is not valid yet"),
                ErrorKind::InvalidSignature => AuthError::Invalid("bad signature"),
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    AuthError::Invalid("wrong issuer or audience")
                }
                _ => AuthError::Invalid("malformed token"),
            })?;
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PrincipalKind, Role, SigningKey, TokenKind, TokenSigner};
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(exp_in: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            iss: "canopy".into(),
            aud: "canopy".into(),
            sub: uuid::Uuid::now_v7(),
            tid: Some(uuid::Uuid::now_v7()),
            roles: vec![Role::Requester],
            kind: PrincipalKind::User,
            typ: TokenKind::Access,
            scope: None,
            iat: now,
            nbf: now,
            exp: now + exp_in,
            jti: uuid::Uuid::new_v4(),
            generation: 0,
        }
    }

    fn setup() -> (SigningKey, TokenVerifier) {
        let key = SigningKey::generate().unwrap();
        let verifier = TokenVerifier::with_keys("canopy", "canopy", &Jwks { keys: vec![key.jwk()] });
        (key, verifier)
    }

    #[tokio::test]
    async fn a_signed_token_verifies() {
        let (key, verifier) = setup();
        let c = claims(60);
        let token = TokenSigner::new(&key).sign(&c).unwrap();
        assert_eq!(verifier.verify(&token).await, Ok(c));
    }

    #[tokio::test]
    async fn expired_and_tampered_tokens_fail() {
        let (key, verifier) = setup();
        let signer = TokenSigner::new(&key);
        let expired = signer.sign(&claims(-120)).unwrap();
        assert_eq!(verifier.verify(&expired).await, Err(AuthError::Expired));

        let token = signer.sign(&claims(60)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["roles"] = serde_json::json!(["provider_admin"]);
        parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
        assert!(matches!(verifier.verify(&parts.join(".")).await, Err(AuthError::Invalid(_))));
    }

    #[tokio::test]
    async fn none_and_hmac_algorithms_are_refused() {
        let (key, verifier) = setup();
        let c = claims(60);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(verifier.verify(&none).await.is_err());

        // HS256 keyed with the public key bytes: the classic algorithm-confusion attack.
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some(key.kid().to_owned());
        let public = URL_SAFE_NO_PAD.decode(key.jwk().x).unwrap();
        let forged =
            jsonwebtoken::encode(&header, &c, &jsonwebtoken::EncodingKey::from_secret(&public)).unwrap();
        assert_eq!(verifier.verify(&forged).await, Err(AuthError::Invalid("unsupported signing algorithm")));
    }

    #[tokio::test]
    async fn a_key_outside_the_jwks_is_refused() {
        let (_, verifier) = setup();
        let other = SigningKey::generate().unwrap();
        let token = TokenSigner::new(&other).sign(&claims(60)).unwrap();
        assert!(matches!(verifier.verify(&token).await, Err(AuthError::Invalid(_))));
    }
}

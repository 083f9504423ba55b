//! Who is calling: roles, token claims, EdDSA signing (tenants service) and verification
//! from the JWKS (everyone).

mod claims;
mod keys;
mod verifier;

pub use claims::{Claims, PrincipalKind, Role, TokenKind};
pub use keys::{Jwk, Jwks, SigningKey, TokenSigner};
pub use verifier::{AuthError, KeySource, TokenVerifier};

/// Cache entries shared by the tenants service (which writes or drops them) and the gateway.
pub mod cache_keys {
    /// An API key already exchanged for an access token, by the key's visible prefix.
    pub fn api_key(prefix: &str) -> String {
        format!("api-key:{prefix}")
    }

    /// An access token revoked at sign-out, until it expires.
    pub fn revoked_token(jti: uuid::Uuid) -> String {
        format!("revoked-jti:{jti}")
    }
}

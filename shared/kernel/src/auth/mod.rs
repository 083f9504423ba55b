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

    /// The cursor of the newest access revocation (sign-out, deactivation, role or password
    /// change, cancellation), set by the tenants service after it commits one. Only a hint
    /// that lets verifiers notice at once that their replica is behind: the revocations
    /// themselves live in the tenants database.
    pub const REVOCATION_HEAD: &str = "access-revocations:head";
}

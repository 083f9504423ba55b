//! Who is calling: roles, token claims, EdDSA signing (tenants service) and verification
//! from the JWKS (everyone).

mod claims;
mod keys;
mod verifier;

pub use claims::{Claims, PrincipalKind, Role, TokenKind};
pub use keys::{Jwk, Jwks, SigningKey, TokenSigner};
pub use verifier::{AuthError, KeySource, TokenVerifier};

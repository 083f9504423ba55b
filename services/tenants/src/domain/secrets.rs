//! Passwords (argon2id), refresh tokens and API keys (random, stored as SHA-256).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct PasswordHasherConfig {
    params: Params,
    /// Verified against when the email is unknown, so both cases take the same time.
    dummy_hash: String,
}

impl PasswordHasherConfig {
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Self> {
        let params =
            Params::new(memory_kib, iterations, 1, None).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        let mut config = Self { params, dummy_hash: String::new() };
        config.dummy_hash = config.hash(&random_token(24))?;
        Ok(config)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Ok(self
            .argon()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
            .to_string())
    }

    /// True when `password` matches `stored`; with `None`, checks a dummy and answers false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let target = stored.unwrap_or(&self.dummy_hash);
        let ok = PasswordHash::new(target)
            .map(|parsed| self.argon().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && stored.is_some()
    }
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(buf.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time comparison of two hex digests.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn new_refresh_token() -> String {
    format!("crt_{}", random_token(32))
}

pub const API_KEY_PREFIX: &str = "cnp_";

/// A new API key: (the full key, shown once; its visible prefix).
pub fn new_api_key() -> (String, String) {
    let mut rng = rand::thread_rng();
    let mut word = |n: usize| -> String {
        (&mut rng).sample_iter(&Alphanumeric).take(n).map(char::from).collect::<String>().to_lowercase()
    };
    let prefix = format!("{API_KEY_PREFIX}{}", word(8));
    let secret = word(40);
    (format!("{prefix}_{secret}"), prefix)
}

/// The visible prefix of a presented key, if it has our shape.
pub fn api_key_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 8 && secret.len() >= 32).then(|| &key[..API_KEY_PREFIX.len() + 8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hasher = PasswordHasherConfig::new(8 * 1024, 1).unwrap();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse battery", Some(&hash)));
        assert!(!hasher.verify("wrong horse battery", Some(&hash)));
        assert!(!hasher.verify("correct horse battery", None));
    }

    #[test]
    fn api_keys_have_a_recognisable_prefix() {
        let (key, prefix) = new_api_key();
        assert_eq!(api_key_prefix(&key), Some(prefix.as_str()));
        assert!(key.len() > 50);
        assert_eq!(api_key_prefix("cnp_short_x"), None);
        assert_eq!(api_key_prefix("Bearer abc"), None);
    }
}

//! TOTP second factors (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), through `totp-rs`.
//! Codes of the step before and after are accepted (clock drift); a step is accepted once.

use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: u64 = 30;
const DIGITS: usize = 6;

/// A new secret: 160 random bits (RFC 4226's recommendation), base32 as apps take it.
pub fn new_secret() -> String {
    let mut raw = [0u8; 20];
    rand::thread_rng().fill(&mut raw);
    Secret::Raw(raw.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, issuer: &str, account: &str) -> anyhow::Result<TOTP> {
    let bytes =
        Secret::Encoded(secret.to_owned()).to_bytes().map_err(|e| anyhow::anyhow!("totp secret: {e:?}"))?;
    // Authenticator apps refuse `:` in the issuer and account.
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        bytes,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| anyhow::anyhow!("totp: {e:?}"))
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret: &str, issuer: &str, account: &str) -> anyhow::Result<String> {
    Ok(totp(secret, issuer, account)?.get_url())
}

/// The step a code is valid for at `unix_secs` (this step, the one before or after), if any.
pub fn matching_step(secret: &str, code: &str, unix_secs: i64) -> anyhow::Result<Option<i64>> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret, "x", "x")?;
    let now = unix_secs.max(0) / STEP_SECS as i64;
    let mut found = None;
    // Every candidate is computed and compared (no early exit).
    for step in [now - 1, now, now + 1] {
        let Ok(at) = u64::try_from(step) else { continue };
        let expected = totp.generate(at * STEP_SECS);
        let same = expected.bytes().zip(code.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_its_neighbours_only() {
        let secret = new_secret();
        let at = 1_764_547_200i64; // a step boundary
        let code = totp(&secret, "x", "x").unwrap().generate(at as u64);
        assert_eq!(matching_step(&secret, &code, at).unwrap(), Some(at / 30));
        assert_eq!(matching_step(&secret, &code, at + 29).unwrap(), Some(at / 30));
        assert_eq!(matching_step(&secret, &code, at + 30).unwrap(), Some(at / 30));
        assert_eq!(matching_step(&secret, &code, at + 90).unwrap(), None);
        assert_eq!(matching_step(&secret, "12a456", at).unwrap(), None);
    }

    #[test]
    fn the_rfc_6238_sha1_vector_holds() {
        // RFC 6238, appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits).
        let raw = b"12345678901234567890".to_vec();
        let totp = TOTP::new_unchecked(Algorithm::SHA1, 8, 1, 30, raw, None, String::new());
        assert_eq!(totp.generate(59), "94287082");
    }

    #[test]
    fn the_url_names_issuer_account_and_secret() {
        let secret = new_secret();
        let url = otpauth_url(&secret, "Canopy", "li.wei@acme.example").unwrap();
        assert!(url.starts_with("otpauth://totp/Canopy:li.wei"), "{url}");
        assert!(url.contains(&format!("secret={secret}")), "{url}");
    }
}

//! Outgoing webhooks: which events a hook wants, how a delivery is signed, and how long to
//! wait before trying again.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Webhook;

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Canopy-Signature";

/// True when `hook` is active and subscribed to `event_type` (or to everything).
pub fn wants(hook: &Webhook, event_type: &str) -> bool {
    hook.active && hook.events.iter().any(|e| e == "*" || e == event_type)
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds). The
/// timestamp is signed with the body, so a captured delivery cannot be replayed later.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// The wait after failed attempt number `attempt` (1-based): `base`, then doubling, at most
/// six hours.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    const CAP: Duration = Duration::from_secs(6 * 3600);
    let factor = 1u32.checked_shl(attempt.saturating_sub(1).min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).map_or(CAP, |d| d.min(CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_hand_computed_hmac() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec_0123456789abcdef'
        assert_eq!(
            signature("whsec_0123456789abcdef", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=9f5e37cdc7ea587c7c02062d93283cad000d66a831b2a1676418696db47ed6c2"
        );
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_cap() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 12), Duration::from_secs(6 * 3600));
        assert_eq!(backoff(base, u32::MAX), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn hooks_take_their_events_or_everything() {
        let mut hook = Webhook {
            id: uuid::Uuid::nil(),
            url: "https://example.test/hook".into(),
            events: vec!["sla.breached".into()],
            active: true,
            secret: None,
            secret_hint: None,
        };
        assert!(wants(&hook, "sla.breached"));
        assert!(!wants(&hook, "ticket.created"));
        hook.events = vec!["*".into()];
        assert!(wants(&hook, "ticket.created"));
        hook.active = false;
        assert!(!wants(&hook, "ticket.created"));
    }
}

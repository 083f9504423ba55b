//! The tenants service's own settings, beside the common ones.

use serde::{Deserialize, Serialize};

use canopy_kernel::config::{Configuration, Settings};

/// Everything the tenants service is configured with: the common settings and its webhooks.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantsConfig {
    #[serde(flatten)]
    pub common: Settings,
    pub webhooks: WebhookSettings,
    pub login: LoginSecuritySettings,
}

canopy_kernel::with_common_settings!(TenantsConfig);

impl Configuration for TenantsConfig {}

/// Outgoing tenant webhooks: how patiently deliveries are retried.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// The wait before the first retry; each further retry waits twice as long (capped at 6 h).
    pub retry_base_ms: u64,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout_ms: u64,
    /// How often the sender looks for due deliveries.
    pub poll_interval_ms: u64,
    /// Deliver to loopback and private networks too (development and tests only): by default
    /// a webhook whose host resolves to such an address is refused, so tenants cannot use
    /// webhooks to probe the provider's network.
    pub allow_private_targets: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_base_ms: 30_000,
            max_attempts: 10,
            timeout_ms: 10_000,
            poll_interval_ms: 1_000,
            allow_private_targets: false,
        }
    }
}

/// How sign-in is protected beyond the gateway's per-address limit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginSecuritySettings {
    /// Failures for one e-mail (known or not) before each further attempt must wait.
    pub max_failures: u32,
    /// The first wait; each further failure doubles it, up to `max_delay_secs`.
    pub base_delay_secs: u64,
    pub max_delay_secs: u64,
    /// An account's failures are forgotten after this long without one (and on success).
    pub reset_after_secs: u64,
    /// Provider staff must enrol a TOTP second factor: until they do, a sign-in still
    /// succeeds but its answer says `totp_enrollment_required`.
    pub require_staff_totp: bool,
    /// The issuer authenticator apps show beside the account.
    pub totp_issuer: String,
}

impl Default for LoginSecuritySettings {
    fn default() -> Self {
        Self {
            max_failures: 5,
            base_delay_secs: 1,
            max_delay_secs: 900,
            reset_after_secs: 3600,
            require_staff_totp: false,
            totp_issuer: "Canopy".into(),
        }
    }
}

impl LoginSecuritySettings {
    /// How long the account must wait after its `failures`-th failure in a row (zero below
    /// the threshold): 1 s, 2 s, 4 s … capped.
    pub fn delay_after(&self, failures: u32) -> std::time::Duration {
        let Some(over) = failures.checked_sub(self.max_failures.max(1)) else {
            return std::time::Duration::ZERO;
        };
        let factor = 1u64.checked_shl(over.min(40)).unwrap_or(u64::MAX);
        std::time::Duration::from_secs(self.base_delay_secs.saturating_mul(factor).min(self.max_delay_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_threshold_up_to_the_cap() {
        let s = LoginSecuritySettings::default();
        let secs = |n| s.delay_after(n).as_secs();
        assert_eq!((secs(0), secs(4)), (0, 0));
        assert_eq!((secs(5), secs(6), secs(7), secs(8)), (1, 2, 4, 8));
        assert_eq!((secs(14), secs(15), secs(100), secs(u32::MAX)), (512, 900, 900, 900));
    }
}

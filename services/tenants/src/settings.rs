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

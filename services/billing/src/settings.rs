//! The billing service's own settings, beside the common ones.

use serde::{Deserialize, Serialize};

use canopy_kernel::config::{Configuration, Secret, Settings};

/// Everything the billing service is configured with: the common settings and its own section.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingConfig {
    #[serde(flatten)]
    pub common: Settings,
    pub billing: BillingSettings,
}

canopy_kernel::with_common_settings!(BillingConfig);

impl Configuration for BillingConfig {
    fn check(&self, problems: &mut Vec<String>) {
        let billing = &self.billing;
        if billing.provider == ProviderKind::Stripe
            && (billing.stripe_secret_key.is_none() || billing.stripe_webhook_secret.is_none())
        {
            problems.push(
                "billing: the stripe provider needs billing.stripe_secret_key and billing.stripe_webhook_secret"
                    .into(),
            );
        }
    }
}

/// Where issued invoices are settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The local ledger: finance records payments (the embedded default).
    Ledger,
    Stripe,
}

impl ProviderKind {
    /// The name invoices carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ledger => "ledger",
            Self::Stripe => "stripe",
        }
    }
}

/// Billing: days an invoice may stay unpaid past its due date before the tenant is suspended;
/// the payment provider (`ledger`, the embedded default, or `stripe`) and Stripe's keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingSettings {
    pub grace_days: u32,
    pub provider: ProviderKind,
    pub stripe_secret_key: Option<Secret<String>>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Stripe's API base; only tests change it (a local server with recorded answers).
    pub stripe_api_base: String,
    /// How often the payment worker looks for invoices to hand to the provider.
    pub outbox_interval_ms: u64,
}

impl Default for BillingSettings {
    fn default() -> Self {
        Self {
            grace_days: 14,
            provider: ProviderKind::Ledger,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com".into(),
            outbox_interval_ms: 1_000,
        }
    }
}

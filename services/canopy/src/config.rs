//! The configuration of the whole platform, composed of the common settings and every
//! service's own sections; each service is handed its part.

use serde::{Deserialize, Serialize};

use canopy_billing::settings::{BillingConfig, BillingSettings};
use canopy_kernel::config::{Configuration, Settings};
use canopy_scheduler::settings::{SchedulerConfig, SchedulerSettings};
use canopy_tenants::settings::{LoginSecuritySettings, TenantsConfig, WebhookSettings};
use canopy_ticketing::settings::{EventSettings, SlaSettings, TicketingConfig};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformConfig {
    #[serde(flatten)]
    pub common: Settings,
    /// The tenants service's outgoing webhooks.
    pub webhooks: WebhookSettings,
    /// Sign-in protection: per-account failure delays, second factors.
    pub login: LoginSecuritySettings,
    /// Ticketing's SLA clocks and events.
    pub sla: SlaSettings,
    pub events: EventSettings,
    pub scheduler: SchedulerSettings,
    pub billing: BillingSettings,
}

canopy_kernel::with_common_settings!(PlatformConfig);

impl Configuration for PlatformConfig {
    fn check(&self, problems: &mut Vec<String>) {
        self.tenants().check(problems);
        self.ticketing().check(problems);
        self.scheduler().check(problems);
        self.billing().check(problems);
    }
}

impl PlatformConfig {
    pub fn tenants(&self) -> TenantsConfig {
        TenantsConfig {
            common: self.common.clone(),
            webhooks: self.webhooks.clone(),
            login: self.login.clone(),
        }
    }

    pub fn ticketing(&self) -> TicketingConfig {
        TicketingConfig { common: self.common.clone(), sla: self.sla.clone(), events: self.events.clone() }
    }

    pub fn scheduler(&self) -> SchedulerConfig {
        SchedulerConfig { common: self.common.clone(), scheduler: self.scheduler.clone() }
    }

    pub fn billing(&self) -> BillingConfig {
        BillingConfig { common: self.common.clone(), billing: self.billing.clone() }
    }
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Serialized, Toml};

    use canopy_billing::settings::ProviderKind;
    use canopy_kernel::config::ConfigError;

    use super::*;

    fn layered(toml: &str) -> Result<PlatformConfig, Box<figment::Error>> {
        Figment::from(Serialized::defaults(PlatformConfig::default()))
            .merge(Toml::string(toml))
            .extract()
            .map_err(Box::new)
    }

    #[test]
    fn defaults_are_valid() {
        PlatformConfig::default().validate_all().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn each_section_reaches_its_service_and_the_common_ones_every_service() {
        let config = layered(
            r#"
            listen = "127.0.0.1:9000"
            [auth]
            issuer = "acme-msp"
            [sla]
            watch_interval_ms = 250
            [scheduler]
            tick_ms = 20
            [billing]
            provider = "stripe"
            [webhooks]
            max_attempts = 3
            "#,
        )
        .unwrap();
        assert_eq!(config.ticketing().sla.watch_interval_ms, 250);
        assert_eq!(config.scheduler().scheduler.tick_ms, 20);
        assert_eq!(config.billing().billing.provider, ProviderKind::Stripe);
        assert_eq!(config.tenants().webhooks.max_attempts, 3);
        for common in [&config.ticketing().common, &config.billing().common, &config.tenants().common] {
            assert_eq!(common.listen, "127.0.0.1:9000");
            assert_eq!(common.auth.issuer, "acme-msp");
        }
    }

    #[test]
    fn problems_of_every_section_are_reported_together() {
        let mut config = layered("listen = \"nowhere\"\n[billing]\nprovider = \"stripe\"\n").unwrap();
        config.sla.watch_interval_ms = 1;
        let Err(ConfigError::Invalid(problems)) = config.validate_all() else { panic!("expected invalid") };
        assert!(problems.iter().any(|p| p.starts_with("listen")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("billing: the stripe provider")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("sla.watch_interval_ms")), "{problems:?}");
    }

    #[test]
    fn a_provider_that_does_not_exist_is_refused() {
        let err =
            layered("[billing]\nprovider = \"paypal\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("paypal") && err.contains("stripe"), "{err}");
    }
}

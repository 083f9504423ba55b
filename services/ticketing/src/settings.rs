//! The ticketing service's own settings, beside the common ones.

use serde::{Deserialize, Serialize};

use canopy_kernel::config::{Configuration, Settings};

/// Everything the ticketing service is configured with: the common settings, SLA clocks and
/// events.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketingConfig {
    #[serde(flatten)]
    pub common: Settings,
    pub sla: SlaSettings,
    pub events: EventSettings,
}

canopy_kernel::with_common_settings!(TicketingConfig);

impl Configuration for TicketingConfig {
    fn check(&self, problems: &mut Vec<String>) {
        if self.sla.warning_bp.iter().any(|bp| !(1..10_000).contains(bp))
            || !self.sla.warning_bp.windows(2).all(|w| w[0] < w[1])
        {
            problems.push("sla.warning_bp: ascending basis points between 1 and 9999".into());
        }
        if !(50..=60_000).contains(&self.sla.watch_interval_ms) {
            problems.push("sla.watch_interval_ms: must be 50–60000".into());
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaSettings {
    /// Warnings go out when this share of a target is used, in basis points (7500 = 75 %).
    pub warning_bp: Vec<u32>,
    /// How often the breach watch looks at the next deadlines.
    pub watch_interval_ms: u64,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self { warning_bp: vec![7500, 9000], watch_interval_ms: 500 }
    }
}

/// Domain events leaving a service through its outbox.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct EventSettings {
    /// How often the outbox worker looks for events written but not yet published.
    pub outbox_interval_ms: u64,
    /// Monitoring agents' batches being written at once per replica; more wait up to
    /// `ingest_wait_ms` for a turn, then are answered 429 (back-pressure, nothing lost).
    pub ingest_max_in_flight: usize,
    pub ingest_wait_ms: u64,
    /// Events in one batch, at most.
    pub ingest_max_batch: usize,
    /// How long an event sent again (an agent retrying) is recognised as a duplicate.
    pub ingest_dedup_secs: u64,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            outbox_interval_ms: 100,
            ingest_max_in_flight: 8,
            ingest_wait_ms: 250,
            ingest_max_batch: 1000,
            ingest_dedup_secs: 3600,
        }
    }
}

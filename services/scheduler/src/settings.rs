//! The scheduler's own settings, beside the common ones.

use serde::{Deserialize, Serialize};

use canopy_kernel::config::{Configuration, Settings};

/// Everything the scheduler is configured with: the common settings and its own section.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulerConfig {
    #[serde(flatten)]
    pub common: Settings,
    pub scheduler: SchedulerSettings,
}

canopy_kernel::with_common_settings!(SchedulerConfig);

impl Configuration for SchedulerConfig {}

/// Recurring jobs: how often a scheduler replica looks for due ticks, and how long a run is
/// held by its replica without renewal before another takes it over.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulerSettings {
    pub tick_ms: u64,
    pub lease_secs: u64,
    /// Attempts at a run (its own and takeovers) before it is marked failed.
    pub max_attempts: u32,
    /// On-site rounds: how long a visit lasts on site, how fast engineers travel between
    /// sites (km/h, after the road factor stretches straight lines into roads), and how much
    /// shorter a new plan must drive to replace the one in force when it is otherwise no
    /// better (percent).
    pub visit_minutes: u32,
    pub travel_kmh: u32,
    pub road_factor_percent: u32,
    pub replan_threshold_percent: u32,
    /// The solver's time budget per optimisation unless the request sets one (seconds).
    pub optimize_budget_secs: u32,
    /// Whether the scheduler installs its system jobs (shift handover every 5 minutes,
    /// hourly re-planning of the day's rounds) when it starts.
    pub system_jobs: bool,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            tick_ms: 1_000,
            lease_secs: 60,
            max_attempts: 5,
            visit_minutes: 60,
            travel_kmh: 30,
            road_factor_percent: 130,
            replan_threshold_percent: 5,
            optimize_budget_secs: 5,
            system_jobs: true,
        }
    }
}

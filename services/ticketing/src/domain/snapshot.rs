//! The SLA a ticket is judged by, copied onto it when it is raised: later changes to the
//! contract or calendar recalculate explicitly, never silently.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_api::catalog::EffectivePolicy;
use canopy_api::events::ContractPolicy;
use canopy_api::tenants::TenantConfig;
use canopy_sla::{BusinessCalendar, CalendarSpec, Coverage, Priority, TargetTable, Targets};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PolicySnapshot {
    pub contract_id: Uuid,
    pub tier_name: String,
    pub coverage: Coverage,
    pub timezone: String,
    /// The tenant's calendar when the tier covers business hours only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_calendar: Option<CalendarSpec>,
    #[schema(value_type = std::collections::BTreeMap<String, Targets>)]
    pub targets: TargetTable,
    /// When a contract change put this policy on an open ticket (absent when copied at
    /// creation): an older announcement never replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
}

impl PolicySnapshot {
    /// The tenant's policy in force, as a new ticket copies it: the calendar only matters
    /// (and is kept) for business-hours coverage.
    pub fn in_force(p: EffectivePolicy, config: &TenantConfig) -> Self {
        Self {
            contract_id: p.contract_id,
            tier_name: p.tier_name,
            coverage: p.coverage,
            timezone: config.timezone.clone(),
            business_calendar: (p.coverage == Coverage::BusinessHours)
                .then(|| config.business_calendar.clone()),
            targets: p.targets,
            as_of: None,
        }
    }

    /// The policy a contract change announced at `at`.
    pub fn announced(p: ContractPolicy, at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            contract_id: p.contract_id,
            tier_name: p.tier_name,
            coverage: p.coverage,
            timezone: p.timezone,
            business_calendar: p.business_calendar,
            targets: p.targets,
            as_of: Some(at),
        }
    }

    pub fn calendar(&self) -> BusinessCalendar {
        match (&self.coverage, &self.business_calendar) {
            (Coverage::BusinessHours, Some(spec)) => {
                BusinessCalendar::new(&self.timezone, spec).unwrap_or_else(|_| BusinessCalendar::always())
            }
            _ => BusinessCalendar::always(),
        }
    }

    /// The same terms (contract, tier, coverage, calendar, targets), whenever they were copied.
    pub fn same_terms(&self, other: &Self) -> bool {
        Self { as_of: None, ..self.clone() } == Self { as_of: None, ..other.clone() }
    }

    pub fn targets(&self, priority: Priority) -> Targets {
        self.targets.get(&priority).copied().unwrap_or_default()
    }
}

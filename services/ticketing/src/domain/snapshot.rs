//! The SLA a ticket is judged by, copied onto it when it is raised: later changes to the
//! contract or calendar recalculate explicitly, never silently.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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

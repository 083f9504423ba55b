//! What a recurring job does when it runs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use canopy_kernel::Violations;
use canopy_kernel::validate::clean_text;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = JobAction)]
pub enum Action {
    /// Opens a service request for the schedule's tenant: the daily health inspection, the
    /// weekly backup verification, the monthly patch review.
    OpenTicket {
        title: String,
        #[serde(default)]
        description: String,
        /// One of the tenant's categories.
        category: String,
        #[serde(default = "low")]
        impact: String,
        #[serde(default = "low")]
        urgency: String,
    },
    /// A system job: the tickets of engineers gone off shift, due before they are back, go to
    /// someone working.
    ShiftHandover,
    /// A system job: plans the on-site rounds of the day (`days_ahead` 0) or a coming day, and
    /// publishes the plan when it beats the one in force.
    PlanRounds {
        #[serde(default)]
        region: Option<String>,
        #[serde(default)]
        days_ahead: u8,
    },
    /// A system job: bills the month that ended before the tick (the billing service's run,
    /// idempotent per tenant and period).
    BillingRun,
    /// A system job: billing's dunning (suspend tenants with overdue invoices, reinstate
    /// those that paid).
    Dunning,
    /// A system job: the monthly IT service report of the month that ended, made for every
    /// tenant and announced to each (ticketing's report run; once per tenant and month).
    MonthlyReports,
}

fn low() -> String {
    "low".into()
}

impl Action {
    /// A system job runs for the whole provider, not for a tenant.
    pub fn is_system(&self) -> bool {
        !matches!(self, Action::OpenTicket { .. })
    }

    pub fn validate(&mut self, v: &mut Violations) {
        match self {
            Action::ShiftHandover | Action::BillingRun | Action::Dunning | Action::MonthlyReports => {}
            Action::PlanRounds { region, days_ahead } => {
                if let Some(r) = region {
                    *r = r.trim().to_lowercase();
                    v.check((1..=60).contains(&r.len()), "action.region", "1–60 characters");
                }
                v.check(*days_ahead <= 7, "action.days_ahead", "0–7 days");
            }
            Action::OpenTicket { title, description, category, impact, urgency } => {
                match clean_text(title, 300) {
                    Ok(t) => *title = t,
                    Err(m) => v.add("action.title", m),
                }
                v.check(
                    description.chars().count() <= 20_000,
                    "action.description",
                    "at most 20000 characters",
                );
                for (field, value) in
                    [("action.category", category), ("action.impact", impact), ("action.urgency", urgency)]
                {
                    *value = value.trim().to_lowercase();
                    v.check((1..=40).contains(&value.len()), field, "1–40 characters");
                }
            }
        }
    }
}

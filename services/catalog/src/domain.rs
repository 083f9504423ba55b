//! The catalogue's rules: plain values checked without HTTP or storage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::Violations;
use canopy_kernel::validate::clean_text;
use canopy_sla::{Coverage, CreditPolicy, Priority, Targets};

pub use canopy_sla::TargetTable;

fn text(value: &str, max: usize, field: &str, v: &mut Violations) -> String {
    clean_text(value, max).unwrap_or_else(|m| {
        v.add(field, m);
        String::new()
    })
}

fn add_all(v: &mut Violations, problems: Vec<(String, String)>) {
    for (field, message) in problems {
        v.add(field, message);
    }
}

pub use canopy_api::catalog::{RateLimit, Unit};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// Stable key, e.g. `desktop-support`.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl NewService {
    pub fn validate(&mut self) -> Violations {
        let mut v = Violations::new();
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 40
            && self.key.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        v.check(key_ok, "key", "must be a lower-case word of at most 40 characters (a-z, 0-9, - and _)");
        self.name = text(&self.name, 120, "name", &mut v);
        if self.description.chars().count() > 2000 {
            v.add("description", "must have at most 2000 characters");
        }
        v
    }
}

/// An SLA tier, as `POST /catalog/tiers` takes it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTier {
    #[schema(example = "Gold")]
    pub name: String,
    pub coverage: Coverage,
    /// Targets for each of P1–P4; a target left out does not apply.
    #[schema(value_type = BTreeMap<String, Targets>)]
    pub targets: TargetTable,
    /// e.g. 9990 = 99.90 %.
    pub availability_target_bp: i32,
    pub credit_policy: CreditPolicy,
    /// The API rate limit of the tier's tenants; default: the gateway's setting for the tier's name.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
}

impl NewTier {
    pub fn validate(&mut self) -> Violations {
        let mut v = Violations::new();
        self.name = text(&self.name, 80, "name", &mut v);
        for p in Priority::ALL {
            match self.targets.get(&p) {
                Some(t) => add_all(&mut v, t.problems(&format!("targets.{p}"))),
                None => v.add(format!("targets.{p}"), "give the targets of every priority, P1 to P4"),
            }
        }
        // Higher priorities may not be promised slower answers than lower ones.
        for pair in Priority::ALL.windows(2) {
            let (hi, lo) = (self.targets.get(&pair[0]), self.targets.get(&pair[1]));
            if let (Some(Some(a)), Some(Some(b))) =
                (hi.map(|t| t.resolution_mins), lo.map(|t| t.resolution_mins))
                && a > b
            {
                v.add(
                    format!("targets.{}.resolution_mins", pair[0]),
                    format!("is slower than {}'s", pair[1]),
                );
            }
        }
        v.check(
            (1..=10_000).contains(&self.availability_target_bp),
            "availability_target_bp",
            "must be 1–10000 basis points",
        );
        add_all(&mut v, self.credit_policy.problems());
        if let Some(rl) = self.rate_limit {
            v.check(
                rl.requests >= 1 && (1..=3600).contains(&rl.period_secs),
                "rate_limit",
                "requests ≥ 1 per 1–3600 seconds",
            );
        }
        v
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    #[schema(example = "Gold 24x7 managed desktop")]
    pub name: String,
    pub tier_id: Uuid,
    #[serde(default)]
    pub service_ids: Vec<Uuid>,
    pub unit: Unit,
    /// Price per unit per month, in minor units of `currency` (12000 = CNY 120.00).
    pub unit_price_minor: i64,
    /// ISO 4217, e.g. `CNY`, `EUR`.
    pub currency: String,
    /// On-site minutes a month included in the price.
    #[serde(default)]
    pub included_onsite_mins: i32,
    /// Price of an hour of billable work beyond what is included, in minor units.
    #[serde(default)]
    pub extra_hour_minor: i64,
}

impl NewPlan {
    pub fn validate(&mut self) -> Violations {
        let mut v = Violations::new();
        self.name = text(&self.name, 120, "name", &mut v);
        v.check(
            (0..=1_000_000_000_000).contains(&self.unit_price_minor),
            "unit_price_minor",
            "must be between 0 and 10^12 minor units",
        );
        v.check(
            self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase()),
            "currency",
            "must be an ISO 4217 code such as CNY or EUR",
        );
        v.check(
            (0..=100_000).contains(&self.included_onsite_mins),
            "included_onsite_mins",
            "must be 0–100000",
        );
        v.check(
            (0..=100_000_000).contains(&self.extra_hour_minor),
            "extra_hour_minor",
            "must be between 0 and 10^8 minor units",
        );
        let mut seen = std::collections::HashSet::new();
        for (i, id) in self.service_ids.iter().enumerate() {
            v.check(seen.insert(*id), format!("service_ids[{i}]"), "is listed twice");
        }
        v
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    pub tenant_id: Uuid,
    pub plan_id: Uuid,
    pub quantity: i32,
    #[schema(value_type = String, example = "2026-10-01")]
    pub starts_on: NaiveDate,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<NaiveDate>,
    /// Agreed targets by priority, stricter than (or added to) the tier's.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Targets>)]
    pub overrides: TargetTable,
}

pub fn check_quantity(quantity: i32, unit: Unit, v: &mut Violations) {
    match unit {
        Unit::Flat => v.check(quantity == 1, "quantity", "a flat plan has a quantity of 1"),
        _ => v.check((1..=1_000_000).contains(&quantity), "quantity", "must be 1–1000000"),
    }
}

pub fn check_dates(starts_on: NaiveDate, ends_on: Option<NaiveDate>, v: &mut Violations) {
    if let Some(end) = ends_on {
        v.check(end >= starts_on, "ends_on", "must not be before starts_on");
    }
}

/// The tier's targets with a contract's overrides applied; looser overrides are refused.
pub fn effective_targets(
    tier: &TargetTable,
    overrides: &TargetTable,
) -> Result<TargetTable, Vec<(String, String)>> {
    let mut out = tier.clone();
    let mut problems = Vec::new();
    for (priority, agreed) in overrides {
        let base = tier.get(priority).copied().unwrap_or_default();
        match base.with_overrides(agreed, &format!("overrides.{priority}")) {
            Ok(t) => {
                out.insert(*priority, t);
            }
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Quantity × unit price, exactly; `None` on overflow.
pub fn monthly_fee(quantity: i32, unit_price_minor: i64) -> Option<i64> {
    i64::from(quantity).checked_mul(unit_price_minor)
}

/// Do two contract periods (end inclusive, open-ended when `None`) share a day?
pub fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    let a_before_b = a.1.is_some_and(|end| end < b.0);
    let b_before_a = b.1.is_some_and(|end| end < a.0);
    !a_before_b && !b_before_a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(resolution: i64) -> Targets {
        Targets {
            first_response_mins: Some(30),
            update_mins: None,
            resolution_mins: Some(resolution),
            onsite_mins: None,
        }
    }

    #[test]
    fn looser_overrides_are_refused_with_their_path() {
        let tier: TargetTable = [(Priority::P1, targets(240)), (Priority::P2, targets(480))].into();
        let ok: TargetTable =
            [(Priority::P1, Targets { resolution_mins: Some(180), ..Targets::default() })].into();
        assert_eq!(effective_targets(&tier, &ok).unwrap()[&Priority::P1].resolution_mins, Some(180));
        let loose: TargetTable =
            [(Priority::P2, Targets { resolution_mins: Some(600), ..Targets::default() })].into();
        let err = effective_targets(&tier, &loose).unwrap_err();
        assert_eq!(err[0].0, "overrides.P2.resolution_mins");
    }

    #[test]
    fn periods_overlap_inclusively() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(overlaps((d(1, 1), Some(d(3, 31))), (d(3, 31), None)));
        assert!(!overlaps((d(1, 1), Some(d(3, 30))), (d(3, 31), None)));
        assert!(overlaps((d(1, 1), None), (d(12, 1), Some(d(12, 2)))));
    }

    #[test]
    fn fees_are_exact_and_overflow_is_caught() {
        assert_eq!(monthly_fee(25, 12_000), Some(300_000));
        assert_eq!(monthly_fee(i32::MAX, i64::MAX), None);
    }
}

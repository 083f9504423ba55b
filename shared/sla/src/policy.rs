//! What a tier promises: targets per priority and metric, coverage, availability, and the
//! credit owed when a promise is broken. Shared by the catalogue (which stores it),
//! ticketing (which snapshots it onto tickets) and billing (which credits breaches).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{BusinessCalendar, SlaError};
use crate::priority::Priority;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Every hour of every day.
    #[serde(rename = "24x7")]
    AlwaysOn,
    /// The tenant's business calendar.
    BusinessHours,
}

/// Stored by its wire name (`first_response`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Metric {
    FirstResponse,
    Resolution,
    Onsite,
}

/// Targets of one priority, in covered minutes; a target left out does not apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_mins: Option<i64>,
    /// How often the customer hears of progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_mins: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_mins: Option<i64>,
    /// On-site arrival, when the ticket needs someone on site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onsite_mins: Option<i64>,
}

/// At most a year of covered minutes for any target.
pub const MAX_TARGET_MINS: i64 = 366 * 24 * 60;

impl Targets {
    fn fields(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("first_response_mins", self.first_response_mins),
            ("update_mins", self.update_mins),
            ("resolution_mins", self.resolution_mins),
            ("onsite_mins", self.onsite_mins),
        ]
    }

    /// Problems with the values: each present target between 1 minute and a year, and
    /// first response no later than resolution.
    pub fn problems(&self, path: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, value) in self.fields() {
            if let Some(v) = value
                && !(1..=MAX_TARGET_MINS).contains(&v)
            {
                out.push((
                    format!("{path}.{name}"),
                    format!("must be between 1 and {MAX_TARGET_MINS} minutes"),
                ));
            }
        }
        if let (Some(f), Some(r)) = (self.first_response_mins, self.resolution_mins)
            && f > r
        {
            out.push((format!("{path}.first_response_mins"), "cannot be later than resolution".into()));
        }
        out
    }

    /// `agreed` applied on top of these targets. Every agreed value must be at least as strict
    /// as the tier's (a target the tier leaves out may be added); looser ones are refused.
    pub fn with_overrides(&self, agreed: &Targets, path: &str) -> Result<Targets, Vec<(String, String)>> {
        let mut out = *self;
        let mut problems = agreed.problems(path);
        let slots = [
            (&mut out.first_response_mins, agreed.first_response_mins, "first_response_mins"),
            (&mut out.update_mins, agreed.update_mins, "update_mins"),
            (&mut out.resolution_mins, agreed.resolution_mins, "resolution_mins"),
            (&mut out.onsite_mins, agreed.onsite_mins, "onsite_mins"),
        ];
        for (slot, agreed, name) in slots {
            let Some(agreed) = agreed else { continue };
            match *slot {
                Some(tier) if agreed > tier => problems.push((
                    format!("{path}.{name}"),
                    format!(
                        "{agreed} minutes is looser than the tier's {tier}; overrides may only be stricter"
                    ),
                )),
                _ => *slot = Some(agreed),
            }
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    pub fn minutes(&self, metric: Metric) -> Option<i64> {
        match metric {
            Metric::FirstResponse => self.first_response_mins,
            Metric::Resolution => self.resolution_mins,
            Metric::Onsite => self.onsite_mins,
        }
    }
}

/// Targets by priority, as a tier states them.
pub type TargetTable = BTreeMap<Priority, Targets>;

/// One availability band: below `below_bp` of availability, `credit_bp` of the monthly fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBand {
    pub below_bp: i32,
    pub credit_bp: i32,
}

/// Service credits, in basis points of the contract's monthly fee.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditPolicy {
    /// Per breach, by metric and priority.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, BTreeMap<String, i32>>)]
    pub per_breach_bp: BTreeMap<Metric, BTreeMap<Priority, i32>>,
    /// Bands by availability; the lowest band reached applies.
    #[serde(default)]
    pub availability_bands: Vec<AvailabilityBand>,
    /// The most a period's credits may add up to.
    pub cap_bp: i32,
}

impl CreditPolicy {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let bp_ok = |v: i32| (0..=10_000).contains(&v);
        for (metric, per) in &self.per_breach_bp {
            for (priority, bp) in per {
                if !bp_ok(*bp) {
                    out.push((
                        format!("credit_policy.per_breach_bp.{metric}.{priority}"),
                        "must be 0–10000 basis points".into(),
                    ));
                }
            }
        }
        let mut last_below = i32::MAX;
        for (i, band) in self.availability_bands.iter().enumerate() {
            if !(1..=10_000).contains(&band.below_bp) || !bp_ok(band.credit_bp) {
                out.push((
                    format!("credit_policy.availability_bands[{i}]"),
                    "below_bp must be 1–10000 and credit_bp 0–10000".into(),
                ));
            }
            if band.below_bp >= last_below {
                out.push((
                    format!("credit_policy.availability_bands[{i}]"),
                    "list bands from the highest threshold down".into(),
                ));
            }
            last_below = band.below_bp;
        }
        if !bp_ok(self.cap_bp) {
            out.push(("credit_policy.cap_bp".into(), "must be 0–10000 basis points".into()));
        }
        out
    }
}

/// When each metric of a ticket falls due (Unix seconds); `None` where no target applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    pub onsite: Option<i64>,
}

/// The due times of a ticket raised at `start` with `targets`; on-site only when needed.
pub fn due_times(
    calendar: &BusinessCalendar,
    targets: &Targets,
    start: i64,
    onsite: bool,
) -> Result<DueTimes, SlaError> {
    let due = |mins: Option<i64>| mins.map(|m| calendar.due(start, m * 60)).transpose();
    Ok(DueTimes {
        first_response: due(targets.first_response_mins)?,
        resolution: due(targets.resolution_mins)?,
        onsite: if onsite { due(targets.onsite_mins)? } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(f: Option<i64>, r: Option<i64>, o: Option<i64>) -> Targets {
        Targets { first_response_mins: f, update_mins: None, resolution_mins: r, onsite_mins: o }
    }

    #[test]
    fn overrides_may_be_stricter_or_added_but_not_looser() {
        let tier = t(Some(15), Some(240), None);
        assert_eq!(
            tier.with_overrides(&t(None, Some(180), Some(120)), "P1"),
            Ok(t(Some(15), Some(180), Some(120)))
        );
        let err = tier.with_overrides(&t(Some(30), None, None), "P1").unwrap_err();
        assert_eq!(err[0].0, "P1.first_response_mins");
        assert!(err[0].1.contains("looser"));
    }

    #[test]
    fn metrics_are_stored_by_their_wire_names() {
        for m in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.to_string());
            assert_eq!(m.to_string().parse::<Metric>().unwrap(), m);
        }
    }

    #[test]
    fn credit_policies_are_checked() {
        let mut p = CreditPolicy { cap_bp: 3000, ..CreditPolicy::default() };
        p.availability_bands = vec![
            AvailabilityBand { below_bp: 9990, credit_bp: 1000 },
            AvailabilityBand { below_bp: 9990, credit_bp: 2500 },
        ];
        assert_eq!(p.problems().len(), 1);
        let json =
            r#"{"per_breach_bp": {"first_response": {"P1": 200}, "onsite": {"P1": 30000}}, "cap_bp": 3000}"#;
        let p: CreditPolicy = serde_json::from_str(json).unwrap();
        assert_eq!(
            p.problems(),
            vec![(
                "credit_policy.per_breach_bp.onsite.P1".to_string(),
                "must be 0–10000 basis points".to_string()
            )]
        );
    }
}

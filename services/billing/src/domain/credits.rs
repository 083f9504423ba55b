//! SLA credits of one contract for one period, by its tier's credit policy: basis points of the
//! contract's monthly fee per breach (by metric and priority), plus the availability band
//! reached, the sum capped per period. Every line names the breaches behind it; every line is
//! rounded once, half-up.

use std::collections::BTreeMap;

use canopy_sla::{CreditPolicy, Metric, Priority};

use super::money::bp_of;

// The credit lines and the breaches they name are part of the contract (invoices show them).
pub use canopy_api::billing::{Breach, CreditKind, CreditLine};

pub struct CreditInput<'a> {
    /// The contract's monthly fee (quantity × unit price), in minor units.
    pub monthly_fee: i64,
    pub policy: &'a CreditPolicy,
    /// The breaches to credit now (of this period, or found late for it).
    pub breaches: &'a [Breach],
    /// Availability in the period, when measured (basis points, 10 000 = 100 %).
    pub availability_bp: Option<i64>,
    /// Credits already given for this contract and period on earlier invoices.
    pub already_credited: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditOutcome {
    pub lines: Vec<CreditLine>,
    /// What the lines add up to: at most the cap less what was already credited.
    pub total: i64,
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::FirstResponse => "first response",
        Metric::Resolution => "resolution",
        Metric::Onsite => "on-site arrival",
    }
}

pub fn credits(input: &CreditInput<'_>) -> CreditOutcome {
    let mut lines = Vec::new();
    let mut groups: BTreeMap<(Metric, Priority), Vec<Breach>> = BTreeMap::new();
    for b in input.breaches {
        groups.entry((b.metric, b.priority)).or_default().push(b.clone());
    }
    for ((metric, priority), mut breaches) in groups {
        let per =
            input.policy.per_breach_bp.get(&metric).and_then(|p| p.get(&priority)).copied().unwrap_or(0);
        if per <= 0 {
            continue;
        }
        breaches.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.reference.cmp(&b.reference)));
        let bp = i64::from(per) * breaches.len() as i64;
        lines.push(CreditLine {
            kind: CreditKind::Breaches,
            metric: Some(metric),
            priority: Some(priority),
            bp,
            amount_minor: bp_of(input.monthly_fee, bp),
            description: format!(
                "{} × {priority:?} {} target missed, {per} bp each",
                breaches.len(),
                metric_name(metric)
            ),
            breaches,
        });
    }
    if let Some(availability) = input.availability_bp {
        // The lowest band reached: the smallest threshold the availability is below.
        if let Some(band) = input
            .policy
            .availability_bands
            .iter()
            .filter(|b| availability < i64::from(b.below_bp))
            .min_by_key(|b| b.below_bp)
        {
            let bp = i64::from(band.credit_bp);
            lines.push(CreditLine {
                kind: CreditKind::Availability,
                metric: None,
                priority: None,
                bp,
                amount_minor: bp_of(input.monthly_fee, bp),
                breaches: Vec::new(),
                description: format!(
                    "availability {}.{:02} % below {}.{:02} %",
                    availability / 100,
                    availability % 100,
                    band.below_bp / 100,
                    band.below_bp % 100
                ),
            });
        }
    }
    let earned: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let cap = bp_of(input.monthly_fee, i64::from(input.policy.cap_bp));
    let room = (cap - input.already_credited).max(0);
    if earned > room {
        lines.push(CreditLine {
            kind: CreditKind::Cap,
            metric: None,
            priority: None,
            bp: 0,
            amount_minor: room - earned,
            breaches: Vec::new(),
            description: format!(
                "capped at {} bp of the monthly fee for the period{}",
                input.policy.cap_bp,
                if input.already_credited > 0 { " (part credited before)" } else { "" }
            ),
        });
    }
    CreditOutcome { total: earned.min(room), lines }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_sla::AvailabilityBand;
    use uuid::Uuid;

    fn policy() -> CreditPolicy {
        // The design's Gold tier.
        serde_json::from_value(serde_json::json!({
            "per_breach_bp": {"first_response": {"P1": 200, "P2": 100}, "resolution": {"P1": 500, "P2": 200},
                              "onsite": {"P1": 300}},
            "availability_bands": [{"below_bp": 9990, "credit_bp": 1000}, {"below_bp": 9900, "credit_bp": 2500},
                                   {"below_bp": 9500, "credit_bp": 10000}],
            "cap_bp": 3000}))
        .unwrap()
    }

    fn breach(reference: &str, metric: Metric, priority: Priority) -> Breach {
        Breach {
            ticket_id: Uuid::nil(),
            reference: reference.into(),
            metric,
            priority,
            due_at: "2026-10-05T09:10:00Z".parse().unwrap(),
            met_at: Some("2026-10-05T10:10:00Z".parse().unwrap()),
            late_by_secs: 3600,
        }
    }

    #[test]
    fn per_breach_credits_by_metric_and_priority() {
        // Fee 25 × 120.00 = 3 000.00 (300 000 minor).
        // Two P1 resolutions: 2 × 500 bp = 10 % = 30 000; one P2 first response: 1 % = 3 000;
        // a P3 resolution earns nothing (no rate). Total 33 000 = 11 %, under the 30 % cap.
        let p = policy();
        let breaches = [
            breach("ACME-7", Metric::Resolution, Priority::P1),
            breach("ACME-3", Metric::Resolution, Priority::P1),
            breach("ACME-9", Metric::FirstResponse, Priority::P2),
            breach("ACME-12", Metric::Resolution, Priority::P3),
        ];
        let out = credits(&CreditInput {
            monthly_fee: 300_000,
            policy: &p,
            breaches: &breaches,
            availability_bp: None,
            already_credited: 0,
        });
        assert_eq!(out.total, 33_000);
        let amounts: Vec<(Option<Metric>, Option<Priority>, i64, i64)> =
            out.lines.iter().map(|l| (l.metric, l.priority, l.bp, l.amount_minor)).collect();
        assert_eq!(
            amounts,
            [
                (Some(Metric::FirstResponse), Some(Priority::P2), 100, 3_000),
                (Some(Metric::Resolution), Some(Priority::P1), 1_000, 30_000),
            ]
        );
        let refs: Vec<&str> = out.lines[1].breaches.iter().map(|b| b.reference.as_str()).collect();
        assert_eq!(refs, ["ACME-3", "ACME-7"], "each line names its breaches");
    }

    #[test]
    fn the_lowest_availability_band_reached_applies() {
        let p = policy();
        let at = |availability: i64| {
            credits(&CreditInput {
                monthly_fee: 300_000,
                policy: &p,
                breaches: &[],
                availability_bp: Some(availability),
                already_credited: 0,
            })
            .total
        };
        assert_eq!(at(9995), 0, "above 99.9 %: nothing");
        assert_eq!(at(9990), 0, "exactly at the threshold is not below it");
        assert_eq!(at(9950), 30_000, "below 99.9 %: 10 %");
        assert_eq!(at(9899), 75_000, "below 99 %: 25 %");
        // Below 95 %: 100 %, but the cap (30 %) holds.
        let out = credits(&CreditInput {
            monthly_fee: 300_000,
            policy: &p,
            breaches: &[],
            availability_bp: Some(9400),
            already_credited: 0,
        });
        assert_eq!(out.lines[0].amount_minor, 300_000);
        assert_eq!(out.lines[1].kind, CreditKind::Cap);
        assert_eq!(out.lines[1].amount_minor, -210_000);
        assert_eq!(out.total, 90_000);
        assert_eq!(out.lines[0].description, "availability 94.00 % below 95.00 %");
    }

    #[test]
    fn the_cap_counts_what_was_credited_before() {
        // Cap 30 % of 300 000 = 90 000; 80 000 already credited for the period: a late P1
        // resolution breach (15 000) earns only the 10 000 left.
        let p = policy();
        let late = [breach("ACME-40", Metric::Resolution, Priority::P1)];
        let out = credits(&CreditInput {
            monthly_fee: 300_000,
            policy: &p,
            breaches: &late,
            availability_bp: None,
            already_credited: 80_000,
        });
        assert_eq!(out.total, 10_000);
        assert_eq!(out.lines.iter().map(|l| l.amount_minor).sum::<i64>(), 10_000);
        // Already at the cap: nothing more, but the line still shows what was earned and why.
        let out = credits(&CreditInput {
            monthly_fee: 300_000,
            policy: &p,
            breaches: &late,
            availability_bp: None,
            already_credited: 90_000,
        });
        assert_eq!(out.total, 0);
        assert_eq!(out.lines.len(), 2);
    }

    #[test]
    fn each_line_rounds_once_half_up() {
        // Fee 333.33 (33 333 minor): 200 bp = 666.66 → 667; 100 bp = 333.33 → 333.
        let p = CreditPolicy {
            per_breach_bp: [(Metric::FirstResponse, [(Priority::P1, 200), (Priority::P2, 100)].into())]
                .into(),
            availability_bands: vec![AvailabilityBand { below_bp: 9990, credit_bp: 1000 }],
            cap_bp: 10_000,
        };
        let breaches = [
            breach("X-1", Metric::FirstResponse, Priority::P1),
            breach("X-2", Metric::FirstResponse, Priority::P2),
        ];
        let out = credits(&CreditInput {
            monthly_fee: 33_333,
            policy: &p,
            breaches: &breaches,
            availability_bp: None,
            already_credited: 0,
        });
        assert_eq!(out.lines.iter().map(|l| l.amount_minor).collect::<Vec<_>>(), [667, 333]);
        assert_eq!(out.total, 1_000);
    }
}

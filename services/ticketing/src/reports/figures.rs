//! The monthly IT service report's figures, worked out from what happened to each ticket —
//! pure arithmetic over [`TicketFacts`], so every figure can be checked by hand.
//!
//! - *Failures* are incidents, counted by category, and per 100 seats.
//! - A ticket is *resolved on site* when an engineer arrived (a worklog on site, or an
//!   imported arrival) or its resolution says so; otherwise remotely.
//! - *Time to arrive*: from the ticket being raised to the first arrival; *time on site*: from
//!   arrival to departure (or, without a departure, to resolution); *time to resolve*: from
//!   being raised to being resolved, of the tickets resolved in the period. Averages in whole
//!   minutes, half up.
//! - *SLA compliance* per metric and priority: of the period's tickets with that clock, the
//!   share not breached, in basis points (half up).
//! - *Satisfaction*: the average rating of the feedback on tickets resolved in the period;
//!   the *complaint rate* is complaints per ticket resolved in the period.
//! - *Backlog*: tickets raised before the period ended and still open at its end.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// What the report needs to know of one ticket.
#[derive(Clone, Debug, Default)]
pub struct TicketFacts {
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
    /// The resolution said "on site" (`Some(false)`: remotely).
    pub resolved_remotely: Option<bool>,
    /// (rating 1–5, complaint)
    pub feedback: Option<(u8, bool)>,
    /// Its SLA clocks: (metric, breached).
    pub clocks: Vec<(String, bool)>,
}

pub use canopy_api::reports::{Compliance, Figures};

fn ratio_bp(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| ((u64::from(part) * 20_000 + u64::from(whole)) / (2 * u64::from(whole))) as u32)
}

fn avg_minutes(secs: &[i64]) -> Option<i64> {
    if secs.is_empty() {
        return None;
    }
    let total: i64 = secs.iter().sum();
    let n = secs.len() as i64;
    // Whole minutes, half up: (total / 60 / n) rounded.
    Some((total * 2 + 60 * n) / (120 * n))
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

const METRICS: [&str; 3] = ["first_response", "resolution", "onsite"];

/// The figures of `[start, end)` (the period's month in the tenant's time zone), for
/// `categories` (all reported, zero or not) and `seats`.
pub fn figures(
    period: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tickets: &[TicketFacts],
    categories: &[String],
    seats: Option<u32>,
) -> Figures {
    let within = |t: DateTime<Utc>| start <= t && t < end;
    let mut f = Figures { period: period.to_owned(), seats, ..Figures::default() };
    for c in categories {
        f.failures_by_category.insert(c.clone(), 0);
    }
    let mut sla: BTreeMap<(usize, String), (u32, u32)> = BTreeMap::new();
    let (mut arrive, mut on_site, mut resolve) = (Vec::new(), Vec::new(), Vec::new());
    let mut ratings = Vec::new();
    for t in tickets {
        if within(t.created_at) {
            f.tickets += 1;
            *f.by_type.entry(t.kind.clone()).or_insert(0) += 1;
            if t.kind == "incident" {
                f.failures += 1;
                *f.failures_by_category.entry(t.category.clone()).or_insert(0) += 1;
            }
            for (metric, breached) in &t.clocks {
                let Some(m) = METRICS.iter().position(|x| x == metric) else { continue };
                let e = sla.entry((m, t.priority.clone())).or_insert((0, 0));
                e.0 += 1;
                if *breached {
                    e.1 += 1;
                    *f.breaches.entry(metric.clone()).or_insert(0) += 1;
                }
            }
        }
        if let Some(resolved_at) = t.resolved_at.filter(|r| within(*r)) {
            f.resolved += 1;
            resolve.push((resolved_at - t.created_at).num_seconds().max(0));
            let on = t.arrived_at.is_some() || t.resolved_remotely == Some(false);
            if on {
                f.resolved_on_site += 1;
            } else {
                f.resolved_remotely += 1;
            }
            if let Some(arrived) = t.arrived_at {
                f.onsite_visits += 1;
                arrive.push((arrived - t.created_at).num_seconds().max(0));
                if let Some(left) = t.departed_at.or(t.resolved_at) {
                    on_site.push((left - arrived).num_seconds().max(0));
                }
            }
            if let Some((rating, complaint)) = t.feedback {
                ratings.push(f64::from(rating));
                f.complaints += u32::from(complaint);
            }
        }
        let open_at_end = t.created_at < end
            && t.status != "cancelled"
            && t.resolved_at.is_none_or(|r| r >= end)
            && t.closed_at.is_none_or(|c| c >= end);
        f.backlog += u32::from(open_at_end);
    }
    f.failures_per_100_seats =
        seats.filter(|s| *s > 0).map(|s| two_decimals(f64::from(f.failures) * 100.0 / f64::from(s)));
    f.avg_minutes_to_arrive = avg_minutes(&arrive);
    f.avg_minutes_on_site = avg_minutes(&on_site);
    f.avg_minutes_to_resolve = avg_minutes(&resolve);
    let (mut all, mut met_all) = (0, 0);
    f.sla = sla
        .into_iter()
        .map(|((m, priority), (n, breached))| {
            all += n;
            met_all += n - breached;
            Compliance {
                metric: METRICS[m].to_owned(),
                priority,
                tickets: n,
                met: n - breached,
                breached,
                compliance_bp: ratio_bp(n - breached, n).unwrap_or(0),
            }
        })
        .collect();
    f.sla_compliance_bp = ratio_bp(met_all, all);
    f.feedback_responses = ratings.len() as u32;
    f.satisfaction =
        (!ratings.is_empty()).then(|| two_decimals(ratings.iter().sum::<f64>() / ratings.len() as f64));
    f.complaint_rate_bp = ratio_bp(f.complaints, f.resolved);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(ratio_bp(2, 3), Some(6667));
        assert_eq!(ratio_bp(1, 6), Some(1667));
        assert_eq!(ratio_bp(1, 2), Some(5000));
        assert_eq!(ratio_bp(0, 0), None);
        // 90 s and 120 s: 105 s = 1.75 min → 2; 30 s = 0.5 min → 1.
        assert_eq!(avg_minutes(&[90, 120]), Some(2));
        assert_eq!(avg_minutes(&[30]), Some(1));
        assert_eq!(avg_minutes(&[29]), Some(0));
    }

    #[test]
    fn a_small_month_by_hand() {
        let start = at("2026-09-30T16:00:00Z");
        let end = at("2026-10-31T16:00:00Z");
        let t = |kind: &str, cat: &str, created: &str| TicketFacts {
            kind: kind.into(),
            category: cat.into(),
            priority: "P2".into(),
            status: "resolved".into(),
            created_at: at(created),
            ..TicketFacts::default()
        };
        let mut a = t("incident", "network", "2026-09-30T17:00:00Z"); // 1 October, local
        a.resolved_at = Some(at("2026-10-01T01:00:00Z"));
        a.arrived_at = Some(at("2026-09-30T18:30:00Z"));
        a.departed_at = Some(at("2026-09-30T20:00:00Z"));
        a.feedback = Some((2, true));
        a.clocks = vec![("first_response".into(), false), ("resolution".into(), true)];
        let mut b = t("service_request", "software", "2026-10-03T00:00:00Z");
        b.status = "in_progress".into();
        b.clocks = vec![("first_response".into(), false)];
        let c = t("incident", "network", "2026-10-31T16:00:00Z"); // 1 November, local
        let f = figures("2026-10", start, end, &[a, b, c], &["network".into(), "hardware".into()], Some(40));
        assert_eq!(
            (f.tickets, f.failures, f.failures_by_category["network"], f.failures_by_category["hardware"]),
            (2, 1, 1, 0)
        );
        assert_eq!(f.failures_per_100_seats, Some(2.5));
        assert_eq!((f.resolved, f.resolved_on_site, f.resolved_remotely), (1, 1, 0));
        assert_eq!((f.avg_minutes_to_arrive, f.avg_minutes_on_site), (Some(90), Some(90)));
        assert_eq!(f.avg_minutes_to_resolve, Some(480), "raised 17:00, resolved 01:00");
        assert_eq!(f.sla.iter().map(|c| c.compliance_bp).collect::<Vec<_>>(), [10_000, 0]);
        assert_eq!(f.sla_compliance_bp, Some(6667));
        assert_eq!((f.satisfaction, f.complaints, f.complaint_rate_bp), (Some(2.0), 1, Some(10_000)));
        assert_eq!(f.backlog, 1, "the request still open; November's ticket is not October's");
    }
}

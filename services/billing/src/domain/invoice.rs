//! An invoice's lines: each contract's terms in the period, prorated by day; billable work
//! beyond what the plan includes; credits (negative); then tax on what is left, at the
//! tenant's rate. Each line is rounded once.

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_api::billing::{ExtraWorkDetails, LineDetails, SubscriptionDetails};

use super::money::{Period, bp_of, days_in, prorate, ratio};

/// A plan's price, as the catalogue has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPrice {
    pub plan_id: Uuid,
    pub tier_id: Uuid,
    pub name: String,
    pub unit: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub included_onsite_mins: i64,
    pub extra_hour_minor: i64,
}

/// One set of a contract's terms: from `from` until the next set (or the contract's end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    pub from: NaiveDate,
    pub plan: PlanPrice,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub contract_id: Uuid,
    pub starts_on: NaiveDate,
    /// The last day of service (inclusive), when it ends.
    pub ends_on: Option<NaiveDate>,
    /// By `from`, ascending.
    pub terms: Vec<Terms>,
}

impl Contract {
    /// The terms in force on `day`, if the contract runs then.
    pub fn terms_on(&self, day: NaiveDate) -> Option<&Terms> {
        if day < self.starts_on || self.ends_on.is_some_and(|e| day > e) {
            return None;
        }
        self.terms.iter().rev().find(|t| t.from <= day)
    }

    /// The terms that matter for a period's credits: those in force on the last day the
    /// contract ran in it.
    pub fn terms_for(&self, period: Period) -> Option<&Terms> {
        let last = period.end() - TimeDelta::days(1);
        let day = self.ends_on.map_or(last, |e| e.min(last));
        self.terms_on(day).or_else(|| self.terms.first().filter(|_| self.runs_in(period)))
    }

    pub fn runs_in(&self, period: Period) -> bool {
        days_in(period, self.starts_on, self.ends_on.map(|e| e + TimeDelta::days(1))) > 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Subscription,
    ExtraWork,
    /// SLA credits for this period.
    Credit,
    /// SLA credits for an earlier period, from breaches recorded after it was invoiced.
    LateCredit,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Subscription => "subscription",
            LineKind::ExtraWork => "extra_work",
            LineKind::Credit => "credit",
            LineKind::LateCredit => "late_credit",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    pub description: String,
    pub contract_id: Option<Uuid>,
    /// The period the line is for (an earlier one for a late credit).
    pub period: Period,
    pub quantity: i64,
    pub unit_minor: i64,
    pub amount_minor: i64,
    pub details: LineDetails,
}

/// A contract's subscription lines: one per set of terms in force in the period, prorated by
/// the days it was in force.
pub fn subscription_lines(period: Period, c: &Contract) -> Vec<Line> {
    let contract_end = c.ends_on.map(|e| e + TimeDelta::days(1));
    let mut out = Vec::new();
    for (i, t) in c.terms.iter().enumerate() {
        let from = t.from.max(c.starts_on);
        let until = match (c.terms.get(i + 1).map(|n| n.from), contract_end) {
            (Some(n), Some(e)) => Some(n.min(e)),
            (n, e) => n.or(e),
        };
        let days = days_in(period, from, until);
        if days == 0 {
            continue;
        }
        let monthly = t.plan.unit_price_minor * t.quantity;
        let amount = prorate(monthly, days, period.days());
        let whole = days >= period.days();
        out.push(Line {
            kind: LineKind::Subscription,
            description: if whole {
                format!("{} × {} {}", t.plan.name, t.quantity, t.plan.unit)
            } else {
                format!("{} × {} {}, {days} of {} days", t.plan.name, t.quantity, t.plan.unit, period.days())
            },
            contract_id: Some(c.contract_id),
            period,
            quantity: t.quantity,
            unit_minor: t.plan.unit_price_minor,
            amount_minor: amount,
            details: LineDetails::Subscription(SubscriptionDetails {
                plan_id: t.plan.plan_id,
                days,
                period_days: period.days(),
                monthly_minor: monthly,
            }),
        });
    }
    out
}

/// Billable work beyond the plan: on-site minutes past those included, and billable remote
/// minutes, at the plan's hourly rate (half-up per line).
pub fn extra_work_lines(period: Period, c: &Contract, onsite_mins: i64, remote_mins: i64) -> Vec<Line> {
    let Some(t) = c.terms_for(period) else { return Vec::new() };
    if t.plan.extra_hour_minor <= 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let beyond = (onsite_mins - t.plan.included_onsite_mins).max(0);
    for (minutes, what) in [
        (beyond, format!("On-site work beyond the {} minutes included", t.plan.included_onsite_mins)),
        (remote_mins, "Billable remote work".to_owned()),
    ] {
        if minutes > 0 {
            out.push(Line {
                kind: LineKind::ExtraWork,
                description: format!("{what}: {minutes} min"),
                contract_id: Some(c.contract_id),
                period,
                quantity: minutes,
                unit_minor: t.plan.extra_hour_minor,
                amount_minor: ratio(minutes, t.plan.extra_hour_minor, 60),
                details: LineDetails::ExtraWork(ExtraWorkDetails {
                    minutes,
                    hour_minor: t.plan.extra_hour_minor,
                }),
            });
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// Subscriptions and extra work.
    pub subtotal_minor: i64,
    /// Credits (a positive number, taken off).
    pub credits_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// Totals: tax at `tax_rate_bp` on the subtotal less credits (never on a negative amount).
pub fn totals(lines: &[Line], tax_rate_bp: i64) -> Totals {
    let subtotal: i64 = lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::Subscription | LineKind::ExtraWork))
        .map(|l| l.amount_minor)
        .sum();
    let credits: i64 = -lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::Credit | LineKind::LateCredit))
        .map(|l| l.amount_minor)
        .sum::<i64>();
    let taxable = subtotal - credits;
    let tax = bp_of(taxable.max(0), tax_rate_bp);
    Totals { subtotal_minor: subtotal, credits_minor: credits, tax_minor: tax, total_minor: taxable + tax }
}

/// What a credit note takes off an invoice already issued: the credit (no more than is left to
/// take) and the tax that falls with it — the invoice's tax on what was taxable before the note
/// less its tax on what is taxable after, so the invoice and its notes together carry exactly
/// the tax of the credited amount, rounded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteTotals {
    pub amount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// `taxable`: the invoice's subtotal less its credits; `noted_before`: what earlier notes on
/// it took off (before tax); `credit`: this note's credit.
pub fn note_totals(taxable: i64, noted_before: i64, credit: i64, tax_rate_bp: i64) -> NoteTotals {
    let left = (taxable - noted_before).max(0);
    let amount = credit.clamp(0, left);
    let tax = bp_of(left, tax_rate_bp) - bp_of(left - amount, tax_rate_bp);
    NoteTotals { amount_minor: amount, tax_minor: tax, total_minor: amount + tax }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plan(name: &str, price: i64) -> PlanPrice {
        PlanPrice {
            plan_id: Uuid::nil(),
            tier_id: Uuid::nil(),
            name: name.into(),
            unit: "seat".into(),
            unit_price_minor: price,
            currency: "CNY".into(),
            included_onsite_mins: 240,
            extra_hour_minor: 60_000,
        }
    }

    fn nov() -> Period {
        Period::parse("2026-11").unwrap()
    }

    #[test]
    fn a_whole_month_is_quantity_times_price() {
        let c = Contract {
            contract_id: Uuid::nil(),
            starts_on: day("2026-10-01"),
            ends_on: None,
            terms: vec![Terms { from: day("2026-10-01"), plan: plan("Gold", 12_000), quantity: 25 }],
        };
        let lines = subscription_lines(nov(), &c);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount_minor, 300_000);
        assert_eq!(lines[0].description, "Gold × 25 seat");
    }

    #[test]
    fn a_plan_change_mid_month_splits_the_month_by_day() {
        // 25 seats of Silver (80.00) until the 10th, then 30 seats of Gold (120.00) from the 11th:
        // Silver 200 000 × 10/30 = 66 666.67 → 66 667; Gold 360 000 × 20/30 = 240 000.
        let c = Contract {
            contract_id: Uuid::nil(),
            starts_on: day("2026-10-01"),
            ends_on: None,
            terms: vec![
                Terms { from: day("2026-10-01"), plan: plan("Silver", 8_000), quantity: 25 },
                Terms { from: day("2026-11-11"), plan: plan("Gold", 12_000), quantity: 30 },
            ],
        };
        let lines = subscription_lines(nov(), &c);
        let amounts: Vec<i64> = lines.iter().map(|l| l.amount_minor).collect();
        assert_eq!(amounts, [66_667, 240_000]);
        assert_eq!(lines[0].description, "Silver × 25 seat, 10 of 30 days");
        assert_eq!(c.terms_for(nov()).unwrap().plan.name, "Gold");
    }

    #[test]
    fn a_contract_ending_inside_the_month_counts_its_last_day() {
        // Ends on 5 November (inclusive): 5 of 30 days of 300 000 = 50 000.
        let c = Contract {
            contract_id: Uuid::nil(),
            starts_on: day("2026-09-01"),
            ends_on: Some(day("2026-11-05")),
            terms: vec![Terms { from: day("2026-09-01"), plan: plan("Gold", 12_000), quantity: 25 }],
        };
        assert_eq!(subscription_lines(nov(), &c)[0].amount_minor, 50_000);
        assert!(subscription_lines(Period::parse("2026-12").unwrap(), &c).is_empty());
        assert!(!c.runs_in(Period::parse("2026-12").unwrap()));
    }

    #[test]
    fn extra_work_beyond_the_included_minutes_at_the_hourly_rate() {
        let c = Contract {
            contract_id: Uuid::nil(),
            starts_on: day("2026-10-01"),
            ends_on: None,
            terms: vec![Terms { from: day("2026-10-01"), plan: plan("Gold", 12_000), quantity: 25 }],
        };
        // 330 on-site minutes, 240 included: 90 min at 600.00/h = 900.00; 25 remote minutes:
        // 250.00.
        let lines = extra_work_lines(nov(), &c, 330, 25);
        assert_eq!(lines.iter().map(|l| l.amount_minor).collect::<Vec<_>>(), [90_000, 25_000]);
        assert!(extra_work_lines(nov(), &c, 200, 0).is_empty());
    }

    #[test]
    fn tax_on_what_is_left_after_credits() {
        let line = |kind, amount| Line {
            kind,
            description: String::new(),
            contract_id: None,
            period: nov(),
            quantity: 1,
            unit_minor: amount,
            amount_minor: amount,
            details: LineDetails::ExtraWork(ExtraWorkDetails { minutes: 0, hour_minor: 0 }),
        };
        // 300 000 + 90 000 − 33 000 = 357 000; 13 % VAT = 46 410; total 403 410.
        let lines = [
            line(LineKind::Subscription, 300_000),
            line(LineKind::ExtraWork, 90_000),
            line(LineKind::Credit, -33_000),
        ];
        let t = totals(&lines, 1300);
        assert_eq!(
            t,
            Totals {
                subtotal_minor: 390_000,
                credits_minor: 33_000,
                tax_minor: 46_410,
                total_minor: 403_410
            }
        );
        // Credits beyond the charges leave a credit balance, untaxed.
        let t = totals(&[line(LineKind::LateCredit, -5_000)], 1300);
        assert_eq!(t.total_minor, -5_000);
        assert_eq!(t.tax_minor, 0);
    }

    #[test]
    fn a_credit_note_takes_its_tax_with_it() {
        // November: 3 000.00 − 210.00 = 2 790.00 taxable, 13 % = 362.70. A late 150.00 credit:
        // 2 640.00 taxable, 343.20 tax; the note is 150.00 + 19.50 = 169.50.
        let n = note_totals(279_000, 0, 15_000, 1300);
        assert_eq!(n, NoteTotals { amount_minor: 15_000, tax_minor: 1_950, total_minor: 16_950 });
        // Rounded once on the invoice: 5 minor units at 13 % carry 1 (0.65, half-up) and 4
        // carry 1 too (0.52), so a credit of 1 takes no tax with it.
        assert_eq!(note_totals(5, 0, 1, 1300).tax_minor, 0);
        // A second note counts the first: 100.00 taxable, 60.00 noted, a 50.00 credit takes
        // the 40.00 left (and its 5.20 tax).
        assert_eq!(
            note_totals(10_000, 6_000, 5_000, 1300),
            NoteTotals { amount_minor: 4_000, tax_minor: 520, total_minor: 4_520 }
        );
        // No tax at 0 %; nothing left to take, nothing taken.
        assert_eq!(note_totals(10_000, 0, 2_500, 0).total_minor, 2_500);
        assert_eq!(note_totals(10_000, 10_000, 2_500, 1300).total_minor, 0);
    }
}

//! Invoices as the pages show them: the list's rows with their status (an unpaid invoice past
//! its due date is overdue), and one invoice's lines, totals and every SLA credit explained —
//! the tier's rule in basis points of the monthly fee, the cap, and the breaches behind it with
//! their tickets.

use chrono::NaiveDate;

use canopy_api::billing::{
    Breach, CreditDetails, CreditKind, CreditLine, InvoiceDetail, InvoiceView, LineDetails, LineView,
};

use super::month::Month;
use super::{basis_points, tn};
use crate::format;
use crate::i18n::{Arg, Lang};
use crate::pages::Chrome;
use crate::tickets::metric_key;

/// What the invoice's status means today: `overdue` when it is unpaid past its due date
/// (billing counts due dates in UTC days, as the payment provider does).
pub fn status_of(inv: &InvoiceView, today_utc: NaiveDate) -> &'static str {
    match inv.status.as_str() {
        "issued" | "payment_failed" if inv.due_on < today_utc => "overdue",
        "issued" => "issued",
        "payment_failed" => "payment_failed",
        "paid" => "paid",
        "void" => "void",
        "draft" => "draft",
        _ => "other",
    }
}

fn money(minor: i64, currency: &str) -> String {
    format::money(minor, currency)
}

fn period_label(lang: Lang, period: &str) -> String {
    Month::parse(period).map_or_else(|| period.to_owned(), |m| m.label(lang))
}

/// One invoice in the list.
pub struct InvoiceRow {
    pub id: String,
    pub number: String,
    pub period: String,
    pub status: &'static str,
    /// The catalogue key of the status.
    pub status_key: String,
    pub total: String,
    pub credits: Option<String>,
    pub issued: String,
    pub due: String,
}

impl InvoiceRow {
    pub fn of(ctx: &Chrome, inv: &InvoiceView) -> Self {
        // Due dates are payment terms, counted in UTC days like billing's dunning.
        let status = status_of(inv, ctx.now.date_naive());
        Self {
            id: inv.id.to_string(),
            number: inv.number.clone(),
            period: period_label(ctx.lang, &inv.period),
            status,
            status_key: format!("fin-status-{status}"),
            total: money(inv.total_minor, &inv.currency),
            credits: (inv.credits_minor != 0).then(|| money(-inv.credits_minor, &inv.currency)),
            issued: format::local_day(&inv.issued_at, ctx.zone()),
            due: inv.due_on.to_string(),
        }
    }
}

/// A line of the invoice.
pub struct Line {
    pub no: i32,
    pub kind: String,
    pub description: String,
    /// How the amount came about: `12 of 30 days`, `90 min at 600.00 CNY an hour`.
    pub detail: Option<String>,
    pub period: String,
    pub quantity: String,
    pub unit: String,
    pub amount: String,
    /// Credits link to their explanation (`#credit-3`).
    pub credit_anchor: Option<String>,
}

/// A breach behind a credit.
pub struct BreachRow {
    pub reference: String,
    pub href: String,
    pub metric: String,
    pub priority: String,
    pub due: String,
    pub due_iso: String,
    pub met: String,
    pub late: String,
}

/// One line of a credit's working: the rule and what it gave.
pub struct CreditItem {
    pub kind: &'static str,
    pub rule: String,
    pub amount: String,
    pub breaches: Vec<BreachRow>,
}

/// One credit on the invoice, explained.
pub struct ExplainedCredit {
    pub anchor: String,
    pub heading: String,
    pub amount: String,
    pub facts: Vec<(String, String)>,
    pub items: Vec<CreditItem>,
}

pub struct NoteRow {
    pub number: String,
    pub description: String,
    pub status: String,
    pub total: String,
    pub created: String,
}

pub struct InvoicePage {
    pub id: String,
    pub number: String,
    pub period: String,
    pub status: &'static str,
    pub status_key: String,
    pub facts: Vec<(String, String)>,
    pub lines: Vec<Line>,
    pub totals: Vec<(String, String)>,
    pub total: String,
    pub notes: Vec<NoteRow>,
    pub credits: Vec<ExplainedCredit>,
}

fn breach_row(ctx: &Chrome, b: &Breach) -> BreachRow {
    let lang = ctx.lang;
    BreachRow {
        reference: b.reference.clone(),
        href: format!("/tickets/{}", format::url_encode(&b.reference)),
        metric: lang.t(metric_key(b.metric)),
        priority: b.priority.as_str().to_owned(),
        due: ctx.when(&b.due_at),
        due_iso: ctx.iso(&b.due_at),
        met: b.met_at.map_or_else(|| lang.t("fin-not-met"), |at| ctx.when(&at)),
        late: format::span(lang, b.late_by_secs.max(0).unsigned_abs()),
    }
}

fn credit_item(ctx: &Chrome, d: &CreditDetails, l: &CreditLine, currency: &str) -> CreditItem {
    let lang = ctx.lang;
    let amount = money(l.amount_minor, currency);
    let rule = match l.kind {
        CreditKind::Breaches => {
            let per = l.per_breach_bp().unwrap_or(l.bp);
            lang.t_with(
                "fin-rule-breaches",
                &[
                    ("count", Arg::Number(l.breaches.len() as i64)),
                    ("metric", Arg::Text(l.metric.map(|m| lang.t(metric_key(m))).unwrap_or_default())),
                    ("priority", Arg::Text(l.priority.map(|p| p.as_str().to_owned()).unwrap_or_default())),
                    ("rate", Arg::Text(basis_points(lang, per))),
                    ("bp", Arg::Number(per)),
                    ("fee", Arg::Text(money(d.monthly_fee_minor, currency))),
                ],
            )
        }
        CreditKind::Availability => lang.t_with(
            "fin-rule-availability",
            &[
                ("rate", Arg::Text(basis_points(lang, l.bp))),
                ("bp", Arg::Number(l.bp)),
                ("fee", Arg::Text(money(d.monthly_fee_minor, currency))),
            ],
        ),
        CreditKind::Cap => lang.t_with(
            "fin-rule-cap",
            &[
                ("rate", Arg::Text(basis_points(lang, d.cap_bp))),
                ("bp", Arg::Number(d.cap_bp)),
                ("cap", Arg::Text(money(super::bp_of(d.monthly_fee_minor, d.cap_bp), currency))),
            ],
        ),
    };
    CreditItem {
        kind: match l.kind {
            CreditKind::Breaches => "breaches",
            CreditKind::Availability => "availability",
            CreditKind::Cap => "cap",
        },
        rule,
        amount,
        breaches: l.breaches.iter().map(|b| breach_row(ctx, b)).collect(),
    }
}

fn explained(ctx: &Chrome, line: &LineView, d: &CreditDetails, currency: &str) -> ExplainedCredit {
    let lang = ctx.lang;
    let of = period_label(lang, &line.period);
    let heading = if line.kind == "late_credit" {
        tn(lang, "fin-credit-late-heading", "period", of)
    } else {
        tn(lang, "fin-credit-heading", "period", of)
    };
    let mut facts = vec![
        (lang.t("fin-monthly-fee"), money(d.monthly_fee_minor, currency)),
        (
            lang.t("fin-cap"),
            format!(
                "{} ({})",
                basis_points(lang, d.cap_bp),
                money(super::bp_of(d.monthly_fee_minor, d.cap_bp), currency)
            ),
        ),
    ];
    if d.credited_before_minor != 0 {
        facts.push((lang.t("fin-credited-before"), money(d.credited_before_minor, currency)));
    }
    ExplainedCredit {
        anchor: format!("credit-{}", line.line_no),
        heading,
        amount: money(-line.amount_minor, currency),
        facts,
        items: d.lines.iter().map(|l| credit_item(ctx, d, l, currency)).collect(),
    }
}

fn line(ctx: &Chrome, l: &LineView, currency: &str) -> Line {
    let lang = ctx.lang;
    let credit = matches!(l.details, LineDetails::Credit(_));
    let detail = match &l.details {
        LineDetails::Subscription(s) if s.days < s.period_days => Some(lang.t_with(
            "fin-line-prorated",
            &[
                ("days", Arg::Number(s.days)),
                ("of", Arg::Number(s.period_days)),
                ("monthly", Arg::Text(money(s.monthly_minor, currency))),
            ],
        )),
        LineDetails::Subscription(s) => {
            Some(tn(lang, "fin-line-whole-month", "monthly", money(s.monthly_minor, currency)))
        }
        LineDetails::ExtraWork(w) => Some(lang.t_with(
            "fin-line-extra",
            &[("minutes", Arg::Number(w.minutes)), ("rate", Arg::Text(money(w.hour_minor, currency)))],
        )),
        LineDetails::Credit(d) => {
            let breaches: usize = d.lines.iter().map(|c| c.breaches.len()).sum();
            Some(tn(lang, "fin-line-credit", "count", breaches as i64))
        }
    };
    let description = match l.kind.as_str() {
        "credit" => tn(lang, "fin-credit-heading", "period", period_label(lang, &l.period)),
        "late_credit" => tn(lang, "fin-credit-late-heading", "period", period_label(lang, &l.period)),
        _ => l.description.clone(),
    };
    Line {
        no: l.line_no,
        kind: lang.t(match l.kind.as_str() {
            "subscription" => "fin-kind-subscription",
            "extra_work" => "fin-kind-extra_work",
            "credit" | "late_credit" => "fin-kind-credit",
            _ => "fin-kind-other",
        }),
        description,
        detail,
        period: period_label(lang, &l.period),
        quantity: l.quantity.to_string(),
        unit: if credit || l.unit_minor == 0 { String::new() } else { money(l.unit_minor, currency) },
        amount: money(l.amount_minor, currency),
        credit_anchor: credit.then(|| format!("#credit-{}", l.line_no)),
    }
}

impl InvoicePage {
    pub fn of(ctx: &Chrome, d: &InvoiceDetail) -> Self {
        let lang = ctx.lang;
        let inv = &d.invoice;
        let cur = inv.currency.as_str();
        let status = status_of(inv, ctx.now.date_naive());
        let mut facts = vec![
            (lang.t("fin-col-period"), period_label(lang, &inv.period)),
            (lang.t("fin-col-issued"), ctx.when(&inv.issued_at)),
            (lang.t("fin-col-due"), inv.due_on.to_string()),
        ];
        if let Some(paid) = inv.paid_at {
            facts.push((lang.t("fin-paid-at"), ctx.when(&paid)));
        }
        if let Some(reference) = inv.provider_ref.as_ref().filter(|r| !r.is_empty()) {
            facts.push((lang.t("fin-payment-ref"), reference.clone()));
        }
        let mut totals = vec![(lang.t("fin-subtotal"), money(inv.subtotal_minor, cur))];
        if inv.credits_minor != 0 {
            totals.push((lang.t("fin-col-credits"), money(-inv.credits_minor, cur)));
        }
        totals.push((
            tn(lang, "fin-tax", "rate", basis_points(lang, i64::from(inv.tax_rate_bp))),
            money(inv.tax_minor, cur),
        ));
        if d.credit_notes_minor != 0 {
            totals.push((lang.t("fin-credit-notes"), money(-d.credit_notes_minor, cur)));
        }
        let credits = d
            .lines
            .iter()
            .filter_map(|l| match &l.details {
                LineDetails::Credit(c) => Some(explained(ctx, l, c, cur)),
                _ => None,
            })
            .collect();
        Self {
            id: inv.id.to_string(),
            number: inv.number.clone(),
            period: period_label(lang, &inv.period),
            status,
            status_key: format!("fin-status-{status}"),
            facts,
            lines: d.lines.iter().map(|l| line(ctx, l, cur)).collect(),
            totals,
            total: money(inv.total_minor - d.credit_notes_minor, cur),
            notes: d
                .credit_notes
                .iter()
                .map(|n| NoteRow {
                    number: n.number.clone(),
                    description: n.description.clone(),
                    status: n.status.clone(),
                    total: money(-n.total_minor, cur),
                    created: ctx.when(&n.created_at),
                })
                .collect(),
            credits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::billing::SubscriptionDetails;
    use canopy_sla::{Metric, Priority};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ctx(lang: Lang) -> Chrome {
        Chrome {
            lang,
            csrf: String::new(),
            user: None,
            tenant: Some(crate::session::TenantChrome {
                id: Uuid::nil(),
                name: "Bill Ltd".into(),
                timezone: "Asia/Shanghai".into(),
                lang,
                color: None,
                logo_url: None,
            }),
            path: "/invoices".into(),
            now: at("2026-12-02T00:00:00Z"),
        }
    }

    fn invoice(status: &str, due: &str) -> InvoiceView {
        InvoiceView {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            period: "2026-11".into(),
            number: "BILL-202611".into(),
            currency: "CNY".into(),
            subtotal_minor: 300_000,
            credits_minor: 21_000,
            tax_rate_bp: 1300,
            tax_minor: 36_270,
            total_minor: 315_270,
            status: status.into(),
            issued_at: at("2026-12-01T00:05:00Z"),
            due_on: due.parse().unwrap(),
            paid_at: None,
            provider: "ledger".into(),
            provider_ref: None,
            version: 1,
        }
    }

    fn breach(reference: &str, metric: Metric, late: i64) -> Breach {
        Breach {
            ticket_id: Uuid::nil(),
            reference: reference.into(),
            metric,
            priority: Priority::P1,
            due_at: at("2026-11-05T09:10:00Z"),
            met_at: Some(at("2026-11-05T10:10:00Z")),
            late_by_secs: late,
        }
    }

    fn detail() -> InvoiceDetail {
        let credit = CreditDetails {
            credit_id: Uuid::nil(),
            monthly_fee_minor: 300_000,
            cap_bp: 3000,
            credited_before_minor: 0,
            lines: vec![
                CreditLine {
                    kind: CreditKind::Breaches,
                    metric: Some(Metric::FirstResponse),
                    priority: Some(Priority::P1),
                    bp: 200,
                    amount_minor: 6_000,
                    breaches: vec![breach("BILL-2", Metric::FirstResponse, 1800)],
                    description: String::new(),
                },
                CreditLine {
                    kind: CreditKind::Breaches,
                    metric: Some(Metric::Resolution),
                    priority: Some(Priority::P1),
                    bp: 500,
                    amount_minor: 15_000,
                    breaches: vec![breach("BILL-1", Metric::Resolution, 3600)],
                    description: String::new(),
                },
            ],
        };
        let line = |no, kind: &str, amount, details| LineView {
            line_no: no,
            kind: kind.into(),
            description: "Gold desktop × 25 seat".into(),
            contract_id: None,
            period: "2026-11".into(),
            quantity: 25,
            unit_minor: 12_000,
            amount_minor: amount,
            details,
        };
        InvoiceDetail {
            invoice: invoice("issued", "2026-12-31"),
            lines: vec![
                line(
                    1,
                    "subscription",
                    300_000,
                    LineDetails::Subscription(SubscriptionDetails {
                        plan_id: Uuid::nil(),
                        days: 30,
                        period_days: 30,
                        monthly_minor: 300_000,
                    }),
                ),
                line(2, "credit", -21_000, LineDetails::Credit(credit)),
            ],
            credit_notes: Vec::new(),
            credit_notes_minor: 0,
        }
    }

    #[test]
    fn an_unpaid_invoice_past_its_due_date_is_overdue() {
        let today: NaiveDate = "2026-12-02".parse().unwrap();
        assert_eq!(status_of(&invoice("issued", "2026-12-31"), today), "issued");
        assert_eq!(status_of(&invoice("issued", "2026-12-01"), today), "overdue");
        assert_eq!(status_of(&invoice("payment_failed", "2026-12-01"), today), "overdue");
        assert_eq!(status_of(&invoice("paid", "2026-12-01"), today), "paid");
        assert_eq!(status_of(&invoice("refunded", "2026-12-31"), today), "other");
    }

    #[test]
    fn a_row_shows_money_exactly_and_days_in_the_tenants_zone() {
        let row = InvoiceRow::of(&ctx(Lang::En), &invoice("issued", "2026-12-31"));
        assert_eq!((row.total.as_str(), row.credits.as_deref()), ("3,152.70 CNY", Some("-210.00 CNY")));
        assert_eq!(
            (row.period.as_str(), row.issued.as_str(), row.due.as_str()),
            ("November 2026", "2026-12-01", "2026-12-31")
        );
    }

    #[test]
    fn each_credit_is_explained_down_to_its_breaches_and_tickets() {
        let page = InvoicePage::of(&ctx(Lang::En), &detail());
        assert_eq!(page.credits.len(), 1);
        let c = &page.credits[0];
        assert_eq!((c.anchor.as_str(), c.amount.as_str()), ("credit-2", "210.00 CNY"));
        assert_eq!(c.heading, "SLA credit for November 2026");
        assert_eq!(c.facts[1], ("Credit cap".to_owned(), "30.00% (900.00 CNY)".to_owned()));
        let first = &c.items[0];
        assert_eq!(
            first.rule,
            "P1 First response target missed once: 2.00% of the monthly fee of 3,000.00 CNY for each breach (200 bp)."
        );
        assert_eq!(first.amount, "60.00 CNY");
        let b = &c.items[1].breaches[0];
        assert_eq!((b.reference.as_str(), b.href.as_str()), ("BILL-1", "/tickets/BILL-1"));
        assert_eq!(
            (b.due.as_str(), b.met.as_str(), b.late.as_str()),
            ("2026-11-05 17:10", "2026-11-05 18:10", "1 h 0 min")
        );
        assert_eq!(page.lines[1].credit_anchor.as_deref(), Some("#credit-2"));
        assert_eq!(page.lines[0].detail.as_deref(), Some("the whole month: 3,000.00 CNY"));
        assert_eq!(page.total, "3,152.70 CNY");
        assert_eq!(page.totals[2], ("Tax (13.00%)".to_owned(), "362.70 CNY".to_owned()));

        let zh = InvoicePage::of(&ctx(Lang::ZhCn), &detail());
        assert_eq!(zh.credits[0].heading, "2026年11月的 SLA 服务抵扣");
    }
}

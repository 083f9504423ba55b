//! A billing run for one period: reads what it needs in bulk (tenants, contracts, plans, tiers
//! from their services; the breaches due up to the period's end and the period's billable
//! work from ticketing), then writes each tenant's invoice on its own — a tenant already
//! invoiced for the period is left as it is, so a run repeated, or two at once, change
//! nothing. Breaches of an earlier period not yet credited (recorded after it was invoiced)
//! are counted against their own period's cap and become a credit note on that period's
//! invoice when it is with Stripe, or else a late credit on this invoice.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use canopy_api::billing::{CreditDetails, LineDetails};
use canopy_api::catalog::{ContractView, PlanView};
use canopy_api::{CallError, Failure, TenantProblem};
use canopy_kernel::days::Zone;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, ListScope};
use canopy_sla::{CreditPolicy, Metric};

use crate::domain::credits::{Breach, CreditInput, CreditOutcome, credits};
use crate::domain::invoice::{
    Contract, Line, LineKind, PlanPrice, Terms, extra_work_lines, note_totals, subscription_lines, totals,
};
use crate::domain::money::Period;
use crate::settings::ProviderKind;
use crate::state::BillingState;
use crate::store::invoices::{
    CreditNoteRow, CreditRow, CreditedRow, InvoiceRow, Issued, LineRow, NewInvoice, PaymentOpRow, RunRow,
};

/// How far back breaches are looked for when they were never credited.
const LOOKBACK_DAYS: i64 = 366;

/// A tenant's period runs from its local midnight of the 1st: the most a time zone is ahead
/// of UTC (Pacific/Kiritimati) and behind it (Etc/GMT+12) bound when any tenant's can begin
/// and end.
const MOST_AHEAD: TimeDelta = TimeDelta::hours(14);
const MOST_BEHIND: TimeDelta = TimeDelta::hours(12);

fn utc_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Has `period` ended for some tenant, wherever it is? Tenants whose own period has not ended
/// yet are left for a later run.
pub fn ended_somewhere(period: Period, now: DateTime<Utc>) -> bool {
    utc_midnight(period.end()) - MOST_AHEAD <= now
}

/// A read the whole run depends on failed: the run stops, saying which and why.
fn stopped(err: CallError) -> ApiError {
    tracing::warn!(error = %err, "billing read failed; the run stopped");
    ApiError::new(ErrorCode::UpstreamUnavailable, format!("The run stopped: {err}"))
}

fn plan_price(p: PlanView) -> PlanPrice {
    PlanPrice {
        plan_id: p.id,
        tier_id: p.tier_id,
        name: p.name,
        unit: p.unit.as_str().to_owned(),
        unit_price_minor: p.unit_price_minor,
        currency: p.currency,
        included_onsite_mins: i64::from(p.included_onsite_mins),
        extra_hour_minor: p.extra_hour_minor,
    }
}

/// A contract in billing's terms, or what of it cannot be read (a plan, or its tier's credit
/// policy, that the catalogue does not list).
fn contract_of(
    c: &ContractView,
    plans: &HashMap<Uuid, PlanPrice>,
    policies: &HashMap<Uuid, CreditPolicy>,
) -> Result<Contract, String> {
    let mut terms = c
        .terms
        .iter()
        .map(|t| {
            let plan = plans
                .get(&t.plan_id)
                .ok_or_else(|| format!("contract {}: plan {} is not in the catalogue", c.id, t.plan_id))?;
            if !policies.contains_key(&plan.tier_id) {
                return Err(format!(
                    "contract {}: the tier of plan {} is not in the catalogue",
                    c.id, plan.plan_id
                ));
            }
            Ok(Terms { from: t.effective_on, plan: plan.clone(), quantity: i64::from(t.quantity) })
        })
        .collect::<Result<Vec<_>, String>>()?;
    terms.sort_by_key(|t| t.from);
    Ok(Contract { contract_id: c.id, starts_on: c.starts_on, ends_on: c.ends_on, terms })
}

/// What a run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct RunOutcome {
    pub invoices: usize,
    /// Tenants already invoiced for the period (an earlier or concurrent run).
    pub already_invoiced: usize,
    /// Tenants without a contract running in the period.
    pub without_contract: usize,
    /// Tenants whose period has not ended yet in their time zone (left for a later run).
    pub not_ended: usize,
    pub credits_minor: i64,
    /// Credit notes on earlier invoices (Stripe) for breaches recorded after they were issued.
    pub credit_notes: usize,
    /// Tenants not invoiced because something of theirs could not be read or written, and why.
    pub problems: Vec<TenantProblem>,
}

/// Runs `period`; `by` is who asked (none for the scheduled run).
pub async fn run(state: &BillingState, period: Period, by: Option<Uuid>) -> ApiResult<RunRow> {
    let started = state.now();
    let run_id = Uuid::now_v7();
    state
        .invoices
        .start_run(RunRow {
            id: run_id,
            period: period.to_string(),
            started_at: started,
            started_by: by,
            finished_at: None,
            status: "running".into(),
            invoices: 0,
            skipped: 0,
            outcome: None,
        })
        .await?;
    let result = bill(state, period, run_id).await;
    let now = state.now();
    match result {
        Ok(o) => {
            let outcome = serde_json::to_value(&o).map_err(ApiError::internal)?;
            let skipped = o.already_invoiced + o.without_contract + o.not_ended;
            let (made, skipped) = (o.invoices as i32, skipped as i32);
            state.invoices.finish_run(run_id, "succeeded", made, skipped, outcome, now).await
        }
        Err(e) => {
            let outcome = json!({"error": e.to_string()});
            state.invoices.finish_run(run_id, "failed", 0, 0, outcome, now).await?;
            Err(e)
        }
    }
}

async fn bill(state: &BillingState, period: Period, run_id: Uuid) -> ApiResult<RunOutcome> {
    let token = state.service_token.get().await.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "billing has no service token");
        ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "The run stopped: no service token from the tenants service",
        )
    })?;
    let now = state.now();
    let key = period.to_string();
    if !ended_somewhere(period, now) {
        return Err(ApiError::invalid("period", "a period is billed once it has ended"));
    }

    // Everything read up front, in bulk.
    let tenants = state.tenants.all_tenants(&token).await.map_err(stopped)?;
    let policies: HashMap<Uuid, CreditPolicy> = state
        .catalog
        .all_tiers(&token)
        .await
        .map_err(stopped)?
        .into_iter()
        .map(|t| (t.id, t.credit_policy))
        .collect();
    let plans: HashMap<Uuid, PlanPrice> = state
        .catalog
        .all_plans(&token)
        .await
        .map_err(stopped)?
        .into_iter()
        .map(|p| (p.id, plan_price(p)))
        .collect();
    let mut contracts: HashMap<Uuid, Vec<Contract>> = HashMap::new();
    // Tenants with a contract that cannot be read are not invoiced: the run says why.
    let mut unreadable: HashMap<Uuid, String> = HashMap::new();
    for c in state.catalog.all_contracts(&token).await.map_err(stopped)? {
        match contract_of(&c, &plans, &policies) {
            Ok(contract) => contracts.entry(c.tenant_id).or_default().push(contract),
            Err(why) => {
                unreadable.insert(c.tenant_id, why);
            }
        }
    }
    // Wide enough for every tenant's period, whatever its zone; each breach is then put in its
    // tenant's period (`by_contract_and_period`).
    let from = utc_midnight(period.first_day()) - TimeDelta::days(LOOKBACK_DAYS) - MOST_AHEAD;
    let to = utc_midnight(period.end()) + MOST_BEHIND;
    let mut breaches: HashMap<Uuid, Vec<(Option<Uuid>, Breach)>> = HashMap::new();
    for b in state.ticketing.all_breaches(&token, from, to).await.map_err(stopped)? {
        breaches.entry(b.tenant_id).or_default().push((
            b.contract_id,
            Breach {
                ticket_id: b.ticket_id,
                reference: b.reference,
                metric: b.metric,
                priority: b.priority,
                due_at: b.due_at,
                met_at: b.met_at,
                late_by_secs: (b.met_at.unwrap_or(b.detected_at) - b.due_at).num_seconds().max(0),
            },
        ));
    }
    // Billable work by the span of the period in each tenant's zone, read once per span.
    let mut work: HashMap<Span, Minutes> = HashMap::new();

    let tenant_ids: Vec<Uuid> = tenants.iter().map(|t| t.id).collect();
    let invoiced = state.invoices.invoiced(&key).await?;
    let done = state.invoices.credited(&tenant_ids).await?;
    let given = state.invoices.credited_amounts(&tenant_ids).await?;
    let measured: HashMap<Uuid, i64> = state
        .invoices
        .availability(&canopy_kernel::ListScope::AllTenants, Some(&key))
        .await?
        .into_iter()
        .map(|a| (a.tenant_id, i64::from(a.availability_bp)))
        .collect();
    let stripe = state.settings.billing.provider == ProviderKind::Stripe;
    let mut outcome = RunOutcome::default();
    for t in &tenants {
        let tenant = t.id;
        if invoiced.contains(&tenant) {
            outcome.already_invoiced += 1;
            continue;
        }
        if let Some(why) = unreadable.get(&tenant) {
            tracing::warn!(%tenant, problem = %why, "tenant not billed");
            outcome.problems.push(TenantProblem::new(tenant, why));
            continue;
        }
        // The tenant's configuration says whose days its period counts (its zone) and its tax.
        let config = match state.tenants.config(&token, tenant).await {
            Ok(view) => view.config,
            // The tenants service is away: the run stops, to be run again.
            Err(e) if matches!(e.failure, Failure::Unreachable(_)) => return Err(stopped(e)),
            // This tenant's configuration cannot be had: it is not invoiced, and the run says why.
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "tenant not billed");
                outcome
                    .problems
                    .push(TenantProblem::new(tenant, format!("its configuration cannot be read: {e}")));
                continue;
            }
        };
        let zone = match Zone::named(&config.timezone) {
            Ok(zone) => zone,
            Err(e) => {
                outcome.problems.push(TenantProblem::new(tenant, format!("{e:#}")));
                continue;
            }
        };
        let span = zone.span(period.first_day(), period.end());
        if span.1 > now {
            outcome.not_ended += 1;
            continue;
        }
        let own = contracts.get(&tenant).map(Vec::as_slice).unwrap_or_default();
        let mut tenant_breaches: Vec<&(Option<Uuid>, Breach)> = breaches
            .get(&tenant)
            .into_iter()
            .flatten()
            .filter(|(_, b)| !done.contains(&(tenant, b.ticket_id, metric_key(b.metric))))
            .collect();
        // With Stripe, earlier periods' breaches credited on their own invoices, as notes.
        if stripe {
            let noted =
                credit_notes(state, tenant, period, &zone, own, &tenant_breaches, &policies, &given, now)
                    .await
                    .unwrap_or_else(|e| {
                        outcome.problems.push(TenantProblem::new(tenant, e));
                        Noted::default()
                    });
            outcome.credit_notes += noted.notes;
            outcome.credits_minor += noted.amount_minor;
            tenant_breaches.retain(|(_, b)| !noted.breaches.contains(&(b.ticket_id, b.metric)));
        }
        if !own.iter().any(|c| c.runs_in(period)) {
            outcome.without_contract += 1;
            continue;
        }
        let tax_rate = i64::from(config.tax_rate_bp);
        let minutes = match work.entry(span) {
            std::collections::hash_map::Entry::Occupied(read) => read.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(billable_work(state, &token, span).await.map_err(stopped)?)
            }
        };
        match invoice_for(
            tenant,
            &t.key,
            period,
            &zone,
            own,
            &tenant_breaches,
            &policies,
            &given,
            measured.get(&tenant).copied(),
            minutes,
            tax_rate,
            run_id,
            now,
        ) {
            Ok(mut new) => {
                // Handed to the payment provider by the outbox worker.
                new.invoice.provider = state.settings.billing.provider.name().to_owned();
                new.payment_op = Some(PaymentOpRow {
                    invoice_id: new.invoice.id,
                    tenant_id: tenant,
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: now,
                    lease_until: None,
                    last_error: None,
                    created_at: now,
                    done_at: None,
                });
                let credited_now: i64 = new.credits.iter().map(|c| c.amount_minor).sum();
                match state.invoices.issue(new).await {
                    Ok(Issued::Written) => {
                        outcome.invoices += 1;
                        outcome.credits_minor += credited_now;
                    }
                    Ok(Issued::AlreadyThere) => outcome.already_invoiced += 1,
                    Err(e) => outcome.problems.push(TenantProblem::new(tenant, e)),
                }
            }
            Err(problem) => outcome.problems.push(TenantProblem::new(tenant, problem)),
        }
    }
    Ok(outcome)
}

/// A tenant's period as instants, `[from, to)`.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// Billable minutes per (tenant, kind).
type Minutes = HashMap<(Uuid, String), i64>;

/// Billable minutes logged in `span`.
async fn billable_work(state: &BillingState, token: &str, span: Span) -> Result<Minutes, CallError> {
    let work = state.ticketing.billable_work(token, span.0, span.1).await?;
    Ok(work.into_iter().map(|w| ((w.tenant_id, w.kind.as_str().to_owned()), w.minutes)).collect())
}

fn metric_key(m: Metric) -> String {
    m.to_string()
}

/// What [`credit_notes`] wrote.
#[derive(Default)]
struct Noted {
    notes: usize,
    amount_minor: i64,
    /// The breaches now credited, as (ticket, metric).
    breaches: HashSet<(Uuid, Metric)>,
}

/// Breaches of earlier periods, not yet credited, whose period's invoice is with Stripe:
/// each (contract, period) group is credited by a credit note on that invoice, with the tax
/// that falls with it, written with its credit and credited breaches in one transaction (so
/// a concurrent run writes it once). Groups whose invoice is not with Stripe are left for this
/// period's invoice, as late credits.
#[allow(clippy::too_many_arguments)]
async fn credit_notes(
    state: &BillingState,
    tenant: Uuid,
    period: Period,
    zone: &Zone,
    contracts: &[Contract],
    breaches: &[&(Option<Uuid>, Breach)],
    policies: &HashMap<Uuid, CreditPolicy>,
    given: &HashMap<(Uuid, String), i64>,
    now: DateTime<Utc>,
) -> ApiResult<Noted> {
    let mut noted = Noted::default();
    for ((contract_id, of), group) in by_contract_and_period(breaches, period, zone) {
        if of == period {
            continue;
        }
        let Some(old) = state.invoices.of_period(tenant, &of.to_string()).await? else { continue };
        if old.provider != "stripe" {
            continue;
        }
        let Some(gc) = group_credit(contracts, contract_id, of, &group, policies, given, None) else {
            continue;
        };
        let earlier = state.invoices.notes(&ListScope::AllTenants, Some(old.id), 500).await?;
        let totals = note_totals(
            old.subtotal_minor - old.credits_minor,
            earlier.iter().map(|n| n.amount_minor).sum(),
            gc.outcome.total,
            i64::from(old.tax_rate_bp),
        );
        if totals.amount_minor == 0 {
            // Nothing to take off (capped, or nothing left on the invoice): the breaches are
            // credited with this period's invoice, which records them as it does any other.
            continue;
        }
        let (credit_id, note_id) = (Uuid::now_v7(), Uuid::now_v7());
        let description =
            format!("SLA credit for {of}: {} breach(es) recorded after it was invoiced", group.len());
        let note = CreditNoteRow {
            id: note_id,
            tenant_id: tenant,
            invoice_id: old.id,
            credit_id,
            number: format!("{}-CN{}", old.number, earlier.len() + 1),
            currency: old.currency.clone(),
            amount_minor: totals.amount_minor,
            tax_minor: totals.tax_minor,
            total_minor: totals.total_minor,
            settlement: if old.status == "paid" { "customer_balance" } else { "amount_due" }.into(),
            description: description.clone(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            last_error: None,
            provider_ref: None,
            created_at: now,
            done_at: None,
        };
        let credit = CreditRow {
            id: credit_id,
            tenant_id: tenant,
            invoice_id: old.id,
            contract_id,
            period: of.to_string(),
            amount_minor: totals.amount_minor,
            late: true,
            created_at: now,
            lines: serde_json::to_value(&gc.outcome.lines).unwrap_or(Value::Null),
        };
        let credited = group
            .iter()
            .map(|b| CreditedRow {
                tenant_id: tenant,
                ticket_id: b.ticket_id,
                metric: metric_key(b.metric),
                credit_id,
                invoice_id: old.id,
            })
            .collect();
        if state.invoices.issue_note(note, credit, credited).await? {
            noted.notes += 1;
            noted.amount_minor += totals.amount_minor;
        }
        // Written now or by a concurrent run: either way these are credited.
        noted.breaches.extend(group.iter().map(|b| (b.ticket_id, b.metric)));
    }
    Ok(noted)
}

/// Breaches by the contract they fall under and the period they belong to (the month of their
/// due time's day in the tenant's zone), up to `period`.
fn by_contract_and_period(
    breaches: &[&(Option<Uuid>, Breach)],
    period: Period,
    zone: &Zone,
) -> BTreeMap<(Uuid, Period), Vec<Breach>> {
    let mut groups: BTreeMap<(Uuid, Period), Vec<Breach>> = BTreeMap::new();
    for (contract, b) in breaches {
        let Some(contract) = contract else { continue };
        let of = Period::of(zone.day_of(b.due_at));
        if of <= period {
            groups.entry((*contract, of)).or_default().push(b.clone());
        }
    }
    groups
}

/// One (contract, period) group's credit, by its tier's policy and against what the period
/// was credited already (the cap).
struct GroupCredit {
    outcome: CreditOutcome,
    monthly_fee: i64,
    cap_bp: i64,
    already: i64,
}

impl GroupCredit {
    /// What a credit line (or note) shows of how it was worked out.
    fn details(&self, credit_id: Uuid) -> LineDetails {
        LineDetails::Credit(CreditDetails {
            credit_id,
            monthly_fee_minor: self.monthly_fee,
            cap_bp: self.cap_bp,
            credited_before_minor: self.already,
            lines: self.outcome.lines.clone(),
        })
    }
}

fn group_credit(
    contracts: &[Contract],
    contract_id: Uuid,
    of: Period,
    group: &[Breach],
    policies: &HashMap<Uuid, CreditPolicy>,
    given: &HashMap<(Uuid, String), i64>,
    availability: Option<i64>,
) -> Option<GroupCredit> {
    let contract = contracts.iter().find(|c| c.contract_id == contract_id)?;
    let terms = contract.terms_for(of)?;
    let policy = policies.get(&terms.plan.tier_id)?;
    let already = given.get(&(contract_id, of.to_string())).copied().unwrap_or(0);
    let monthly_fee = terms.plan.unit_price_minor * terms.quantity;
    let outcome = credits(&CreditInput {
        monthly_fee,
        policy,
        breaches: group,
        availability_bp: availability,
        already_credited: already,
    });
    Some(GroupCredit { outcome, monthly_fee, cap_bp: i64::from(policy.cap_bp), already })
}

/// One tenant's invoice for the period, not yet written.
#[allow(clippy::too_many_arguments)]
fn invoice_for(
    tenant: Uuid,
    tenant_key: &str,
    period: Period,
    zone: &Zone,
    contracts: &[Contract],
    breaches: &[&(Option<Uuid>, Breach)],
    policies: &HashMap<Uuid, CreditPolicy>,
    given: &HashMap<(Uuid, String), i64>,
    availability: Option<i64>,
    minutes: &Minutes,
    tax_rate_bp: i64,
    run_id: Uuid,
    now: DateTime<Utc>,
) -> Result<NewInvoice, String> {
    let running: Vec<&Contract> = contracts.iter().filter(|c| c.runs_in(period)).collect();
    let currencies: HashSet<&str> =
        running.iter().flat_map(|c| c.terms.iter().map(|t| t.plan.currency.as_str())).collect();
    if currencies.len() != 1 {
        return Err(format!("contracts in {} currencies; one invoice needs one", currencies.len()));
    }
    let currency = currencies.into_iter().next().unwrap_or("CNY").to_owned();
    let invoice_id = Uuid::now_v7();
    let mut lines: Vec<Line> = Vec::new();
    for c in &running {
        lines.extend(subscription_lines(period, c));
    }
    if let Some(first) = running.first() {
        let m = |kind: &str| minutes.get(&(tenant, kind.to_owned())).copied().unwrap_or(0);
        lines.extend(extra_work_lines(period, first, m("onsite"), m("remote")));
    }

    // Credits: per contract and the period each breach belongs to.
    let mut groups = by_contract_and_period(breaches, period, zone);
    // Measured availability earns its band on every contract running in the period.
    if availability.is_some() {
        for c in &running {
            groups.entry((c.contract_id, period)).or_default();
        }
    }
    let mut credit_rows = Vec::new();
    let mut credited_rows = Vec::new();
    for ((contract_id, of), group) in groups {
        let measured = if of == period { availability } else { None };
        let Some(gc) = group_credit(contracts, contract_id, of, &group, policies, given, measured) else {
            continue;
        };
        let out = &gc.outcome;
        let credit_id = Uuid::now_v7();
        let late = of < period;
        credited_rows.extend(group.iter().map(|b| CreditedRow {
            tenant_id: tenant,
            ticket_id: b.ticket_id,
            metric: metric_key(b.metric),
            credit_id,
            invoice_id,
        }));
        if out.lines.is_empty() {
            continue;
        }
        let count = group.len();
        lines.push(Line {
            kind: if late { LineKind::LateCredit } else { LineKind::Credit },
            description: match (late, count, of == period && availability.is_some()) {
                (true, _, _) => {
                    format!("SLA credit for {of}: {count} breach(es) recorded after it was invoiced")
                }
                (false, 0, true) => "SLA credit: availability".to_owned(),
                (false, _, true) => format!("SLA credit: {count} breach(es) and availability"),
                (false, _, false) => format!("SLA credit: {count} breach(es)"),
            },
            contract_id: Some(contract_id),
            period: of,
            quantity: count as i64,
            unit_minor: 0,
            amount_minor: -out.total,
            details: gc.details(credit_id),
        });
        credit_rows.push(CreditRow {
            id: credit_id,
            tenant_id: tenant,
            invoice_id,
            contract_id,
            period: of.to_string(),
            amount_minor: out.total,
            late,
            created_at: now,
            lines: serde_json::to_value(&out.lines).unwrap_or(Value::Null),
        });
    }
    let t = totals(&lines, tax_rate_bp);
    let invoice = InvoiceRow {
        id: invoice_id,
        tenant_id: tenant,
        period: period.to_string(),
        number: format!("{tenant_key}-{}{:02}", period.year, period.month),
        currency,
        subtotal_minor: t.subtotal_minor,
        credits_minor: t.credits_minor,
        tax_rate_bp: i32::try_from(tax_rate_bp).unwrap_or(0),
        tax_minor: t.tax_minor,
        total_minor: t.total_minor,
        status: "issued".into(),
        issued_at: now,
        // The provider's payment terms, counted in UTC days as Stripe counts them
        // (`days_until_due`); dunning compares with the UTC date too.
        due_on: now.date_naive() + TimeDelta::days(30),
        paid_at: None,
        paid_by: None,
        provider: "ledger".into(),
        provider_ref: None,
        run_id,
        version: 1,
    };
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| LineRow {
            invoice_id,
            line_no: i as i32 + 1,
            tenant_id: tenant,
            kind: l.kind.as_str().to_owned(),
            description: l.description.chars().take(500).collect(),
            contract_id: l.contract_id,
            period: l.period.to_string(),
            quantity: l.quantity,
            unit_minor: l.unit_minor,
            amount_minor: l.amount_minor,
            details: serde_json::to_value(&l.details).unwrap_or(Value::Null),
        })
        .collect();
    Ok(NewInvoice { invoice, lines, credits: credit_rows, credited: credited_rows, payment_op: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_sla::Priority;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_may_be_billed_once_it_has_ended_for_the_earliest_zone() {
        let oct = Period::parse("2026-10").unwrap();
        // Kiritimati (+14) leaves October at 10:00 UTC on 31 October.
        assert!(!ended_somewhere(oct, at("2026-10-31T09:59:59Z")));
        assert!(ended_somewhere(oct, at("2026-10-31T10:00:00Z")));
    }

    #[test]
    fn breaches_belong_to_the_period_of_their_due_time_in_the_tenants_zone() {
        let breach = |due: &str| {
            (
                Some(Uuid::nil()),
                Breach {
                    ticket_id: Uuid::now_v7(),
                    reference: String::new(),
                    metric: Metric::Resolution,
                    priority: Priority::P1,
                    due_at: at(due),
                    met_at: None,
                    late_by_secs: 0,
                },
            )
        };
        // 20:00 on 31 October in Los Angeles; 01:00 on 1 November in Shanghai.
        let (west, east) = (breach("2026-11-01T03:00:00Z"), breach("2026-10-31T17:00:00Z"));
        let oct = Period::parse("2026-10").unwrap();
        let la = Zone::named("America/Los_Angeles").unwrap();
        let sh = Zone::named("Asia/Shanghai").unwrap();
        assert_eq!(by_contract_and_period(&[&west], oct, &la).len(), 1, "October's in Los Angeles");
        assert!(by_contract_and_period(&[&east], oct, &sh).is_empty(), "November's in Shanghai");
    }
}

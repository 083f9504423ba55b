//! An invoice as people read it: its lines (plans prorated by day, extra work, credits), the
//! credit notes on it, and each SLA credit explained down to the breaches and tickets it comes
//! from; the availability measured for a period. Billing writes these, the web shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_sla::{Metric, Priority};

use super::{BillingClient, InvoiceView};
use crate::client::{Call, CallError, Download, PathQuery};

/// A missed target, as ticketing recorded it, credited on an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = CreditedBreach)]
pub struct Breach {
    pub ticket_id: Uuid,
    /// The ticket's reference (`ACME-42`).
    pub reference: String,
    pub metric: Metric,
    pub priority: Priority,
    /// The target's due time: the breach began when it passed.
    pub due_at: DateTime<Utc>,
    /// When the target was met at last (`None`: not yet).
    pub met_at: Option<DateTime<Utc>>,
    /// How late, in seconds (until met, or until the breach was judged when never met).
    pub late_by_secs: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    /// Breaches of one metric and priority.
    Breaches,
    /// The availability band reached.
    Availability,
    /// Brings the period's credits down to the cap.
    Cap,
}

/// One credit line. `amount_minor` is what the customer is credited (positive), except a cap
/// line, which takes back (negative) what exceeds the cap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditLine {
    pub kind: CreditKind,
    pub metric: Option<Metric>,
    pub priority: Option<Priority>,
    /// Basis points of the monthly fee this line stands for (per breach × breaches, or the band).
    pub bp: i64,
    pub amount_minor: i64,
    pub breaches: Vec<Breach>,
    pub description: String,
}

impl CreditLine {
    /// The policy's rate for one breach (a breaches line), in basis points of the monthly fee.
    pub fn per_breach_bp(&self) -> Option<i64> {
        let n = i64::try_from(self.breaches.len()).ok().filter(|n| *n > 0)?;
        (self.kind == CreditKind::Breaches).then_some(self.bp / n)
    }
}

/// How a credit on an invoice was worked out: the contract's monthly fee, the tier's cap, what
/// the period was credited before, and every credit line with the breaches behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditDetails {
    /// The credit (`/billing/credits`).
    pub credit_id: Uuid,
    pub monthly_fee_minor: i64,
    /// The most the period may be credited, in basis points of the monthly fee.
    pub cap_bp: i64,
    /// Credited for the same contract and period on earlier invoices.
    pub credited_before_minor: i64,
    pub lines: Vec<CreditLine>,
}

/// A subscription line's terms: the days of the period they were in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionDetails {
    pub plan_id: Uuid,
    pub days: i64,
    pub period_days: i64,
    /// The month's fee for the whole period (quantity × unit price).
    pub monthly_minor: i64,
}

/// Billable work beyond the plan: minutes at the plan's hourly rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExtraWorkDetails {
    pub minutes: i64,
    pub hour_minor: i64,
}

/// What a line carries besides its amount, by its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LineDetails {
    /// `credit` and `late_credit` lines.
    Credit(CreditDetails),
    /// `subscription` lines.
    Subscription(SubscriptionDetails),
    /// `extra_work` lines.
    ExtraWork(ExtraWorkDetails),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    pub line_no: i32,
    /// `subscription`, `extra_work`, `credit`, `late_credit`.
    pub kind: String,
    pub description: String,
    pub contract_id: Option<Uuid>,
    /// The period the line is for (an earlier one for a late credit).
    pub period: String,
    pub quantity: i64,
    pub unit_minor: i64,
    pub amount_minor: i64,
    /// Subscriptions: the days in force; extra work: minutes and rate; credits: the policy's
    /// numbers and every credit line with the breaches behind it (ticket reference, metric,
    /// priority, due time, how late).
    pub details: LineDetails,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreditNoteView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The invoice it credits.
    pub invoice_id: Uuid,
    /// The credit it carries (`/billing/credits`, with the breaches behind it).
    pub credit_id: Uuid,
    /// The invoice's number with `-CN1`, `-CN2`, ….
    pub number: String,
    pub currency: String,
    /// The credit, before tax.
    pub amount_minor: i64,
    /// The tax that falls with it.
    pub tax_minor: i64,
    pub total_minor: i64,
    /// `amount_due` (taken off what the invoice asks) or `customer_balance` (the invoice was
    /// paid: the customer's balance, taken off their next invoice).
    pub settlement: String,
    pub description: String,
    /// `pending` (being handed to the provider), `issued`, `failed` (left for finance).
    pub status: String,
    pub provider_ref: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceDetail {
    #[serde(flatten)]
    pub invoice: InvoiceView,
    pub lines: Vec<LineView>,
    /// Credit notes issued on this invoice since (Stripe: breaches recorded after it).
    pub credit_notes: Vec<CreditNoteView>,
    /// What the notes took off, tax included.
    pub credit_notes_minor: i64,
}

/// A tenant's measured availability for a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityView {
    pub tenant_id: Uuid,
    pub period: String,
    /// Basis points: 9990 = 99.90 %.
    pub availability_bp: i32,
    pub note: String,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

impl BillingClient {
    /// The caller's invoices (a tenant's own; every tenant's for provider staff unless
    /// `tenant` names one), newest first, at most `limit` (1–500).
    pub async fn invoice_list(
        &self,
        token: &str,
        tenant: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<InvoiceView>, CallError> {
        let path =
            PathQuery::new("/api/v1/billing/invoices").opt("tenant_id", tenant).arg("limit", limit).build();
        Call::get(self.service(), path).bearer(token).answer().await
    }

    /// One invoice with its lines and credit notes; another tenant's is not found (404).
    pub async fn invoice(&self, token: &str, id: Uuid) -> Result<InvoiceDetail, CallError> {
        Call::get(self.service(), format!("/api/v1/billing/invoices/{id}")).bearer(token).answer().await
    }

    /// The invoice as billing's CSV.
    pub async fn invoice_csv(&self, token: &str, id: Uuid) -> Result<Download, CallError> {
        Call::get(self.service(), format!("/api/v1/billing/invoices/{id}/csv")).bearer(token).download().await
    }

    /// The availability measured for `tenant` in `period` (`YYYY-MM`), if any.
    pub async fn availability(
        &self,
        token: &str,
        tenant: Uuid,
        period: &str,
    ) -> Result<Option<AvailabilityView>, CallError> {
        let path = PathQuery::new("/api/v1/billing/availability")
            .arg("tenant_id", tenant)
            .arg("period", period)
            .build();
        let rows: Vec<AvailabilityView> = Call::get(self.service(), path).bearer(token).answer().await?;
        Ok(rows.into_iter().find(|a| a.period == period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_line_reads_its_own_details() {
        let credit = json!({"credit_id": Uuid::nil(), "monthly_fee_minor": 300_000, "cap_bp": 3000,
            "credited_before_minor": 0, "lines": [{"kind": "breaches", "metric": "resolution", "priority": "P1",
            "bp": 1000, "amount_minor": 30_000, "description": "2 × P1 resolution target missed, 500 bp each",
            "breaches": [
                {"ticket_id": Uuid::nil(), "reference": "ACME-3", "metric": "resolution", "priority": "P1",
                 "due_at": "2026-11-05T09:10:00Z", "met_at": "2026-11-05T10:10:00Z", "late_by_secs": 3600},
                {"ticket_id": Uuid::nil(), "reference": "ACME-7", "metric": "resolution", "priority": "P1",
                 "due_at": "2026-11-06T09:10:00Z", "met_at": null, "late_by_secs": 7200}]}]});
        let LineDetails::Credit(details) = serde_json::from_value(credit.clone()).unwrap() else {
            panic!("a credit's details")
        };
        assert_eq!(details.lines[0].per_breach_bp(), Some(500));
        assert_eq!(details.lines[0].breaches[1].reference, "ACME-7");
        assert_eq!(
            serde_json::to_value(LineDetails::Credit(details)).unwrap(),
            credit,
            "the same shape back"
        );

        let sub = json!({"plan_id": Uuid::nil(), "days": 12, "period_days": 30, "monthly_minor": 300_000});
        assert_eq!(
            serde_json::from_value::<LineDetails>(sub).unwrap(),
            LineDetails::Subscription(SubscriptionDetails {
                plan_id: Uuid::nil(),
                days: 12,
                period_days: 30,
                monthly_minor: 300_000
            })
        );
        let work = json!({"minutes": 90, "hour_minor": 60_000});
        assert_eq!(
            serde_json::from_value::<LineDetails>(work).unwrap(),
            LineDetails::ExtraWork(ExtraWorkDetails { minutes: 90, hour_minor: 60_000 })
        );
        assert!(serde_json::from_value::<LineDetails>(json!({"something": "else"})).is_err());
    }
}

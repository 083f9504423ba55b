//! Billing's bodies that other services read or send: invoices and credits (ticketing's monthly
//! report, the web's invoice pages), runs and dunning (the scheduler's jobs); and
//! [`BillingClient`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::client::ServiceClient;

use crate::client::{Call, CallError, PathQuery};

mod invoices;
pub use invoices::{
    AvailabilityView, Breach, CreditDetails, CreditKind, CreditLine, CreditNoteView, ExtraWorkDetails,
    InvoiceDetail, LineDetails, LineView, SubscriptionDetails,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub period: String,
    pub number: String,
    pub currency: String,
    pub subtotal_minor: i64,
    /// SLA credits taken off (positive).
    pub credits_minor: i64,
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// `issued`, `paid`, `payment_failed`, `void`.
    pub status: String,
    pub issued_at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub due_on: NaiveDate,
    pub paid_at: Option<DateTime<Utc>>,
    /// `ledger` (the embedded default) or `stripe`.
    pub provider: String,
    pub provider_ref: Option<String>,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreditView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub invoice_id: Uuid,
    pub contract_id: Uuid,
    /// The period the credit is for.
    pub period: String,
    pub amount_minor: i64,
    /// For breaches recorded after the period was invoiced: given on a later invoice (the
    /// ledger) or by a credit note on the period's own invoice (Stripe; `invoice_id` is it).
    pub late: bool,
    pub created_at: DateTime<Utc>,
    /// The credit lines with the breaches behind each, as billing worked them out.
    pub lines: Vec<CreditLine>,
}

/// `POST /billing/runs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The month to bill, `YYYY-MM`; it must have ended (each tenant's in its time zone; a
    /// tenant's not ended yet is left for a later run).
    #[schema(example = "2026-10")]
    pub period: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = BillingRun)]
pub struct RunView {
    pub id: Uuid,
    pub period: String,
    pub started_at: DateTime<Utc>,
    pub started_by: Option<Uuid>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Invoices this run wrote.
    pub invoices: i32,
    /// Tenants left as they were: invoiced already, without a contract in the period, or
    /// whose period has not ended yet in their time zone.
    pub skipped: i32,
    /// What the run did (invoices, credits, the tenants it could not bill and why), or the
    /// error that stopped it.
    #[schema(value_type = Object)]
    pub outcome: Option<Value>,
}

/// A tenant dunning suspended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Suspension {
    pub tenant_id: Uuid,
    /// The number of its first overdue invoice.
    pub invoice: String,
}

/// A tenant dunning reinstated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reinstatement {
    pub tenant_id: Uuid,
}

/// `POST /billing/dunning`: what it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DunningOutcome {
    pub suspended: Vec<Suspension>,
    pub reinstated: Vec<Reinstatement>,
    pub grace_days: u32,
}

/// Billing, as other services call it.
#[derive(Clone, Debug)]
pub struct BillingClient {
    client: ServiceClient,
}

impl BillingClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    pub fn service(&self) -> &ServiceClient {
        &self.client
    }

    /// The tenant's credits, newest first (at most `limit`, 1–500).
    pub async fn credits(&self, token: &str, tenant: Uuid, limit: u32) -> Result<Vec<CreditView>, CallError> {
        let path =
            PathQuery::new("/api/v1/billing/credits").arg("tenant_id", tenant).arg("limit", limit).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// The tenant's invoices of a period (`YYYY-MM`).
    pub async fn invoices(
        &self,
        token: &str,
        tenant: Uuid,
        period: &str,
    ) -> Result<Vec<InvoiceView>, CallError> {
        let path =
            PathQuery::new("/api/v1/billing/invoices").arg("tenant_id", tenant).arg("period", period).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Bills a period that has ended.
    pub async fn run(&self, token: &str, run: &RunRequest) -> Result<RunView, CallError> {
        Call::post(&self.client, "/api/v1/billing/runs").bearer(token).json(run)?.answer().await
    }

    pub async fn dunning(&self, token: &str) -> Result<DunningOutcome, CallError> {
        Call::post(&self.client, "/api/v1/billing/dunning").bearer(token).answer().await
    }
}

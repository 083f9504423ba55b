//! The catalogue's bodies that other services read: tiers, plans and contracts (billing), the
//! effective SLA policy of a tenant (ticketing), a tenant's rate limit (the gateway); and
//! [`CatalogClient`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::client::ServiceClient;
use canopy_sla::{Coverage, CreditPolicy, Priority, TargetTable, Targets};

use crate::Page;
use crate::client::{Call, CallError, PathQuery, all_pages};

/// The API rate limit a tier gives each of its tenants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: u32,
    pub period_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seat,
    Device,
    /// One price for the whole company; quantity is always 1.
    Flat,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seat => "seat",
            Unit::Device => "device",
            Unit::Flat => "flat",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Unit::Seat, Unit::Device, Unit::Flat].into_iter().find(|u| u.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TierView {
    pub id: Uuid,
    pub name: String,
    pub coverage: Coverage,
    #[schema(value_type = std::collections::BTreeMap<String, Targets>)]
    pub targets: TargetTable,
    pub availability_target_bp: i32,
    pub credit_policy: CreditPolicy,
    pub rate_limit: Option<RateLimit>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub name: String,
    pub tier_id: Uuid,
    pub service_ids: Vec<Uuid>,
    pub unit: Unit,
    pub unit_price_minor: i64,
    pub currency: String,
    pub included_onsite_mins: i32,
    /// Price of an hour of billable work beyond what is included.
    pub extra_hour_minor: i64,
    pub created_at: DateTime<Utc>,
}

/// One set of a contract's terms, from the day it takes effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TermsView {
    #[schema(value_type = String)]
    pub effective_on: NaiveDate,
    pub plan_id: Uuid,
    pub quantity: i32,
    #[schema(value_type = std::collections::BTreeMap<String, Targets>)]
    pub overrides: TargetTable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[schema(value_type = String)]
    pub starts_on: NaiveDate,
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<NaiveDate>,
    /// Terms in force today (or the first terms of a contract that has not started).
    pub current: TermsView,
    /// Quantity × unit price of the current terms, in minor units of `currency`.
    pub monthly_fee_minor: i64,
    pub currency: String,
    /// Every set of terms, by the date it takes effect.
    pub terms: Vec<TermsView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tenant's SLA as in force on a day: its tier's terms with the contract's overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EffectivePolicy {
    pub tenant_id: Uuid,
    #[schema(value_type = String)]
    pub on: NaiveDate,
    pub contract_id: Uuid,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub coverage: Coverage,
    #[schema(value_type = std::collections::BTreeMap<String, Targets>)]
    pub targets: TargetTable,
    /// The contract's agreed overrides, already applied to `targets`.
    #[schema(value_type = std::collections::BTreeMap<String, Targets>)]
    pub overrides: TargetTable,
    pub availability_target_bp: i32,
    pub credit_policy: CreditPolicy,
    pub quantity: i32,
    pub monthly_fee_minor: i64,
    pub currency: String,
    pub included_onsite_mins: i32,
    pub rate_limit: Option<RateLimit>,
}

/// `GET /internal/v1/tenants/{id}/rate-limit`: the tier of the tenant's contract in force today
/// and its rate limit, for the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantRateLimit {
    pub tier: Option<String>,
    pub rate_limit: Option<RateLimit>,
}

/// `POST /catalog/sla/preview` for a tenant: its policy and calendar.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPreview {
    pub tenant_id: Uuid,
    pub priority: Priority,
    pub start: DateTime<Utc>,
    /// Does the ticket need someone on site?
    #[serde(default)]
    pub onsite: bool,
}

/// The due times `POST /catalog/sla/preview` answers (`null` where no target applies).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewAnswer {
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub onsite_due_at: Option<DateTime<Utc>>,
}

/// The catalogue, as other services call it.
#[derive(Clone, Debug)]
pub struct CatalogClient {
    client: ServiceClient,
}

impl CatalogClient {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    pub fn service(&self) -> &ServiceClient {
        &self.client
    }

    async fn page<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        cursor: Option<String>,
    ) -> Result<Page<T>, CallError> {
        let path = PathQuery::new(path).arg("limit", 200).opt("cursor", cursor).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    pub async fn all_tiers(&self, token: &str) -> Result<Vec<TierView>, CallError> {
        all_pages(|cursor| self.page(token, "/api/v1/catalog/tiers", cursor)).await
    }

    pub async fn all_plans(&self, token: &str) -> Result<Vec<PlanView>, CallError> {
        all_pages(|cursor| self.page(token, "/api/v1/catalog/plans", cursor)).await
    }

    /// Every contract the token may see.
    pub async fn all_contracts(&self, token: &str) -> Result<Vec<ContractView>, CallError> {
        all_pages(|cursor| self.page(token, "/api/v1/catalog/contracts", cursor)).await
    }

    /// The tenant's SLA in force on `on` (the catalogue's today when `None`); 404 without a
    /// contract in force.
    pub async fn policy(
        &self,
        token: &str,
        tenant: Uuid,
        on: Option<NaiveDate>,
    ) -> Result<EffectivePolicy, CallError> {
        let path = PathQuery::new("/api/v1/catalog/policy").arg("tenant_id", tenant).opt("on", on).build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// The due times of a ticket of the tenant raised at `ask.start`, under its SLA and
    /// calendar (404 without a contract in force that day).
    pub async fn sla_preview(&self, token: &str, ask: &TenantPreview) -> Result<PreviewAnswer, CallError> {
        Call::post(&self.client, "/api/v1/catalog/sla/preview").bearer(token).json(ask)?.answer().await
    }

    pub async fn rate_limit(&self, token: &str, tenant: Uuid) -> Result<TenantRateLimit, CallError> {
        Call::get(&self.client, format!("/internal/v1/tenants/{tenant}/rate-limit"))
            .bearer(token)
            .answer()
            .await
    }
}

//! The monthly IT service report, as ticketing answers it (`GET /reports/monthly`) and the web
//! application shows it: a tenant's month — in its own time zone — beside the three months
//! before and the same month a year earlier, or the provider's month across every tenant.
//! The calls are on [`TicketingClient`], whose service makes the report.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::client::{Call, CallError, Download, PathQuery};
use crate::ticketing::TicketingClient;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Compliance {
    pub metric: String,
    pub priority: String,
    pub tickets: u32,
    pub met: u32,
    pub breached: u32,
    /// Met / tickets, in basis points.
    pub compliance_bp: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// `YYYY-MM`.
    pub period: String,
    /// Tickets raised in the period.
    pub tickets: u32,
    pub by_type: BTreeMap<String, u32>,
    /// Incidents (failures) by category.
    pub failures_by_category: BTreeMap<String, u32>,
    pub failures: u32,
    pub seats: Option<u32>,
    /// Failures per 100 seats, two decimals.
    pub failures_per_100_seats: Option<f64>,
    /// Tickets resolved in the period, and how.
    pub resolved: u32,
    pub resolved_remotely: u32,
    pub resolved_on_site: u32,
    pub onsite_visits: u32,
    pub avg_minutes_to_arrive: Option<i64>,
    pub avg_minutes_on_site: Option<i64>,
    /// From being raised to being resolved, of the tickets resolved in the period.
    #[serde(default)]
    pub avg_minutes_to_resolve: Option<i64>,
    pub sla: Vec<Compliance>,
    /// Breaches of the period's tickets, by metric.
    pub breaches: BTreeMap<String, u32>,
    /// Share of the period's SLA clocks met, in basis points.
    pub sla_compliance_bp: Option<u32>,
    pub feedback_responses: u32,
    /// Average rating, two decimals.
    pub satisfaction: Option<f64>,
    pub complaints: u32,
    /// Complaints per ticket resolved, in basis points.
    pub complaint_rate_bp: Option<u32>,
    /// Open at the end of the period.
    pub backlog: u32,
}

/// A month's headline figures, for the trend.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrendPoint {
    pub period: String,
    pub tickets: u32,
    pub failures: u32,
    pub resolved: u32,
    pub avg_minutes_to_arrive: Option<i64>,
    pub avg_minutes_on_site: Option<i64>,
    pub sla_compliance_bp: Option<u32>,
    pub complaint_rate_bp: Option<u32>,
    pub satisfaction: Option<f64>,
    pub backlog: u32,
}

impl From<&Figures> for TrendPoint {
    fn from(f: &Figures) -> Self {
        Self {
            period: f.period.clone(),
            tickets: f.tickets,
            failures: f.failures,
            resolved: f.resolved,
            avg_minutes_to_arrive: f.avg_minutes_to_arrive,
            avg_minutes_on_site: f.avg_minutes_on_site,
            sla_compliance_bp: f.sla_compliance_bp,
            complaint_rate_bp: f.complaint_rate_bp,
            satisfaction: f.satisfaction,
            backlog: f.backlog,
        }
    }
}

/// SLA credits the period's breaches earned (from billing, once the month is invoiced).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreditsEarned {
    pub credits: u32,
    pub amount_minor: i64,
    pub currency: Option<String>,
}

/// One tenant's line in the provider-wide report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantLine {
    pub tenant_id: Uuid,
    pub tickets: u32,
    pub failures: u32,
    pub resolved: u32,
    pub sla_compliance_bp: Option<u32>,
    pub complaints: u32,
    pub backlog: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonthlyReport {
    /// `None`: the provider's report across tenants.
    pub tenant_id: Option<Uuid>,
    pub tenant_key: Option<String>,
    pub period: String,
    /// The month's bounds are midnight in this zone.
    pub timezone: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub figures: Figures,
    pub credits: Option<CreditsEarned>,
    /// The three months before and the same month a year earlier, where there is data,
    /// oldest first, then this month.
    pub trend: Vec<TrendPoint>,
    /// Provider-wide: each tenant's headline figures.
    pub tenants: Vec<TenantLine>,
    pub generated_at: DateTime<Utc>,
}

/// The report as a file to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFile {
    Csv,
    Json,
}

impl ReportFile {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFile::Csv => "csv",
            ReportFile::Json => "json",
        }
    }
}

fn report_path(tenant: Option<Uuid>, period: &str, format: ReportFile) -> String {
    PathQuery::new("/api/v1/reports/monthly")
        .opt("tenant_id", tenant)
        .arg("period", period)
        .arg("format", format.as_str())
        .build()
}

impl TicketingClient {
    /// The monthly report of `tenant` (the caller's own when `None`, or the provider's
    /// across tenants for provider staff) for `period`, `YYYY-MM`.
    pub async fn monthly_report(
        &self,
        token: &str,
        tenant: Option<Uuid>,
        period: &str,
    ) -> Result<MonthlyReport, CallError> {
        Call::get(self.service(), report_path(tenant, period, ReportFile::Json)).bearer(token).answer().await
    }

    /// The same report as the file ticketing writes (CSV, or the JSON as sent), byte for byte.
    pub async fn monthly_report_file(
        &self,
        token: &str,
        tenant: Option<Uuid>,
        period: &str,
        format: ReportFile,
    ) -> Result<Download, CallError> {
        Call::get(self.service(), report_path(tenant, period, format)).bearer(token).download().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_tenant_month_and_format() {
        let tenant = Uuid::from_u128(1);
        assert_eq!(
            report_path(Some(tenant), "2026-10", ReportFile::Csv),
            format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10&format=csv")
        );
        assert_eq!(
            report_path(None, "2026-10", ReportFile::Json),
            "/api/v1/reports/monthly?period=2026-10&format=json"
        );
    }

    #[test]
    fn a_report_without_the_resolution_average_still_reads() {
        // Reports kept from before the average time to resolve was reported.
        let old = serde_json::json!({"period": "2026-10", "tickets": 1, "by_type": {}, "failures_by_category": {},
            "failures": 0, "seats": null, "failures_per_100_seats": null, "resolved": 0, "resolved_remotely": 0,
            "resolved_on_site": 0, "onsite_visits": 0, "avg_minutes_to_arrive": null, "avg_minutes_on_site": null,
            "sla": [], "breaches": {}, "sla_compliance_bp": null, "feedback_responses": 0, "satisfaction": null,
            "complaints": 0, "complaint_rate_bp": null, "backlog": 0});
        let f: Figures = serde_json::from_value(old).unwrap();
        assert_eq!((f.tickets, f.avg_minutes_to_resolve), (1, None));
    }
}

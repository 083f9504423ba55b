//! What the platform benchmarks share: settings for a run, sign-in, a tenant on a 24×7 tier,
//! and latency summaries.

#![allow(dead_code)]

use std::time::Duration;

use canopy::PlatformConfig;
use canopy_kernel::config::{Configuration, QuotaSettings, Secret};
use serde_json::{Value, json};

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Settings from the CANOPY_* environment (default SQLite + in-process) with a bench admin,
/// quiet logs and rate limits that never refuse.
pub fn settings() -> (PlatformConfig, std::path::PathBuf) {
    let data = std::env::temp_dir().join(format!("canopy-bench-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = PlatformConfig::load(None).expect("configuration");
    settings.data_dir = data.clone();
    settings.admin_email = Some("bench@canopy.test".into());
    settings.admin_password = Some(Secret::new("bench-password-1".into()));
    settings.telemetry.log_filter = "error".into();
    for q in settings.gateway.rate_limits.tiers.values_mut() {
        *q = QuotaSettings { requests: 1_000_000_000, period_secs: 60 };
    }
    settings.gateway.rate_limits.provider = QuotaSettings { requests: 1_000_000_000, period_secs: 60 };
    (settings, data)
}

pub async fn login(http: &reqwest::Client, gw: &str, email: &str, password: &str) -> String {
    let v: Value = http
        .post(format!("{gw}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().expect("signed in").to_owned()
}

pub async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {v}");
    v
}

/// A tenant with an admin, on a 24×7 tier: P1 answered within 60 minutes, P4 resolved within
/// 30 days. Answers the tenant id and the admin's token.
pub async fn tenant(http: &reqwest::Client, gw: &str, root: &str, key: &str) -> (String, String) {
    let email = format!("admin@{}.test", key.to_lowercase());
    let t = post(
        http,
        format!("{gw}/api/v1/tenants"),
        root,
        json!({"name": format!("{key} Ltd"), "key": key, "tier": "gold",
            "admin": {"email": email, "display_name": "Admin", "password": "bench-password-2"}}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let tier = post(
        http,
        format!("{gw}/api/v1/catalog/tiers"),
        root,
        json!({"name": format!("{key} 24x7"), "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 600},
                        "P2": {"first_response_mins": 120, "resolution_mins": 1440},
                        "P3": {"first_response_mins": 240, "resolution_mins": 4320},
                        "P4": {"first_response_mins": 480, "resolution_mins": 43200}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    let plan = post(
        http,
        format!("{gw}/api/v1/catalog/plans"),
        root,
        json!({"name": format!("{key} plan"), "tier_id": tier["id"], "unit": "seat", "unit_price_minor": 1000,
            "currency": "EUR"}),
    )
    .await;
    post(
        http,
        format!("{gw}/api/v1/catalog/contracts"),
        root,
        json!({"tenant_id": id, "plan_id": plan["id"], "quantity": 10, "starts_on": "2026-01-01"}),
    )
    .await;
    let token = login(http, gw, &email, "bench-password-2").await;
    (id, token)
}

/// Sorted latencies and their percentiles, in milliseconds.
pub struct Latencies(pub Vec<Duration>);

impl Latencies {
    pub fn new(mut v: Vec<Duration>) -> Self {
        v.sort_unstable();
        Self(v)
    }

    pub fn pct(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i].as_secs_f64() * 1000.0
    }

    pub fn max(&self) -> f64 {
        self.0.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

/// A column's value for [`insert_rows`].
pub fn v(value: impl Into<sea_orm::Value>) -> sea_orm::Value {
    value.into()
}

/// Writes rows straight into a service's table, as an insider with the database would (the
/// services keep their table definitions to themselves). Every row names the same columns.
pub async fn insert_rows(
    db: &sea_orm::DatabaseConnection,
    table: &str,
    rows: impl IntoIterator<Item = Vec<(&'static str, sea_orm::Value)>>,
) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Query};
    let mut rows = rows.into_iter().peekable();
    let Some(first) = rows.peek() else { return };
    let mut insert = Query::insert();
    insert.into_table(Alias::new(table)).columns(first.iter().map(|(column, _)| Alias::new(*column)));
    for row in rows {
        insert.values_panic(row.into_iter().map(|(_, value)| value.into()));
    }
    db.execute(&insert).await.unwrap();
}

//! The demo catalogue: the four tiers, services, a few plans, and a contract per demo tenant.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use canopy_catalog::domain::{NewPlan, NewService, NewTier, TargetTable};
use canopy_catalog::store::contracts::{Contracts, Terms};
use canopy_catalog::store::offerings::Offerings;
use canopy_kernel::config::Settings;
use canopy_kernel::{TenantId, TenantScope};

fn tier(value: serde_json::Value) -> anyhow::Result<NewTier> {
    let mut tier: NewTier = serde_json::from_value(value)?;
    let problems = tier.validate();
    anyhow::ensure!(problems.is_empty(), "demo tier {} is invalid: {problems:?}", tier.name);
    Ok(tier)
}

fn tiers() -> anyhow::Result<Vec<NewTier>> {
    Ok(vec![
        tier(json!({"name": "Bronze", "coverage": "business_hours",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480},
                        "P2": {"first_response_mins": 120, "resolution_mins": 960},
                        "P3": {"first_response_mins": 240, "resolution_mins": 2400},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9900,
            "credit_policy": {"per_breach_bp": {"resolution": {"P1": 200, "P2": 100}}, "availability_bands": [{"below_bp": 9900, "credit_bp": 500}], "cap_bp": 1000}}))?,
        tier(json!({"name": "Silver", "coverage": "business_hours",
            "targets": {"P1": {"first_response_mins": 30, "update_mins": 120, "resolution_mins": 240, "onsite_mins": 480},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 120, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 240, "resolution_mins": 2880}},
            "availability_target_bp": 9950,
            "credit_policy": {"per_breach_bp": {"first_response": {"P1": 100}, "resolution": {"P1": 300, "P2": 150}, "onsite": {"P1": 200}},
                              "availability_bands": [{"below_bp": 9950, "credit_bp": 500}, {"below_bp": 9900, "credit_bp": 1500}], "cap_bp": 2000}}))?,
        tier(json!({"name": "Gold", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 15, "update_mins": 60, "resolution_mins": 240, "onsite_mins": 240},
                        "P2": {"first_response_mins": 30, "resolution_mins": 480},
                        "P3": {"first_response_mins": 60, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 240, "resolution_mins": 4320}},
            "availability_target_bp": 9990,
            "credit_policy": {"per_breach_bp": {"first_response": {"P1": 200, "P2": 100}, "resolution": {"P1": 500, "P2": 200}, "onsite": {"P1": 300}},
                              "availability_bands": [{"below_bp": 9990, "credit_bp": 1000}, {"below_bp": 9900, "credit_bp": 2500}, {"below_bp": 9500, "credit_bp": 10000}],
                              "cap_bp": 3000}}))?,
        tier(json!({"name": "Platinum", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 10, "update_mins": 30, "resolution_mins": 120, "onsite_mins": 120},
                        "P2": {"first_response_mins": 15, "resolution_mins": 240, "onsite_mins": 240},
                        "P3": {"first_response_mins": 30, "resolution_mins": 720, "onsite_mins": 480},
                        "P4": {"first_response_mins": 120, "resolution_mins": 2880}},
            "availability_target_bp": 9995,
            "credit_policy": {"per_breach_bp": {"first_response": {"P1": 300, "P2": 150}, "resolution": {"P1": 800, "P2": 400, "P3": 100}, "onsite": {"P1": 500, "P2": 250}},
                              "availability_bands": [{"below_bp": 9995, "credit_bp": 1000}, {"below_bp": 9950, "credit_bp": 3000}, {"below_bp": 9500, "credit_bp": 10000}],
                              "cap_bp": 5000},
            "rate_limit": {"requests": 3000, "period_secs": 60}}))?,
    ])
}

const SERVICES: [(&str, &str, &str); 5] = [
    ("desktop-support", "Desktop support", "PCs, laptops, printers and peripherals, remote and on site"),
    ("network-management", "Network management", "LAN, Wi-Fi, firewalls and the internet line, monitored"),
    ("backup-recovery", "Backup and recovery", "Daily backups, verified weekly, and restores on request"),
    ("security-antivirus", "Security and antivirus", "Endpoint protection, patching and incident response"),
    ("email-hosting", "Email and hosting", "Mailboxes, domains and hosted sites"),
];

fn day(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad date"))
}

fn api(e: canopy_kernel::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// Loads the catalogue and gives each demo tenant (key → id) its contract.
pub async fn load(settings: &Settings, tenants: &[(&str, Uuid)], now: DateTime<Utc>) -> anyhow::Result<()> {
    let db = canopy_kernel::service::migrate::<canopy_catalog::Catalog>(settings).await?;
    let offerings = Offerings::new(db.clone());
    let contracts = Contracts::new(db);
    let mut services = Vec::new();
    for (key, name, description) in SERVICES {
        let new = NewService { key: key.into(), name: name.into(), description: description.into() };
        services.push(offerings.create_service(new, now).await.map_err(api)?.id);
    }
    let mut tier_ids = Vec::new();
    for tier in tiers()? {
        tier_ids.push(offerings.create_tier(&tier, now).await.map_err(api)?.id);
    }
    let plan = |name: &str,
                tier: usize,
                unit: &str,
                price: i64,
                currency: &str,
                onsite: i32|
     -> anyhow::Result<NewPlan> {
        // Work beyond the plan: an hour at a tenth of a seat's monthly price, at least 60.00.
        let extra = (price / 10).max(6_000);
        Ok(serde_json::from_value(
            json!({"name": name, "tier_id": tier_ids[tier], "service_ids": services, "unit": unit,
            "unit_price_minor": price, "currency": currency, "included_onsite_mins": onsite,
            "extra_hour_minor": extra}),
        )?)
    };
    let plans = [
        plan("Bronze clinic IT (USD, flat)", 0, "flat", 150_000, "USD", 0)?,
        plan("Silver managed office (CNY, per seat)", 1, "seat", 12_000, "CNY", 120)?,
        plan("Gold 24x7 managed desktop (EUR, per seat)", 2, "seat", 4_500, "EUR", 240)?,
        plan("Platinum critical infrastructure (EUR, per device)", 3, "device", 9_000, "EUR", 600)?,
    ];
    let mut plan_ids = Vec::new();
    for p in &plans {
        plan_ids.push(offerings.create_plan(p, now).await.map_err(api)?.id);
    }
    let acme_overrides: TargetTable = serde_json::from_value(json!({"P1": {"resolution_mins": 180}}))?;
    let deals = [
        ("ACME", 2, 40, day(2026, 10, 1)?, acme_overrides),
        ("LOTUS", 1, 12, day(2026, 9, 1)?, TargetTable::new()),
        ("HARBOR", 0, 1, day(2026, 10, 1)?, TargetTable::new()),
    ];
    for (key, plan, quantity, starts_on, overrides) in deals {
        let Some((_, tenant)) = tenants.iter().find(|(k, _)| *k == key) else { continue };
        let scope = TenantScope::trusted(TenantId(*tenant));
        let terms = Terms { effective_on: starts_on, plan_id: plan_ids[plan], quantity, overrides };
        contracts.create(&scope, None, terms, canopy_tenants::admin::SHELL_ACTOR, now).await.map_err(api)?;
    }
    Ok(())
}

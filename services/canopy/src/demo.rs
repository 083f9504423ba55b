//! `canopy demo`: a small believable data set, so a newcomer sees something real at once.
//! Loading it twice changes nothing.

use chrono::{TimeDelta, Utc};
use jiff::civil::date;

use canopy_kernel::auth::Role;
use canopy_kernel::config::Settings;
use canopy_kernel::{TenantId, TenantScope};
use canopy_sla::{CalendarSpec, WeeklyHours};
use canopy_tenants::admin::{SHELL_ACTOR, Shell, TenantSpec};
use canopy_tenants::domain::config::{Locale, Site, Validate};
use canopy_tenants::domain::secrets::PasswordHasherConfig;
use canopy_tenants::store::configs::document;

use crate::demo_tickets::{Customer, DemoTickets};

pub const DEMO_PASSWORD: &str = "canopy-demo-2026";
pub const DEMO_ADMIN: &str = "admin@canopy.demo";

pub struct DemoSummary {
    pub created: bool,
    pub logins: Vec<(String, String)>,
    /// The tenants just created, for their month of tickets (empty when already present).
    pub customers: Vec<Customer>,
}

/// The demo tenants' SLA targets as wall-clock minutes (first response, resolution, on site),
/// from their tiers (Acme's contract shortens P1 resolution to three hours).
fn customer(key: &'static str, id: uuid::Uuid) -> Option<Customer> {
    let (timezone, around_the_clock, volume, chinese, targets, engineer) = match key {
        "ACME" => (
            "Europe/Berlin",
            true,
            70,
            false,
            [(15, 180, Some(240)), (30, 480, None), (60, 1440, None), (240, 4320, None)],
            "m.mueller@canopy.demo",
        ),
        "LOTUS" => (
            "Asia/Shanghai",
            false,
            45,
            true,
            [(30, 240, Some(480)), (60, 480, None), (120, 1440, None), (240, 2880, None)],
            "zhang.wei@canopy.demo",
        ),
        "HARBOR" => (
            "America/New_York",
            false,
            25,
            false,
            [(60, 480, None), (120, 960, None), (240, 2400, None), (480, 4800, None)],
            "e.carter@canopy.demo",
        ),
        _ => return None,
    };
    Some(Customer { key, id, timezone, around_the_clock, volume, chinese, targets, engineer })
}

/// The month of tickets for freshly created demo tenants, through the platform at `base`.
pub async fn load_tickets(summary: &DemoSummary, base: &str) -> anyhow::Result<Option<DemoTickets>> {
    if summary.customers.is_empty() {
        return Ok(None);
    }
    Ok(Some(crate::demo_tickets::load(base, &summary.customers, Utc::now()).await?))
}

struct DemoTenant {
    spec: TenantSpec<'static>,
    calendar: CalendarSpec,
    sites: Vec<(&'static str, &'static str, &'static str, f64, f64)>,
    users: Vec<(&'static str, &'static str, Role)>,
}

/// Holidays' names, by date.
fn names(days: &[(jiff::civil::Date, &str)]) -> std::collections::BTreeMap<jiff::civil::Date, String> {
    days.iter().map(|(d, n)| (*d, (*n).to_owned())).collect()
}

fn tenants() -> Vec<DemoTenant> {
    let now = Utc::now();
    vec![
        DemoTenant {
            spec: TenantSpec {
                key: "ACME",
                name: "Acme Trading GmbH",
                timezone: "Europe/Berlin",
                locale: Locale::En,
                tier: "gold",
                trial_ends_at: None,
            },
            calendar: CalendarSpec {
                weekly: WeeklyHours::weekdays(&[("08:00", "18:00")]),
                holidays: vec![date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)],
                extra_working_days: vec![],
                holiday_names: names(&[
                    (date(2026, 12, 24), "Heiligabend"),
                    (date(2026, 12, 25), "1. Weihnachtstag"),
                    (date(2026, 12, 26), "2. Weihnachtstag"),
                    (date(2027, 1, 1), "Neujahr"),
                ]),
            },
            sites: vec![
                ("Berlin head office", "Friedrichstraße 68, 10117 Berlin", "berlin", 52.5076, 13.3904),
                ("Hamburg warehouse", "Am Sandtorkai 50, 20457 Hamburg", "hamburg", 53.5437, 9.9887),
            ],
            users: vec![
                ("it@acme.demo", "Greta Hoffmann", Role::TenantAdmin),
                ("jonas@acme.demo", "Jonas Weber", Role::Requester),
                ("lea@acme.demo", "Lea Schulz", Role::Requester),
            ],
        },
        DemoTenant {
            spec: TenantSpec {
                key: "LOTUS",
                name: "莲花设计工作室 Lotus Design",
                timezone: "Asia/Shanghai",
                locale: Locale::ZhCn,
                tier: "silver",
                trial_ends_at: None,
            },
            calendar: CalendarSpec {
                weekly: WeeklyHours::weekdays(&[("09:00", "12:00"), ("13:00", "18:00")]),
                // National Day week, worked back on the Sunday before and the Saturday after.
                holidays: (1..=7).map(|d| date(2026, 10, d)).collect(),
                extra_working_days: vec![date(2026, 9, 27), date(2026, 10, 10)],
                holiday_names: (1..=7).map(|d| (date(2026, 10, d), "国庆节".to_owned())).collect(),
            },
            sites: vec![(
                "上海总部 Shanghai studio",
                "上海市浦东新区世纪大道100号",
                "shanghai-pudong",
                31.2354,
                121.5055,
            )],
            users: vec![
                ("admin@lotus.demo", "王芳 Wang Fang", Role::TenantAdmin),
                ("chen@lotus.demo", "陈磊 Chen Lei", Role::Requester),
            ],
        },
        DemoTenant {
            spec: TenantSpec {
                key: "HARBOR",
                name: "Harbor Family Clinic",
                timezone: "America/New_York",
                locale: Locale::En,
                tier: "bronze",
                trial_ends_at: Some(now + TimeDelta::days(30)),
            },
            calendar: CalendarSpec {
                weekly: WeeklyHours {
                    sat: vec![("09:00".into(), "13:00".into())],
                    ..WeeklyHours::weekdays(&[("07:30", "19:00")])
                },
                holidays: vec![date(2026, 11, 26), date(2026, 12, 25)],
                extra_working_days: vec![],
                holiday_names: names(&[
                    (date(2026, 11, 26), "Thanksgiving"),
                    (date(2026, 12, 25), "Christmas Day"),
                ]),
            },
            sites: vec![("Clinic", "120 Harbor St, Boston, MA 02210", "boston", 42.3496, -71.0453)],
            users: vec![
                ("office@harbor.demo", "Dana Brooks", Role::TenantAdmin),
                ("nurse.kim@harbor.demo", "Kim Lee", Role::Requester),
            ],
        },
    ]
}

const STAFF: [(&str, &str, Role); 6] = [
    (DEMO_ADMIN, "Provider Admin", Role::ProviderAdmin),
    ("desk@canopy.demo", "Sam Rivera (service desk)", Role::Agent),
    ("zhang.wei@canopy.demo", "Zhang Wei (engineer)", Role::Engineer),
    ("m.mueller@canopy.demo", "Max Müller (engineer)", Role::Engineer),
    ("e.carter@canopy.demo", "Emily Carter (engineer)", Role::Engineer),
    ("dispatch@canopy.demo", "Ana Costa (dispatcher)", Role::Dispatcher),
];

pub async fn load(settings: &Settings) -> anyhow::Result<DemoSummary> {
    let db = canopy_kernel::service::migrate::<canopy_tenants::TenantsService>(settings).await?;
    let (memory, iterations) = (settings.auth.argon2_memory_kib, settings.auth.argon2_iterations);
    let passwords =
        tokio::task::spawn_blocking(move || PasswordHasherConfig::new(memory, iterations)).await??;
    let shell = Shell::new(db, passwords);
    let now = Utc::now();
    let already =
        shell.users.find_for_login(DEMO_ADMIN).await.map_err(|e| anyhow::anyhow!("{e:?}"))?.is_some();
    if already {
        return Ok(DemoSummary { created: false, logins: demo_logins(), customers: Vec::new() });
    }
    for (email, name, role) in STAFF {
        shell
            .create_user(None, email, name, DEMO_PASSWORD, vec![role], now)
            .await
            .map_err(|e| anyhow::anyhow!("{email}: {e:?}"))?;
    }
    let mut created = Vec::new();
    for t in tenants() {
        let key = t.spec.key;
        let tenant = shell.create_tenant(t.spec, now).await.map_err(|e| anyhow::anyhow!("{key}: {e:?}"))?;
        created.push((key, tenant.id));
        let scope = TenantScope::trusted(TenantId(tenant.id));
        let current = shell.configs.current(&scope).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut config = document(&current).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        config.business_calendar = t.calendar;
        // VAT on invoices: Germany 19 %, China 6 % (IT services), none for the US clinic.
        config.tax_rate_bp = match key {
            "ACME" => 1900,
            "LOTUS" => 600,
            _ => 0,
        };
        config.sites = t
            .sites
            .into_iter()
            .map(|(name, address, region, lat, lon)| Site {
                id: uuid::Uuid::now_v7(),
                name: name.into(),
                address: address.into(),
                region: region.into(),
                latitude: Some(lat),
                longitude: Some(lon),
                contact: None,
            })
            .collect();
        let problems = config.validate(None);
        anyhow::ensure!(problems.is_empty(), "demo configuration of {key} is invalid: {problems:?}");
        shell
            .configs
            .save(&scope, None, &config, SHELL_ACTOR, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for (email, name, role) in t.users {
            shell
                .create_user(Some(tenant.id), email, name, DEMO_PASSWORD, vec![role], now)
                .await
                .map_err(|e| anyhow::anyhow!("{email}: {e:?}"))?;
        }
    }
    crate::demo_catalog::load(settings, &created, now).await?;
    let customers = created.iter().filter_map(|(key, id)| customer(key, *id)).collect();
    Ok(DemoSummary { created: true, logins: demo_logins(), customers })
}

fn demo_logins() -> Vec<(String, String)> {
    vec![
        (DEMO_ADMIN.into(), "provider admin".into()),
        ("dispatch@canopy.demo".into(), "dispatcher".into()),
        ("it@acme.demo".into(), "tenant admin of Acme (gold, Berlin)".into()),
        ("admin@lotus.demo".into(), "tenant admin of Lotus (silver, Shanghai)".into()),
        ("jonas@acme.demo".into(), "requester at Acme".into()),
    ]
}

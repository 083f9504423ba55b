//! `canopy`: the whole platform in one process (`serve`), or one service (`gateway`,
//! `tenants`), plus migrations, administration and demo data from the shell.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use canopy::Platform;
use canopy::PlatformConfig;
use canopy_kernel::auth::Role;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use canopy_kernel::config::{Configuration, Settings};
use canopy_kernel::service::{Service, run_alone};
use canopy_tenants::admin::{Shell, TenantSpec};
use canopy_tenants::domain::config::Locale;
use canopy_tenants::domain::secrets::{PasswordHasherConfig, random_token};

#[derive(Parser)]
#[command(name = "canopy", version, about = "Canopy, the managed IT service platform")]
struct Cli {
    /// A TOML configuration file (also CANOPY_CONFIG); CANOPY_* variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every service in one process behind the gateway on CANOPY_LISTEN.
    Serve {
        /// Load the demo data set first.
        #[arg(long)]
        demo: bool,
    },
    /// The gateway alone (needs CANOPY_UPSTREAMS__TENANTS and CANOPY_UPSTREAMS__CATALOG).
    Gateway,
    /// The tenants service alone.
    Tenants,
    /// The catalog service alone (needs CANOPY_UPSTREAMS__TENANTS).
    Catalog,
    /// The ticketing service alone (needs CANOPY_UPSTREAMS__TENANTS and CANOPY_UPSTREAMS__CATALOG).
    Ticketing,
    /// The scheduler (dispatch) service alone (needs CANOPY_UPSTREAMS__TENANTS).
    Scheduler,
    /// The billing service alone (needs CANOPY_UPSTREAMS__TENANTS, __CATALOG and __TICKETING).
    Billing,
    /// The web application alone (needs CANOPY_UPSTREAMS__GATEWAY; the gateway needs
    /// CANOPY_UPSTREAMS__WEB to route pages to it).
    Web,
    /// Apply every service's database migrations, then exit.
    Migrate,
    /// Load the demo data set, then exit.
    Demo,
    /// Administration from the shell.
    #[command(subcommand)]
    Admin(Admin),
    /// Print the effective configuration (secrets redacted).
    Config,
}

#[derive(Subcommand)]
enum Admin {
    /// Create a tenant.
    CreateTenant {
        /// Short upper-case key, the prefix of ticket numbers (ACME).
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// `en` or `zh-CN`.
        #[arg(long, default_value = "en")]
        locale: String,
        #[arg(long, default_value = "standard")]
        tier: String,
        /// Also create the tenant's first admin with this email (asks for --admin-password).
        #[arg(long, requires = "admin_password")]
        admin_email: Option<String>,
        #[arg(long, env = "CANOPY_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Create a provider admin.
    CreateProviderAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, env = "CANOPY_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Provider admin")]
        name: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = PlatformConfig::load(cli.config.as_deref())?;
    actix_web::rt::System::new().block_on(run(cli.command, settings))
}

async fn run(command: Command, settings: PlatformConfig) -> anyhow::Result<()> {
    match command {
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&settings)?);
            Ok(())
        }
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Gateway => run_alone::<canopy_gateway::Gateway>(settings.common).await,
        Command::Tenants => run_alone::<canopy_tenants::TenantsService>(settings.tenants()).await,
        Command::Catalog => run_alone::<canopy_catalog::Catalog>(settings.common).await,
        Command::Ticketing => run_alone::<canopy_ticketing::Ticketing>(settings.ticketing()).await,
        Command::Scheduler => run_alone::<canopy_scheduler::Scheduler>(settings.scheduler()).await,
        Command::Billing => run_alone::<canopy_billing::Billing>(settings.billing()).await,
        Command::Web => run_alone::<canopy_web::Web>(settings.common).await,
        Command::Migrate => {
            migrate::<canopy_tenants::TenantsService>(&settings).await?;
            migrate::<canopy_catalog::Catalog>(&settings).await?;
            migrate::<canopy_ticketing::Ticketing>(&settings).await?;
            migrate::<canopy_scheduler::Scheduler>(&settings).await?;
            migrate::<canopy_billing::Billing>(&settings).await?;
            Ok(())
        }
        Command::Demo => {
            let summary = canopy::demo::load(&settings).await?;
            // The month of tickets goes through the platform itself (history import, SLA judged),
            // started here on a loopback port for the occasion.
            let tickets = if summary.customers.is_empty() {
                None
            } else {
                let backends = Backends::from_settings(&settings).await?;
                let platform = Platform::start(
                    settings,
                    backends,
                    Arc::new(SystemClock),
                    TcpListener::bind("127.0.0.1:0")?,
                )
                .await?;
                let loaded =
                    canopy::demo::load_tickets(&summary, &format!("http://{}", platform.gateway)).await;
                platform.stop().await;
                loaded?
            };
            print_demo(&summary, tickets.as_ref());
            Ok(())
        }
        Command::Admin(admin) => run_admin(admin, settings).await,
    }
}

/// Applies `S`'s migrations and says where.
async fn migrate<S: Service>(settings: &Settings) -> anyhow::Result<()> {
    canopy_kernel::service::migrate::<S>(settings).await?;
    println!("migrations applied: {} ({})", S::NAME, canopy_kernel::db::describe(settings, S::NAME));
    Ok(())
}

async fn serve(settings: PlatformConfig, demo: bool) -> anyhow::Result<()> {
    let _telemetry = canopy_kernel::telemetry::init(&settings.telemetry, "canopy")?;
    let demo_summary = if demo { Some(canopy::demo::load(&settings).await?) } else { None };
    let backends = Backends::from_settings(&settings).await?;
    let listener = TcpListener::bind(&settings.listen).map_err(|e| {
        anyhow::anyhow!("cannot listen on {} ({e}); set CANOPY_LISTEN to another address", settings.listen)
    })?;
    let public = settings.public_url.clone().unwrap_or_else(|| {
        format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default())
    });
    let database = match &settings.database_url {
        Some(_) => "PostgreSQL, a schema per service".to_owned(),
        None => format!("SQLite, a file per service in {}", settings.data_dir.display()),
    };
    let platform = Platform::start(settings, backends.clone(), Arc::new(SystemClock), listener).await?;
    let first_admin = ensure_some_admin(&platform).await?;
    let demo_tickets = match &demo_summary {
        Some(summary) => canopy::demo::load_tickets(summary, &format!("http://{}", platform.gateway)).await?,
        None => None,
    };

    println!();
    println!("  Canopy is running at {public}");
    println!("    sign in:   {public}/");
    println!("    API docs:  {public}/docs");
    println!("    storage:   {database}; cache, rate limits and events {}", backends.describe());
    if let Some((email, password)) = first_admin {
        println!("    first provider admin: {email} / {password}   (shown once; change it)");
    }
    if let Some(summary) = &demo_summary {
        print_demo(summary, demo_tickets.as_ref());
    }
    println!();
    platform.wait().await
}

/// Without CANOPY_ADMIN_EMAIL/PASSWORD and no provider admin yet, makes one with a random
/// password and prints it once, so a fresh `canopy serve` can always be signed into.
async fn ensure_some_admin(platform: &Platform) -> anyhow::Result<Option<(String, String)>> {
    let state = &platform.tenants_state;
    if state.users.provider_admin_exists().await.map_err(|e| anyhow::anyhow!("{e:?}"))? {
        return Ok(None);
    }
    let email = "admin@canopy.local".to_owned();
    let password = random_token(12);
    let shell = Shell::new(state.db.clone(), state.passwords.clone());
    shell
        .create_user(None, &email, "Provider admin", &password, vec![Role::ProviderAdmin], state.now())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(Some((email, password)))
}

fn print_demo(summary: &canopy::demo::DemoSummary, tickets: Option<&canopy::demo_tickets::DemoTickets>) {
    println!(
        "    demo data {}; every demo user's password is {}:",
        if summary.created { "loaded" } else { "already present" },
        canopy::demo::DEMO_PASSWORD
    );
    if let Some(t) = tickets {
        println!(
            "    tickets: {} imported for {} ({} SLA breaches judged), {} open now; {} engineers dispatching, \
             {} on-site visits in today's rounds; {} invoices for {}",
            t.imported, t.period, t.breaches, t.open, t.engineers, t.visits_planned, t.invoices, t.period
        );
        println!(
            "    monitoring: {} alerts, {} incidents opened from them; knowledge base: {} articles; \
             the monthly report: /api/v1/reports/monthly?period={}&format=html",
            t.alerts, t.incidents_from_alerts, t.articles, t.period
        );
    }
    for (email, who) in &summary.logins {
        println!("      {email:<26} {who}");
    }
}

async fn run_admin(admin: Admin, settings: PlatformConfig) -> anyhow::Result<()> {
    let db = canopy_kernel::service::migrate::<canopy_tenants::TenantsService>(&settings).await?;
    let (memory, iterations) = (settings.auth.argon2_memory_kib, settings.auth.argon2_iterations);
    let passwords =
        tokio::task::spawn_blocking(move || PasswordHasherConfig::new(memory, iterations)).await??;
    let shell = Shell::new(db, passwords);
    let now = chrono::Utc::now();
    let fail = |e: canopy_kernel::ApiError| {
        let mut message = e.detail().to_owned();
        for f in e.field_errors() {
            message.push_str(&format!("\n  {}: {}", f.field, f.message));
        }
        anyhow::anyhow!(message)
    };
    match admin {
        Admin::CreateTenant { key, name, timezone, locale, tier, admin_email, admin_password } => {
            let locale = match locale.as_str() {
                "en" => Locale::En,
                "zh-CN" => Locale::ZhCn,
                other => anyhow::bail!("locale `{other}` is not supported (en, zh-CN)"),
            };
            anyhow::ensure!(
                settings.gateway.rate_limits.tiers.contains_key(&tier),
                "tier `{tier}` is not configured"
            );
            let spec = TenantSpec {
                key: &key,
                name: &name,
                timezone: &timezone,
                locale,
                tier: &tier,
                trial_ends_at: None,
            };
            let tenant = shell.create_tenant(spec, now).await.map_err(fail)?;
            println!("tenant {} created: {}", tenant.key, tenant.id);
            if let (Some(email), Some(password)) = (admin_email, admin_password) {
                let user = shell
                    .create_user(
                        Some(tenant.id),
                        &email,
                        "Tenant admin",
                        &password,
                        vec![Role::TenantAdmin],
                        now,
                    )
                    .await
                    .map_err(fail)?;
                println!("tenant admin {} created: {}", user.email, user.id);
            }
        }
        Admin::CreateProviderAdmin { email, password, name } => {
            let user = shell
                .create_user(None, &email, &name, &password, vec![Role::ProviderAdmin], now)
                .await
                .map_err(fail)?;
            println!("provider admin {} created: {}", user.email, user.id);
        }
    }
    Ok(())
}

//! Layered configuration: embedded defaults → optional TOML file → `CANOPY_*`
//! environment (`__` separates nesting), validated once at start.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that must never reach a log line: `Debug` and `Serialize` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret<String> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient_string(deserializer).map(Secret)
    }
}

/// Environment values such as `CANOPY_ADMIN_PASSWORD=12345678` arrive parsed
/// as numbers; a string field takes them as written.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        I(i64),
        U(u64),
        F(f64),
        B(bool),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::S(s) => s,
        Raw::I(i) => i.to_string(),
        Raw::U(u) => u.to_string(),
        Raw::F(f) => f.to_string(),
        Raw::B(b) => b.to_string(),
    })
}

fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Secret<String>>::deserialize(d).map(|o| o.map(|s| s.0))
}

/// A list of base URLs: `"http://a:1,http://b:2"` or `["http://a:1", "http://b:2"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UrlList(pub Vec<String>);

impl<'de> Deserialize<'de> for UrlList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let items = match Raw::deserialize(deserializer)? {
            Raw::One(s) => s.split(',').map(str::to_owned).collect(),
            Raw::Many(v) => v,
        };
        Ok(UrlList(
            items
                .into_iter()
                .map(|s| s.trim().trim_end_matches('/').to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        ))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address of the process's HTTP listener (the public entry for `serve` and `gateway`).
    pub listen: String,
    /// Internal address of the process's Prometheus `/metrics` (loopback by default; empty
    /// serves none). Never the public listener.
    pub metrics_listen: String,
    /// Where the embedded default keeps its SQLite files.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; unset means the embedded SQLite files.
    pub database_url: Option<Secret<String>>,
    /// Redis URL; unset means in-process cache, rate limiter and event bus.
    pub redis_url: Option<Secret<String>>,
    /// Prefix of every Redis key and stream, so several deployments (or tests) share one Redis.
    pub redis_prefix: String,
    /// How long a Redis call may take, and how long to do without Redis after one fails.
    pub redis: RedisSettings,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret<String>>,
    /// The URL people use to reach the platform, printed at start and used in links.
    pub public_url: Option<String>,
    pub upstreams: Upstreams,
    pub auth: AuthSettings,
    pub gateway: GatewaySettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Upstreams {
    /// Base URLs of the tenants service replicas (`canopy gateway` and services that verify tokens).
    pub tenants: UrlList,
    /// Base URLs of the catalog service replicas.
    pub catalog: UrlList,
    /// Base URLs of the ticketing service replicas.
    pub ticketing: UrlList,
    /// Base URLs of the scheduler service replicas.
    pub scheduler: UrlList,
    /// Base URLs of the billing service replicas.
    pub billing: UrlList,
    /// Base URLs of the gateway (the web application calls the public API through it).
    pub gateway: UrlList,
    /// Base URLs of the web application's replicas (the gateway routes pages to them).
    pub web: UrlList,
}

impl Upstreams {
    /// The replicas of the service named `name` (none for a name that is not a service).
    pub fn of(&self, name: &str) -> &[String] {
        match name {
            "tenants" => &self.tenants.0,
            "catalog" => &self.catalog.0,
            "ticketing" => &self.ticketing.0,
            "scheduler" => &self.scheduler.0,
            "billing" => &self.billing.0,
            "gateway" => &self.gateway.0,
            "web" => &self.web.0,
            _ => &[],
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of the token the gateway obtains for an API key.
    pub api_key_token_ttl_secs: u64,
    /// PKCS#8 PEM of the Ed25519 signing key; unset means a key generated once and kept in the tenants database.
    pub signing_key_pem: Option<Secret<String>>,
    /// Shared by the services (32+ characters): a service presents it to the tenants service
    /// for a short-lived token of its own, for work no user asked for (recurring jobs).
    /// `canopy serve` makes one when unset; separate processes must share one.
    pub service_secret: Option<Secret<String>>,
    /// Lower bound between two JWKS fetches triggered by an unknown `kid`.
    pub jwks_min_refresh_secs: u64,
    /// Argon2id memory cost in KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    pub max_body_bytes: usize,
    /// The time a client has to send a request's whole body once its headers arrived (408 after).
    pub body_timeout_secs: u64,
    /// Open connections allowed from one client address at the public entry (0: no cap).
    pub max_connections_per_address: usize,
    pub upstream_timeout_secs: u64,
    /// Origins allowed by CORS; empty allows none (same-origin only), `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    pub rate_limits: RateLimitSettings,
    /// How long the gateway trusts a tenant's status before asking again.
    pub tenant_status_ttl_secs: u64,
    /// Take the client address from `X-Forwarded-For`/`Forwarded` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// How often the gateway's replica of the access revocations asks the tenants service
    /// for new ones (besides the bus event and the per-request hint).
    pub revocation_sync_ms: u64,
    /// How long the replica may go without a successful sync before authenticated requests
    /// are refused with 503 (fail closed) rather than decided on a stale list.
    pub revocation_max_staleness_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuotaSettings {
    /// Requests allowed in one period (also the burst).
    pub requests: u32,
    pub period_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// Tier used for a tenant until the catalogue knows its contract.
    pub default_tier: String,
    /// Quota per tenant, by SLA tier name (lower case).
    pub tiers: BTreeMap<String, QuotaSettings>,
    /// Quota per provider staff member.
    pub provider: QuotaSettings,
    /// Quota per client address for unauthenticated endpoints (login, refresh).
    pub anonymous: QuotaSettings,
    /// Quota per client address for the web application's pages and assets (the API calls a
    /// page makes count against the signed-in user's own quota).
    pub pages: QuotaSettings,
}

/// Failing fast without Redis: every call is bounded by `timeout_ms`; after a failure the
/// cache and the rate limiter work in process for `fallback_secs`, then try Redis again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    pub timeout_ms: u64,
    pub fallback_secs: u64,
    /// An event read by a consumer that has not acknowledged it after this long is handed to
    /// another consumer of its group (the first one died).
    pub claim_after_secs: u64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self { timeout_ms: 250, fallback_secs: 10, claim_after_secs: 60 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// `tracing` filter directives, e.g. `info,canopy_tenants=debug`.
    pub log_filter: String,
    /// OTLP/HTTP endpoint; `OTEL_EXPORTER_OTLP_ENDPOINT` sets it too.
    pub otlp_endpoint: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: "127.0.0.1:9464".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            redis_url: None,
            redis_prefix: "canopy".into(),
            redis: RedisSettings::default(),
            admin_email: None,
            admin_password: None,
            public_url: None,
            upstreams: Upstreams::default(),
            auth: AuthSettings::default(),
            gateway: GatewaySettings::default(),
            database: DatabaseSettings::default(),
            telemetry: TelemetrySettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "canopy".into(),
            audience: "canopy".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            api_key_token_ttl_secs: 5 * 60,
            signing_key_pem: None,
            service_secret: None,
            jwks_min_refresh_secs: 10,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
        }
    }
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            body_timeout_secs: 30,
            max_connections_per_address: 256,
            upstream_timeout_secs: 30,
            cors_allowed_origins: Vec::new(),
            rate_limits: RateLimitSettings::default(),
            tenant_status_ttl_secs: 30,
            trust_forwarded_for: false,
            revocation_sync_ms: 1000,
            revocation_max_staleness_secs: 10,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        let quota = |requests| QuotaSettings { requests, period_secs: 60 };
        Self {
            default_tier: "standard".into(),
            tiers: BTreeMap::from([
                ("standard".into(), quota(600)),
                ("bronze".into(), quota(300)),
                ("silver".into(), quota(600)),
                ("gold".into(), quota(1200)),
                ("platinum".into(), quota(3000)),
            ]),
            provider: quota(6000),
            anonymous: quota(60),
            pages: quota(1200),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout_secs: 10 }
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self { log_format: LogFormat::Json, log_filter: "info".into(), otlp_endpoint: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration is invalid:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

/// A process's whole configuration: the kernel's common [`Settings`] and the sections of the
/// services the process runs, each service owning its own. Loaded in layers — embedded
/// defaults, then the file (the argument or `CANOPY_CONFIG`), then `CANOPY_*` — and
/// validated once, every problem reported at once.
pub trait Configuration:
    Serialize + serde::de::DeserializeOwned + Default + AsRef<Settings> + AsMut<Settings>
{
    /// Problems in the sections beyond the common ones.
    fn check(&self, _problems: &mut Vec<String>) {}

    fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        let env_file = std::env::var_os("CANOPY_CONFIG").map(PathBuf::from);
        if let Some(path) = file.map(Path::to_path_buf).or(env_file) {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment =
            figment.merge(Env::prefixed("CANOPY_").ignore(&["config", "log", "test_backends"]).split("__"));
        let mut loaded: Self = figment.extract().map_err(Box::new)?;
        let common = loaded.as_mut();
        common.apply_verbatim(|name| std::env::var(name).ok());
        if common.telemetry.otlp_endpoint.is_none() {
            common.telemetry.otlp_endpoint =
                std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|s| !s.is_empty());
        }
        if let Ok(filter) = std::env::var("CANOPY_LOG") {
            common.telemetry.log_filter = filter;
        }
        loaded.validate_all()?;
        Ok(loaded)
    }

    fn validate_all(&self) -> Result<(), ConfigError> {
        let mut problems = self.as_ref().problems();
        self.check(&mut problems);
        if problems.is_empty() { Ok(()) } else { Err(ConfigError::Invalid(problems)) }
    }
}

impl AsRef<Settings> for Settings {
    fn as_ref(&self) -> &Settings {
        self
    }
}

impl AsMut<Settings> for Settings {
    fn as_mut(&mut self) -> &mut Settings {
        self
    }
}

/// A process that runs only services without sections of their own.
impl Configuration for Settings {}

/// For a service's own configuration type, which holds the common settings in a `common`
/// field flattened beside its sections: reads of the common settings go straight through.
#[macro_export]
macro_rules! with_common_settings {
    ($config:ty) => {
        impl ::std::ops::Deref for $config {
            type Target = $crate::config::Settings;
            fn deref(&self) -> &$crate::config::Settings {
                &self.common
            }
        }
        impl ::std::ops::DerefMut for $config {
            fn deref_mut(&mut self) -> &mut $crate::config::Settings {
                &mut self.common
            }
        }
        impl AsRef<$crate::config::Settings> for $config {
            fn as_ref(&self) -> &$crate::config::Settings {
                &self.common
            }
        }
        impl AsMut<$crate::config::Settings> for $config {
            fn as_mut(&mut self) -> &mut $crate::config::Settings {
                &mut self.common
            }
        }
    };
}

impl Settings {
    /// Environment values are parsed as numbers, booleans or lists where they look like one,
    /// which would turn the password `0123456789` into `123456789`. Values that are text by
    /// nature are taken again exactly as written.
    fn apply_verbatim(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(v) = var("CANOPY_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = var("CANOPY_METRICS_LISTEN") {
            self.metrics_listen = v;
        }
        if let Some(v) = var("CANOPY_ADMIN_EMAIL") {
            self.admin_email = Some(v);
        }
        if let Some(v) = var("CANOPY_ADMIN_PASSWORD") {
            self.admin_password = Some(Secret::new(v));
        }
        if let Some(v) = var("CANOPY_DATABASE_URL") {
            self.database_url = Some(Secret::new(v)).filter(|s| !s.expose().is_empty());
        }
        if let Some(v) = var("CANOPY_REDIS_URL") {
            self.redis_url = Some(Secret::new(v)).filter(|s| !s.expose().is_empty());
        }
        if let Some(v) = var("CANOPY_REDIS_PREFIX") {
            self.redis_prefix = v;
        }
        if let Some(v) = var("CANOPY_AUTH__SIGNING_KEY_PEM") {
            self.auth.signing_key_pem = Some(Secret::new(v));
        }
        if let Some(v) = var("CANOPY_AUTH__SERVICE_SECRET") {
            self.auth.service_secret = Some(Secret::new(v)).filter(|s| !s.expose().is_empty());
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems = self.problems();
        if problems.is_empty() { Ok(()) } else { Err(ConfigError::Invalid(problems)) }
    }

    /// Everything wrong with the common settings.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.listen.parse::<SocketAddr>().is_err() {
            problems.push(format!("listen: `{}` is not an address such as 127.0.0.1:8080", self.listen));
        }
        if !self.metrics_listen.is_empty() && self.metrics_listen.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "metrics_listen: `{}` is not an address such as 127.0.0.1:9464 (or empty for none)",
                self.metrics_listen
            ));
        }
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                problems.push(
                    "database_url: must be a postgres:// URL (unset it for the embedded SQLite)".into(),
                );
            }
        }
        if let Some(url) = &self.redis_url
            && !url.expose().starts_with("redis://")
            && !url.expose().starts_with("rediss://")
        {
            problems.push("redis_url: must be a redis:// or rediss:// URL".into());
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.contains(char::is_whitespace) {
            problems.push("redis_prefix: must be a non-empty word".into());
        }
        if !(10..=60_000).contains(&self.redis.timeout_ms) {
            problems.push("redis.timeout_ms: must be between 10 and 60000".into());
        }
        if self.redis.claim_after_secs == 0 {
            problems.push("redis.claim_after_secs: must be at least 1".into());
        }
        match (&self.admin_email, &self.admin_password) {
            (Some(email), Some(password)) => {
                if !crate::validate::is_email(email) {
                    problems.push(format!("admin_email: `{email}` is not an email address"));
                }
                if password.expose().chars().count() < 10 {
                    problems.push("admin_password: must have at least 10 characters".into());
                }
            }
            (None, None) => {}
            _ => problems.push("admin_email and admin_password: set both or neither".into()),
        }
        for (name, list) in [
            ("tenants", &self.upstreams.tenants),
            ("catalog", &self.upstreams.catalog),
            ("ticketing", &self.upstreams.ticketing),
            ("scheduler", &self.upstreams.scheduler),
            ("billing", &self.upstreams.billing),
            ("gateway", &self.upstreams.gateway),
            ("web", &self.upstreams.web),
        ] {
            for url in &list.0 {
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    problems.push(format!("upstreams.{name}: `{url}` is not an http(s) URL"));
                }
            }
        }
        let auth = &self.auth;
        if auth.service_secret.as_ref().is_some_and(|s| s.expose().chars().count() < 32) {
            problems.push("auth.service_secret: must have at least 32 characters".into());
        }
        if !(60..=24 * 3600).contains(&auth.access_token_ttl_secs) {
            problems.push("auth.access_token_ttl_secs: must be between 60 and 86400".into());
        }
        if auth.refresh_token_ttl_secs < auth.access_token_ttl_secs {
            problems.push("auth.refresh_token_ttl_secs: must not be shorter than the access token's".into());
        }
        if !(60..=3600).contains(&auth.api_key_token_ttl_secs) {
            problems.push("auth.api_key_token_ttl_secs: must be between 60 and 3600".into());
        }
        if auth.argon2_memory_kib < 8 * 1024 || auth.argon2_iterations == 0 {
            problems
                .push("auth.argon2_memory_kib must be at least 8192 and argon2_iterations at least 1".into());
        }
        let gw = &self.gateway;
        if gw.max_body_bytes < 1024 {
            problems.push("gateway.max_body_bytes: must be at least 1024".into());
        }
        if gw.body_timeout_secs == 0 {
            problems.push("gateway.body_timeout_secs: must be positive".into());
        }
        if gw.upstream_timeout_secs == 0 {
            problems.push("gateway.upstream_timeout_secs: must be positive".into());
        }
        if !(50..=60_000).contains(&gw.revocation_sync_ms) {
            problems.push("gateway.revocation_sync_ms: must be between 50 and 60000".into());
        }
        if gw.revocation_max_staleness_secs == 0
            || gw.revocation_max_staleness_secs.saturating_mul(1000) <= gw.revocation_sync_ms
        {
            problems.push(
                "gateway.revocation_max_staleness_secs: must be positive and longer than revocation_sync_ms"
                    .into(),
            );
        }
        let rl = &gw.rate_limits;
        if !rl.tiers.contains_key(&rl.default_tier) {
            problems.push(format!(
                "gateway.rate_limits.default_tier: `{}` is not one of the tiers ({})",
                rl.default_tier,
                rl.tiers.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let quotas = rl.tiers.iter().map(|(k, q)| (format!("tiers.{k}"), q)).chain([
            ("provider".to_string(), &rl.provider),
            ("anonymous".to_string(), &rl.anonymous),
            ("pages".to_string(), &rl.pages),
        ]);
        for (name, quota) in quotas {
            if quota.requests == 0 || quota.period_secs == 0 {
                problems
                    .push(format!("gateway.rate_limits.{name}: requests and period_secs must be positive"));
            }
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections: must be positive".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Settings {
            admin_password: Some(Secret::new("hunter2-hunter2".into())),
            database_url: Some(Secret::new("postgres://u:pw@h/db".into())),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("pw@h"));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn invalid_values_are_all_reported() {
        let s = Settings {
            listen: "nowhere".into(),
            admin_email: Some("not-an-email".into()),
            ..Settings::default()
        };
        let Err(ConfigError::Invalid(problems)) = s.validate() else { panic!("expected invalid") };
        assert!(problems.iter().any(|p| p.starts_with("listen")));
        assert!(problems.iter().any(|p| p.starts_with("admin_email and admin_password")));
    }

    #[test]
    fn text_values_from_the_environment_stay_as_written() {
        let mut s = Settings::default();
        s.apply_verbatim(|name| match name {
            "CANOPY_ADMIN_PASSWORD" => Some("0123456789".into()),
            "CANOPY_REDIS_PREFIX" => Some("007".into()),
            "CANOPY_DATABASE_URL" => Some(String::new()),
            _ => None,
        });
        assert_eq!(s.admin_password.as_ref().map(|p| p.expose().as_str()), Some("0123456789"));
        assert_eq!(s.redis_prefix, "007");
        assert!(s.database_url.is_none(), "an empty URL means unset");
    }

    #[test]
    fn url_lists_accept_commas_or_arrays() {
        let a: UrlList = serde_json::from_str(r#""http://a:1/, http://b:2""#).unwrap_or_default();
        let b: UrlList = serde_json::from_str(r#"["http://a:1", "http://b:2"]"#).unwrap_or_default();
        assert_eq!(a.0, vec!["http://a:1", "http://b:2"]);
        assert_eq!(a, b);
    }
}

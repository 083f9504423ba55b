use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use canopy::{Platform, PlatformConfig};
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::ManualClock;
use canopy_kernel::config::{LogFormat, QuotaSettings, Secret, Settings};

pub const ADMIN_EMAIL: &str = "root@provider.test";
pub const ADMIN_PASSWORD: &str = "provider-admin-pass";
pub const PASSWORD: &str = "a-good-long-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite files, in-process cache, limiter and bus: the embedded default.
    Sqlite,
    /// PostgreSQL and Redis.
    Postgres,
}

impl Backend {
    /// Its name in CANOPY_TEST_BACKENDS.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The backends this run covers, from CANOPY_TEST_BACKENDS (default: the embedded one).
pub fn backends() -> Vec<Backend> {
    let names = std::env::var("CANOPY_TEST_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    names
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("CANOPY_TEST_BACKENDS: unknown backend `{other}` (sqlite, postgres)"),
        })
        .collect()
}

pub fn postgres_server() -> String {
    std::env::var("CANOPY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("CANOPY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Removes what a test made (its database, files, Redis keys), even when the test panics.
pub struct Scratch {
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub database: Option<String>,
    pub redis_prefix: String,
}

impl Scratch {
    pub async fn new(backend: Backend) -> Self {
        let id = Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("canopy-test-{id}"));
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let name = format!("canopy_t_{id}");
                canopy_kernel::db::create_database(&postgres_server(), &name)
                    .await
                    .expect("PostgreSQL is reachable");
                Some(name)
            }
        };
        Self { backend, data_dir, database, redis_prefix: format!("t{id}") }
    }

    pub fn apply(&self, settings: &mut PlatformConfig) {
        settings.data_dir = self.data_dir.clone();
        settings.redis_prefix = self.redis_prefix.clone();
        if let Some(db) = &self.database {
            let server = postgres_server();
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            settings.database_url = Some(Secret::new(format!("{base}/{db}")));
            settings.redis_url = Some(Secret::new(redis_url()));
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        let database = self.database.take();
        let prefix = self.redis_prefix.clone();
        let postgres = self.backend == Backend::Postgres;
        // Drop may run inside the test's runtime: clean up from a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Some(db) = database {
                    let _ = canopy_kernel::db::drop_database(&postgres_server(), &db).await;
                }
                if postgres
                    && let Ok(client) = redis::Client::open(redis_url())
                    && let Ok(mut con) = client.get_multiplexed_async_connection().await
                {
                    let keys: Vec<String> = redis::cmd("KEYS")
                        .arg(format!("{prefix}:*"))
                        .query_async(&mut con)
                        .await
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let _: Result<(), _> = redis::cmd("DEL").arg(keys).query_async(&mut con).await;
                    }
                }
            });
        })
        .join();
    }
}

pub fn test_settings() -> PlatformConfig {
    let common = Settings {
        listen: "127.0.0.1:0".into(),
        // Every platform of the run has its own internal metrics listener.
        metrics_listen: "127.0.0.1:0".into(),
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(Secret::new(ADMIN_PASSWORD.into())),
        ..Settings::default()
    };
    let mut s = PlatformConfig { common, ..PlatformConfig::default() };
    s.telemetry.log_format = LogFormat::Pretty;
    s.auth.jwks_min_refresh_secs = 0;
    // Generous limits, so that only the rate-limit tests meet them.
    for quota in s.gateway.rate_limits.tiers.values_mut() {
        *quota = QuotaSettings { requests: 100_000, period_secs: 60 };
    }
    s.gateway.rate_limits.provider = QuotaSettings { requests: 100_000, period_secs: 60 };
    s.gateway.rate_limits.anonymous = QuotaSettings { requests: 100_000, period_secs: 60 };
    // The tests' webhook receivers listen on loopback.
    s.webhooks.allow_private_targets = true;
    // Shared with any extra replica a test starts beside the platform.
    s.auth.service_secret = Some(Secret::new("test-service-secret-0123456789abcdef".into()));
    // System jobs (shift handover, round re-planning) only where a test asks for them.
    s.scheduler.system_jobs = false;
    s
}

pub struct TestApp {
    pub base: String,
    /// The platform's business clock (SLA time); stands still until moved.
    pub clock: ManualClock,
    pub backends: Backends,
    pub tenants_base: String,
    /// The internal listener of `/metrics` (not the public entry).
    pub metrics_base: String,
    pub http: reqwest::Client,
    pub settings: PlatformConfig,
    platform: Option<Platform>,
    _scratch: Scratch,
}

fn init_logs() {
    if std::env::var_os("CANOPY_TEST_LOG").is_some() {
        let t = canopy_kernel::config::TelemetrySettings {
            log_format: LogFormat::Pretty,
            log_filter: std::env::var("CANOPY_TEST_LOG").unwrap_or_default(),
            otlp_endpoint: None,
        };
        let _ = canopy_kernel::telemetry::init(&t, "canopy-test").map(std::mem::forget);
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut PlatformConfig)) -> Self {
        Self::spawn_at(backend, tweak, chrono::Utc::now()).await
    }

    /// A platform whose business clock starts at `at` and moves only when told.
    pub async fn spawn_at(
        backend: Backend,
        tweak: impl FnOnce(&mut PlatformConfig),
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        init_logs();
        let scratch = Scratch::new(backend).await;
        let mut settings = test_settings();
        scratch.apply(&mut settings);
        tweak(&mut settings);
        let backends = Backends::from_settings(&settings).await.expect("backends");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let clock = ManualClock::at(at);
        let platform = Platform::start(settings.clone(), backends.clone(), Arc::new(clock.clone()), listener)
            .await
            .expect("platform starts");
        let base = format!("http://{}", platform.gateway);
        let tenants_base = format!("http://{}", platform.tenants);
        let metrics_base = format!("http://{}", platform.metrics.expect("the metrics listener is bound"));
        // Idle connections are dropped before the server's 5 s keep-alive closes them, so a
        // request never goes out on a connection the server is closing (IncompleteMessage).
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        Self {
            base,
            clock,
            backends,
            tenants_base,
            metrics_base,
            http,
            settings,
            platform: Some(platform),
            _scratch: scratch,
        }
    }

    /// Another scheduler replica beside the platform's, on the same database, backends and
    /// business clock; stop it with the returned handle.
    pub async fn scheduler_replica(&self) -> (actix_web::dev::ServerHandle, String) {
        let platform = self.platform.as_ref().expect("running");
        let mut settings = self.settings.clone();
        settings.upstreams.tenants =
            canopy_kernel::config::UrlList(vec![format!("http://{}", platform.tenants)]);
        settings.upstreams.ticketing =
            canopy_kernel::config::UrlList(vec![format!("http://{}", platform.ticketing)]);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = canopy_scheduler::Application::build(
            Arc::new(settings.scheduler()),
            self.backends.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .expect("a second scheduler starts");
        let handle = app.handle();
        let base = format!("http://{}", app.addr());
        tokio::spawn(app.run());
        (handle, base)
    }

    /// Stops the platform and starts it again on the same database, with backends made
    /// afresh (the in-process cache starts empty; Redis keeps what it has) and new ports.
    pub async fn restart(&mut self) {
        if let Some(p) = self.platform.take() {
            p.stop().await;
        }
        self.backends = Backends::from_settings(&self.settings).await.expect("backends");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let platform = Platform::start(
            self.settings.clone(),
            self.backends.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .expect("platform starts again");
        self.base = format!("http://{}", platform.gateway);
        self.tenants_base = format!("http://{}", platform.tenants);
        self.platform = Some(platform);
    }

    /// Stops one of the platform's services; the rest keep running.
    pub async fn stop_service(&mut self, name: &str) {
        self.platform.as_mut().expect("running").stop_service(name).await;
    }

    /// Empties the shared cache of this test: its Redis keys, or the in-process cache's
    /// entries the platform uses for revocations and API keys.
    pub async fn empty_cache(&self) {
        if self.settings.redis_url.is_some() {
            let client = redis::Client::open(redis_url()).expect("redis url");
            let mut con = client.get_multiplexed_async_connection().await.expect("redis");
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}:cache:*", self.settings.redis_prefix))
                .query_async(&mut con)
                .await
                .expect("keys");
            if !keys.is_empty() {
                let _: () = redis::cmd("DEL").arg(keys).query_async(&mut con).await.expect("del");
            }
        } else {
            self.backends
                .cache
                .delete(canopy_kernel::auth::cache_keys::REVOCATION_HEAD)
                .await
                .expect("in-process cache");
        }
    }

    pub async fn stop(mut self) {
        if let Some(p) = self.platform.take() {
            p.stop().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login_raw(&self, email: &str, password: &str) -> reqwest::Response {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Signs in; returns the whole token answer.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self.login_raw(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        res.json().await.expect("token json")
    }

    pub async fn token(&self, email: &str, password: &str) -> String {
        self.login(email, password).await["access_token"].as_str().expect("access token").to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A tenant with its first admin; returns (tenant id, admin token).
    pub async fn tenant(&self, key: &str) -> (Uuid, String) {
        let admin = self.admin_token().await;
        let email = format!("admin@{}.test", key.to_lowercase());
        let res = self
            .post(
                "/api/v1/tenants",
                &admin,
                json!({"name": format!("{key} Ltd"), "key": key, "timezone": "Asia/Shanghai",
                       "admin": {"email": email, "display_name": "Admin", "password": PASSWORD}}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
        let body: Value = res.json().await.expect("json");
        let id = body["id"].as_str().and_then(|s| s.parse().ok()).expect("tenant id");
        (id, self.token(&email, PASSWORD).await)
    }

    /// A user of `tenant` with `roles`; returns (user id, token).
    pub async fn user(&self, tenant: Uuid, admin_token: &str, email: &str, roles: &[&str]) -> (Uuid, String) {
        let res = self
            .post(
                &format!("/api/v1/tenants/{tenant}/users"),
                admin_token,
                json!({"email": email, "display_name": "Someone", "password": PASSWORD, "roles": roles}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
        let body: Value = res.json().await.expect("json");
        (
            body["id"].as_str().and_then(|s| s.parse().ok()).expect("user id"),
            self.token(email, PASSWORD).await,
        )
    }

    /// Puts `tenant` under contract (from 2026-01-01, ten seats) on a new tier described by
    /// `tier` (the body of `POST /catalog/tiers`); returns the contract.
    pub async fn contract(&self, root: &str, tenant: Uuid, tier: Value) -> Value {
        let name = tier["name"].as_str().unwrap_or("tier").to_owned();
        let tier = json_ok(self.post("/api/v1/catalog/tiers", root, tier).await, 201).await;
        let plan = json_ok(
            self.post(
                "/api/v1/catalog/plans",
                root,
                json!({"name": format!("{name} plan"), "tier_id": tier["id"], "unit": "seat",
                    "unit_price_minor": 1000, "currency": "EUR"}),
            )
            .await,
            201,
        )
        .await;
        json_ok(
            self.post(
                "/api/v1/catalog/contracts",
                root,
                json!({"tenant_id": tenant, "plan_id": plan["id"], "quantity": 10, "starts_on": "2026-01-01"}),
            )
            .await,
            201,
        )
        .await
    }

    /// A provider staff member with `roles`; returns their token.
    pub async fn staff(&self, email: &str, roles: &[&str]) -> String {
        let admin = self.admin_token().await;
        let res = self
            .post(
                "/api/v1/users",
                &admin,
                json!({"email": email, "display_name": "Staff", "password": PASSWORD, "roles": roles}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
        self.token(email, PASSWORD).await
    }
}

/// Whether this run covers `backend` (CANOPY_TEST_BACKENDS); says so when it does not.
pub fn selected(backend: Backend) -> bool {
    let selected = backends().contains(&backend);
    if !selected {
        eprintln!("{} is not selected in CANOPY_TEST_BACKENDS: nothing to run", backend.name());
    }
    selected
}

/// Runs `test` on a fresh platform of `backend`, if the run covers it.
pub async fn on_platform(backend: Backend, test: impl AsyncFnOnce(&TestApp)) {
    if selected(backend) {
        let app = TestApp::spawn(backend).await;
        test(&app).await;
        app.stop().await;
    }
}

/// Runs `test`, which starts its own platform, on `backend`, if the run covers it.
pub async fn on_backend(backend: Backend, test: impl AsyncFnOnce(Backend)) {
    if selected(backend) {
        test(backend).await;
    }
}

/// One test case per backend, so that each passes or fails on its own:
///
/// - `backend_test!(name);` above `async fn name(app: &TestApp)` makes `name::sqlite` and
///   `name::postgres`, each running `name` on a fresh platform of its backend;
/// - `backend_test!(name: Backend);` above `async fn name(backend: Backend)` is for a test that
///   starts its own platform (at another instant, with other settings, or as processes).
///
/// A backend CANOPY_TEST_BACKENDS does not name passes after saying it was not selected.
macro_rules! backend_test {
    ($name:ident) => {
        $crate::helpers::backend_test!(@cases $name, on_platform);
    };
    ($name:ident: Backend) => {
        $crate::helpers::backend_test!(@cases $name, on_backend);
    };
    (@cases $name:ident, $run:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::$run($crate::helpers::Backend::Sqlite, super::$name).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::helpers::$run($crate::helpers::Backend::Postgres, super::$name).await;
            }
        }
    };
}
pub(crate) use backend_test;

/// Asks `probe` every 50 ms until it answers `Ok`, and gives that; after `timeout`, fails the
/// test with `what` and the probe's last `Err`: what it saw instead.
pub async fn eventually<T, E: std::fmt::Display>(
    what: &str,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, E>,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) if std::time::Instant::now() >= deadline => {
                panic!("{what}: not within {timeout:?}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The body of a problem answer, checked for its status, content type and code.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for expected `{code}`");
    let content_type =
        res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("application/problem+json"), "content type {content_type}");
    let body: Value = res.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}

pub async fn json_ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

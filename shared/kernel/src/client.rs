//! Calls from one service to another: round robin over the replicas, the next replica
//! when one cannot be reached, trace context and request id on every call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde::de::DeserializeOwned;

#[derive(Clone)]
pub struct ServiceClient {
    name: &'static str,
    urls: Arc<[String]>,
    next: Arc<AtomicUsize>,
    http: reqwest::Client,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient").field("name", &self.name).field("urls", &self.urls).finish()
    }
}

/// A shared HTTP client: no TLS for in-cluster calls, pooled connections, bounded time. It
/// follows no redirect: a proxy relays them, and a service never answers one to another.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .unwrap_or_default()
}

impl ServiceClient {
    pub fn new(name: &'static str, urls: Vec<String>, http: reqwest::Client) -> Self {
        Self { name, urls: urls.into(), next: Arc::new(AtomicUsize::new(0)), http }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Replica base URLs in the order this call should try them.
    pub fn rotation(&self) -> impl Iterator<Item = &str> {
        let n = self.urls.len();
        let start = if n == 0 { 0 } else { self.next.fetch_add(1, Ordering::Relaxed) % n };
        (0..n).map(move |i| self.urls[(start + i) % n].as_str())
    }

    /// Sends `build(base_url)` to one replica after another until one is reached.
    /// Only failures to connect move on: a replica that answered has answered.
    pub async fn send(
        &self,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        let mut last_err = None;
        for base in self.rotation() {
            let mut request = build(base);
            for (name, value) in crate::telemetry::propagation_headers() {
                request = request.header(name, value);
            }
            match request.send().await {
                Ok(response) => return Ok(response),
                Err(err) if err.is_connect() => {
                    tracing::warn!(
                        service = self.name,
                        replica = base,
                        "replica unreachable, trying the next"
                    );
                    last_err = Some(err);
                }
                Err(err) => return Err(err).with_context(|| format!("calling {} at {base}", self.name)),
            }
        }
        match last_err {
            Some(err) => Err(err).with_context(|| format!("no replica of {} is reachable", self.name)),
            None => anyhow::bail!("no replica of {} is configured", self.name),
        }
    }

    /// GET `path`, with `token` as the bearer credential when given; the answer when it is a
    /// success, an error saying the status otherwise.
    pub async fn get_ok(&self, token: Option<&str>, path: &str) -> anyhow::Result<reqwest::Response> {
        let response = self
            .send(|base| {
                let request = self.http.get(format!("{base}{path}"));
                match token {
                    Some(token) => request.bearer_auth(token),
                    None => request,
                }
            })
            .await?;
        let status = response.status();
        anyhow::ensure!(status.is_success(), "{} answered {status} to GET {path}", self.name);
        Ok(response)
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        Ok(self.get_ok(None, path).await?.json().await?)
    }
}

/// A service's own credential, for work no user asked for (recurring jobs): a short-lived
/// token from the tenants service, obtained with the shared service secret and renewed a
/// minute before it expires.
pub struct ServiceToken {
    service: &'static str,
    tenants: ServiceClient,
    secret: Option<crate::config::Secret<String>>,
    cached: tokio::sync::Mutex<Option<(String, std::time::Instant)>>,
}

#[derive(serde::Deserialize)]
struct IssuedToken {
    access_token: String,
    expires_in: u64,
}

impl ServiceToken {
    pub fn new(
        service: &'static str,
        tenants: ServiceClient,
        secret: Option<crate::config::Secret<String>>,
    ) -> Self {
        Self { service, tenants, secret, cached: tokio::sync::Mutex::new(None) }
    }

    pub async fn get(&self) -> anyhow::Result<String> {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref()
            && std::time::Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let secret =
            self.secret.as_ref().context("auth.service_secret is not set (CANOPY_AUTH__SERVICE_SECRET)")?;
        let path = "/internal/v1/service-token";
        let response = self
            .tenants
            .send(|base| {
                self.tenants
                    .http()
                    .post(format!("{base}{path}"))
                    .header("x-service-secret", secret.expose())
                    .json(&serde_json::json!({"service": self.service}))
            })
            .await?;
        let status = response.status();
        anyhow::ensure!(status.is_success(), "the tenants service refused a service token ({status})");
        let issued: IssuedToken = response.json().await?;
        let renew_at =
            std::time::Instant::now() + Duration::from_secs(issued.expires_in.saturating_sub(60).max(1));
        *cached = Some((issued.access_token.clone(), renew_at));
        Ok(issued.access_token)
    }
}

//! One telemetry setup for every service: JSON logs, a request id on every request
//! (taken from `x-request-id` or made), W3C trace context in and out, OTLP export
//! when an endpoint is configured, and Prometheus metrics.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetrySettings};

pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    static CURRENT_REQUEST_ID: String;
}

/// The id of the request being served by this task, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
}

/// Keeps the tracer provider alive; flushes spans when dropped.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber. Spans always carry W3C trace ids (so they propagate
/// across hops); they are exported only when an OTLP endpoint is configured.
pub fn init(settings: &TelemetrySettings, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_owned()).build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &settings.otlp_endpoint {
        use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
        let endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .with_headers(Default::default())
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer("canopy");

    // The log filter quiets logs only; spans go to the exporter whatever the log level.
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt_layer = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().with_filter(filter).boxed(),
    };
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(EnvFilter::new("info,sqlx=warn,sea_orm=warn,hyper=warn,reqwest=warn,h2=warn"));
    tracing_subscriber::registry().with(fmt_layer).with(spans).try_init()?;
    Ok(TelemetryGuard { provider: Some(provider) })
}

struct ActixHeaders<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for ActixHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct PairInjector<'a>(&'a mut Vec<(String, String)>);

impl Injector for PairInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

/// Headers an outgoing call carries so the next hop continues this trace and request.
pub fn propagation_headers() -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(3);
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut PairInjector(&mut headers));
    if let Some(id) = current_request_id() {
        headers.push((REQUEST_ID.to_owned(), id));
    }
    headers
}

fn valid_request_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The name a service reports in its spans, logs and metrics.
#[derive(Clone, Copy, Debug)]
pub struct ServiceName(pub &'static str);

/// Middleware: request id, server span continuing the caller's trace, access log, metrics.
pub async fn observe_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let service = req.app_data::<web::Data<ServiceName>>().map(|s| s.0).unwrap_or("canopy");
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let parent = TraceContextPropagator::new().extract(&ActixHeaders(req.headers()));
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "http.request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        service,
        http.request.method = %method,
        http.route = %route,
        url.path = %req.path(),
        http.response.status_code = Empty,
        request_id = %request_id,
        trace_id = Empty,
    );
    let _ = span.set_parent(parent);
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
    req.extensions_mut().insert(RequestId(request_id.clone()));

    // Probes, scrapes and the gateways' once-a-second revocation sync are logged at debug
    // level only (the gateway logs a failing sync itself), so an idle platform's log stays quiet.
    let quiet = matches!(req.path(), "/healthz" | "/readyz" | "/metrics" | "/internal/v1/access/revocations");
    let result = CURRENT_REQUEST_ID.scope(request_id.clone(), next.call(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    span.record("http.response.status_code", status);
    metrics().observe(service, &method, &route, status, elapsed.as_secs_f64());
    let _enter = span.enter();
    if quiet {
        tracing::debug!(status, latency_ms = elapsed.as_secs_f64() * 1e3, "request served");
    } else if status >= 500 {
        tracing::warn!(status, latency_ms = elapsed.as_secs_f64() * 1e3, "request served");
    } else {
        tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1e3, "request served");
    }
    drop(_enter);
    result.map(|mut res| {
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(HeaderName::from_static(REQUEST_ID), value);
        }
        res
    })
}

/// The request id, for handlers that need it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    upstream: HistogramVec,
    agent_events: IntCounterVec,
    backend_degraded: IntGaugeVec,
    backend_fallbacks: IntCounterVec,
    revocation_syncs: IntCounterVec,
    access_refused: IntCounterVec,
    revocations_stale: IntGauge,
}

impl Metrics {
    fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let labels = &["service", "method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("canopy_http_requests_total", "HTTP requests served, by route and status"),
            labels,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("canopy_http_request_duration_seconds", "HTTP request latency").buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["service", "method", "route"],
        )?;
        let upstream = HistogramVec::new(
            HistogramOpts::new(
                "canopy_gateway_upstream_duration_seconds",
                "Time for a service behind the gateway to answer",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["upstream", "status"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let agent_events = IntCounterVec::new(
            Opts::new("canopy_agent_events_total", "Monitoring agents' events received, by outcome"),
            &["outcome"],
        )?;
        registry.register(Box::new(upstream.clone()))?;
        registry.register(Box::new(agent_events.clone()))?;
        let backend_degraded = IntGaugeVec::new(
            Opts::new(
                "canopy_backend_degraded",
                "1 while a backend is unreachable and the cache and rate limiter work in process",
            ),
            &["backend"],
        )?;
        let backend_fallbacks = IntCounterVec::new(
            Opts::new(
                "canopy_backend_fallbacks_total",
                "Calls served in process because their backend was unreachable, by component",
            ),
            &["backend", "component"],
        )?;
        registry.register(Box::new(backend_degraded.clone()))?;
        registry.register(Box::new(backend_fallbacks.clone()))?;
        let revocation_syncs = IntCounterVec::new(
            Opts::new(
                "canopy_gateway_revocation_syncs_total",
                "Syncs of the gateway's replica of access revocations, by trigger and outcome",
            ),
            &["trigger", "outcome"],
        )?;
        let access_refused = IntCounterVec::new(
            Opts::new(
                "canopy_gateway_access_refused_total",
                "Valid tokens the gateway refused: revoked, older than the user's generation, of a cancelled tenant, or revocations stale (503)",
            ),
            &["reason"],
        )?;
        let revocations_stale = IntGauge::new(
            "canopy_gateway_revocations_stale",
            "1 while the gateway's revocation replica is older than its bound and authenticated requests are refused",
        )?;
        registry.register(Box::new(revocation_syncs.clone()))?;
        registry.register(Box::new(access_refused.clone()))?;
        registry.register(Box::new(revocations_stale.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            upstream,
            agent_events,
            revocation_syncs,
            access_refused,
            revocations_stale,
            backend_degraded,
            backend_fallbacks,
        })
    }

    fn observe(&self, service: &str, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests.with_label_values(&[service, method, route, &status.to_string()]).inc();
        self.latency.with_label_values(&[service, method, route]).observe(seconds);
    }

    pub fn observe_upstream(&self, upstream: &str, status: u16, seconds: f64) {
        self.upstream.with_label_values(&[upstream, &status.to_string()]).observe(seconds);
    }

    /// Agents' events by outcome: accepted, deduplicated, silenced, rejected, busy (429).
    pub fn count_agent_events(&self, outcome: &str, n: usize) {
        self.agent_events.with_label_values(&[outcome]).inc_by(n as u64);
    }

    /// Makes `backend`'s degraded gauge exist (at 0 unless already set).
    pub fn declare_backend(&self, backend: &str) {
        let _ = self.backend_degraded.with_label_values(&[backend]);
    }

    /// Whether `backend` (`redis`) is unreachable and worked around, now.
    pub fn set_backend_degraded(&self, backend: &str, degraded: bool) {
        self.backend_degraded.with_label_values(&[backend]).set(i64::from(degraded));
    }

    /// One call of `component` (`cache`, `rate_limiter`) served in process instead of `backend`.
    pub fn count_backend_fallback(&self, backend: &str, component: &str) {
        self.backend_fallbacks.with_label_values(&[backend, component]).inc();
    }

    /// A sync of the gateway's revocation replica: `trigger` start, interval, event or hint;
    /// `outcome` ok or failed.
    pub fn count_revocation_sync(&self, trigger: &str, outcome: &str) {
        self.revocation_syncs.with_label_values(&[trigger, outcome]).inc();
    }

    /// A token refused although its signature and expiry are fine: `revoked`, `generation`,
    /// `tenant_cancelled`, or `stale` (the replica could not be trusted: 503).
    pub fn count_access_refused(&self, reason: &str) {
        self.access_refused.with_label_values(&[reason]).inc();
    }

    pub fn set_revocations_stale(&self, stale: bool) {
        self.revocations_stale.set(i64::from(stale));
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The process's metrics (one registry; every service in the process labels its own).
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| match Metrics::new() {
        Ok(m) => m,
        // Registration only fails on duplicate names, which the constructor above rules out.
        Err(err) => panic!("metric registration failed: {err}"),
    })
}

pub async fn metrics_endpoint() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics().render())
}

/// The process's internal listener: `GET /metrics` (every service of the process shares one
/// registry) and nothing else, on an address apart from the public one (`metrics_listen`,
/// loopback by default), for Prometheus to scrape.
pub fn serve_metrics(listener: std::net::TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new()
            .route("/metrics", web::get().to(metrics_endpoint))
            .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?;
    Ok(server.run())
}

/// Binds `addr` (empty: none) and serves metrics there in the background; the handle stops
/// it. A busy address is logged, not fatal: the process serves without metrics.
pub fn start_metrics(addr: &str) -> Option<(std::net::SocketAddr, actix_web::dev::ServerHandle)> {
    if addr.trim().is_empty() {
        return None;
    }
    let bound = std::net::TcpListener::bind(addr).and_then(|l| Ok((l.local_addr()?, serve_metrics(l)?)));
    match bound {
        Ok((local, server)) => {
            let handle = server.handle();
            tokio::spawn(server);
            tracing::info!(%local, "metrics served at /metrics");
            Some((local, handle))
        }
        Err(err) => {
            tracing::error!(%addr, error = %err, "metrics listener not started (set CANOPY_METRICS_LISTEN)");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_bounded() {
        assert!(valid_request_id("3f1c-abc_1.2:x"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id(&"a".repeat(200)));
        assert!(!valid_request_id("line\nbreak"));
    }
}

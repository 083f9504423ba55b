//! What every service's HTTP surface shares: the server with its middleware, JSON and
//! query errors as problem+json, probes, metrics, and cursor paging.

use std::net::TcpListener;
use std::time::Duration;

use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::edge::{ConnectionCounter, EdgeLimits, guard, security_headers};
use crate::error::{ApiError, ApiResult, ErrorCode, PROBLEM_JSON};
use crate::telemetry::{ServiceName, observe_request};
use crate::wire::Wire;

/// How a service's HTTP server is set up.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub max_body_bytes: usize,
    /// The time a client has to send a request's whole body once its headers arrived.
    pub body_timeout: Duration,
    /// Open connections allowed from one client address (`None`: no cap, for services that
    /// only the gateway and other services call).
    pub max_connections_per_address: Option<usize>,
    /// Worker threads; default one per core.
    pub workers: Option<usize>,
    /// Origins allowed by CORS (`*` for any); empty turns CORS off (same-origin only).
    pub cors_origins: Vec<String>,
}

impl ServeOptions {
    pub fn new(max_body_bytes: usize) -> Self {
        Self {
            max_body_bytes,
            body_timeout: Duration::from_secs(30),
            max_connections_per_address: None,
            workers: None,
            cors_origins: Vec::new(),
        }
    }
}

fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "if-match",
            "x-api-key",
            "idempotency-key",
            "x-request-id",
        ])
        .expose_headers([
            "x-request-id",
            "etag",
            "location",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy",
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

/// Builds and starts a service's HTTP server on `listener` with the shared middleware: the
/// edge's checks ([`crate::edge`]), problem+json for every error, security headers, CORS,
/// and request telemetry. `configure` registers the service's own routes. Metrics are not
/// served here but on the process's internal listener ([`crate::telemetry::serve_metrics`]).
pub fn serve<F>(
    name: &'static str,
    listener: TcpListener,
    options: &ServeOptions,
    configure: F,
) -> std::io::Result<Server>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let options_workers = options.workers;
    let options = options.clone();
    let counter = options.max_connections_per_address.map(ConnectionCounter::new);
    let addr = listener.local_addr()?;
    let make = move || {
        let options = options.clone();
        let app = App::new()
            .app_data(web::Data::new(ServiceName(name)))
            .app_data(EdgeLimits {
                max_body_bytes: options.max_body_bytes,
                body_timeout: options.body_timeout,
            })
            .app_data(json_config(options.max_body_bytes))
            .app_data(web::PayloadConfig::new(options.max_body_bytes))
            .app_data(query_config())
            .app_data(path_config())
            .wrap(from_fn(guard))
            .wrap(problem_errors())
            .wrap(actix_web::middleware::Condition::new(
                !options.cors_origins.is_empty(),
                cors(&options.cors_origins),
            ))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(observe_request))
            .configure(configure.clone())
            .default_service(web::to(route_not_found));
        let factory = app.into_factory().map_err(|err: actix_web::Error| err.error_response());
        let mut http = actix_http::HttpServiceBuilder::<Wire, _>::default()
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(addr);
        if let Some(counter) = counter.clone() {
            // Each connection takes a place in its address's count and frees it when it closes.
            http = http.on_connect_ext(move |wire: &Wire, extensions| {
                if let Some(peer) = wire.peer() {
                    extensions.insert(counter.open(peer.ip()));
                }
            });
        }
        let http = http.h1(map_config(factory, |_| AppConfig::default()));
        fn_service(|io: actix_web::rt::net::TcpStream| async move {
            let wire = Wire::new(io);
            let peer = wire.peer();
            Ok::<_, actix_http::error::DispatchError>((wire, peer))
        })
        .and_then(http)
    };
    let mut server =
        Server::build().listen(format!("canopy-{name}-{addr}"), listener, make)?.shutdown_timeout(10);
    if let Some(workers) = options_workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _req| {
        use actix_web::error::JsonPayloadError as E;
        let api = match &err {
            E::OverflowKnownLength { length, limit } => ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("The body has {length} bytes; the limit is {limit}"),
            ),
            E::Overflow { limit } => ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("The body is larger than the limit of {limit} bytes"),
            ),
            E::ContentType => ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as Content-Type: application/json",
            ),
            E::Deserialize(e) if e.is_data() => ApiError::new(ErrorCode::ValidationFailed, e.to_string()),
            E::Deserialize(e) => ApiError::new(ErrorCode::MalformedJson, e.to_string()),
            other => ApiError::new(ErrorCode::BadRequest, other.to_string()),
        };
        api.into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::new(ErrorCode::BadRequest, format!("Query string: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        // An id that cannot exist answers like one that does not.
        ApiError::new(ErrorCode::NotFound, format!("No such resource ({err})")).into()
    })
}

/// The version a writer read, from `If-Match: "7"` (weak tags accepted); `None` without the
/// header. Anything else is a 400.
pub fn if_match(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
    text.parse::<i64>().map(Some).map_err(|_| {
        ApiError::new(ErrorCode::BadRequest, "If-Match must be the ETag of the version you read, e.g. \"7\"")
    })
}

pub async fn route_not_found(req: HttpRequest) -> ApiResult<HttpResponse> {
    Err(ApiError::new(ErrorCode::RouteNotFound, format!("No endpoint {} {}", req.method(), req.path())))
}

/// Turns any error response that is not already problem+json (actix's own 404/405/413…)
/// into one, so that clients always get the same shape.
pub fn problem_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        // Problems, deliberate JSON answers (such as a 503 from /readyz) and the web
        // application's own error pages pass as they are.
        let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"application/json")
                || v.as_bytes().starts_with(b"text/html")
        });
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let code = match status.as_u16() {
            401 => ErrorCode::Unauthenticated,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::RouteNotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            431 => ErrorCode::RequestHeadTooLarge,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            429 => ErrorCode::RateLimited,
            502 => ErrorCode::UpstreamUnavailable,
            503 => ErrorCode::ServiceUnavailable,
            504 => ErrorCode::UpstreamTimeout,
            s if s >= 500 => ErrorCode::Internal,
            _ => ErrorCode::BadRequest,
        };
        let detail = match code {
            ErrorCode::MethodNotAllowed => {
                format!("{} is not allowed on {}", res.request().method(), res.request().path())
            }
            ErrorCode::RouteNotFound => {
                format!("No endpoint {} {}", res.request().method(), res.request().path())
            }
            _ => code.title().to_owned(),
        };
        let mut problem = ApiError::new(code, detail).to_problem();
        problem.status = status.as_u16();
        let (req, old) = res.into_parts();
        let mut new = HttpResponse::build(status);
        for (name, value) in old.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                new.append_header((name.clone(), value.clone()));
            }
        }
        new.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        let res = ServiceResponse::new(req, new.json(problem)).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}

/// Answer of `/readyz`: ready only when every dependency answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    pub status: String,
    pub checks: std::collections::BTreeMap<String, bool>,
    /// What is wrong with each failing check.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub problems: std::collections::BTreeMap<String, String>,
}

pub fn readiness(checks: impl IntoIterator<Item = (&'static str, bool)>) -> HttpResponse {
    readiness_of(checks.into_iter().map(|(k, ok)| (k, if ok { Ok(()) } else { Err("not ready".to_owned()) })))
}

/// `/readyz` from named checks, each with what is wrong when it fails.
pub fn readiness_of(checks: impl IntoIterator<Item = (&'static str, Result<(), String>)>) -> HttpResponse {
    let mut body =
        Readiness { status: String::new(), checks: Default::default(), problems: Default::default() };
    for (name, outcome) in checks {
        body.checks.insert(name.to_owned(), outcome.is_ok());
        if let Err(problem) = outcome {
            body.problems.insert(name.to_owned(), problem);
        }
    }
    let ready = body.problems.is_empty();
    body.status = if ready { "ready" } else { "not_ready" }.into();
    if ready { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

/// What a service's `/readyz` checks: its database and its backends.
#[derive(Clone)]
pub struct Dependencies {
    pub db: sea_orm::DatabaseConnection,
    pub backends: crate::backends::Backends,
}

/// The routes every service has besides its own: probes and its OpenAPI document.
/// Register `Dependencies` as app data for `/readyz`.
pub fn service_routes(cfg: &mut web::ServiceConfig, openapi: fn() -> utoipa::openapi::OpenApi) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz)).route(
        "/api-docs/openapi.json",
        web::get().to(move || async move { HttpResponse::Ok().json(openapi()) }),
    );
}

/// Answers within a few seconds whatever the dependencies do; both are checked at once.
async fn readyz(deps: web::Data<Dependencies>) -> HttpResponse {
    let database = async {
        match tokio::time::timeout(READY_WITHIN, crate::db::ping(&deps.db)).await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the database does not answer".to_owned()),
            Err(_) => Err(format!("the database did not answer within {} s", READY_WITHIN.as_secs())),
        }
    };
    let (database, backends) = futures_util::future::join(database, deps.backends.check()).await;
    readiness_of([("database", database), backends])
}

/// How long `/readyz` waits for one dependency.
pub const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `?limit=&cursor=` of every collection.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

impl PageParams {
    pub fn limit(&self) -> ApiResult<u64> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
        }
    }

    /// The id the page starts after.
    pub fn after(&self) -> ApiResult<Option<Uuid>> {
        let Some(cursor) = &self.cursor else { return Ok(None) };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this API gave out"))
    }
}

/// One page of a collection, in id (creation) order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `limit + 1`; the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, id: impl Fn(&T) -> Uuid) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor =
            if more { rows.last().map(|r| URL_SAFE_NO_PAD.encode(id(r).as_bytes())) } else { None };
        Self { items: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

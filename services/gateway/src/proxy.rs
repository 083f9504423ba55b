//! The gateway's one handler for every routed path: authenticate, check the tenant, limit,
//! then forward to a replica of the service and relay its answer.

use std::time::Instant;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use canopy_api::tenants::TenantStatus;
use canopy_kernel::tenancy::TENANT_HEADER;
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

use crate::auth::{Caller, authenticate};
use crate::limits;
use crate::routes::{is_public, service_for};
use crate::state::GatewayState;

/// Headers that belong to one hop, or that only the gateway may set.
pub(crate) fn dropped_request_header(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
            | "x-api-key"
            | "forwarded"
            | "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-forwarded-host"
            | "traceparent"
            | "tracestate"
            | "x-request-id"
            | "x-service-secret"
    ) || name.starts_with("x-canopy-")
}

pub(crate) fn dropped_response_header(name: &str) -> bool {
    matches!(name, "connection" | "keep-alive" | "transfer-encoding" | "content-length" | "date" | "server")
}

/// The address of the client, for per-address limits: the peer's, or the one a trusted proxy
/// names — any proxy when `gateway.trust_forwarded_for` says so, and always the web
/// application, which proves itself with the service secret and names its own visitor.
pub(crate) fn client_address(state: &GatewayState, req: &HttpRequest) -> String {
    if (state.settings.gateway.trust_forwarded_for || from_the_web_application(state, req))
        && let Some(ip) = req.connection_info().realip_remote_addr()
    {
        return ip.to_owned();
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

fn from_the_web_application(state: &GatewayState, req: &HttpRequest) -> bool {
    use sha2::{Digest, Sha256};
    let (Some(secret), Some(sent)) =
        (state.settings.auth.service_secret.as_ref(), req.headers().get("x-service-secret"))
    else {
        return false;
    };
    // Digests compared, so the time taken says nothing about the secret.
    Sha256::digest(secret.expose().as_bytes()) == Sha256::digest(sent.as_bytes())
}

pub async fn forward(
    state: web::Data<GatewayState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    let path = req.path().to_owned();
    let service = service_for(&path).ok_or_else(|| {
        ApiError::new(ErrorCode::RouteNotFound, format!("No endpoint {} {path}", req.method()))
    })?;
    let upstream = state.upstream(service).ok_or_else(|| {
        ApiError::new(
            ErrorCode::RouteNotFound,
            format!("No endpoint {} {path} (the {service} service is not deployed)", req.method()),
        )
    })?;

    let caller = authenticate(&state, &req, is_public(&path)).await?;
    let (principal, token) = match &caller {
        Caller::Anonymous => (None, None),
        Caller::Authenticated { principal, token } => (Some(principal), Some(token.as_str())),
    };

    // The tenant comes from the verified credential, never from the client.
    let mut tier = None;
    if let (Some(p), Some(token)) = (principal, token)
        && let Some(tenant) = p.tenant_id
    {
        let tenants = state.tenants().map_err(ApiError::internal)?;
        let info = state.directory.get(&tenants, state.catalog().as_ref(), tenant.0, token).await?;
        match info.status {
            TenantStatus::Cancelled => {
                return Err(ApiError::new(
                    ErrorCode::TenantCancelled,
                    "This company's service has been cancelled",
                ));
            }
            TenantStatus::Suspended if !is_read(req.method()) => {
                return Err(ApiError::new(
                    ErrorCode::TenantSuspended,
                    "The tenant is suspended: its data can be read but not changed",
                ));
            }
            _ => {}
        }
        tier = Some((info.tier, info.rate_limit));
    }

    let client = client_address(&state, &req);
    let (bucket, quota) =
        limits::bucket(&state.settings.gateway.rate_limits, principal, tier.as_ref(), &client);
    let decision = match state.backends.limiter.check(&bucket, quota, state.clock.now()).await {
        Ok(decision) => Some(decision),
        Err(err) => {
            // A limiter outage must not take the platform down with it.
            tracing::warn!(error = %format!("{err:#}"), "rate limiter unavailable; letting the request through");
            None
        }
    };
    if let Some(d) = decision.filter(|d| !d.allowed) {
        return Err(limits::refused(&d, &quota));
    }

    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).map_err(ApiError::internal)?;
    let started = Instant::now();
    let result = upstream
        .send(|base| {
            let mut out = upstream.http().request(method.clone(), format!("{base}{path}{query}"));
            for (name, value) in req.headers() {
                let lower = name.as_str();
                if dropped_request_header(lower) || (token.is_some() && lower == "authorization") {
                    continue;
                }
                out = out.header(lower, value.as_bytes());
            }
            if let Some(token) = token {
                out = out.bearer_auth(token);
            }
            if let Some(tenant) = principal.and_then(|p| p.tenant_id) {
                out = out.header(TENANT_HEADER, tenant.to_string());
            }
            out = out
                .header("x-forwarded-for", client.as_str())
                .header("x-forwarded-proto", req.connection_info().scheme());
            out.body(body.clone())
        })
        .await;
    let response = match result {
        Ok(r) => r,
        Err(err) => {
            let timed_out = err
                .chain()
                .any(|c| c.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_timeout));
            canopy_kernel::telemetry::metrics().observe_upstream(
                service,
                if timed_out { 504 } else { 502 },
                started.elapsed().as_secs_f64(),
            );
            tracing::warn!(service, error = %format!("{err:#}"), "upstream call failed");
            return Err(if timed_out {
                ApiError::new(
                    ErrorCode::UpstreamTimeout,
                    format!("The {service} service did not answer in time"),
                )
            } else {
                ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    format!("The {service} service cannot be reached"),
                )
            });
        }
    };
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HttpResponse::build(status);
    for (name, value) in response.headers() {
        if !dropped_response_header(name.as_str()) {
            out.append_header((name.as_str(), value.as_bytes()));
        }
    }
    if let Some(d) = &decision {
        for (name, value) in limits::headers(d, &quota) {
            out.insert_header((name, value));
        }
    }
    let bytes = response.bytes().await.map_err(|err| {
        tracing::warn!(service, error = %err, "upstream answer cut off");
        ApiError::new(ErrorCode::UpstreamUnavailable, format!("The {service} service's answer was cut off"))
    })?;
    canopy_kernel::telemetry::metrics().observe_upstream(
        service,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    if status == StatusCode::NO_CONTENT {
        return Ok(out.finish());
    }
    Ok(out.body(bytes))
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

//! Every path that is not the API's or the docs' is a page of the web application: relayed to
//! a replica of the web service as it came (cookies included), limited per client address.
//! The web service signs its visitors in itself and calls the API back through this gateway
//! with their tokens, so no permission is decided here.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use canopy_kernel::{ApiError, ApiResult, ErrorCode};

use crate::limits;
use crate::proxy::{client_address, dropped_request_header, dropped_response_header};
use crate::state::GatewayState;

pub async fn forward(
    state: web::Data<GatewayState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    let path = req.path().to_owned();
    let not_found =
        || ApiError::new(ErrorCode::RouteNotFound, format!("No endpoint {} {path}", req.method()));
    // The API's and the services' own namespaces (and the metrics, which are served on an
    // internal listener only) never reach the pages: machines get a problem document.
    if path.starts_with("/api/") || path.starts_with("/internal/") || path == "/metrics" {
        return Err(not_found());
    }
    let upstream = state.upstream("web").ok_or_else(not_found)?;

    let client = client_address(&state, &req);
    let quota = limits::pages_quota(&state.settings.gateway.rate_limits);
    let bucket = format!("pages:{client}");
    match state.backends.limiter.check(&bucket, quota, state.clock.now()).await {
        Ok(d) if !d.allowed => return Err(limits::refused(&d, &quota)),
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(error = %format!("{err:#}"), "rate limiter unavailable; letting the page through")
        }
    }

    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).map_err(ApiError::internal)?;
    let info = req.connection_info().clone();
    let started = Instant::now();
    let result = upstream
        .send(|base| {
            let mut out = upstream.http().request(method.clone(), format!("{base}{path}{query}"));
            for (name, value) in req.headers() {
                if !dropped_request_header(name.as_str()) {
                    out = out.header(name.as_str(), value.as_bytes());
                }
            }
            out.header("x-forwarded-for", client.as_str())
                .header("x-forwarded-proto", info.scheme())
                .header("x-forwarded-host", info.host())
                .body(body.clone())
        })
        .await;
    let response = match result {
        Ok(r) => r,
        Err(err) => {
            canopy_kernel::telemetry::metrics().observe_upstream("web", 502, started.elapsed().as_secs_f64());
            tracing::warn!(service = "web", error = %format!("{err:#}"), "upstream call failed");
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "The web application cannot be reached",
            ));
        }
    };
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HttpResponse::build(status);
    for (name, value) in response.headers() {
        if !dropped_response_header(name.as_str()) {
            out.append_header((name.as_str(), value.as_bytes()));
        }
    }
    let bytes = response.bytes().await.map_err(|err| {
        tracing::warn!(service = "web", error = %err, "upstream answer cut off");
        ApiError::new(ErrorCode::UpstreamUnavailable, "The web application's answer was cut off")
    })?;
    canopy_kernel::telemetry::metrics().observe_upstream(
        "web",
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok(out.finish());
    }
    Ok(out.body(bytes))
}

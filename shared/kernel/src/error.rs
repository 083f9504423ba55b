//! One table of error codes, and every error leaving as RFC 7807 problem+json.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The stable codes a client can rely on. The table in [`ErrorCode::spec`] is the only place
/// that maps them to an HTTP status and a title.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    MalformedJson,
    ValidationFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthenticated,
    InvalidToken,
    TokenExpired,
    InvalidCredentials,
    RefreshTokenReused,
    OtpRequired,
    InvalidOtp,
    Forbidden,
    TenantSuspended,
    TenantCancelled,
    NotFound,
    RouteNotFound,
    MethodNotAllowed,
    Conflict,
    InvalidTransition,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    UpstreamUnavailable,
    UpstreamTimeout,
    ServiceUnavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 27] = [
        Self::BadRequest,
        Self::MalformedJson,
        Self::ValidationFailed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::Unauthenticated,
        Self::InvalidToken,
        Self::TokenExpired,
        Self::InvalidCredentials,
        Self::RefreshTokenReused,
        Self::OtpRequired,
        Self::InvalidOtp,
        Self::Forbidden,
        Self::TenantSuspended,
        Self::TenantCancelled,
        Self::NotFound,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::InvalidTransition,
        Self::PreconditionFailed,
        Self::PreconditionRequired,
        Self::RateLimited,
        Self::UpstreamUnavailable,
        Self::UpstreamTimeout,
        Self::ServiceUnavailable,
        Self::Internal,
    ];

    /// (code, HTTP status, title)
    pub const fn spec(self) -> (&'static str, u16, &'static str) {
        match self {
            Self::BadRequest => ("bad_request", 400, "The request is not understood"),
            Self::MalformedJson => {
                ("malformed_json", 400, "The request body is not valid JSON for this endpoint")
            }
            Self::ValidationFailed => ("validation_failed", 422, "The request has invalid values"),
            Self::PayloadTooLarge => ("payload_too_large", 413, "The request body is too large"),
            Self::UnsupportedMediaType => ("unsupported_media_type", 415, "The request body must be JSON"),
            Self::Unauthenticated => ("unauthenticated", 401, "Authentication is required"),
            Self::InvalidToken => ("invalid_token", 401, "The credential is not valid"),
            Self::TokenExpired => ("token_expired", 401, "The token has expired"),
            Self::InvalidCredentials => ("invalid_credentials", 401, "Email or password is wrong"),
            Self::RefreshTokenReused => ("refresh_token_reused", 401, "The refresh token was already used"),
            Self::OtpRequired => {
                ("otp_required", 401, "A one-time code from the authenticator app is required")
            }
            Self::InvalidOtp => ("invalid_otp", 401, "The one-time code is wrong, expired or already used"),
            Self::Forbidden => ("forbidden", 403, "Your role does not allow this"),
            Self::TenantSuspended => ("tenant_suspended", 403, "The tenant is suspended: reading only"),
            Self::TenantCancelled => ("tenant_cancelled", 403, "The tenant is cancelled"),
            Self::NotFound => ("not_found", 404, "No such resource"),
            Self::RouteNotFound => ("route_not_found", 404, "No such endpoint"),
            Self::MethodNotAllowed => ("method_not_allowed", 405, "The endpoint does not take this method"),
            Self::Conflict => ("conflict", 409, "The request conflicts with the current state"),
            Self::InvalidTransition => ("invalid_transition", 409, "The resource cannot move to that state"),
            Self::PreconditionFailed => {
                ("precondition_failed", 412, "The resource changed since you read it")
            }
            Self::PreconditionRequired => {
                ("precondition_required", 428, "Send If-Match with the version you read")
            }
            Self::RateLimited => ("rate_limited", 429, "Too many requests"),
            Self::UpstreamUnavailable => {
                ("upstream_unavailable", 502, "A service behind the gateway is unreachable")
            }
            Self::UpstreamTimeout => {
                ("upstream_timeout", 504, "A service behind the gateway did not answer in time")
            }
            Self::ServiceUnavailable => ("service_unavailable", 503, "The service is not ready"),
            Self::Internal => ("internal", 500, "Something went wrong on our side"),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.spec().0
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.spec().1).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub const fn title(self) -> &'static str {
        self.spec().2
    }

    pub fn type_uri(self) -> String {
        format!("urn:canopy:problem:{}", self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid value: where it is (a JSON path such as `business_calendar.weekly.mon[0]`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// RFC 7807 problem details, as every Canopy error is sent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The error every handler returns.
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
    source: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: Vec::new(), headers: Vec::new(), source: None }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} values are invalid; see `errors`", many.len()),
        };
        Self { errors, ..Self::new(ErrorCode::ValidationFailed, detail) }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    /// An unexpected failure: the client sees an opaque 500; the cause chain is logged.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self { source: Some(err.into()), ..Self::new(ErrorCode::Internal, "An unexpected error occurred") }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            type_uri: self.code.type_uri(),
            title: self.code.title().to_owned(),
            status: self.code.spec().1,
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            request_id: crate::telemetry::current_request_id(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
        if let Some(source) = &self.source {
            write!(f, " ({source:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            tracing::error!(
                error.code = self.code.as_str(),
                error.cause = format!("{source:#}"),
                "request failed unexpectedly"
            );
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type(PROBLEM_JSON);
        for (name, value) in &self.headers {
            builder.insert_header((name.clone(), value.clone()));
        }
        builder.json(self.to_problem())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(err)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::internal(err)
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(err: sea_orm::TransactionError<ApiError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => Self::internal(db),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Collects field errors while a request body is checked, then fails once with all of them.
#[derive(Default, Debug)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::validation(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let codes: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code}");
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("password=secret in connection string"));
        let problem = err.to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret"));
    }

    #[test]
    fn validation_lists_every_field() {
        let mut v = Violations::new();
        v.add("timezone", "unknown time zone");
        v.add("locale", "unsupported");
        let err = v.into_result().err().map(|e| e.to_problem());
        let problem = err.unwrap();
        assert_eq!(problem.code, "validation_failed");
        assert_eq!(problem.errors.len(), 2);
    }
}

//! What every typed client shares: one call with a typed body in and out, errors that say
//! which service, method, path and status, the callee's problem+json kept so that callers can
//! map it, and paging that follows the cursor.

use std::fmt;
use std::future::Future;

use futures_util::Stream;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use canopy_kernel::client::ServiceClient;
use canopy_kernel::{ApiError, ErrorCode, Problem};

use crate::Page;

/// Why a call to another service did not give the answer asked for.
#[derive(Debug)]
pub struct CallError {
    pub service: &'static str,
    pub method: Method,
    pub path: String,
    pub failure: Failure,
}

#[derive(Debug)]
pub enum Failure {
    /// No replica could be reached (or the request could not be sent).
    Unreachable(String),
    /// The service answered with an error status; its problem+json when it sent one.
    Refused { status: u16, problem: Option<Box<Problem>> },
    /// The service answered, but not with the body this contract says (or the request body
    /// could not be encoded).
    Unreadable(String),
}

impl CallError {
    fn new(client: &ServiceClient, method: &Method, path: &str, failure: Failure) -> Self {
        Self { service: client.name(), method: method.clone(), path: path.to_owned(), failure }
    }

    /// The status the service answered with, when it refused.
    pub fn status(&self) -> Option<u16> {
        match &self.failure {
            Failure::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's own explanation, when it refused with one.
    pub fn problem(&self) -> Option<&Problem> {
        match &self.failure {
            Failure::Refused { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A refusal of the request itself (4xx): asking again the same way will not help.
    pub fn is_refusal(&self) -> bool {
        self.status().is_some_and(|s| (400..500).contains(&s))
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (service, method, path) = (self.service, &self.method, &self.path);
        match &self.failure {
            Failure::Unreachable(cause) => {
                write!(f, "{service} cannot be reached for {method} {path}: {cause}")
            }
            Failure::Refused { status, problem: Some(p) } => {
                write!(f, "{service} answered {status} to {method} {path}: {}: {}", p.code, p.detail)
            }
            Failure::Refused { status, problem: None } => {
                write!(f, "{service} answered {status} to {method} {path}")
            }
            Failure::Unreadable(cause) => {
                write!(f, "{service}'s answer to {method} {path} cannot be read: {cause}")
            }
        }
    }
}

impl std::error::Error for CallError {}

/// The usual meaning for the caller's own client: the callee's refusals of the caller's rights
/// or of the resource pass on (403, 404, 409, 412, 422 with the callee's detail); a service
/// away or failing is a 502; an answer that cannot be read is an internal error (logged).
impl From<CallError> for ApiError {
    fn from(err: CallError) -> Self {
        let service = err.service;
        match &err.failure {
            Failure::Unreachable(_) => {
                tracing::warn!(error = %err, "service unavailable");
                ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    format!("The {service} service cannot be reached"),
                )
            }
            Failure::Refused { status, problem } => {
                let relayed = problem.as_ref().and_then(|p| {
                    let code = ErrorCode::ALL.into_iter().find(|c| c.as_str() == p.code)?;
                    let passes = matches!(
                        code,
                        ErrorCode::Forbidden
                            | ErrorCode::TenantSuspended
                            | ErrorCode::TenantCancelled
                            | ErrorCode::NotFound
                            | ErrorCode::Conflict
                            | ErrorCode::InvalidTransition
                            | ErrorCode::PreconditionFailed
                            | ErrorCode::ValidationFailed
                    );
                    passes.then(|| match code {
                        ErrorCode::ValidationFailed if !p.errors.is_empty() => {
                            ApiError::validation(p.errors.clone())
                        }
                        code => ApiError::new(code, p.detail.clone()),
                    })
                });
                match (relayed, status) {
                    (Some(api), _) => api,
                    (None, 401 | 403) => {
                        ApiError::forbidden(format!("The {service} service refused the credential"))
                    }
                    (None, 404) => {
                        ApiError::new(ErrorCode::NotFound, format!("Not found by the {service} service"))
                    }
                    (None, _) => {
                        tracing::warn!(error = %err, "service refused");
                        ApiError::new(
                            ErrorCode::UpstreamUnavailable,
                            format!("The {service} service answered {status}"),
                        )
                    }
                }
            }
            Failure::Unreadable(_) => ApiError::internal(err),
        }
    }
}

/// `Ok(None)` for a 404: "there is none" is an answer, not a failure.
pub trait CallResultExt<T> {
    fn found(self) -> Result<Option<T>, CallError>;
}

impl<T> CallResultExt<T> for Result<T, CallError> {
    fn found(self) -> Result<Option<T>, CallError> {
        match self {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One request to a service.
pub(crate) struct Call<'a> {
    client: &'a ServiceClient,
    method: Method,
    path: String,
    token: Option<&'a str>,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(client: &'a ServiceClient, method: Method, path: impl Into<String>) -> Self {
        Self { client, method, path: path.into(), token: None, body: None, headers: Vec::new() }
    }

    pub(crate) fn get(client: &'a ServiceClient, path: impl Into<String>) -> Self {
        Self::new(client, Method::GET, path)
    }

    pub(crate) fn post(client: &'a ServiceClient, path: impl Into<String>) -> Self {
        Self::new(client, Method::POST, path)
    }

    pub(crate) fn bearer(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn json<B: Serialize>(mut self, body: &B) -> Result<Self, CallError> {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some(bytes);
                Ok(self)
            }
            Err(e) => {
                Err(self.error(Failure::Unreadable(format!("the request body cannot be encoded: {e}"))))
            }
        }
    }

    fn error(&self, failure: Failure) -> CallError {
        CallError::new(self.client, &self.method, &self.path, failure)
    }

    /// Sends the request; the answer when it is a success.
    async fn send(&self) -> Result<reqwest::Response, CallError> {
        let response = self
            .client
            .send(|base| {
                let mut request =
                    self.client.http().request(self.method.clone(), format!("{base}{}", self.path));
                if let Some(token) = self.token {
                    request = request.bearer_auth(token);
                }
                for (name, value) in &self.headers {
                    request = request.header(*name, value);
                }
                if let Some(body) = &self.body {
                    request = request.header("content-type", "application/json").body(body.clone());
                }
                request
            })
            .await
            .map_err(|e| self.error(Failure::Unreachable(format!("{e:#}"))))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The body of a refusal is read for its problem+json; anything else is left.
        let problem = response
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Problem>(&b).ok())
            .map(Box::new);
        Err(self.error(Failure::Refused { status: status.as_u16(), problem }))
    }

    /// Success, whatever the body.
    pub(crate) async fn done(self) -> Result<(), CallError> {
        self.send().await.map(drop)
    }

    /// The answer as a file, whatever its type.
    pub(crate) async fn download(self) -> Result<Download, CallError> {
        let response = self.send().await?;
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let content_type =
            header(reqwest::header::CONTENT_TYPE).unwrap_or_else(|| "application/octet-stream".to_owned());
        let disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let body = response.bytes().await.map_err(|e| self.error(Failure::Unreadable(format!("{e:#}"))))?;
        Ok(Download { content_type, disposition, body: body.to_vec() })
    }

    /// The answer's body, as the contract says it is.
    pub(crate) async fn answer<T: DeserializeOwned>(self) -> Result<T, CallError> {
        let response = self.send().await?;
        let bytes = response.bytes().await.map_err(|e| self.error(Failure::Unreadable(format!("{e:#}"))))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| self.error(Failure::Unreadable(crate::described(e))))
    }
}

/// A file as a service sent it (a CSV export, a report): its type, the name it gave, its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    pub content_type: String,
    /// The service's `Content-Disposition`, when it sent one.
    pub disposition: Option<String>,
    pub body: Vec<u8>,
}

/// Every item of a collection, page after page: `fetch(cursor)` reads one page.
pub async fn all_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>, CallError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, CallError>>,
{
    pages_until(fetch, usize::MAX).await
}

/// The items of a collection, page after page, until the last page or at least `enough`.
pub async fn pages_until<T, F, Fut>(mut fetch: F, enough: usize) -> Result<Vec<T>, CallError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, CallError>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor.take()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(next) if out.len() < enough => cursor = Some(next),
            _ => return Ok(out),
        }
    }
}

/// The pages of a collection as a stream, read as they are consumed: stop taking when you
/// have enough. Ends after the last page, or after the first error.
pub fn pages<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<Page<T>, CallError>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, CallError>>,
{
    // `Some(cursor)`: a page is still to be read from there; `None`: done.
    futures_util::stream::unfold((fetch, Some(None::<String>)), |(mut fetch, next)| async move {
        let cursor = next?;
        match fetch(cursor).await {
            Ok(page) => {
                let next = page.next_cursor.clone().map(Some);
                Some((Ok(page), (fetch, next)))
            }
            Err(e) => Some((Err(e), (fetch, None))),
        }
    })
}

/// A path with its query string, values percent-encoded.
pub(crate) struct PathQuery {
    path: String,
    sep: char,
}

impl PathQuery {
    pub(crate) fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), sep: '?' }
    }

    pub(crate) fn arg(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.path.push(self.sep);
        self.sep = '&';
        self.path.push_str(name);
        self.path.push('=');
        for b in value.to_string().bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                self.path.push(char::from(b));
            } else {
                self.path.push_str(&format!("%{b:02X}"));
            }
        }
        self
    }

    pub(crate) fn opt(self, name: &str, value: Option<impl fmt::Display>) -> Self {
        match value {
            Some(v) => self.arg(name, v),
            None => self,
        }
    }

    pub(crate) fn build(self) -> String {
        self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        let path = PathQuery::new("/api/v1/x")
            .arg("from", "2026-10-01T00:00:00+08:00")
            .opt("cursor", None::<&str>)
            .arg("limit", 200)
            .build();
        assert_eq!(path, "/api/v1/x?from=2026-10-01T00%3A00%3A00%2B08%3A00&limit=200");
    }

    fn refused(status: u16, code: Option<ErrorCode>) -> CallError {
        CallError {
            service: "catalog",
            method: Method::GET,
            path: "/api/v1/catalog/policy".into(),
            failure: Failure::Refused {
                status,
                problem: code.map(|c| Box::new(ApiError::new(c, "Tenant has no contract").to_problem())),
            },
        }
    }

    #[test]
    fn errors_name_the_service_path_and_status_and_keep_the_problem() {
        let err = refused(404, Some(ErrorCode::NotFound));
        assert_eq!(
            err.to_string(),
            "catalog answered 404 to GET /api/v1/catalog/policy: not_found: Tenant has no contract"
        );
        assert!(err.is_not_found());
        let api = ApiError::from(err);
        assert_eq!((api.code(), api.detail()), (ErrorCode::NotFound, "Tenant has no contract"));
        assert_eq!(
            ApiError::from(refused(500, Some(ErrorCode::Internal))).code(),
            ErrorCode::UpstreamUnavailable
        );
        assert_eq!(ApiError::from(refused(403, None)).code(), ErrorCode::Forbidden);
        let none: Result<(), CallError> = Err(refused(404, None));
        assert!(matches!(none.found(), Ok(None)));
    }

    #[tokio::test]
    async fn pages_follow_the_cursor_and_stop_after_the_last() {
        use futures_util::StreamExt;
        let fetch = |cursor: Option<String>| async move {
            let n: u32 = cursor.as_deref().map_or(0, |c| c.parse().unwrap_or(0));
            Ok::<_, CallError>(Page { items: vec![n], next_cursor: (n < 2).then(|| (n + 1).to_string()) })
        };
        assert_eq!(all_pages(fetch).await.unwrap(), vec![0, 1, 2]);
        assert_eq!(pages_until(fetch, 2).await.unwrap(), vec![0, 1]);
        let first_two: Vec<u32> = pages(fetch).take(2).map(|p| p.unwrap().items[0]).collect::<Vec<_>>().await;
        assert_eq!(first_two, vec![0, 1]);
    }
}

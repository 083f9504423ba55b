//! What every service refuses at its edge, before a handler runs, with one rule each:
//!
//! - text with control characters (a NUL reaches PostgreSQL as an error): in JSON string values
//!   and keys, query strings, path segments and header values. Bodies' text may hold `\t`,
//!   `\n` and `\r`; everything else below U+0020, and U+007F, is refused, naming the field;
//! - dates outside the years the platform knows ([`YEARS`]): any JSON string or query value
//!   written as a date, a month or an instant (`2026-10`, `2026-10-01`, `2026-10-01T08:00:00Z`);
//! - a body that arrives too slowly (408), and more connections from one address than allowed
//!   (429).
//!
//! [`serve`](crate::http::serve) applies them to every service, so no handler can forget them.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::Stream;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode, FieldError};

/// The years a date sent to Canopy may fall in (a report's month, a contract's days, a
/// billing period, an instant): wide enough for every real use, narrow enough that no date
/// arithmetic on them can overflow.
pub const YEARS: RangeInclusive<i32> = 2000..=2100;

/// What the edge of one service enforces; app data of every service.
#[derive(Clone, Debug)]
pub struct EdgeLimits {
    /// The largest body read (and inspected) whole.
    pub max_body_bytes: usize,
    /// The time a client has to send the whole body once its headers arrived.
    pub body_timeout: Duration,
}

/// A character no text field may hold: control characters, except tab, line feed and
/// carriage return where `multiline` (bodies) allows them.
fn forbidden(c: char, multiline: bool) -> bool {
    c.is_control() && !(multiline && matches!(c, '\t' | '\n' | '\r'))
}

/// Why `text` is refused, if it is.
pub fn text_problem(text: &str, multiline: bool) -> Option<String> {
    if let Some(c) = text.chars().find(|c| forbidden(*c, multiline)) {
        return Some(format!("must not contain control characters (found U+{:04X})", u32::from(c)));
    }
    date_problem(text)
}

/// When `text` is written as a date, a month or an instant, whether its year is one Canopy
/// knows. Text that merely starts with digits (`2026-10 outage`) is not a date.
pub fn date_problem(text: &str) -> Option<String> {
    let year = date_year(text)?;
    (!YEARS.contains(&year))
        .then(|| format!("dates must fall in the years {}–{}", YEARS.start(), YEARS.end()))
}

/// The year of `text` when it is a date (`[+-]YYYY-MM`, `…-DD`, `…-DDThh:mm…`); years too
/// large for an `i32` count as `i32::MAX`.
fn date_year(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1i64, &text[1..]),
        b'-' => (-1i64, &text[1..]),
        _ => (1i64, text),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 4 {
        return None;
    }
    let after = &rest.as_bytes()[digits..];
    let two_digits = |b: &[u8]| b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit();
    // -MM
    if after.first() != Some(&b'-') || !two_digits(&after[1..]) {
        return None;
    }
    let after = &after[3..];
    let is_date = match after {
        [] => true,
        [b'-', rest @ ..] if two_digits(rest) => match &rest[2..] {
            [] => true,
            [b'T' | b't' | b' ', time @ ..] => {
                two_digits(time) && time.get(2) == Some(&b':') && two_digits(&time[3.min(time.len())..])
            }
            _ => false,
        },
        _ => false,
    };
    if !is_date {
        return None;
    }
    let year = rest[..digits].parse::<i64>().unwrap_or(i64::MAX).saturating_mul(sign);
    Some(i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }))
}

/// Every refused string in a JSON document, by JSON pointer (`/tickets/0/title`).
pub fn json_problems(value: &Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut out);
    out
}

fn walk(value: &Value, pointer: &mut String, out: &mut Vec<FieldError>) {
    const MAX_REPORTED: usize = 20;
    if out.len() >= MAX_REPORTED {
        return;
    }
    match value {
        Value::String(s) => {
            if let Some(why) = text_problem(s, true) {
                out.push(FieldError::new(field_name(pointer), why));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(item, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                if key.chars().any(|c| forbidden(c, false)) {
                    out.push(FieldError::new(
                        field_name(pointer),
                        "names must not contain control characters",
                    ));
                } else {
                    walk(item, pointer, out);
                }
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn field_name(pointer: &str) -> String {
    if pointer.is_empty() { "/".to_owned() } else { pointer.to_owned() }
}

/// Every refused value of a query string, named `query.<name>`.
pub fn query_problems(query: &str) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let field = format!("query.{}", name.chars().filter(|c| !forbidden(*c, false)).collect::<String>());
        if name.chars().any(|c| forbidden(c, false)) {
            out.push(FieldError::new(field, "parameter names must not contain control characters"));
        } else if let Some(why) = text_problem(&value, false) {
            out.push(FieldError::new(field, why));
        }
    }
    out
}

/// Why the path is refused: a control character in one of its (decoded) segments.
fn path_problem(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    decoded
        .chars()
        .find(|c| forbidden(*c, false))
        .map(|c| format!("The path must not contain control characters (found U+{:04X})", u32::from(c)))
}

/// The first header whose value holds a control character (tab allowed, as HTTP does).
fn header_problem(req: &ServiceRequest) -> Option<FieldError> {
    req.headers().iter().find_map(|(name, value)| {
        value.as_bytes().iter().any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f).then(|| {
            FieldError::new(format!("header.{name}"), "header values must not contain control characters")
        })
    })
}

fn is_inspected_body(req: &ServiceRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

fn problem(code: ErrorCode, detail: impl Into<String>, errors: Vec<FieldError>) -> ApiError {
    if errors.is_empty() { ApiError::new(code, detail) } else { ApiError::validation(errors) }
}

/// Answers `err` on the request's behalf, closing the connection when `close`.
fn refuse<B>(req: ServiceRequest, err: ApiError, close: bool) -> ServiceResponse<EitherBody<B>> {
    let mut res = err.error_response();
    if close {
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    req.into_response(res).map_into_right_body()
}

/// A request body that must arrive by a deadline; past it, the stream fails (and says so in
/// `expired`, so the answer is a 408 whatever the handler made of the failure).
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            if item.is_none() {
                self.done = true;
            }
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.done = true;
            self.expired.store(true, Ordering::SeqCst);
            let err =
                std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
            return Poll::Ready(Some(Err(PayloadError::Io(err))));
        }
        Poll::Pending
    }
}

fn timed_out(limits: &EdgeLimits) -> ApiError {
    ApiError::new(
        ErrorCode::RequestTimeout,
        format!("The request body did not arrive within {} s", limits.body_timeout.as_secs_f64()),
    )
}

/// Middleware: the connection cap, then the inspection of the path, query, headers and JSON
/// body, with the body's deadline around everything that reads it.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.conn_data::<ConnectionSlot>().is_some_and(|slot| slot.over) {
        let err = ApiError::new(
            ErrorCode::RateLimited,
            "Too many connections from your address; close some and try again",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Ok(refuse(req, err, true));
    }
    if let Some(why) = path_problem(req.path()) {
        // A path that cannot name anything answers like one that names nothing.
        return Ok(refuse(
            req,
            ApiError::new(ErrorCode::NotFound, format!("No such resource: {why}")),
            false,
        ));
    }
    if let Some(field) = header_problem(&req) {
        let detail = format!("{}: {}", field.field, field.message);
        return Ok(refuse(req, ApiError::new(ErrorCode::BadRequest, detail), false));
    }
    let query = query_problems(req.query_string());
    if !query.is_empty() {
        return Ok(refuse(req, problem(ErrorCode::ValidationFailed, "", query), false));
    }

    let limits = req
        .app_data::<EdgeLimits>()
        .cloned()
        .unwrap_or(EdgeLimits { max_body_bytes: 1024 * 1024, body_timeout: Duration::from_secs(30) });
    let expired = Arc::new(AtomicBool::new(false));
    let mut body: Payload = Payload::from(Box::pin(Deadline {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(limits.body_timeout)),
        expired: expired.clone(),
        done: false,
    }) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>);

    if is_inspected_body(&req) {
        let mut bytes = BytesMut::new();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) if bytes.len() + chunk.len() > limits.max_body_bytes => {
                    let err = ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("The body is larger than the limit of {} bytes", limits.max_body_bytes),
                    );
                    return Ok(refuse(req, err, true));
                }
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(_) if expired.load(Ordering::SeqCst) => return Ok(refuse(req, timed_out(&limits), true)),
                Err(e) => {
                    return Ok(refuse(req, ApiError::new(ErrorCode::BadRequest, format!("Body: {e}")), true));
                }
            }
        }
        let bytes = bytes.freeze();
        // What does not parse is left to the endpoint's extractor, which says why.
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            let problems = json_problems(&value);
            if !problems.is_empty() {
                return Ok(refuse(req, problem(ErrorCode::ValidationFailed, "", problems), false));
            }
        }
        body = Payload::from(bytes);
    }
    req.set_payload(body);
    let res = next.call(req).await?;
    if expired.load(Ordering::SeqCst) {
        let (req, _) = res.into_parts();
        let mut out = timed_out(&limits).error_response();
        out.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Ok(ServiceResponse::new(req, out).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

/// Open connections per client address, shared by a server's workers.
#[derive(Clone, Debug)]
pub struct ConnectionCounter {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's place in the count; leaving (the connection closing) frees it.
#[derive(Debug)]
pub struct ConnectionSlot {
    ip: IpAddr,
    /// Beyond the cap: its requests are refused and it is closed.
    over: bool,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ConnectionCounter {
    pub fn new(max: usize) -> Self {
        Self { max, open: Arc::default() }
    }

    /// Counts a new connection from `ip`.
    pub fn open(&self, ip: IpAddr) -> ConnectionSlot {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        *count += 1;
        ConnectionSlot { ip, over: *count > self.max, open: self.open.clone() }
    }

    /// Open connections from `ip`.
    pub fn count(&self, ip: IpAddr) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// The policy of every HTML page: no inline script, nothing framed, nothing from elsewhere.
pub const HTML_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Middleware: `X-Content-Type-Options: nosniff` on every answer, and `Cache-Control:
/// no-store` on every answer that does not say how it may be cached (tokens, secrets and
/// tenants' data are not for caches; the few cacheable answers, such as the JWKS and static
/// assets, say so themselves). HTML pages also get a CSP (the page's own, given
/// `frame-ancestors 'none'` when it has none), `X-Frame-Options` and `Referrer-Policy`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        let csp = match headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
            Some(own) if own.contains("frame-ancestors") => own.to_owned(),
            Some(own) => format!("{}; frame-ancestors 'none'", own.trim_end_matches([';', ' '])),
            None => HTML_CSP.to_owned(),
        };
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_bodies_keep_line_breaks() {
        assert!(text_problem("a\u{0}@x.io", true).is_some());
        assert!(text_problem("bell\u{7}", true).is_some());
        assert!(text_problem("del\u{7f}", false).is_some());
        assert!(text_problem("line one\nline two\r\n\tindented", true).is_none());
        assert!(text_problem("line\n", false).is_some());
        assert!(text_problem("zh-CN 你好 ✓", false).is_none());
    }

    #[test]
    fn only_what_is_written_as_a_date_is_bounded() {
        for bad in [
            "9999-12",
            "1999-12-31",
            "+10000-01-01",
            "-0001-01-01",
            "2101-01-01T00:00:00Z",
            "99999999999999999999-01",
        ] {
            assert!(date_problem(bad).is_some(), "{bad}");
        }
        for fine in [
            "2026-10",
            "2026-10-01",
            "2026-10-01T08:00:00Z",
            "2100-12-31",
            "9999-12 was a year",
            "12345",
            "ACME-42",
        ] {
            assert!(date_problem(fine).is_none(), "{fine}");
        }
    }

    #[test]
    fn problems_name_json_pointers_and_query_parameters() {
        let doc = serde_json::json!({"email": "a\u{0}@x.io", "events": [{"ok": "x"}, {"message": "m\u{1}"}], "a/b": "\u{0}"});
        let fields: Vec<_> = json_problems(&doc).into_iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["/a~1b", "/email", "/events/1/message"]);
        let fields: Vec<_> =
            query_problems("q=%00&period=9999-12&limit=5").into_iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["query.q", "query.period"]);
    }

    #[test]
    fn connections_are_counted_per_address_and_freed_on_close() {
        let counter = ConnectionCounter::new(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let (a, b, c) = (counter.open(ip), counter.open(ip), counter.open(ip));
        assert!(!a.over && !b.over && c.over);
        assert!(!counter.open([10, 0, 0, 2].into()).over);
        drop((a, c));
        assert_eq!(counter.count(ip), 1);
        assert!(!counter.open(ip).over);
    }

    proptest::proptest! {
        /// No text a client can send makes the edge's parsers panic, and what they let through
        /// as a date lies in the known years.
        #[test]
        fn the_edge_parsers_never_panic(s in "\\PC{0,40}|[+-]?[0-9]{1,25}-[0-9]{2}(-[0-9]{2}([T ][0-9]{2}:[0-9]{2}.{0,10})?)?") {
            let _ = text_problem(&s, true);
            let _ = query_problems(&s);
            let _ = path_problem(&s);
            if date_problem(&s).is_none() && let Some(year) = date_year(&s) {
                proptest::prop_assert!(YEARS.contains(&year));
            }
            let mut doc = serde_json::Map::new();
            doc.insert(s.clone(), serde_json::json!([s.clone(), {"k": s}]));
            let doc = Value::Object(doc);
            let _ = json_problems(&doc);
        }
    }
}

//! One event as an agent reports it: checked field by field (every problem named, so a batch
//! can say which of its events were refused and why), and fingerprinted.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// How bad it is; `ok` is a recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Ok, Severity::Info, Severity::Warning, Severity::Error, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An event as it is sent (for the API's documentation; each is checked by [`Event::parse`]).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RawEvent {
    /// What sent it (an agent's name or product); `agent` when not given.
    pub source: Option<String>,
    /// The host it concerns.
    pub host: String,
    /// The check or service that reported (`ping`, `disk /var`, `antivirus`, …).
    pub check: String,
    pub severity: Severity,
    pub message: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// Events with the same fingerprint are the same problem; `host/check` when not given.
    pub fingerprint: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// A checked event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub source: String,
    pub host: String,
    pub check: String,
    pub severity: Severity,
    pub message: String,
    pub occurred_at: DateTime<Utc>,
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
}

/// How far ahead of the platform's clock an agent's clock may run.
const SKEW: TimeDelta = TimeDelta::minutes(5);
/// How old an event may be and still be taken (an agent catching up after an outage).
const OLDEST: TimeDelta = TimeDelta::days(7);

impl Event {
    /// Checks one event of a batch; every problem as (field, message).
    pub fn parse(v: &Value, now: DateTime<Utc>) -> Result<Self, Vec<(String, String)>> {
        let mut errors: Vec<(String, String)> = Vec::new();
        let Some(obj) = v.as_object() else {
            return Err(vec![("event".into(), "must be an object".into())]);
        };
        let mut text = |field: &str, max: usize, required: bool| -> Option<String> {
            match obj.get(field) {
                None | Some(Value::Null) if !required => None,
                None | Some(Value::Null) => {
                    errors.push((field.into(), "is required".into()));
                    None
                }
                Some(Value::String(s)) => {
                    let s = s.trim();
                    if s.is_empty() && required {
                        errors.push((field.into(), "must not be empty".into()));
                        None
                    } else if s.chars().count() > max {
                        errors.push((field.into(), format!("must have at most {max} characters")));
                        None
                    } else {
                        Some(s.to_owned())
                    }
                }
                Some(_) => {
                    errors.push((field.into(), "must be a string".into()));
                    None
                }
            }
        };
        let source = text("source", 100, false).filter(|s| !s.is_empty()).unwrap_or_else(|| "agent".into());
        let host = text("host", 255, true).map(|h| h.to_lowercase());
        let check = text("check", 200, true);
        let message = text("message", 2000, false).unwrap_or_default();
        let fingerprint = text("fingerprint", 200, false).filter(|f| !f.is_empty());
        let severity = text("severity", 20, true);
        let occurred = text("occurred_at", 64, true);
        for field in obj.keys() {
            if !["source", "host", "check", "severity", "message", "occurred_at", "fingerprint", "labels"]
                .contains(&field.as_str())
            {
                errors.push((field.clone(), "is not a field of an event".into()));
            }
        }
        let severity = severity.and_then(|s| {
            let parsed = Severity::parse(&s);
            if parsed.is_none() {
                errors.push(("severity".into(), "must be ok, info, warning, error or critical".into()));
            }
            parsed
        });
        let occurred_at = occurred.and_then(|s| match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t > now + SKEW {
                    errors.push(("occurred_at".into(), "is in the future (check the agent's clock)".into()));
                    None
                } else if t < now - OLDEST {
                    errors.push(("occurred_at".into(), "is more than 7 days old".into()));
                    None
                } else {
                    Some(t)
                }
            }
            Err(_) => {
                errors.push((
                    "occurred_at".into(),
                    "must be an RFC 3339 time, e.g. 2026-11-30T08:00:00Z".into(),
                ));
                None
            }
        });
        let mut labels = BTreeMap::new();
        match obj.get("labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) if map.len() <= 32 => {
                for (k, v) in map {
                    match v.as_str() {
                        Some(s) if !k.is_empty() && k.len() <= 64 && s.chars().count() <= 256 => {
                            labels.insert(k.clone(), s.to_owned());
                        }
                        _ => errors.push((
                            format!("labels.{k}"),
                            "labels are strings (names up to 64, values up to 256 characters)".into(),
                        )),
                    }
                }
            }
            Some(_) => errors.push(("labels".into(), "must be an object of at most 32 string labels".into())),
        }
        match (host, check, severity, occurred_at) {
            (Some(host), Some(check), Some(severity), Some(occurred_at)) if errors.is_empty() => {
                let fingerprint = fingerprint.unwrap_or_else(|| format!("{host}/{check}"));
                Ok(Event { source, host, check, severity, message, occurred_at, fingerprint, labels })
            }
            _ => Err(errors),
        }
    }

    /// The same event sent again (an agent retrying a batch) has the same key.
    pub fn dedup_key(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.fingerprint.as_str(),
            self.severity.as_str(),
            &self.occurred_at.timestamp_micros().to_string(),
            self.message.as_str(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-30T08:00:00Z".parse().unwrap_or_default()
    }

    #[test]
    fn a_good_event_is_fingerprinted_by_host_and_check() {
        let e = Event::parse(
            &json!({"host": "FS01", "check": "disk /data", "severity": "error", "occurred_at": "2026-11-30T07:59:00Z",
                "labels": {"site": "hq"}}),
            now(),
        );
        let e = e.unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(e.fingerprint, "fs01/disk /data");
        assert_eq!(e.source, "agent");
        assert_eq!(e.labels["site"], "hq");
        let again = Event::parse(
            &json!({"host": "fs01", "check": "disk /data", "severity": "error", "occurred_at": "2026-11-30T07:59:00Z"}),
            now(),
        );
        assert_eq!(again.map(|a| a.dedup_key()).ok(), Some(e.dedup_key()));
    }

    #[test]
    fn every_problem_is_named() {
        let errors = Event::parse(
            &json!({"host": "", "severity": "bad", "occurred_at": "2026-12-01T00:00:00Z", "colour": 1, "labels": {"a": 1}}),
            now(),
        )
        .err()
        .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        for f in ["host", "check", "severity", "occurred_at", "colour", "labels.a"] {
            assert!(fields.contains(&f), "{f} in {errors:?}");
        }
        assert!(Event::parse(&json!("nope"), now()).is_err());
        assert!(
            Event::parse(
                &json!({"host": "h", "check": "c", "severity": "ok",
            "occurred_at": "2026-11-01T00:00:00Z"}),
                now()
            )
            .is_err(),
            "too old"
        );
    }
}

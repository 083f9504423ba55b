//! The service desk's rules: plain values, no HTTP and no storage.

pub mod clocks;
pub mod fields;
pub mod itil;
pub mod lifecycle;
pub mod search;
pub mod snapshot;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The wire name of an enum value (`pending_customer`), as stored in text columns.
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The enum value of a stored name.
pub fn parse_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

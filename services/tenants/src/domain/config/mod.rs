//! A tenant's virtual configuration: one validated document, versioned on every change.

mod parts;

use serde_json::Value;

use canopy_kernel::Violations;

pub use parts::WEBHOOK_EVENTS;

pub use canopy_api::tenants::{
    Branding, Category, ConfigUpdate, ConfigView, CustomField, FieldKind, Locale, PriorityMatrix, Site,
    TenantConfig, Webhook, default_categories,
};

/// Fields of a config response that a client may send back unchanged on PUT.
pub const READ_ONLY_FIELDS: [&str; 4] = ["version", "updated_at", "updated_by", "tenant_id"];

/// The rules a configuration keeps.
pub trait Validate {
    /// Checks every rule and carries webhook secrets over from `previous` where the client
    /// did not send them (secrets are write-only). All problems are reported at once.
    fn validate(&mut self, previous: Option<&TenantConfig>) -> Violations;
}

impl Validate for TenantConfig {
    fn validate(&mut self, previous: Option<&TenantConfig>) -> Violations {
        let mut v = Violations::new();
        check_timezone(&self.timezone, &mut v);
        v.check(self.tax_rate_bp <= 5_000, "tax_rate_bp", "must be 0–5000 (0–50 %)");
        if let Err(errors) = self.business_calendar.validate() {
            for e in errors {
                v.add(format!("business_calendar.{}", e.path), e.message);
            }
        }
        parts::check_categories(&self.ticket_categories, &mut v);
        parts::check_matrix(&self.priority_matrix, &mut v);
        parts::check_custom_fields(&self.custom_fields, &mut v);
        parts::check_sites(&self.sites, &mut v);
        parts::check_branding(&self.branding, &mut v);
        let active: Vec<&str> =
            self.ticket_categories.iter().filter(|c| c.active).map(|c| c.key.as_str()).collect();
        for (path, message) in
            self.monitoring.validate(&active, &self.priority_matrix.impacts, &self.priority_matrix.urgencies)
        {
            v.add(format!("monitoring.{path}"), message);
        }
        parts::settle_webhooks(
            &mut self.webhooks,
            previous.map(|p| p.webhooks.as_slice()).unwrap_or(&[]),
            &mut v,
        );
        v
    }
}

pub fn check_timezone(name: &str, v: &mut Violations) {
    if jiff::tz::db().get(name).is_err() {
        v.add(
            "timezone",
            format!("`{name}` is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)"),
        );
    }
}

/// Paths that differ between two documents, two levels deep (`business_calendar.holidays`).
pub fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    fn walk(old: &Value, new: &Value, prefix: &str, depth: usize, out: &mut Vec<String>) {
        match (old, new) {
            (Value::Object(a), Value::Object(b)) if depth < 2 => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    walk(
                        a.get(key).unwrap_or(&Value::Null),
                        b.get(key).unwrap_or(&Value::Null),
                        &path,
                        depth + 1,
                        out,
                    );
                }
            }
            (a, b) if a != b => out.push(prefix.to_owned()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(old, new, "", 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_initial_configuration_is_valid() {
        let mut c = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        assert!(c.validate(None).is_empty());
        assert_eq!(
            c.ticket_categories.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["network", "virus_security", "software", "hardware", "other"]
        );
    }

    #[test]
    fn an_unknown_time_zone_is_named() {
        let mut c = TenantConfig::initial("Mars/Olympus_Mons", Locale::En);
        let err = c.validate(None).into_result().err().unwrap();
        assert_eq!(err.field_errors()[0].field, "timezone");
    }

    #[test]
    fn changed_paths_go_two_levels_deep() {
        let a = json!({"timezone": "UTC", "business_calendar": {"holidays": [], "weekly": {"mon": []}}});
        let b = json!({"timezone": "UTC", "business_calendar": {"holidays": ["2026-10-01"], "weekly": {"mon": []}}, "sites": []});
        assert_eq!(changed_paths(&a, &b), vec!["business_calendar.holidays", "sites"]);
    }
}

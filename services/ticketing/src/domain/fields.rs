//! A ticket's fields checked against its tenant's virtual configuration: categories, the
//! impact × urgency matrix, sites and custom fields.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use canopy_api::tenants::{FieldKind, TenantConfig};
use canopy_kernel::Violations;
use canopy_sla::Priority;

use super::lifecycle::TicketKind;

/// A ticket's fields against the tenant's configuration (`GET /tenants/{id}/config`).
pub trait TicketFields {
    fn check_category(&self, category: &str, v: &mut Violations);

    /// The priority of an impact and urgency, or the problems with them.
    fn priority(&self, impact: &str, urgency: &str, v: &mut Violations) -> Option<Priority>;

    fn check_site(&self, site: Option<Uuid>, onsite: bool, v: &mut Violations);

    /// Custom field values against the tenant's definitions: known keys, right types,
    /// allowed options, required ones present (for fields that apply to this kind).
    fn check_custom_fields(&self, kind: TicketKind, values: &BTreeMap<String, Value>, v: &mut Violations);
}

impl TicketFields for TenantConfig {
    fn check_category(&self, category: &str, v: &mut Violations) {
        match self.ticket_categories.iter().find(|c| c.key == category) {
            Some(c) if c.active => {}
            Some(_) => v.add("category", format!("`{category}` is retired")),
            None => v.add(
                "category",
                format!(
                    "`{category}` is not one of the tenant's categories: {}",
                    self.ticket_categories
                        .iter()
                        .filter(|c| c.active)
                        .map(|c| c.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }

    fn priority(&self, impact: &str, urgency: &str, v: &mut Violations) -> Option<Priority> {
        let m = &self.priority_matrix;
        if !m.impacts.iter().any(|i| i == impact) {
            v.add("impact", format!("`{impact}` is not one of: {}", m.impacts.join(", ")));
        }
        if !m.urgencies.iter().any(|u| u == urgency) {
            v.add("urgency", format!("`{urgency}` is not one of: {}", m.urgencies.join(", ")));
        }
        m.matrix.get(impact).and_then(|row| row.get(urgency)).copied()
    }

    fn check_site(&self, site: Option<Uuid>, onsite: bool, v: &mut Violations) {
        match site {
            Some(id) if !self.sites.iter().any(|s| s.id == id) => {
                v.add("site_id", "is not one of the tenant's sites")
            }
            None if onsite && !self.sites.is_empty() => {
                v.add("site_id", "on-site work needs the site to go to")
            }
            _ => {}
        }
    }

    fn check_custom_fields(&self, kind: TicketKind, values: &BTreeMap<String, Value>, v: &mut Violations) {
        for key in values.keys() {
            if !self.custom_fields.iter().any(|f| &f.key == key) {
                v.add(format!("custom_fields.{key}"), "is not a field of this tenant");
            }
        }
        for f in &self.custom_fields {
            if !f.applies_to.is_empty() && !f.applies_to.contains(&kind) {
                if values.contains_key(&f.key) {
                    v.add(format!("custom_fields.{}", f.key), "does not apply to this kind of ticket");
                }
                continue;
            }
            let at = format!("custom_fields.{}", f.key);
            let Some(value) = values.get(&f.key).filter(|v| !v.is_null()) else {
                if f.required {
                    v.add(at, "is required");
                }
                continue;
            };
            let ok = match f.kind {
                FieldKind::Text => value.as_str().is_some_and(|s| s.chars().count() <= 2000),
                FieldKind::Number => value.is_number(),
                FieldKind::Boolean => value.is_boolean(),
                FieldKind::Date => {
                    value.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
                }
                FieldKind::Select => value.as_str().is_some_and(|s| f.options.iter().any(|o| o == s)),
                FieldKind::Multiselect => value.as_array().is_some_and(|a| {
                    a.iter().all(|x| x.as_str().is_some_and(|s| f.options.iter().any(|o| o == s)))
                }),
            };
            if !ok {
                let expected = match f.kind {
                    FieldKind::Select | FieldKind::Multiselect => format!("one of: {}", f.options.join(", ")),
                    FieldKind::Date => "a date YYYY-MM-DD".into(),
                    FieldKind::Text => "a text".into(),
                    FieldKind::Number => "a number".into(),
                    FieldKind::Boolean => "a boolean".into(),
                };
                v.add(at, format!("must be {expected}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> TenantConfig {
        serde_json::from_value(json!({
            "timezone": "UTC", "locale": "en", "business_calendar": {"weekly": {"mon": [["09:00", "17:00"]]}},
            "ticket_categories": [{"key": "network", "name": "Network"}, {"key": "old", "name": "Old", "active": false}],
            "priority_matrix": {"impacts": ["high", "low"], "urgencies": ["high", "low"],
                                "matrix": {"high": {"high": "P1", "low": "P2"}, "low": {"high": "P3", "low": "P4"}}},
            "custom_fields": [{"key": "asset", "label": "Asset", "type": "text", "required": true},
                              {"key": "floor", "label": "Floor", "type": "select", "options": ["1", "2"]},
                              {"key": "cab", "label": "CAB date", "type": "date", "applies_to": ["change"]}],
            "sites": []
        }))
        .unwrap()
    }

    #[test]
    fn matrix_categories_and_fields() {
        let s = settings();
        let mut v = Violations::new();
        assert_eq!(s.priority("high", "low", &mut v), Some(Priority::P2));
        s.check_category("network", &mut v);
        assert!(v.is_empty());
        s.check_category("old", &mut v);
        s.priority("huge", "low", &mut v);
        let values: BTreeMap<String, Value> = [
            ("floor".to_string(), json!("3")),
            ("cab".to_string(), json!("2026-01-01")),
            ("x".to_string(), json!(1)),
        ]
        .into();
        s.check_custom_fields(TicketKind::Incident, &values, &mut v);
        let err = v.into_result().unwrap_err();
        let fields: Vec<&str> = err.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "category",
                "impact",
                "custom_fields.x",
                "custom_fields.asset",
                "custom_fields.floor",
                "custom_fields.cab"
            ]
        );
    }
}

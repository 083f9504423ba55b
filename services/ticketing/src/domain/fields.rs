//! A ticket's fields checked against its tenant's virtual configuration: categories, the
//! impact × urgency matrix, sites and custom fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use canopy_kernel::Violations;
use canopy_sla::{CalendarSpec, Priority};

use super::lifecycle::TicketKind;

/// The parts of `GET /tenants/{id}/config` that tickets need.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantSettings {
    pub timezone: String,
    /// `zh-CN` or `en`: the language of what the tenant reads (its monthly report).
    #[serde(default)]
    pub locale: Option<String>,
    pub business_calendar: CalendarSpec,
    pub ticket_categories: Vec<Category>,
    pub priority_matrix: Matrix,
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    #[serde(default)]
    pub sites: Vec<Site>,
    /// How monitoring agents' events become incidents.
    #[serde(default)]
    pub monitoring: canopy_monitoring::Rules,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Category {
    pub key: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Matrix {
    pub impacts: Vec<String>,
    pub urgencies: Vec<String>,
    pub matrix: BTreeMap<String, BTreeMap<String, Priority>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomField {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub applies_to: Vec<TicketKind>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
}

impl TenantSettings {
    pub fn check_category(&self, category: &str, v: &mut Violations) {
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

    /// The priority of an impact and urgency, or the problems with them.
    pub fn priority(&self, impact: &str, urgency: &str, v: &mut Violations) -> Option<Priority> {
        let m = &self.priority_matrix;
        if !m.impacts.iter().any(|i| i == impact) {
            v.add("impact", format!("`{impact}` is not one of: {}", m.impacts.join(", ")));
        }
        if !m.urgencies.iter().any(|u| u == urgency) {
            v.add("urgency", format!("`{urgency}` is not one of: {}", m.urgencies.join(", ")));
        }
        m.matrix.get(impact).and_then(|row| row.get(urgency)).copied()
    }

    pub fn check_site(&self, site: Option<Uuid>, onsite: bool, v: &mut Violations) {
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

    /// Custom field values against the tenant's definitions: known keys, right types,
    /// allowed options, required ones present (for fields that apply to this kind).
    pub fn check_custom_fields(
        &self,
        kind: TicketKind,
        values: &BTreeMap<String, Value>,
        v: &mut Violations,
    ) {
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
            let ok = match f.kind.as_str() {
                "text" => value.as_str().is_some_and(|s| s.chars().count() <= 2000),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "date" => {
                    value.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
                }
                "select" => value.as_str().is_some_and(|s| f.options.iter().any(|o| o == s)),
                "multiselect" => value.as_array().is_some_and(|a| {
                    a.iter().all(|x| x.as_str().is_some_and(|s| f.options.iter().any(|o| o == s)))
                }),
                _ => false,
            };
            if !ok {
                let expected = match f.kind.as_str() {
                    "select" | "multiselect" => format!("one of: {}", f.options.join(", ")),
                    "date" => "a date YYYY-MM-DD".into(),
                    other => format!("a {other}"),
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

    fn settings() -> TenantSettings {
        serde_json::from_value(json!({
            "timezone": "UTC", "business_calendar": {"weekly": {"mon": [["09:00", "17:00"]]}},
            "ticket_categories": [{"key": "network", "name": "Network"}, {"key": "old", "name": "Old", "active": false}],
            "priority_matrix": {"impacts": ["high", "low"], "urgencies": ["high", "low"],
                                "matrix": {"high": {"high": "P1", "low": "P2"}, "low": {"high": "P3", "low": "P4"}}},
            "custom_fields": [{"key": "asset", "label": "Asset", "type": "text", "required": true},
                              {"key": "floor", "label": "Floor", "type": "select", "options": ["1", "2"]},
                              {"key": "cab", "label": "CAB date", "type": "date", "applies_to": ["change"]}],
            "sites": [], "extra": "ignored"
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

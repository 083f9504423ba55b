//! A tenant's virtual configuration, as `GET/PUT /tenants/{id}/config` carry it. The tenants
//! service validates it; ticketing, the scheduler, the catalogue and billing read it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_sla::{CalendarSpec, Priority};

use crate::ticketing::TicketKind;

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// The locale of its exact tag (`en`, `zh-CN`).
    pub fn from_tag(tag: &str) -> Option<Self> {
        [Self::En, Self::ZhCn].into_iter().find(|l| l.as_str() == tag)
    }
}

/// The configuration document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// IANA time zone, e.g. `Asia/Shanghai`.
    #[schema(example = "Asia/Shanghai")]
    pub timezone: String,
    pub locale: Locale,
    pub business_calendar: CalendarSpec,
    #[serde(default = "default_categories")]
    pub ticket_categories: Vec<Category>,
    #[serde(default)]
    pub priority_matrix: PriorityMatrix,
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    #[serde(default)]
    pub sites: Vec<Site>,
    #[serde(default)]
    pub branding: Branding,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// Tax on the tenant's invoices, in basis points (1300 = 13 %).
    #[serde(default)]
    pub tax_rate_bp: u32,
    /// How monitoring agents' events become incidents: correlation window, threshold,
    /// auto-resolution, flapping, check → category, maintenance windows.
    #[serde(default)]
    pub monitoring: canopy_monitoring::Rules,
    /// Sign-in rules for the tenant's own users.
    #[serde(default)]
    pub security: SecurityConfig,
}

/// Sign-in rules a tenant sets for its users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// The tenant's admins must enrol a TOTP second factor: until they do, their sign-in
    /// answers `totp_enrollment_required: true`; once enrolled, every sign-in needs a code.
    #[serde(default)]
    pub require_totp_for_admins: bool,
}

impl TenantConfig {
    /// What a new tenant starts with.
    pub fn initial(timezone: &str, locale: Locale) -> Self {
        Self {
            timezone: timezone.to_owned(),
            locale,
            business_calendar: CalendarSpec::office_hours(),
            ticket_categories: default_categories(),
            priority_matrix: PriorityMatrix::default(),
            custom_fields: Vec::new(),
            sites: Vec::new(),
            branding: Branding::default(),
            webhooks: Vec::new(),
            tax_rate_bp: 0,
            monitoring: canopy_monitoring::Rules::default(),
            security: SecurityConfig::default(),
        }
    }

    /// The document as clients see it: no webhook secrets.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for hook in &mut copy.webhooks {
            hook.secret = None;
        }
        copy
    }

    /// The site with this id.
    pub fn site(&self, id: Uuid) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }
}

/// What a tenant's requesters (and its API keys) may read of the configuration: what the
/// portal needs to raise and follow tickets, the sites by name and address only. No webhooks,
/// tax, monitoring or sign-in rules; tenant admins and provider staff read the whole
/// [`ConfigView`] (whose answer a reader turns into this with [`PortalConfigView::of`]).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalConfigView {
    pub tenant_id: Uuid,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub timezone: String,
    pub locale: Locale,
    pub business_calendar: CalendarSpec,
    /// The categories a ticket may be raised in (retired ones are left out).
    pub ticket_categories: Vec<Category>,
    pub priority_matrix: PriorityMatrix,
    pub custom_fields: Vec<CustomField>,
    /// Where on-site work can be asked for.
    #[serde(default)]
    pub sites: Vec<PortalSite>,
    pub branding: Branding,
}

/// A site as a requester picks it for on-site work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PortalSite {
    pub id: Uuid,
    pub name: String,
    pub address: String,
}

impl PortalConfigView {
    pub fn of(view: &ConfigView) -> Self {
        let c = &view.config;
        Self {
            tenant_id: view.tenant_id,
            version: view.version,
            updated_at: view.updated_at,
            timezone: c.timezone.clone(),
            locale: c.locale,
            business_calendar: c.business_calendar.clone(),
            ticket_categories: c.ticket_categories.iter().filter(|c| c.active).cloned().collect(),
            priority_matrix: c.priority_matrix.clone(),
            custom_fields: c.custom_fields.clone(),
            sites: c
                .sites
                .iter()
                .map(|s| PortalSite { id: s.id, name: s.name.clone(), address: s.address.clone() })
                .collect(),
            branding: c.branding.clone(),
        }
    }
}

/// The configuration with its version. Send `version` back (or `If-Match`) when you PUT.
///
/// Its schema is [`TenantConfig`]'s with the four version fields beside the document (a
/// derived one would be `allOf` a closed `TenantConfig` and the fields it forbids).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigView {
    pub tenant_id: Uuid,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    #[serde(flatten)]
    pub config: TenantConfig,
}

/// The body of `PUT /tenants/{id}/config`: the whole document, optionally with the `version`
/// you read (instead of `If-Match`). A [`ConfigView`] may be sent back as it was read: its
/// other version fields are ignored. Only a schema: the server reads it as [`TenantConfig`].
pub struct ConfigUpdate;

mod schema {
    use std::borrow::Cow;

    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};
    use utoipa::{PartialSchema, ToSchema};

    use super::{ConfigUpdate, ConfigView, TenantConfig};

    /// `TenantConfig`'s object schema, changed by `f`.
    fn config_with(f: impl FnOnce(&mut Object)) -> RefOr<Schema> {
        let mut schema = TenantConfig::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            f(object);
        }
        schema
    }

    fn string(format: KnownFormat, read_only: bool) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
            .read_only(read_only.then_some(true))
            .into()
    }

    impl PartialSchema for ConfigView {
        fn schema() -> RefOr<Schema> {
            config_with(|o| {
                o.description = Some("The configuration document with its version.".into());
                o.additional_properties = None;
                o.properties.insert("tenant_id".into(), string(KnownFormat::Uuid, false));
                o.properties.insert("version".into(), i64::schema());
                o.properties.insert("updated_at".into(), string(KnownFormat::DateTime, false));
                o.properties.insert("updated_by".into(), string(KnownFormat::Uuid, false));
                o.required.extend(["tenant_id", "version", "updated_at", "updated_by"].map(String::from));
            })
        }
    }

    impl ToSchema for ConfigView {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("ConfigView")
        }

        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            TenantConfig::schemas(schemas);
        }
    }

    impl PartialSchema for ConfigUpdate {
        fn schema() -> RefOr<Schema> {
            config_with(|o| {
                o.description = Some(
                    "The whole configuration document; `version` (the one you read) instead of `If-Match`, \
                     and a read answer's other version fields, are accepted and ignored."
                        .into(),
                );
                o.properties.insert("version".into(), Option::<i64>::schema());
                o.properties.insert("tenant_id".into(), string(KnownFormat::Uuid, true));
                o.properties.insert("updated_at".into(), string(KnownFormat::DateTime, true));
                o.properties.insert("updated_by".into(), string(KnownFormat::Uuid, true));
            })
        }
    }

    impl ToSchema for ConfigUpdate {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("ConfigUpdate")
        }

        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            TenantConfig::schemas(schemas);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable key tickets refer to, e.g. `network`.
    pub key: String,
    pub name: String,
    /// Retired categories stay for old tickets but are not offered for new ones.
    #[serde(default = "yes")]
    pub active: bool,
}

/// The five failure categories of the monthly IT service report.
pub fn default_categories() -> Vec<Category> {
    [
        ("network", "Network"),
        ("virus_security", "Virus / security"),
        ("software", "Software"),
        ("hardware", "Hardware"),
        ("other", "Other"),
    ]
    .into_iter()
    .map(|(key, name)| Category { key: key.into(), name: name.into(), active: true })
    .collect()
}

/// Impact × urgency → priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrix {
    /// Impact levels, most severe first.
    pub impacts: Vec<String>,
    /// Urgency levels, most urgent first.
    pub urgencies: Vec<String>,
    /// `matrix[impact][urgency]`, for every pair.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, Priority>>)]
    pub matrix: BTreeMap<String, BTreeMap<String, Priority>>,
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        let levels = ["high", "medium", "low"];
        let table = [[P1, P2, P3], [P2, P3, P4], [P3, P4, P4]];
        let matrix = levels
            .iter()
            .zip(table)
            .map(|(impact, row)| {
                (
                    impact.to_string(),
                    levels.iter().map(|u| u.to_string()).zip(row).collect::<BTreeMap<_, _>>(),
                )
            })
            .collect();
        Self {
            impacts: levels.map(String::from).to_vec(),
            urgencies: levels.map(String::from).to_vec(),
            matrix,
        }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: &str, urgency: &str) -> Option<Priority> {
        self.matrix.get(impact)?.get(urgency).copied()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Boolean,
    Date,
    Select,
    Multiselect,
}

/// A field tenants add to their tickets (asset tag, cost centre…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// Choices of a `select` or `multiselect` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Ticket types the field applies to; empty means all.
    #[serde(default)]
    pub applies_to: Vec<TicketKind>,
}

/// A customer location for on-site work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Stable id; generated when a new site is sent without one.
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub name: String,
    pub address: String,
    /// Dispatch region, e.g. `shanghai-pudong`.
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `#RRGGBB`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
}

/// An outgoing webhook. Deliveries are signed with `secret` (HMAC-SHA256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Write-only: send it for a new webhook or to rotate it; it is never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Read-only: the secret's last four characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_config_answer_reads_with_its_version_beside_the_document() {
        let config = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        let view = ConfigView {
            tenant_id: Uuid::from_u128(1),
            version: 3,
            updated_at: "2026-10-05T01:10:00Z".parse().unwrap(),
            updated_by: Uuid::from_u128(2),
            config: config.clone(),
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            (&json["version"], &json["timezone"], &json["locale"]),
            (&json!(3), &json!("Asia/Shanghai"), &json!("zh-CN"))
        );
        let back: ConfigView = serde_json::from_value(json).unwrap();
        assert_eq!((back.version, back.config), (3, config));
    }
}

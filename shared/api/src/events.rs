//! The events on the bus, one enum per topic (`canopy_kernel::backends::topics`). Producers
//! publish these types and consumers read them; the serialized form is what webhooks pass on
//! to tenants (as `data`), so names and tags are part of the public contract too.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use canopy_kernel::backends::topics;
use canopy_sla::{CalendarSpec, Coverage, Metric, Priority, TargetTable};

use crate::tenants::TenantStatus;
use crate::ticketing::{Decision, Status};

/// An event that could not be read: which topic, and what is wrong with it.
#[derive(Debug)]
pub struct EventError {
    pub topic: &'static str,
    pub cause: String,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable event on `{}`: {}", self.topic, self.cause)
    }
}

impl std::error::Error for EventError {}

fn parse<T: serde::de::DeserializeOwned>(topic: &'static str, payload: &[u8]) -> Result<T, EventError> {
    let mut de = serde_json::Deserializer::from_slice(payload);
    serde_path_to_error::deserialize(&mut de).map_err(|e| EventError { topic, cause: crate::described(e) })
}

/// One part of an event read from its JSON, saying where it is wrong.
fn part<'v, T: Deserialize<'v>>(value: &'v serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(crate::described)
}

/// The `tenants` topic; every event names its tenant, but for an access revocation of
/// provider staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TenantEvent {
    #[serde(rename = "tenant.created")]
    Created { tenant_id: Uuid, at: DateTime<Utc> },
    #[serde(rename = "tenant.status_changed")]
    StatusChanged { tenant_id: Uuid, status: TenantStatus, at: DateTime<Utc> },
    #[serde(rename = "tenant.updated")]
    Updated { tenant_id: Uuid, at: DateTime<Utc> },
    #[serde(rename = "tenant.config_updated")]
    ConfigUpdated { tenant_id: Uuid, version: i64, changed_paths: Vec<String>, at: DateTime<Utc> },
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked { tenant_id: Uuid, key_id: Uuid, prefix: String, at: DateTime<Utc> },
    /// Access was withdrawn (a sign-out, a user deactivated or changed, a tenant cancelled):
    /// verifiers bring their replica of the revocations up to `cursor`
    /// (`GET /internal/v1/access/revocations`). `tenant_id` is `null` for provider staff.
    #[serde(rename = "access.revoked")]
    AccessRevoked { tenant_id: Option<Uuid>, cursor: i64, at: DateTime<Utc> },
}

impl TenantEvent {
    pub const TOPIC: &'static str = topics::TENANTS;

    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        parse(Self::TOPIC, payload)
    }

    /// The tenant it concerns; `None` for an access revocation of provider staff.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Created { tenant_id, .. }
            | Self::StatusChanged { tenant_id, .. }
            | Self::Updated { tenant_id, .. }
            | Self::ConfigUpdated { tenant_id, .. }
            | Self::ApiKeyRevoked { tenant_id, .. } => Some(*tenant_id),
            Self::AccessRevoked { tenant_id, .. } => *tenant_id,
        }
    }
}

/// The SLA in force after a contract change, in the shape tickets copy it: tier, coverage,
/// targets, the tenant's time zone and, for business-hours coverage, its calendar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractPolicy {
    pub contract_id: Uuid,
    pub tier_name: String,
    pub coverage: Coverage,
    pub timezone: String,
    /// The tenant's calendar when the tier covers business hours only, else `null`.
    pub business_calendar: Option<CalendarSpec>,
    pub targets: TargetTable,
}

/// The `catalog` topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CatalogEvent {
    /// `policy`: the SLA in force today after the change; `null` without a contract in force
    /// or when it could not be worked out.
    #[serde(rename = "contract.changed")]
    ContractChanged {
        tenant_id: Uuid,
        contract_id: Uuid,
        at: DateTime<Utc>,
        effective_on: NaiveDate,
        policy: Option<ContractPolicy>,
    },
}

impl CatalogEvent {
    pub const TOPIC: &'static str = topics::CATALOG;

    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        parse(Self::TOPIC, payload)
    }

    pub fn tenant_id(&self) -> Uuid {
        match self {
            Self::ContractChanged { tenant_id, .. } => *tenant_id,
        }
    }
}

/// The `ticketing` topic: what happened to tickets, and the other news ticketing tells
/// tenants' webhooks (a report ready, a knowledge article published).
#[derive(Clone, Debug, PartialEq)]
pub enum TicketingEvent {
    Ticket(TicketEvent),
    ReportReady(ReportReady),
    ArticlePublished(ArticlePublished),
}

/// Something that happened to a ticket, with the ticket's state as committed with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    #[serde(flatten)]
    pub ticket: TicketFacts,
    #[serde(flatten)]
    pub change: TicketChange,
}

/// The ticket as it is once the change is committed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketFacts {
    pub event_id: Uuid,
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub reference: String,
    pub status: Status,
    pub priority: Priority,
    pub at: DateTime<Utc>,
    pub version: i64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What happened to the ticket; `type` names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TicketChange {
    /// `imported`: brought in from a legacy helpdesk, with its assignee then (`null`: none).
    #[serde(rename = "ticket.created")]
    Created {
        #[serde(default, skip_serializing_if = "is_false")]
        imported: bool,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
        assignee_id: Option<Option<Uuid>>,
    },
    /// `assignee_id`: `null` when unassigned.
    #[serde(rename = "ticket.assigned")]
    Assigned { assignee_id: Option<Uuid> },
    /// `changed` names what changed (`status`, `sla`, `comments`, `support_level`…); comments,
    /// feedback and approvals say a little more.
    #[serde(rename = "ticket.updated")]
    Updated {
        changed: Vec<String>,
        /// A comment: whether the customer sees it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public: Option<bool>,
        /// Feedback: the rating (1–5) and whether it is a complaint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rating: Option<i16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        complaint: Option<bool>,
        /// An approval: the tenant admin's decision.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<Decision>,
    },
    #[serde(rename = "ticket.resolved")]
    Resolved {},
    #[serde(rename = "ticket.closed")]
    Closed {},
    /// `fraction_bp` of the target used.
    #[serde(rename = "sla.warning")]
    SlaWarning { metric: Metric, fraction_bp: i32, due_at: Option<DateTime<Utc>> },
    #[serde(rename = "sla.breached")]
    SlaBreached {
        metric: Metric,
        due_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "is_false")]
        imported: bool,
    },
}

impl TicketChange {
    /// `ticket.created` of a ticket raised here.
    pub fn created() -> Self {
        Self::Created { imported: false, assignee_id: None }
    }

    /// `ticket.created` of a ticket brought in with its history, naming its assignee then.
    pub fn imported(assignee_id: Option<Uuid>) -> Self {
        Self::Created { imported: true, assignee_id: Some(assignee_id) }
    }

    /// `ticket.updated` naming only what changed.
    pub fn updated(changed: &[&str]) -> Self {
        Self::Updated {
            changed: changed.iter().map(|c| (*c).to_owned()).collect(),
            public: None,
            rating: None,
            complaint: None,
            decision: None,
        }
    }

    /// `ticket.updated` by a comment, saying whether the customer sees it.
    pub fn commented(public: bool) -> Self {
        Self::Updated {
            changed: vec!["comments".to_owned()],
            public: Some(public),
            rating: None,
            complaint: None,
            decision: None,
        }
    }

    /// `ticket.updated` by the customer's feedback.
    pub fn feedback(rating: i16, complaint: bool) -> Self {
        Self::Updated {
            changed: vec!["feedback".to_owned()],
            public: None,
            rating: Some(rating),
            complaint: Some(complaint),
            decision: None,
        }
    }

    /// `ticket.updated` by the tenant admin's decision on a change.
    pub fn decided(decision: Decision) -> Self {
        Self::Updated {
            changed: vec!["approval".to_owned()],
            public: None,
            rating: None,
            complaint: None,
            decision: Some(decision),
        }
    }
}

/// A field that is either absent (`None`) or present, `null` included (`Some(None)`).
mod present {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `report.ready`: a tenant's monthly IT service report is made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportReady {
    pub event_id: Uuid,
    pub tenant_id: Uuid,
    pub at: DateTime<Utc>,
    /// `YYYY-MM`.
    pub period: String,
    /// Where to read it (HTML).
    pub url: String,
    pub failures: u32,
    pub resolved: u32,
    pub sla_compliance_bp: Option<u32>,
    pub complaint_rate_bp: Option<u32>,
}

/// `kb.article_published`: a knowledge article its audience may now read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticlePublished {
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    /// The tenant whose article it is; `null` for a provider article.
    pub tenant_id: Option<Uuid>,
    /// `all_tenants` (to every tenant's webhooks) or `tenant`.
    pub audience: String,
    pub article_id: Uuid,
    pub title: String,
    pub language: String,
    pub category: String,
    pub version: i32,
}

const REPORT_READY: &str = "report.ready";
const ARTICLE_PUBLISHED: &str = "kb.article_published";

impl TicketingEvent {
    pub const TOPIC: &'static str = topics::TICKETING;

    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        parse(Self::TOPIC, payload)
    }

    /// The event's `type`, as webhooks subscribe to it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ticket(e) => e.change.kind(),
            Self::ReportReady(_) => REPORT_READY,
            Self::ArticlePublished(_) => ARTICLE_PUBLISHED,
        }
    }

    pub fn event_id(&self) -> Uuid {
        match self {
            Self::Ticket(e) => e.ticket.event_id,
            Self::ReportReady(r) => r.event_id,
            Self::ArticlePublished(a) => a.event_id,
        }
    }

    /// The tenant it concerns; `None` for a provider article.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Ticket(e) => Some(e.ticket.tenant_id),
            Self::ReportReady(r) => Some(r.tenant_id),
            Self::ArticlePublished(a) => a.tenant_id,
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Ticket(e) => e.ticket.at,
            Self::ReportReady(r) => r.at,
            Self::ArticlePublished(a) => a.at,
        }
    }

    /// For every tenant rather than one (an article published to all tenants).
    pub fn for_all_tenants(&self) -> bool {
        matches!(self, Self::ArticlePublished(a) if a.audience == "all_tenants")
    }

    /// The same event told to `tenant` (an article for all tenants, to each one's webhooks).
    pub fn for_tenant(&self, tenant: Uuid) -> Self {
        match self {
            Self::ArticlePublished(a) => {
                Self::ArticlePublished(ArticlePublished { tenant_id: Some(tenant), ..a.clone() })
            }
            other => other.clone(),
        }
    }
}

impl TicketChange {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Created { .. } => "ticket.created",
            Self::Assigned { .. } => "ticket.assigned",
            Self::Updated { .. } => "ticket.updated",
            Self::Resolved {} => "ticket.resolved",
            Self::Closed {} => "ticket.closed",
            Self::SlaWarning { .. } => "sla.warning",
            Self::SlaBreached { .. } => "sla.breached",
        }
    }
}

/// A body with its `type` beside its own fields.
#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

impl Serialize for TicketingEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Ticket(e) => e.serialize(s),
            Self::ReportReady(r) => Tagged { kind: REPORT_READY, body: r }.serialize(s),
            Self::ArticlePublished(a) => Tagged { kind: ARTICLE_PUBLISHED, body: a }.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TicketingEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `type` says which body the rest is; ticket events share theirs.
        let value = serde_json::Value::deserialize(d)?;
        let read = match value.get("type").and_then(serde_json::Value::as_str) {
            Some(REPORT_READY) => part(&value).map(Self::ReportReady),
            Some(ARTICLE_PUBLISHED) => part(&value).map(Self::ArticlePublished),
            _ => part(&value)
                .and_then(|ticket| Ok(Self::Ticket(TicketEvent { ticket, change: part(&value)? }))),
        };
        read.map_err(D::Error::custom)
    }
}

/// Any event, read by the topic it came on.
#[derive(Clone, Debug, PartialEq)]
pub enum BusEvent {
    Tenants(TenantEvent),
    /// Boxed: a contract's policy carries the tenant's whole calendar.
    Catalog(Box<CatalogEvent>),
    Ticketing(TicketingEvent),
}

impl BusEvent {
    pub fn parse(topic: &str, payload: &[u8]) -> Result<Self, EventError> {
        match topic {
            topics::TENANTS => TenantEvent::parse(payload).map(Self::Tenants),
            topics::CATALOG => CatalogEvent::parse(payload).map(|e| Self::Catalog(Box::new(e))),
            topics::TICKETING => TicketingEvent::parse(payload).map(Self::Ticketing),
            _ => Err(EventError {
                topic: "unknown",
                cause: format!("no events are defined for topic `{topic}`"),
            }),
        }
    }

    /// The tenant it concerns; `None` for an event of no one tenant.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Tenants(e) => e.tenant_id(),
            Self::Catalog(e) => Some(e.tenant_id()),
            Self::Ticketing(e) => e.tenant_id(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn at() -> DateTime<Utc> {
        "2026-10-05T01:10:00Z".parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// The exact JSON of an event, and that it reads back as itself.
    fn exact<T>(event: &T, expected: Value)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + fmt::Debug,
    {
        assert_eq!(serde_json::to_value(event).unwrap(), expected);
        let bytes = serde_json::to_vec(event).unwrap();
        assert_eq!(&serde_json::from_slice::<T>(&bytes).unwrap(), event);
    }

    #[test]
    fn a_tenant_event() {
        exact(
            &TenantEvent::StatusChanged { tenant_id: id(1), status: TenantStatus::Suspended, at: at() },
            json!({"type": "tenant.status_changed", "tenant_id": id(1), "status": "suspended",
                   "at": "2026-10-05T01:10:00Z"}),
        );
        exact(
            &TenantEvent::ConfigUpdated {
                tenant_id: id(1),
                version: 3,
                changed_paths: vec!["sites".into()],
                at: at(),
            },
            json!({"type": "tenant.config_updated", "tenant_id": id(1), "version": 3,
                   "changed_paths": ["sites"], "at": "2026-10-05T01:10:00Z"}),
        );
        exact(
            &TenantEvent::AccessRevoked { tenant_id: None, cursor: 42, at: at() },
            json!({"type": "access.revoked", "tenant_id": null, "cursor": 42, "at": "2026-10-05T01:10:00Z"}),
        );
    }

    #[test]
    fn a_catalog_event() {
        let targets: TargetTable = serde_json::from_value(json!({"P1": {"resolution_mins": 240}})).unwrap();
        exact(
            &CatalogEvent::ContractChanged {
                tenant_id: id(1),
                contract_id: id(2),
                at: at(),
                effective_on: "2026-10-01".parse().unwrap(),
                policy: Some(ContractPolicy {
                    contract_id: id(2),
                    tier_name: "Gold".into(),
                    coverage: Coverage::AlwaysOn,
                    timezone: "Asia/Shanghai".into(),
                    business_calendar: None,
                    targets,
                }),
            },
            json!({"type": "contract.changed", "tenant_id": id(1), "contract_id": id(2),
                   "at": "2026-10-05T01:10:00Z", "effective_on": "2026-10-01",
                   "policy": {"contract_id": id(2), "tier_name": "Gold", "coverage": "24x7",
                              "timezone": "Asia/Shanghai", "business_calendar": null,
                              "targets": {"P1": {"resolution_mins": 240}}}}),
        );
    }

    fn facts() -> TicketFacts {
        TicketFacts {
            event_id: id(9),
            tenant_id: id(1),
            ticket_id: id(5),
            reference: "ACME-42".into(),
            status: Status::InProgress,
            priority: Priority::P2,
            at: at(),
            version: 4,
        }
    }

    fn ticket_json(more: Value) -> Value {
        let mut v = json!({"event_id": id(9), "tenant_id": id(1), "ticket_id": id(5), "reference": "ACME-42",
                           "status": "in_progress", "priority": "P2", "at": "2026-10-05T01:10:00Z", "version": 4});
        v.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
        v
    }

    #[test]
    fn ticketing_events() {
        let ticket = |change| TicketingEvent::Ticket(TicketEvent { ticket: facts(), change });
        exact(
            &ticket(TicketChange::Created { imported: false, assignee_id: None }),
            ticket_json(json!({"type": "ticket.created"})),
        );
        exact(
            &ticket(TicketChange::Created { imported: true, assignee_id: Some(None) }),
            ticket_json(json!({"type": "ticket.created", "imported": true, "assignee_id": null})),
        );
        exact(
            &ticket(TicketChange::Assigned { assignee_id: Some(id(7)) }),
            ticket_json(json!({"type": "ticket.assigned", "assignee_id": id(7)})),
        );
        exact(
            &ticket(TicketChange::updated(&["support_level"])),
            ticket_json(json!({"type": "ticket.updated", "changed": ["support_level"]})),
        );
        exact(
            &ticket(TicketChange::Updated {
                changed: vec!["feedback".into()],
                public: None,
                rating: Some(2),
                complaint: Some(true),
                decision: None,
            }),
            ticket_json(
                json!({"type": "ticket.updated", "changed": ["feedback"], "rating": 2, "complaint": true}),
            ),
        );
        exact(&ticket(TicketChange::Resolved {}), ticket_json(json!({"type": "ticket.resolved"})));
        exact(
            &ticket(TicketChange::SlaWarning {
                metric: Metric::FirstResponse,
                fraction_bp: 8000,
                due_at: Some(at()),
            }),
            ticket_json(json!({"type": "sla.warning", "metric": "first_response", "fraction_bp": 8000,
                               "due_at": "2026-10-05T01:10:00Z"})),
        );
        exact(
            &ticket(TicketChange::SlaBreached { metric: Metric::Onsite, due_at: Some(at()), imported: true }),
            ticket_json(json!({"type": "sla.breached", "metric": "onsite", "due_at": "2026-10-05T01:10:00Z",
                               "imported": true})),
        );
        exact(
            &TicketingEvent::ReportReady(ReportReady {
                event_id: id(9),
                tenant_id: id(1),
                at: at(),
                period: "2026-09".into(),
                url: "/api/v1/reports/monthly?tenant_id=x&period=2026-09&format=html".into(),
                failures: 3,
                resolved: 4,
                sla_compliance_bp: Some(9500),
                complaint_rate_bp: None,
            }),
            json!({"type": "report.ready", "event_id": id(9), "tenant_id": id(1), "at": "2026-10-05T01:10:00Z",
                   "period": "2026-09", "url": "/api/v1/reports/monthly?tenant_id=x&period=2026-09&format=html",
                   "failures": 3, "resolved": 4, "sla_compliance_bp": 9500, "complaint_rate_bp": null}),
        );
        exact(
            &TicketingEvent::ArticlePublished(ArticlePublished {
                event_id: id(9),
                at: at(),
                tenant_id: None,
                audience: "all_tenants".into(),
                article_id: id(3),
                title: "VPN".into(),
                language: "en".into(),
                category: "network".into(),
                version: 1,
            }),
            json!({"type": "kb.article_published", "event_id": id(9), "at": "2026-10-05T01:10:00Z",
                   "tenant_id": null, "audience": "all_tenants", "article_id": id(3), "title": "VPN",
                   "language": "en", "category": "network", "version": 1}),
        );
    }

    #[test]
    fn an_unreadable_event_says_where() {
        let err = TicketingEvent::parse(br#"{"type": "ticket.assigned", "event_id": "x"}"#).unwrap_err();
        assert_eq!(err.topic, "ticketing");
        assert!(err.to_string().contains("event_id"), "{err}");
        let err = BusEvent::parse("catalog", br#"{"type": "tier.renamed"}"#).unwrap_err();
        assert!(err.to_string().contains("tier.renamed"), "{err}");
        let ok = BusEvent::parse("tenants", br#"{"type": "tenant.updated", "tenant_id": "00000000-0000-0000-0000-000000000001", "at": "2026-10-05T01:10:00Z"}"#);
        assert_eq!(ok.unwrap().tenant_id(), Some(id(1)));
    }
}

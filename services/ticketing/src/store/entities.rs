//! Table definitions, kept apart from the logic that uses them. The knowledge base's tables
//! are the provider's, each article with its own audience (`store::knowledge` decides who
//! reads what); every other table belongs to the tenant of its row.

pub mod ticket {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tickets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: i64,
        pub reference: String,
        pub kind: String,
        pub title: String,
        pub description: String,
        pub category: String,
        pub impact: String,
        pub urgency: String,
        pub priority: String,
        pub status: String,
        pub channel: String,
        pub requester_id: Option<Uuid>,
        pub site_id: Option<Uuid>,
        pub onsite_required: bool,
        pub assignee_id: Option<Uuid>,
        pub support_level: i16,
        #[sea_orm(column_type = "JsonBinary")]
        pub custom_fields: Json,
        /// The SLA policy snapshot (null when the tenant had no contract).
        #[sea_orm(column_type = "JsonBinary")]
        pub policy: Json,
        pub external_id: Option<String>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub first_response_at: Option<DateTimeUtc>,
        pub resolved_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        pub resolution_code: Option<String>,
        pub resolution_notes: Option<String>,
        pub next_deadline: Option<DateTimeUtc>,
        pub version: i64,
        /// What only problems (root cause, known error, workaround) or changes (type, risk,
        /// plan, approval, review) have.
        #[sea_orm(column_type = "JsonBinary")]
        pub details: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod counter {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub last_number: i64,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod event {
    use sea_orm::entity::prelude::*;

    /// The append-only log of a ticket: every change, with who and when.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: DateTimeUtc,
        pub actor_id: Uuid,
        pub actor_kind: String,
        pub kind: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub data: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod clock {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_clocks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub metric: String,
        pub started_at: DateTimeUtc,
        pub target_secs: i64,
        #[sea_orm(column_type = "JsonBinary")]
        pub pauses: Json,
        pub due_at: Option<DateTimeUtc>,
        pub stopped_at: Option<DateTimeUtc>,
        pub breached_at: Option<DateTimeUtc>,
        pub warned_bp: i32,
        pub carried_secs: i64,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    /// Events written in the same transaction as the change they announce.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub topic: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub payload: Json,
        pub created_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod idempotency {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub request_hash: String,
        pub ticket_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod breach {
    use sea_orm::entity::prelude::*;

    /// A missed SLA target: once per ticket and metric.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "breaches")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub metric: String,
        pub priority: String,
        pub reference: String,
        pub due_at: DateTimeUtc,
        pub detected_at: DateTimeUtc,
        /// When the target was finally met; lateness is `met_at - due_at`.
        pub met_at: Option<DateTimeUtc>,
        pub contract_id: Option<Uuid>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod comment {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub author_id: Uuid,
        pub author_kind: String,
        /// Internal notes are for provider staff only.
        pub public: bool,
        pub body: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod worklog {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "worklogs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub engineer_id: Uuid,
        /// `remote` or `onsite`.
        pub kind: String,
        pub arrived_at: Option<DateTimeUtc>,
        pub departed_at: Option<DateTimeUtc>,
        pub minutes: i32,
        pub billable: bool,
        pub note: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod feedback {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        pub rating: i16,
        pub complaint: bool,
        pub text: String,
        pub given_by: Uuid,
        pub given_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod link {
    use sea_orm::entity::prelude::*;

    /// An incident caused by a problem.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub problem_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub incident_id: Uuid,
        pub linked_by: Uuid,
        pub linked_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod approval {
    use sea_orm::entity::prelude::*;

    /// A tenant admin's decision on a change.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approvals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub decision: String,
        pub comment: String,
        pub decided_by: Uuid,
        pub decided_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod alert {
    use sea_orm::entity::prelude::*;

    /// One fingerprint's alert: its correlation state and the incident it opened.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "alerts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub fingerprint: String,
        pub source: String,
        pub host: String,
        pub check_name: String,
        pub status: String,
        pub severity: String,
        pub peak: String,
        pub episode: i32,
        pub episode_started: DateTimeUtc,
        pub last_seen: DateTimeUtc,
        pub changed_at: DateTimeUtc,
        pub count: i64,
        pub resolved_at: Option<DateTimeUtc>,
        pub recoveries: Json,
        pub flapping: bool,
        pub incident: String,
        pub ticket_id: Option<Uuid>,
        pub message: String,
        pub labels: Json,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod agent_event {
    use sea_orm::entity::prelude::*;

    /// An event a monitoring agent sent, as accepted.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "agent_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub alert_id: Option<Uuid>,
        pub fingerprint: String,
        pub source: String,
        pub host: String,
        pub check_name: String,
        pub severity: String,
        pub message: String,
        pub occurred_at: DateTimeUtc,
        pub received_at: DateTimeUtc,
        pub labels: Json,
        pub silenced_by: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod kb_article {
    use sea_orm::entity::prelude::*;

    /// A knowledge-base article, at its current version.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "kb_articles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub visibility: String,
        pub tenant_id: Option<Uuid>,
        pub title: String,
        pub body: String,
        pub category: String,
        pub tags: Json,
        pub language: String,
        pub status: String,
        pub version: i32,
        pub source_ticket_id: Option<Uuid>,
        pub length: i32,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod kb_version {
    use sea_orm::entity::prelude::*;

    /// An article's text as it was at one version.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "kb_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub title: String,
        pub body: String,
        pub category: String,
        pub tags: Json,
        pub edited_by: Uuid,
        pub edited_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod kb_term {
    use sea_orm::entity::prelude::*;

    /// A term of an article and how often it occurs in its title and body.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "kb_terms")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub article_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub term: String,
        pub in_title: i32,
        pub in_body: i32,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

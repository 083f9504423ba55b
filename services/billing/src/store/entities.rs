//! Table definitions, kept apart from the logic that uses them.

pub mod run {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub period: String,
        pub started_at: DateTimeUtc,
        pub started_by: Option<Uuid>,
        pub finished_at: Option<DateTimeUtc>,
        pub status: String,
        pub invoices: i32,
        pub skipped: i32,
        pub outcome: Option<Json>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod invoice {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invoices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub period: String,
        pub number: String,
        pub currency: String,
        pub subtotal_minor: i64,
        pub credits_minor: i64,
        pub tax_rate_bp: i32,
        pub tax_minor: i64,
        pub total_minor: i64,
        pub status: String,
        pub issued_at: DateTimeUtc,
        pub due_on: Date,
        pub paid_at: Option<DateTimeUtc>,
        pub paid_by: Option<Uuid>,
        pub provider: String,
        pub provider_ref: Option<String>,
        pub run_id: Uuid,
        pub version: i64,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod line {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invoice_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub invoice_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub line_no: i32,
        pub tenant_id: Uuid,
        pub kind: String,
        pub description: String,
        pub contract_id: Option<Uuid>,
        pub period: String,
        pub quantity: i64,
        pub unit_minor: i64,
        pub amount_minor: i64,
        pub details: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod credit {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub invoice_id: Uuid,
        pub contract_id: Uuid,
        pub period: String,
        pub amount_minor: i64,
        pub late: bool,
        pub created_at: DateTimeUtc,
        pub lines: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod credited {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credited_breaches")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub metric: String,
        pub credit_id: Uuid,
        pub invoice_id: Uuid,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod dunning {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dunning")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub invoice_id: Uuid,
        pub suspended_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod payment_op {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_ops")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub invoice_id: Uuid,
        pub tenant_id: Uuid,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub lease_until: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub done_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod stripe_customer {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub customer_id: String,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod stripe_event {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        pub received_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod availability {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "availability")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: String,
        pub availability_bp: i32,
        pub note: String,
        pub recorded_by: Uuid,
        pub recorded_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

/// A credit note on an invoice already handed to the provider: one credit, its tax, and the
/// note's own hand-over state (it is its own outbox row).
pub mod credit_note {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub invoice_id: Uuid,
        pub credit_id: Uuid,
        pub number: String,
        pub currency: String,
        pub amount_minor: i64,
        pub tax_minor: i64,
        pub total_minor: i64,
        pub settlement: String,
        pub description: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub lease_until: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub provider_ref: Option<String>,
        pub created_at: DateTimeUtc,
        pub done_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

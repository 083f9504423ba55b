//! Table definitions, kept apart from the logic that uses them.

pub mod service {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "services")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub key: String,
        pub name: String,
        pub description: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tier {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tiers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub name: String,
        pub coverage: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub targets: Json,
        pub availability_target_bp: i32,
        #[sea_orm(column_type = "JsonBinary")]
        pub credit_policy: Json,
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub rate_limit: Option<Json>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub name: String,
        pub tier_id: Uuid,
        #[sea_orm(column_type = "JsonBinary")]
        pub service_ids: Json,
        pub unit: String,
        pub unit_price_minor: i64,
        pub currency: String,
        pub included_onsite_mins: i32,
        pub extra_hour_minor: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod contract {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contracts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub starts_on: Date,
        /// Last day of service (inclusive); none while open-ended.
        pub ends_on: Option<Date>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod contract_terms {
    use sea_orm::entity::prelude::*;

    /// What a contract provides from a date on: plan, quantity, agreed target overrides.
    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "contract_terms")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub contract_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_on: Date,
        pub plan_id: Uuid,
        pub quantity: i32,
        #[sea_orm(column_type = "JsonBinary")]
        pub overrides: Json,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

//! Table definitions, kept apart from the logic that uses them. Engineers and round plans are
//! the provider's own; the other tables belong to the tenant of their row (none for the
//! platform's own scheduled jobs).

pub mod engineer {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "engineers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Option<Uuid>,
        pub name: String,
        #[sea_orm(unique)]
        pub email: String,
        pub support_level: i32,
        pub skills: Json,
        pub home_region: String,
        pub regions: Json,
        pub timezone: String,
        pub shifts: Json,
        pub time_off: Json,
        pub capacity: i32,
        pub on_call: bool,
        pub base: Option<Json>,
        pub active: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod schedule {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "schedules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Option<Uuid>,
        pub name: String,
        pub cron: String,
        pub timezone: String,
        pub action: Json,
        pub active: bool,
        pub next_run_at: Option<DateTimeUtc>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod job_run {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub schedule_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub due_at: DateTimeUtc,
        pub tenant_id: Option<Uuid>,
        pub status: String,
        pub owner: String,
        pub lease_until: DateTimeUtc,
        pub attempts: i32,
        pub started_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
        pub outcome: Option<Json>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod assignment {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "assignments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        pub tenant_id: Uuid,
        pub engineer_id: Uuid,
        pub open: bool,
        pub assigned_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod decision {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dispatch_decisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub decided_at: DateTimeUtc,
        pub tenant_id: Uuid,
        pub engineer_id: Option<Uuid>,
        pub mode: String,
        pub decided_by: Option<Uuid>,
        pub reason: String,
        pub candidates: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod round_plan {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "round_plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub day: String,
        pub region: String,
        pub created_at: DateTimeUtc,
        pub created_by: Option<Uuid>,
        pub published: bool,
        pub unplanned: i32,
        pub lateness_secs: i64,
        pub distance_m: i64,
        pub budget_ms: i64,
        pub plan: Json,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod visit {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "visits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        pub tenant_id: Uuid,
        pub day: String,
        pub region: String,
        pub engineer_id: Uuid,
        pub state: String,
        pub plan_id: Option<Uuid>,
        pub arrive_at: DateTimeUtc,
        pub depart_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub version: i64,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

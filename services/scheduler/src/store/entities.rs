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
        pub active: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Engineers {
    Table,
    Id,
    UserId,
    Name,
    Email,
    SupportLevel,
    Skills,
    HomeRegion,
    Regions,
    Timezone,
    Shifts,
    TimeOff,
    Capacity,
    OnCall,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

/// The provider's engineers: one team serving every tenant, so not tenant-owned.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Engineers::Table)
                    .col(uuid(Engineers::Id).primary_key())
                    .col(uuid_null(Engineers::UserId))
                    .col(string_len(Engineers::Name, 100))
                    .col(string_len(Engineers::Email, 254))
                    .col(integer(Engineers::SupportLevel))
                    .col(json_binary(Engineers::Skills))
                    .col(string_len(Engineers::HomeRegion, 60))
                    .col(json_binary(Engineers::Regions))
                    .col(string_len(Engineers::Timezone, 64))
                    .col(json_binary(Engineers::Shifts))
                    .col(json_binary(Engineers::TimeOff))
                    .col(integer(Engineers::Capacity))
                    .col(boolean(Engineers::OnCall))
                    .col(boolean(Engineers::Active))
                    .col(big_integer(Engineers::Version))
                    .col(timestamp_with_time_zone(Engineers::CreatedAt))
                    .col(timestamp_with_time_zone(Engineers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("engineers_email")
                    .table(Engineers::Table)
                    .col(Engineers::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Engineers::Table).to_owned()).await
    }
}

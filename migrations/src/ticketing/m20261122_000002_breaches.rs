use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Breaches {
    Table,
    TenantId,
    TicketId,
    Metric,
    Priority,
    Reference,
    DueAt,
    DetectedAt,
    MetAt,
    ContractId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Breaches::Table)
                    .col(uuid(Breaches::TenantId))
                    .col(uuid(Breaches::TicketId))
                    .col(string_len(Breaches::Metric, 20))
                    .col(string_len(Breaches::Priority, 2))
                    .col(string_len(Breaches::Reference, 40))
                    .col(timestamp_with_time_zone(Breaches::DueAt))
                    .col(timestamp_with_time_zone(Breaches::DetectedAt))
                    .col(timestamp_with_time_zone_null(Breaches::MetAt))
                    .col(uuid_null(Breaches::ContractId))
                    // Once per ticket and metric, whatever happens.
                    .primary_key(
                        Index::create().col(Breaches::TenantId).col(Breaches::TicketId).col(Breaches::Metric),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("breaches_due")
                    .table(Breaches::Table)
                    .col(Breaches::TenantId)
                    .col(Breaches::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Breaches::Table).to_owned()).await
    }
}

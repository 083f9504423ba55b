//! Measured availability per tenant and period, for the tier's availability bands.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The column is `availability_bp` in the `availability` table.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Availability {
    Table,
    TenantId,
    Period,
    AvailabilityBp,
    Note,
    RecordedBy,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Availability::Table)
                    .col(uuid(Availability::TenantId))
                    .col(string_len(Availability::Period, 7))
                    .col(integer(Availability::AvailabilityBp))
                    .col(string_len(Availability::Note, 500))
                    .col(uuid(Availability::RecordedBy))
                    .col(timestamp_with_time_zone(Availability::RecordedAt))
                    .primary_key(Index::create().col(Availability::TenantId).col(Availability::Period))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Availability::Table).to_owned()).await
    }
}

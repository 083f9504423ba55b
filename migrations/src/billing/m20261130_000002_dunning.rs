//! Dunning: the tenants billing suspended for an unpaid invoice, so it reinstates exactly
//! those (and not a tenant a person suspended) once they have paid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Dunning {
    Table,
    TenantId,
    InvoiceId,
    SuspendedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Dunning::Table)
                    .col(uuid(Dunning::TenantId).primary_key())
                    .col(uuid(Dunning::InvoiceId))
                    .col(timestamp_with_time_zone(Dunning::SuspendedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Dunning::Table).to_owned()).await
    }
}

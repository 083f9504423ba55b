use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Assignments {
    Table,
    TicketId,
    TenantId,
    EngineerId,
    Open,
    AssignedAt,
}

#[derive(DeriveIden)]
enum DispatchDecisions {
    Table,
    TicketId,
    Id,
    DecidedAt,
    TenantId,
    EngineerId,
    Mode,
    DecidedBy,
    Reason,
    Candidates,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assignments::Table)
                    .col(uuid(Assignments::TicketId).primary_key())
                    .col(uuid(Assignments::TenantId))
                    .col(uuid(Assignments::EngineerId))
                    .col(boolean(Assignments::Open))
                    .col(timestamp_with_time_zone(Assignments::AssignedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("assignments_load")
                    .table(Assignments::Table)
                    .col(Assignments::EngineerId)
                    .col(Assignments::Open)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DispatchDecisions::Table)
                    .col(uuid(DispatchDecisions::TicketId))
                    .col(uuid(DispatchDecisions::Id))
                    .col(timestamp_with_time_zone(DispatchDecisions::DecidedAt))
                    .col(uuid(DispatchDecisions::TenantId))
                    .col(uuid_null(DispatchDecisions::EngineerId))
                    // auto, override, none (nobody eligible)
                    .col(string_len(DispatchDecisions::Mode, 12))
                    .col(uuid_null(DispatchDecisions::DecidedBy))
                    .col(string_len(DispatchDecisions::Reason, 500))
                    .col(json_binary(DispatchDecisions::Candidates))
                    .primary_key(Index::create().col(DispatchDecisions::TicketId).col(DispatchDecisions::Id))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DispatchDecisions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Assignments::Table).to_owned()).await
    }
}

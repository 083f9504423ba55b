use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Details,
}

#[derive(DeriveIden)]
enum TicketLinks {
    Table,
    TenantId,
    ProblemId,
    IncidentId,
    LinkedBy,
    LinkedAt,
}

#[derive(DeriveIden)]
enum Approvals {
    Table,
    TenantId,
    TicketId,
    Id,
    Decision,
    Comment,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(json_binary(Tickets::Details).default(Expr::value("{}")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketLinks::Table)
                    .col(uuid(TicketLinks::TenantId))
                    .col(uuid(TicketLinks::ProblemId))
                    .col(uuid(TicketLinks::IncidentId))
                    .col(uuid(TicketLinks::LinkedBy))
                    .col(timestamp_with_time_zone(TicketLinks::LinkedAt))
                    .primary_key(
                        Index::create()
                            .col(TicketLinks::TenantId)
                            .col(TicketLinks::ProblemId)
                            .col(TicketLinks::IncidentId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Approvals::Table)
                    .col(uuid(Approvals::TenantId))
                    .col(uuid(Approvals::TicketId))
                    .col(uuid(Approvals::Id))
                    .col(string_len(Approvals::Decision, 20))
                    .col(text(Approvals::Comment))
                    .col(uuid(Approvals::DecidedBy))
                    .col(timestamp_with_time_zone(Approvals::DecidedAt))
                    .primary_key(
                        Index::create().col(Approvals::TenantId).col(Approvals::TicketId).col(Approvals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Approvals::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(TicketLinks::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Tickets::Table).drop_column(Tickets::Details).to_owned())
            .await
    }
}

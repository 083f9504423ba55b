use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Comments {
    Table,
    TenantId,
    TicketId,
    Id,
    AuthorId,
    AuthorKind,
    Public,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Worklogs {
    Table,
    TenantId,
    TicketId,
    Id,
    EngineerId,
    Kind,
    ArrivedAt,
    DepartedAt,
    Minutes,
    Billable,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    TenantId,
    TicketId,
    Rating,
    Complaint,
    Text,
    GivenBy,
    GivenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(uuid(Comments::TenantId))
                    .col(uuid(Comments::TicketId))
                    .col(uuid(Comments::Id))
                    .col(uuid(Comments::AuthorId))
                    .col(string_len(Comments::AuthorKind, 20))
                    .col(boolean(Comments::Public))
                    .col(text(Comments::Body))
                    .col(timestamp_with_time_zone(Comments::CreatedAt))
                    .primary_key(
                        Index::create().col(Comments::TenantId).col(Comments::TicketId).col(Comments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Worklogs::Table)
                    .col(uuid(Worklogs::TenantId))
                    .col(uuid(Worklogs::TicketId))
                    .col(uuid(Worklogs::Id))
                    .col(uuid(Worklogs::EngineerId))
                    .col(string_len(Worklogs::Kind, 10))
                    .col(timestamp_with_time_zone_null(Worklogs::ArrivedAt))
                    .col(timestamp_with_time_zone_null(Worklogs::DepartedAt))
                    .col(integer(Worklogs::Minutes))
                    .col(boolean(Worklogs::Billable))
                    .col(text(Worklogs::Note))
                    .col(timestamp_with_time_zone(Worklogs::CreatedAt))
                    .primary_key(
                        Index::create().col(Worklogs::TenantId).col(Worklogs::TicketId).col(Worklogs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(uuid(Feedback::TenantId))
                    .col(uuid(Feedback::TicketId))
                    .col(small_integer(Feedback::Rating))
                    .col(boolean(Feedback::Complaint))
                    .col(text(Feedback::Text))
                    .col(uuid(Feedback::GivenBy))
                    .col(timestamp_with_time_zone(Feedback::GivenAt))
                    .primary_key(Index::create().col(Feedback::TenantId).col(Feedback::TicketId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [Feedback::Table.into_iden(), Worklogs::Table.into_iden(), Comments::Table.into_iden()] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

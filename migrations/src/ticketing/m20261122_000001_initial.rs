use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    TenantId,
    Id,
    Number,
    Reference,
    Kind,
    Title,
    Description,
    Category,
    Impact,
    Urgency,
    Priority,
    Status,
    Channel,
    RequesterId,
    SiteId,
    OnsiteRequired,
    AssigneeId,
    SupportLevel,
    CustomFields,
    Policy,
    ExternalId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    FirstResponseAt,
    ResolvedAt,
    ClosedAt,
    ResolutionCode,
    ResolutionNotes,
    NextDeadline,
    Version,
}

#[derive(DeriveIden)]
enum TicketCounters {
    Table,
    TenantId,
    LastNumber,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    TenantId,
    TicketId,
    Seq,
    At,
    ActorId,
    ActorKind,
    Kind,
    Data,
}

#[derive(DeriveIden)]
enum SlaClocks {
    Table,
    TenantId,
    TicketId,
    Metric,
    StartedAt,
    TargetSecs,
    Pauses,
    DueAt,
    StoppedAt,
    BreachedAt,
    WarnedBp,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    TenantId,
    Topic,
    Payload,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    Key,
    RequestHash,
    TicketId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(uuid(Tickets::TenantId))
                    .col(uuid(Tickets::Id))
                    .col(big_integer(Tickets::Number))
                    .col(string_len(Tickets::Reference, 40))
                    .col(string_len(Tickets::Kind, 20))
                    .col(string_len(Tickets::Title, 300))
                    .col(text(Tickets::Description))
                    .col(string_len(Tickets::Category, 40))
                    .col(string_len(Tickets::Impact, 40))
                    .col(string_len(Tickets::Urgency, 40))
                    .col(string_len(Tickets::Priority, 2))
                    .col(string_len(Tickets::Status, 20))
                    .col(string_len(Tickets::Channel, 20))
                    .col(uuid_null(Tickets::RequesterId))
                    .col(uuid_null(Tickets::SiteId))
                    .col(boolean(Tickets::OnsiteRequired))
                    .col(uuid_null(Tickets::AssigneeId))
                    .col(small_integer(Tickets::SupportLevel))
                    .col(json_binary(Tickets::CustomFields))
                    .col(json_binary(Tickets::Policy))
                    .col(string_len_null(Tickets::ExternalId, 120))
                    .col(uuid(Tickets::CreatedBy))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Tickets::FirstResponseAt))
                    .col(timestamp_with_time_zone_null(Tickets::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ClosedAt))
                    .col(string_len_null(Tickets::ResolutionCode, 60))
                    .col(text_null(Tickets::ResolutionNotes))
                    .col(timestamp_with_time_zone_null(Tickets::NextDeadline))
                    .col(big_integer(Tickets::Version))
                    .primary_key(Index::create().col(Tickets::TenantId).col(Tickets::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("tickets_id").table(Tickets::Table).col(Tickets::Id).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tickets_number")
                    .table(Tickets::Table)
                    .col(Tickets::TenantId)
                    .col(Tickets::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tickets_external_id")
                    .table(Tickets::Table)
                    .col(Tickets::TenantId)
                    .col(Tickets::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The breach timer reads the next deadline across all tenants from this index.
        manager
            .create_index(
                Index::create()
                    .name("tickets_next_deadline")
                    .table(Tickets::Table)
                    .col(Tickets::NextDeadline)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketCounters::Table)
                    .col(uuid(TicketCounters::TenantId).primary_key())
                    .col(big_integer(TicketCounters::LastNumber))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(uuid(TicketEvents::TenantId))
                    .col(uuid(TicketEvents::TicketId))
                    .col(big_integer(TicketEvents::Seq))
                    .col(timestamp_with_time_zone(TicketEvents::At))
                    .col(uuid(TicketEvents::ActorId))
                    .col(string_len(TicketEvents::ActorKind, 20))
                    .col(string_len(TicketEvents::Kind, 40))
                    .col(json_binary(TicketEvents::Data))
                    .primary_key(
                        Index::create()
                            .col(TicketEvents::TenantId)
                            .col(TicketEvents::TicketId)
                            .col(TicketEvents::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaClocks::Table)
                    .col(uuid(SlaClocks::TenantId))
                    .col(uuid(SlaClocks::TicketId))
                    .col(string_len(SlaClocks::Metric, 20))
                    .col(timestamp_with_time_zone(SlaClocks::StartedAt))
                    .col(big_integer(SlaClocks::TargetSecs))
                    .col(json_binary(SlaClocks::Pauses))
                    .col(timestamp_with_time_zone_null(SlaClocks::DueAt))
                    .col(timestamp_with_time_zone_null(SlaClocks::StoppedAt))
                    .col(timestamp_with_time_zone_null(SlaClocks::BreachedAt))
                    .col(integer(SlaClocks::WarnedBp))
                    .primary_key(
                        Index::create()
                            .col(SlaClocks::TenantId)
                            .col(SlaClocks::TicketId)
                            .col(SlaClocks::Metric),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(uuid(Outbox::TenantId))
                    .col(string_len(Outbox::Topic, 60))
                    .col(json_binary(Outbox::Payload))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_unpublished")
                    .table(Outbox::Table)
                    .col(Outbox::PublishedAt)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::TenantId))
                    .col(string_len(IdempotencyKeys::Key, 200))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(uuid(IdempotencyKeys::TicketId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(Index::create().col(IdempotencyKeys::TenantId).col(IdempotencyKeys::Key))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            Outbox::Table.into_iden(),
            SlaClocks::Table.into_iden(),
            TicketEvents::Table.into_iden(),
            TicketCounters::Table.into_iden(),
            Tickets::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

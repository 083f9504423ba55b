//! Monitoring agents' events and the alerts they fold into: one alert row per (tenant,
//! fingerprint) carrying its correlation state and the incident it opened; every accepted
//! event kept (with the alert it went to, or the maintenance window that silenced it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    TenantId,
    Fingerprint,
    Source,
    Host,
    CheckName,
    Status,
    Severity,
    Peak,
    Episode,
    EpisodeStarted,
    LastSeen,
    ChangedAt,
    Count,
    ResolvedAt,
    Recoveries,
    Flapping,
    Incident,
    TicketId,
    Message,
    Labels,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgentEvents {
    Table,
    Id,
    TenantId,
    AlertId,
    Fingerprint,
    Source,
    Host,
    CheckName,
    Severity,
    Message,
    OccurredAt,
    ReceivedAt,
    Labels,
    SilencedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(uuid(Alerts::Id).primary_key())
                    .col(uuid(Alerts::TenantId))
                    .col(string_len(Alerts::Fingerprint, 200))
                    .col(string_len(Alerts::Source, 100))
                    .col(string_len(Alerts::Host, 255))
                    .col(string_len(Alerts::CheckName, 200))
                    // firing, resolved
                    .col(string_len(Alerts::Status, 12))
                    .col(string_len(Alerts::Severity, 12))
                    .col(string_len(Alerts::Peak, 12))
                    .col(integer(Alerts::Episode))
                    .col(timestamp_with_time_zone(Alerts::EpisodeStarted))
                    .col(timestamp_with_time_zone(Alerts::LastSeen))
                    .col(timestamp_with_time_zone(Alerts::ChangedAt))
                    .col(big_integer(Alerts::Count))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .col(json(Alerts::Recoveries))
                    .col(boolean(Alerts::Flapping))
                    // none, open, resolved
                    .col(string_len(Alerts::Incident, 12))
                    .col(uuid_null(Alerts::TicketId))
                    .col(string_len(Alerts::Message, 2000))
                    .col(json(Alerts::Labels))
                    .col(timestamp_with_time_zone(Alerts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alerts_fingerprint")
                    .table(Alerts::Table)
                    .col(Alerts::TenantId)
                    .col(Alerts::Fingerprint)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alerts_status")
                    .table(Alerts::Table)
                    .col(Alerts::TenantId)
                    .col(Alerts::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgentEvents::Table)
                    .col(uuid(AgentEvents::Id).primary_key())
                    .col(uuid(AgentEvents::TenantId))
                    .col(uuid_null(AgentEvents::AlertId))
                    .col(string_len(AgentEvents::Fingerprint, 200))
                    .col(string_len(AgentEvents::Source, 100))
                    .col(string_len(AgentEvents::Host, 255))
                    .col(string_len(AgentEvents::CheckName, 200))
                    .col(string_len(AgentEvents::Severity, 12))
                    .col(text(AgentEvents::Message))
                    .col(timestamp_with_time_zone(AgentEvents::OccurredAt))
                    .col(timestamp_with_time_zone(AgentEvents::ReceivedAt))
                    .col(json(AgentEvents::Labels))
                    .col(string_len_null(AgentEvents::SilencedBy, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agent_events_alert")
                    .table(AgentEvents::Table)
                    .col(AgentEvents::TenantId)
                    .col(AgentEvents::AlertId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AgentEvents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alerts::Table).to_owned()).await
    }
}

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
    TenantId,
    Name,
    Cron,
    Timezone,
    Action,
    Active,
    NextRunAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    ScheduleId,
    DueAt,
    TenantId,
    Status,
    Owner,
    LeaseUntil,
    Attempts,
    StartedAt,
    FinishedAt,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Schedules::Table)
                    .col(uuid(Schedules::Id).primary_key())
                    // Null for the provider's own jobs (billing runs, reports).
                    .col(uuid_null(Schedules::TenantId))
                    .col(string_len(Schedules::Name, 100))
                    .col(string_len(Schedules::Cron, 100))
                    .col(string_len(Schedules::Timezone, 64))
                    .col(json_binary(Schedules::Action))
                    .col(boolean(Schedules::Active))
                    .col(timestamp_with_time_zone_null(Schedules::NextRunAt))
                    .col(uuid(Schedules::CreatedBy))
                    .col(timestamp_with_time_zone(Schedules::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("schedules_next_run")
                    .table(Schedules::Table)
                    .col(Schedules::NextRunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(uuid(JobRuns::ScheduleId))
                    .col(timestamp_with_time_zone(JobRuns::DueAt))
                    .col(uuid_null(JobRuns::TenantId))
                    // running, succeeded, failed
                    .col(string_len(JobRuns::Status, 12))
                    .col(string_len(JobRuns::Owner, 64))
                    .col(timestamp_with_time_zone(JobRuns::LeaseUntil))
                    .col(integer(JobRuns::Attempts))
                    .col(timestamp_with_time_zone(JobRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                    .col(json_binary_null(JobRuns::Outcome))
                    // One run per schedule and tick, however many replicas race for it.
                    .primary_key(Index::create().col(JobRuns::ScheduleId).col(JobRuns::DueAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_runs_lease")
                    .table(JobRuns::Table)
                    .col(JobRuns::Status)
                    .col(JobRuns::LeaseUntil)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JobRuns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Schedules::Table).to_owned()).await
    }
}

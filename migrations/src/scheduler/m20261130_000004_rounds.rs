//! On-site rounds: the plans the optimiser made (published or not) and the visits of the
//! published ones, with the state engineers move them through; an engineer's base, where
//! their rounds start and end.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RoundPlans {
    Table,
    Id,
    Day,
    Region,
    CreatedAt,
    CreatedBy,
    Published,
    Unplanned,
    LatenessSecs,
    DistanceM,
    BudgetMs,
    Plan,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    TicketId,
    TenantId,
    Day,
    Region,
    EngineerId,
    State,
    PlanId,
    ArriveAt,
    DepartAt,
    StartedAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Engineers {
    Table,
    Base,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoundPlans::Table)
                    .col(uuid(RoundPlans::Id).primary_key())
                    .col(string_len(RoundPlans::Day, 10))
                    // '' when the plan covers every region
                    .col(string_len(RoundPlans::Region, 60))
                    .col(timestamp_with_time_zone(RoundPlans::CreatedAt))
                    .col(uuid_null(RoundPlans::CreatedBy))
                    .col(boolean(RoundPlans::Published))
                    .col(integer(RoundPlans::Unplanned))
                    .col(big_integer(RoundPlans::LatenessSecs))
                    .col(big_integer(RoundPlans::DistanceM))
                    .col(big_integer(RoundPlans::BudgetMs))
                    .col(json_binary(RoundPlans::Plan))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("round_plans_day")
                    .table(RoundPlans::Table)
                    .col(RoundPlans::Day)
                    .col(RoundPlans::Region)
                    .col(RoundPlans::Published)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Visits::Table)
                    .col(uuid(Visits::TicketId).primary_key())
                    .col(uuid(Visits::TenantId))
                    .col(string_len(Visits::Day, 10))
                    .col(string_len(Visits::Region, 60))
                    .col(uuid(Visits::EngineerId))
                    // planned, confirmed, started, done
                    .col(string_len(Visits::State, 12))
                    .col(uuid_null(Visits::PlanId))
                    .col(timestamp_with_time_zone(Visits::ArriveAt))
                    .col(timestamp_with_time_zone(Visits::DepartAt))
                    .col(timestamp_with_time_zone_null(Visits::StartedAt))
                    .col(big_integer(Visits::Version))
                    .col(timestamp_with_time_zone(Visits::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("visits_day")
                    .table(Visits::Table)
                    .col(Visits::Day)
                    .col(Visits::EngineerId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Engineers::Table)
                    .add_column(json_binary_null(Engineers::Base))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Engineers::Table).drop_column(Engineers::Base).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Visits::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RoundPlans::Table).to_owned()).await
    }
}

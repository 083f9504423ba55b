use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    Key,
    Name,
    Description,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tiers {
    Table,
    Id,
    Name,
    Coverage,
    Targets,
    AvailabilityTargetBp,
    CreditPolicy,
    RateLimit,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Name,
    TierId,
    ServiceIds,
    Unit,
    UnitPriceMinor,
    Currency,
    IncludedOnsiteMins,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    TenantId,
    Id,
    StartsOn,
    EndsOn,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContractTerms {
    Table,
    TenantId,
    ContractId,
    EffectiveOn,
    PlanId,
    Quantity,
    Overrides,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(pk_uuid(Services::Id))
                    .col(string_len_uniq(Services::Key, 40))
                    .col(string_len(Services::Name, 120))
                    .col(string_len(Services::Description, 2000))
                    .col(boolean(Services::Active))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .col(timestamp_with_time_zone(Services::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tiers::Table)
                    .col(pk_uuid(Tiers::Id))
                    .col(string_len_uniq(Tiers::Name, 80))
                    .col(string_len(Tiers::Coverage, 20))
                    .col(json_binary(Tiers::Targets))
                    .col(integer(Tiers::AvailabilityTargetBp))
                    .col(json_binary(Tiers::CreditPolicy))
                    .col(json_binary_null(Tiers::RateLimit))
                    .col(timestamp_with_time_zone(Tiers::CreatedAt))
                    .col(timestamp_with_time_zone(Tiers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(pk_uuid(Plans::Id))
                    .col(string_len_uniq(Plans::Name, 120))
                    .col(uuid(Plans::TierId))
                    .col(json_binary(Plans::ServiceIds))
                    .col(string_len(Plans::Unit, 10))
                    .col(big_integer(Plans::UnitPriceMinor))
                    .col(string_len(Plans::Currency, 3))
                    .col(integer(Plans::IncludedOnsiteMins))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .col(timestamp_with_time_zone(Plans::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Plans::Table, Plans::TierId)
                            .to(Tiers::Table, Tiers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .col(uuid(Contracts::TenantId))
                    .col(uuid(Contracts::Id))
                    .col(date(Contracts::StartsOn))
                    .col(date_null(Contracts::EndsOn))
                    .col(uuid(Contracts::CreatedBy))
                    .col(timestamp_with_time_zone(Contracts::CreatedAt))
                    .col(timestamp_with_time_zone(Contracts::UpdatedAt))
                    .primary_key(Index::create().col(Contracts::TenantId).col(Contracts::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contracts_id")
                    .table(Contracts::Table)
                    .col(Contracts::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContractTerms::Table)
                    .col(uuid(ContractTerms::TenantId))
                    .col(uuid(ContractTerms::ContractId))
                    .col(date(ContractTerms::EffectiveOn))
                    .col(uuid(ContractTerms::PlanId))
                    .col(integer(ContractTerms::Quantity))
                    .col(json_binary(ContractTerms::Overrides))
                    .col(uuid(ContractTerms::CreatedBy))
                    .col(timestamp_with_time_zone(ContractTerms::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContractTerms::TenantId)
                            .col(ContractTerms::ContractId)
                            .col(ContractTerms::EffectiveOn),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContractTerms::Table, (ContractTerms::TenantId, ContractTerms::ContractId))
                            .to(Contracts::Table, (Contracts::TenantId, Contracts::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContractTerms::Table, ContractTerms::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContractTerms::Table.into_iden(),
            Contracts::Table.into_iden(),
            Plans::Table.into_iden(),
            Tiers::Table.into_iden(),
            Services::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

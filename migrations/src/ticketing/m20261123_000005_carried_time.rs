use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SlaClocks {
    Table,
    CarriedSecs,
}

/// Time a clock carries from an earlier calendar, when a contract change moved the ticket to
/// other coverage (the clock restarts there, keeping what was used).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SlaClocks::Table)
                    .add_column(ColumnDef::new(SlaClocks::CarriedSecs).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(SlaClocks::Table).drop_column(SlaClocks::CarriedSecs).to_owned(),
            )
            .await
    }
}

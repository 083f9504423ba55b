use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    AccessGeneration,
}

#[derive(DeriveIden)]
enum AccessRevocations {
    Table,
    Seq,
    Kind,
    Subject,
    Generation,
    IssuedUpTo,
    TenantId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AccessRevocationHead {
    Table,
    Id,
    Seq,
}

/// Access that ends when it should: a generation per user (raised on deactivation, role and
/// password changes; tokens carry the one they were issued under), and a durable log of
/// revocations — a token, a user's older generations, a tenant's tokens — that verifiers
/// replicate in order of `seq`. `seq` comes from the one-row head, updated in the
/// revoking transaction, so revocations commit in `seq` order and a reader never skips one.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::AccessGeneration).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessRevocations::Table)
                    .col(big_integer(AccessRevocations::Seq).primary_key())
                    // token, subject (a user or an API key), tenant
                    .col(string_len(AccessRevocations::Kind, 10))
                    .col(uuid(AccessRevocations::Subject))
                    .col(big_integer_null(AccessRevocations::Generation))
                    .col(big_integer_null(AccessRevocations::IssuedUpTo))
                    .col(uuid_null(AccessRevocations::TenantId))
                    .col(timestamp_with_time_zone(AccessRevocations::CreatedAt))
                    .col(timestamp_with_time_zone(AccessRevocations::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("access_revocations_expiry")
                    .table(AccessRevocations::Table)
                    .col(AccessRevocations::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessRevocationHead::Table)
                    .col(integer(AccessRevocationHead::Id).primary_key())
                    .col(big_integer(AccessRevocationHead::Seq))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AccessRevocationHead::Table)
                    .columns([AccessRevocationHead::Id, AccessRevocationHead::Seq])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AccessRevocationHead::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AccessRevocations::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Users::Table).drop_column(Users::AccessGeneration).to_owned())
            .await
    }
}

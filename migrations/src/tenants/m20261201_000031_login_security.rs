//! Login security: per-account failure throttling, TOTP second factors and a security audit
//! trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    EmailHash,
    Failures,
    LastFailureAt,
    BlockedUntil,
    Audited,
}

#[derive(DeriveIden)]
enum UserTotp {
    Table,
    UserId,
    TenantId,
    Secret,
    ConfirmedAt,
    LastStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SecurityAudit {
    Table,
    Id,
    TenantId,
    UserId,
    Email,
    Kind,
    Detail,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Keyed by SHA-256 of the normalised e-mail, known or not (no enumeration).
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottles::Table)
                    .col(string_len(LoginThrottles::EmailHash, 64).primary_key())
                    .col(integer(LoginThrottles::Failures))
                    .col(timestamp_with_time_zone(LoginThrottles::LastFailureAt))
                    .col(timestamp_with_time_zone_null(LoginThrottles::BlockedUntil))
                    // The current burst has its audit entry.
                    .col(boolean(LoginThrottles::Audited))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserTotp::Table)
                    .col(uuid(UserTotp::UserId).primary_key())
                    .col(uuid_null(UserTotp::TenantId))
                    // Base32; write-only (returned once, at enrolment).
                    .col(string_len(UserTotp::Secret, 128))
                    .col(timestamp_with_time_zone_null(UserTotp::ConfirmedAt))
                    // The last 30 s step a code was accepted for: codes never count twice.
                    .col(big_integer(UserTotp::LastStep))
                    .col(timestamp_with_time_zone(UserTotp::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecurityAudit::Table)
                    .col(uuid(SecurityAudit::Id).primary_key())
                    .col(uuid_null(SecurityAudit::TenantId))
                    .col(uuid_null(SecurityAudit::UserId))
                    .col(string_len(SecurityAudit::Email, 320))
                    .col(string_len(SecurityAudit::Kind, 40))
                    .col(text(SecurityAudit::Detail))
                    .col(timestamp_with_time_zone(SecurityAudit::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("security_audit_tenant_at")
                    .table(SecurityAudit::Table)
                    .col(SecurityAudit::TenantId)
                    .col(SecurityAudit::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Table::drop().table(SecurityAudit::Table).to_owned(),
            Table::drop().table(UserTotp::Table).to_owned(),
            Table::drop().table(LoginThrottles::Table).to_owned(),
        ] {
            manager.drop_table(table).await?;
        }
        Ok(())
    }
}

//! Billing: runs per period, one invoice per tenant and period (unique: concurrent runs make
//! it once), its lines, the credits with the breaches behind them, and every breach credited
//! once (unique per tenant, ticket and metric).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BillingRuns {
    Table,
    Id,
    Period,
    StartedAt,
    StartedBy,
    FinishedAt,
    Status,
    Invoices,
    Skipped,
    Outcome,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    TenantId,
    Period,
    Number,
    Currency,
    SubtotalMinor,
    CreditsMinor,
    TaxRateBp,
    TaxMinor,
    TotalMinor,
    Status,
    IssuedAt,
    DueOn,
    PaidAt,
    PaidBy,
    Provider,
    ProviderRef,
    RunId,
    Version,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    InvoiceId,
    LineNo,
    TenantId,
    Kind,
    Description,
    ContractId,
    Period,
    Quantity,
    UnitMinor,
    AmountMinor,
    Details,
}

#[derive(DeriveIden)]
enum Credits {
    Table,
    Id,
    TenantId,
    InvoiceId,
    ContractId,
    Period,
    AmountMinor,
    Late,
    CreatedAt,
    Lines,
}

#[derive(DeriveIden)]
enum CreditedBreaches {
    Table,
    TenantId,
    TicketId,
    Metric,
    CreditId,
    InvoiceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BillingRuns::Table)
                    .col(uuid(BillingRuns::Id).primary_key())
                    .col(string_len(BillingRuns::Period, 7))
                    .col(timestamp_with_time_zone(BillingRuns::StartedAt))
                    .col(uuid_null(BillingRuns::StartedBy))
                    .col(timestamp_with_time_zone_null(BillingRuns::FinishedAt))
                    .col(string_len(BillingRuns::Status, 12))
                    .col(integer(BillingRuns::Invoices))
                    .col(integer(BillingRuns::Skipped))
                    .col(json_binary_null(BillingRuns::Outcome))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(uuid(Invoices::Id).primary_key())
                    .col(uuid(Invoices::TenantId))
                    .col(string_len(Invoices::Period, 7))
                    .col(string_len(Invoices::Number, 40))
                    .col(string_len(Invoices::Currency, 3))
                    .col(big_integer(Invoices::SubtotalMinor))
                    .col(big_integer(Invoices::CreditsMinor))
                    .col(integer(Invoices::TaxRateBp))
                    .col(big_integer(Invoices::TaxMinor))
                    .col(big_integer(Invoices::TotalMinor))
                    // issued, paid, payment_failed, void
                    .col(string_len(Invoices::Status, 16))
                    .col(timestamp_with_time_zone(Invoices::IssuedAt))
                    .col(date(Invoices::DueOn))
                    .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                    .col(uuid_null(Invoices::PaidBy))
                    .col(string_len(Invoices::Provider, 12))
                    .col(string_len_null(Invoices::ProviderRef, 100))
                    .col(uuid(Invoices::RunId))
                    .col(big_integer(Invoices::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_once_per_period")
                    .table(Invoices::Table)
                    .col(Invoices::TenantId)
                    .col(Invoices::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_period")
                    .table(Invoices::Table)
                    .col(Invoices::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(uuid(InvoiceLines::InvoiceId))
                    .col(integer(InvoiceLines::LineNo))
                    .col(uuid(InvoiceLines::TenantId))
                    // subscription, extra_work, credit, late_credit
                    .col(string_len(InvoiceLines::Kind, 16))
                    .col(string_len(InvoiceLines::Description, 500))
                    .col(uuid_null(InvoiceLines::ContractId))
                    .col(string_len(InvoiceLines::Period, 7))
                    .col(big_integer(InvoiceLines::Quantity))
                    .col(big_integer(InvoiceLines::UnitMinor))
                    .col(big_integer(InvoiceLines::AmountMinor))
                    .col(json_binary(InvoiceLines::Details))
                    .primary_key(Index::create().col(InvoiceLines::InvoiceId).col(InvoiceLines::LineNo))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Credits::Table)
                    .col(uuid(Credits::Id).primary_key())
                    .col(uuid(Credits::TenantId))
                    .col(uuid(Credits::InvoiceId))
                    .col(uuid(Credits::ContractId))
                    .col(string_len(Credits::Period, 7))
                    .col(big_integer(Credits::AmountMinor))
                    .col(boolean(Credits::Late))
                    .col(timestamp_with_time_zone(Credits::CreatedAt))
                    .col(json_binary(Credits::Lines))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("credits_contract_period")
                    .table(Credits::Table)
                    .col(Credits::TenantId)
                    .col(Credits::ContractId)
                    .col(Credits::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CreditedBreaches::Table)
                    .col(uuid(CreditedBreaches::TenantId))
                    .col(uuid(CreditedBreaches::TicketId))
                    .col(string_len(CreditedBreaches::Metric, 20))
                    .col(uuid(CreditedBreaches::CreditId))
                    .col(uuid(CreditedBreaches::InvoiceId))
                    .primary_key(
                        Index::create()
                            .col(CreditedBreaches::TenantId)
                            .col(CreditedBreaches::TicketId)
                            .col(CreditedBreaches::Metric),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CreditedBreaches::Table.into_iden(),
            Credits::Table.into_iden(),
            InvoiceLines::Table.into_iden(),
            Invoices::Table.into_iden(),
            BillingRuns::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

//! Credit notes: with Stripe, a credit for a period already invoiced is a credit note on that
//! invoice. Each note carries one credit (unique), its tax, how it settles (off the amount
//! due, or onto the customer's balance when the invoice was paid), and its own outbox state:
//! a worker hands it to the provider with an idempotency key made of its id.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CreditNotes {
    Table,
    Id,
    TenantId,
    InvoiceId,
    CreditId,
    Number,
    Currency,
    AmountMinor,
    TaxMinor,
    TotalMinor,
    Settlement,
    Description,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    ProviderRef,
    CreatedAt,
    DoneAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CreditNotes::Table)
                    .col(uuid(CreditNotes::Id).primary_key())
                    .col(uuid(CreditNotes::TenantId))
                    .col(uuid(CreditNotes::InvoiceId))
                    .col(uuid_uniq(CreditNotes::CreditId))
                    .col(string_len_uniq(CreditNotes::Number, 80))
                    .col(string_len(CreditNotes::Currency, 3))
                    .col(big_integer(CreditNotes::AmountMinor))
                    .col(big_integer(CreditNotes::TaxMinor))
                    .col(big_integer(CreditNotes::TotalMinor))
                    // amount_due (the invoice is unpaid) or customer_balance (it was paid)
                    .col(string_len(CreditNotes::Settlement, 20))
                    .col(string_len(CreditNotes::Description, 500))
                    // pending, issued, failed
                    .col(string_len(CreditNotes::Status, 12))
                    .col(integer(CreditNotes::Attempts))
                    .col(timestamp_with_time_zone(CreditNotes::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(CreditNotes::LeaseUntil))
                    .col(string_len_null(CreditNotes::LastError, 500))
                    .col(string_len_null(CreditNotes::ProviderRef, 100))
                    .col(timestamp_with_time_zone(CreditNotes::CreatedAt))
                    .col(timestamp_with_time_zone_null(CreditNotes::DoneAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("credit_notes_invoice")
                    .table(CreditNotes::Table)
                    .col(CreditNotes::InvoiceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CreditNotes::Table).to_owned()).await
    }
}

//! Stripe: an outbox of invoices to hand over (written with the invoice, sent by a worker that
//! retries with the same idempotency keys), each tenant's Stripe customer, and the webhook
//! events received (deduplicated by id).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentOps {
    Table,
    InvoiceId,
    TenantId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    DoneAt,
}

#[derive(DeriveIden)]
enum StripeCustomers {
    Table,
    TenantId,
    CustomerId,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentOps::Table)
                    .col(uuid(PaymentOps::InvoiceId).primary_key())
                    .col(uuid(PaymentOps::TenantId))
                    // pending, done, failed
                    .col(string_len(PaymentOps::Status, 12))
                    .col(integer(PaymentOps::Attempts))
                    .col(timestamp_with_time_zone(PaymentOps::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(PaymentOps::LeaseUntil))
                    .col(string_len_null(PaymentOps::LastError, 500))
                    .col(timestamp_with_time_zone(PaymentOps::CreatedAt))
                    .col(timestamp_with_time_zone_null(PaymentOps::DoneAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeCustomers::Table)
                    .col(uuid(StripeCustomers::TenantId).primary_key())
                    .col(string_len(StripeCustomers::CustomerId, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string_len(StripeEvents::Id, 100).primary_key())
                    .col(string_len(StripeEvents::Kind, 100))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(StripeEvents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(StripeCustomers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(PaymentOps::Table).to_owned()).await
    }
}

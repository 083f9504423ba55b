//! The payment outbox (invoices and credit notes to hand to Stripe, claimed with a lease so one
//! replica works on each), tenants' Stripe customers, and webhook events seen (once each).
//! The outbox workers and Stripe's webhooks serve every tenant: what they claim or name by id
//! is reached across tenants, a row once claimed within its own tenant.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::db::is_unique_violation;
use canopy_kernel::{ApiResult, CrossTenant, TenantId, TenantOwned, TenantScope};

use super::entities::{credit_note, invoice, payment_op, stripe_customer, stripe_event};

#[derive(Clone)]
pub struct Payments {
    db: DatabaseConnection,
}

impl Payments {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Claims the next invoice due to be handed over, for `lease`; `None` when there is none
    /// (or another replica claimed it first).
    pub async fn claim(&self, now: DateTime<Utc>, lease: TimeDelta) -> ApiResult<Option<payment_op::Model>> {
        let free = Condition::any()
            .add(payment_op::Column::LeaseUntil.is_null())
            .add(payment_op::Column::LeaseUntil.lt(now));
        let Some(op) = payment_op::Entity::across_tenants(CrossTenant::Worker)
            .filter(payment_op::Column::Status.eq("pending"))
            .filter(payment_op::Column::NextAttemptAt.lte(now))
            .filter(free.clone())
            .order_by_asc(payment_op::Column::NextAttemptAt)
            .limit(1)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let taken = payment_op::Entity::scoped_update(&TenantScope::trusted(TenantId(op.tenant_id)))
            .col_expr(payment_op::Column::LeaseUntil, Expr::value(now + lease))
            .filter(payment_op::Column::InvoiceId.eq(op.invoice_id))
            .filter(payment_op::Column::Status.eq("pending"))
            .filter(free)
            .exec(&self.db)
            .await?;
        Ok((taken.rows_affected == 1).then_some(op))
    }

    /// Handed over: the op is done and the invoice carries Stripe's id.
    pub async fn done(&self, invoice_id: Uuid, reference: Option<&str>, now: DateTime<Utc>) -> ApiResult<()> {
        let tx = self.db.begin().await?;
        payment_op::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(payment_op::Column::Status, Expr::value("done"))
            .col_expr(payment_op::Column::DoneAt, Expr::value(now))
            .col_expr(payment_op::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(payment_op::Column::InvoiceId.eq(invoice_id))
            .exec(&tx)
            .await?;
        if let Some(reference) = reference {
            invoice::Entity::update_across_tenants(CrossTenant::Worker)
                .col_expr(invoice::Column::ProviderRef, Expr::value(reference))
                .filter(invoice::Column::Id.eq(invoice_id))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Not handed over this time: tried again at `next` (with the same keys), or given up.
    pub async fn failed(
        &self,
        op: &payment_op::Model,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> ApiResult<()> {
        let mut update = payment_op::Entity::scoped_update(&TenantScope::trusted(TenantId(op.tenant_id)))
            .col_expr(payment_op::Column::Attempts, Expr::value(op.attempts + 1))
            .col_expr(payment_op::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
            .col_expr(payment_op::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
        update = match next {
            Some(at) => update.col_expr(payment_op::Column::NextAttemptAt, Expr::value(at)),
            None => update.col_expr(payment_op::Column::Status, Expr::value("failed")),
        };
        update.filter(payment_op::Column::InvoiceId.eq(op.invoice_id)).exec(&self.db).await?;
        Ok(())
    }

    /// Claims the next credit note due to be handed over, like [`Payments::claim`].
    pub async fn claim_note(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> ApiResult<Option<credit_note::Model>> {
        let free = Condition::any()
            .add(credit_note::Column::LeaseUntil.is_null())
            .add(credit_note::Column::LeaseUntil.lt(now));
        let Some(note) = credit_note::Entity::across_tenants(CrossTenant::Worker)
            .filter(credit_note::Column::Status.eq("pending"))
            .filter(credit_note::Column::NextAttemptAt.lte(now))
            .filter(free.clone())
            .order_by_asc(credit_note::Column::NextAttemptAt)
            .limit(1)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let taken = credit_note::Entity::scoped_update(&TenantScope::trusted(TenantId(note.tenant_id)))
            .col_expr(credit_note::Column::LeaseUntil, Expr::value(now + lease))
            .filter(credit_note::Column::Id.eq(note.id))
            .filter(credit_note::Column::Status.eq("pending"))
            .filter(free)
            .exec(&self.db)
            .await?;
        Ok((taken.rows_affected == 1).then_some(note))
    }

    /// The note is with the provider (Stripe's id, if it has one).
    pub async fn note_done(&self, id: Uuid, reference: Option<&str>, now: DateTime<Utc>) -> ApiResult<()> {
        credit_note::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(credit_note::Column::Status, Expr::value("issued"))
            .col_expr(credit_note::Column::DoneAt, Expr::value(now))
            .col_expr(credit_note::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(credit_note::Column::ProviderRef, Expr::value(reference))
            .filter(credit_note::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Not handed over this time: tried again at `next`, or given up (left for finance).
    pub async fn note_failed(
        &self,
        note: &credit_note::Model,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> ApiResult<()> {
        let mut update = credit_note::Entity::scoped_update(&TenantScope::trusted(TenantId(note.tenant_id)))
            .col_expr(credit_note::Column::Attempts, Expr::value(note.attempts + 1))
            .col_expr(
                credit_note::Column::LastError,
                Expr::value(error.chars().take(500).collect::<String>()),
            )
            .col_expr(credit_note::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
        update = match next {
            Some(at) => update.col_expr(credit_note::Column::NextAttemptAt, Expr::value(at)),
            None => update.col_expr(credit_note::Column::Status, Expr::value("failed")),
        };
        update.filter(credit_note::Column::Id.eq(note.id)).exec(&self.db).await?;
        Ok(())
    }

    pub async fn op(&self, invoice_id: Uuid) -> ApiResult<Option<payment_op::Model>> {
        Ok(payment_op::Entity::across_tenants(CrossTenant::Worker)
            .filter(payment_op::Column::InvoiceId.eq(invoice_id))
            .one(&self.db)
            .await?)
    }

    pub async fn customer(&self, tenant: Uuid) -> ApiResult<Option<String>> {
        Ok(stripe_customer::Entity::scoped(&TenantScope::trusted(TenantId(tenant)))
            .one(&self.db)
            .await?
            .map(|c| c.customer_id))
    }

    pub async fn remember_customer(&self, tenant: Uuid, customer: &str) -> ApiResult<()> {
        stripe_customer::Entity::insert(stripe_customer::ActiveModel {
            tenant_id: sea_orm::Set(tenant),
            customer_id: sea_orm::Set(customer.to_owned()),
        })
        .on_conflict(OnConflict::column(stripe_customer::Column::TenantId).do_nothing().to_owned())
        .try_insert()
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Applies a webhook event once: records its id and moves the invoice to `status` in one
    /// transaction. `Ok(false)`: seen before, nothing done.
    pub async fn apply_event(
        &self,
        event_id: &str,
        kind: &str,
        invoice_id: Option<Uuid>,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> ApiResult<bool> {
        let tx = self.db.begin().await?;
        let recorded = stripe_event::Entity::insert(stripe_event::ActiveModel {
            id: sea_orm::Set(event_id.to_owned()),
            kind: sea_orm::Set(kind.to_owned()),
            received_at: sea_orm::Set(now),
        })
        .exec_without_returning(&tx)
        .await;
        match recorded {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        if let (Some(id), Some(status)) = (invoice_id, status) {
            let mut update = invoice::Entity::update_across_tenants(CrossTenant::Worker)
                .col_expr(invoice::Column::Status, Expr::value(status))
                .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1));
            if status == "paid" {
                update = update.col_expr(invoice::Column::PaidAt, Expr::value(now));
            }
            update
                .filter(invoice::Column::Id.eq(id))
                // A paid invoice stays paid whatever arrives late.
                .filter(invoice::Column::Status.ne("paid"))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

//! Invoices with their lines and credits, and the breaches already credited. An invoice is
//! written whole in one transaction, with the credited breaches' rows: the unique index on
//! (tenant, period) makes a second (or concurrent) run of the period write nothing, and the
//! primary key of `credited_breaches` credits a breach once, whichever invoice gets it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::db::is_unique_violation;
use canopy_kernel::{
    ApiError, ApiResult, CrossTenant, ErrorCode, ListScope, TenantId, TenantOwned, TenantScope,
};

use super::entities::{availability, credit, credit_note, credited, dunning, invoice, line, payment_op, run};

pub use super::entities::availability::Model as AvailabilityRow;
pub use super::entities::credit::Model as CreditRow;
pub use super::entities::credit_note::Model as CreditNoteRow;
pub use super::entities::credited::Model as CreditedRow;
pub use super::entities::dunning::Model as DunningRow;
pub use super::entities::invoice::Model as InvoiceRow;
pub use super::entities::line::Model as LineRow;
pub use super::entities::payment_op::Model as PaymentOpRow;
pub use super::entities::run::Model as RunRow;

#[derive(Clone)]
pub struct Invoices {
    db: DatabaseConnection,
}

/// Everything an invoice is made of, written at once.
pub struct NewInvoice {
    pub invoice: invoice::Model,
    pub lines: Vec<line::Model>,
    pub credits: Vec<credit::Model>,
    pub credited: Vec<credited::Model>,
    /// For a payment provider that is told of invoices (Stripe): the outbox row.
    pub payment_op: Option<payment_op::Model>,
}

pub enum Issued {
    Written,
    /// The tenant already has an invoice for the period (another run made it).
    AlreadyThere,
}

impl Invoices {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn start_run(&self, row: run::Model) -> ApiResult<()> {
        run::Entity::insert(run::ActiveModel::from(row)).exec_without_returning(&self.db).await?;
        Ok(())
    }

    pub async fn finish_run(
        &self,
        id: Uuid,
        status: &str,
        invoices: i32,
        skipped: i32,
        outcome: serde_json::Value,
        at: DateTime<Utc>,
    ) -> ApiResult<run::Model> {
        run::Entity::update_many()
            .col_expr(run::Column::Status, Expr::value(status))
            .col_expr(run::Column::Invoices, Expr::value(invoices))
            .col_expr(run::Column::Skipped, Expr::value(skipped))
            .col_expr(run::Column::Outcome, Expr::value(outcome))
            .col_expr(run::Column::FinishedAt, Expr::value(at))
            .filter(run::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        run::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ApiError::not_found("billing run"))
    }

    pub async fn runs(&self, limit: u64) -> ApiResult<Vec<run::Model>> {
        Ok(run::Entity::find().order_by_desc(run::Column::StartedAt).limit(limit).all(&self.db).await?)
    }

    /// Tenants that already have an invoice for the period (the billing run's).
    pub async fn invoiced(&self, period: &str) -> ApiResult<HashSet<Uuid>> {
        let rows: Vec<Uuid> = invoice::Entity::across_tenants(CrossTenant::Worker)
            .select_only()
            .column(invoice::Column::TenantId)
            .filter(invoice::Column::Period.eq(period))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Breaches credited already, as (tenant, ticket, metric), for the billing run.
    pub async fn credited(&self, tenants: &[Uuid]) -> ApiResult<HashSet<(Uuid, Uuid, String)>> {
        let mut out = HashSet::new();
        for chunk in tenants.chunks(500) {
            let rows: Vec<(Uuid, Uuid, String)> = credited::Entity::across_tenants(CrossTenant::Worker)
                .select_only()
                .column(credited::Column::TenantId)
                .column(credited::Column::TicketId)
                .column(credited::Column::Metric)
                .filter(credited::Column::TenantId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Credits given so far per (contract, period), for the billing run's cap.
    pub async fn credited_amounts(&self, tenants: &[Uuid]) -> ApiResult<HashMap<(Uuid, String), i64>> {
        let mut out = HashMap::new();
        for chunk in tenants.chunks(500) {
            let rows: Vec<(Uuid, String, i64)> = credit::Entity::across_tenants(CrossTenant::Worker)
                .select_only()
                .column(credit::Column::ContractId)
                .column(credit::Column::Period)
                .column(credit::Column::AmountMinor)
                .filter(credit::Column::TenantId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (contract, period, amount) in rows {
                *out.entry((contract, period)).or_insert(0) += amount;
            }
        }
        Ok(out)
    }

    /// Writes the invoice, its lines, credits and credited breaches in one transaction.
    pub async fn issue(&self, new: NewInvoice) -> ApiResult<Issued> {
        let tx = self.db.begin().await?;
        let written = invoice::Entity::insert(invoice::ActiveModel::from(new.invoice))
            .exec_without_returning(&tx)
            .await;
        match written {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(Issued::AlreadyThere),
            Err(e) => return Err(e.into()),
        }
        for chunk in new.lines.chunks(200) {
            line::Entity::insert_many(chunk.iter().cloned().map(line::ActiveModel::from))
                .exec_without_returning(&tx)
                .await?;
        }
        for c in new.credits {
            credit::Entity::insert(credit::ActiveModel::from(c)).exec_without_returning(&tx).await?;
        }
        for chunk in new.credited.chunks(200) {
            match credited::Entity::insert_many(chunk.iter().cloned().map(credited::ActiveModel::from))
                .exec_without_returning(&tx)
                .await
            {
                Ok(_) => {}
                // A breach credited meanwhile by another period's run: this invoice is stale;
                // nothing of it is written, the next run builds it again.
                Err(e) if is_unique_violation(&e) => {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        "A breach was credited meanwhile; run again",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(op) = new.payment_op {
            payment_op::Entity::insert(payment_op::ActiveModel::from(op)).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        Ok(Issued::Written)
    }

    /// Writes a credit note with its credit and credited breaches in one transaction. `false`:
    /// a breach of it was credited meanwhile (another run), and nothing is written.
    pub async fn issue_note(
        &self,
        note: credit_note::Model,
        credit: credit::Model,
        credited: Vec<credited::Model>,
    ) -> ApiResult<bool> {
        let tx = self.db.begin().await?;
        let written = async {
            credit::Entity::insert(credit::ActiveModel::from(credit)).exec_without_returning(&tx).await?;
            credited::Entity::insert_many(credited.into_iter().map(credited::ActiveModel::from))
                .exec_without_returning(&tx)
                .await?;
            credit_note::Entity::insert(credit_note::ActiveModel::from(note))
                .exec_without_returning(&tx)
                .await
        }
        .await;
        match written {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The tenant's invoice for a period, if it has one (the billing run names the tenant).
    pub async fn of_period(&self, tenant: Uuid, period: &str) -> ApiResult<Option<invoice::Model>> {
        Ok(invoice::Entity::scoped(&TenantScope::trusted(TenantId(tenant)))
            .filter(invoice::Column::Period.eq(period))
            .one(&self.db)
            .await?)
    }

    /// Credit notes, newest first: of one invoice, or of the tenants in scope.
    pub async fn notes(
        &self,
        scope: &ListScope,
        invoice_id: Option<Uuid>,
        limit: u64,
    ) -> ApiResult<Vec<credit_note::Model>> {
        let mut q = credit_note::Entity::listed(scope)
            .order_by_desc(credit_note::Column::CreatedAt)
            .order_by_asc(credit_note::Column::Id);
        if let Some(i) = invoice_id {
            q = q.filter(credit_note::Column::InvoiceId.eq(i));
        }
        Ok(q.limit(limit).all(&self.db).await?)
    }

    pub async fn list(
        &self,
        scope: &ListScope,
        period: Option<&str>,
        status: Option<&str>,
        limit: u64,
    ) -> ApiResult<Vec<invoice::Model>> {
        let mut q = invoice::Entity::listed(scope)
            .order_by_desc(invoice::Column::Period)
            .order_by_asc(invoice::Column::Id);
        if let Some(p) = period {
            q = q.filter(invoice::Column::Period.eq(p));
        }
        if let Some(s) = status {
            q = q.filter(invoice::Column::Status.eq(s));
        }
        Ok(q.limit(limit).all(&self.db).await?)
    }

    /// The invoice; another tenant's is not found.
    pub async fn get(&self, scope: &ListScope, id: Uuid) -> ApiResult<invoice::Model> {
        invoice::Entity::listed(scope)
            .filter(invoice::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("invoice"))
    }

    pub async fn lines(&self, scope: &ListScope, invoice_id: Uuid) -> ApiResult<Vec<line::Model>> {
        Ok(line::Entity::listed(scope)
            .filter(line::Column::InvoiceId.eq(invoice_id))
            .order_by_asc(line::Column::LineNo)
            .all(&self.db)
            .await?)
    }

    pub async fn credits(
        &self,
        scope: &ListScope,
        invoice_id: Option<Uuid>,
        limit: u64,
    ) -> ApiResult<Vec<credit::Model>> {
        let mut q = credit::Entity::listed(scope)
            .order_by_desc(credit::Column::CreatedAt)
            .order_by_asc(credit::Column::Id);
        if let Some(i) = invoice_id {
            q = q.filter(credit::Column::InvoiceId.eq(i));
        }
        Ok(q.limit(limit).all(&self.db).await?)
    }

    /// Records a period's measured availability for a tenant; refused once the period is
    /// invoiced for it (the credit it earns would be lost).
    pub async fn record_availability(&self, row: availability::Model) -> ApiResult<availability::Model> {
        // Provider staff (or monitoring) record it for the tenant they name.
        let scope = TenantScope::trusted(TenantId(row.tenant_id));
        let tx = self.db.begin().await?;
        let invoiced = invoice::Entity::scoped(&scope)
            .filter(invoice::Column::Period.eq(row.period.clone()))
            .one(&tx)
            .await?;
        if invoiced.is_some() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is already invoiced for this tenant; availability counts before its run",
                    row.period
                ),
            ));
        }
        availability::Entity::scoped_delete(&scope)
            .filter(availability::Column::Period.eq(row.period.clone()))
            .exec(&tx)
            .await?;
        availability::Entity::insert(availability::ActiveModel::from(row.clone()))
            .exec_without_returning(&tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn availability(
        &self,
        scope: &ListScope,
        period: Option<&str>,
    ) -> ApiResult<Vec<availability::Model>> {
        let mut q = availability::Entity::listed(scope).order_by_desc(availability::Column::Period);
        if let Some(p) = period {
            q = q.filter(availability::Column::Period.eq(p));
        }
        Ok(q.limit(1000).all(&self.db).await?)
    }

    /// Invoices unpaid (issued or failed, something to pay) whose due date is before `day`, of
    /// every tenant (the dunning run) or one.
    pub async fn overdue(
        &self,
        day: chrono::NaiveDate,
        tenant: Option<Uuid>,
    ) -> ApiResult<Vec<invoice::Model>> {
        let q = match tenant {
            Some(t) => invoice::Entity::scoped(&TenantScope::trusted(TenantId(t))),
            None => invoice::Entity::across_tenants(CrossTenant::Worker),
        };
        Ok(q.filter(invoice::Column::Status.is_in(["issued", "payment_failed"]))
            .filter(invoice::Column::DueOn.lt(day))
            .filter(invoice::Column::TotalMinor.gt(0))
            .order_by_asc(invoice::Column::DueOn)
            .all(&self.db)
            .await?)
    }

    /// Tenants billing suspended for non-payment (for the dunning run).
    pub async fn dunned(&self) -> ApiResult<Vec<dunning::Model>> {
        Ok(dunning::Entity::across_tenants(CrossTenant::Worker).all(&self.db).await?)
    }

    pub async fn mark_dunned(&self, row: dunning::Model) -> ApiResult<()> {
        dunning::Entity::insert(dunning::ActiveModel::from(row))
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(dunning::Column::TenantId).do_nothing().to_owned(),
            )
            .try_insert()
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn is_dunned(&self, tenant: Uuid) -> ApiResult<bool> {
        Ok(dunning::Entity::scoped(&TenantScope::trusted(TenantId(tenant))).one(&self.db).await?.is_some())
    }

    pub async fn clear_dunned(&self, tenant: Uuid) -> ApiResult<()> {
        dunning::Entity::scoped_delete(&TenantScope::trusted(TenantId(tenant))).exec(&self.db).await?;
        Ok(())
    }

    /// Marks an invoice paid (the local ledger's finance action, provider staff's) at `version`.
    pub async fn mark_paid(
        &self,
        id: Uuid,
        version: i64,
        by: Uuid,
        reference: Option<String>,
        at: DateTime<Utc>,
    ) -> ApiResult<invoice::Model> {
        let done = invoice::Entity::update_across_tenants(CrossTenant::ProviderStaff)
            .col_expr(invoice::Column::Status, Expr::value("paid"))
            .col_expr(invoice::Column::PaidAt, Expr::value(at))
            .col_expr(invoice::Column::PaidBy, Expr::value(by))
            .col_expr(invoice::Column::ProviderRef, Expr::value(reference))
            .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
            .filter(invoice::Column::Id.eq(id))
            .filter(invoice::Column::Version.eq(version))
            .filter(invoice::Column::Status.is_in(["issued", "payment_failed"]))
            .exec(&self.db)
            .await?;
        let now = self.get(&ListScope::AllTenants, id).await?;
        if done.rows_affected == 0 {
            if now.status == "paid" || now.status == "void" {
                return Err(ApiError::new(
                    ErrorCode::InvalidTransition,
                    format!("The invoice is already {}", now.status),
                ));
            }
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "The invoice changed meanwhile; read it again",
            ));
        }
        Ok(now)
    }
}

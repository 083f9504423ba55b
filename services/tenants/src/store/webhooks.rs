//! The webhook delivery log: one row per (webhook, event), claimed by whichever replica's
//! sender gets to it first (SKIP LOCKED on PostgreSQL), with every attempt's outcome.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, TenantId, TenantOwned, TenantScope};

use super::entities::webhook_delivery;

use super::paged;

pub use super::entities::webhook_delivery::Model as DeliveryRow;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// What one attempt came to.
pub enum Outcome {
    Delivered { status_code: u16 },
    Retry { status_code: Option<u16>, error: String, next_at: DateTime<Utc> },
    GiveUp { status_code: Option<u16>, error: String },
}

#[derive(Clone)]
pub struct Deliveries {
    db: DatabaseConnection,
}

pub struct NewDelivery {
    pub tenant_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub payload: String,
}

impl Deliveries {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Records deliveries to send now; an event offered again adds nothing.
    pub async fn enqueue(&self, rows: Vec<NewDelivery>, now: DateTime<Utc>) -> ApiResult<()> {
        for d in rows {
            let row = webhook_delivery::ActiveModel {
                tenant_id: Set(d.tenant_id),
                id: Set(Uuid::now_v7()),
                webhook_id: Set(d.webhook_id),
                event_id: Set(d.event_id),
                event_type: Set(d.event_type),
                url: Set(d.url),
                payload: Set(d.payload),
                status: Set(PENDING.into()),
                attempts: Set(0),
                next_attempt_at: Set(Some(now)),
                last_attempt_at: Set(None),
                last_status_code: Set(None),
                last_error: Set(None),
                delivered_at: Set(None),
                created_at: Set(now),
            };
            webhook_delivery::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        webhook_delivery::Column::WebhookId,
                        webhook_delivery::Column::EventId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Claims up to `limit` due deliveries for `lease`: no other sender takes them meanwhile,
    /// and a sender that dies leaves them to be claimed again when the lease runs out.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::TimeDelta,
        limit: u64,
    ) -> ApiResult<Vec<webhook_delivery::Model>> {
        let txn = self.db.begin().await?;
        // The sender works through every tenant's deliveries.
        let mut query = webhook_delivery::Entity::across_tenants(CrossTenant::Worker)
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(limit);
        if self.db.get_database_backend() == DbBackend::Postgres {
            query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let mut rows = query.all(&txn).await?;
        for row in &mut rows {
            // The lease's end also marks this claim: `record` applies only while it holds.
            row.next_attempt_at = Some(now + lease);
            webhook_delivery::Entity::scoped_update(&TenantScope::trusted(TenantId(row.tenant_id)))
                .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now + lease))
                .filter(webhook_delivery::Column::Id.eq(row.id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(rows)
    }

    pub async fn record(
        &self,
        row: &webhook_delivery::Model,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> ApiResult<()> {
        let (status, code, error, next, delivered) = match outcome {
            Outcome::Delivered { status_code } => (DELIVERED, Some(status_code), None, None, Some(at)),
            Outcome::Retry { status_code, error, next_at } => {
                (PENDING, status_code, Some(error), Some(next_at), None)
            }
            Outcome::GiveUp { status_code, error } => (FAILED, status_code, Some(error), None, None),
        };
        webhook_delivery::Entity::scoped_update(&TenantScope::trusted(TenantId(row.tenant_id)))
            .col_expr(webhook_delivery::Column::Status, Expr::value(status))
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(row.attempts + 1))
            .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(at))
            .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(code.map(i32::from)))
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(error.map(|e| e.chars().take(500).collect::<String>())),
            )
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
            .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(delivered))
            .filter(webhook_delivery::Column::Id.eq(row.id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn list(
        &self,
        scope: &TenantScope,
        webhook_id: Option<Uuid>,
        status: Option<&str>,
        newest_first: bool,
        page: &PageParams,
    ) -> ApiResult<(Vec<webhook_delivery::Model>, u64)> {
        let mut query = webhook_delivery::Entity::scoped(scope);
        if let Some(hook) = webhook_id {
            query = query.filter(webhook_delivery::Column::WebhookId.eq(hook));
        }
        if let Some(status) = status {
            query = query.filter(webhook_delivery::Column::Status.eq(status));
        }
        let (query, limit) = if newest_first {
            // Ids are time-ordered (v7): newest first is by id, descending, from the cursor down.
            let limit = page.limit()?;
            let mut query = query.order_by_desc(webhook_delivery::Column::Id).limit(limit + 1);
            if let Some(before) = page.after()? {
                query = query.filter(webhook_delivery::Column::Id.lt(before));
            }
            (query, limit)
        } else {
            paged(query, webhook_delivery::Column::Id, page)?
        };
        Ok((query.all(&self.db).await?, limit))
    }

    pub async fn get(&self, scope: &TenantScope, id: Uuid) -> ApiResult<webhook_delivery::Model> {
        webhook_delivery::Entity::scoped(scope)
            .filter(webhook_delivery::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("webhook delivery"))
    }

    /// Sends a delivery again as soon as possible (after it failed, or to replay it).
    pub async fn redeliver(
        &self,
        scope: &TenantScope,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<webhook_delivery::Model> {
        let row = self.get(scope, id).await?;
        if row.status == PENDING {
            return Err(ApiError::new(
                canopy_kernel::ErrorCode::InvalidTransition,
                "This delivery is still being tried; it can be sent again once delivered or failed",
            ));
        }
        webhook_delivery::Entity::scoped_update(scope)
            .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(webhook_delivery::Column::Status.ne(PENDING))
            .exec(&self.db)
            .await?;
        self.get(scope, id).await
    }
}

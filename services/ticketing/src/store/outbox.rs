//! The outbox worker: events written with their change are published to the bus, at least
//! once, by whichever replica gets to them (rows are claimed with SKIP LOCKED on PostgreSQL).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use canopy_kernel::backends::EventBus;
use canopy_kernel::{CrossTenant, TenantOwned};

use super::entities::outbox;

/// An event on ticketing's topic, to be written in the same transaction as the change it
/// announces.
pub fn event(
    id: uuid::Uuid,
    tenant: uuid::Uuid,
    payload: serde_json::Value,
    at: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel::from(outbox::Model {
        id,
        tenant_id: tenant,
        topic: super::tickets::TOPIC.to_owned(),
        payload,
        created_at: at,
        published_at: None,
    })
}

/// Publishes up to `limit` pending events; returns how many were sent.
pub async fn publish_pending(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    limit: u64,
) -> anyhow::Result<usize> {
    let txn = db.begin().await?;
    // The relay publishes every tenant's events.
    let mut query = outbox::Entity::across_tenants(CrossTenant::Worker)
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = query.all(&txn).await?;
    for row in &rows {
        bus.publish(&row.topic, &serde_json::to_vec(&row.payload)?).await?;
    }
    if !rows.is_empty() {
        outbox::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(outbox::Column::PublishedAt, Expr::value(Utc::now()))
            .filter(outbox::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows.len())
}

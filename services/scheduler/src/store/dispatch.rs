//! Who works on what (open assignments, for load and continuity) and every dispatch decision
//! with its candidates and reasons. Dispatch is the provider's work over every tenant's
//! tickets: only the dispatcher and provider staff reach this store.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use canopy_kernel::{ApiResult, CrossTenant, TenantId, TenantOwned, TenantScope};

use super::entities::{assignment, decision};

pub use super::entities::decision::Model as DecisionRow;

#[derive(Clone)]
pub struct Dispatch {
    db: DatabaseConnection,
}

impl Dispatch {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Open tickets per engineer.
    pub async fn loads(&self) -> ApiResult<HashMap<Uuid, u32>> {
        let mut out = HashMap::new();
        for a in assignment::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(assignment::Column::Open.eq(true))
            .all(&self.db)
            .await?
        {
            *out.entry(a.engineer_id).or_insert(0) += 1;
        }
        Ok(out)
    }

    /// Every open assignment.
    pub async fn open(&self) -> ApiResult<Vec<assignment::Model>> {
        Ok(assignment::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(assignment::Column::Open.eq(true))
            .order_by_asc(assignment::Column::AssignedAt)
            .all(&self.db)
            .await?)
    }

    /// Tickets of `tenant` each engineer worked on.
    pub async fn history(&self, tenant: Uuid) -> ApiResult<HashMap<Uuid, u32>> {
        let mut out = HashMap::new();
        // The ticket being dispatched names its tenant.
        for a in assignment::Entity::scoped(&TenantScope::trusted(TenantId(tenant))).all(&self.db).await? {
            *out.entry(a.engineer_id).or_insert(0) += 1;
        }
        Ok(out)
    }

    pub async fn assigned(
        &self,
        ticket: Uuid,
        tenant: Uuid,
        engineer: Uuid,
        at: DateTime<Utc>,
    ) -> ApiResult<()> {
        assignment::Entity::insert(assignment::ActiveModel {
            ticket_id: Set(ticket),
            tenant_id: Set(tenant),
            engineer_id: Set(engineer),
            open: Set(true),
            assigned_at: Set(at),
        })
        .on_conflict(
            OnConflict::column(assignment::Column::TicketId)
                .update_columns([
                    assignment::Column::EngineerId,
                    assignment::Column::Open,
                    assignment::Column::AssignedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// The ticket no longer weighs on its engineer (resolved, closed, cancelled, unassigned).
    pub async fn released(&self, ticket: Uuid) -> ApiResult<()> {
        assignment::Entity::update_across_tenants(CrossTenant::ProviderStaff)
            .col_expr(assignment::Column::Open, Expr::value(false))
            .filter(assignment::Column::TicketId.eq(ticket))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn record(&self, row: DecisionRow) -> ApiResult<()> {
        decision::Entity::insert(decision::ActiveModel::from(row)).exec_without_returning(&self.db).await?;
        Ok(())
    }

    pub async fn decisions(&self, ticket: Uuid) -> ApiResult<Vec<decision::Model>> {
        Ok(decision::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(decision::Column::TicketId.eq(ticket))
            .order_by_asc(decision::Column::Id)
            .all(&self.db)
            .await?)
    }
}

//! Round plans (every one the optimiser made, the published ones in force) and the visits of
//! the published plan, with the state engineers move them through. Rounds are planned over
//! every tenant's on-site visits by provider staff: visits are reached across tenants.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, CrossTenant, ErrorCode, TenantOwned};

use super::entities::{round_plan, visit};

pub use super::entities::round_plan::Model as RoundPlanRow;
pub use super::entities::visit::Model as VisitRow;

#[derive(Clone)]
pub struct Rounds {
    db: DatabaseConnection,
}

/// The states a visit goes through; the optimiser moves only `planned` ones.
pub const VISIT_STATES: [&str; 4] = ["planned", "confirmed", "started", "done"];

impl Rounds {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The plan in force for the day and region ("" for all regions): the last published.
    pub async fn current(&self, day: &str, region: &str) -> ApiResult<Option<round_plan::Model>> {
        Ok(round_plan::Entity::find()
            .filter(round_plan::Column::Day.eq(day))
            .filter(round_plan::Column::Region.eq(region))
            .filter(round_plan::Column::Published.eq(true))
            .order_by_desc(round_plan::Column::CreatedAt)
            .order_by_desc(round_plan::Column::Id)
            .one(&self.db)
            .await?)
    }

    /// Records a plan that was not published (it did not beat the one in force).
    pub async fn record(&self, plan: RoundPlanRow) -> ApiResult<()> {
        round_plan::Entity::insert(round_plan::ActiveModel::from(plan)).exec(&self.db).await?;
        Ok(())
    }

    /// Publishes a plan: records it and, in the same transaction, replaces the day's planned
    /// visits of its region by the plan's. Visits confirmed, started or done are not touched.
    pub async fn publish(
        &self,
        plan: RoundPlanRow,
        day: &str,
        regions: &[String],
        visits: Vec<visit::Model>,
    ) -> ApiResult<()> {
        let tx = self.db.begin().await?;
        round_plan::Entity::insert(round_plan::ActiveModel::from(plan)).exec(&tx).await?;
        let mut stale = visit::Entity::delete_across_tenants(CrossTenant::ProviderStaff)
            .filter(visit::Column::Day.eq(day))
            .filter(visit::Column::State.eq("planned"));
        if !regions.is_empty() {
            stale = stale.filter(visit::Column::Region.is_in(regions.iter().cloned()));
        }
        stale.exec(&tx).await?;
        for v in visits {
            let held = visit::Entity::across_tenants(CrossTenant::ProviderStaff)
                .filter(visit::Column::TicketId.eq(v.ticket_id))
                .one(&tx)
                .await?;
            match held {
                Some(h) if h.state != "planned" => continue,
                Some(_) => {
                    visit::Entity::delete_across_tenants(CrossTenant::ProviderStaff)
                        .filter(visit::Column::TicketId.eq(v.ticket_id))
                        .exec(&tx)
                        .await?;
                }
                None => {}
            }
            visit::Entity::insert(visit::ActiveModel::from(v)).exec(&tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn visits(&self, day: &str) -> ApiResult<Vec<visit::Model>> {
        Ok(visit::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(visit::Column::Day.eq(day))
            .order_by_asc(visit::Column::EngineerId)
            .order_by_asc(visit::Column::ArriveAt)
            .all(&self.db)
            .await?)
    }

    /// The visits not finished of every day, for the tickets given.
    pub async fn held(&self, tickets: &[Uuid]) -> ApiResult<Vec<visit::Model>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        Ok(visit::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(visit::Column::TicketId.is_in(tickets.iter().copied()))
            .all(&self.db)
            .await?)
    }

    pub async fn visit(&self, ticket: Uuid) -> ApiResult<visit::Model> {
        visit::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(visit::Column::TicketId.eq(ticket))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("visit"))
    }

    /// Moves a visit to `state` at `version` (412 when it changed meanwhile).
    pub async fn set_state(
        &self,
        ticket: Uuid,
        version: i64,
        state: &str,
        started_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> ApiResult<visit::Model> {
        let mut update = visit::Entity::update_across_tenants(CrossTenant::ProviderStaff)
            .col_expr(visit::Column::State, Expr::value(state))
            .col_expr(visit::Column::Version, Expr::col(visit::Column::Version).add(1))
            .col_expr(visit::Column::UpdatedAt, Expr::value(now));
        if started_at.is_some() {
            update = update.col_expr(visit::Column::StartedAt, Expr::value(started_at));
        }
        let done = update
            .filter(visit::Column::TicketId.eq(ticket))
            .filter(visit::Column::Version.eq(version))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 0 {
            self.visit(ticket).await?;
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "The visit changed meanwhile; read it again",
            ));
        }
        self.visit(ticket).await
    }
}

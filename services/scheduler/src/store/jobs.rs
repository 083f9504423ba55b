//! Schedules and their runs. A tick becomes a run by inserting its row, keyed by (schedule,
//! due time): whichever replica inserts it owns it, for a lease it renews while working; a run
//! whose lease ran out (its replica died) is taken over by a conditional update that only one
//! replica can win. The runner serves every tenant (and the platform's own jobs), so its
//! queries reach across tenants.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, CrossTenant, ListScope, TenantOwned};

use super::entities::{job_run, schedule};

pub use super::entities::job_run::Model as RunRow;
pub use super::entities::schedule::Model as ScheduleRow;

pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

#[derive(Clone)]
pub struct Jobs {
    db: DatabaseConnection,
}

impl Jobs {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn create_schedule(&self, row: ScheduleRow) -> ApiResult<ScheduleRow> {
        Ok(schedule::ActiveModel::from(row).insert(&self.db).await?)
    }

    /// Creates the schedule unless one with its id exists (system jobs, installed by every
    /// replica as it starts).
    pub async fn ensure_schedule(&self, row: ScheduleRow) -> ApiResult<()> {
        schedule::Entity::insert(schedule::ActiveModel::from(row))
            .on_conflict(sea_orm::sea_query::OnConflict::column(schedule::Column::Id).do_nothing().to_owned())
            .try_insert()
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Moves a system job installed with another cron expression to `cron` (its next tick with
    /// it); a schedule already on `cron` is left as it is, so replicas starting change nothing.
    pub async fn reschedule_system(
        &self,
        id: Uuid,
        cron: &str,
        next: Option<DateTime<Utc>>,
    ) -> ApiResult<()> {
        schedule::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(schedule::Column::Cron, Expr::value(cron))
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .filter(schedule::Column::Id.eq(id))
            .filter(schedule::Column::TenantId.is_null())
            .filter(schedule::Column::Cron.ne(cron))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A schedule by id, whoever's: the route checks its tenant against the caller's, the
    /// job runner serves every tenant.
    pub async fn schedule(&self, id: Uuid) -> ApiResult<schedule::Model> {
        schedule::Entity::across_tenants(CrossTenant::Owner)
            .filter(schedule::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("schedule"))
    }

    pub async fn schedules(&self, scope: &ListScope, limit: u64) -> ApiResult<Vec<schedule::Model>> {
        Ok(schedule::Entity::listed(scope)
            .order_by_asc(schedule::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Active schedules whose next tick has come, earliest first.
    pub async fn due(&self, now: DateTime<Utc>, limit: u64) -> ApiResult<Vec<schedule::Model>> {
        Ok(schedule::Entity::across_tenants(CrossTenant::Worker)
            .filter(schedule::Column::Active.eq(true))
            .filter(schedule::Column::NextRunAt.lte(now))
            .order_by_asc(schedule::Column::NextRunAt)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Turns the schedule's due tick into a run owned by `owner`, and moves the schedule on to
    /// `next`, in one transaction. `None` when another replica got there first.
    pub async fn claim_tick(
        &self,
        s: &schedule::Model,
        next: Option<DateTime<Utc>>,
        owner: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> ApiResult<Option<job_run::Model>> {
        let Some(due) = s.next_run_at else { return Ok(None) };
        let txn = self.db.begin().await?;
        let run = job_run::ActiveModel {
            schedule_id: Set(s.id),
            due_at: Set(due),
            tenant_id: Set(s.tenant_id),
            status: Set(RUNNING.into()),
            owner: Set(owner.to_owned()),
            lease_until: Set(now + lease),
            attempts: Set(1),
            started_at: Set(now),
            finished_at: Set(None),
            outcome: Set(None),
        };
        let inserted = job_run::Entity::insert(run)
            .on_conflict(
                OnConflict::columns([job_run::Column::ScheduleId, job_run::Column::DueAt])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let moved = schedule::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .filter(schedule::Column::Id.eq(s.id))
            .filter(schedule::Column::NextRunAt.eq(due))
            .exec(&txn)
            .await?;
        if inserted == 0 || moved.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        txn.commit().await?;
        Self::run(&self.db, s.id, due).await
    }

    /// A run by its key.
    async fn run(
        db: &DatabaseConnection,
        schedule: Uuid,
        due: DateTime<Utc>,
    ) -> ApiResult<Option<job_run::Model>> {
        Ok(job_run::Entity::across_tenants(CrossTenant::Worker)
            .filter(job_run::Column::ScheduleId.eq(schedule))
            .filter(job_run::Column::DueAt.eq(due))
            .one(db)
            .await?)
    }

    /// Runs whose replica stopped renewing their lease.
    pub async fn abandoned(&self, now: DateTime<Utc>, limit: u64) -> ApiResult<Vec<job_run::Model>> {
        Ok(job_run::Entity::across_tenants(CrossTenant::Worker)
            .filter(job_run::Column::Status.eq(RUNNING))
            .filter(job_run::Column::LeaseUntil.lt(now))
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Takes an abandoned run over; only one replica's update matches.
    pub async fn take_over(
        &self,
        run: &job_run::Model,
        owner: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> ApiResult<Option<job_run::Model>> {
        let done = job_run::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(job_run::Column::Owner, Expr::value(owner))
            .col_expr(job_run::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(job_run::Column::Attempts, Expr::value(run.attempts + 1))
            .filter(job_run::Column::ScheduleId.eq(run.schedule_id))
            .filter(job_run::Column::DueAt.eq(run.due_at))
            .filter(job_run::Column::Status.eq(RUNNING))
            .filter(job_run::Column::Owner.eq(run.owner.clone()))
            .filter(job_run::Column::LeaseUntil.lt(now))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 0 {
            return Ok(None);
        }
        Self::run(&self.db, run.schedule_id, run.due_at).await
    }

    /// Keeps the lease while working; false when the run is no longer ours.
    pub async fn renew(&self, run: &job_run::Model, owner: &str, until: DateTime<Utc>) -> ApiResult<bool> {
        let done = job_run::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(job_run::Column::LeaseUntil, Expr::value(until))
            .filter(job_run::Column::ScheduleId.eq(run.schedule_id))
            .filter(job_run::Column::DueAt.eq(run.due_at))
            .filter(job_run::Column::Status.eq(RUNNING))
            .filter(job_run::Column::Owner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    pub async fn finish(
        &self,
        run: &job_run::Model,
        owner: &str,
        status: &str,
        outcome: Value,
        now: DateTime<Utc>,
    ) -> ApiResult<bool> {
        let done = job_run::Entity::update_across_tenants(CrossTenant::Worker)
            .col_expr(job_run::Column::Status, Expr::value(status))
            .col_expr(job_run::Column::Outcome, Expr::value(outcome))
            .col_expr(job_run::Column::FinishedAt, Expr::value(now))
            .filter(job_run::Column::ScheduleId.eq(run.schedule_id))
            .filter(job_run::Column::DueAt.eq(run.due_at))
            .filter(job_run::Column::Status.eq(RUNNING))
            .filter(job_run::Column::Owner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Run history, newest first.
    pub async fn runs(
        &self,
        scope: &ListScope,
        schedule: Option<Uuid>,
        limit: u64,
    ) -> ApiResult<Vec<job_run::Model>> {
        let mut q = job_run::Entity::listed(scope).order_by_desc(job_run::Column::DueAt).limit(limit);
        if let Some(id) = schedule {
            q = q.filter(job_run::Column::ScheduleId.eq(id));
        }
        Ok(q.all(&self.db).await?)
    }
}

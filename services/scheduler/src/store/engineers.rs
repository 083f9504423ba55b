//! The engineers table. Engineers belong to the provider, not to a tenant: only provider
//! staff reach this store (checked by the routes).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use canopy_kernel::db::{conflict_on_unique, paged};
use canopy_kernel::http::PageParams;
use canopy_kernel::validate::stored;
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

use super::entities::engineer;

pub use super::entities::engineer::Model as EngineerRow;
use crate::domain::engineer::EngineerSpec;

#[derive(Clone)]
pub struct Engineers {
    db: DatabaseConnection,
}

pub struct ListFilter {
    pub region: Option<String>,
    pub skill: Option<String>,
    pub support_level: Option<u8>,
    pub active: Option<bool>,
}

fn json<T: serde::Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// What a stored engineer is: the way back from the row [`Engineers::create`] writes.
pub fn spec_of(e: &engineer::Model) -> ApiResult<EngineerSpec> {
    Ok(EngineerSpec {
        name: e.name.clone(),
        email: e.email.clone(),
        user_id: e.user_id,
        support_level: u8::try_from(e.support_level).unwrap_or(1),
        skills: stored(&e.skills)?,
        home_region: e.home_region.clone(),
        regions: stored(&e.regions)?,
        timezone: e.timezone.clone(),
        shifts: stored(&e.shifts)?,
        time_off: stored(&e.time_off)?,
        capacity: u32::try_from(e.capacity).unwrap_or(1),
        on_call: e.on_call,
        base: e.base.as_ref().map(stored).transpose()?,
    })
}

impl Engineers {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn create(&self, spec: &EngineerSpec, now: DateTime<Utc>) -> ApiResult<engineer::Model> {
        engineer::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(spec.user_id),
            name: Set(spec.name.clone()),
            email: Set(spec.email.clone()),
            support_level: Set(i32::from(spec.support_level)),
            skills: Set(json(&spec.skills)?),
            home_region: Set(spec.home_region.clone()),
            regions: Set(json(&spec.regions)?),
            timezone: Set(spec.timezone.clone()),
            shifts: Set(json(&spec.shifts)?),
            time_off: Set(json(&spec.time_off)?),
            capacity: Set(spec.capacity as i32),
            on_call: Set(spec.on_call),
            base: Set(spec.base.as_ref().map(json).transpose()?),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_on_unique(e, "An engineer with this email exists"))
    }

    /// Every active engineer (the team is hundreds or a few thousand: dispatch ranks them all).
    pub async fn active(&self) -> ApiResult<Vec<engineer::Model>> {
        Ok(engineer::Entity::find().filter(engineer::Column::Active.eq(true)).all(&self.db).await?)
    }

    pub async fn get(&self, id: Uuid) -> ApiResult<engineer::Model> {
        engineer::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ApiError::not_found("engineer"))
    }

    /// Replaces the engineer's description if it is still at `version`.
    pub async fn update(
        &self,
        id: Uuid,
        version: i64,
        spec: &EngineerSpec,
        active: bool,
        now: DateTime<Utc>,
    ) -> ApiResult<engineer::Model> {
        let done = engineer::Entity::update_many()
            .col_expr(engineer::Column::UserId, Expr::value(spec.user_id))
            .col_expr(engineer::Column::Name, Expr::value(spec.name.clone()))
            .col_expr(engineer::Column::Email, Expr::value(spec.email.clone()))
            .col_expr(engineer::Column::SupportLevel, Expr::value(i32::from(spec.support_level)))
            .col_expr(engineer::Column::Skills, Expr::value(json(&spec.skills)?))
            .col_expr(engineer::Column::HomeRegion, Expr::value(spec.home_region.clone()))
            .col_expr(engineer::Column::Regions, Expr::value(json(&spec.regions)?))
            .col_expr(engineer::Column::Timezone, Expr::value(spec.timezone.clone()))
            .col_expr(engineer::Column::Shifts, Expr::value(json(&spec.shifts)?))
            .col_expr(engineer::Column::TimeOff, Expr::value(json(&spec.time_off)?))
            .col_expr(engineer::Column::Capacity, Expr::value(spec.capacity as i32))
            .col_expr(engineer::Column::OnCall, Expr::value(spec.on_call))
            .col_expr(engineer::Column::Base, Expr::value(spec.base.as_ref().map(json).transpose()?))
            .col_expr(engineer::Column::Active, Expr::value(active))
            .col_expr(engineer::Column::Version, Expr::value(version + 1))
            .col_expr(engineer::Column::UpdatedAt, Expr::value(now))
            .filter(engineer::Column::Id.eq(id))
            .filter(engineer::Column::Version.eq(version))
            .exec(&self.db)
            .await
            .map_err(|e| conflict_on_unique(e, "An engineer with this email exists"))?;
        if done.rows_affected == 0 {
            self.get(id).await?;
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "The engineer was changed meanwhile; reload",
            ));
        }
        self.get(id).await
    }

    /// Engineers by id, filtered. Region and skill match a quoted key inside the JSON arrays,
    /// which reads the same on both backends (keys are validated to `[a-z0-9_-]`).
    pub async fn list(&self, f: &ListFilter, page: &PageParams) -> ApiResult<(Vec<engineer::Model>, u64)> {
        let mut q = engineer::Entity::find();
        if let Some(level) = f.support_level {
            q = q.filter(engineer::Column::SupportLevel.eq(i32::from(level)));
        }
        if let Some(active) = f.active {
            q = q.filter(engineer::Column::Active.eq(active));
        }
        for (column, key) in [(engineer::Column::Regions, &f.region), (engineer::Column::Skills, &f.skill)] {
            if let Some(key) = key {
                q = q.filter(Expr::col(column).cast_as("text").like(format!("%\"{key}\"%")));
            }
        }
        let (q, limit) = paged(q, engineer::Column::Id, page)?;
        Ok((q.all(&self.db).await?, limit))
    }
}

//! What the provider offers: services, tiers and plans (provider-wide, not tenant-owned).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use canopy_kernel::db::{conflict_on_unique, paged};
use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult};

use super::entities::{plan, service, tier};
use crate::domain::{NewPlan, NewService, NewTier};

pub use super::entities::plan::Model as PlanRow;
pub use super::entities::service::Model as ServiceRow;
pub use super::entities::tier::Model as TierRow;

#[derive(Clone)]
pub struct Offerings {
    db: DatabaseConnection,
}

fn json<T: serde::Serialize>(value: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

impl Offerings {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn create_service(&self, new: NewService, now: DateTime<Utc>) -> ApiResult<service::Model> {
        service::ActiveModel {
            id: Set(Uuid::now_v7()),
            key: Set(new.key.clone()),
            name: Set(new.name),
            description: Set(new.description),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("A service with key {} already exists", new.key)))
    }

    pub async fn services(&self, page: &PageParams) -> ApiResult<(Vec<service::Model>, u64)> {
        let (q, limit) = paged(service::Entity::find(), service::Column::Id, page)?;
        Ok((q.all(&self.db).await?, limit))
    }

    pub async fn service(&self, id: Uuid) -> ApiResult<service::Model> {
        service::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ApiError::not_found("service"))
    }

    /// Which of `ids` are not services.
    pub async fn missing_services(&self, ids: &[Uuid]) -> ApiResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Uuid> = service::Entity::find()
            .filter(service::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        Ok(ids.iter().copied().filter(|id| !found.contains(id)).collect())
    }

    pub async fn create_tier(&self, new: &NewTier, now: DateTime<Utc>) -> ApiResult<tier::Model> {
        let coverage = json(&new.coverage)?.as_str().unwrap_or_default().to_owned();
        tier::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(new.name.clone()),
            coverage: Set(coverage),
            targets: Set(json(&new.targets)?),
            availability_target_bp: Set(new.availability_target_bp),
            credit_policy: Set(json(&new.credit_policy)?),
            rate_limit: Set(new.rate_limit.as_ref().map(json).transpose()?),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("A tier named {} already exists", new.name)))
    }

    pub async fn tiers(&self, page: &PageParams) -> ApiResult<(Vec<tier::Model>, u64)> {
        let (q, limit) = paged(tier::Entity::find(), tier::Column::Id, page)?;
        Ok((q.all(&self.db).await?, limit))
    }

    pub async fn tier(&self, id: Uuid) -> ApiResult<tier::Model> {
        tier::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ApiError::not_found("tier"))
    }

    pub async fn create_plan(&self, new: &NewPlan, now: DateTime<Utc>) -> ApiResult<plan::Model> {
        plan::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(new.name.clone()),
            tier_id: Set(new.tier_id),
            service_ids: Set(json(&new.service_ids)?),
            unit: Set(new.unit.as_str().to_owned()),
            unit_price_minor: Set(new.unit_price_minor),
            currency: Set(new.currency.clone()),
            included_onsite_mins: Set(new.included_onsite_mins),
            extra_hour_minor: Set(new.extra_hour_minor),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("A plan named {} already exists", new.name)))
    }

    pub async fn plans(&self, page: &PageParams) -> ApiResult<(Vec<plan::Model>, u64)> {
        let (q, limit) = paged(plan::Entity::find(), plan::Column::Id, page)?;
        Ok((q.all(&self.db).await?, limit))
    }

    pub async fn plan(&self, id: Uuid) -> ApiResult<plan::Model> {
        plan::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ApiError::not_found("plan"))
    }
}

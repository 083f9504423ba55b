use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, ErrorCode, TenantOwned, TenantScope};

use super::entities::tenant_config;
use crate::domain::config::{TenantConfig, changed_paths};

pub use super::entities::tenant_config::Model as ConfigRow;

#[derive(Clone)]
pub struct Configs {
    db: DatabaseConnection,
}

pub fn document(row: &tenant_config::Model) -> ApiResult<TenantConfig> {
    serde_json::from_value(row.document.clone()).map_err(ApiError::internal)
}

impl Configs {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn current(&self, scope: &TenantScope) -> ApiResult<tenant_config::Model> {
        tenant_config::Entity::scoped(scope)
            .order_by_desc(tenant_config::Column::Version)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("configuration"))
    }

    pub async fn version(&self, scope: &TenantScope, version: i64) -> ApiResult<tenant_config::Model> {
        tenant_config::Entity::scoped(scope)
            .filter(tenant_config::Column::Version.eq(version))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("configuration version"))
    }

    /// Versions newest first; `before` pages back from a version.
    pub async fn history(
        &self,
        scope: &TenantScope,
        before: Option<i64>,
        limit: u64,
    ) -> ApiResult<Vec<tenant_config::Model>> {
        let mut query = tenant_config::Entity::scoped(scope)
            .order_by_desc(tenant_config::Column::Version)
            .limit(limit + 1);
        if let Some(before) = before {
            query = query.filter(tenant_config::Column::Version.lt(before));
        }
        Ok(query.all(&self.db).await?)
    }

    /// Stores a new version unless nothing changed. `expected` is the version the writer read
    /// (If-Match); a mismatch is refused so that no concurrent change is silently lost.
    pub async fn save(
        &self,
        scope: &TenantScope,
        expected: Option<i64>,
        config: &TenantConfig,
        actor: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<tenant_config::Model> {
        let txn = self.db.begin().await?;
        let current = tenant_config::Entity::scoped(scope)
            .order_by_desc(tenant_config::Column::Version)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("configuration"))?;
        if let Some(expected) = expected
            && expected != current.version
        {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!(
                    "You edited version {expected}; the configuration is now at version {}",
                    current.version
                ),
            ));
        }
        let new_doc = serde_json::to_value(config).map_err(ApiError::internal)?;
        let changes = changed_paths(&current.document, &new_doc);
        if changes.is_empty() {
            return Ok(current);
        }
        let row = tenant_config::ActiveModel {
            tenant_id: Set(scope.tenant_id().0),
            version: Set(current.version + 1),
            document: Set(new_doc),
            changed_paths: Set(serde_json::json!(changes)),
            changed_by: Set(actor),
            changed_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if canopy_kernel::db::is_unique_violation(&e) {
                ApiError::new(
                    ErrorCode::PreconditionFailed,
                    "The configuration changed meanwhile; read it again",
                )
            } else {
                ApiError::internal(e)
            }
        })?;
        txn.commit().await?;
        Ok(row)
    }
}

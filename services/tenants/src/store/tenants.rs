use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, ListScope, TenantOwned, TenantScope};

use super::entities::{tenant, tenant_config};
use super::users::{NewUser, UserRow, UserScope};
use super::{conflict_on_unique, paged, revocations};
use crate::domain::config::TenantConfig;
use crate::domain::tenant::{Lifecycle, StatusRules, TenantStatus};
use canopy_api::tenants::Withdrawn;

pub use super::entities::tenant::Model as TenantRow;

pub struct NewTenant {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub tier: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub tier: Option<String>,
    pub trial_ends_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Clone)]
pub struct Tenants {
    db: DatabaseConnection,
}

impl Tenants {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The tenant, its first configuration and (optionally) its first admin, all or nothing.
    pub async fn create(
        &self,
        new: NewTenant,
        config: &TenantConfig,
        actor: Uuid,
        first_admin: Option<NewUser>,
        now: DateTime<Utc>,
    ) -> ApiResult<(tenant::Model, Option<UserRow>)> {
        let scope = TenantScope::trusted(canopy_kernel::TenantId(new.id));
        let txn = self.db.begin().await?;
        let status = if new.trial_ends_at.is_some() { TenantStatus::Trial } else { TenantStatus::Active };
        let tenant = tenant::ActiveModel {
            id: Set(new.id),
            key: Set(new.key.clone()),
            name: Set(new.name),
            status: Set(status.as_str().to_owned()),
            tier: Set(new.tier),
            trial_ends_at: Set(new.trial_ends_at),
            status_reason: Set(None),
            status_changed_at: Set(now),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("A tenant with key {} already exists", new.key)))?;
        tenant_config::ActiveModel {
            tenant_id: Set(tenant.id),
            version: Set(1),
            document: Set(serde_json::to_value(config).map_err(ApiError::internal)?),
            changed_paths: Set(serde_json::json!([])),
            changed_by: Set(actor),
            changed_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let admin = match first_admin {
            Some(admin) => Some(
                admin
                    .into_active(UserScope::Tenant(scope), now)
                    .insert(&txn)
                    .await
                    .map_err(|e| conflict_on_unique(e, "A user with this email already exists"))?,
            ),
            None => None,
        };
        txn.commit().await?;
        Ok((tenant, admin))
    }

    pub async fn get(&self, scope: &TenantScope) -> ApiResult<tenant::Model> {
        tenant::Entity::scoped(scope).one(&self.db).await?.ok_or_else(|| ApiError::not_found("tenant"))
    }

    pub async fn status(&self, scope: &TenantScope) -> ApiResult<TenantStatus> {
        let t = self.get(scope).await?;
        TenantStatus::parse(&t.status)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad status {}", t.status)))
    }

    pub async fn list(
        &self,
        scope: &ListScope,
        status: Option<TenantStatus>,
        page: &PageParams,
    ) -> ApiResult<(Vec<tenant::Model>, u64)> {
        let mut query = tenant::Entity::listed(scope);
        if let Some(status) = status {
            query = query.filter(tenant::Column::Status.eq(status.as_str()));
        }
        let (query, limit) = paged(query, tenant::Column::Id, page)?;
        Ok((query.all(&self.db).await?, limit))
    }

    pub async fn update(
        &self,
        scope: &TenantScope,
        patch: TenantPatch,
        now: DateTime<Utc>,
    ) -> ApiResult<tenant::Model> {
        let current = self.get(scope).await?;
        let mut active: tenant::ActiveModel = current.into();
        if let Some(name) = patch.name {
            active.name = Set(name);
        }
        if let Some(tier) = patch.tier {
            active.tier = Set(tier);
        }
        if let Some(trial) = patch.trial_ends_at {
            active.trial_ends_at = Set(trial);
        }
        active.updated_at = Set(now);
        Ok(active.update(&self.db).await?)
    }

    /// Moves the tenant through its lifecycle. The update is conditional on the status read,
    /// so two concurrent transitions cannot both succeed from the same state. Cancellation
    /// withdraws every token of the tenant issued until now, in the same transaction (the
    /// revocation valid until `revocation_expires_at`); its `seq` is answered beside.
    pub async fn transition(
        &self,
        scope: &TenantScope,
        action: Lifecycle,
        reason: Option<String>,
        now: DateTime<Utc>,
        revocation_expires_at: DateTime<Utc>,
    ) -> ApiResult<(tenant::Model, Option<i64>)> {
        let txn = self.db.begin().await?;
        let current =
            tenant::Entity::scoped(scope).one(&txn).await?.ok_or_else(|| ApiError::not_found("tenant"))?;
        let from = TenantStatus::parse(&current.status)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad status {}", current.status)))?;
        let to = from.apply(action)?;
        let result = tenant::Entity::scoped_update(scope)
            .col_expr(tenant::Column::Status, Expr::value(to.as_str()))
            .col_expr(tenant::Column::StatusReason, Expr::value(reason))
            .col_expr(tenant::Column::StatusChangedAt, Expr::value(now))
            .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
            .filter(tenant::Column::Status.eq(from.as_str()))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(ApiError::conflict("The tenant's status changed meanwhile; read it again"));
        }
        let revoked = if to == TenantStatus::Cancelled {
            let tenant_id = scope.tenant_id().0;
            let withdrawn = Withdrawn::Tenant { tenant_id, issued_up_to: now.timestamp() };
            Some(revocations::record(&txn, withdrawn, Some(tenant_id), now, revocation_expires_at).await?)
        } else {
            None
        };
        let tenant =
            tenant::Entity::scoped(scope).one(&txn).await?.ok_or_else(|| ApiError::not_found("tenant"))?;
        txn.commit().await?;
        Ok((tenant, revoked))
    }
}

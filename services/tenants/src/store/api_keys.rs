use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, TenantId, TenantOwned, TenantScope};

use super::entities::api_key;

use super::{paged, revocations};
use crate::domain::secrets::{api_key_prefix, digests_equal, new_api_key, sha256_hex};
use canopy_api::tenants::Withdrawn;

pub use super::entities::api_key::Model as ApiKeyRow;

pub use canopy_api::tenants::API_KEY_SCOPES;

#[derive(Clone)]
pub struct ApiKeys {
    db: DatabaseConnection,
}

impl ApiKeys {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Creates a key; the full key is returned here and never again.
    pub async fn create(
        &self,
        scope: &TenantScope,
        name: String,
        scopes: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
        created_by: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<(String, api_key::Model)> {
        let (key, prefix) = new_api_key();
        let row = api_key::ActiveModel {
            tenant_id: Set(scope.tenant_id().0),
            id: Set(Uuid::now_v7()),
            name: Set(name),
            prefix: Set(prefix),
            secret_hash: Set(sha256_hex(&key)),
            scopes: Set(scopes.join(" ")),
            created_by: Set(created_by),
            created_at: Set(now),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok((key, row))
    }

    pub async fn list(
        &self,
        scope: &TenantScope,
        page: &PageParams,
    ) -> ApiResult<(Vec<api_key::Model>, u64)> {
        let (query, limit) = paged(api_key::Entity::scoped(scope), api_key::Column::Id, page)?;
        Ok((query.all(&self.db).await?, limit))
    }

    pub async fn get(&self, scope: &TenantScope, id: Uuid) -> ApiResult<api_key::Model> {
        api_key::Entity::scoped(scope)
            .filter(api_key::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("API key"))
    }

    /// Revokes the key and, in the same transaction, every token it was exchanged for (a
    /// revocation valid until `revocation_expires_at`); answers the key and the revocation's
    /// `seq`.
    pub async fn revoke(
        &self,
        scope: &TenantScope,
        id: Uuid,
        now: DateTime<Utc>,
        revocation_expires_at: DateTime<Utc>,
    ) -> ApiResult<(api_key::Model, i64)> {
        let txn = self.db.begin().await?;
        let find = || api_key::Entity::scoped(scope).filter(api_key::Column::Id.eq(id));
        find().one(&txn).await?.ok_or_else(|| ApiError::not_found("API key"))?;
        api_key::Entity::scoped_update(scope)
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        // Exchanged tokens carry generation 0: all of them.
        let withdrawn = Withdrawn::Subject { sub: id, generation: 1 };
        let seq = revocations::record(&txn, withdrawn, Some(scope.tenant_id().0), now, revocation_expires_at)
            .await?;
        let key = find().one(&txn).await?.ok_or_else(|| ApiError::not_found("API key"))?;
        txn.commit().await?;
        Ok((key, seq))
    }

    /// The live key matching a presented secret, if any. Records its use (at most once a minute).
    pub async fn authenticate(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Option<api_key::Model>> {
        let Some(prefix) = api_key_prefix(presented) else { return Ok(None) };
        let Some(key) = api_key::Entity::across_tenants(CrossTenant::Credential)
            .filter(api_key::Column::Prefix.eq(prefix))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let live = key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now);
        if !live || !digests_equal(&key.secret_hash, &sha256_hex(presented)) {
            return Ok(None);
        }
        if key.last_used_at.is_none_or(|at| now - at > TimeDelta::minutes(1)) {
            // The key just matched says whose it is.
            api_key::Entity::scoped_update(&TenantScope::trusted(TenantId(key.tenant_id)))
                .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                .filter(api_key::Column::Id.eq(key.id))
                .exec(&self.db)
                .await?;
        }
        Ok(Some(key))
    }
}

//! Refresh tokens: opaque, stored as SHA-256, rotated on every use. Each login starts a
//! family; presenting a token that was already spent means it leaked, so the whole family
//! is revoked (the attacker's copy and the user's). Tokens are found by what is presented
//! (or by a user the caller has checked), before any tenant is known: every query here
//! reaches across tenants.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use canopy_kernel::{ApiResult, CrossTenant, TenantOwned};

use super::entities::refresh_token;
use crate::domain::secrets::{new_refresh_token, sha256_hex};

#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// The old token is spent; here is its successor.
    Rotated { user_id: Uuid, token: String, expires_at: DateTime<Utc> },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already spent: the family is now revoked.
    Reused,
}

#[derive(Clone)]
pub struct Sessions {
    db: DatabaseConnection,
}

impl Sessions {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    fn row(
        family_id: Uuid,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        hash: String,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> refresh_token::ActiveModel {
        refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            family_id: Set(family_id),
            user_id: Set(user_id),
            tenant_id: Set(tenant_id),
            token_hash: Set(hash),
            issued_at: Set(now),
            expires_at: Set(now + ttl),
            used_at: Set(None),
            revoked_at: Set(None),
        }
    }

    /// Starts a new family (a login).
    pub async fn start(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> ApiResult<(String, DateTime<Utc>)> {
        let token = new_refresh_token();
        let row = Self::row(Uuid::now_v7(), user_id, tenant_id, sha256_hex(&token), now, ttl)
            .insert(&self.db)
            .await?;
        Ok((token, row.expires_at))
    }

    pub async fn rotate(&self, presented: &str, now: DateTime<Utc>, ttl: TimeDelta) -> ApiResult<Refresh> {
        let hash = sha256_hex(presented);
        let txn = self.db.begin().await?;
        let Some(current) = refresh_token::Entity::across_tenants(CrossTenant::Credential)
            .filter(refresh_token::Column::TokenHash.eq(&hash))
            .one(&txn)
            .await?
        else {
            return Ok(Refresh::Invalid);
        };
        if current.revoked_at.is_some() || current.expires_at <= now {
            return Ok(Refresh::Invalid);
        }
        // Spend it, but only if nobody spent it first (the update is the arbiter).
        let spent = refresh_token::Entity::update_across_tenants(CrossTenant::Credential)
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(current.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            Self::revoke_family_in(&txn, current.family_id, now).await?;
            txn.commit().await?;
            tracing::warn!(family = %current.family_id, user = %current.user_id, "refresh token reused; family revoked");
            return Ok(Refresh::Reused);
        }
        let token = new_refresh_token();
        let next =
            Self::row(current.family_id, current.user_id, current.tenant_id, sha256_hex(&token), now, ttl)
                .insert(&txn)
                .await?;
        txn.commit().await?;
        Ok(Refresh::Rotated { user_id: current.user_id, token, expires_at: next.expires_at })
    }

    async fn revoke_family_in(
        db: &impl sea_orm::ConnectionTrait,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        refresh_token::Entity::update_across_tenants(CrossTenant::Credential)
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::FamilyId.eq(family))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        Ok(())
    }

    /// Logout: revokes the family of the presented token. Unknown tokens are ignored.
    pub async fn revoke(&self, presented: &str, now: DateTime<Utc>) -> ApiResult<Option<Uuid>> {
        let hash = sha256_hex(presented);
        let found = refresh_token::Entity::across_tenants(CrossTenant::Credential)
            .filter(refresh_token::Column::TokenHash.eq(&hash))
            .one(&self.db)
            .await?;
        if let Some(row) = &found {
            Self::revoke_family_in(&self.db, row.family_id, now).await?;
        }
        Ok(found.map(|r| r.user_id))
    }

    /// Ends every session of a user (deactivation, password change), inside the caller's
    /// transaction.
    pub async fn revoke_user_in(
        db: &impl sea_orm::ConnectionTrait,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        refresh_token::Entity::update_across_tenants(CrossTenant::Credential)
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::UserId.eq(user_id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        Ok(())
    }
}

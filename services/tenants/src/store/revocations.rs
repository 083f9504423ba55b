//! The durable log of access revocations: a signed-out token, a user's older generations (or
//! a revoked API key's tokens), a cancelled tenant's tokens. A revocation is written in the transaction of the change that
//! causes it, and read by verifiers (the gateway) in order of `seq` to keep their replica.
//!
//! `seq` is taken from the one-row head, incremented in the same transaction: the row lock
//! (PostgreSQL) or the single writer (SQLite) makes revocations commit in `seq` order, so a
//! reader that has seen `seq` n has seen every revocation up to n.
//!
//! Revocations concern tokens of every tenant and of provider staff, found by what a token
//! names: every query here reaches across tenants (`CrossTenant::Credential`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use canopy_api::tenants::{Revocation, RevocationsPage, Withdrawn};
use canopy_kernel::{ApiError, ApiResult, CrossTenant, TenantOwned};

use super::entities::{access_revocation, access_revocation_head};

const HEAD: i32 = 1;

/// Records `withdrawn` inside the caller's transaction `txn`; answers its `seq`.
pub async fn record(
    txn: &impl ConnectionTrait,
    withdrawn: Withdrawn,
    tenant_id: Option<Uuid>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> ApiResult<i64> {
    access_revocation_head::Entity::update_many()
        .col_expr(access_revocation_head::Column::Seq, Expr::col(access_revocation_head::Column::Seq).add(1))
        .filter(access_revocation_head::Column::Id.eq(HEAD))
        .exec(txn)
        .await?;
    let seq = access_revocation_head::Entity::find_by_id(HEAD)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the access revocation head row is missing")))?
        .seq;
    let (kind, subject, generation, issued_up_to) = match withdrawn {
        Withdrawn::Token { jti } => ("token", jti, None, None),
        Withdrawn::Subject { sub, generation } => ("subject", sub, Some(generation), None),
        Withdrawn::Tenant { tenant_id, issued_up_to } => ("tenant", tenant_id, None, Some(issued_up_to)),
    };
    access_revocation::ActiveModel {
        seq: Set(seq),
        kind: Set(kind.to_owned()),
        subject: Set(subject),
        generation: Set(generation),
        issued_up_to: Set(issued_up_to),
        tenant_id: Set(tenant_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(txn)
    .await?;
    Ok(seq)
}

fn revocation(row: access_revocation::Model) -> Option<Revocation> {
    let withdrawn = match (row.kind.as_str(), row.generation, row.issued_up_to) {
        ("token", _, _) => Withdrawn::Token { jti: row.subject },
        ("subject", Some(generation), _) => Withdrawn::Subject { sub: row.subject, generation },
        ("tenant", _, Some(issued_up_to)) => Withdrawn::Tenant { tenant_id: row.subject, issued_up_to },
        _ => {
            tracing::error!(seq = row.seq, kind = %row.kind, "unreadable access revocation");
            return None;
        }
    };
    Some(Revocation { seq: row.seq, withdrawn, expires_at: row.expires_at })
}

#[derive(Clone)]
pub struct Revocations {
    db: DatabaseConnection,
}

impl Revocations {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Withdraws one access token (sign-out); answers the revocation's `seq`.
    pub async fn revoke_token(
        &self,
        jti: Uuid,
        tenant_id: Option<Uuid>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> ApiResult<i64> {
        let txn = self.db.begin().await?;
        let seq = record(&txn, Withdrawn::Token { jti }, tenant_id, now, expires_at).await?;
        txn.commit().await?;
        Ok(seq)
    }

    /// The newest `seq` committed.
    pub async fn head(&self) -> ApiResult<i64> {
        Ok(access_revocation_head::Entity::find_by_id(HEAD).one(&self.db).await?.map_or(0, |h| h.seq))
    }

    /// The revocations after `after` still in force at `now`, oldest first, at most `limit`.
    pub async fn after(&self, after: i64, limit: u64, now: DateTime<Utc>) -> ApiResult<RevocationsPage> {
        // The head first: every revocation up to it has committed (they commit in order).
        let head = self.head().await?;
        let mut rows = access_revocation::Entity::across_tenants(CrossTenant::Credential)
            .filter(access_revocation::Column::Seq.gt(after))
            .filter(access_revocation::Column::Seq.lte(head))
            .filter(access_revocation::Column::ExpiresAt.gt(now))
            .order_by_asc(access_revocation::Column::Seq)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let cursor = match rows.last() {
            Some(last) if more => last.seq,
            _ => head,
        };
        Ok(RevocationsPage { revocations: rows.into_iter().filter_map(revocation).collect(), cursor, more })
    }

    /// Forgets revocations that expired before `before`; answers how many.
    pub async fn prune(&self, before: DateTime<Utc>) -> ApiResult<u64> {
        let done = access_revocation::Entity::delete_across_tenants(CrossTenant::Credential)
            .filter(access_revocation::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
}

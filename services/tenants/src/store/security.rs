//! Sign-in security: failure throttles per account (keyed by the e-mail's hash, so unknown
//! addresses are treated exactly like known ones), TOTP second factors, and the security audit.
//! Throttles and factors are found by what is presented, before any tenant is known.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, CrossTenant, TenantOwned, TenantScope};

use super::entities::{login_throttle, security_audit, user_totp};
use crate::settings::LoginSecuritySettings;

pub use super::entities::security_audit::Model as AuditRow;
pub use super::entities::user_totp::Model as TotpRow;

/// What one more failure did to an account's throttle.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    /// Failures in a row, this one included.
    pub failures: u32,
    /// Until when further attempts are refused (None below the threshold).
    pub blocked_until: Option<DateTime<Utc>>,
    /// This failure crossed the threshold: the burst is to be audited (once).
    pub burst_started: bool,
}

#[derive(Clone)]
pub struct Throttles {
    db: DatabaseConnection,
}

impl Throttles {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn row(&self, hash: &str) -> ApiResult<Option<login_throttle::Model>> {
        Ok(login_throttle::Entity::find_by_id(hash.to_owned()).one(&self.db).await?)
    }

    /// Until when attempts for this account must wait, if they must at `now`.
    pub async fn blocked_until(&self, hash: &str, now: DateTime<Utc>) -> ApiResult<Option<DateTime<Utc>>> {
        Ok(self.row(hash).await?.and_then(|r| r.blocked_until).filter(|until| *until > now))
    }

    /// Counts a failure: past the threshold, each one doubles the wait before the next attempt.
    /// Failures are forgotten after `reset_after_secs` without one.
    pub async fn fail(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        policy: &LoginSecuritySettings,
    ) -> ApiResult<Failure> {
        let reset_after = TimeDelta::seconds(i64::try_from(policy.reset_after_secs).unwrap_or(i64::MAX / 2));
        let (before, audited) = match self.row(hash).await? {
            Some(r) if now - r.last_failure_at <= reset_after || r.blocked_until.is_some_and(|u| u > now) => {
                (u32::try_from(r.failures).unwrap_or(0), r.audited)
            }
            _ => (0, false),
        };
        let failures = before.saturating_add(1);
        let delay = policy.delay_after(failures);
        let blocked_until =
            (!delay.is_zero()).then(|| now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::seconds(900)));
        let burst_started = blocked_until.is_some() && !audited;
        let row = login_throttle::ActiveModel {
            email_hash: Set(hash.to_owned()),
            failures: Set(i32::try_from(failures).unwrap_or(i32::MAX)),
            last_failure_at: Set(now),
            blocked_until: Set(blocked_until),
            audited: Set(audited || burst_started),
        };
        login_throttle::Entity::insert(row)
            .on_conflict(
                OnConflict::column(login_throttle::Column::EmailHash)
                    .update_columns([
                        login_throttle::Column::Failures,
                        login_throttle::Column::LastFailureAt,
                        login_throttle::Column::BlockedUntil,
                        login_throttle::Column::Audited,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(Failure { failures, blocked_until, burst_started })
    }

    /// A successful sign-in forgets the account's failures.
    pub async fn clear(&self, hash: &str) -> ApiResult<()> {
        login_throttle::Entity::delete_by_id(hash.to_owned()).exec(&self.db).await?;
        Ok(())
    }
}

/// One entry of the security audit.
pub struct AuditEntry<'a> {
    pub tenant_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub email: &'a str,
    pub kind: &'a str,
    pub detail: String,
}

#[derive(Clone)]
pub struct Audit {
    db: DatabaseConnection,
}

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn record(&self, entry: AuditEntry<'_>, now: DateTime<Utc>) -> ApiResult<()> {
        security_audit::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(entry.tenant_id),
            user_id: Set(entry.user_id),
            email: Set(entry.email.chars().filter(|c| !c.is_control()).take(320).collect()),
            kind: Set(entry.kind.to_owned()),
            detail: Set(entry.detail),
            at: Set(now),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Newest first: one tenant's entries, or (provider staff) every entry.
    pub async fn list(&self, scope: Option<&TenantScope>, limit: u64) -> ApiResult<Vec<AuditRow>> {
        let select = match scope {
            Some(scope) => security_audit::Entity::scoped(scope),
            None => security_audit::Entity::across_tenants(CrossTenant::ProviderStaff),
        };
        Ok(select
            .order_by_desc(security_audit::Column::At)
            .order_by_desc(security_audit::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

#[derive(Clone)]
pub struct Totps {
    db: DatabaseConnection,
}

impl Totps {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The user's factor, confirmed or not (the user is resolved by the caller).
    pub async fn get(&self, user_id: Uuid) -> ApiResult<Option<TotpRow>> {
        Ok(user_totp::Entity::across_tenants(CrossTenant::Credential)
            .filter(user_totp::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?)
    }

    /// Starts (or restarts) an enrolment; refused while a confirmed factor is active.
    pub async fn enroll(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        secret: String,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        if self.get(user_id).await?.is_some_and(|t| t.confirmed_at.is_some()) {
            return Err(ApiError::conflict("A second factor is already active; disable it first"));
        }
        self.remove(user_id).await?;
        user_totp::ActiveModel {
            user_id: Set(user_id),
            tenant_id: Set(tenant_id),
            secret: Set(secret),
            confirmed_at: Set(None),
            last_step: Set(0),
            created_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(|e| super::conflict_on_unique(e, "An enrolment is already in progress"))?;
        Ok(())
    }

    /// Accepts a code's step once: true when no code of this step (or a later one) was used
    /// before. With `confirm`, also activates a pending enrolment.
    pub async fn spend(&self, user_id: Uuid, step: i64, confirm: Option<DateTime<Utc>>) -> ApiResult<bool> {
        let mut update = user_totp::Entity::update_across_tenants(CrossTenant::Credential)
            .col_expr(user_totp::Column::LastStep, Expr::value(step))
            .filter(user_totp::Column::UserId.eq(user_id))
            .filter(user_totp::Column::LastStep.lt(step));
        if let Some(at) = confirm {
            update = update.col_expr(user_totp::Column::ConfirmedAt, Expr::value(at));
        }
        Ok(update.exec(&self.db).await?.rows_affected == 1)
    }

    pub async fn remove(&self, user_id: Uuid) -> ApiResult<bool> {
        let done = user_totp::Entity::delete_across_tenants(CrossTenant::Credential)
            .filter(user_totp::Column::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }
}

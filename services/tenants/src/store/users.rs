use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect, Select, Set,
    TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, TenantOwned, TenantScope};

use super::entities::user;

use super::sessions::Sessions;
use super::{conflict_on_unique, paged, revocations};
use crate::domain::user::roles_to_column;
use canopy_api::tenants::Withdrawn;

pub use super::entities::user::Model as UserRow;

/// Whose users: one tenant's, or the provider's own staff (no tenant).
#[derive(Clone, Copy, Debug)]
pub enum UserScope {
    Tenant(TenantScope),
    Provider,
}

impl UserScope {
    fn select(&self) -> Select<user::Entity> {
        match self {
            UserScope::Tenant(scope) => user::Entity::scoped(scope),
            UserScope::Provider => user::Entity::unowned(),
        }
    }

    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            UserScope::Tenant(scope) => Some(scope.tenant_id().0),
            UserScope::Provider => None,
        }
    }
}

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
}

impl NewUser {
    pub(super) fn into_active(self, scope: UserScope, now: DateTime<Utc>) -> user::ActiveModel {
        user::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            email: Set(self.email),
            display_name: Set(self.display_name),
            password_hash: Set(self.password_hash),
            roles: Set(roles_to_column(&self.roles)),
            active: Set(true),
            last_login_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            access_generation: Set(0),
            locale: Set(None),
        }
    }
}

#[derive(Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    /// `Some(None)` clears the user's own language.
    pub locale: Option<Option<String>>,
}

/// A user after a change, and the access revocation the change made (its `seq`), if any.
pub struct UserChange {
    pub user: user::Model,
    pub revoked: Option<i64>,
}

#[derive(Clone)]
pub struct Users {
    db: DatabaseConnection,
}

impl Users {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn create(&self, scope: UserScope, new: NewUser, now: DateTime<Utc>) -> ApiResult<user::Model> {
        new.into_active(scope, now)
            .insert(&self.db)
            .await
            .map_err(|e| conflict_on_unique(e, "A user with this email already exists"))
    }

    /// Login looks users up by email across every tenant: emails are unique platform-wide.
    pub async fn find_for_login(&self, email: &str) -> ApiResult<Option<user::Model>> {
        Ok(user::Entity::across_tenants(CrossTenant::Credential)
            .filter(user::Column::Email.eq(email))
            .one(&self.db)
            .await?)
    }

    /// A user by id for token refresh (the token names it; no scope is known yet).
    pub async fn find_for_refresh(&self, id: Uuid) -> ApiResult<Option<user::Model>> {
        Ok(user::Entity::across_tenants(CrossTenant::Credential)
            .filter(user::Column::Id.eq(id))
            .one(&self.db)
            .await?)
    }

    pub async fn get(&self, scope: UserScope, id: Uuid) -> ApiResult<user::Model> {
        scope
            .select()
            .filter(user::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))
    }

    pub async fn list(&self, scope: UserScope, page: &PageParams) -> ApiResult<(Vec<user::Model>, u64)> {
        let (query, limit) = paged(scope.select(), user::Column::Id, page)?;
        Ok((query.all(&self.db).await?, limit))
    }

    /// Applies `patch`. Deactivation, a password or a role change withdraw the user's access
    /// at once: their generation is raised and a revocation of the older ones is recorded
    /// (valid until `revocation_expires_at`); deactivation and a password change also end
    /// their sessions (refresh tokens). All in one transaction.
    pub async fn update(
        &self,
        scope: UserScope,
        id: Uuid,
        patch: UserPatch,
        now: DateTime<Utc>,
        revocation_expires_at: DateTime<Utc>,
    ) -> ApiResult<UserChange> {
        let txn = self.db.begin().await?;
        let current = scope
            .select()
            .filter(user::Column::Id.eq(id))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let roles = patch.roles.map(|r| roles_to_column(&r)).filter(|r| *r != current.roles);
        let ends_sessions = patch.active == Some(false) || patch.password_hash.is_some();
        let withdraws = ends_sessions || roles.is_some();
        let generation = current.access_generation + 1;
        let mut active: user::ActiveModel = current.into();
        if let Some(name) = patch.display_name {
            active.display_name = Set(name);
        }
        if let Some(roles) = roles {
            active.roles = Set(roles);
        }
        if let Some(flag) = patch.active {
            active.active = Set(flag);
        }
        if let Some(hash) = patch.password_hash {
            active.password_hash = Set(hash);
        }
        if let Some(locale) = patch.locale {
            active.locale = Set(locale);
        }
        if withdraws {
            active.access_generation = Set(generation);
        }
        active.updated_at = Set(now);
        let user = active.update(&txn).await?;
        if ends_sessions {
            Sessions::revoke_user_in(&txn, user.id, now).await?;
        }
        let revoked = if withdraws {
            let withdrawn = Withdrawn::Subject { sub: user.id, generation };
            Some(revocations::record(&txn, withdrawn, user.tenant_id, now, revocation_expires_at).await?)
        } else {
            None
        };
        txn.commit().await?;
        Ok(UserChange { user, revoked })
    }

    /// Records a login of the user just signed in (by e-mail, before any scope).
    pub async fn touch_login(&self, id: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
        user::Entity::update_across_tenants(CrossTenant::Credential)
            .col_expr(user::Column::LastLoginAt, Expr::value(now))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Is there an active provider admin? (First start creates one when there is not.)
    pub async fn provider_admin_exists(&self) -> ApiResult<bool> {
        let admins = UserScope::Provider
            .select()
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::Roles.contains(Role::ProviderAdmin.as_str()))
            .limit(1)
            .all(&self.db)
            .await?;
        Ok(!admins.is_empty())
    }
}

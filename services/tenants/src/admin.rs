//! Operations run from the shell (`canopy admin …`, `canopy demo`), straight on the database.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::validate::normalize_email;
use canopy_kernel::{ApiError, ApiResult, Violations};

use crate::domain::config::{Locale, TenantConfig, check_timezone};
use crate::domain::secrets::PasswordHasherConfig;
use crate::domain::tenant::check_key;
use crate::domain::user::{check_email, check_password};
use crate::store::configs::Configs;
use crate::store::tenants::{NewTenant, TenantRow, Tenants};
use crate::store::users::{NewUser, UserRow, UserScope, Users};

/// The system actor recorded for changes made from the shell.
pub const SHELL_ACTOR: Uuid = Uuid::nil();

pub struct TenantSpec<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub timezone: &'a str,
    pub locale: Locale,
    pub tier: &'a str,
    pub trial_ends_at: Option<DateTime<Utc>>,
}

pub struct Shell {
    pub tenants: Tenants,
    pub users: Users,
    pub configs: Configs,
    pub passwords: PasswordHasherConfig,
}

impl Shell {
    pub fn new(db: DatabaseConnection, passwords: PasswordHasherConfig) -> Self {
        Self {
            tenants: Tenants::new(db.clone()),
            users: Users::new(db.clone()),
            configs: Configs::new(db),
            passwords,
        }
    }

    pub async fn create_tenant(&self, spec: TenantSpec<'_>, now: DateTime<Utc>) -> ApiResult<TenantRow> {
        let mut v = Violations::new();
        check_key(spec.key, &mut v);
        check_timezone(spec.timezone, &mut v);
        v.check(!spec.name.trim().is_empty(), "name", "must not be empty");
        v.into_result()?;
        let new = NewTenant {
            id: Uuid::now_v7(),
            key: spec.key.to_owned(),
            name: spec.name.trim().to_owned(),
            tier: spec.tier.to_owned(),
            trial_ends_at: spec.trial_ends_at,
        };
        let config = TenantConfig::initial(spec.timezone, spec.locale);
        Ok(self.tenants.create(new, &config, SHELL_ACTOR, None, now).await?.0)
    }

    pub async fn create_user(
        &self,
        tenant: Option<Uuid>,
        email: &str,
        name: &str,
        password: &str,
        roles: Vec<Role>,
        now: DateTime<Utc>,
    ) -> ApiResult<UserRow> {
        let mut v = Violations::new();
        check_email(email, &mut v);
        check_password(password, "password", &mut v);
        if roles.iter().any(|r| r.is_provider() == tenant.is_some()) || roles.is_empty() {
            v.add("roles", "tenant users take tenant roles; provider staff take provider roles");
        }
        v.into_result()?;
        let scope = match tenant {
            Some(t) => UserScope::Tenant(canopy_kernel::TenantScope::trusted(canopy_kernel::TenantId(t))),
            None => UserScope::Provider,
        };
        let password_hash = self.passwords.hash(password).map_err(ApiError::internal)?;
        let new =
            NewUser { email: normalize_email(email), display_name: name.to_owned(), password_hash, roles };
        self.users.create(scope, new, now).await
    }
}

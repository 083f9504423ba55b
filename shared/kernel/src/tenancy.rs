//! The caller and the tenant it may touch. The only way to reach a tenant's rows is a
//! [`TenantScope`], and the only way to get one is to ask the [`Principal`] for it, so a
//! handler cannot forget the tenant, nor reach another's.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{AuthError, Claims, PrincipalKind, Role, TokenVerifier};
use crate::error::{ApiError, ErrorCode};

/// The header the gateway sets (after stripping any client-sent one) to tell services
/// the tenant it derived from the credential. Services still decide from the token.
pub const TENANT_HEADER: &str = "x-canopy-tenant-id";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An authenticated caller, from a verified access token.
#[derive(Clone, Debug)]
pub struct Principal {
    pub subject: Uuid,
    pub kind: PrincipalKind,
    pub tenant_id: Option<TenantId>,
    pub roles: Vec<Role>,
    pub scopes: Vec<String>,
    pub token_id: Uuid,
    pub expires_at: i64,
}

impl Principal {
    pub fn from_claims(claims: Claims) -> Result<Self, AuthError> {
        let provider = claims.roles.iter().any(|r| r.is_provider());
        let tenant = claims.roles.iter().any(|r| !r.is_provider());
        // A token mixing tenant and provider roles, or a tenant role without a tenant,
        // was not made by us.
        let mixed = provider && tenant;
        let misplaced = (tenant && claims.tid.is_none()) || (provider && claims.tid.is_some());
        if mixed || misplaced {
            return Err(AuthError::Invalid("inconsistent roles"));
        }
        if claims.kind == PrincipalKind::User && claims.roles.is_empty() {
            return Err(AuthError::Invalid("a user token carries roles"));
        }
        if claims.kind == PrincipalKind::ApiKey && (claims.tid.is_none() || provider) {
            return Err(AuthError::Invalid("an API key belongs to a tenant"));
        }
        Ok(Self {
            subject: claims.sub,
            kind: claims.kind,
            tenant_id: claims.tid.map(TenantId),
            roles: claims.roles,
            scopes: claims
                .scope
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            token_id: claims.jti,
            expires_at: claims.exp,
        })
    }

    pub fn is_provider(&self) -> bool {
        self.tenant_id.is_none() && self.roles.iter().any(|r| r.is_provider())
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// 403 unless the caller holds one of `roles`.
    /// A platform service acting on its own (a service token: no tenant, the nil subject),
    /// not a person.
    pub fn is_service(&self) -> bool {
        self.subject.is_nil() && self.tenant_id.is_none()
    }

    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs one of the roles: {}",
                roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            )))
        }
    }

    /// 403 unless the caller holds one of `roles`, or is an API key with one of `scopes`.
    pub fn require_role_or_scope(&self, roles: &[Role], scopes: &[&str]) -> Result<(), ApiError> {
        if self.kind == PrincipalKind::ApiKey && scopes.iter().any(|s| self.has_scope(s)) {
            return Ok(());
        }
        self.require_any(roles)
    }

    /// The scope for a tenant named in a request. Another tenant's resources answer
    /// exactly as if they did not exist: 404, never 403, so nothing leaks.
    pub fn scope_for(&self, tenant: Uuid) -> Result<TenantScope, ApiError> {
        match self.tenant_id {
            None if self.is_provider() => Ok(TenantScope(TenantId(tenant))),
            Some(own) if own.0 == tenant => Ok(TenantScope(own)),
            _ => Err(ApiError::not_found("tenant")),
        }
    }

    /// What a listing may show: every tenant for provider roles, else the caller's own.
    pub fn list_scope(&self) -> ListScope {
        match self.tenant_id {
            Some(own) => ListScope::Tenant(TenantScope(own)),
            None => ListScope::AllTenants,
        }
    }
}

/// Proof that the caller may work inside one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantScope(TenantId);

impl TenantScope {
    pub fn tenant_id(&self) -> TenantId {
        self.0
    }

    /// For work that no request drives (jobs, bootstrap, event consumers): the caller
    /// takes responsibility for having checked the tenant.
    pub fn trusted(tenant: TenantId) -> Self {
        Self(tenant)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListScope {
    AllTenants,
    Tenant(TenantScope),
}

/// Why a query on a tenant-owned table is not confined to one tenant. The few such queries
/// name their reason, so that they stand out (search for `across_tenants`) and can be reviewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossTenant {
    /// Resolving a presented credential (login e-mail, API key, refresh token, a token's
    /// subject): no tenant is known until it is resolved.
    Credential,
    /// Finding which tenant owns an id; the caller checks the answer against its scope
    /// before anything is shown.
    Owner,
    /// Provider staff's work over every tenant (dispatch, rounds, finance), behind provider
    /// roles the route checks.
    ProviderStaff,
    /// Platform work that serves every tenant rather than one caller: event outboxes, the
    /// breach watch, billing and dunning runs, payment and webhook delivery queues, scheduled
    /// jobs, the payment provider's callbacks.
    Worker,
}

/// An entity whose rows belong to a tenant. Queries start from these constructors; implement
/// it with [`tenant_owned!`](crate::tenant_owned).
pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;

    fn scoped(scope: &TenantScope) -> Select<Self> {
        Self::find().filter(Self::tenant_column().eq(scope.tenant_id().0))
    }

    fn listed(scope: &ListScope) -> Select<Self> {
        match scope {
            ListScope::AllTenants => Self::find(),
            ListScope::Tenant(scope) => Self::scoped(scope),
        }
    }

    fn scoped_update(scope: &TenantScope) -> UpdateMany<Self> {
        Self::update_many().filter(Self::tenant_column().eq(scope.tenant_id().0).into_condition())
    }

    fn scoped_delete(scope: &TenantScope) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::tenant_column().eq(scope.tenant_id().0).into_condition())
    }

    /// The rows of no tenant (the provider's own), where the tenant column may be null.
    fn unowned() -> Select<Self> {
        Self::find().filter(Self::tenant_column().is_null())
    }

    /// Every tenant's rows, for one of the reasons [`CrossTenant`] names.
    fn across_tenants(_why: CrossTenant) -> Select<Self> {
        Self::find()
    }

    fn update_across_tenants(_why: CrossTenant) -> UpdateMany<Self> {
        Self::update_many()
    }

    fn delete_across_tenants(_why: CrossTenant) -> DeleteMany<Self> {
        Self::delete_many()
    }
}

/// Declares the entity of the module it is used in tenant-owned, its tenant in `column`:
/// `canopy_kernel::tenant_owned!(Column::TenantId);` after the entity's model.
#[macro_export]
macro_rules! tenant_owned {
    ($column:path) => {
        impl $crate::TenantOwned for Entity {
            fn tenant_column() -> Column {
                $column
            }
        }
    };
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let bearer = |e: &str| {
            HeaderValue::from_str(&format!("Bearer error=\"{e}\""))
                .unwrap_or(HeaderValue::from_static("Bearer"))
        };
        match err {
            AuthError::Expired => {
                ApiError::new(ErrorCode::TokenExpired, "The access token has expired; refresh it")
                    .with_header(header::WWW_AUTHENTICATE, bearer("invalid_token"))
            }
            AuthError::Invalid(why) => {
                ApiError::new(ErrorCode::InvalidToken, format!("The access token is not valid: {why}"))
                    .with_header(header::WWW_AUTHENTICATE, bearer("invalid_token"))
            }
            AuthError::KeysUnavailable => ApiError::new(
                ErrorCode::ServiceUnavailable,
                "Token keys cannot be fetched right now; try again shortly",
            ),
        }
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(principal) = req.extensions().get::<Principal>() {
            let principal = principal.clone();
            return Box::pin(async move { Ok(principal) });
        }
        let token = bearer_token(req).map(str::to_owned);
        let verifier = req.app_data::<web::Data<Arc<TokenVerifier>>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "Send an access token: Authorization: Bearer <token>",
                )
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            })?;
            let verifier = verifier
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no token verifier configured")))?;
            let claims = verifier.verify(&token).await?;
            let principal = Principal::from_claims(claims)?;
            req.extensions_mut().insert(principal.clone());
            Ok(principal)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenKind;

    fn principal(tid: Option<Uuid>, roles: Vec<Role>) -> Result<Principal, AuthError> {
        Principal::from_claims(Claims {
            iss: "canopy".into(),
            aud: "canopy".into(),
            sub: Uuid::now_v7(),
            tid,
            roles,
            kind: PrincipalKind::User,
            typ: TokenKind::Access,
            scope: None,
            iat: 0,
            nbf: 0,
            exp: 0,
            jti: Uuid::new_v4(),
            generation: 0,
        })
    }

    #[test]
    fn another_tenant_is_not_found_rather_than_forbidden() {
        let own = Uuid::now_v7();
        let p = principal(Some(own), vec![Role::TenantAdmin]).unwrap();
        assert_eq!(p.scope_for(own).map(|s| s.tenant_id().0).ok(), Some(own));
        let err = p.scope_for(Uuid::now_v7()).err().map(|e| e.code());
        assert_eq!(err, Some(ErrorCode::NotFound));
    }

    #[test]
    fn provider_staff_reach_every_tenant() {
        let p = principal(None, vec![Role::Dispatcher]).unwrap();
        let t = Uuid::now_v7();
        assert_eq!(p.scope_for(t).map(|s| s.tenant_id().0).ok(), Some(t));
        assert_eq!(p.list_scope(), ListScope::AllTenants);
    }

    /// A tenant-owned table as the services declare theirs.
    mod note {
        use sea_orm::entity::prelude::*;

        #[sea_orm::model]
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "notes")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Option<Uuid>,
            pub body: String,
        }

        impl ActiveModelBehavior for ActiveModel {}

        crate::tenant_owned!(Column::TenantId);
    }

    #[test]
    fn tenant_owned_queries_filter_by_the_tenant() {
        use sea_orm::sea_query::Expr;
        use sea_orm::{DbBackend, QueryTrait};

        let t = Uuid::now_v7();
        let scope = TenantScope::trusted(TenantId(t));
        let sql = |q: sea_orm::Statement| q.to_string();
        let filter = format!(r#"WHERE "notes"."tenant_id" = '{t}'"#);
        let select = sql(note::Entity::scoped(&scope).build(DbBackend::Sqlite));
        assert!(select.ends_with(&filter), "{select}");
        let listed = sql(note::Entity::listed(&ListScope::Tenant(scope)).build(DbBackend::Sqlite));
        assert_eq!(listed, select);
        let update = sql(note::Entity::scoped_update(&scope)
            .col_expr(note::Column::Body, Expr::value("x"))
            .build(DbBackend::Sqlite));
        assert!(update.ends_with(&filter), "{update}");
        let delete = sql(note::Entity::scoped_delete(&scope).build(DbBackend::Sqlite));
        assert!(delete.ends_with(&filter), "{delete}");
        let unowned = sql(note::Entity::unowned().build(DbBackend::Sqlite));
        assert!(unowned.ends_with(r#"WHERE "notes"."tenant_id" IS NULL"#), "{unowned}");

        // Only the named ways reach every tenant.
        for q in
            [note::Entity::listed(&ListScope::AllTenants), note::Entity::across_tenants(CrossTenant::Worker)]
        {
            let all = sql(q.build(DbBackend::Sqlite));
            assert!(!all.contains("WHERE"), "{all}");
        }
    }

    #[test]
    fn inconsistent_tokens_are_refused() {
        assert!(principal(None, vec![Role::Requester]).is_err());
        assert!(principal(Some(Uuid::now_v7()), vec![Role::ProviderAdmin]).is_err());
        assert!(principal(Some(Uuid::now_v7()), vec![Role::Requester, Role::Agent]).is_err());
        assert!(principal(None, vec![]).is_err());
    }
}

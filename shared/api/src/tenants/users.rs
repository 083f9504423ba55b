//! A tenant's users as its admins manage them: invited with a first password and a role,
//! changed (name, role, password, active), deactivated.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{TenantsClient, UserView};
use crate::Page;
use crate::client::{Call, CallError, PathQuery, all_pages};

/// `POST /tenants/{id}/users` (and `POST /users` for provider staff).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(example = "li.wei@acme.example")]
    pub email: String,
    #[schema(example = "Li Wei")]
    pub display_name: String,
    /// 10–256 characters.
    pub password: String,
    /// Tenant users: `requester`, `tenant_admin`. Provider staff: `agent`, `engineer`, `dispatcher`, `provider_admin`.
    /// A tenant's first admin (`admin` of `POST /tenants`) is always `tenant_admin`.
    #[serde(default)]
    #[schema(example = json!(["requester"]))]
    pub roles: Vec<String>,
}

/// `PATCH /tenants/{id}/users/{id}` (and `/users/{id}`): only what is sent changes.
#[derive(Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A change ends the user's current access tokens at once; their next sign-in or refresh
    /// carries the new roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// `false` deactivates the user and ends their sessions and access tokens at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Sets a new password and ends the user's sessions and access tokens at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The fewest characters of a password.
pub const MIN_PASSWORD: usize = 10;
/// The most characters of a password.
pub const MAX_PASSWORD: usize = 256;

impl TenantsClient {
    /// One page of the tenant's users.
    pub async fn tenant_users_page(
        &self,
        token: &str,
        tenant: Uuid,
        cursor: Option<String>,
    ) -> Result<Page<UserView>, CallError> {
        let path = PathQuery::new(format!("/api/v1/tenants/{tenant}/users"))
            .arg("limit", 200)
            .opt("cursor", cursor)
            .build();
        Call::get(&self.client, path).bearer(token).answer().await
    }

    /// Every user of the tenant, active or not.
    pub async fn all_tenant_users(&self, token: &str, tenant: Uuid) -> Result<Vec<UserView>, CallError> {
        all_pages(|cursor| self.tenant_users_page(token, tenant, cursor)).await
    }

    /// Adds a user to the tenant (409 when the email is taken, 422 per bad field).
    pub async fn create_tenant_user(
        &self,
        token: &str,
        tenant: Uuid,
        user: &NewUserRequest,
    ) -> Result<UserView, CallError> {
        Call::post(&self.client, format!("/api/v1/tenants/{tenant}/users"))
            .bearer(token)
            .json(user)?
            .answer()
            .await
    }

    /// Changes a user of the tenant (404 for no user of this tenant).
    pub async fn update_tenant_user(
        &self,
        token: &str,
        tenant: Uuid,
        user: Uuid,
        patch: &PatchUserRequest,
    ) -> Result<UserView, CallError> {
        Call::new(&self.client, Method::PATCH, format!("/api/v1/tenants/{tenant}/users/{user}"))
            .bearer(token)
            .json(patch)?
            .answer()
            .await
    }

    /// Deactivates a user of the tenant and ends their access at once (409 for oneself).
    pub async fn deactivate_tenant_user(
        &self,
        token: &str,
        tenant: Uuid,
        user: Uuid,
    ) -> Result<(), CallError> {
        Call::new(&self.client, Method::DELETE, format!("/api/v1/tenants/{tenant}/users/{user}"))
            .bearer(token)
            .done()
            .await
    }
}

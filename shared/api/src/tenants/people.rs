//! A tenant's users as its admins (and each user themselves) read them.

use uuid::Uuid;

use super::{TenantsClient, UserView};
use crate::client::{Call, CallError};

impl TenantsClient {
    /// A user of the tenant: the tenant's admins may read any, a requester only themselves
    /// (404 for no user of this tenant, 403 for a user the token's holder may not read).
    pub async fn tenant_user(&self, token: &str, tenant: Uuid, user: Uuid) -> Result<UserView, CallError> {
        Call::get(&self.client, format!("/api/v1/tenants/{tenant}/users/{user}")).bearer(token).answer().await
    }
}

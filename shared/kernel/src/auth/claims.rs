use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// SMB employee: raises and follows tickets.
    Requester,
    /// The SMB's IT contact: users, configuration, approvals, reports, invoices.
    TenantAdmin,
    /// Provider service desk (L1).
    Agent,
    /// Provider engineer (L2/L3).
    Engineer,
    /// Provider dispatcher.
    Dispatcher,
    /// Provider administrator and finance.
    ProviderAdmin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Requester,
        Role::TenantAdmin,
        Role::Agent,
        Role::Engineer,
        Role::Dispatcher,
        Role::ProviderAdmin,
    ];

    /// Provider roles work across tenants; tenant roles only inside their own.
    pub fn is_provider(self) -> bool {
        matches!(self, Role::Agent | Role::Engineer | Role::Dispatcher | Role::ProviderAdmin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::TenantAdmin => "tenant_admin",
            Role::Agent => "agent",
            Role::Engineer => "engineer",
            Role::Dispatcher => "dispatcher",
            Role::ProviderAdmin => "provider_admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            format!("unknown role `{s}`; roles are {}", Role::ALL.map(Role::as_str).join(", "))
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    /// A monitoring agent's tenant API key, exchanged by the gateway for a short-lived token.
    ApiKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
}

/// The claims of every Canopy access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user, or the API key.
    pub sub: Uuid,
    /// The tenant; absent for provider staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub kind: PrincipalKind,
    pub typ: TokenKind,
    /// Space-separated scopes of an API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The user's access generation when the token was issued: deactivation, a role or
    /// password change raise it, and the gateway refuses tokens of an older generation.
    /// Tokens from before generations existed read as 0.
    #[serde(default, rename = "gen")]
    pub generation: i64,
}

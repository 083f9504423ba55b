//! Table definitions, kept apart from the logic that uses them.

pub mod tenant {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub key: String,
        pub name: String,
        pub status: String,
        pub tier: String,
        pub trial_ends_at: Option<DateTimeUtc>,
        pub status_reason: Option<String>,
        pub status_changed_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::Id);
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// None for provider staff.
        pub tenant_id: Option<Uuid>,
        #[sea_orm(unique)]
        pub email: String,
        pub display_name: String,
        pub password_hash: String,
        pub roles: String,
        pub active: bool,
        pub last_login_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Raised when the user's access must end (deactivation, role or password change);
        /// tokens carry the generation they were issued under.
        pub access_generation: i64,
        /// The user's own language for the pages (`en`, `zh-CN`); none: the tenant's.
        pub locale: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Every token issued from one login shares a family; reuse of a spent one revokes it.
        pub family_id: Uuid,
        pub user_id: Uuid,
        pub tenant_id: Option<Uuid>,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub issued_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        #[sea_orm(unique)]
        pub prefix: String,
        pub secret_hash: String,
        pub scopes: String,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod tenant_config {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_configs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i64,
        #[sea_orm(column_type = "JsonBinary")]
        pub document: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub changed_paths: Json,
        pub changed_by: Uuid,
        pub changed_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        /// PKCS#8 DER, base64.
        pub private_key: String,
        pub created_at: DateTimeUtc,
        pub retired_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub webhook_id: Uuid,
        pub event_id: String,
        pub event_type: String,
        pub url: String,
        pub payload: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: Option<DateTimeUtc>,
        pub last_attempt_at: Option<DateTimeUtc>,
        pub last_status_code: Option<i32>,
        pub last_error: Option<String>,
        pub delivered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod login_throttle {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_throttles")]
    pub struct Model {
        /// SHA-256 (hex) of the normalised e-mail: known and unknown addresses alike.
        #[sea_orm(primary_key, auto_increment = false)]
        pub email_hash: String,
        pub failures: i32,
        pub last_failure_at: DateTimeUtc,
        pub blocked_until: Option<DateTimeUtc>,
        /// The current burst has been written to the security audit.
        pub audited: bool,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user_totp {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_totp")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub tenant_id: Option<Uuid>,
        /// Base32. Returned once, when enrolled; never again.
        pub secret: String,
        /// None until a first code confirms the enrolment.
        pub confirmed_at: Option<DateTimeUtc>,
        /// The last 30-second step a code was accepted for.
        pub last_step: i64,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod security_audit {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "security_audit")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The account's tenant; None for provider staff and unknown addresses.
        pub tenant_id: Option<Uuid>,
        pub user_id: Option<Uuid>,
        pub email: String,
        pub kind: String,
        pub detail: String,
        pub at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod access_revocation {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "access_revocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        /// token, subject (a user or an API key), tenant
        pub kind: String,
        /// The token's jti, the user's (or API key's) or the tenant's id.
        pub subject: Uuid,
        /// A subject's: tokens of a lower generation are dead.
        pub generation: Option<i64>,
        /// A tenant's: tokens issued at or before this (Unix seconds) are dead.
        pub issued_up_to: Option<i64>,
        /// The tenant concerned, when there is one (none for provider staff).
        pub tenant_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        /// After this no token it concerns is valid any more.
        pub expires_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    canopy_kernel::tenant_owned!(Column::TenantId);
}

pub mod access_revocation_head {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "access_revocation_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

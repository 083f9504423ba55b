//! Token signing keys, shared by every replica of the tenants service through its database.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use canopy_kernel::auth::{Jwks, KeySource, SigningKey};

use super::entities::signing_key;

#[derive(Clone)]
pub struct Keys {
    db: DatabaseConnection,
}

impl Keys {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Keys not retired, newest first.
    pub async fn live(&self) -> anyhow::Result<Vec<SigningKey>> {
        let rows = signing_key::Entity::find()
            .filter(signing_key::Column::RetiredAt.is_null())
            .order_by_desc(signing_key::Column::CreatedAt)
            .order_by_asc(signing_key::Column::Kid)
            .all(&self.db)
            .await?;
        rows.iter().map(|row| SigningKey::from_pkcs8_der(&STANDARD.decode(&row.private_key)?)).collect()
    }

    /// Records `key` (configured or generated) if the table does not know it yet.
    pub async fn ensure(&self, key: &SigningKey, now: DateTime<Utc>) -> anyhow::Result<()> {
        if signing_key::Entity::find_by_id(key.kid().to_owned()).one(&self.db).await?.is_some() {
            return Ok(());
        }
        let inserted = signing_key::ActiveModel {
            kid: Set(key.kid().to_owned()),
            private_key: Set(STANDARD.encode(key.pkcs8_der())),
            created_at: Set(now),
            retired_at: Set(None),
        }
        .insert(&self.db)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            // Another replica recorded it first.
            Err(err) if canopy_kernel::db::is_unique_violation(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Public keys, as `/.well-known/jwks.json` publishes them.
    pub async fn jwks(&self) -> anyhow::Result<Jwks> {
        Ok(Jwks { keys: self.live().await?.iter().map(SigningKey::jwk).collect() })
    }
}

#[async_trait]
impl KeySource for Keys {
    async fn fetch(&self) -> anyhow::Result<Jwks> {
        self.jwks().await
    }
}

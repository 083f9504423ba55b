//! Database connections: PostgreSQL with one schema per service, or one SQLite file per
//! service under the data directory (the embedded default). Same entities, same migrations.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Statement,
};

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::http::PageParams;

/// Where a service's tables live, for logs and `canopy` output.
pub fn describe(settings: &Settings, schema: &str) -> String {
    match &settings.database_url {
        Some(_) => format!("PostgreSQL schema `{schema}`"),
        None => format!("SQLite {}", sqlite_path(settings, schema).display()),
    }
}

fn sqlite_path(settings: &Settings, schema: &str) -> std::path::PathBuf {
    settings.data_dir.join(format!("{schema}.sqlite3"))
}

/// Connects a service to its own schema (PostgreSQL) or file (SQLite), creating either if needed.
pub async fn connect(settings: &Settings, schema: &str) -> anyhow::Result<DatabaseConnection> {
    anyhow::ensure!(
        !schema.is_empty() && schema.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "schema names are lower-case words"
    );
    match &settings.database_url {
        Some(url) => {
            let url = url.expose();
            // The schema must exist before connections put it on their search path.
            let bootstrap = Database::connect(single(url)).await.context("connecting to PostgreSQL")?;
            bootstrap
                .execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await
                .with_context(|| format!("creating schema {schema}"))?;
            bootstrap.close().await.ok();

            let mut options = ConnectOptions::new(url.clone());
            options
                .max_connections(settings.database.max_connections)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
                .set_schema_search_path(schema.to_owned())
                .set_application_name(format!("canopy-{schema}"))
                .sqlx_logging(false);
            Database::connect(options).await.context("connecting to PostgreSQL")
        }
        None => {
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
            let path = sqlite_path(settings, schema);
            let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
            // One connection: SQLite has one writer, and a single connection avoids
            // lock-upgrade failures between concurrent transactions. FULL sync: an answered
            // write survives a power cut, not only a crash.
            options
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
                .sqlx_logging(false)
                .map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
            Database::connect(options)
                .await
                .with_context(|| format!("opening SQLite database {}", path.display()))
        }
    }
}

fn single(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).min_connections(0).sqlx_logging(false);
    options
}

/// True when the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Creates a PostgreSQL database (tests, `canopy migrate --create`). `server_url` names any
/// database on the server, e.g. `postgres://postgres@127.0.0.1/postgres`.
pub async fn create_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "bad database name");
    let db = Database::connect(single(server_url)).await?;
    db.execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}"))).await?;
    db.close().await.ok();
    Ok(())
}

pub async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "bad database name");
    let db = Database::connect(single(server_url)).await?;
    db.execute_raw(Statement::from_string(
        DbBackend::Postgres,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    ))
    .await?;
    db.close().await.ok();
    Ok(())
}

/// Is this error a unique-constraint violation (on either backend)?
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Applies `?cursor=&limit=` to a query ordered by an id column (UUIDv7, so creation order);
/// fetches one row more than the page to know whether another page follows.
pub fn paged<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    page: &PageParams,
) -> ApiResult<(Select<E>, u64)>
where
    E::Column: ColumnTrait,
{
    let limit = page.limit()?;
    let mut query = query.order_by_asc(id).limit(limit + 1);
    if let Some(after) = page.after()? {
        query = query.filter(id.gt(after));
    }
    Ok((query, limit))
}

/// A unique-constraint violation becomes a 409 naming what is taken; anything else is unexpected.
pub fn conflict_on_unique(err: sea_orm::DbErr, what: &str) -> ApiError {
    if is_unique_violation(&err) { ApiError::conflict(what.to_owned()) } else { ApiError::internal(err) }
}

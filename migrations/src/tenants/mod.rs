use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261123_000002_webhook_deliveries;
mod m20261201_000031_login_security;
mod m20261201_000032_access_revocations;
mod m20261210_000033_user_locale;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261123_000002_webhook_deliveries::Migration),
            Box::new(m20261201_000031_login_security::Migration),
            Box::new(m20261201_000032_access_revocations::Migration),
            Box::new(m20261210_000033_user_locale::Migration),
        ]
    }
}

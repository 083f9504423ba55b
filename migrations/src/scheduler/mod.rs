use sea_orm_migration::prelude::*;

mod m20261123_000001_engineers;
mod m20261123_000002_jobs;
mod m20261123_000003_dispatch;
mod m20261130_000004_rounds;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_engineers::Migration),
            Box::new(m20261123_000002_jobs::Migration),
            Box::new(m20261123_000003_dispatch::Migration),
            Box::new(m20261130_000004_rounds::Migration),
        ]
    }
}

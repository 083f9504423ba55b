use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_breaches;
mod m20261122_000003_work;
mod m20261122_000004_problems_changes;
mod m20261123_000005_carried_time;
mod m20261201_000006_agent_events;
mod m20261201_000007_knowledge;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_breaches::Migration),
            Box::new(m20261122_000003_work::Migration),
            Box::new(m20261122_000004_problems_changes::Migration),
            Box::new(m20261123_000005_carried_time::Migration),
            Box::new(m20261201_000006_agent_events::Migration),
            Box::new(m20261201_000007_knowledge::Migration),
        ]
    }
}

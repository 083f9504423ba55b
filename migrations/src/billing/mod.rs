use sea_orm_migration::prelude::*;

mod m20261130_000001_invoices;
mod m20261130_000002_dunning;
mod m20261130_000003_stripe;
mod m20261130_000004_availability;
mod m20261201_000005_credit_notes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_invoices::Migration),
            Box::new(m20261130_000002_dunning::Migration),
            Box::new(m20261130_000003_stripe::Migration),
            Box::new(m20261130_000004_availability::Migration),
            Box::new(m20261201_000005_credit_notes::Migration),
        ]
    }
}

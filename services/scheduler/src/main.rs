//! The scheduler service on its own: `canopy-scheduler` (same as `canopy scheduler`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_scheduler::Scheduler>(settings).await
}

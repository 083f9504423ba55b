//! The scheduler service on its own: `canopy-scheduler` (same as `canopy scheduler`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_scheduler::Scheduler>().await
}

//! The ticketing service on its own: `canopy-ticketing` (same as `canopy ticketing`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_ticketing::Ticketing>(settings).await
}

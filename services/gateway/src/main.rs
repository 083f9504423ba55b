//! The gateway service on its own: `canopy-gateway` (same as `canopy gateway`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_gateway::Gateway>(settings).await
}

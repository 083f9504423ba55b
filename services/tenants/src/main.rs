//! The tenants service on its own: `canopy-tenants` (same as `canopy tenants`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_tenants::TenantsService>(settings).await
}

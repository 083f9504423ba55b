//! The tenants service on its own: `canopy-tenants` (same as `canopy tenants`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_tenants::TenantsService>().await
}

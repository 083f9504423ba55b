//! The catalog service on its own: `canopy-catalog` (same as `canopy catalog`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_catalog::Catalog>(settings).await
}

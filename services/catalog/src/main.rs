//! The catalog service on its own: `canopy-catalog` (same as `canopy catalog`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_catalog::Catalog>().await
}

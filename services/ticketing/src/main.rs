//! The ticketing service on its own: `canopy-ticketing` (same as `canopy ticketing`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_ticketing::Ticketing>().await
}

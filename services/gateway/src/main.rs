//! The gateway service on its own: `canopy-gateway` (same as `canopy gateway`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_gateway::Gateway>().await
}

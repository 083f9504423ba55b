//! The billing service on its own: `canopy-billing` (same as `canopy billing`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    canopy_kernel::service::main::<canopy_billing::Billing>().await
}

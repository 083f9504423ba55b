//! The billing service on its own: `canopy-billing` (same as `canopy billing`).

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = canopy_kernel::config::Settings::load(None)?;
    canopy_kernel::service::run_alone::<canopy_billing::Billing>(settings).await
}

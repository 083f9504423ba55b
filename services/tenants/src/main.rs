//! The tenants service on its own: `canopy-tenants` (same as `canopy tenants`).

use std::net::TcpListener;
use std::sync::Arc;

use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use canopy_kernel::config::Settings;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = Arc::new(Settings::load(None)?);
    let _telemetry = canopy_kernel::telemetry::init(&settings.telemetry, "canopy-tenants")?;
    let backends = Backends::from_settings(&settings).await?;
    let listener = TcpListener::bind(&settings.listen)?;
    let app = canopy_tenants::Application::build(settings, backends, Arc::new(SystemClock), listener).await?;
    app.run().await?;
    Ok(())
}

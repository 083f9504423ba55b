//! The gateway on its own: `canopy-gateway` (same as `canopy gateway`).

use std::net::TcpListener;
use std::sync::Arc;

use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use canopy_kernel::config::Settings;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = Arc::new(Settings::load(None)?);
    let _telemetry = canopy_kernel::telemetry::init(&settings.telemetry, "canopy-gateway")?;
    let backends = Backends::from_settings(&settings).await?;
    let listener = TcpListener::bind(&settings.listen)?;
    canopy_gateway::Application::build(settings, backends, Arc::new(SystemClock), listener)
        .await?
        .run()
        .await?;
    Ok(())
}

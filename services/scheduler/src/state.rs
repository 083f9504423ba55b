use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;

use crate::store::engineers::Engineers;

pub struct SchedulerState {
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub engineers: Engineers,
}

impl SchedulerState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

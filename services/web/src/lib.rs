//! The web application for people: the customers' portal (requesters and tenant admins) and,
//! next, the provider's console. Server-rendered pages (askama), htmx for partial updates,
//! text from the message catalogues in `locales/`. It is a client of the public API through
//! the gateway with the signed-in user's token, and reads no service's tables.

pub mod assets;
pub mod finance;
pub mod format;
pub mod i18n;
pub mod pages;
pub mod session;
pub mod state;
pub mod tickets;

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::config::Settings;
use canopy_kernel::service::{Context, DatabaseConnection, DbErr, Service};

use crate::session::Sessions;
use crate::state::{Api, WebState};

pub struct Web;

impl Service for Web {
    const NAME: &'static str = "web";
    const UPSTREAMS: &'static [&'static str] = &["gateway"];
    const DATABASE: bool = false;
    type Settings = Settings;
    type State = WebState;

    async fn migrate(_db: &DatabaseConnection) -> Result<(), DbErr> {
        Ok(())
    }

    async fn state(ctx: &Context<Settings>) -> anyhow::Result<WebState> {
        let secret = ctx.settings.auth.service_secret.as_ref().map(|s| s.expose().to_owned());
        Ok(WebState {
            settings: ctx.settings.clone(),
            backends: ctx.backends.clone(),
            api: Api::new(ctx.upstream("gateway"), secret),
            sessions: Sessions::new(ctx.backends.cache.clone()),
            clock: ctx.clock.clone(),
        })
    }

    /// Pages check their session themselves; the API checks the tokens.
    fn verifier(_state: &WebState) -> Option<Arc<TokenVerifier>> {
        None
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/healthz", web::get().to(canopy_kernel::http::healthz))
            .route("/readyz", web::get().to(readyz));
        assets::routes(cfg);
        pages::auth::routes(cfg);
        pages::home::routes(cfg);
        pages::portal::routes(cfg);
        pages::admin::routes(cfg);
        pages::settings::routes(cfg);
        pages::finance::routes(cfg);
        cfg.app_data(pages::form_config()).app_data(pages::query_config());
        // Every other path names nothing: the not-found page (routed last).
        cfg.route("/{tail:.*}", web::route().to(pages::not_found));
    }
}

/// Ready when the sessions' store answers.
async fn readyz(state: web::Data<WebState>) -> HttpResponse {
    canopy_kernel::http::readiness_of([state.backends.check().await])
}

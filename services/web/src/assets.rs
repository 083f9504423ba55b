//! The stylesheet and scripts, compiled in; and each tenant's colours as a stylesheet of
//! their own (the CSP allows no inline style).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::pages::Visitor;

const HTMX: &[u8] = include_bytes!("../assets/htmx/htmx.min.js");
const APP_CSS: &[u8] = include_bytes!("../assets/app.css");
const APP_JS: &[u8] = include_bytes!("../assets/app.js");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/assets/htmx.min.js",
        web::get().to(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
    )
    .route("/assets/app.css", web::get().to(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
    .route("/assets/app.js", web::get().to(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
    .route("/brand.css", web::get().to(brand));
}

fn asset(body: &'static [u8], content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The signed-in user's tenant's colour (checked `#RRGGBB` when the session was made).
async fn brand(visitor: Visitor) -> HttpResponse {
    let color = visitor.session.as_ref().and_then(|(_, s)| s.tenant.as_ref()).and_then(|t| t.color.clone());
    let body = match color {
        Some(c) => format!(":root {{ --brand: {c}; }}\n"),
        None => String::new(),
    };
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body)
}

//! The tenant admin's monthly IT service report (`/reports`, `/reports/{YYYY-MM}` and its CSV
//! and JSON) and invoices (`/invoices`, `/invoices/{id}` and its CSV). Anyone else gets the
//! not-found page. The figures are worked into rows by `crate::finance`.

mod invoices;
mod reports;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use canopy_api::client::Download;

use super::{Chrome, PageError, Signed, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The files first: `/reports/{period}` would also match `2026-10.csv`.
    cfg.route("/reports", web::get().to(reports::latest))
        .route("/reports/{period}.csv", web::get().to(reports::csv))
        .route("/reports/{period}.json", web::get().to(reports::json))
        .route("/reports/{period}", web::get().to(reports::page))
        .route("/invoices", web::get().to(invoices::list))
        .route("/invoices/{id}.csv", web::get().to(invoices::csv))
        .route("/invoices/{id}", web::get().to(invoices::page));
}

/// The tenant of a tenant admin; anyone else finds nothing here.
fn tenant_admin(signed: &Signed) -> Result<Uuid, PageError> {
    if !signed.user().is_tenant_admin() {
        return Err(PageError::not_found(signed.lang()));
    }
    signed.tenant()
}

/// A page that explains why there is nothing to show (a month that is not one, or has not
/// ended), with the way on.
#[derive(Template)]
#[template(path = "fin/notice.html")]
struct Notice {
    ctx: Chrome,
    status: StatusCode,
    title: String,
    text: String,
    link_href: String,
    link_label: String,
}

impl Notice {
    fn respond(&self) -> Result<HttpResponse, PageError> {
        render_status(self.status, self)
    }
}

/// A file from the API handed to the browser to keep: the service's type, and its name
/// (or `fallback`), as an attachment.
fn attachment(file: Download, fallback: &str) -> HttpResponse {
    let disposition = file
        .disposition
        .filter(|d| d.starts_with("attachment"))
        .unwrap_or_else(|| format!("attachment; filename=\"{fallback}\""));
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.content_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(file.body)
}

//! `/invoices`: the tenant's invoices; `/invoices/{id}`: one invoice with its credits
//! explained; `.csv`: billing's CSV of it. Another tenant's invoice, or an id that is not one,
//! is the same not-found page as a missing one.

use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::{attachment, tenant_admin};
use crate::finance::invoice::{InvoicePage, InvoiceRow};
use crate::pages::{Chrome, PageError, Signed, render};
use crate::state::WebState;

/// The most invoices the list shows (eight years of months).
const LIST_LIMIT: u32 = 100;

#[derive(Template)]
#[template(path = "fin/invoices.html")]
struct ListPage {
    ctx: Chrome,
    invoices: Vec<InvoiceRow>,
}

pub async fn list(state: web::Data<WebState>, signed: Signed) -> Result<HttpResponse, PageError> {
    let tenant = tenant_admin(&signed)?;
    let ctx = signed.chrome();
    let invoices = state
        .api
        .billing
        .invoice_list(signed.token(), Some(tenant), LIST_LIMIT)
        .await
        .map_err(|e| signed.fail(e))?;
    let invoices = invoices.iter().map(|i| InvoiceRow::of(&ctx, i)).collect();
    render(&ListPage { ctx, invoices })
}

#[derive(Template)]
#[template(path = "fin/invoice.html")]
struct DetailPage {
    ctx: Chrome,
    invoice: InvoicePage,
}

fn invoice_id(signed: &Signed, raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| PageError::not_found(signed.lang()))
}

pub async fn page(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_admin(&signed)?;
    let id = invoice_id(&signed, &path)?;
    let detail = state.api.billing.invoice(signed.token(), id).await.map_err(|e| signed.fail(e))?;
    if detail.invoice.tenant_id != tenant {
        return Err(PageError::not_found(signed.lang()));
    }
    let ctx = signed.chrome();
    let invoice = InvoicePage::of(&ctx, &detail);
    render(&DetailPage { ctx, invoice })
}

pub async fn csv(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    tenant_admin(&signed)?;
    let id = invoice_id(&signed, &path)?;
    let file = state.api.billing.invoice_csv(signed.token(), id).await.map_err(|e| signed.fail(e))?;
    Ok(attachment(file, &format!("invoice-{id}.csv")))
}

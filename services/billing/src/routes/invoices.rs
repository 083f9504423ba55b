//! `/billing/invoices` and `/billing/credits`: tenants read their own, provider admins (and
//! finance) every tenant's; another tenant's invoice is not found. Invoices also as CSV. The
//! local ledger settles an invoice by a finance action. `/billing/credit-notes`: with Stripe,
//! credits for a period already invoiced, as notes on that invoice.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, ListScope, Principal, Problem};

use super::parse;
use crate::domain::money::Period;
use crate::state::BillingState;
use crate::store::invoices::{AvailabilityRow, CreditNoteRow, CreditRow, InvoiceRow, LineRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/billing/invoices").route(web::get().to(list)))
        .service(web::resource("/api/v1/billing/invoices/{id}").route(web::get().to(get)))
        .service(web::resource("/api/v1/billing/invoices/{id}/csv").route(web::get().to(csv)))
        .service(web::resource("/api/v1/billing/invoices/{id}/payments").route(web::post().to(pay)))
        .service(web::resource("/api/v1/billing/credits").route(web::get().to(credits)))
        .service(web::resource("/api/v1/billing/credit-notes").route(web::get().to(credit_notes)))
        .service(
            web::resource("/api/v1/billing/availability")
                .route(web::put().to(record_availability))
                .route(web::get().to(availability)),
        );
}

const READERS: [Role; 2] = [Role::TenantAdmin, Role::ProviderAdmin];

fn scope(principal: &Principal, tenant: Option<Uuid>) -> ApiResult<ListScope> {
    principal.require_any(&READERS)?;
    match tenant {
        Some(t) => Ok(ListScope::Tenant(principal.scope_for(t)?)),
        None => Ok(principal.list_scope()),
    }
}

fn limit(l: Option<u64>) -> ApiResult<u64> {
    match l.unwrap_or(100) {
        l @ 1..=500 => Ok(l),
        _ => Err(ApiError::invalid("limit", "must be 1–500")),
    }
}

pub use canopy_api::billing::{CreditView, InvoiceView};

impl From<InvoiceRow> for InvoiceView {
    fn from(i: InvoiceRow) -> Self {
        Self {
            id: i.id,
            tenant_id: i.tenant_id,
            period: i.period,
            number: i.number,
            currency: i.currency,
            subtotal_minor: i.subtotal_minor,
            credits_minor: i.credits_minor,
            tax_rate_bp: i.tax_rate_bp,
            tax_minor: i.tax_minor,
            total_minor: i.total_minor,
            status: i.status,
            issued_at: i.issued_at,
            due_on: i.due_on,
            paid_at: i.paid_at,
            provider: i.provider,
            provider_ref: i.provider_ref,
            version: i.version,
        }
    }
}

pub use canopy_api::billing::{AvailabilityView, CreditNoteView, InvoiceDetail, LineDetails, LineView};

/// A stored line as the API shows it. Billing wrote its details from the same types, so a row
/// that does not read back is damaged: an internal error, logged.
fn line_view(l: LineRow) -> ApiResult<LineView> {
    let details: LineDetails = serde_json::from_value(l.details).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "invoice {} line {}: details unreadable: {e}",
            l.invoice_id,
            l.line_no
        ))
    })?;
    Ok(LineView {
        line_no: l.line_no,
        kind: l.kind,
        description: l.description,
        contract_id: l.contract_id,
        period: l.period,
        quantity: l.quantity,
        unit_minor: l.unit_minor,
        amount_minor: l.amount_minor,
        details,
    })
}

fn note_view(n: CreditNoteRow) -> CreditNoteView {
    CreditNoteView {
        id: n.id,
        tenant_id: n.tenant_id,
        invoice_id: n.invoice_id,
        credit_id: n.credit_id,
        number: n.number,
        currency: n.currency,
        amount_minor: n.amount_minor,
        tax_minor: n.tax_minor,
        total_minor: n.total_minor,
        settlement: n.settlement,
        description: n.description,
        status: n.status,
        provider_ref: n.provider_ref,
        last_error: n.last_error,
        created_at: n.created_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    pub tenant_id: Option<Uuid>,
    /// `YYYY-MM`.
    pub period: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing", security(("bearer" = [])), params(InvoiceQuery),
    responses((status = 200, body = Vec<InvoiceView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    state: web::Data<BillingState>,
    principal: Principal,
    q: web::Query<InvoiceQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    let period = match &q.period {
        Some(p) => Some(Period::parse(p).map_err(|m| ApiError::invalid("period", m))?.to_string()),
        None => None,
    };
    if let Some(s) = &q.status
        && !["issued", "paid", "payment_failed", "void"].contains(&s.as_str())
    {
        return Err(ApiError::invalid("status", "must be issued, paid, payment_failed or void"));
    }
    let rows = state.invoices.list(&scope, period.as_deref(), q.status.as_deref(), limit(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(InvoiceView::from).collect::<Vec<_>>()))
}

/// An invoice with its lines and the credit notes on it; another tenant's is not found.
async fn read(
    state: &BillingState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<(InvoiceRow, Vec<LineRow>, Vec<CreditNoteRow>)> {
    principal.require_any(&READERS)?;
    let scope = principal.list_scope();
    let inv = state.invoices.get(&scope, id).await?;
    let lines = state.invoices.lines(&scope, inv.id).await?;
    let mut notes = state.invoices.notes(&ListScope::AllTenants, Some(inv.id), 500).await?;
    notes.sort_by_key(|n| n.created_at);
    Ok((inv, lines, notes))
}

#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}", tag = "billing", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = InvoiceDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<BillingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (inv, lines, notes) = read(&state, &principal, *id).await?;
    let version = inv.version;
    let detail = InvoiceDetail {
        invoice: inv.into(),
        lines: lines.into_iter().map(line_view).collect::<ApiResult<_>>()?,
        credit_notes_minor: notes.iter().map(|n| n.total_minor).sum(),
        credit_notes: notes.into_iter().map(note_view).collect(),
    };
    Ok(HttpResponse::Ok().insert_header((header::ETAG, format!("\"{version}\""))).json(detail))
}

/// Minor units as a decimal amount (two decimals: the currencies Canopy bills in).
fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}/csv", tag = "billing", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn csv(
    state: web::Data<BillingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (inv, lines, notes) = read(&state, &principal, *id).await?;
    let mut out = canopy_kernel::csv::Writer::new(&[
        "invoice",
        "period",
        "line",
        "kind",
        "description",
        "service_period",
        "quantity",
        "unit",
        "amount",
        "currency",
    ]);
    for l in &lines {
        out.row([
            inv.number.clone(),
            inv.period.clone(),
            l.line_no.to_string(),
            l.kind.clone(),
            l.description.clone(),
            l.period.clone(),
            l.quantity.to_string(),
            decimal(l.unit_minor),
            decimal(l.amount_minor),
            inv.currency.clone(),
        ]);
    }
    for (what, amount) in [
        ("subtotal", inv.subtotal_minor),
        ("credits", -inv.credits_minor),
        ("tax", inv.tax_minor),
        ("total", inv.total_minor),
    ] {
        let amount = decimal(amount);
        out.row([&inv.number, &inv.period, "", what, "", "", "", "", &amount, &inv.currency]);
    }
    // Credit notes issued on it since, each as the amount it took off (tax included).
    for n in &notes {
        let amount = decimal(-n.total_minor);
        out.row([
            &n.number,
            &inv.period,
            "",
            "credit_note",
            &n.description,
            "",
            "1",
            "",
            &amount,
            &inv.currency,
        ]);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.csv\"", inv.number)))
        .body(out.finish()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// The bank transfer's reference, or how it was paid.
    pub reference: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/billing/invoices/{id}/payments", tag = "billing", security(("bearer" = [])),
    request_body = Payment,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")),
    description = "The local ledger: finance records that the invoice was paid.",
    responses((status = 200, body = InvoiceView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    state: web::Data<BillingState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::ProviderAdmin])?;
    let ask: Payment = parse(body.into_inner())?;
    let reference = match ask.reference.map(|r| r.trim().to_owned()) {
        Some(r) if r.chars().count() > 100 => {
            return Err(ApiError::invalid("reference", "at most 100 characters"));
        }
        Some(r) if r.is_empty() => None,
        r => r,
    };
    let current = state.invoices.get(&ListScope::AllTenants, *id).await?;
    let version = canopy_kernel::http::if_match(&req)?.unwrap_or(current.version);
    let paid = state.invoices.mark_paid(*id, version, principal.subject, reference, state.now()).await?;
    crate::dunning::after_payment(&state, paid.tenant_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", paid.version)))
        .json(InvoiceView::from(paid)))
}

/// A stored credit as the API shows it (its lines written from the same types as read here).
fn credit_view(c: CreditRow) -> ApiResult<CreditView> {
    let lines = serde_json::from_value(c.lines)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("credit {}: lines unreadable: {e}", c.id)))?;
    Ok(CreditView {
        id: c.id,
        tenant_id: c.tenant_id,
        invoice_id: c.invoice_id,
        contract_id: c.contract_id,
        period: c.period,
        amount_minor: c.amount_minor,
        late: c.late,
        created_at: c.created_at,
        lines,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditQuery {
    pub tenant_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/billing/credits", tag = "billing", security(("bearer" = [])), params(CreditQuery),
    responses((status = 200, body = Vec<CreditView>), (status = 403, body = Problem)))]
pub async fn credits(
    state: web::Data<BillingState>,
    principal: Principal,
    q: web::Query<CreditQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    let rows = state.invoices.credits(&scope, q.invoice_id, limit(q.limit)?).await?;
    let views = rows.into_iter().map(credit_view).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(get, path = "/api/v1/billing/credit-notes", tag = "billing", security(("bearer" = [])),
    params(CreditQuery),
    description = "Credit notes: with Stripe, a credit for a period already invoiced is a note on that invoice.",
    responses((status = 200, body = Vec<CreditNoteView>), (status = 403, body = Problem)))]
pub async fn credit_notes(
    state: web::Data<BillingState>,
    principal: Principal,
    q: web::Query<CreditQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    let rows = state.invoices.notes(&scope, q.invoice_id, limit(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(note_view).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRecord {
    pub tenant_id: Uuid,
    /// `YYYY-MM`.
    pub period: String,
    /// Measured availability in basis points (9990 = 99.90 %).
    pub availability_bp: i32,
    #[serde(default)]
    pub note: String,
}

impl From<AvailabilityRow> for AvailabilityView {
    fn from(a: AvailabilityRow) -> Self {
        Self {
            tenant_id: a.tenant_id,
            period: a.period,
            availability_bp: a.availability_bp,
            note: a.note,
            recorded_by: a.recorded_by,
            recorded_at: a.recorded_at,
        }
    }
}

#[utoipa::path(put, path = "/api/v1/billing/availability", tag = "billing", security(("bearer" = [])),
    request_body = AvailabilityRecord,
    description = "Records a tenant's measured availability for a period (provider admins, or monitoring acting as \
        a service); the tier's availability bands credit it when the period is billed. Refused once the period is \
        invoiced for the tenant.",
    responses((status = 200, body = AvailabilityView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn record_availability(
    state: web::Data<BillingState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    if !principal.is_service() {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    let ask: AvailabilityRecord = parse(body.into_inner())?;
    let mut v = canopy_kernel::Violations::new();
    let period = Period::parse(&ask.period).map_err(|m| v.add("period", m)).ok();
    v.check((0..=10_000).contains(&ask.availability_bp), "availability_bp", "must be 0–10000 (0–100 %)");
    let note = ask.note.trim().to_owned();
    v.check(note.chars().count() <= 500, "note", "at most 500 characters");
    v.into_result()?;
    let period = period.ok_or_else(|| ApiError::invalid("period", "not a month"))?;
    let token = canopy_kernel::tenancy::bearer_token(&req).unwrap_or_default();
    let zone = canopy_kernel::days::tenant_zone(
        state.tenants.service(),
        state.backends.cache.as_ref(),
        token,
        ask.tenant_id,
    )
    .await?;
    if zone.midnight(period.first_day()) > state.now() {
        return Err(ApiError::invalid("period", "a period is measured once it has begun"));
    }
    let row = state
        .invoices
        .record_availability(AvailabilityRow {
            tenant_id: ask.tenant_id,
            period: period.to_string(),
            availability_bp: ask.availability_bp,
            note,
            recorded_by: principal.subject,
            recorded_at: state.now(),
        })
        .await?;
    Ok(HttpResponse::Ok().json(AvailabilityView::from(row)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    pub tenant_id: Option<Uuid>,
    pub period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/billing/availability", tag = "billing", security(("bearer" = [])),
    params(AvailabilityQuery),
    responses((status = 200, body = Vec<AvailabilityView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn availability(
    state: web::Data<BillingState>,
    principal: Principal,
    q: web::Query<AvailabilityQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    let period = match &q.period {
        Some(p) => Some(Period::parse(p).map_err(|m| ApiError::invalid("period", m))?.to_string()),
        None => None,
    };
    let rows = state.invoices.availability(&scope, period.as_deref()).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(AvailabilityView::from).collect::<Vec<_>>()))
}

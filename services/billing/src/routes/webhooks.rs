//! `POST /billing/webhooks/stripe`: Stripe tells of payments. No bearer token: the request is
//! trusted only when its `Stripe-Signature` verifies with the endpoint's secret within five
//! minutes of the signed time (async-stripe-webhook, against the injected clock). Each event
//! is applied once, by id.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use canopy_kernel::{ApiError, ApiResult, ErrorCode, Problem};
use stripe_webhook::{EventObject, Webhook};

use crate::state::BillingState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/billing/webhooks/stripe", web::post().to(stripe));
}

#[utoipa::path(post, path = "/api/v1/billing/webhooks/stripe", tag = "billing",
    params(("Stripe-Signature" = String, Header, description = "t=<unix seconds>,v1=<HMAC-SHA256>")),
    description = "Stripe's events: `invoice.paid` settles the invoice (and reinstates a tenant suspended for it), \
        `invoice.payment_failed` marks it failed. Verified by signature with a 5-minute tolerance; deduplicated by event id.",
    responses((status = 200, description = "applied, or seen before"), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
pub async fn stripe(
    state: web::Data<BillingState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let Some(secret) = state.settings.billing.stripe_webhook_secret.as_ref() else {
        return Err(ApiError::new(ErrorCode::NotFound, "Stripe is not the payment provider here"));
    };
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let payload = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "The payload is not UTF-8"))?;
    let event =
        Webhook::construct_event_with_timestamp(payload, signature, secret.expose(), state.now().timestamp())
            .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("The Stripe event is refused: {e}")))?;
    let (invoice, status) = match &event.data.object {
        EventObject::InvoicePaid(i) => (crate::stripe::canopy_invoice(i.metadata.as_ref()), Some("paid")),
        EventObject::InvoicePaymentFailed(i) => {
            (crate::stripe::canopy_invoice(i.metadata.as_ref()), Some("payment_failed"))
        }
        _ => (None, None),
    };
    let kind = event.type_.to_string();
    let applied = state.payments.apply_event(event.id.as_str(), &kind, invoice, status, state.now()).await?;
    if applied
        && status == Some("paid")
        && let Some(id) = invoice
        && let Ok(inv) = state.invoices.get(&canopy_kernel::ListScope::AllTenants, id).await
    {
        crate::dunning::after_payment(&state, inv.tenant_id).await?;
    }
    Ok(HttpResponse::Ok().json(json!({"received": event.id.as_str(), "applied": applied})))
}

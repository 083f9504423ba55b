//! The payment provider, behind one trait with two implementations: the local ledger (the
//! embedded default: an invoice waits for finance to record its payment) and Stripe. Every
//! issued invoice (and credit note) is written with an outbox row; a worker hands it to the
//! provider, retrying with backoff until it is taken (for Stripe, always with the same
//! idempotency keys).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use canopy_kernel::ListScope;
use canopy_kernel::service::Workers;
use chrono::TimeDelta;
use stripe::StripeError;

use crate::state::BillingState;
use crate::store::invoices::{CreditNoteRow, InvoiceRow, LineRow};

/// A failed hand-over: worth retrying (network, 409/429/5xx) or not (Stripe refused it).
#[derive(Debug)]
pub enum PushError {
    Retry(String),
    Refused(String),
}

impl From<StripeError> for PushError {
    fn from(e: StripeError) -> Self {
        match &e {
            StripeError::Stripe(_, status) if matches!(status, 409 | 429) || *status >= 500 => {
                PushError::Retry(e.to_string())
            }
            StripeError::Stripe(..) | StripeError::ConfigError(_) => PushError::Refused(e.to_string()),
            // Timeouts and broken connections: the outcome is unknown; the same key settles it.
            _ => PushError::Retry(e.to_string()),
        }
    }
}

pub trait PaymentProvider: Send + Sync + 'static {
    /// The name invoices carry (`ledger`, `stripe`).
    fn name(&self) -> &'static str;

    /// Hands an issued invoice over; answers its reference with the provider, if it has one.
    /// `retrying`: an earlier attempt may have got part of the way.
    fn hand_over(
        &self,
        state: &BillingState,
        inv: &InvoiceRow,
        lines: &[LineRow],
        retrying: bool,
    ) -> impl Future<Output = Result<Option<String>, PushError>> + Send;

    /// Hands a credit note on `inv` (already handed over) to the provider; answers its
    /// reference there, if it has one.
    fn credit_note(
        &self,
        state: &BillingState,
        note: &CreditNoteRow,
        inv: &InvoiceRow,
        retrying: bool,
    ) -> impl Future<Output = Result<Option<String>, PushError>> + Send;
}

/// The local ledger: nothing to hand over; finance records payments
/// (`POST /billing/invoices/{id}/payments`).
pub struct Ledger;

impl PaymentProvider for Ledger {
    fn name(&self) -> &'static str {
        "ledger"
    }

    async fn hand_over(
        &self,
        _state: &BillingState,
        _inv: &InvoiceRow,
        _lines: &[LineRow],
        _retrying: bool,
    ) -> Result<Option<String>, PushError> {
        Ok(None)
    }

    /// The ledger's late credits go on the next invoice; a note on a ledger invoice (one made
    /// while Stripe was the provider, say) is a document of Canopy's alone.
    async fn credit_note(
        &self,
        _state: &BillingState,
        _note: &CreditNoteRow,
        _inv: &InvoiceRow,
        _retrying: bool,
    ) -> Result<Option<String>, PushError> {
        Ok(None)
    }
}

/// Backoff between attempts: 2 s, 4 s, … up to an hour.
fn backoff(attempts: i32) -> TimeDelta {
    TimeDelta::seconds(2_i64.saturating_pow(attempts.clamp(1, 12) as u32).min(3600))
}

/// Attempts before an invoice is left for finance to look at (a week of backoff).
const MAX_ATTEMPTS: i32 = 25;

/// One look at the outbox: hands over at most one invoice, or else one credit note. `true`
/// when one was handled.
pub async fn work_once<P: PaymentProvider>(
    state: &BillingState,
    provider: &P,
) -> canopy_kernel::ApiResult<bool> {
    let now = state.now();
    let Some(op) = state.payments.claim(now, TimeDelta::minutes(5)).await? else {
        return note_once(state, provider).await;
    };
    let inv = state.invoices.get(&ListScope::AllTenants, op.invoice_id).await?;
    let lines = state.invoices.lines(&ListScope::AllTenants, inv.id).await?;
    match provider.hand_over(state, &inv, &lines, op.attempts > 0).await {
        Ok(reference) => {
            state.payments.done(op.invoice_id, reference.as_deref(), state.now()).await?;
            tracing::info!(invoice = %inv.id, provider = provider.name(), reference, "invoice handed over");
        }
        Err(PushError::Retry(why)) if op.attempts + 1 < MAX_ATTEMPTS => {
            tracing::warn!(invoice = %inv.id, error = %why, "hand-over failed; retrying");
            state.payments.failed(&op, &why, Some(state.now() + backoff(op.attempts + 1))).await?;
        }
        Err(PushError::Retry(why) | PushError::Refused(why)) => {
            tracing::error!(invoice = %inv.id, error = %why, "the provider refused the invoice; left for finance");
            state.payments.failed(&op, &why, None).await?;
        }
    }
    Ok(true)
}

async fn note_once<P: PaymentProvider>(state: &BillingState, provider: &P) -> canopy_kernel::ApiResult<bool> {
    let now = state.now();
    let Some(note) = state.payments.claim_note(now, TimeDelta::minutes(5)).await? else { return Ok(false) };
    let inv = state.invoices.get(&ListScope::AllTenants, note.invoice_id).await?;
    match provider.credit_note(state, &note, &inv, note.attempts > 0).await {
        Ok(reference) => {
            state.payments.note_done(note.id, reference.as_deref(), state.now()).await?;
            tracing::info!(note = %note.number, provider = provider.name(), reference, "credit note handed over");
        }
        Err(PushError::Retry(why)) if note.attempts + 1 < MAX_ATTEMPTS => {
            tracing::warn!(note = %note.number, error = %why, "credit note hand-over failed; retrying");
            state.payments.note_failed(&note, &why, Some(state.now() + backoff(note.attempts + 1))).await?;
        }
        Err(PushError::Retry(why) | PushError::Refused(why)) => {
            tracing::error!(note = %note.number, error = %why, "the provider refused the credit note; left for finance");
            state.payments.note_failed(&note, &why, None).await?;
        }
    }
    Ok(true)
}

/// Hands issued invoices and credit notes to `provider`, as a worker of the service.
pub fn start<P: PaymentProvider>(state: &web::Data<BillingState>, provider: P, workers: &mut Workers) {
    let every = Duration::from_millis(state.settings.billing.outbox_interval_ms.max(10));
    let (state, provider) = (state.clone(), Arc::new(provider));
    workers.every("payments", every, move || {
        let (state, provider) = (state.clone(), provider.clone());
        async move { work_once(&state, provider.as_ref()).await }
    });
}

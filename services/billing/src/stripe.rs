//! Stripe as the payment provider, through async-stripe. An invoice issued by a run is handed
//! over by a worker from the outbox written with it: the tenant's customer (once), a draft
//! invoice, one invoice item per line (credits negative, tax as its own item), then
//! finalisation; a credit for a period already handed over is a credit note on its invoice. Every call that creates something carries an idempotency key made of
//! Canopy's own row (`canopy-invoice-{id}`, `canopy-item-{id}-{line}`, …), so a retry after a
//! timeout or a 500 — same key, same parameters — never makes a second one; and a retry first
//! looks up what Stripe already holds by Canopy's metadata (an invoice search), so even past
//! the keys' 24 hours nothing is made twice. Stripe's webhooks
//! (`invoice.paid`, `invoice.payment_failed`) drive the invoice's state; they are verified
//! with the 5-minute tolerance and applied once per event id.

use std::collections::HashMap;
use stripe::{Client, ClientBuilder};
use stripe_billing::credit_note::{
    CreateCreditNote, CreateCreditNoteLines, CreateCreditNoteLinesType, ListCreditNote,
};
use stripe_billing::invoice::{
    CreateInvoice, CreateInvoicePendingInvoiceItemsBehavior, FinalizeInvoiceInvoice, SearchInvoice,
};
use stripe_billing::invoice_item::CreateInvoiceItem;
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::customer::CreateCustomer;
use stripe_shared::InvoiceCollectionMethod;
use uuid::Uuid;

use crate::settings::BillingSettings;

use crate::provider::{PaymentProvider, PushError};
use crate::state::BillingState;
use crate::store::invoices::{CreditNoteRow, InvoiceRow, LineRow};

pub fn client(settings: &BillingSettings) -> anyhow::Result<Client> {
    let key = settings
        .stripe_secret_key
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing.stripe_secret_key is not set"))?;
    ClientBuilder::new(key.expose().clone())
        .url(settings.stripe_api_base.clone())
        .build()
        .map_err(|e| anyhow::anyhow!("stripe client: {e}"))
}

fn once(key: String) -> Result<RequestStrategy, PushError> {
    IdempotencyKey::new(&key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PushError::Refused(format!("idempotency key {key}: {e:?}")))
}

/// Hands one issued invoice to Stripe; answers Stripe's invoice id.
pub async fn push(
    state: &BillingState,
    client: &Client,
    inv: &InvoiceRow,
    lines: &[LineRow],
    retrying: bool,
) -> Result<String, PushError> {
    let store = |e: canopy_kernel::ApiError| PushError::Retry(e.to_string());
    let tenant = inv.tenant_id;
    let customer = match state.payments.customer(tenant).await.map_err(store)? {
        Some(c) => c,
        None => {
            let meta = HashMap::from([("canopy_tenant_id".to_owned(), tenant.to_string())]);
            let made = CreateCustomer::new()
                .name(inv.number.split('-').next().unwrap_or("Canopy tenant").to_owned())
                .metadata(meta)
                .customize()
                .request_strategy(once(format!("canopy-customer-{tenant}"))?)
                .send(client)
                .await?;
            let id = made.id.as_str().to_owned();
            state.payments.remember_customer(tenant, &id).await.map_err(store)?;
            id
        }
    };
    let currency: stripe_types::Currency =
        inv.currency.to_lowercase().parse().unwrap_or(stripe_types::Currency::USD);
    // One metadata key per object: async-stripe takes a HashMap, whose order is not fixed, and
    // a retry must send exactly the same parameters under its idempotency key.
    let meta = || HashMap::from([("canopy_invoice_id".to_owned(), inv.id.to_string())]);
    // After an attempt whose outcome is unknown (a timeout, a 500), what Stripe has already is
    // found by Canopy's metadata — past the idempotency keys' 24 hours too — and not made again.
    let mut found: Option<(String, bool, Vec<String>)> = None;
    if retrying {
        let hits =
            SearchInvoice::new(format!("metadata['canopy_invoice_id']:'{}'", inv.id)).send(client).await?;
        if let Some(hit) = hits.data.into_iter().next()
            && let Some(id) = hit.id.as_ref()
        {
            let finalized = !matches!(hit.status, Some(stripe_shared::InvoiceStatus::Draft) | None);
            let made = hit.lines.data.iter().filter_map(|l| l.metadata.get("canopy_item").cloned()).collect();
            found = Some((id.as_str().to_owned(), finalized, made));
        }
    }
    if let Some((id, true, _)) = &found {
        return Ok(id.clone());
    }
    let (stripe_invoice, made) = match found {
        Some((id, _, made)) => (id, made),
        None => (create_invoice(client, inv, &customer, &currency, meta()).await?, Vec::new()),
    };
    let mut items: Vec<(String, i64, String)> = lines
        .iter()
        .map(|l| (format!("canopy-item-{}-{}", inv.id, l.line_no), l.amount_minor, l.description.clone()))
        .collect();
    if inv.tax_minor != 0 {
        items.push((
            format!("canopy-tax-{}", inv.id),
            inv.tax_minor,
            format!("Tax {}.{:02} %", inv.tax_rate_bp / 100, inv.tax_rate_bp % 100),
        ));
    }
    for (key, amount, description) in items {
        if made.contains(&key) {
            continue;
        }
        CreateInvoiceItem::new()
            .customer(customer.clone())
            .invoice(stripe_invoice.clone())
            .currency(currency.clone())
            .amount(amount)
            .description(description)
            .metadata(HashMap::from([("canopy_item".to_owned(), key.clone())]))
            .customize()
            .request_strategy(once(key)?)
            .send(client)
            .await?;
    }
    FinalizeInvoiceInvoice::new(stripe_invoice.as_str())
        .auto_advance(true)
        .customize()
        .request_strategy(once(format!("canopy-finalize-{}", inv.id))?)
        .send(client)
        .await?;
    Ok(stripe_invoice)
}

/// The draft invoice, created once (its key is the Canopy invoice's).
async fn create_invoice(
    client: &Client,
    inv: &InvoiceRow,
    customer: &str,
    currency: &stripe_types::Currency,
    meta: HashMap<String, String>,
) -> Result<String, PushError> {
    // `due_on` is a UTC day (the provider's payment terms), and Stripe counts days from the
    // moment it finalises the invoice: the UTC date of issue is meant.
    let days = (inv.due_on - inv.issued_at.date_naive()).num_days().clamp(0, 365) as u32;
    let draft = CreateInvoice::new()
        .customer(customer.to_owned())
        .currency(currency.clone())
        .collection_method(InvoiceCollectionMethod::SendInvoice)
        .days_until_due(days)
        .auto_advance(false)
        .pending_invoice_items_behavior(CreateInvoicePendingInvoiceItemsBehavior::Exclude)
        .description(format!("Canopy {} for {}", inv.number, inv.period))
        .metadata(meta)
        .customize()
        .request_strategy(once(format!("canopy-invoice-{}", inv.id))?)
        .send(client)
        .await?;
    draft
        .id
        .as_ref()
        .map(|i| i.as_str().to_owned())
        .ok_or_else(|| PushError::Retry("invoice without an id".into()))
}

/// Hands a credit note on an invoice Stripe holds: one custom line for the credit and one for
/// the tax that falls with it; on an invoice already paid, the total goes onto the customer's
/// balance (Stripe takes it off their next invoice). Its key is the note's id; a retry first
/// lists the invoice's notes and takes the one carrying that id.
pub async fn push_note(
    client: &Client,
    note: &CreditNoteRow,
    inv: &InvoiceRow,
    retrying: bool,
) -> Result<String, PushError> {
    let Some(stripe_invoice) = inv.provider_ref.as_deref() else {
        return Err(PushError::Retry(format!("invoice {} is not with Stripe yet", inv.number)));
    };
    if retrying {
        let notes = ListCreditNote::new().invoice(stripe_invoice).limit(100).send(client).await?;
        let ours = note.id.to_string();
        if let Some(found) = notes
            .data
            .iter()
            .find(|n| n.metadata.as_ref().and_then(|m| m.get("canopy_credit_note_id")) == Some(&ours))
        {
            return Ok(found.id.as_str().to_owned());
        }
    }
    let line = |amount: i64, description: String| {
        let mut l = CreateCreditNoteLines::new(CreateCreditNoteLinesType::CustomLineItem);
        l.unit_amount = Some(amount);
        l.quantity = Some(1);
        l.description = Some(description);
        l
    };
    let mut lines = vec![line(note.amount_minor, note.description.clone())];
    if note.tax_minor != 0 {
        lines.push(line(
            note.tax_minor,
            format!("Tax {}.{:02} %", inv.tax_rate_bp / 100, inv.tax_rate_bp % 100),
        ));
    }
    let mut create = CreateCreditNote::new(stripe_invoice)
        .lines(lines)
        .memo(format!("{}: {}", note.number, note.description))
        .metadata(HashMap::from([("canopy_credit_note_id".to_owned(), note.id.to_string())]));
    if note.settlement == "customer_balance" {
        create = create.credit_amount(note.total_minor);
    }
    let made = create
        .customize()
        .request_strategy(once(format!("canopy-credit-note-{}", note.id))?)
        .send(client)
        .await?;
    Ok(made.id.as_str().to_owned())
}

/// The invoice a Stripe webhook speaks of, by the metadata Canopy put on it.
pub fn canopy_invoice(metadata: Option<&HashMap<String, String>>) -> Option<Uuid> {
    metadata?.get("canopy_invoice_id")?.parse().ok()
}

/// Stripe, as the payment provider.
pub struct Stripe {
    client: Client,
}

impl Stripe {
    pub fn new(settings: &BillingSettings) -> anyhow::Result<Self> {
        Ok(Self { client: client(settings)? })
    }
}

impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn hand_over(
        &self,
        state: &BillingState,
        inv: &InvoiceRow,
        lines: &[LineRow],
        retrying: bool,
    ) -> Result<Option<String>, PushError> {
        push(state, &self.client, inv, lines, retrying).await.map(Some)
    }

    async fn credit_note(
        &self,
        _state: &BillingState,
        note: &CreditNoteRow,
        inv: &InvoiceRow,
        retrying: bool,
    ) -> Result<Option<String>, PushError> {
        push_note(&self.client, note, inv, retrying).await.map(Some)
    }
}

//! Tenant webhooks at work. A follower reads ticketing's events (one consumer group for all
//! replicas, so each event is handled once) and records a delivery for every webhook that
//! wants it; a sender posts due deliveries, signed, and retries failures with backoff until
//! they succeed or run out of attempts. The log is the delivery table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

use actix_web::web;
use chrono::TimeDelta;
use serde_json::json;
use uuid::Uuid;

use canopy_api::events::TicketingEvent;
use canopy_kernel::backends::{StartFrom, topics};
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiResult, TenantId, TenantScope};

use crate::domain::config::Webhook;
use crate::domain::webhooks::{SIGNATURE_HEADER, backoff, signature, wants};
use crate::state::TenantsState;
use crate::store::configs::document;
use crate::store::webhooks::{DeliveryRow, NewDelivery, Outcome};

const GROUP: &str = "tenants-webhooks";

/// The follower of ticketing's events and the sender of due deliveries.
pub fn start(state: &web::Data<TenantsState>, workers: &mut Workers) {
    let follower = state.clone();
    workers.follow(
        state.backends.bus.clone(),
        topics::TICKETING,
        GROUP,
        StartFrom::Earliest,
        move |received: Received<TicketingEvent>| {
            let state = follower.clone();
            // Acknowledged only once its deliveries are stored; otherwise it is offered again.
            async move { fan_out(&state, &received.event).await.map(|_| ()).map_err(anyhow::Error::from) }
        },
    );
    let settings = &state.settings.webhooks;
    // Redirects are not followed: the address checked is the address posted to.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let sender = state.clone();
    workers.every("webhook_sender", Duration::from_millis(settings.poll_interval_ms), move || {
        let (state, http) = (sender.clone(), http.clone());
        async move { send_due(&state, &http).await.map(|n| n > 0) }
    });
}

/// Turns one bus event into deliveries; events of tenants without matching hooks add nothing.
/// An event for every tenant (`"audience": "all_tenants"`, a knowledge article published to
/// all) goes to each tenant's hooks.
pub async fn fan_out(state: &TenantsState, event: &TicketingEvent) -> ApiResult<usize> {
    if event.for_all_tenants() {
        let mut n = 0;
        let mut page = canopy_kernel::http::PageParams { limit: Some(200), cursor: None };
        loop {
            let (rows, limit) =
                state.tenants.list(&canopy_kernel::ListScope::AllTenants, None, &page).await?;
            let tenants = canopy_kernel::http::Page::from_rows(rows, limit, |t| t.id);
            for t in &tenants.items {
                n += fan_out_one(state, &event.for_tenant(t.id)).await?;
            }
            match tenants.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => return Ok(n),
            }
        }
    }
    fan_out_one(state, event).await
}

async fn fan_out_one(state: &TenantsState, event: &TicketingEvent) -> ApiResult<usize> {
    let Some(tenant) = event.tenant_id() else { return Ok(0) };
    let kind = event.kind();
    let scope = TenantScope::trusted(TenantId(tenant));
    let config = match state.configs.current(&scope).await {
        Ok(row) => document(&row)?,
        Err(e) if e.code() == canopy_kernel::ErrorCode::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let event_id = event.event_id().to_string();
    let body = json!({
        "id": event_id,
        "type": kind,
        "tenant_id": tenant,
        "occurred_at": event.at(),
        "data": event,
    })
    .to_string();
    let rows: Vec<NewDelivery> = config
        .webhooks
        .iter()
        .filter(|h| wants(h, kind))
        .map(|h| NewDelivery {
            tenant_id: tenant,
            webhook_id: h.id,
            event_id: event_id.clone(),
            event_type: kind.to_owned(),
            url: h.url.clone(),
            payload: body.clone(),
        })
        .collect();
    let n = rows.len();
    state.deliveries.enqueue(rows, state.now()).await?;
    Ok(n)
}

/// Sends the deliveries that are due now; returns how many were attempted. A row that cannot
/// be handled now (its tenant's configuration unreadable) keeps its lease and is tried again
/// when the lease runs out; one bad row never stops the others.
pub async fn send_due(state: &TenantsState, http: &reqwest::Client) -> ApiResult<usize> {
    let settings = &state.settings.webhooks;
    let lease = TimeDelta::milliseconds(settings.timeout_ms as i64) + TimeDelta::seconds(30);
    let due = state.deliveries.claim_due(state.now(), lease, 20).await?;
    let n = due.len();
    // Each hook's current URL and secret: a rotated secret signs retries from then on.
    // `None`: the configuration could not be read just now.
    let mut hooks: HashMap<Uuid, Option<Vec<Webhook>>> = HashMap::new();
    let mut attempts = tokio::task::JoinSet::new();
    for row in due {
        if let Entry::Vacant(slot) = hooks.entry(row.tenant_id) {
            let scope = TenantScope::trusted(TenantId(row.tenant_id));
            slot.insert(match state.configs.current(&scope).await.and_then(|c| document(&c)) {
                Ok(config) => Some(config.webhooks),
                Err(e) if e.code() == canopy_kernel::ErrorCode::NotFound => Some(Vec::new()),
                Err(e) => {
                    tracing::warn!(tenant = %row.tenant_id, error = ?e, "webhook configuration unreadable; deliveries wait");
                    None
                }
            });
        }
        let Some(Some(list)) = hooks.get(&row.tenant_id) else { continue };
        let hook = list.iter().find(|h| h.id == row.webhook_id).cloned();
        let http = http.clone();
        let timestamp = state.now().timestamp();
        let allow_private = settings.allow_private_targets;
        attempts.spawn(async move {
            let outcome = match hook {
                Some(hook) if hook.active => attempt(&http, &hook, &row, timestamp, allow_private).await,
                _ => Attempt::Hopeless("the webhook was removed or deactivated".into()),
            };
            (row, outcome)
        });
    }
    while let Some(joined) = attempts.join_next().await {
        let Ok((row, result)) = joined else { continue };
        let now = state.now();
        let attempt_no = u32::try_from(row.attempts).unwrap_or(0) + 1;
        let retry_or_give_up = |status_code: Option<u16>, error: String| {
            if attempt_no >= settings.max_attempts {
                Outcome::GiveUp { status_code, error }
            } else {
                let wait = backoff(Duration::from_millis(settings.retry_base_ms), attempt_no);
                let next_at = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(6));
                Outcome::Retry { status_code, error, next_at }
            }
        };
        let outcome = match result {
            Attempt::Answered(code) if (200..300).contains(&code) => Outcome::Delivered { status_code: code },
            Attempt::Answered(code) => retry_or_give_up(Some(code), format!("the endpoint answered {code}")),
            Attempt::NoAnswer(error) => retry_or_give_up(None, error),
            Attempt::Hopeless(error) => Outcome::GiveUp { status_code: None, error },
        };
        if matches!(outcome, Outcome::GiveUp { .. }) {
            tracing::warn!(delivery = %row.id, tenant = %row.tenant_id, url = %row.url, "webhook delivery given up");
        }
        if let Err(e) = state.deliveries.record(&row, outcome, now).await {
            tracing::warn!(delivery = %row.id, error = ?e, "webhook outcome not recorded; the lease will expire");
        }
    }
    Ok(n)
}

/// True when `ip` is on this host, a private or link-local network, or otherwise not a public
/// internet address: webhooks must not become a way to probe the provider's own network.
fn private(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64.0.0/10
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| private(std::net::IpAddr::V4(v4)))
        }
    }
}

/// Refuses a webhook URL whose host resolves to a non-public address.
async fn check_target(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let host = parsed.host_str().ok_or("the URL has no host")?.trim_matches(['[', ']']).to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if addrs.iter().any(|a| private(a.ip())) {
        return Err(format!(
            "{host} resolves to a private or local address; webhooks go to public endpoints"
        ));
    }
    Ok(())
}

enum Attempt {
    /// The endpoint answered with this status.
    Answered(u16),
    /// Unreachable, refused or timed out: worth another try later.
    NoAnswer(String),
    /// Retrying will not help (the hook is gone or has no secret).
    Hopeless(String),
}

/// One POST of a delivery, signed at the moment it is sent.
async fn attempt(
    http: &reqwest::Client,
    hook: &Webhook,
    row: &DeliveryRow,
    timestamp: i64,
    allow_private: bool,
) -> Attempt {
    let Some(secret) = hook.secret.as_deref() else {
        return Attempt::Hopeless("the webhook has no secret".into());
    };
    if !allow_private && let Err(why) = check_target(&hook.url).await {
        return Attempt::Hopeless(why);
    }
    let body = row.payload.clone().into_bytes();
    let sent = http
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("user-agent", "Canopy-Webhooks/1")
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
        .header("Canopy-Event", &row.event_type)
        .header("Canopy-Delivery", row.id.to_string())
        .header("Canopy-Event-Id", &row.event_id)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => Attempt::Answered(response.status().as_u16()),
        Err(e) if e.is_timeout() => Attempt::NoAnswer("no answer within the timeout".into()),
        Err(e) => Attempt::NoAnswer(format!("could not reach the endpoint: {e}")),
    }
}

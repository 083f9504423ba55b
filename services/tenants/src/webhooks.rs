//! Tenant webhooks at work. A follower reads ticketing's events (one consumer group for all
//! replicas, so each event is handled once) and records a delivery for every webhook that
//! wants it; a sender posts due deliveries, signed, and retries failures with backoff until
//! they succeed or run out of attempts. The log is the delivery table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::Future;
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
    let http = client(settings.timeout_ms, TargetResolver::system(settings.allow_private_targets));
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

/// The client deliveries are posted with. Redirects are not followed, and host names are
/// resolved by `resolver` only, which checks the addresses it gives out: the address checked
/// is the address connected to, with no second lookup a rebinding DNS could answer otherwise.
fn client(timeout_ms: u64, resolver: TargetResolver) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(timeout_ms))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(resolver)
        .build()
        .unwrap_or_default()
}

/// A host name's addresses, as a DNS lookup gives them.
type LookupFuture =
    std::pin::Pin<Box<dyn Future<Output = std::io::Result<Vec<std::net::SocketAddr>>> + Send>>;
type Lookup = dyn Fn(String) -> LookupFuture + Send + Sync;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Resolves webhook hosts for the sending client, and refuses (with [`PrivateTarget`]) a name
/// with any private or local address unless those are allowed.
#[derive(Clone)]
struct TargetResolver {
    lookup: std::sync::Arc<Lookup>,
    allow_private: bool,
}

/// A webhook host that resolves to a private or local address: retrying will not help.
#[derive(Debug)]
struct PrivateTarget(String);

impl std::fmt::Display for PrivateTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to a private or local address; webhooks go to public endpoints", self.0)
    }
}

impl std::error::Error for PrivateTarget {}

impl TargetResolver {
    /// The system's resolver.
    fn system(allow_private: bool) -> Self {
        Self {
            lookup: std::sync::Arc::new(|host: String| -> LookupFuture {
                Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
            }),
            allow_private,
        }
    }
}

impl reqwest::dns::Resolve for TargetResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(resolve_checked(self.lookup.clone(), name.as_str().to_owned(), self.allow_private))
    }
}

async fn resolve_checked(
    lookup: std::sync::Arc<Lookup>,
    host: String,
    allow_private: bool,
) -> Result<reqwest::dns::Addrs, BoxError> {
    // A failed lookup is an error like an unreachable host: the delivery is retried.
    let addrs = lookup(host.clone()).await?;
    if addrs.is_empty() {
        return Err(format!("{host} resolves to no address").into());
    }
    if !allow_private && addrs.iter().any(|a| private(a.ip())) {
        return Err(Box::new(PrivateTarget(host)));
    }
    Ok(Box::new(addrs.into_iter()))
}

/// Refuses a webhook URL whose host is a private or local address written as such (names are
/// checked as they are resolved, by [`TargetResolver`]).
fn check_literal_target(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let host = parsed.host_str().ok_or("the URL has no host")?.trim_matches(['[', ']']);
    let Ok(ip) = host.parse::<std::net::IpAddr>() else { return Ok(()) };
    if private(ip) {
        return Err(format!("{ip} is a private or local address; webhooks go to public endpoints"));
    }
    Ok(())
}

/// Whether `err` comes from the resolver refusing a private address.
fn refused_as_private(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(p) = e.downcast_ref::<PrivateTarget>() {
            return Some(p.to_string());
        }
        source = e.source();
    }
    None
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
    if !allow_private && let Err(why) = check_literal_target(&hook.url) {
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
        Err(e) => match refused_as_private(&e) {
            Some(why) => Attempt::Hopeless(why),
            None => Attempt::NoAnswer(format!("could not reach the endpoint: {}", chain(&e))),
        },
    }
}

/// An error with its causes (reqwest's own message hides whether DNS or the connection failed).
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A name server that answers this host's own address (as a rebinding one does once the
    /// name has passed a check), counting the questions it is asked.
    fn local_dns(lookups: Arc<AtomicUsize>, local: SocketAddr) -> TargetResolver {
        TargetResolver {
            lookup: Arc::new(move |_host: String| -> LookupFuture {
                lookups.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move { Ok(vec![local]) })
            }),
            allow_private: false,
        }
    }

    #[tokio::test]
    async fn one_lookup_per_send_and_its_answer_is_checked_before_connecting() {
        // No lookup is made apart from the connection's own, so no other answer can be the
        // one checked; the connection's answer is refused before anything connects.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let lookups = Arc::new(AtomicUsize::new(0));
        let http = client(2_000, local_dns(lookups.clone(), local));
        let err = http.post(format!("http://rebind.example:{}/hook", local.port())).send().await.unwrap_err();
        assert!(refused_as_private(&err).is_some(), "{}", chain(&err));
        assert_eq!(lookups.load(Ordering::SeqCst), 1, "the connection's lookup is the only one");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "no connection reached the private address");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_worth_retrying() {
        let resolver = TargetResolver {
            lookup: Arc::new(|host: String| -> LookupFuture {
                Box::pin(async move {
                    Err(std::io::Error::other(format!("failed to lookup address information: {host}")))
                })
            }),
            allow_private: false,
        };
        let err = client(2_000, resolver).post("http://gone.example/hook").send().await.unwrap_err();
        assert!(refused_as_private(&err).is_none());
        assert!(chain(&err).contains("failed to lookup"), "{}", chain(&err));
    }

    #[test]
    fn private_addresses_written_as_such_are_refused() {
        assert!(check_literal_target("http://127.0.0.1:8080/x").is_err());
        assert!(check_literal_target("http://[::1]/x").is_err());
        assert!(check_literal_target("https://10.1.2.3/x").is_err());
        assert!(check_literal_target("https://203.0.113.7/x").is_ok());
        assert!(check_literal_target("https://hooks.example.com/x").is_ok());
    }
}

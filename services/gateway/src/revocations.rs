//! The gateway's replica of the access revocations the tenants service keeps: signed-out
//! tokens, users' withdrawn generations, cancelled tenants. Every token is checked against
//! it in memory.
//!
//! The replica is loaded at start and kept fresh three ways: a sync every
//! `gateway.revocation_sync_ms`, the tenants service's `access.revoked` event, and a hint the
//! tenants service leaves in the shared cache after each revocation (its cursor), read once
//! per request — when the hint is ahead of the replica, the replica syncs before the request
//! is decided, so the very next request after a revocation sees it. The hint is only a hint:
//! missing or unreadable, the replica decides alone. What the replica cannot be is stale: when
//! it has not synced for longer than `gateway.revocation_max_staleness_secs`, or a hint shows
//! it is behind and the tenants service cannot be reached, authenticated requests are refused
//! with 503 (fail closed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use async_trait::async_trait;
use uuid::Uuid;

use canopy_api::events::TenantEvent;
use canopy_api::tenants::{Revocation, RevocationsPage, TenantsClient, Withdrawn};
use canopy_kernel::auth::Claims;
use canopy_kernel::backends::{EventBus, StartFrom};
use canopy_kernel::config::Secret;
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::telemetry::metrics;
use canopy_kernel::{ApiError, ErrorCode};

/// Revocations asked for per call.
const PAGE: u32 = 1000;
/// After a failed sync, requests wait this long before one of them tries again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(250);

/// Where the replica reads revocations from.
#[async_trait]
pub trait RevocationSource: Send + Sync {
    async fn after(&self, cursor: i64, limit: u32) -> anyhow::Result<RevocationsPage>;
}

/// The tenants service's `GET /internal/v1/access/revocations`.
pub struct TenantsRevocations {
    pub client: TenantsClient,
    pub secret: Option<Secret<String>>,
}

#[async_trait]
impl RevocationSource for TenantsRevocations {
    async fn after(&self, cursor: i64, limit: u32) -> anyhow::Result<RevocationsPage> {
        let secret = self.secret.as_ref().map(|s| s.expose().as_str());
        Ok(self.client.revocations(cursor, limit, secret).await?)
    }
}

/// Why a token that verifies is refused nonetheless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its `jti` was signed out.
    SignedOut,
    /// The user's access generation moved past the token's (or its API key was revoked).
    Withdrawn,
    /// Its tenant was cancelled after it was issued.
    TenantCancelled,
}

impl Refusal {
    fn metric(self) -> &'static str {
        match self {
            Refusal::SignedOut => "revoked",
            Refusal::Withdrawn => "generation",
            Refusal::TenantCancelled => "tenant_cancelled",
        }
    }

    pub fn into_error(self) -> ApiError {
        let invalid = |detail: &str| {
            ApiError::new(ErrorCode::InvalidToken, detail).with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )
        };
        match self {
            Refusal::SignedOut => {
                invalid("Access was withdrawn: this access token was signed out. Sign in again.")
            }
            Refusal::Withdrawn => invalid(
                "Access was withdrawn after this token was issued: the account was deactivated or deleted, or its roles or password changed (or the API key was revoked). Sign in again.",
            ),
            Refusal::TenantCancelled => {
                ApiError::new(ErrorCode::TenantCancelled, "This company's service has been cancelled")
            }
        }
    }
}

/// What is revoked, each entry with the Unix second after which it no longer matters.
#[derive(Debug, Default)]
struct Entries {
    tokens: HashMap<Uuid, i64>,
    /// user or API key → (tokens below this generation are dead, until)
    users: HashMap<Uuid, (i64, i64)>,
    /// tenant → (tokens issued at or before this second are dead, until)
    tenants: HashMap<Uuid, (i64, i64)>,
}

impl Entries {
    fn apply(&mut self, r: &Revocation) {
        let until = r.expires_at.timestamp();
        match r.withdrawn {
            Withdrawn::Token { jti } => {
                let e = self.tokens.entry(jti).or_insert(until);
                *e = (*e).max(until);
            }
            Withdrawn::Subject { sub, generation } => {
                let e = self.users.entry(sub).or_insert((generation, until));
                *e = (e.0.max(generation), e.1.max(until));
            }
            Withdrawn::Tenant { tenant_id, issued_up_to } => {
                let e = self.tenants.entry(tenant_id).or_insert((issued_up_to, until));
                *e = (e.0.max(issued_up_to), e.1.max(until));
            }
        }
    }

    /// Drops what expired before `now` (Unix seconds): no token it concerns verifies any more.
    fn prune(&mut self, now: i64) {
        self.tokens.retain(|_, until| *until >= now);
        self.users.retain(|_, (_, until)| *until >= now);
        self.tenants.retain(|_, (_, until)| *until >= now);
    }

    fn refusal(&self, claims: &Claims) -> Option<Refusal> {
        if self.tokens.contains_key(&claims.jti) {
            return Some(Refusal::SignedOut);
        }
        if self.users.get(&claims.sub).is_some_and(|(generation, _)| claims.generation < *generation) {
            return Some(Refusal::Withdrawn);
        }
        let tenant = claims.tid.and_then(|t| self.tenants.get(&t));
        if tenant.is_some_and(|(cut, _)| claims.iat <= *cut) {
            return Some(Refusal::TenantCancelled);
        }
        None
    }

    fn len(&self) -> usize {
        self.tokens.len() + self.users.len() + self.tenants.len()
    }
}

/// The sync in progress (one at a time) and when the last one failed.
#[derive(Default)]
struct SyncState {
    failed_at: Option<Instant>,
    failures: u32,
}

pub struct RevocationReplica {
    source: Box<dyn RevocationSource>,
    entries: RwLock<Entries>,
    cursor: AtomicI64,
    /// The highest hint a sync was made for: a hint the tenants database never reaches (a
    /// cache left from another database) is chased once, not on every request.
    chased: AtomicI64,
    synced_at: Mutex<Option<Instant>>,
    max_staleness: Duration,
    stale: AtomicBool,
    sync: tokio::sync::Mutex<SyncState>,
}

impl RevocationReplica {
    pub fn new(source: impl RevocationSource + 'static, max_staleness: Duration) -> Self {
        Self {
            source: Box::new(source),
            entries: RwLock::new(Entries::default()),
            cursor: AtomicI64::new(0),
            chased: AtomicI64::new(0),
            synced_at: Mutex::new(None),
            max_staleness,
            stale: AtomicBool::new(false),
            sync: tokio::sync::Mutex::new(SyncState::default()),
        }
    }

    /// The newest revocation applied.
    pub fn cursor(&self) -> i64 {
        self.cursor.load(Ordering::Acquire)
    }

    /// Synced within the staleness bound.
    pub fn is_fresh(&self) -> bool {
        let synced_at = self.synced_at.lock().ok().and_then(|at| *at);
        synced_at.is_some_and(|at| at.elapsed() <= self.max_staleness)
    }

    /// Brings the replica up to the tenants service's newest revocation.
    pub async fn sync(&self, trigger: &'static str) -> anyhow::Result<()> {
        let mut state = self.sync.lock().await;
        self.sync_locked(&mut state, trigger).await
    }

    /// Brings the replica up to at least `target`, unless it is there already (or another
    /// request just did it); after a failure, the next attempt waits a moment, so a flood of
    /// requests does not become a flood of calls to a service that is away.
    async fn sync_to(&self, target: i64, trigger: &'static str) -> anyhow::Result<()> {
        if self.cursor() >= target {
            return Ok(());
        }
        let mut state = self.sync.lock().await;
        if self.cursor() >= target {
            return Ok(());
        }
        if state.failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE) {
            anyhow::bail!("the last sync failed a moment ago");
        }
        self.sync_locked(&mut state, trigger).await?;
        self.chased.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    async fn sync_locked(&self, state: &mut SyncState, trigger: &'static str) -> anyhow::Result<()> {
        match self.pull().await {
            Ok(applied) => {
                state.failed_at = None;
                state.failures = 0;
                if let Ok(mut at) = self.synced_at.lock() {
                    *at = Some(Instant::now());
                }
                if self.stale.swap(false, Ordering::AcqRel) {
                    metrics().set_revocations_stale(false);
                    tracing::info!(
                        cursor = self.cursor(),
                        "access revocations in sync again; authenticated requests are served"
                    );
                }
                if applied > 0 {
                    tracing::debug!(trigger, applied, cursor = self.cursor(), "access revocations synced");
                }
                metrics().count_revocation_sync(trigger, "ok");
                Ok(())
            }
            Err(err) => {
                state.failed_at = Some(Instant::now());
                state.failures += 1;
                metrics().count_revocation_sync(trigger, "failed");
                if state.failures == 1 {
                    tracing::warn!(trigger, error = %format!("{err:#}"), "access revocations cannot be synced");
                }
                self.note_staleness();
                Err(err)
            }
        }
    }

    /// Reads every page after the cursor and applies it; answers how many were applied.
    async fn pull(&self) -> anyhow::Result<usize> {
        let mut applied = 0;
        loop {
            let after = self.cursor();
            let page = self.source.after(after, PAGE).await?;
            if page.cursor < after {
                // The tenants database is not the one the cursor came from: start again.
                tracing::warn!(
                    after,
                    head = page.cursor,
                    "revocation cursor went back; reloading the replica"
                );
                if let Ok(mut entries) = self.entries.write() {
                    *entries = Entries::default();
                }
                self.cursor.store(0, Ordering::Release);
                self.chased.store(0, Ordering::Release);
                continue;
            }
            let now = chrono::Utc::now().timestamp();
            if let Ok(mut entries) = self.entries.write() {
                for r in &page.revocations {
                    entries.apply(r);
                }
                entries.prune(now);
            }
            applied += page.revocations.len();
            self.cursor.store(page.cursor, Ordering::Release);
            if !page.more {
                return Ok(applied);
            }
            anyhow::ensure!(
                page.cursor > after,
                "the revocations' cursor did not move ({after}) though more were announced"
            );
        }
    }

    /// Says so, once, when the replica has become too old to decide on.
    fn note_staleness(&self) -> bool {
        let stale = !self.is_fresh();
        if stale && !self.stale.swap(true, Ordering::AcqRel) {
            metrics().set_revocations_stale(true);
            tracing::error!(
                max_staleness_secs = self.max_staleness.as_secs(),
                "access revocations are out of date; authenticated requests are refused (503) until the tenants service answers"
            );
        }
        stale
    }

    fn unavailable(detail: &str) -> ApiError {
        metrics().count_access_refused("stale");
        ApiError::new(ErrorCode::ServiceUnavailable, detail)
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("2"))
    }

    /// Decides whether the verified token `claims` still gives access. `hint` is the newest
    /// revocation's cursor from the shared cache, when it could be read.
    pub async fn check(&self, claims: &Claims, hint: Option<i64>) -> Result<(), ApiError> {
        if let Some(hint) = hint
            && hint > self.cursor()
            && hint > self.chased.load(Ordering::Acquire)
            && self.sync_to(hint, "hint").await.is_err()
        {
            // A revocation is known to exist that the replica does not have.
            return Err(Self::unavailable(
                "Access revocations cannot be checked right now; try again shortly",
            ));
        }
        if self.note_staleness() {
            return Err(Self::unavailable(
                "Access revocations are out of date (the tenants service does not answer); try again shortly",
            ));
        }
        let refusal = self.entries.read().ok().and_then(|entries| entries.refusal(claims));
        match refusal {
            Some(refusal) => {
                metrics().count_access_refused(refusal.metric());
                Err(refusal.into_error())
            }
            None => Ok(()),
        }
    }

    /// Keeps the replica fresh: a sync every `every`, and one as soon as the tenants service
    /// announces a revocation (each gateway replica its own consumer group: every replica
    /// must hear every event).
    pub fn follow(self: Arc<Self>, bus: Arc<dyn EventBus>, every: Duration, workers: &mut Workers) {
        let replica = self.clone();
        workers.every("revocation_sync", every, move || {
            let replica = replica.clone();
            async move {
                // Failures are counted and logged by the sync itself.
                let _ = replica.sync("interval").await;
                Ok::<_, std::convert::Infallible>(false)
            }
        });
        let group = format!("gateway-revocations-{}", Uuid::new_v4().simple());
        workers.follow(
            bus,
            TenantEvent::TOPIC,
            group,
            StartFrom::Latest,
            move |received: Received<TenantEvent>| {
                let replica = self.clone();
                async move {
                    if let TenantEvent::AccessRevoked { cursor, .. } = received.event {
                        // A failure is not the event's: the interval sync tries again.
                        let _ = replica.sync_to(cursor, "event").await;
                    }
                    Ok(())
                }
            },
        );
    }

    /// How many revocations are held (for logs and tests).
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_kernel::auth::{PrincipalKind, Role, TokenKind};
    use chrono::{TimeDelta, Utc};

    /// The tenants service as the replica sees it: a log, and whether it answers.
    #[derive(Clone, Default)]
    struct Log {
        rows: Arc<Mutex<Vec<Revocation>>>,
        down: Arc<AtomicBool>,
        calls: Arc<AtomicI64>,
    }

    impl Log {
        fn push(&self, withdrawn: Withdrawn) -> i64 {
            self.push_until(withdrawn, Utc::now() + TimeDelta::minutes(20))
        }

        fn push_until(&self, withdrawn: Withdrawn, expires_at: chrono::DateTime<Utc>) -> i64 {
            let mut rows = self.rows.lock().unwrap();
            let seq = rows.last().map_or(0, |r| r.seq) + 1;
            rows.push(Revocation { seq, withdrawn, expires_at });
            seq
        }
    }

    #[async_trait]
    impl RevocationSource for Log {
        async fn after(&self, cursor: i64, limit: u32) -> anyhow::Result<RevocationsPage> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            anyhow::ensure!(!self.down.load(Ordering::SeqCst), "connection refused");
            let rows = self.rows.lock().unwrap();
            let head = rows.last().map_or(0, |r| r.seq);
            let page: Vec<_> = rows.iter().filter(|r| r.seq > cursor).take(limit as usize).copied().collect();
            let more = rows.iter().filter(|r| r.seq > cursor).count() > limit as usize;
            let cursor = if more { page.last().map_or(head, |r| r.seq) } else { head };
            Ok(RevocationsPage { revocations: page, cursor, more })
        }
    }

    fn claims(sub: Uuid, tid: Option<Uuid>, generation: i64, iat: i64) -> Claims {
        Claims {
            iss: "canopy".into(),
            aud: "canopy".into(),
            sub,
            tid,
            roles: vec![Role::TenantAdmin],
            kind: PrincipalKind::User,
            typ: TokenKind::Access,
            scope: None,
            iat,
            nbf: iat,
            exp: iat + 900,
            jti: Uuid::new_v4(),
            generation,
        }
    }

    async fn synced(log: &Log) -> RevocationReplica {
        let replica = RevocationReplica::new(log.clone(), Duration::from_secs(10));
        replica.sync("start").await.unwrap();
        replica
    }

    fn code(result: Result<(), ApiError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code())
    }

    #[tokio::test]
    async fn a_signed_out_token_is_refused_and_others_are_not() {
        let log = Log::default();
        let replica = synced(&log).await;
        let now = Utc::now().timestamp();
        let out = claims(Uuid::now_v7(), None, 0, now);
        let other = claims(out.sub, None, 0, now);
        log.push(Withdrawn::Token { jti: out.jti });
        replica.sync("interval").await.unwrap();
        assert_eq!(code(replica.check(&out, None).await), Some(ErrorCode::InvalidToken));
        assert_eq!(code(replica.check(&other, None).await), None);
    }

    #[tokio::test]
    async fn tokens_of_an_older_generation_are_refused_and_new_ones_work() {
        let log = Log::default();
        let replica = synced(&log).await;
        let (user, now) = (Uuid::now_v7(), Utc::now().timestamp());
        log.push(Withdrawn::Subject { sub: user, generation: 1 });
        log.push(Withdrawn::Subject { sub: user, generation: 2 });
        replica.sync("interval").await.unwrap();
        for old in [0, 1] {
            assert_eq!(
                code(replica.check(&claims(user, None, old, now), None).await),
                Some(ErrorCode::InvalidToken)
            );
        }
        assert_eq!(code(replica.check(&claims(user, None, 2, now), None).await), None);
        assert_eq!(code(replica.check(&claims(Uuid::now_v7(), None, 0, now), None).await), None);
    }

    #[tokio::test]
    async fn a_cancelled_tenants_tokens_are_refused_up_to_the_cut() {
        let log = Log::default();
        let replica = synced(&log).await;
        let (tenant, now) = (Uuid::now_v7(), Utc::now().timestamp());
        log.push(Withdrawn::Tenant { tenant_id: tenant, issued_up_to: now });
        replica.sync("interval").await.unwrap();
        for iat in [now - 60, now] {
            let c = claims(Uuid::now_v7(), Some(tenant), 0, iat);
            assert_eq!(code(replica.check(&c, None).await), Some(ErrorCode::TenantCancelled));
        }
        assert_eq!(code(replica.check(&claims(Uuid::now_v7(), Some(tenant), 0, now + 1), None).await), None);
        assert_eq!(
            code(replica.check(&claims(Uuid::now_v7(), Some(Uuid::now_v7()), 0, now), None).await),
            None
        );
    }

    #[tokio::test]
    async fn a_hint_ahead_of_the_replica_syncs_before_the_decision() {
        let log = Log::default();
        let replica = synced(&log).await;
        let c = claims(Uuid::now_v7(), None, 0, Utc::now().timestamp());
        let seq = log.push(Withdrawn::Token { jti: c.jti });
        // No interval sync or event yet: without a hint the replica does not know.
        assert_eq!(code(replica.check(&c, None).await), None);
        assert_eq!(code(replica.check(&c, Some(seq)).await), Some(ErrorCode::InvalidToken));
        // A hint the replica has reached costs no call.
        let calls = log.calls.load(Ordering::SeqCst);
        replica.check(&claims(Uuid::now_v7(), None, 0, 0), Some(seq)).await.unwrap();
        assert_eq!(log.calls.load(Ordering::SeqCst), calls);
    }

    #[tokio::test]
    async fn a_hint_the_database_never_reaches_is_chased_once() {
        let log = Log::default();
        let replica = synced(&log).await;
        let c = claims(Uuid::now_v7(), None, 0, Utc::now().timestamp());
        let calls = log.calls.load(Ordering::SeqCst);
        for _ in 0..3 {
            replica.check(&c, Some(999)).await.unwrap();
        }
        assert_eq!(log.calls.load(Ordering::SeqCst), calls + 1);
    }

    #[tokio::test]
    async fn never_synced_stale_or_behind_an_unreachable_source_it_fails_closed() {
        let log = Log::default();
        log.down.store(true, Ordering::SeqCst);
        let replica = RevocationReplica::new(log.clone(), Duration::from_millis(200));
        let c = claims(Uuid::now_v7(), None, 0, Utc::now().timestamp());
        assert!(replica.sync("start").await.is_err());
        assert_eq!(code(replica.check(&c, None).await), Some(ErrorCode::ServiceUnavailable));

        log.down.store(false, Ordering::SeqCst);
        replica.sync("interval").await.unwrap();
        assert_eq!(code(replica.check(&c, None).await), None);

        // The source goes away: a hint shows a revocation the replica cannot fetch.
        log.down.store(true, Ordering::SeqCst);
        assert_eq!(code(replica.check(&c, Some(5)).await), Some(ErrorCode::ServiceUnavailable));
        // Without a hint, the replica decides alone while it is fresh, and refuses after.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(replica.sync("interval").await.is_err());
        assert_eq!(code(replica.check(&c, None).await), Some(ErrorCode::ServiceUnavailable));
        assert!(!replica.is_fresh());

        log.down.store(false, Ordering::SeqCst);
        replica.sync("interval").await.unwrap();
        assert_eq!(code(replica.check(&c, None).await), None);
    }

    #[tokio::test]
    async fn pages_are_followed_and_expired_revocations_forgotten() {
        let log = Log::default();
        let user = Uuid::now_v7();
        for generation in 1..=(PAGE as i64 * 2 + 5) {
            log.push(Withdrawn::Subject { sub: user, generation });
        }
        log.push_until(Withdrawn::Token { jti: Uuid::new_v4() }, Utc::now() - TimeDelta::minutes(1));
        let replica = synced(&log).await;
        assert_eq!(replica.cursor(), PAGE as i64 * 2 + 6);
        assert_eq!(replica.len(), 1, "one user entry; the expired token is dropped");
        let now = Utc::now().timestamp();
        let last = PAGE as i64 * 2 + 5;
        assert!(replica.check(&claims(user, None, last - 1, now), None).await.is_err());
        assert!(replica.check(&claims(user, None, last, now), None).await.is_ok());
    }

    #[tokio::test]
    async fn a_cursor_that_goes_back_reloads_the_replica() {
        let log = Log::default();
        let jti = Uuid::new_v4();
        log.push(Withdrawn::Token { jti: Uuid::new_v4() });
        log.push(Withdrawn::Token { jti: Uuid::new_v4() });
        let replica = synced(&log).await;
        assert_eq!(replica.cursor(), 2);
        // Another database behind the same address: its log starts again.
        log.rows.lock().unwrap().clear();
        log.push(Withdrawn::Token { jti });
        replica.sync("interval").await.unwrap();
        assert_eq!(replica.cursor(), 1);
        let mut c = claims(Uuid::now_v7(), None, 0, Utc::now().timestamp());
        c.jti = jti;
        assert_eq!(code(replica.check(&c, None).await), Some(ErrorCode::InvalidToken));
    }
}

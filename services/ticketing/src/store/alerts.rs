//! Alerts and the events behind them. A batch is folded and written in one transaction: the
//! alerts of its fingerprints are read locked (`FOR UPDATE` on PostgreSQL; SQLite has one
//! writer), each fingerprint's events applied in time order, the alerts written back in one
//! statement and every accepted event inserted with the alert it went to. A fingerprint's row
//! is made (episode 0) before it is locked, in fingerprint order, so two batches of one
//! fingerprint take turns rather than race.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use canopy_kernel::db::is_unique_violation;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, ListScope, TenantOwned, TenantScope};
use canopy_monitoring::{Action, AlertState, AlertStatus, Event, Incident, Rules, Severity, actions, apply};

use super::entities::{agent_event, alert};

pub use super::entities::agent_event::Model as AgentEventRow;
pub use super::entities::alert::Model as AlertRow;

/// An accepted event, and the maintenance window that silenced it, if one did.
pub struct Incoming {
    pub event: Event,
    pub silenced_by: Option<String>,
}

/// An alert after a batch, and what its incident should do.
pub struct Folded {
    pub alert: alert::Model,
    pub actions: Vec<Action>,
}

#[derive(Clone)]
pub struct Alerts {
    db: DatabaseConnection,
}

fn status_name(s: AlertStatus) -> &'static str {
    match s {
        AlertStatus::Firing => "firing",
        AlertStatus::Resolved => "resolved",
    }
}

fn incident_name(i: Incident) -> &'static str {
    match i {
        Incident::None => "none",
        Incident::Open => "open",
        Incident::Resolved => "resolved",
    }
}

/// The correlation state a row holds.
fn state_of(a: &alert::Model) -> AlertState {
    AlertState {
        status: if a.status == "resolved" { AlertStatus::Resolved } else { AlertStatus::Firing },
        severity: Severity::parse(&a.severity).unwrap_or(Severity::Error),
        peak: Severity::parse(&a.peak).unwrap_or(Severity::Error),
        episode: a.episode,
        episode_started: a.episode_started,
        last_seen: a.last_seen,
        changed_at: a.changed_at,
        count: a.count,
        resolved_at: a.resolved_at,
        recoveries: serde_json::from_value(a.recoveries.clone()).unwrap_or_default(),
        flapping: a.flapping,
        incident: match a.incident.as_str() {
            "open" => Incident::Open,
            "resolved" => Incident::Resolved,
            _ => Incident::None,
        },
    }
}

fn write_state(row: &mut alert::Model, s: &AlertState, last: &Event, now: DateTime<Utc>) {
    row.status = status_name(s.status).into();
    row.severity = s.severity.as_str().into();
    row.peak = s.peak.as_str().into();
    row.episode = s.episode;
    row.episode_started = s.episode_started;
    row.last_seen = s.last_seen;
    row.changed_at = s.changed_at;
    row.count = s.count;
    row.resolved_at = s.resolved_at;
    row.recoveries = json!(s.recoveries);
    row.flapping = s.flapping;
    row.incident = incident_name(s.incident).into();
    if last.severity != Severity::Ok {
        row.message = last.message.chars().take(2000).collect();
        row.labels = json!(last.labels);
    }
    row.updated_at = now;
}

impl Alerts {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Folds a batch into its alerts and writes it, in one transaction.
    pub async fn ingest(
        &self,
        scope: &TenantScope,
        events: &[Incoming],
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> ApiResult<Vec<Folded>> {
        let mut attempt = 0;
        loop {
            match self.try_ingest(scope, events, rules, now).await {
                Err(Retry::Race) if attempt < 3 => attempt += 1,
                Err(Retry::Race) => {
                    return Err(ApiError::new(
                        canopy_kernel::ErrorCode::Conflict,
                        "Alerts changed meanwhile; send the batch again",
                    ));
                }
                Err(Retry::Failed(e)) => return Err(e),
                Ok(folded) => return Ok(folded),
            }
        }
    }

    async fn try_ingest(
        &self,
        scope: &TenantScope,
        events: &[Incoming],
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Folded>, Retry> {
        let tenant = scope.tenant_id().0;
        let mut by_fingerprint: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
        for i in events.iter().filter(|i| i.silenced_by.is_none()) {
            by_fingerprint.entry(i.event.fingerprint.as_str()).or_default().push(&i.event);
        }
        let tx = self.db.begin().await.map_err(ApiError::from)?;
        // Fingerprints without a row get one first (a placeholder, episode 0, inserted in
        // fingerprint order before any row is locked); then every row of the batch is read
        // locked, in fingerprint order: two batches of one fingerprint take turns, and two
        // batches never wait on each other crosswise.
        let keys: Vec<&str> = by_fingerprint.keys().copied().collect();
        let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<String> = alert::Entity::scoped(scope)
                .select_only()
                .column(alert::Column::Fingerprint)
                .filter(alert::Column::Fingerprint.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&tx)
                .await
                .map_err(retry_or_fail)?;
            known.extend(rows);
        }
        let missing: Vec<&str> = keys.iter().copied().filter(|k| !known.contains(*k)).collect();
        if !missing.is_empty() {
            let placeholders: Vec<alert::ActiveModel> = missing
                .iter()
                .map(|fingerprint| {
                    let e = by_fingerprint[fingerprint][0];
                    alert::ActiveModel::from(alert::Model {
                        id: Uuid::now_v7(),
                        tenant_id: tenant,
                        fingerprint: (*fingerprint).to_owned(),
                        source: e.source.clone(),
                        host: e.host.clone(),
                        check_name: e.check.clone(),
                        status: "none".into(),
                        severity: e.severity.as_str().into(),
                        peak: e.severity.as_str().into(),
                        episode: 0,
                        episode_started: now,
                        last_seen: now,
                        changed_at: now,
                        count: 0,
                        resolved_at: None,
                        recoveries: json!([]),
                        flapping: false,
                        incident: "none".into(),
                        ticket_id: None,
                        message: String::new(),
                        labels: json!({}),
                        updated_at: now,
                    })
                })
                .collect();
            let mut placeholders = placeholders.into_iter().peekable();
            while placeholders.peek().is_some() {
                let chunk: Vec<_> = placeholders.by_ref().take(200).collect();
                alert::Entity::insert_many(chunk)
                    .on_conflict(
                        OnConflict::columns([alert::Column::TenantId, alert::Column::Fingerprint])
                            .do_nothing()
                            .to_owned(),
                    )
                    .try_insert()
                    .exec_without_returning(&tx)
                    .await
                    .map_err(retry_or_fail)?;
            }
        }
        let existing = self.locked(&tx, scope, &keys).await?;

        let mut folded = Vec::new();
        let mut changed: Vec<alert::Model> = Vec::new();
        let mut alert_of: HashMap<&str, Uuid> = HashMap::new();
        for (fingerprint, mut evs) in by_fingerprint {
            evs.sort_by_key(|e| e.occurred_at);
            let Some(row) = existing.get(fingerprint) else { continue };
            let before = (row.episode > 0).then(|| state_of(row));
            let Some(after) = evs.iter().fold(before.clone(), |s, e| apply(s, e, rules)) else {
                continue; // recoveries for an alert nobody saw fire
            };
            let last = evs.last().copied().unwrap_or(evs[0]);
            let mut row = row.clone();
            // A new episode keeps its ticket only when the incident carried over (still open).
            let carried = before.as_ref().is_some_and(|b| b.incident == Incident::Open)
                && after.incident == Incident::Open;
            if before.as_ref().is_some_and(|b| b.episode != after.episode) && !carried {
                row.ticket_id = None;
            }
            write_state(&mut row, &after, last, now);
            alert_of.insert(fingerprint, row.id);
            folded.push(Folded { alert: row.clone(), actions: actions(before.as_ref(), &after) });
            changed.push(row);
        }

        let postgres = tx.get_database_backend() == DbBackend::Postgres;
        if postgres {
            // One statement of one fixed shape, whatever the batch: the rows travel as one
            // JSON document (PostgreSQL prepares it once, not once per row count).
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO alerts SELECT * FROM json_populate_recordset(NULL::alerts, $1::json) \
                 ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, severity = EXCLUDED.severity, \
                 peak = EXCLUDED.peak, episode = EXCLUDED.episode, episode_started = EXCLUDED.episode_started, \
                 last_seen = EXCLUDED.last_seen, changed_at = EXCLUDED.changed_at, count = EXCLUDED.count, \
                 resolved_at = EXCLUDED.resolved_at, recoveries = EXCLUDED.recoveries, flapping = EXCLUDED.flapping, \
                 incident = EXCLUDED.incident, ticket_id = EXCLUDED.ticket_id, message = EXCLUDED.message, \
                 labels = EXCLUDED.labels, updated_at = EXCLUDED.updated_at",
                [serde_json::to_string(&changed).map_err(|e| Retry::Failed(ApiError::internal(e)))?.into()],
            ))
            .await
            .map_err(retry_or_fail)?;
        }
        use alert::Column as A;
        for chunk in changed.chunks(200).filter(|_| !postgres) {
            alert::Entity::insert_many(chunk.iter().cloned().map(alert::ActiveModel::from))
                .on_conflict(
                    OnConflict::column(A::Id)
                        .update_columns([
                            A::Status,
                            A::Severity,
                            A::Peak,
                            A::Episode,
                            A::EpisodeStarted,
                            A::LastSeen,
                            A::ChangedAt,
                            A::Count,
                            A::ResolvedAt,
                            A::Recoveries,
                            A::Flapping,
                            A::Incident,
                            A::TicketId,
                            A::Message,
                            A::Labels,
                            A::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&tx)
                .await
                .map_err(retry_or_fail)?;
        }
        let rows: Vec<agent_event::Model> = events
            .iter()
            .map(|i| {
                let e = &i.event;
                agent_event::Model {
                    id: Uuid::now_v7(),
                    tenant_id: tenant,
                    alert_id: if i.silenced_by.is_some() {
                        None
                    } else {
                        alert_of.get(e.fingerprint.as_str()).copied()
                    },
                    fingerprint: e.fingerprint.clone(),
                    source: e.source.clone(),
                    host: e.host.clone(),
                    check_name: e.check.clone(),
                    severity: e.severity.as_str().into(),
                    message: e.message.clone(),
                    occurred_at: e.occurred_at,
                    received_at: now,
                    labels: json!(e.labels),
                    silenced_by: i.silenced_by.clone(),
                }
            })
            .collect();
        if postgres {
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO agent_events SELECT * FROM json_populate_recordset(NULL::agent_events, $1::json)",
                [serde_json::to_string(&rows).map_err(|e| Retry::Failed(ApiError::internal(e)))?.into()],
            ))
            .await
            .map_err(retry_or_fail)?;
        } else {
            let mut rows = rows.into_iter().map(agent_event::ActiveModel::from).peekable();
            while rows.peek().is_some() {
                let chunk: Vec<_> = rows.by_ref().take(400).collect();
                agent_event::Entity::insert_many(chunk)
                    .exec_without_returning(&tx)
                    .await
                    .map_err(retry_or_fail)?;
            }
        }
        tx.commit().await.map_err(retry_or_fail)?;
        Ok(folded)
    }

    /// The alerts of these fingerprints, locked for the transaction, in fingerprint order.
    async fn locked(
        &self,
        tx: &sea_orm::DatabaseTransaction,
        scope: &TenantScope,
        keys: &[&str],
    ) -> Result<HashMap<String, alert::Model>, Retry> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(500) {
            let rows = alert::Entity::scoped(scope)
                .filter(alert::Column::Fingerprint.is_in(chunk.iter().copied()))
                .order_by_asc(alert::Column::Fingerprint)
                .lock_exclusive()
                .all(tx)
                .await
                .map_err(retry_or_fail)?;
            out.extend(rows.into_iter().map(|a| (a.fingerprint.clone(), a)));
        }
        Ok(out)
    }

    /// Links the incident opened for an alert's episode (unless one is linked already).
    pub async fn link(&self, scope: &TenantScope, alert: Uuid, ticket: Uuid) -> ApiResult<()> {
        alert::Entity::scoped_update(scope)
            .col_expr(alert::Column::TicketId, Expr::value(ticket))
            .filter(alert::Column::Id.eq(alert))
            .filter(alert::Column::TicketId.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn list(
        &self,
        scope: &ListScope,
        status: Option<&str>,
        limit: u64,
    ) -> ApiResult<Vec<alert::Model>> {
        let mut q = alert::Entity::listed(scope)
            .order_by_desc(alert::Column::LastSeen)
            .order_by_asc(alert::Column::Id);
        if let Some(s) = status {
            q = q.filter(alert::Column::Status.eq(s));
        }
        Ok(q.limit(limit).all(&self.db).await?)
    }

    pub async fn get(&self, scope: &TenantScope, id: Uuid) -> ApiResult<alert::Model> {
        alert::Entity::scoped(scope)
            .filter(alert::Column::Id.eq(id))
            .filter(alert::Column::Episode.gt(0))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("alert"))
    }

    /// Any tenant's alert (provider staff).
    pub async fn get_any(&self, id: Uuid) -> ApiResult<alert::Model> {
        alert::Entity::across_tenants(CrossTenant::ProviderStaff)
            .filter(alert::Column::Id.eq(id))
            .filter(alert::Column::Episode.gt(0))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("alert"))
    }

    /// An alert's latest events, newest first.
    pub async fn events(
        &self,
        scope: &TenantScope,
        alert: Uuid,
        limit: u64,
    ) -> ApiResult<Vec<agent_event::Model>> {
        Ok(agent_event::Entity::scoped(scope)
            .filter(agent_event::Column::AlertId.eq(alert))
            .order_by_desc(agent_event::Column::OccurredAt)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

enum Retry {
    /// A deadlock with another batch (the database chose this one to give way).
    Race,
    Failed(ApiError),
}

fn retry_or_fail(e: sea_orm::DbErr) -> Retry {
    let text = e.to_string();
    if text.contains("deadlock detected") || text.contains("could not serialize") || is_unique_violation(&e) {
        Retry::Race
    } else {
        Retry::Failed(e.into())
    }
}

impl From<ApiError> for Retry {
    fn from(e: ApiError) -> Self {
        Retry::Failed(e)
    }
}

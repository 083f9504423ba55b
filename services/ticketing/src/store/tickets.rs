use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Set, TransactionTrait,
};
use uuid::Uuid;

use canopy_api::events::{TicketEvent, TicketFacts, TicketingEvent};
use canopy_kernel::db::paged;
use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, ListScope, TenantOwned, TenantScope};
use canopy_sla::{Metric, Pause, Priority, SlaClock};

use super::entities::{
    approval, breach, clock, comment, counter, event, feedback, idempotency, link, ticket, worklog,
};
use crate::domain::clocks::MetricClock;
use crate::domain::lifecycle::{Status, TicketKind};
use crate::domain::ticket::{Outcome, Ticket};

mod row;

use row::{ticket_of, ticket_row};

pub use super::entities::approval::Model as ApprovalRow;
pub use super::entities::breach::Model as BreachRow;
pub use super::entities::comment::Model as CommentRow;
pub use super::entities::event::Model as TicketEventRow;
pub use super::entities::feedback::Model as FeedbackRow;
pub use super::entities::idempotency::Model as IdempotencyRow;
pub use super::entities::link::Model as LinkRow;
pub use super::entities::ticket::Model as TicketRow;
pub use super::entities::worklog::Model as WorklogRow;

/// Who did something: a user, an API key, or the platform itself.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub id: Uuid,
    pub kind: &'static str,
}

impl Actor {
    pub const SYSTEM: Actor = Actor { id: Uuid::nil(), kind: "system" };
}

/// What one command changes besides the ticket row: what the command did (log entries,
/// outgoing events, breaches), by whom and when, and the rows that come with it.
pub struct Change {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub outcome: Outcome,
    /// Rows that belong to the ticket and come with this change.
    pub children: Vec<Child>,
}

/// A comment, worklog, feedback, link or approval written with the change to its ticket.
pub enum Child {
    Link(LinkRow),
    Approval(ApprovalRow),
    Comment(CommentRow),
    Worklog(WorklogRow),
    Feedback(FeedbackRow),
}

impl Change {
    pub fn new(at: DateTime<Utc>, actor: Actor, outcome: Outcome) -> Self {
        Self { at, actor, outcome, children: Vec::new() }
    }

    pub fn with(mut self, child: Child) -> Self {
        self.children.push(child);
        self
    }
}

/// The stored names of the states a ticket ends in.
fn ended() -> impl Iterator<Item = &'static str> {
    Status::ALL.into_iter().filter(|s| !s.is_open()).map(<&str>::from)
}

pub const TOPIC: &str = canopy_kernel::backends::topics::TICKETING;

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn clock_row(tenant: Uuid, ticket: Uuid, c: &MetricClock) -> ApiResult<clock::ActiveModel> {
    Ok(clock::ActiveModel {
        tenant_id: Set(tenant),
        ticket_id: Set(ticket),
        metric: Set(c.metric.to_string()),
        started_at: Set(ts(c.clock.started_at)),
        target_secs: Set(c.clock.target_secs),
        pauses: Set(serde_json::to_value(&c.clock.pauses).map_err(ApiError::internal)?),
        due_at: Set(c.due_at.map(ts)),
        stopped_at: Set(c.stopped_at.map(ts)),
        breached_at: Set(c.breached_at.map(ts)),
        warned_bp: Set(c.warned_bp),
        carried_secs: Set(c.clock.carried_secs),
    })
}

pub fn clock_from_row(row: &clock::Model) -> ApiResult<MetricClock> {
    let metric: Metric =
        row.metric.parse().map_err(|_| ApiError::internal(anyhow::anyhow!("bad metric {}", row.metric)))?;
    let pauses: Vec<Pause> = serde_json::from_value(row.pauses.clone()).map_err(ApiError::internal)?;
    Ok(MetricClock {
        metric,
        clock: SlaClock {
            started_at: row.started_at.timestamp(),
            target_secs: row.target_secs,
            pauses,
            carried_secs: row.carried_secs,
        },
        due_at: row.due_at.map(|t| t.timestamp()),
        stopped_at: row.stopped_at.map(|t| t.timestamp()),
        breached_at: row.breached_at.map(|t| t.timestamp()),
        warned_bp: row.warned_bp,
    })
}

#[derive(Default)]
pub struct Filters {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketKind>,
    pub category: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// Only tickets raised or requested by this user (requesters see their own).
    pub mine: Option<Uuid>,
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub open_only: bool,
    /// Open tickets whose next deadline is before this instant.
    pub deadline_before: Option<DateTime<Utc>>,
    /// Tickets with (true) or without (false) a recorded breach.
    pub breached: Option<bool>,
    /// Open tickets nobody is assigned to.
    pub unassigned: bool,
    /// Open tickets that need (or do not need) someone on site.
    pub onsite: Option<bool>,
    /// Newest first (the cursor then pages towards older tickets).
    pub newest_first: bool,
}

#[derive(Clone)]
pub struct Tickets {
    db: DatabaseConnection,
}

impl Tickets {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn idempotent(&self, scope: &TenantScope, key: &str) -> ApiResult<Option<idempotency::Model>> {
        Ok(idempotency::Entity::scoped(scope).filter(idempotency::Column::Key.eq(key)).one(&self.db).await?)
    }

    /// Appends the change's log entries and queues its events, each carrying the ticket's
    /// identity and state as committed.
    /// Writes a change's log entries, children, breaches and events. `last_seq` is the log's
    /// last sequence number when known (0 for a new ticket); otherwise it is read.
    async fn append(
        txn: &DatabaseTransaction,
        scope: &TenantScope,
        t: &Ticket,
        change: &Change,
        last_seq: Option<i64>,
    ) -> ApiResult<()> {
        let (tenant, ticket) = (t.tenant_id, t.id);
        let mut seq = match last_seq {
            Some(seq) => seq,
            None => event::Entity::scoped(scope)
                .filter(event::Column::TicketId.eq(ticket))
                .order_by_desc(event::Column::Seq)
                .one(txn)
                .await?
                .map_or(0, |e| e.seq),
        };
        let entries: Vec<event::ActiveModel> = change
            .outcome
            .log
            .iter()
            .map(|e| {
                seq += 1;
                event::ActiveModel {
                    tenant_id: Set(tenant),
                    ticket_id: Set(ticket),
                    seq: Set(seq),
                    at: Set(change.at),
                    actor_id: Set(change.actor.id),
                    actor_kind: Set(change.actor.kind.to_owned()),
                    kind: Set(e.kind.to_owned()),
                    data: Set(e.data.clone()),
                }
            })
            .collect();
        if !entries.is_empty() {
            event::Entity::insert_many(entries).exec_without_returning(txn).await?;
        }
        for child in &change.children {
            match child {
                Child::Link(row) => {
                    link::ActiveModel::from(row.clone()).insert(txn).await.map_err(|e| {
                        canopy_kernel::db::conflict_on_unique(e, "These tickets are linked already")
                    })?;
                }
                Child::Approval(row) => {
                    approval::ActiveModel::from(row.clone()).insert(txn).await?;
                }
                Child::Comment(row) => {
                    comment::ActiveModel::from(row.clone()).insert(txn).await?;
                }
                Child::Worklog(row) => {
                    worklog::ActiveModel::from(row.clone()).insert(txn).await?;
                }
                Child::Feedback(row) => {
                    feedback::ActiveModel::from(row.clone()).insert(txn).await.map_err(|e| {
                        canopy_kernel::db::conflict_on_unique(e, "Feedback was already given")
                    })?;
                }
            }
        }
        let contract = t.policy.as_ref().map(|p| p.contract_id);
        for b in &change.outcome.breaches {
            breach::Entity::insert(breach::ActiveModel {
                tenant_id: Set(tenant),
                ticket_id: Set(ticket),
                metric: Set(b.metric.to_string()),
                priority: Set(t.priority.to_string()),
                reference: Set(t.reference.clone()),
                due_at: Set(ts(b.due_at)),
                detected_at: Set(change.at),
                met_at: Set(b.met_at.map(ts)),
                contract_id: Set(contract),
            })
            .on_conflict(
                OnConflict::columns([
                    breach::Column::TenantId,
                    breach::Column::TicketId,
                    breach::Column::Metric,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        }
        for told in &change.outcome.events {
            let event_id = Uuid::now_v7();
            let event = TicketingEvent::Ticket(TicketEvent {
                ticket: TicketFacts {
                    event_id,
                    tenant_id: tenant,
                    ticket_id: ticket,
                    reference: t.reference.clone(),
                    status: t.status,
                    priority: t.priority,
                    at: change.at,
                    version: t.version,
                },
                change: told.clone(),
            });
            let payload = serde_json::to_value(&event).map_err(ApiError::internal)?;
            super::outbox::event(event_id, tenant, payload, change.at).insert(txn).await?;
        }
        Ok(())
    }

    /// The tenant's next ticket number, in one statement of its own: the counter row is
    /// locked for that statement only, not for the whole create, so a tenant's tickets are
    /// not raised one at a time. A create that fails afterwards leaves a gap in the numbers.
    async fn next_number(db: &DatabaseConnection, tenant: Uuid) -> ApiResult<i64> {
        let row =
            counter::Entity::insert(counter::ActiveModel { tenant_id: Set(tenant), last_number: Set(1) })
                .on_conflict(
                    OnConflict::column(counter::Column::TenantId)
                        .value(
                            counter::Column::LastNumber,
                            Expr::col((counter::Entity, counter::Column::LastNumber)).add(1),
                        )
                        .to_owned(),
                )
                .exec_with_returning(db)
                .await?;
        Ok(row.last_number)
    }

    /// Stores a new ticket with its number (`KEY-n`), clocks, log and events.
    pub async fn create(
        &self,
        scope: &TenantScope,
        tenant_key: &str,
        new: &Ticket,
        change: &Change,
        idempotency: Option<(&str, &str)>,
    ) -> ApiResult<Ticket> {
        let tenant = scope.tenant_id().0;
        let number = Self::next_number(&self.db, tenant).await?;
        let txn = self.db.begin().await?;
        let mut row = ticket_row(new)?;
        row.tenant_id = Set(tenant);
        row.number = Set(number);
        row.reference = Set(format!("{tenant_key}-{number}"));
        let saved = row
            .insert(&txn)
            .await
            .map_err(|e| canopy_kernel::db::conflict_on_unique(e, "A ticket with this external id exists"))?;
        let saved = ticket_of(saved, new.clocks.clone())?;
        let rows =
            saved.clocks.iter().map(|c| clock_row(tenant, saved.id, c)).collect::<ApiResult<Vec<_>>>()?;
        if !rows.is_empty() {
            clock::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
        Self::append(&txn, scope, &saved, change, Some(0)).await?;
        if let Some((key, hash)) = idempotency {
            idempotency::ActiveModel {
                tenant_id: Set(tenant),
                key: Set(key.to_owned()),
                request_hash: Set(hash.to_owned()),
                ticket_id: Set(saved.id),
                created_at: Set(change.at),
            }
            .insert(&txn)
            .await
            .map_err(|e| {
                canopy_kernel::db::conflict_on_unique(
                    e,
                    "This Idempotency-Key is being used by another request",
                )
            })?;
        }
        txn.commit().await?;
        Ok(saved)
    }

    pub async fn by_external_id(&self, scope: &TenantScope, external_id: &str) -> ApiResult<Option<Ticket>> {
        let found = ticket::Entity::scoped(scope)
            .filter(ticket::Column::ExternalId.eq(external_id))
            .one(&self.db)
            .await?;
        match found {
            Some(row) => Ok(Some(self.with_clocks(scope, row).await?)),
            None => Ok(None),
        }
    }

    async fn with_clocks(&self, scope: &TenantScope, row: ticket::Model) -> ApiResult<Ticket> {
        let clocks = self.clocks(scope, &[row.id]).await?.into_iter().map(|(_, c)| c).collect();
        ticket_of(row, clocks)
    }

    /// The tenant of a ticket known by id only; the caller checks it against its scope.
    pub async fn owner(&self, id: Uuid) -> ApiResult<Uuid> {
        ticket::Entity::across_tenants(CrossTenant::Owner)
            .filter(ticket::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .map(|t| t.tenant_id)
            .ok_or_else(|| ApiError::not_found("ticket"))
    }

    pub async fn load(&self, scope: &TenantScope, id: Uuid) -> ApiResult<Ticket> {
        let row = ticket::Entity::scoped(scope)
            .filter(ticket::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("ticket"))?;
        self.with_clocks(scope, row).await
    }

    /// The clocks of several tickets of one tenant, with their ticket ids.
    async fn clocks(&self, scope: &TenantScope, ids: &[Uuid]) -> ApiResult<Vec<(Uuid, MetricClock)>> {
        clock::Entity::scoped(scope)
            .filter(clock::Column::TicketId.is_in(ids.iter().copied()))
            .order_by_asc(clock::Column::Metric)
            .all(&self.db)
            .await?
            .iter()
            .map(|r| clock_from_row(r).map(|c| (r.ticket_id, c)))
            .collect()
    }

    /// Saves a changed ticket if nobody changed it since `expected_version` was read.
    pub async fn save(
        &self,
        scope: &TenantScope,
        updated: &Ticket,
        expected_version: i64,
        change: &Change,
    ) -> ApiResult<Ticket> {
        let tenant = scope.tenant_id().0;
        let id = updated.id;
        let txn = self.db.begin().await?;
        let mut row = ticket_row(updated)?;
        row.tenant_id = sea_orm::ActiveValue::Unchanged(tenant);
        row.id = sea_orm::ActiveValue::Unchanged(id);
        row.version = Set(expected_version + 1);
        row.updated_at = Set(change.at);
        let result = ticket::Entity::scoped_update(scope)
            .set(row)
            .filter(ticket::Column::Id.eq(id))
            .filter(ticket::Column::Version.eq(expected_version))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(ApiError::new(
                canopy_kernel::ErrorCode::PreconditionFailed,
                "The ticket changed since you read it; read it again and retry",
            ));
        }
        clock::Entity::scoped_delete(scope).filter(clock::Column::TicketId.eq(id)).exec(&txn).await?;
        for c in &updated.clocks {
            clock_row(tenant, id, c)?.insert(&txn).await?;
            // A breached target met at last: the breach now knows how late it was.
            if let (Some(_), Some(stopped)) = (c.breached_at, c.stopped_at) {
                breach::Entity::scoped_update(scope)
                    .col_expr(breach::Column::MetAt, Expr::value(ts(stopped)))
                    .filter(breach::Column::TicketId.eq(id))
                    .filter(breach::Column::Metric.eq(<&str>::from(c.metric)))
                    .filter(breach::Column::MetAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        let saved = ticket::Entity::scoped(scope)
            .filter(ticket::Column::Id.eq(id))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("ticket"))?;
        let saved = ticket_of(saved, updated.clocks.clone())?;
        Self::append(&txn, scope, &saved, change, None).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// A page of tickets with their clocks.
    pub async fn list(
        &self,
        scope: &ListScope,
        f: &Filters,
        page: &PageParams,
    ) -> ApiResult<(Vec<Ticket>, u64)> {
        let mut q: Select<ticket::Entity> = ticket::Entity::listed(scope);
        let eq = |q: Select<ticket::Entity>, col: ticket::Column, v: Option<&str>| match v {
            Some(v) => q.filter(col.eq(v)),
            None => q,
        };
        q = eq(q, ticket::Column::Status, f.status.map(<&str>::from));
        q = eq(q, ticket::Column::Priority, f.priority.map(<&str>::from));
        q = eq(q, ticket::Column::Kind, f.kind.map(<&str>::from));
        q = eq(q, ticket::Column::Category, f.category.as_deref());
        if f.unassigned {
            q = q
                .filter(ticket::Column::AssigneeId.is_null())
                .filter(ticket::Column::Status.is_not_in(ended()));
        }
        if let Some(onsite) = f.onsite {
            q = q
                .filter(ticket::Column::OnsiteRequired.eq(onsite))
                .filter(ticket::Column::Status.is_not_in(ended()));
        }
        if let Some(a) = f.assignee_id {
            q = q.filter(ticket::Column::AssigneeId.eq(a));
        }
        if let Some(me) = f.mine {
            q = q.filter(
                sea_orm::Condition::any()
                    .add(ticket::Column::RequesterId.eq(me))
                    .add(ticket::Column::CreatedBy.eq(me)),
            );
        }
        if let Some(text) = &f.text {
            let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            q = q.filter(
                sea_orm::Condition::any()
                    .add(
                        Expr::expr(Func::lower(Expr::col(ticket::Column::Title)))
                            .like(pattern.to_lowercase()),
                    )
                    .add(ticket::Column::Reference.eq(text.to_uppercase())),
            );
        }
        if let Some(from) = f.created_from {
            q = q.filter(ticket::Column::CreatedAt.gte(from));
        }
        if let Some(to) = f.created_to {
            q = q.filter(ticket::Column::CreatedAt.lt(to));
        }
        if f.open_only {
            q = q.filter(ticket::Column::Status.is_not_in(ended()));
        }
        if let Some(before) = f.deadline_before {
            q = q.filter(ticket::Column::NextDeadline.lte(before));
        }
        if let Some(breached) = f.breached {
            let with_breach =
                breach::Entity::listed(scope).select_only().column(breach::Column::TicketId).into_query();
            q = q.filter(if breached {
                ticket::Column::Id.in_subquery(with_breach)
            } else {
                ticket::Column::Id.not_in_subquery(with_breach)
            });
        }
        let (q, limit) = if f.newest_first {
            let limit = page.limit()?;
            let mut q = q.order_by_desc(ticket::Column::Id).limit(limit + 1);
            if let Some(before) = page.after()? {
                q = q.filter(ticket::Column::Id.lt(before));
            }
            (q, limit)
        } else {
            paged(q, ticket::Column::Id, page)?
        };
        let rows = q.all(&self.db).await?;
        // The clocks, one query per tenant on the page.
        let mut by_tenant: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for t in &rows {
            by_tenant.entry(t.tenant_id).or_default().push(t.id);
        }
        let mut clocks: BTreeMap<Uuid, Vec<MetricClock>> = BTreeMap::new();
        for (tenant, ids) in by_tenant {
            let scope = TenantScope::trusted(canopy_kernel::TenantId(tenant));
            for (id, c) in self.clocks(&scope, &ids).await? {
                clocks.entry(id).or_default().push(c);
            }
        }
        let tickets = rows
            .into_iter()
            .map(|row| {
                let mine = clocks.remove(&row.id).unwrap_or_default();
                ticket_of(row, mine)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok((tickets, limit))
    }

    /// The tenant's open tickets (not resolved, closed or cancelled).
    pub async fn open_ids(&self, scope: &TenantScope) -> ApiResult<Vec<Uuid>> {
        Ok(ticket::Entity::scoped(scope)
            .filter(ticket::Column::Status.is_not_in(ended()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// Tickets whose next deadline has come, across tenants, earliest first: the breach
    /// watch's work, read from the deadline index instead of scanning open tickets.
    pub async fn due_for_watch(&self, now: DateTime<Utc>, limit: u64) -> ApiResult<Vec<(Uuid, Uuid)>> {
        Ok(ticket::Entity::across_tenants(CrossTenant::Worker)
            .filter(ticket::Column::NextDeadline.lte(now))
            .order_by_asc(ticket::Column::NextDeadline)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.tenant_id, t.id))
            .collect())
    }

    /// Breaches of a tenant (all tenants for provider staff), by due time.
    pub async fn breaches(&self, scope: &ListScope, ticket: Option<Uuid>) -> ApiResult<Vec<breach::Model>> {
        let mut q = breach::Entity::listed(scope).order_by_asc(breach::Column::DueAt);
        if let Some(t) = ticket {
            q = q.filter(breach::Column::TicketId.eq(t));
        }
        Ok(q.limit(10_000).all(&self.db).await?)
    }

    /// Breaches due in `[from, to)`, in (tenant, ticket, metric) order after `after`.
    pub async fn breaches_between(
        &self,
        scope: &ListScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<(Uuid, Uuid, String)>,
        limit: u64,
    ) -> ApiResult<Vec<breach::Model>> {
        use sea_orm::sea_query::{Expr, ExprTrait as _};
        let mut q = breach::Entity::listed(scope)
            .filter(breach::Column::DueAt.gte(from))
            .filter(breach::Column::DueAt.lt(to))
            .order_by_asc(breach::Column::TenantId)
            .order_by_asc(breach::Column::TicketId)
            .order_by_asc(breach::Column::Metric);
        if let Some((tenant, ticket, metric)) = after {
            q = q.filter(
                Expr::tuple([
                    Expr::col(breach::Column::TenantId),
                    Expr::col(breach::Column::TicketId),
                    Expr::col(breach::Column::Metric),
                ])
                .gt(Expr::tuple([
                    Expr::value(tenant),
                    Expr::value(ticket),
                    Expr::value(metric),
                ])),
            );
        }
        Ok(q.limit(limit).all(&self.db).await?)
    }

    /// Billable minutes logged in `[from, to)`, per tenant and kind.
    pub async fn billable_minutes(
        &self,
        scope: &ListScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<(Uuid, String, i64)>> {
        use sea_orm::QuerySelect;
        let rows: Vec<(Uuid, String, Option<i64>)> = worklog::Entity::listed(scope)
            .select_only()
            .column(worklog::Column::TenantId)
            .column(worklog::Column::Kind)
            .column_as(worklog::Column::Minutes.sum(), "minutes")
            .filter(worklog::Column::Billable.eq(true))
            .filter(worklog::Column::CreatedAt.gte(from))
            .filter(worklog::Column::CreatedAt.lt(to))
            .group_by(worklog::Column::TenantId)
            .group_by(worklog::Column::Kind)
            .order_by_asc(worklog::Column::TenantId)
            .order_by_asc(worklog::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|(t, k, m)| (t, k, m.unwrap_or(0))).collect())
    }

    pub async fn comments(
        &self,
        scope: &TenantScope,
        ticket: Uuid,
        public_only: bool,
    ) -> ApiResult<Vec<comment::Model>> {
        let mut q = comment::Entity::scoped(scope).filter(comment::Column::TicketId.eq(ticket));
        if public_only {
            q = q.filter(comment::Column::Public.eq(true));
        }
        Ok(q.order_by_asc(comment::Column::Id).all(&self.db).await?)
    }

    pub async fn worklogs(&self, scope: &TenantScope, ticket: Uuid) -> ApiResult<Vec<worklog::Model>> {
        Ok(worklog::Entity::scoped(scope)
            .filter(worklog::Column::TicketId.eq(ticket))
            .order_by_asc(worklog::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Incidents of a problem, or problems of an incident.
    pub async fn links(&self, scope: &TenantScope, ticket: Uuid) -> ApiResult<Vec<link::Model>> {
        Ok(link::Entity::scoped(scope)
            .filter(
                sea_orm::Condition::any()
                    .add(link::Column::ProblemId.eq(ticket))
                    .add(link::Column::IncidentId.eq(ticket)),
            )
            .order_by_asc(link::Column::LinkedAt)
            .all(&self.db)
            .await?)
    }

    pub async fn approvals(&self, scope: &TenantScope, ticket: Uuid) -> ApiResult<Vec<approval::Model>> {
        Ok(approval::Entity::scoped(scope)
            .filter(approval::Column::TicketId.eq(ticket))
            .order_by_asc(approval::Column::Id)
            .all(&self.db)
            .await?)
    }

    pub async fn feedback(&self, scope: &TenantScope, ticket: Uuid) -> ApiResult<Option<feedback::Model>> {
        Ok(feedback::Entity::scoped(scope)
            .filter(feedback::Column::TicketId.eq(ticket))
            .one(&self.db)
            .await?)
    }

    pub async fn events(
        &self,
        scope: &TenantScope,
        id: Uuid,
        after: i64,
        limit: u64,
    ) -> ApiResult<Vec<event::Model>> {
        Ok(event::Entity::scoped(scope)
            .filter(event::Column::TicketId.eq(id))
            .filter(event::Column::Seq.gt(after))
            .order_by_asc(event::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

//! Work on a ticket: public and internal comments, worklogs (remote or on site, with arrival
//! and departure), and the customer's feedback.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, Problem, TenantScope, Violations};

use super::parse;
use super::tickets::{actor, editor, ticket_scope, visible};
use crate::domain::ticket::{Ticket, Work, WorkKind};
use crate::state::TicketingState;
use crate::store::tickets::{Change, Child, CommentRow, FeedbackRow, WorklogRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/tickets/{id}/comments")
            .route(web::post().to(add_comment))
            .route(web::get().to(comments)),
    )
    .service(
        web::resource("/api/v1/tickets/{id}/worklogs")
            .route(web::post().to(add_worklog))
            .route(web::get().to(worklogs)),
    )
    .service(
        web::resource("/api/v1/tickets/{id}/feedback")
            .route(web::post().to(give_feedback))
            .route(web::get().to(get_feedback)),
    );
}

pub use canopy_api::ticket_work::{CommentView, FeedbackView, NewComment, NewFeedback};

impl From<CommentRow> for CommentView {
    fn from(c: CommentRow) -> Self {
        Self { id: c.id, author_id: c.author_id, public: c.public, body: c.body, created_at: c.created_at }
    }
}

fn yes() -> bool {
    true
}

/// Loads a ticket the caller may see and act on.
/// Applies a change whose client named no version of the ticket: when the ticket moved under it
/// (the breach watch, the dispatcher, another writer), the change is made again on what is there
/// now instead of being refused with 412 for a version the client never named.
pub(super) async fn again_if_moved<T>(mut change: impl AsyncFnMut() -> ApiResult<T>) -> ApiResult<T> {
    for _ in 1..5 {
        match change().await {
            Err(e) if e.code() == ErrorCode::PreconditionFailed => continue,
            done => return done,
        }
    }
    change().await
}

/// The ticket as it is now: `first` (as loaded for the checks) on the first attempt, read again
/// after.
pub(super) async fn current(
    state: &TicketingState,
    principal: &Principal,
    scope: &TenantScope,
    id: Uuid,
    first: &mut Option<Ticket>,
) -> ApiResult<Ticket> {
    if let Some(t) = first.take() {
        return Ok(t);
    }
    let t = state.tickets.load(scope, id).await?;
    visible(principal, &t)?;
    Ok(t)
}

async fn open_ticket(
    state: &TicketingState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<(TenantScope, Ticket)> {
    let scope = ticket_scope(state, principal, id).await?;
    principal.require_any(&Role::ALL)?;
    let t = state.tickets.load(&scope, id).await?;
    visible(principal, &t)?;
    Ok((scope, t))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])), request_body = NewComment,
    params(("id" = Uuid, Path)),
    description = "A public reply of provider staff is the first response. A customer's reply to a ticket waiting on them \
        takes it back to in progress, and its SLA clocks run again.",
    responses((status = 201, body = CommentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_comment(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    let new: NewComment = parse(body.into_inner())?;
    let staff = principal.is_provider();
    let mut v = Violations::new();
    let text = new.body.trim();
    v.check(!text.is_empty() && text.chars().count() <= 20_000, "body", "must have 1–20000 characters");
    v.check(new.public || staff, "public", "only provider staff write internal notes");
    v.into_result()?;
    let mut first = Some(t);
    let comment = again_if_moved(async || {
        let mut t = current(&state, &principal, &scope, *id, &mut first).await?;
        let now = state.moment();
        let version = t.version;
        let outcome = t.comment(new.public, editor(&principal), now)?;
        let row = CommentRow {
            tenant_id: t.tenant_id,
            ticket_id: t.id,
            id: Uuid::now_v7(),
            author_id: principal.subject,
            author_kind: actor(&principal).kind.to_owned(),
            public: new.public,
            body: text.to_owned(),
            created_at: now.at,
        };
        let comment = CommentView {
            id: row.id,
            author_id: principal.subject,
            public: new.public,
            body: text.to_owned(),
            created_at: now.at,
        };
        let change = Change::new(now.at, actor(&principal), outcome).with(Child::Comment(row));
        state.tickets.save(&scope, &t, version, &change).await?;
        Ok(comment)
    })
    .await?;
    Ok(HttpResponse::Created().json(comment))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    description = "Customers see public comments; provider staff also the internal notes.",
    responses((status = 200, body = Vec<CommentView>), (status = 404, body = Problem)))]
pub async fn comments(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    let rows = state.tickets.comments(&scope, t.id, !principal.is_provider()).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(CommentView::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorklog {
    pub kind: WorkKind,
    /// Time worked.
    pub minutes: i32,
    /// Billable beyond what the plan includes (default true).
    #[serde(default = "yes")]
    pub billable: bool,
    #[serde(default)]
    pub note: String,
    /// On site: when the engineer arrived (meets the on-site target) and left.
    pub arrived_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorklogView {
    pub id: Uuid,
    pub engineer_id: Uuid,
    pub kind: WorkKind,
    pub minutes: i32,
    pub billable: bool,
    pub note: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl WorklogView {
    fn from_row(w: WorklogRow) -> Self {
        Self {
            id: w.id,
            engineer_id: w.engineer_id,
            kind: w.kind.parse().unwrap_or(WorkKind::Remote),
            minutes: w.minutes,
            billable: w.billable,
            note: w.note,
            arrived_at: w.arrived_at,
            departed_at: w.departed_at,
            created_at: w.created_at,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/worklogs", tag = "tickets", security(("bearer" = [])), request_body = NewWorklog,
    params(("id" = Uuid, Path)),
    description = "Provider staff log work. The first on-site arrival meets the ticket's on-site target.",
    responses((status = 201, body = WorklogView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_worklog(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    principal.require_any(&[Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin])?;
    let new: NewWorklog = parse(body.into_inner())?;
    let mut first = Some(t);
    let view = again_if_moved(async || {
        let mut t = current(&state, &principal, &scope, *id, &mut first).await?;
        let now = state.moment();
        let work = Work {
            kind: new.kind,
            minutes: new.minutes,
            billable: new.billable,
            note: new.note.clone(),
            arrived_at: new.arrived_at,
            departed_at: new.departed_at,
        };
        let version = t.version;
        let outcome = t.log_work(&work, editor(&principal), now)?;
        let row = WorklogRow {
            tenant_id: t.tenant_id,
            ticket_id: t.id,
            id: Uuid::now_v7(),
            engineer_id: principal.subject,
            kind: work.kind.to_string(),
            arrived_at: work.arrived_at,
            departed_at: work.departed_at,
            minutes: work.minutes,
            billable: work.billable,
            note: work.note.trim().to_owned(),
            created_at: now.at,
        };
        let created = row.clone();
        let change = Change::new(now.at, actor(&principal), outcome).with(Child::Worklog(row));
        state.tickets.save(&scope, &t, version, &change).await?;
        let view = WorklogView {
            id: created.id,
            engineer_id: principal.subject,
            kind: work.kind,
            minutes: work.minutes,
            billable: work.billable,
            note: created.note.clone(),
            arrived_at: work.arrived_at,
            departed_at: work.departed_at,
            created_at: now.at,
        };
        Ok(view)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/worklogs", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<WorklogView>), (status = 404, body = Problem)))]
pub async fn worklogs(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    principal.require_any(&[
        Role::TenantAdmin,
        Role::Agent,
        Role::Engineer,
        Role::Dispatcher,
        Role::ProviderAdmin,
    ])?;
    let rows = state.tickets.worklogs(&scope, t.id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(WorklogView::from_row).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/feedback", tag = "tickets", security(("bearer" = [])), request_body = NewFeedback,
    params(("id" = Uuid, Path)), description = "The customer rates a resolved or closed ticket, once; a complaint is flagged.",
    responses((status = 201, body = FeedbackView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn give_feedback(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    if principal.is_provider() {
        return Err(ApiError::forbidden("feedback is the customer's"));
    }
    let new: NewFeedback = parse(body.into_inner())?;
    let mut v = Violations::new();
    v.check((1..=5).contains(&new.rating), "rating", "must be 1–5");
    v.check(new.text.chars().count() <= 5000, "text", "must have at most 5000 characters");
    v.into_result()?;
    let mut first = Some(t);
    let view = again_if_moved(async || {
        let t = current(&state, &principal, &scope, *id, &mut first).await?;
        let outcome = t.give_feedback(new.rating, new.complaint)?;
        if state.tickets.feedback(&scope, t.id).await?.is_some() {
            return Err(ApiError::conflict("Feedback was already given for this ticket"));
        }
        let at = state.now();
        let view = FeedbackView {
            rating: new.rating,
            complaint: new.complaint,
            text: new.text.trim().to_owned(),
            given_by: principal.subject,
            given_at: at,
        };
        let change = Change::new(at, actor(&principal), outcome).with(Child::Feedback(FeedbackRow {
            tenant_id: t.tenant_id,
            ticket_id: t.id,
            rating: new.rating,
            complaint: new.complaint,
            text: view.text.clone(),
            given_by: principal.subject,
            given_at: at,
        }));
        state.tickets.save(&scope, &t, t.version, &change).await?;
        Ok(view)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/feedback", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = FeedbackView), (status = 404, body = Problem)))]
pub async fn get_feedback(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (scope, t) = open_ticket(&state, &principal, *id).await?;
    let f = state.tickets.feedback(&scope, t.id).await?.ok_or_else(|| ApiError::not_found("feedback"))?;
    Ok(HttpResponse::Ok().json(FeedbackView {
        rating: f.rating,
        complaint: f.complaint,
        text: f.text,
        given_by: f.given_by,
        given_at: f.given_at,
    }))
}

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use uuid::Uuid;

use canopy_kernel::auth::{PrincipalKind, Role};
use canopy_kernel::http::{MAX_PAGE, Page, PageParams};
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, ListScope, Principal, Problem, TenantScope};
use canopy_sla::Priority;

use super::parse;
use super::views::{AuditEntry, AuditPage, TicketView};
use crate::domain::lifecycle::{Channel, Status, TicketKind};
use crate::domain::ticket::{Edit, Editor, Raise, Side, Ticket};
use crate::state::{TenantContext, TicketingState};
use crate::store::tickets::{Actor, Change, Filters};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/tickets").route(web::post().to(create)).route(web::get().to(list)))
        .service(
            web::resource("/api/v1/tickets/{id}").route(web::get().to(get)).route(web::patch().to(update)),
        )
        .route("/api/v1/tickets/{id}/audit", web::get().to(audit));
}

pub(crate) fn actor(p: &Principal) -> Actor {
    Actor { id: p.subject, kind: if p.kind == PrincipalKind::ApiKey { "api_key" } else { "user" } }
}

pub(crate) fn token(req: &HttpRequest) -> String {
    bearer_token(req).unwrap_or_default().to_owned()
}

/// The caller as the ticket's rules see them.
pub(crate) fn editor(p: &Principal) -> Editor {
    let side = if p.is_provider() {
        Side::Provider
    } else if p.has_role(Role::TenantAdmin) {
        Side::TenantAdmin
    } else {
        Side::TenantUser
    };
    Editor { id: p.subject, side }
}

/// Tenant users may write while their tenant is active; provider staff put things right anyway.
pub(crate) fn check_tenant_writable(ctx: &TenantContext, principal: &Principal) -> ApiResult<()> {
    match ctx.status.as_str() {
        "cancelled" => Err(ApiError::new(ErrorCode::TenantCancelled, "The tenant is cancelled")),
        "suspended" if !principal.is_provider() => Err(ApiError::new(
            ErrorCode::TenantSuspended,
            "The tenant is suspended: tickets can be read but not changed",
        )),
        _ => Ok(()),
    }
}

pub use canopy_api::ticketing::{NewTicket, TicketPatch};

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().unwrap_or_default().trim();
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::invalid("Idempotency-Key", "must be 1–200 visible characters"));
            }
            Ok(Some(key.to_owned()))
        }
    }
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = []), ("apiKey" = [])), request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key returns the ticket already created")),
    description = "Raises a ticket. Priority comes from the tenant's impact × urgency matrix; the SLA policy in force is \
        copied onto the ticket and its clocks start.",
    responses((status = 201, body = TicketView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let request_hash: String =
        Sha256::digest(body.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let new: NewTicket = parse(body)?;
    let tenant = match (new.tenant_id, principal.tenant_id) {
        (Some(t), _) => t,
        (None, Some(own)) => own.0,
        (None, None) => {
            return Err(ApiError::invalid("tenant_id", "provider staff name the tenant the ticket is for"));
        }
    };
    let scope = principal.scope_for(tenant)?;
    principal.require_role_or_scope(&Role::ALL, &["tickets:write"])?;

    let key = idempotency_key(&req)?.map(|k| (k, request_hash));
    let (t, replayed) = raise(&state, &principal, &token(&req), scope, new, key).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("location", format!("/api/v1/tickets/{}", t.id)))
        .insert_header((header::ETAG, format!("\"{}\"", t.version)));
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    Ok(res.json(TicketView::from(t)))
}

/// Raises a ticket for `principal` (already allowed to): the tenant's configuration checks
/// its fields, the SLA policy in force is copied onto it and its clocks start. With a key,
/// (key, request hash): the ticket raised before under that key is answered (`true`) instead
/// of raising another, or 422 when the key came with another request.
pub(crate) async fn raise(
    state: &TicketingState,
    principal: &Principal,
    token: &str,
    scope: TenantScope,
    new: NewTicket,
    key: Option<(String, String)>,
) -> ApiResult<(Ticket, bool)> {
    if let Some((key, request_hash)) = &key
        && let Some(seen) = state.tickets.idempotent(&scope, key).await?
    {
        if &seen.request_hash != request_hash {
            return Err(ApiError::invalid("Idempotency-Key", "was already used for a different request"));
        }
        return Ok((state.tickets.load(&scope, seen.ticket_id).await?, true));
    }
    let now = state.moment();
    let ctx = state.tenant_context(token, scope.tenant_id().0, now.at).await?;
    check_tenant_writable(&ctx, principal)?;
    let api_key = principal.kind == PrincipalKind::ApiKey;
    let requester_id = requester(state, principal, token, scope, new.requester_id).await?;
    let raise = Raise {
        tenant_id: scope.tenant_id().0,
        kind: new.kind,
        title: new.title,
        description: new.description,
        category: new.category,
        impact: new.impact,
        urgency: new.urgency,
        requester_id,
        site_id: new.site_id,
        channel: new.channel.unwrap_or(if api_key { Channel::Api } else { Channel::Portal }),
        onsite_required: new.onsite_required,
        custom_fields: new.custom_fields,
        problem: new.problem,
        change: new.change,
        created_by: principal.subject,
    };
    let (ticket, outcome) = Ticket::raise(raise, &ctx.settings, ctx.policy.clone(), now)?;
    let change = Change::new(now.at, actor(principal), outcome);
    let scope_key = key.as_ref().map(|(k, h)| (k.as_str(), h.as_str()));
    let saved = state.tickets.create(&scope, &ctx.key, &ticket, &change, scope_key).await?;
    tracing::info!(ticket = %saved.reference, priority = %saved.priority, "ticket raised");
    Ok((saved, false))
}

/// The ticket's requester: a user of the ticket's tenant. A tenant's user who is only a
/// requester raises tickets for themselves; tenant admins, provider staff and API keys may
/// name any active user of the tenant. Left out: the caller, for a tenant's user.
async fn requester(
    state: &TicketingState,
    principal: &Principal,
    token: &str,
    scope: TenantScope,
    named: Option<Uuid>,
) -> ApiResult<Option<Uuid>> {
    let tenant_user = principal.kind == PrincipalKind::User && !principal.is_provider();
    let Some(named) = named else {
        return Ok(tenant_user.then_some(principal.subject));
    };
    if tenant_user && named == principal.subject {
        return Ok(Some(named));
    }
    if tenant_user && !principal.has_role(Role::TenantAdmin) {
        return Err(ApiError::invalid("requester_id", "a requester raises tickets only for themselves"));
    }
    match state.tenant_member(token, scope.tenant_id().0, named).await? {
        Some(member) if member.active => Ok(Some(named)),
        Some(_) => Err(ApiError::invalid("requester_id", "this user is deactivated")),
        None => Err(ApiError::invalid("requester_id", "is no user of the ticket's tenant")),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub tenant_id: Option<Uuid>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<TicketKind>,
    pub category: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// Text in the title, or a reference such as `ACME-42`.
    pub q: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Open tickets whose next SLA deadline falls within this many minutes (0: overdue).
    pub at_risk_within_mins: Option<i64>,
    /// Tickets with (true) or without (false) a recorded SLA breach.
    pub breached: Option<bool>,
    /// Open tickets nobody is assigned to (the dispatch queue).
    #[serde(default)]
    pub unassigned: bool,
    /// Open tickets that need someone on site (true) or not (false): on-site rounds.
    pub onsite: Option<bool>,
    /// Only the tickets the caller raised or is the requester of (a requester's list is
    /// always only theirs).
    #[serde(default)]
    pub mine: bool,
    /// `oldest` first (default) or `newest` first; the cursor follows the order asked for.
    pub order: Option<ListOrder>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The order of a ticket list: by creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    Oldest,
    Newest,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = []), ("apiKey" = [])), params(ListQuery),
    description = "Provider staff see every tenant's tickets; a tenant admin the tenant's; a requester their own.",
    responses((status = 200, body = Page<TicketView>)))]
pub async fn list(
    state: web::Data<TicketingState>,
    principal: Principal,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_role_or_scope(&Role::ALL, &["tickets:read", "tickets:write"])?;
    let q = query.into_inner();
    let scope = match q.tenant_id {
        Some(t) => ListScope::Tenant(principal.scope_for(t)?),
        None => principal.list_scope(),
    };
    let requester_only = principal.kind == PrincipalKind::User
        && !principal.is_provider()
        && !principal.has_role(Role::TenantAdmin);
    if let Some(text) = &q.q
        && text.chars().count() > 200
    {
        return Err(ApiError::invalid("q", "must have at most 200 characters"));
    }
    if q.at_risk_within_mins.is_some_and(|m| !(0..=525_600).contains(&m)) {
        return Err(ApiError::invalid("at_risk_within_mins", "must be 0–525600"));
    }
    let filters = Filters {
        status: q.status,
        priority: q.priority,
        kind: q.kind,
        category: q.category,
        assignee_id: q.assignee_id,
        mine: (requester_only || (q.mine && principal.kind == PrincipalKind::User))
            .then_some(principal.subject),
        text: q.q.filter(|t| !t.trim().is_empty()),
        created_from: q.created_from,
        created_to: q.created_to,
        open_only: q.at_risk_within_mins.is_some(),
        deadline_before: q.at_risk_within_mins.map(|m| state.now() + chrono::TimeDelta::minutes(m)),
        breached: q.breached,
        unassigned: q.unassigned,
        onsite: q.onsite,
        newest_first: q.order == Some(ListOrder::Newest),
    };
    let page = PageParams { limit: q.limit, cursor: q.cursor };
    let (rows, limit) = state.tickets.list(&scope, &filters, &page).await?;
    let page = Page::from_rows(rows, limit, |t| t.id);
    let items = page.items.into_iter().map(TicketView::from).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: page.next_cursor }))
}

/// The scope of a ticket known by id only: another tenant's ticket is not found. A
/// requester only sees tickets they raised or requested.
pub(crate) async fn ticket_scope(
    state: &TicketingState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<TenantScope> {
    let owner = state.tickets.owner(id).await?;
    principal.scope_for(owner).map_err(|_| ApiError::not_found("ticket"))
}

pub(crate) fn visible(principal: &Principal, t: &Ticket) -> ApiResult<()> {
    let requester_only = principal.kind == PrincipalKind::User
        && !principal.is_provider()
        && !principal.has_role(Role::TenantAdmin);
    if requester_only && t.requester_id != Some(principal.subject) && t.created_by != principal.subject {
        return Err(ApiError::not_found("ticket"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_role_or_scope(&Role::ALL, &["tickets:read", "tickets:write"])?;
    let t = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(TicketView::from(t)))
}

/// What a patch asks the ticket to change.
fn edit_of(p: TicketPatch) -> Edit {
    Edit {
        status: p.status,
        title: p.title,
        description: p.description,
        category: p.category,
        impact: p.impact,
        urgency: p.urgency,
        assignee_id: p.assignee_id,
        support_level: p.support_level,
        site_id: p.site_id,
        onsite_required: p.onsite_required,
        custom_fields: p.custom_fields,
        resolution_code: p.resolution_code,
        resolution_notes: p.resolution_notes,
        reason: p.reason,
        problem: p.problem,
        change: p.change,
    }
}

/// The version a change is based on: `If-Match`, else the body's `version`, else the current one.
pub(crate) fn expected_version(req: &HttpRequest, body: Option<i64>, current: i64) -> ApiResult<i64> {
    Ok(canopy_kernel::http::if_match(req)?.or(body).unwrap_or(current))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])), request_body = TicketPatch,
    params(("id" = Uuid, Path)),
    description = "Changes a ticket: status along the state machine (409 otherwise), priority through impact and urgency \
        (clocks keep the time used), assignment, escalation, resolution. A tenant's users may edit the text, cancel, \
        answer while pending, confirm or reopen.",
    responses((status = 200, body = TicketView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&Role::ALL)?;
    let patch: TicketPatch = parse(body.into_inner())?;
    // A client that names no version has asked for no precondition: when the ticket moves
    // under it (the breach watch, the dispatcher), its edit is applied again to what is
    // there now instead of being refused for a version it never named.
    let precondition = patch.version.is_some() || req.headers().contains_key(header::IF_MATCH);
    let by = editor(&principal);
    let edit = edit_of(patch.clone());
    let mut attempt = 0;
    let saved = loop {
        attempt += 1;
        let mut t = state.tickets.load(&scope, *id).await?;
        visible(&principal, &t)?;
        let version = expected_version(&req, patch.version, t.version)?;
        // The precondition first: a change based on an older version is refused before
        // anything else is looked at (it may be the very change someone else already made).
        if version != t.version {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!("The ticket is at version {}, not {version}; reload and try again", t.version),
            ));
        }
        t.check_edit(&edit, by)?;
        let now = state.moment();
        let ctx = match edit.needs_settings() {
            true => Some(state.tenant_context(&token(&req), t.tenant_id, now.at).await?),
            false => None,
        };
        if let Some(ctx) = &ctx {
            check_tenant_writable(ctx, &principal)?;
        }
        let outcome = t.update(edit.clone(), by, ctx.as_ref().map(|c| &c.settings), now)?;
        let change = Change::new(now.at, actor(&principal), outcome);
        match state.tickets.save(&scope, &t, version, &change).await {
            Err(e) if !precondition && e.code() == ErrorCode::PreconditionFailed && attempt < 5 => continue,
            saved => break saved?,
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", saved.version)))
        .json(TicketView::from(saved)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/audit", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path), AuditQuery),
    description = "Every change to the ticket and its SLA clocks, in order, with who and when. Customers are not shown \
        the internal notes of provider staff (a page may then hold fewer entries than `limit`).",
    responses((status = 200, body = AuditPage), (status = 404, body = Problem)))]
pub async fn audit(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&Role::ALL)?;
    let t = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    let limit = match query.limit {
        None => 200,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
    };
    let after = match &query.cursor {
        None => 0,
        Some(c) => {
            c.parse::<i64>().map_err(|_| ApiError::invalid("cursor", "is not a cursor this API gave out"))?
        }
    };
    let mut rows = state.tickets.events(&scope, *id, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| r.seq.to_string()) } else { None };
    // Internal notes are provider staff's: a customer does not even learn that one was written.
    if !principal.is_provider() {
        rows.retain(|r| !(r.kind == "commented" && r.data["public"] == Value::Bool(false)));
    }
    Ok(HttpResponse::Ok()
        .json(AuditPage { items: rows.into_iter().map(AuditEntry::from).collect(), next_cursor }))
}

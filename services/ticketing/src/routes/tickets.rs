use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::{PrincipalKind, Role};
use canopy_kernel::http::{MAX_PAGE, Page, PageParams};
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, ListScope, Principal, Problem, TenantScope, Violations};
use canopy_sla::{BusinessCalendar, Metric, Priority};

use super::parse;
use super::views::{AuditEntry, AuditPage, TicketView, snapshot};
use crate::domain::clocks::{self, MetricClock};
use crate::domain::itil::{ChangeDetails, NewChange, ProblemDetails, Risk};
use crate::domain::lifecycle::{Channel, MAX_LEVEL, MIN_LEVEL, Status, TicketKind};
use crate::state::{TenantContext, TicketingState};
use crate::store::entities::ticket;
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

fn text(value: &str, max: usize, field: &str, v: &mut Violations) -> String {
    clean_text(value, max).unwrap_or_else(|m| {
        v.add(field, m);
        String::new()
    })
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// When the breach watch must next look at the ticket (a warning or a due time).
pub fn deadline(
    clocks: &[MetricClock],
    calendar: &BusinessCalendar,
    warnings: &[u32],
) -> ApiResult<Option<DateTime<Utc>>> {
    let next = clocks::next_deadline(clocks, calendar, warnings)
        .map_err(|_| ApiError::invalid("business_calendar", "the calendar does not open long enough"))?;
    Ok(next.and_then(|s| DateTime::from_timestamp(s, 0)))
}

fn clock_log(c: &MetricClock) -> Value {
    json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60, "due_at": c.due_at.and_then(|s| DateTime::from_timestamp(s, 0))})
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// Required for provider staff; a tenant's users and keys raise tickets for their own tenant.
    pub tenant_id: Option<Uuid>,
    #[serde(rename = "type")]
    pub kind: TicketKind,
    #[schema(example = "Printer on the 3rd floor offline")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// One of the tenant's categories (e.g. `hardware`).
    pub category: String,
    /// A level of the tenant's priority matrix (e.g. `high`).
    pub impact: String,
    pub urgency: String,
    /// Default: the caller, for a tenant's user.
    pub requester_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    /// Default `portal` (users) or `api` (API keys).
    pub channel: Option<Channel>,
    #[serde(default)]
    pub onsite_required: bool,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, Value>,
    /// Problems: root cause, known error, workaround.
    pub problem: Option<ProblemDetails>,
    /// Changes (required for them): type, risk and plan.
    pub change: Option<NewChange>,
}

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
    let (t, clocks, replayed) = raise(&state, &principal, &token(&req), scope, new, key).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("location", format!("/api/v1/tickets/{}", t.id)))
        .insert_header((header::ETAG, format!("\"{}\"", t.version)));
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    Ok(res.json(TicketView::new(t, &clocks)?))
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
) -> ApiResult<(ticket::Model, Vec<MetricClock>, bool)> {
    if let Some((key, request_hash)) = &key
        && let Some(seen) = state.tickets.idempotent(&scope, key).await?
    {
        if &seen.request_hash != request_hash {
            return Err(ApiError::invalid("Idempotency-Key", "was already used for a different request"));
        }
        let (t, clocks) = state.tickets.load(&scope, seen.ticket_id).await?;
        return Ok((t, clocks, true));
    }
    let tenant = scope.tenant_id().0;
    let now = state.now();
    let ctx = state.tenant_context(token, tenant, now).await?;
    check_tenant_writable(&ctx, principal)?;
    let mut v = Violations::new();
    let title = text(&new.title, 300, "title", &mut v);
    if new.description.chars().count() > 20_000 {
        v.add("description", "must have at most 20000 characters");
    }
    ctx.settings.check_category(&new.category, &mut v);
    let priority = ctx.settings.priority(&new.impact, &new.urgency, &mut v);
    ctx.settings.check_site(new.site_id, new.onsite_required, &mut v);
    ctx.settings.check_custom_fields(new.kind, &new.custom_fields, &mut v);
    let details = match (new.kind, &new.problem, &new.change) {
        (TicketKind::Problem, p, None) => {
            let p = p.clone().unwrap_or_default();
            p.check(&mut v);
            json!({"problem": p})
        }
        (TicketKind::Change, None, Some(c)) => {
            c.check(&mut v);
            json!({"change": c.clone().into_details()})
        }
        (TicketKind::Change, _, None) => {
            v.add("change", "a change says its type, risk and plan");
            json!({})
        }
        (_, None, None) => json!({}),
        (_, _, _) => {
            v.add(
                if new.problem.is_some() { "problem" } else { "change" },
                "does not go with this type of ticket",
            );
            json!({})
        }
    };
    v.into_result()?;
    let priority = priority
        .ok_or_else(|| ApiError::invalid("impact", "the tenant's matrix has no priority for this pair"))?;

    let mut clocks = Vec::new();
    let calendar = ctx.policy.as_ref().map(|p| p.calendar()).unwrap_or_else(BusinessCalendar::always);
    if let Some(policy) = &ctx.policy {
        clocks = clocks::start(&policy.targets(priority), new.onsite_required, secs(now), &calendar)
            .map_err(|_| {
                ApiError::invalid("business_calendar", "the tenant's calendar does not open long enough")
            })?;
    }
    let next_deadline = deadline(&clocks, &calendar, &state.settings.sla.warning_bp)?;
    let channel = new.channel.unwrap_or(if principal.kind == PrincipalKind::ApiKey {
        Channel::Api
    } else {
        Channel::Portal
    });
    let requester =
        new.requester_id.or(if principal.is_provider() || principal.kind == PrincipalKind::ApiKey {
            None
        } else {
            Some(principal.subject)
        });
    let row = ticket::ActiveModel {
        tenant_id: sea_orm::Set(tenant),
        id: sea_orm::Set(Uuid::now_v7()),
        number: sea_orm::Set(0),
        reference: sea_orm::Set(String::new()),
        kind: sea_orm::Set(new.kind.to_string()),
        title: sea_orm::Set(title),
        description: sea_orm::Set(new.description.trim().to_owned()),
        category: sea_orm::Set(new.category),
        impact: sea_orm::Set(new.impact),
        urgency: sea_orm::Set(new.urgency),
        priority: sea_orm::Set(priority.to_string()),
        status: sea_orm::Set(Status::New.to_string()),
        channel: sea_orm::Set(channel.to_string()),
        requester_id: sea_orm::Set(requester),
        site_id: sea_orm::Set(new.site_id),
        onsite_required: sea_orm::Set(new.onsite_required),
        assignee_id: sea_orm::Set(None),
        support_level: sea_orm::Set(MIN_LEVEL),
        custom_fields: sea_orm::Set(json!(new.custom_fields)),
        details: sea_orm::Set(details),
        policy: sea_orm::Set(serde_json::to_value(&ctx.policy).map_err(ApiError::internal)?),
        external_id: sea_orm::Set(None),
        created_by: sea_orm::Set(principal.subject),
        created_at: sea_orm::Set(now),
        updated_at: sea_orm::Set(now),
        first_response_at: sea_orm::Set(None),
        resolved_at: sea_orm::Set(None),
        closed_at: sea_orm::Set(None),
        resolution_code: sea_orm::Set(None),
        resolution_notes: sea_orm::Set(None),
        next_deadline: sea_orm::Set(next_deadline),
        version: sea_orm::Set(1),
    };
    let mut change = Change::new(now, actor(principal));
    change.log("created", json!({"type": new.kind, "priority": priority, "channel": channel,
        "policy": ctx.policy.as_ref().map(|p| json!({"tier": p.tier_name, "coverage": p.coverage, "contract_id": p.contract_id}))}));
    for c in &clocks {
        change.log("clock_started", clock_log(c));
    }
    let scope_key = key.as_ref().map(|(k, h)| (k.as_str(), h.as_str()));
    change.announce(json!({"type": "ticket.created"}));
    let saved = state.tickets.create(&scope, &ctx.key, row, &clocks, &change, scope_key).await?;
    tracing::info!(ticket = %saved.reference, priority = %saved.priority, "ticket raised");
    Ok((saved, clocks, false))
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
    pub limit: Option<u64>,
    pub cursor: Option<String>,
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
        status: q.status.map(|s| s.to_string()),
        priority: q.priority.map(|p| p.to_string()),
        kind: q.kind.map(|k| k.to_string()),
        category: q.category,
        assignee_id: q.assignee_id,
        mine: requester_only.then_some(principal.subject),
        text: q.q.filter(|t| !t.trim().is_empty()),
        created_from: q.created_from,
        created_to: q.created_to,
        open_only: q.at_risk_within_mins.is_some(),
        deadline_before: q.at_risk_within_mins.map(|m| state.now() + chrono::TimeDelta::minutes(m)),
        breached: q.breached,
        unassigned: q.unassigned,
        onsite: q.onsite,
    };
    let page = PageParams { limit: q.limit, cursor: q.cursor };
    let (rows, limit) = state.tickets.list(&scope, &filters, &page).await?;
    let page = Page::from_rows(rows, limit, |t| t.id);
    let mut items = Vec::with_capacity(page.items.len());
    let mut by_tenant: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for t in &page.items {
        by_tenant.entry(t.tenant_id).or_default().push(t.id);
    }
    let mut all_clocks: Vec<(Uuid, MetricClock)> = Vec::new();
    for (tenant, ids) in by_tenant {
        all_clocks.extend(
            state.tickets.clocks(&TenantScope::trusted(canopy_kernel::TenantId(tenant)), &ids).await?,
        );
    }
    for t in page.items {
        let mine: Vec<MetricClock> =
            all_clocks.iter().filter(|(id, _)| *id == t.id).map(|(_, c)| c.clone()).collect();
        items.push(TicketView::new(t, &mine)?);
    }
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

pub(crate) fn visible(principal: &Principal, t: &ticket::Model) -> ApiResult<()> {
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
    let (t, clocks) = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(TicketView::new(t, &clocks)?))
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// The version you read (or send If-Match).
    pub version: Option<i64>,
    pub status: Option<Status>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    /// An engineer or agent; `null` unassigns.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// L1–L3; raising it is an escalation and needs a `reason`.
    pub support_level: Option<i16>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<Option<Uuid>>,
    pub onsite_required: Option<bool>,
    pub custom_fields: Option<BTreeMap<String, Value>>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    /// Why (escalation, cancellation, reopening); kept in the audit trail.
    pub reason: Option<String>,
    /// Problems: replaces root cause, known error and workaround.
    pub problem: Option<ProblemDetails>,
    /// Changes: risk, plan and back-out plan (before approval or work), review (after).
    pub change: Option<ChangePatch>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePatch {
    pub risk: Option<Risk>,
    pub plan: Option<String>,
    pub backout_plan: Option<String>,
    /// The post-implementation review, once the change is done.
    pub review: Option<String>,
}

/// The change details of a change ticket.
pub(crate) fn change_details(t: &ticket::Model) -> ApiResult<Option<ChangeDetails>> {
    match t.details.get("change") {
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(ApiError::internal),
        None => Ok(None),
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
    let (mut t, mut clocks) = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    let version = expected_version(&req, patch.version, t.version)?;
    // The precondition first: a change based on an older version is refused before anything
    // else is looked at (it may be the very change someone else already made).
    if version != t.version {
        return Err(ApiError::new(
            ErrorCode::PreconditionFailed,
            format!("The ticket is at version {}, not {version}; reload and try again", t.version),
        ));
    }
    let staff = principal.is_provider();
    let admin = principal.has_role(Role::TenantAdmin);
    let from: Status = t.status.parse().map_err(|_| ApiError::internal(anyhow::anyhow!("bad status")))?;

    // What a tenant's users may do; the rest is the provider's work.
    if !staff {
        let mut denied = Vec::new();
        if patch.assignee_id.is_some() {
            denied.push("assignee_id")
        }
        if patch.support_level.is_some() {
            denied.push("support_level")
        }
        if patch.resolution_code.is_some() || patch.resolution_notes.is_some() {
            denied.push("resolution")
        }
        if !admin && (patch.impact.is_some() || patch.urgency.is_some()) {
            denied.push("impact/urgency")
        }
        if let Some(to) = patch.status {
            let allowed = matches!(
                (from, to),
                (_, Status::Cancelled)
                    | (Status::Resolved, Status::InProgress)
                    | (Status::Resolved, Status::Closed)
                    | (Status::PendingCustomer, Status::InProgress)
            );
            if !allowed {
                denied.push("status")
            }
        }
        if !denied.is_empty() {
            return Err(ApiError::forbidden(format!("Only provider staff change: {}", denied.join(", "))));
        }
    }

    let now = state.now();
    let snap = snapshot(&t)?;
    let calendar = snap.as_ref().map(|p| p.calendar()).unwrap_or_else(BusinessCalendar::always);
    let sla_err = |_| ApiError::invalid("business_calendar", "the calendar does not open long enough");
    let mut change = Change::new(now, actor(&principal));
    let mut v = Violations::new();
    let mut changed: Vec<&str> = Vec::new();

    let needs_context = patch.category.is_some()
        || patch.impact.is_some()
        || patch.urgency.is_some()
        || patch.custom_fields.is_some()
        || matches!(patch.site_id, Some(Some(_)))
        || patch.onsite_required == Some(true);
    let ctx =
        if needs_context { Some(state.tenant_context(&token(&req), t.tenant_id, now).await?) } else { None };
    if let Some(ctx) = &ctx {
        check_tenant_writable(ctx, &principal)?;
    }

    if let Some(title) = &patch.title {
        let title = text(title, 300, "title", &mut v);
        change.log("field_changed", json!({"field": "title", "from": t.title, "to": title}));
        t.title = title;
        changed.push("title");
    }
    if let Some(d) = &patch.description {
        if d.chars().count() > 20_000 {
            v.add("description", "must have at most 20000 characters")
        }
        change.log("field_changed", json!({"field": "description"}));
        t.description = d.trim().to_owned();
        changed.push("description");
    }
    if let (Some(cat), Some(ctx)) = (&patch.category, &ctx) {
        ctx.settings.check_category(cat, &mut v);
        change.log("field_changed", json!({"field": "category", "from": t.category, "to": cat}));
        t.category = cat.clone();
        changed.push("category");
    }
    let kind: TicketKind = t.kind.parse().map_err(|_| ApiError::internal(anyhow::anyhow!("bad kind")))?;
    if let (Some(fields), Some(ctx)) = (&patch.custom_fields, &ctx) {
        ctx.settings.check_custom_fields(kind, fields, &mut v);
        t.custom_fields = json!(fields);
        change.log("field_changed", json!({"field": "custom_fields"}));
        changed.push("custom_fields");
    }
    if let Some(site) = patch.site_id {
        if let Some(ctx) = &ctx {
            ctx.settings.check_site(site, patch.onsite_required.unwrap_or(t.onsite_required), &mut v);
        }
        change.log("field_changed", json!({"field": "site_id", "from": t.site_id, "to": site}));
        t.site_id = site;
        changed.push("site_id");
    }
    let mut retarget = false;
    if (patch.impact.is_some() || patch.urgency.is_some())
        && let Some(ctx) = &ctx
    {
        let impact = patch.impact.clone().unwrap_or(t.impact.clone());
        let urgency = patch.urgency.clone().unwrap_or(t.urgency.clone());
        if let Some(p) = ctx.settings.priority(&impact, &urgency, &mut v) {
            let p = p.to_string();
            if p != t.priority {
                change.log(
                    "priority_changed",
                    json!({"from": t.priority, "to": p, "impact": impact, "urgency": urgency}),
                );
                t.priority = p;
                retarget = true;
            }
        }
        t.impact = impact;
        t.urgency = urgency;
        changed.push("priority");
    }
    if let Some(onsite) = patch.onsite_required
        && onsite != t.onsite_required
    {
        change.log("field_changed", json!({"field": "onsite_required", "to": onsite}));
        t.onsite_required = onsite;
        retarget = true;
        changed.push("onsite_required");
    }
    if let Some(level) = patch.support_level {
        if !(MIN_LEVEL..=MAX_LEVEL).contains(&level) {
            v.add("support_level", "must be 1, 2 or 3");
        } else if level != t.support_level {
            let reason = patch.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            if level > t.support_level && reason.is_none() {
                v.add("reason", "say why the ticket is escalated");
            }
            let kind = if level > t.support_level { "escalated" } else { "de_escalated" };
            change.log(kind, json!({"from": t.support_level, "to": level, "reason": reason}));
            t.support_level = level;
            changed.push("support_level");
        }
    }
    if let Some(code) = &patch.resolution_code {
        t.resolution_code = Some(text(code, 60, "resolution_code", &mut v));
    }
    if let Some(notes) = &patch.resolution_notes {
        if notes.chars().count() > 20_000 {
            v.add("resolution_notes", "must have at most 20000 characters")
        }
        t.resolution_notes = Some(notes.trim().to_owned());
    }
    let mut change_info = change_details(&t)?;
    if let Some(p) = &patch.problem {
        if kind != TicketKind::Problem {
            v.add("problem", "only problems have a root cause and workaround");
        } else if !staff {
            return Err(ApiError::forbidden("Only provider staff record root causes"));
        } else {
            p.check(&mut v);
            change.log("problem_updated", json!({"known_error": p.known_error}));
            t.details["problem"] = json!(p);
            changed.push("problem");
        }
    }
    if let Some(c) = &patch.change {
        match change_info.as_mut() {
            None => v.add("change", "only changes have a plan and risk"),
            Some(_) if !staff => return Err(ApiError::forbidden("Only provider staff edit a change's plan")),
            Some(info) => {
                let started = !matches!(from, Status::New | Status::Assigned);
                if (c.plan.is_some() || c.risk.is_some() || c.backout_plan.is_some()) && started {
                    v.add("change.plan", "the plan is fixed once work has started");
                }
                if let Some(risk) = c.risk {
                    info.risk = risk;
                }
                if let Some(plan) = &c.plan {
                    v.check(
                        !plan.trim().is_empty() && plan.chars().count() <= 20_000,
                        "change.plan",
                        "must have 1–20000 characters",
                    );
                    info.plan = plan.trim().to_owned();
                }
                if let Some(b) = &c.backout_plan {
                    info.backout_plan = Some(b.trim().to_owned());
                }
                if let Some(review) = &c.review {
                    v.check(
                        matches!(from, Status::Resolved | Status::Closed),
                        "change.review",
                        "is written once the change is done",
                    );
                    info.review = Some(review.trim().to_owned());
                }
                change.log("change_updated", json!({"risk": info.risk}));
                changed.push("change");
            }
        }
    }
    v.into_result()?;

    if retarget && let Some(policy) = &snap {
        let priority: Priority = t.priority.parse().unwrap_or(Priority::P4);
        clocks::retarget(
            &mut clocks,
            &policy.targets(priority),
            t.onsite_required,
            secs(t.created_at),
            &calendar,
        )
        .map_err(sla_err)?;
        for c in &clocks {
            change.log("clock_retargeted", clock_log(c));
        }
    }

    let mut status = from;
    if let Some(assignee) = patch.assignee_id
        && assignee != t.assignee_id
    {
        change.log("assigned", json!({"from": t.assignee_id, "to": assignee}));
        t.assignee_id = assignee;
        change.announce(json!({"type": "ticket.assigned", "assignee_id": assignee}));
        changed.push("assignee_id");
        if assignee.is_some() && status == Status::New && patch.status.is_none() {
            status = Status::Assigned;
        }
    }
    if let Some(to) = patch.status {
        from.check_move(to)?;
        if let Some(info) = &change_info {
            info.check_move(to)?;
        }
        status = to;
    }
    if status != from {
        if status == Status::Resolved && t.resolution_code.is_none() && staff {
            return Err(ApiError::invalid("resolution_code", "say how the ticket was resolved"));
        }
        changed.push("status");
        enter_status(&mut t, &mut clocks, &mut change, from, status, patch.reason.as_deref(), &calendar)?;
        if status == Status::Resolved
            && let Some(info) = change_info.as_mut()
        {
            info.implemented_at = Some(now);
        }
    }
    if let Some(info) = &change_info {
        t.details["change"] = json!(info);
    }

    // A person's action answers the customer; the dispatcher's automatic assignment (a
    // service acting on its own, the nil subject) does not.
    if staff && !changed.is_empty() && !principal.subject.is_nil() {
        first_response(&mut t, &mut clocks, &mut change, &principal);
    }
    if changed.is_empty() {
        return Err(ApiError::invalid("body", "nothing to change"));
    }
    t.next_deadline =
        if status.is_open() { deadline(&clocks, &calendar, &state.settings.sla.warning_bp)? } else { None };
    change.announce(json!({"type": "ticket.updated", "changed": changed}));
    let saved = state.tickets.save(&scope, t, version, &clocks, &change).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", saved.version)))
        .json(TicketView::new(saved, &clocks)?))
}

/// Moves a ticket from `from` to `to` (a move the state machine allows): logs it and does
/// what the move means to the SLA clocks — pausing while the customer is waited on, stopping
/// resolution when resolved, reopening, stopping everything when closed or cancelled.
pub(crate) fn enter_status(
    t: &mut ticket::Model,
    clocks: &mut [MetricClock],
    change: &mut Change,
    from: Status,
    to: Status,
    reason: Option<&str>,
    calendar: &BusinessCalendar,
) -> ApiResult<()> {
    let now = change.at;
    let at = secs(now);
    let sla_err = |_| ApiError::invalid("business_calendar", "the calendar does not open long enough");
    change.log("status_changed", json!({"from": from, "to": to, "reason": reason}));
    if from == Status::PendingCustomer {
        clocks::resume(clocks, at, calendar).map_err(sla_err)?;
        change.log("clock_resumed", json!({"due": clocks.iter().map(clock_log).collect::<Vec<_>>()}));
    }
    match to {
        Status::PendingCustomer => {
            clocks::pause(clocks, at);
            change.log("clock_paused", json!({"metrics": clocks.iter().filter(|c| c.running()).map(|c| c.metric).collect::<Vec<_>>()}));
        }
        Status::Resolved => {
            if clocks::stop(clocks, Metric::Resolution, at) {
                change.log("clock_stopped", json!({"metric": Metric::Resolution}));
            }
            t.resolved_at = Some(now);
            change.announce(json!({"type": "ticket.resolved"}));
        }
        Status::InProgress if from == Status::Resolved => {
            clocks::reopen(clocks, at, calendar).map_err(sla_err)?;
            change.log(
                "reopened",
                json!({"reason": reason, "due": clocks.iter().map(clock_log).collect::<Vec<_>>()}),
            );
            t.resolved_at = None;
        }
        Status::Closed | Status::Cancelled => {
            for m in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
                clocks::stop(clocks, m, at);
            }
            if to == Status::Closed {
                t.closed_at = Some(now);
                change.announce(json!({"type": "ticket.closed"}));
            }
        }
        _ => {}
    }
    t.status = to.to_string();
    Ok(())
}

/// The first public action of provider staff on a ticket is its first response.
pub(crate) fn first_response(
    t: &mut ticket::Model,
    clocks: &mut [MetricClock],
    change: &mut Change,
    principal: &Principal,
) {
    if t.first_response_at.is_none() {
        t.first_response_at = Some(change.at);
        if clocks::stop(clocks, Metric::FirstResponse, change.at.timestamp()) {
            change.log("first_response", json!({"by": principal.subject}));
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/audit", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path), AuditQuery),
    description = "Every change to the ticket and its SLA clocks, in order, with who and when.",
    responses((status = 200, body = AuditPage), (status = 404, body = Problem)))]
pub async fn audit(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&Role::ALL)?;
    let (t, _) = state.tickets.load(&scope, *id).await?;
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
    Ok(HttpResponse::Ok()
        .json(AuditPage { items: rows.into_iter().map(AuditEntry::from).collect(), next_cursor }))
}

//! `/tickets/{reference}`: one ticket as its customer follows it — facts, SLA clocks with
//! live countdowns, the timeline of public comments and status changes — with what the
//! customer can do by its status: reply, confirm it is solved or say it is not, rate it once.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::client::CallError;
use canopy_api::knowledge::Hit;
use canopy_api::tenants::PortalConfigView;
use canopy_api::ticket_work::{FeedbackView, NewComment, NewFeedback};
use canopy_api::ticketing::{Status, TicketPatch, TicketView};
use canopy_kernel::FieldError;

use super::timeline::{ClockRow, Entry, Fact, People, custom_facts, timeline};
use super::{Choice, find_ticket};
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render_status, see_other};
use crate::state::WebState;

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    ctx: Chrome,
    reference: String,
    title: String,
    description: String,
    status: &'static str,
    status_key: String,
    priority: &'static str,
    priority_label: String,
    facts: Vec<Fact>,
    custom: Vec<Fact>,
    tier: Option<String>,
    clocks: Vec<ClockRow>,
    entries: Vec<Entry>,
    version: i64,
    can_reply: bool,
    waiting_on_me: bool,
    resolved: bool,
    can_rate: bool,
    feedback: Option<FeedbackView>,
    given_on: String,
    suggestions: Vec<Hit>,
    notice: Option<String>,
    error: Option<String>,
    errors: FieldErrors,
    /// What was typed into a refused form, kept.
    reply: String,
    reason: String,
    ratings: Vec<Choice>,
    complaint: bool,
    rating_text: String,
}

/// A refused or half-done action shown on the ticket's page.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    errors: Vec<FieldError>,
    reply: String,
    reason: String,
    rating: i16,
    complaint: bool,
    rating_text: String,
}

/// The names of the tenant's people the reader may read (admins: any of the tenant's users;
/// a requester: only themselves, so no lookup).
async fn people(state: &WebState, signed: &Signed, ids: Vec<uuid::Uuid>) -> People {
    let me = signed.user().id;
    let mut names = HashMap::new();
    if let (true, Some(tenant)) = (signed.user().is_tenant_admin(), signed.user().tenant_id) {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        ids.retain(|id| *id != me);
        let found = futures_util::future::join_all(
            ids.iter().map(|id| state.api.tenants.tenant_user(signed.token(), tenant, *id)),
        )
        .await;
        for user in found.into_iter().flatten() {
            names.insert(user.id, user.display_name);
        }
    }
    People { me, names }
}

async fn show(
    state: &WebState,
    signed: &Signed,
    t: TicketView,
    outcome: Outcome,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let tenant = signed.tenant()?;
    let token = signed.token();
    let api = &state.api;
    let ended = matches!(t.status, Status::Resolved | Status::Closed);
    let feedback = async { if ended { api.ticketing.feedback(token, t.id).await } else { Ok(None) } };
    let suggestions = async {
        if t.status.is_open() { api.ticketing.suggestions(token, t.id, 3).await } else { Ok(Vec::new()) }
    };
    let (comments, audit, config, (feedback, suggestions)) = futures_util::future::join4(
        api.ticketing.comments(token, t.id),
        api.ticketing.all_audit(token, t.id),
        api.tenants.portal_config(token, tenant),
        futures_util::future::join(feedback, suggestions),
    )
    .await;
    let fail = |e: CallError| signed.fail(e);
    let (comments, audit, config, feedback) =
        (comments.map_err(fail)?, audit.map_err(fail)?, config.map_err(fail)?, feedback.map_err(fail)?);
    // Suggestions are a help, not the page: without them the ticket still shows.
    let suggestions = suggestions.unwrap_or_else(|e| {
        tracing::debug!(error = %e, "no suggestions for a ticket");
        Vec::new()
    });
    let mut ids: Vec<uuid::Uuid> = comments.iter().map(|c| c.author_id).collect();
    ids.extend(audit.iter().map(|a| a.actor_id));
    ids.push(t.created_by);
    ids.extend(t.requester_id);
    let people = people(state, signed, ids).await;

    let ctx = signed.chrome();
    let lang = ctx.lang;
    let facts = facts(&ctx, &t, &config, &people);
    let custom = custom_facts(&ctx, &t, &config);
    let open = t.status.is_open();
    let clocks = t.sla.iter().flat_map(|s| s.clocks.iter()).map(|c| ClockRow::of(&ctx, c, open)).collect();
    let entries = timeline(&ctx, &t, &comments, &audit, &people);
    let given_on = feedback.as_ref().map(|f| ctx.when(&f.given_at)).unwrap_or_default();
    let page = TicketPage {
        reference: t.reference.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        status: t.status.as_str(),
        status_key: format!("status-{}", t.status.as_str()),
        priority: t.priority.as_str(),
        priority_label: lang.t(&format!("portal-priority-{}", t.priority.as_str().to_lowercase())),
        facts,
        custom,
        tier: t.sla.as_ref().map(|s| s.tier_name.clone()),
        clocks,
        entries,
        version: t.version,
        can_reply: !matches!(t.status, Status::Closed | Status::Cancelled),
        waiting_on_me: t.status == Status::PendingCustomer,
        resolved: t.status == Status::Resolved,
        can_rate: ended && feedback.is_none(),
        feedback,
        given_on,
        suggestions,
        notice: outcome.notice,
        error: outcome.error,
        errors: FieldErrors(outcome.errors),
        reply: outcome.reply,
        reason: outcome.reason,
        ratings: (1..=5)
            .map(|n: i16| {
                Choice::new(n.to_string(), lang.t(&format!("portal-rating-{n}")), &outcome.rating.to_string())
            })
            .collect(),
        complaint: outcome.complaint,
        rating_text: outcome.rating_text,
        ctx,
    };
    render_status(status, &page)
}

fn facts(ctx: &Chrome, t: &TicketView, config: &PortalConfigView, people: &People) -> Vec<Fact> {
    let fact = |key: &str, value: String| Fact { label: ctx.t(key), value };
    let category = config
        .ticket_categories
        .iter()
        .find(|c| c.key == t.category)
        .map_or_else(|| t.category.clone(), |c| c.name.clone());
    let mut facts = vec![
        fact("portal-category", category),
        fact("portal-raised", ctx.when(&t.created_at)),
        fact(
            "portal-requester",
            t.requester_id.map_or_else(|| ctx.t("portal-service-desk"), |r| people.name(ctx, r)),
        ),
    ];
    if let Some(site) = t.site_id.and_then(|id| config.sites.iter().find(|s| s.id == id)) {
        facts.push(fact("portal-field-site", format!("{} – {}", site.name, site.address)));
    }
    if t.onsite_required {
        facts.push(fact("portal-onsite", ctx.t("portal-yes")));
    }
    if let Some(at) = t.resolved_at {
        facts.push(fact("portal-resolved-at", ctx.when(&at)));
    }
    if let Some(notes) = t.resolution_notes.as_ref().filter(|n| !n.trim().is_empty()) {
        facts.push(fact("portal-resolution", notes.clone()));
    }
    facts
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(
    state: web::Data<WebState>,
    signed: Signed,
    reference: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let t = find_ticket(&state, &signed, &reference).await?;
    let notice = match query.done.as_deref() {
        Some(done @ ("reply" | "closed" | "reopened" | "rated")) => {
            Some(signed.lang().t(&format!("portal-done-{done}")))
        }
        _ => None,
    };
    show(&state, &signed, t, Outcome { notice, ..Outcome::default() }, StatusCode::OK).await
}

fn done(reference: &str, what: &str) -> HttpResponse {
    see_other(&format!("/tickets/{reference}?done={what}"))
}

/// An action the API refused: with its field errors beside the fields, else a message.
async fn refused(
    state: &WebState,
    signed: &Signed,
    t: TicketView,
    err: CallError,
    mut outcome: Outcome,
    field: &str,
) -> Result<HttpResponse, PageError> {
    let lang = signed.lang();
    let status = match err.status() {
        Some(422) => {
            let errors: Vec<FieldError> = err.problem().map(|p| p.errors.clone()).unwrap_or_default();
            match errors.is_empty() {
                // The one field of the little form is the one refused.
                false => {
                    outcome.errors = errors.into_iter().map(|e| FieldError::new(field, e.message)).collect()
                }
                true => outcome.error = err.problem().map(|p| p.detail.clone()),
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(412) => {
            outcome.error = Some(lang.t("portal-error-changed"));
            StatusCode::CONFLICT
        }
        Some(409) => {
            outcome.error = Some(lang.t("portal-error-not-now"));
            StatusCode::CONFLICT
        }
        Some(403) if err.problem().is_some_and(|p| p.code.starts_with("tenant_")) => {
            outcome.error = Some(lang.t("portal-error-suspended"));
            StatusCode::FORBIDDEN
        }
        _ => return Err(signed.fail(err)),
    };
    // Read again: the refusal may be because it changed.
    let t = match state.api.ticketing.ticket(signed.token(), t.id).await {
        Ok(fresh) => fresh,
        Err(_) => t,
    };
    show(state, signed, t, outcome, status).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    body: String,
}

pub async fn reply(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    reference: web::Path<String>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let t = find_ticket(&state, &signed, &reference).await?;
    let body = form.body.trim().to_owned();
    if body.is_empty() {
        let outcome = Outcome {
            errors: vec![FieldError::new("body", signed.lang().t("portal-error-reply"))],
            ..Outcome::default()
        };
        return show(&state, &signed, t, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let comment = NewComment { body: body.clone(), public: true };
    match state.api.ticketing.add_comment(signed.token(), t.id, &comment).await {
        Ok(_) => Ok(done(&t.reference, "reply")),
        Err(err) => {
            let outcome = Outcome { reply: form.body.clone(), ..Outcome::default() };
            refused(&state, &signed, t, err, outcome, "body").await
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    /// The version the reader saw: a ticket that changed since is not moved blindly.
    version: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn move_to(
    state: &WebState,
    signed: &Signed,
    t: TicketView,
    to: Status,
    form: &MoveForm,
) -> Result<Result<(), CallError>, PageError> {
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let patch = TicketPatch { status: Some(to), reason, ..TicketPatch::default() };
    let version = form.version.unwrap_or(t.version);
    Ok(state.api.ticketing.patch_ticket(signed.token(), t.id, &patch, version).await.map(drop))
}

/// "Yes, it is solved": the resolved ticket is closed.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    reference: web::Path<String>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let t = find_ticket(&state, &signed, &reference).await?;
    let reference = t.reference.clone();
    match move_to(&state, &signed, t.clone(), Status::Closed, &form).await? {
        Ok(()) => Ok(done(&reference, "closed")),
        Err(err) => refused(&state, &signed, t, err, Outcome::default(), "status").await,
    }
}

/// "It is not solved": the resolved ticket goes back to work, with the customer's reason.
pub async fn reopen(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    reference: web::Path<String>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let t = find_ticket(&state, &signed, &reference).await?;
    let lang = signed.lang();
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        let key = if reason.is_empty() { "portal-error-reason" } else { "portal-error-too-long" };
        let outcome = Outcome {
            errors: vec![FieldError::new("reason", lang.t(key))],
            reason: form.reason.clone(),
            ..Outcome::default()
        };
        return show(&state, &signed, t, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let reference = t.reference.clone();
    match move_to(&state, &signed, t.clone(), Status::InProgress, &form).await? {
        Ok(()) => Ok(done(&reference, "reopened")),
        Err(err) => {
            let outcome = Outcome { reason: form.reason.clone(), ..Outcome::default() };
            refused(&state, &signed, t, err, outcome, "reason").await
        }
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    rating: Option<String>,
    complaint: Option<String>,
    #[serde(default)]
    text: String,
}

pub async fn rate(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    reference: web::Path<String>,
    form: web::Form<RateForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let t = find_ticket(&state, &signed, &reference).await?;
    let lang = signed.lang();
    let complaint = form.complaint.as_deref().is_some_and(|c| !c.is_empty());
    let kept =
        |rating: i16| Outcome { rating, complaint, rating_text: form.text.clone(), ..Outcome::default() };
    let rating =
        form.rating.as_deref().and_then(|r| r.trim().parse::<i16>().ok()).filter(|r| (1..=5).contains(r));
    let Some(rating) = rating else {
        let outcome =
            Outcome { errors: vec![FieldError::new("rating", lang.t("portal-error-rating"))], ..kept(0) };
        return show(&state, &signed, t, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let feedback = NewFeedback { rating, complaint, text: form.text.trim().to_owned() };
    match state.api.ticketing.give_feedback(signed.token(), t.id, &feedback).await {
        Ok(_) => Ok(done(&t.reference, "rated")),
        Err(err) => {
            let field = match err.problem().and_then(|p| p.errors.first()) {
                Some(e) if e.field == "text" => "text",
                _ => "rating",
            };
            refused(&state, &signed, t, err, kept(rating), field).await
        }
    }
}

//! Changes waiting for the tenant's decision: each with its type, risk, plan, back-out plan
//! and window, approved (with an optional comment) or rejected (with a reason, required).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::ticketing::{ChangeType, Decision, NewDecision, Risk, TicketView};
use canopy_kernel::FieldError;

use super::{admin_tenant, id_of, refusal};
use crate::format::url_encode;
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render_status, see_other};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/approvals", web::get().to(list)).route("/admin/approvals/{id}", web::post().to(decide));
}

/// The most characters of a decision's comment (the API's rule).
const MAX_COMMENT: usize = 5000;

/// A change as the page shows it.
struct ChangeCard {
    id: Uuid,
    reference: String,
    title: String,
    description: String,
    priority: &'static str,
    type_key: &'static str,
    emergency: bool,
    risk: &'static str,
    risk_key: &'static str,
    plan: String,
    backout_plan: Option<String>,
    /// From and to, in the tenant's zone.
    window: Option<(String, String)>,
    raised: String,
    /// What the admin typed, when the form comes back.
    comment: String,
}

impl ChangeCard {
    fn of(ctx: &Chrome, t: TicketView) -> Option<Self> {
        let change = t.change?;
        let (type_key, emergency) = match change.change_type {
            ChangeType::Standard => ("admin-change-standard", false),
            ChangeType::Normal => ("admin-change-normal", false),
            ChangeType::Emergency => ("admin-change-emergency", true),
        };
        let (risk, risk_key) = match change.risk {
            Risk::Low => ("low", "admin-risk-low"),
            Risk::Medium => ("medium", "admin-risk-medium"),
            Risk::High => ("high", "admin-risk-high"),
        };
        Some(Self {
            id: t.id,
            reference: t.reference,
            title: t.title,
            description: t.description,
            priority: t.priority.as_str(),
            type_key,
            emergency,
            risk,
            risk_key,
            plan: change.plan,
            backout_plan: change.backout_plan.filter(|b| !b.trim().is_empty()),
            window: change.window.map(|w| window_text(ctx.when(&w.starts_at), ctx.when(&w.ends_at))),
            raised: ctx.when(&t.created_at),
            comment: String::new(),
        })
    }
}

/// A window's ends as the page shows them: the end's date only when it is another day
/// (`2026-12-12 22:00` – `23:30`).
fn window_text(from: String, to: String) -> (String, String) {
    match (from.split_once(' '), to.split_once(' ')) {
        (Some((day, _)), Some((end_day, time))) if day == end_day => {
            let time = time.to_owned();
            (from, time)
        }
        _ => (from, to),
    }
}

#[derive(Template)]
#[template(path = "admin/approvals.html")]
struct ApprovalsPage {
    ctx: Chrome,
    changes: Vec<ChangeCard>,
    notice: Option<String>,
    error: Option<String>,
    /// The change whose form came back, and its problems (by `comment`).
    failed: Option<Uuid>,
    errors: FieldErrors,
}

impl ApprovalsPage {
    /// The problem with `field` of the change `id`'s form.
    fn error_of(&self, id: &Uuid, field: &str) -> Option<&str> {
        if self.failed_here(id) { self.errors.of(field) } else { None }
    }

    fn failed_here(&self, id: &Uuid) -> bool {
        self.failed.as_ref() == Some(id)
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

async fn list(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    admin_tenant(&signed)?;
    let lang = signed.lang();
    // The reference only names what was decided: it is shown escaped, and only if it looks
    // like one.
    let reference = query
        .reference
        .as_deref()
        .filter(|r| r.len() <= 40 && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or_default();
    let notice = match query.done.as_deref() {
        Some("approved") => Some(lang.t_with("admin-approvals-approved", &[("reference", reference.into())])),
        Some("rejected") => Some(lang.t_with("admin-approvals-rejected", &[("reference", reference.into())])),
        _ => None,
    };
    page(&state, &signed, Page { notice, ..Page::default() }).await
}

#[derive(Default)]
struct Page {
    notice: Option<String>,
    error: Option<String>,
    failed: Option<(Uuid, String, Vec<FieldError>)>,
    status: Option<StatusCode>,
}

async fn page(state: &WebState, signed: &Signed, p: Page) -> Result<HttpResponse, PageError> {
    let waiting =
        state.api.ticketing.changes_awaiting_decision(signed.token()).await.map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    let mut changes: Vec<ChangeCard> = waiting.into_iter().filter_map(|t| ChangeCard::of(&ctx, t)).collect();
    let (failed, errors) = match p.failed {
        Some((id, comment, errors)) => {
            if let Some(card) = changes.iter_mut().find(|c| c.id == id) {
                card.comment = comment;
            }
            (Some(id), FieldErrors(errors))
        }
        None => (None, FieldErrors::default()),
    };
    let page = ApprovalsPage { ctx, changes, notice: p.notice, error: p.error, failed, errors };
    render_status(p.status.unwrap_or(StatusCode::OK), &page)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    admin_tenant(&signed)?;
    let lang = signed.lang();
    let id = id_of(lang, &path)?;
    let form = form.into_inner();
    // The change must be the tenant's (another tenant's is simply not found).
    let ticket = state.api.ticketing.ticket(signed.token(), id).await.map_err(|e| signed.fail(e))?;
    let comment = form.comment.trim().to_owned();
    let refused = |error: FieldError| Page {
        failed: Some((id, form.comment.clone(), vec![error])),
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        ..Page::default()
    };
    let decision = match form.decision.as_str() {
        "approved" => Decision::Approved,
        "rejected" => Decision::Rejected,
        _ => {
            let error = FieldError::new("decision", lang.t("admin-approvals-error-decision"));
            return page(&state, &signed, refused(error)).await;
        }
    };
    if decision == Decision::Rejected && comment.is_empty() {
        let error = FieldError::new("comment", lang.t("admin-approvals-error-reason"));
        return page(&state, &signed, refused(error)).await;
    }
    if comment.chars().count() > MAX_COMMENT {
        let error = FieldError::new("comment", lang.t("admin-approvals-error-long"));
        return page(&state, &signed, refused(error)).await;
    }
    let body = NewDecision { decision, comment };
    match state.api.ticketing.decide_change(signed.token(), id, &body).await {
        Ok(_) => {
            let done = if decision == Decision::Approved { "approved" } else { "rejected" };
            Ok(see_other(&format!("/admin/approvals?done={done}&ref={}", url_encode(&ticket.reference))))
        }
        Err(err) if err.status() == Some(422) => {
            // The page checks what the API does; should it still refuse, its words are shown.
            let errors = err.problem().map(|p| p.errors.clone()).unwrap_or_default();
            let p = Page {
                failed: Some((id, form.comment.clone(), errors)),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..Page::default()
            };
            page(&state, &signed, p).await
        }
        Err(err) if err.status() == Some(409) => {
            let error =
                Some(lang.t_with(
                    "admin-approvals-error-decided",
                    &[("reference", ticket.reference.clone().into())],
                ));
            page(&state, &signed, Page { error, status: Some(StatusCode::CONFLICT), ..Page::default() }).await
        }
        Err(err) => match refusal(lang, &err) {
            Some(error) => {
                page(
                    &state,
                    &signed,
                    Page { error: Some(error), status: Some(StatusCode::CONFLICT), ..Page::default() },
                )
                .await
            }
            None => Err(signed.fail(err)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::window_text;

    #[test]
    fn a_window_within_one_day_names_the_day_once() {
        let same = window_text("2026-12-12 22:00".into(), "2026-12-12 23:30".into());
        assert_eq!(same, ("2026-12-12 22:00".to_owned(), "23:30".to_owned()));
        let across = window_text("2026-12-12 22:00".into(), "2026-12-13 00:00".into());
        assert_eq!(across.1, "2026-12-13 00:00");
    }
}

//! `/tickets/new`: raising a ticket. The form offers the tenant's categories, its impact and
//! urgency levels in plain words, its custom fields by their kind, its sites; knowledge-base
//! articles are suggested while the title is typed (htmx, with a plain link without script).
//! Each form carries an idempotency key made when it is shown, so a double submit opens one
//! ticket; refusals come back beside their fields with what was typed.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use canopy_api::tenants::{CustomField, FieldKind, PortalConfigView};
use canopy_api::ticketing::{NewTicket, TicketKind};
use canopy_kernel::FieldError;

use super::{Choice, level_words};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render, render_status, see_other};
use crate::session::random_token;
use crate::state::WebState;

/// What the form holds: what the user typed, as typed.
#[derive(Default)]
struct Draft {
    csrf: Option<String>,
    key: String,
    title: String,
    description: String,
    category: String,
    impact: String,
    urgency: String,
    site: String,
    onsite: bool,
    /// Custom fields by key; several values for a multiple choice.
    custom: BTreeMap<String, Vec<String>>,
}

impl Draft {
    fn read(pairs: Vec<(String, String)>) -> Self {
        let mut d = Draft::default();
        for (name, value) in pairs {
            match name.as_str() {
                "_csrf" => d.csrf = Some(value),
                "idempotency_key" => d.key = value,
                "title" => d.title = value,
                "description" => d.description = value,
                "category" => d.category = value,
                "impact" => d.impact = value,
                "urgency" => d.urgency = value,
                "site" => d.site = value,
                "onsite" => d.onsite = !value.is_empty(),
                other => {
                    if let Some(key) = other.strip_prefix("cf.") {
                        d.custom.entry(key.to_owned()).or_default().push(value);
                    }
                }
            }
        }
        d
    }

    /// The first value given for a custom field, trimmed; empty when none.
    fn custom_value(&self, key: &str) -> &str {
        self.custom.get(key).and_then(|v| v.first()).map_or("", |v| v.trim())
    }

    fn custom_values(&self, key: &str) -> Vec<&str> {
        self.custom
            .get(key)
            .map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// One of the tenant's own fields, as the form shows it.
pub struct FieldInput {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `number`, `boolean`, `date`, `select` or `multiselect`.
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/new.html")]
struct NewTicketPage {
    ctx: Chrome,
    key: String,
    title: String,
    description: String,
    onsite: bool,
    categories: Vec<Choice>,
    impacts: Vec<Choice>,
    urgencies: Vec<Choice>,
    sites: Vec<Choice>,
    fields: Vec<FieldInput>,
    errors: FieldErrors,
    /// Refusals that name no field of the form.
    general: Vec<String>,
}

/// The tenant's fields that a new incident has.
fn applicable(config: &PortalConfigView) -> impl Iterator<Item = &CustomField> {
    config
        .custom_fields
        .iter()
        .filter(|f| f.applies_to.is_empty() || f.applies_to.contains(&TicketKind::Incident))
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "text",
        FieldKind::Number => "number",
        FieldKind::Boolean => "boolean",
        FieldKind::Date => "date",
        FieldKind::Select => "select",
        FieldKind::Multiselect => "multiselect",
    }
}

fn page_of(
    ctx: Chrome,
    config: &PortalConfigView,
    draft: &Draft,
    errors: FieldErrors,
    general: Vec<String>,
) -> NewTicketPage {
    let lang = ctx.lang;
    let categories = super::list::category_choices(&config.ticket_categories, &draft.category).collect();
    // Least severe first: "only me" before "the whole company" reads as a scale.
    let levels = |levels: &[String], scale: &str, current: &str| -> Vec<Choice> {
        levels.iter().rev().map(|l| Choice::new(l.clone(), level_words(lang, scale, l), current)).collect()
    };
    let impacts = levels(&config.priority_matrix.impacts, "impact", &draft.impact);
    let urgencies = levels(&config.priority_matrix.urgencies, "urgency", &draft.urgency);
    let sites = config
        .sites
        .iter()
        .map(|s| Choice::new(s.id.to_string(), format!("{} – {}", s.name, s.address), &draft.site))
        .collect();
    let fields = applicable(config)
        .map(|f| {
            let values = draft.custom_values(&f.key);
            FieldInput {
                name: format!("cf.{}", f.key),
                id: format!("cf-{}", f.key),
                label: f.label.clone(),
                kind: kind_name(f.kind),
                required: f.required,
                value: draft.custom_value(&f.key).to_owned(),
                checked: values.contains(&"true"),
                options: f
                    .options
                    .iter()
                    .map(|o| Choice {
                        value: o.clone(),
                        label: o.clone(),
                        selected: values.contains(&o.as_str()),
                    })
                    .collect(),
                error: errors.of(&format!("custom_fields.{}", f.key)).map(str::to_owned),
            }
        })
        .collect();
    NewTicketPage {
        ctx,
        key: draft.key.clone(),
        title: draft.title.clone(),
        description: draft.description.clone(),
        onsite: draft.onsite,
        categories,
        impacts,
        urgencies,
        sites,
        fields,
        errors,
        general,
    }
}

pub async fn form(state: web::Data<WebState>, signed: Signed) -> Result<HttpResponse, PageError> {
    let tenant = signed.tenant()?;
    let config = state.api.tenants.portal_config(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let draft = Draft { key: random_token(), ..Draft::default() };
    render(&page_of(signed.chrome(), &config, &draft, FieldErrors::default(), Vec::new()))
}

/// A custom field's value as the API takes it; `None` when left empty.
fn field_value(f: &CustomField, draft: &Draft) -> Option<Value> {
    let raw = draft.custom_value(&f.key);
    match f.kind {
        FieldKind::Boolean => Some(Value::Bool(draft.custom_values(&f.key).contains(&"true"))),
        FieldKind::Multiselect => {
            let values = draft.custom_values(&f.key);
            (!values.is_empty())
                .then(|| Value::Array(values.into_iter().map(|v| Value::String(v.to_owned())).collect()))
        }
        _ if raw.is_empty() => None,
        FieldKind::Number => Some(
            raw.parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| raw.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number))
                // Not a number: the API says so, beside the field.
                .unwrap_or_else(|| Value::String(raw.to_owned())),
        ),
        FieldKind::Text | FieldKind::Date | FieldKind::Select => Some(Value::String(raw.to_owned())),
    }
}

/// The API's refusals in the reader's words where the form knows why: a field left empty,
/// a value of the wrong kind. Anything else keeps the API's explanation.
fn explained(lang: Lang, config: &PortalConfigView, draft: &Draft, errors: Vec<FieldError>) -> FieldErrors {
    let explain = |e: FieldError| -> FieldError {
        let empty = |v: &str| v.trim().is_empty();
        let message = match e.field.as_str() {
            "title" if empty(&draft.title) => lang.t("portal-error-title"),
            "category" if empty(&draft.category) => lang.t("portal-error-choose"),
            "impact" if empty(&draft.impact) => lang.t("portal-error-choose"),
            "urgency" if empty(&draft.urgency) => lang.t("portal-error-choose"),
            "site_id" => lang.t("portal-error-site"),
            field => match field
                .strip_prefix("custom_fields.")
                .and_then(|k| config.custom_fields.iter().find(|f| f.key == k))
            {
                Some(f) if draft.custom_values(&f.key).is_empty() => lang.t("portal-error-required"),
                Some(f) => match f.kind {
                    FieldKind::Number => lang.t("portal-error-number"),
                    FieldKind::Date => lang.t("portal-error-date"),
                    FieldKind::Select | FieldKind::Multiselect => lang.t("portal-error-option"),
                    _ => e.message,
                },
                None => e.message,
            },
        };
        FieldError { field: e.field, message }
    };
    FieldErrors(errors.into_iter().map(explain).collect())
}

/// The fields the form shows, for errors that belong beside one.
fn shown(config: &PortalConfigView) -> Vec<String> {
    let mut fields: Vec<String> =
        ["title", "description", "category", "impact", "urgency", "site_id", "onsite_required"]
            .map(String::from)
            .to_vec();
    fields.extend(applicable(config).map(|f| format!("custom_fields.{}", f.key)));
    fields
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let mut draft = Draft::read(form.into_inner());
    signed.check_csrf(&req, draft.csrf.as_deref())?;
    let tenant = signed.tenant()?;
    let lang = signed.lang();
    let config = state.api.tenants.portal_config(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let refuse = |draft: &Draft, errors: FieldErrors, general: Vec<String>| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page_of(signed.chrome(), &config, draft, errors, general),
        )
    };
    // A form without its key (made by hand) gets one now: it still opens one ticket.
    if draft.key.is_empty() || draft.key.len() > 200 || !draft.key.bytes().all(|b| b.is_ascii_graphic()) {
        draft.key = random_token();
    }
    let site_id = match draft.site.trim() {
        "" => None,
        site => match site.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                let errors = FieldErrors(vec![FieldError::new("site_id", lang.t("portal-error-site"))]);
                return refuse(&draft, errors, Vec::new());
            }
        },
    };
    let custom_fields =
        applicable(&config).filter_map(|f| Some((f.key.clone(), field_value(f, &draft)?))).collect();
    let ticket = NewTicket {
        tenant_id: None,
        kind: TicketKind::Incident,
        title: draft.title.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        category: draft.category.trim().to_owned(),
        impact: draft.impact.trim().to_owned(),
        urgency: draft.urgency.trim().to_owned(),
        requester_id: None,
        site_id,
        channel: None,
        onsite_required: draft.onsite,
        custom_fields,
        problem: None,
        change: None,
    };
    match state.api.ticketing.open_ticket(signed.token(), &ticket, Some(&draft.key)).await {
        Ok(opened) => Ok(see_other(&format!("/tickets/{}", opened.reference))),
        Err(err) => {
            let Some(problem) = err.problem().filter(|_| err.status() == Some(422)) else {
                return match (err.status(), err.problem().map(|p| p.code.as_str())) {
                    (Some(403), Some("tenant_suspended" | "tenant_cancelled")) => {
                        refuse(&draft, FieldErrors::default(), vec![lang.t("portal-error-suspended")])
                    }
                    _ => Err(signed.fail(err)),
                };
            };
            let errors = explained(lang, &config, &draft, problem.errors.clone());
            let shown = shown(&config);
            let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
            let mut general: Vec<String> = Vec::new();
            for e in errors.others(&shown) {
                if e.field.eq_ignore_ascii_case("idempotency-key") {
                    general.push(lang.t("portal-error-resent"));
                } else {
                    general.push(format!("{}: {}", e.field, e.message));
                }
            }
            if !general.is_empty() && errors.0.iter().any(|e| e.field.eq_ignore_ascii_case("idempotency-key"))
            {
                // This form's key went with another ticket: the next send is a new one.
                draft.key = random_token();
            }
            if errors.is_empty() && general.is_empty() {
                general.push(problem.detail.clone());
            }
            refuse(&draft, errors, general)
        }
    }
}

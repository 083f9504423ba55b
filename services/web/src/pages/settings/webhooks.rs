//! Outgoing webhooks: URL, events, active, and a signing secret that is write-only (typed when
//! a webhook is added or to rotate it, never shown again: only its last characters). Each
//! webhook's delivery log is a page of its own.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::tenants::{ConfigView, DeliveryView, TenantConfig, WEBHOOK_EVENTS, Webhook};

use super::form::{Choice, Input, Posted, row_name};
use super::placement::{ListEdit, Placement};
use super::{Frame, Section, admin_tenant};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render_status};
use crate::state::WebState;

pub struct Webhooks;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WebhookRow {
    pub at: Option<usize>,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    /// Never shown again once sent: a refused form asks for it anew.
    pub secret: String,
    pub remove: bool,
}

impl WebhookRow {
    fn is_blank(&self) -> bool {
        self.url.trim().is_empty() && self.secret.is_empty() && self.events.is_empty()
    }
}

pub struct WebhooksForm {
    pub rows: Vec<WebhookRow>,
}

pub struct RowView {
    pub n: usize,
    pub at: Option<usize>,
    /// The webhook's id, for its delivery log.
    pub id: Option<Uuid>,
    /// The secret's last characters (`…cret`).
    pub hint: Option<String>,
    pub url: Input,
    pub events: Input,
    pub choices: Vec<Choice>,
    pub active: Input,
    pub secret: Input,
    pub remove: Input,
}

#[derive(Template)]
#[template(path = "settings/webhooks.html")]
pub struct WebhooksPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub rows: Vec<RowView>,
}

/// An event's name in words.
pub fn event_label(lang: Lang, event: &str) -> String {
    if event == "*" {
        lang.t("cfg-event-all")
    } else {
        lang.t(&format!("cfg-event-{}", event.replace('.', "-")))
    }
}

impl Section for Webhooks {
    const PATH: &'static str = "/admin/settings/webhooks";
    type Form = WebhooksForm;

    fn form_of(config: &TenantConfig) -> WebhooksForm {
        let rows = config
            .webhooks
            .iter()
            .enumerate()
            .map(|(i, w)| WebhookRow {
                at: Some(i),
                url: w.url.clone(),
                events: w.events.clone(),
                active: w.active,
                secret: String::new(),
                remove: false,
            })
            .collect();
        WebhooksForm { rows }
    }

    fn parse(posted: &Posted) -> WebhooksForm {
        let rows = posted
            .rows()
            .map(|r| WebhookRow {
                at: r.at(),
                url: r.text("url"),
                events: r.all("events"),
                active: r.on("active"),
                secret: r.text("secret"),
                remove: r.on("remove"),
            })
            .collect();
        WebhooksForm { rows }
    }

    fn apply(form: &WebhooksForm, config: &mut TenantConfig, _lang: Lang) -> Result<Placement, FieldErrors> {
        // An empty secret keeps the webhook's own (the service carries it over).
        let secret = |row: &WebhookRow| (!row.secret.is_empty()).then(|| row.secret.clone());
        let mut list = ListEdit::new(std::mem::take(&mut config.webhooks));
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) if row.remove => list.remove(i),
                Some(i) => {
                    if let Some(hook) = list.edit(i, n) {
                        hook.url = row.url.trim().to_owned();
                        hook.events = row.events.clone();
                        hook.active = row.active;
                        hook.secret = secret(row);
                    }
                }
                None if row.is_blank() => {}
                None => list.add(
                    Webhook {
                        id: Uuid::now_v7(),
                        url: row.url.trim().to_owned(),
                        events: row.events.clone(),
                        active: row.active,
                        secret: secret(row),
                        secret_hint: None,
                    },
                    n,
                ),
            }
        }
        let mut placement = Placement::default();
        config.webhooks = list.finish("webhooks", &mut placement);
        Ok(placement)
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        view: &ConfigView,
        form: WebhooksForm,
        errors: FieldErrors,
    ) -> impl Template {
        let lang = ctx.lang;
        let mut rows = form.rows;
        if rows.last().is_none_or(|r| r.at.is_some()) {
            rows.push(WebhookRow { active: true, ..WebhookRow::default() });
        }
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(n, r)| {
                let hook = r.at.and_then(|i| view.config.webhooks.get(i));
                let choices = WEBHOOK_EVENTS
                    .iter()
                    .map(|e| {
                        Choice::new(
                            &row_name(n, "events"),
                            e,
                            event_label(lang, e),
                            r.events.iter().any(|x| x == e),
                        )
                    })
                    .collect();
                RowView {
                    n,
                    at: r.at,
                    id: hook.map(|h| h.id),
                    hint: hook.and_then(|h| h.secret_hint.clone()),
                    url: Input::new(row_name(n, "url"), r.url, &errors),
                    events: Input::new(row_name(n, "events"), String::new(), &errors),
                    choices,
                    active: Input::check(row_name(n, "active"), r.active, &errors),
                    secret: Input::new(row_name(n, "secret"), String::new(), &errors),
                    remove: Input::check(row_name(n, "remove"), r.remove, &errors),
                }
            })
            .collect();
        WebhooksPage { ctx, frame, rows }
    }
}

/// A delivery as the log shows it: times in the tenant's zone.
pub struct DeliveryRow {
    pub event: String,
    pub status: String,
    pub status_label: String,
    pub attempts: i32,
    pub code: Option<i32>,
    pub error: Option<String>,
    pub created: String,
    pub created_iso: String,
    pub last_attempt: Option<String>,
    pub next_attempt: Option<String>,
}

impl DeliveryRow {
    fn of(ctx: &Chrome, d: DeliveryView) -> Self {
        let status_label = match d.status.as_str() {
            "pending" if d.attempts > 0 => ctx.t("cfg-delivery-retrying"),
            "pending" | "delivered" | "failed" => ctx.t(&format!("cfg-delivery-{}", d.status)),
            other => other.to_owned(),
        };
        Self {
            event: d.event_type,
            status_label,
            status: d.status,
            attempts: d.attempts,
            code: d.last_status_code,
            error: d.last_error,
            created: ctx.when(&d.created_at),
            created_iso: ctx.iso(&d.created_at),
            last_attempt: d.last_attempt_at.map(|t| ctx.when(&t)),
            next_attempt: d.next_attempt_at.map(|t| ctx.when(&t)),
        }
    }
}

#[derive(Template)]
#[template(path = "settings/deliveries.html")]
pub struct DeliveriesPage {
    pub ctx: Chrome,
    pub url: String,
    pub active: bool,
    pub rows: Vec<DeliveryRow>,
    /// The link to the next (older) page.
    pub older: Option<String>,
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    cursor: Option<String>,
}

/// A webhook's delivery log, newest first.
pub async fn deliveries(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let id: Uuid = path.parse().map_err(|_| PageError::not_found(signed.lang()))?;
    let view = state.api.tenants.read_settings(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let hook = view.config.webhooks.iter().find(|w| w.id == id).ok_or(PageError::not_found(signed.lang()))?;
    let cursor = query.into_inner().cursor.filter(|c| !c.is_empty());
    let page = state
        .api
        .tenants
        .webhook_deliveries(signed.token(), tenant, id, cursor, 50)
        .await
        .map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    let rows = page.items.into_iter().map(|d| DeliveryRow::of(&ctx, d)).collect();
    let older = page
        .next_cursor
        .map(|c| format!("/admin/settings/webhooks/{id}?cursor={}", crate::format::url_encode(&c)));
    let page = DeliveriesPage { ctx, url: hook.url.clone(), active: hook.active, rows, older };
    render_status(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    fn doc() -> TenantConfig {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::En);
        doc.webhooks = vec![Webhook {
            id: Uuid::now_v7(),
            url: "https://hooks.example.com/a".into(),
            events: vec!["ticket.created".into()],
            active: true,
            secret: None,
            secret_hint: Some("…cret".into()),
        }];
        doc
    }

    #[test]
    fn a_secret_is_sent_only_when_typed_and_never_read_back() {
        let mut d = doc();
        let mut form = Webhooks::form_of(&d);
        assert_eq!(form.rows[0].secret, "", "the form never holds a stored secret");
        form.rows[0].events.push("sla.breached".into());
        form.rows.push(WebhookRow {
            at: None,
            url: " https://hooks.example.com/b ".into(),
            events: vec!["*".into()],
            active: true,
            secret: "a-new-secret-of-sixteen".into(),
            remove: false,
        });
        let placement = Webhooks::apply(&form, &mut d, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(d.webhooks[0].secret, None, "kept by the service");
        assert_eq!(d.webhooks[0].events, ["ticket.created", "sla.breached"]);
        assert_eq!(d.webhooks[1].url, "https://hooks.example.com/b");
        assert_eq!(d.webhooks[1].secret.as_deref(), Some("a-new-secret-of-sixteen"));
        let (placed, _) = placement.place(vec![FieldError::new("webhooks[1].secret", "too short")]);
        assert_eq!(placed.of("rows[1].secret"), Some("too short"));
    }

    #[test]
    fn a_removed_webhook_goes_and_a_blank_row_adds_nothing() {
        let mut d = doc();
        let mut form = Webhooks::form_of(&d);
        form.rows[0].remove = true;
        form.rows.push(WebhookRow::default());
        Webhooks::apply(&form, &mut d, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert!(d.webhooks.is_empty());
        assert_eq!(event_label(Lang::En, "*"), Lang::En.t("cfg-event-all"));
    }
}

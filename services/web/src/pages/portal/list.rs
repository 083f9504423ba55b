//! `/tickets`: a requester's own tickets, or every ticket of the tenant for its admins (who
//! may narrow it to the ones they raised); filtered by a GET form that works without script,
//! newest first, 50 a page with a link to the next.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::tenants::Category;
use canopy_api::ticketing::{Status, TicketQuery};
use canopy_sla::Priority;

use super::Choice;
use crate::format::url_encode;
use crate::pages::{Chrome, Failure, PageError, Signed, render};
use crate::state::WebState;
use crate::tickets::TicketRow;

const PAGE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    q: Option<String>,
    mine: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/tickets.html")]
struct TicketsPage {
    ctx: Chrome,
    rows: Vec<TicketRow>,
    q: String,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    admin: bool,
    mine: bool,
    /// Some filter is in force (the empty list then says nothing matched).
    filtered: bool,
    next: Option<String>,
    /// A later page links back to the first.
    first: Option<String>,
}

fn filled(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn page(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = signed.tenant()?;
    let lang = signed.lang();
    let query = query.into_inner();
    let admin = signed.user().is_tenant_admin();
    // Unknown values are no filter (a hand-made URL, an old bookmark), not an error.
    let status = filled(query.status).and_then(|s| Status::ALL.into_iter().find(|x| x.as_str() == s));
    let priority = filled(query.priority).and_then(|p| Priority::ALL.into_iter().find(|x| x.as_str() == p));
    let category = filled(query.category);
    let q: Option<String> = filled(query.q).map(|q| q.chars().take(200).collect());
    let mine = admin && query.mine.is_some_and(|m| !m.is_empty());
    let cursor = filled(query.cursor);

    let ticket_query = TicketQuery {
        status,
        priority,
        category: category.clone(),
        q: q.clone(),
        limit: Some(PAGE),
        mine,
        newest_first: true,
        ..TicketQuery::default()
    };
    let (page, config) = futures_util::future::join(
        state.api.ticketing.tickets_page(signed.token(), &ticket_query, cursor.clone()),
        state.api.tenants.portal_config(signed.token(), tenant),
    )
    .await;
    let page = page.map_err(|e| match e.status() {
        // A cursor this page did not give out.
        Some(422) => PageError { lang, failure: Failure::BadForm },
        _ => signed.fail(e),
    })?;
    let config = config.map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    let rows = page
        .items
        .into_iter()
        .map(|t| TicketRow::of(&ctx, t).with_category(&config.ticket_categories))
        .collect();

    // The filters as a query string, for the pages after this one.
    let mut filters = String::new();
    for (name, value) in [
        ("status", status.map(|s| s.as_str().to_owned())),
        ("priority", priority.map(|p| p.as_str().to_owned())),
        ("category", category.clone()),
        ("q", q.clone()),
        ("mine", mine.then(|| "1".to_owned())),
    ] {
        if let Some(value) = value {
            filters.push_str(&format!("{name}={}&", url_encode(&value)));
        }
    }
    let next = page.next_cursor.map(|c| format!("/tickets?{filters}cursor={}", url_encode(&c)));
    let first = cursor.is_some().then(|| match filters.trim_end_matches('&') {
        "" => "/tickets".to_owned(),
        filters => format!("/tickets?{filters}"),
    });

    let any = |label: String| Choice { value: String::new(), label, selected: false };
    let current_status = status.map_or("", Status::as_str);
    let statuses = std::iter::once(any(lang.t("portal-filter-any-status")))
        .chain(
            Status::ALL
                .into_iter()
                .map(|s| Choice::new(s.as_str(), lang.t(&format!("status-{}", s.as_str())), current_status)),
        )
        .collect();
    let current_priority = priority.map_or("", Priority::as_str);
    let priorities = std::iter::once(any(lang.t("portal-filter-any-priority")))
        .chain(Priority::ALL.into_iter().map(|p| {
            Choice::new(
                p.as_str(),
                lang.t(&format!("portal-priority-{}", p.as_str().to_lowercase())),
                current_priority,
            )
        }))
        .collect();
    let current_category = category.as_deref().unwrap_or_default();
    let categories = std::iter::once(any(lang.t("portal-filter-any-category")))
        .chain(category_choices(&config.ticket_categories, current_category))
        .collect();
    let filtered = status.is_some() || priority.is_some() || category.is_some() || q.is_some() || mine;
    render(&TicketsPage {
        ctx,
        rows,
        q: q.unwrap_or_default(),
        statuses,
        priorities,
        categories,
        admin,
        mine,
        filtered,
        next,
        first,
    })
}

pub(super) fn category_choices<'a>(
    categories: &'a [Category],
    current: &'a str,
) -> impl Iterator<Item = Choice> + 'a {
    categories.iter().filter(|c| c.active).map(move |c| Choice::new(c.key.clone(), c.name.clone(), current))
}

//! The customers' portal, the requester's side: their tickets (all the tenant's for its
//! admins), raising one, following one (timeline, reply, confirm or reopen, rating), the
//! knowledge base, and their profile (language, password).

mod kb;
mod list;
mod profile;
mod raise;
mod ticket;
mod timeline;

use actix_web::web;

use canopy_api::ticketing::{TicketQuery, TicketView};

use super::{PageError, Signed};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/tickets/new` before `/tickets/{reference}`, which would take `new` for a reference.
    cfg.route("/tickets", web::get().to(list::page))
        .route("/tickets/new", web::get().to(raise::form))
        .route("/tickets/new", web::post().to(raise::submit))
        .route("/tickets/{reference}", web::get().to(ticket::page))
        .route("/tickets/{reference}/comments", web::post().to(ticket::reply))
        .route("/tickets/{reference}/confirm", web::post().to(ticket::confirm))
        .route("/tickets/{reference}/reopen", web::post().to(ticket::reopen))
        .route("/tickets/{reference}/feedback", web::post().to(ticket::rate))
        .route("/kb", web::get().to(kb::search))
        .route("/kb/suggest", web::get().to(kb::suggest))
        .route("/kb/{id}", web::get().to(kb::article))
        .route("/profile", web::get().to(profile::page))
        .route("/profile", web::post().to(profile::save))
        .route("/profile/password", web::post().to(profile::change_password));
}

/// A ticket reference as the tenant's tickets carry them (`ACME-42`).
fn is_reference(text: &str) -> bool {
    let (key, number) = text.rsplit_once('-').unwrap_or_default();
    (1..=40).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && (1..=18).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// The ticket of `reference` the user may see. Another tenant's reference, another
/// requester's ticket and no ticket at all are the same not-found page.
async fn find_ticket(state: &WebState, signed: &Signed, reference: &str) -> Result<TicketView, PageError> {
    signed.tenant()?;
    if !is_reference(reference) {
        return Err(PageError::not_found(signed.lang()));
    }
    // `q` finds a reference exactly (and titles that contain it: those are left out here).
    let query = TicketQuery { q: Some(reference.to_owned()), limit: Some(200), ..TicketQuery::default() };
    let page =
        state.api.ticketing.tickets_page(signed.token(), &query, None).await.map_err(|e| signed.fail(e))?;
    page.items
        .into_iter()
        .find(|t| t.reference.eq_ignore_ascii_case(reference))
        .ok_or_else(|| PageError::not_found(signed.lang()))
}

/// One choice of a `<select>` or a group of radio buttons.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self { value, label: label.into(), selected }
    }
}

/// The catalogue's words for a level of the tenant's impact or urgency scale, or the level
/// itself when the tenant named its own.
fn level_words(lang: crate::i18n::Lang, scale: &str, level: &str) -> String {
    match level {
        "high" | "medium" | "low" => lang.t(&format!("portal-{scale}-{level}")),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_reference;

    #[test]
    fn only_references_are_looked_up() {
        assert!(is_reference("ACME-42"));
        assert!(is_reference("acme-7"));
        assert!(!is_reference("ACME"));
        assert!(!is_reference("ACME-"));
        assert!(!is_reference("-42"));
        assert!(!is_reference("ACME-4x"));
        assert!(!is_reference("AC ME-4"));
        assert!(!is_reference("%-1"));
    }
}

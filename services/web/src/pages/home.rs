//! The start page: a customer's open tickets with their SLA countdowns; for provider staff,
//! the tenants they serve.

use actix_web::{HttpResponse, web};
use askama::Template;

use canopy_api::tenants::TenantView;
use canopy_api::ticketing::{TicketQuery, TicketView};

use super::{Chrome, PageError, Signed, render};
use crate::state::WebState;
use crate::tickets::{TicketRow, open_first};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

#[derive(Template)]
#[template(path = "home.html")]
struct CustomerHome {
    ctx: Chrome,
    open: Vec<TicketRow>,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
struct StaffHome {
    ctx: Chrome,
    tenants: Vec<TenantView>,
}

async fn home(state: web::Data<WebState>, signed: Signed) -> Result<HttpResponse, PageError> {
    let ctx = signed.chrome();
    if signed.user().is_staff() {
        let tenants = state.api.tenants.all_tenants(signed.token()).await.map_err(|e| signed.fail(e))?;
        return render(&StaffHome { ctx, tenants });
    }
    // Requesters list their own tickets; an admin's home shows the ones they raised.
    let query = TicketQuery { limit: Some(100), ..TicketQuery::default() };
    let page =
        state.api.ticketing.tickets_page(signed.token(), &query, None).await.map_err(|e| signed.fail(e))?;
    let me = signed.user().id;
    let mine: Vec<TicketView> = page.items.into_iter().filter(|t| t.requester_id == Some(me)).collect();
    let open =
        open_first(mine).into_iter().filter(|t| t.status.is_open()).map(|t| TicketRow::of(&ctx, t)).collect();
    render(&CustomerHome { ctx, open })
}

//! Tickets as pages show them: a row of a list with its next SLA deadline.

use chrono::{DateTime, Utc};

use canopy_api::ticketing::TicketView;
use canopy_sla::Metric;

use crate::pages::Chrome;

/// One ticket in a list.
pub struct TicketRow {
    pub reference: String,
    pub title: String,
    /// The catalogue key of its status (`status-in_progress`).
    pub status_key: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub category: String,
    /// The tenant's name of the category, when the page knows its categories.
    pub category_name: Option<String>,
    pub created: String,
    pub created_iso: String,
    /// The next deadline of a running clock: what it is for, when, and how close.
    pub next_due: Option<Due>,
    pub paused: bool,
}

pub struct Due {
    pub metric_key: &'static str,
    pub at: DateTime<Utc>,
    pub local: String,
    pub iso: String,
    pub words: String,
    pub risk: &'static str,
}

impl TicketRow {
    pub fn of(ctx: &Chrome, t: TicketView) -> Self {
        let clocks = t.sla.as_ref().map(|s| s.clocks.as_slice()).unwrap_or_default();
        let open = t.status.is_open();
        let next_due = clocks
            .iter()
            .filter(|c| open && c.running())
            .filter_map(|c| c.due_at.map(|at| (c.metric, at)))
            .min_by_key(|(_, at)| *at)
            .map(|(metric, at)| Due {
                metric_key: metric_key(metric),
                at,
                local: ctx.when(&at),
                iso: ctx.iso(&at),
                words: ctx.until(&at),
                risk: ctx.risk(&at),
            });
        let paused = open && clocks.iter().any(|c| c.running() && c.paused);
        Self {
            reference: t.reference,
            title: t.title,
            status_key: format!("status-{}", t.status.as_str()),
            status: t.status.as_str(),
            priority: t.priority.as_str(),
            category: t.category,
            category_name: None,
            created: ctx.when(&t.created_at),
            created_iso: ctx.iso(&t.created_at),
            next_due,
            paused,
        }
    }
}

impl TicketRow {
    /// Shows the category by the tenant's name for it (retired ones too).
    pub fn with_category(mut self, categories: &[canopy_api::tenants::Category]) -> Self {
        self.category_name = Some(
            categories
                .iter()
                .find(|c| c.key == self.category)
                .map_or_else(|| self.category.clone(), |c| c.name.clone()),
        );
        self
    }
}

pub fn metric_key(metric: Metric) -> &'static str {
    match metric {
        Metric::FirstResponse => "metric-first_response",
        Metric::Resolution => "metric-resolution",
        Metric::Onsite => "metric-onsite",
    }
}

/// Open tickets first (by their next deadline), then the rest newest first.
pub fn open_first(mut tickets: Vec<TicketView>) -> Vec<TicketView> {
    let next = |t: &TicketView| {
        t.sla
            .as_ref()
            .and_then(|s| s.clocks.iter().filter(|c| c.running()).filter_map(|c| c.due_at).min())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    tickets.sort_by(|a, b| {
        b.status
            .is_open()
            .cmp(&a.status.is_open())
            .then_with(|| next(a).cmp(&next(b)))
            .then(b.created_at.cmp(&a.created_at))
    });
    tickets
}

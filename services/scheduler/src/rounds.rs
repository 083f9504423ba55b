//! Planning a day's on-site rounds: the open on-site tickets (ticketing), their sites'
//! places and opening hours (the tenants' configuration), the team's shifts and skills, and
//! the visits already confirmed or started, turned into a [`RoundProblem`] for the solver; the
//! answer is published only when it beats the plan in force by the threshold.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_api::tenants::TenantConfig;
use canopy_api::ticketing::{TicketQuery, TicketView};
use canopy_kernel::{ApiError, ApiResult};
use canopy_sla::{BusinessCalendar, Metric};

use crate::domain::rounds::{
    Budget, Crew, Geometry, Goal, Plan, Point, RoundProblem, Score, Travel, Visit, solve,
};
use crate::state::SchedulerState;
use crate::store::engineers::spec_of;
use crate::store::rounds::{RoundPlanRow, VisitRow};

/// One stop of a published round.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StopView {
    pub ticket_id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub site: String,
    pub arrive_at: DateTime<Utc>,
    pub start_at: DateTime<Utc>,
    pub depart_at: DateTime<Utc>,
    /// The on-site SLA due time, when the ticket has one running.
    pub due_at: Option<DateTime<Utc>>,
    /// Seconds past the due time at which work starts; 0 when on time.
    pub late_by_secs: i64,
    /// `planned`, or `confirmed` / `started` when kept in place.
    pub state: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    pub engineer_id: Uuid,
    pub engineer: String,
    pub stops: Vec<StopView>,
    pub distance_km: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnplannedView {
    pub ticket_id: Uuid,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = RoundPlan)]
pub struct PlanView {
    pub date: NaiveDate,
    pub region: Option<String>,
    pub rounds: Vec<RoundView>,
    pub unplanned: Vec<UnplannedView>,
    pub distance_km: f64,
    pub lateness_secs: i64,
    pub late_visits: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OptimizeAnswer {
    pub plan_id: Uuid,
    /// Whether the new plan replaced the one in force.
    pub published: bool,
    pub reason: String,
    pub plan: PlanView,
    /// The plan in force before, when there was one.
    pub previous: Option<PlanView>,
    /// Time the solver used, in milliseconds.
    pub solver_ms: u64,
}

/// A ticket to visit, with what the problem needs of it.
struct Candidate {
    ticket_id: Uuid,
    tenant_id: Uuid,
    reference: String,
    site: String,
    region: String,
    due_at: Option<DateTime<Utc>>,
    visit: Visit,
}

/// Open on-site tickets across tenants (at most 2 000: a day's on-site work is far less).
async fn onsite_tickets(state: &SchedulerState, token: &str) -> ApiResult<Vec<TicketView>> {
    let query = TicketQuery { onsite: Some(true), ..TicketQuery::default() };
    let fetch = |cursor| state.ticketing.tickets_page(token, &query, cursor);
    Ok(canopy_api::client::pages_until(fetch, 2_000).await?)
}

/// Midnight to midnight of `day` in `timezone`, as UTC instants.
fn local_day(day: NaiveDate, timezone: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let zone = canopy_kernel::days::Zone::named(timezone).ok()?;
    Some(zone.span(day, day.succ_opt()?))
}

fn secs(t: DateTime<Utc>, origin: DateTime<Utc>) -> f64 {
    (t - origin).num_seconds() as f64
}

fn instant(s: f64, origin: DateTime<Utc>) -> DateTime<Utc> {
    origin + TimeDelta::seconds(s.round() as i64)
}

/// Plans `day` (one region, or all) and publishes the plan when it beats the one in force.
pub async fn optimize(
    state: &SchedulerState,
    token: &str,
    day: NaiveDate,
    region: Option<String>,
    budget_secs: u32,
    threshold_percent: u32,
    by: Option<Uuid>,
) -> ApiResult<OptimizeAnswer> {
    let settings = &state.settings.scheduler;
    let now = state.now();
    let origin = day
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .ok_or_else(|| ApiError::invalid("date", "not a day"))?;
    let day_key = day.to_string();
    let visit_secs = f64::from(settings.visit_minutes.max(1)) * 60.0;

    // The tickets and their tenants' sites and calendars.
    let tickets = onsite_tickets(state, token).await?;
    let mut configs: HashMap<Uuid, TenantConfig> = HashMap::new();
    for t in &tickets {
        if let std::collections::hash_map::Entry::Vacant(e) = configs.entry(t.tenant_id) {
            e.insert(state.tenants.config(token, t.tenant_id).await?.config);
        }
    }
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let held: HashMap<Uuid, VisitRow> =
        state.rounds.held(&ids).await?.into_iter().map(|v| (v.ticket_id, v)).collect();

    // The team on that day.
    let engineers: Vec<_> = state.engineers.active().await?.into_iter().filter(|e| e.active).collect();
    let mut crews = Vec::new();
    let mut crew_engineers = Vec::new();
    for e in &engineers {
        let spec = spec_of(e)?;
        let Some((from, to)) = local_day(day, &spec.timezone) else { continue };
        let hours = spec.working_intervals(from.max(now), to);
        let (Some(first), Some(last)) = (hours.first(), hours.last()) else { continue };
        let mut skills: HashSet<String> = spec.skills.iter().map(|s| s.key.clone()).collect();
        skills.extend(spec.regions.iter().map(|r| format!("region:{r}")));
        skills.extend((1..=spec.support_level).map(|l| format!("level:{l}")));
        crews.push(Crew {
            id: e.id.to_string(),
            base: spec.base.map(|b| Point { x: b.longitude, y: b.latitude }),
            from: None,
            shift: (secs(first.0, origin), secs(last.1, origin)),
            skills,
            capacity: i32::MAX / 2,
        });
        crew_engineers.push((e.id, spec.name.clone()));
    }
    let crew_of = |engineer: Uuid| crew_engineers.iter().position(|(id, _)| *id == engineer);

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut unplanned: Vec<UnplannedView> = Vec::new();
    let mut kept: Vec<(Uuid, VisitRow)> = Vec::new();
    // Reference and site name of visits kept in place, for the plan's view.
    let mut labels: HashMap<Uuid, (String, String)> = HashMap::new();
    for t in &tickets {
        let (ticket_id, tenant_id) = (t.id, t.tenant_id);
        let Some(config) = configs.get(&tenant_id) else { continue };
        let Some(site) = t.site_id.and_then(|id| config.site(id)) else {
            unplanned.push(UnplannedView { ticket_id, reason: "the ticket has no site".into() });
            continue;
        };
        let site_region = site.region.to_lowercase();
        if region.as_ref().is_some_and(|r| *r != site_region) {
            continue;
        }
        let held = held.get(&ticket_id);
        if let Some(h) = held
            && h.state != "planned"
        {
            if h.day != day_key || h.state == "done" {
                continue;
            }
            if h.state == "started" {
                // The engineer is there: their day goes on from this site once the visit ends.
                if let (Some(i), Some(lat), Some(lon)) =
                    (crew_of(h.engineer_id), site.latitude, site.longitude)
                {
                    let free = secs(h.started_at.unwrap_or(h.arrive_at), origin) + visit_secs;
                    crews[i].from = Some((Point { x: lon, y: lat }, free.max(secs(now, origin))));
                }
                kept.push((ticket_id, h.clone()));
                labels.insert(ticket_id, (t.reference.clone(), site.name.clone()));
                continue;
            }
        }
        let (Some(lat), Some(lon)) = (site.latitude, site.longitude) else {
            unplanned.push(UnplannedView { ticket_id, reason: "the site has no coordinates".into() });
            continue;
        };
        // The site is open when the tenant's business calendar says so.
        let timezone = config.timezone.as_str();
        let calendar = BusinessCalendar::new(timezone, &config.business_calendar).ok();
        let open = match (calendar, local_day(day, timezone)) {
            (Some(c), Some((from, to))) => {
                c.open_intervals(from.max(now).timestamp(), to.timestamp()).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let (Some(first), Some(last)) = (open.first(), open.last()) else {
            unplanned.push(UnplannedView { ticket_id, reason: "the site is closed that day".into() });
            continue;
        };
        let mut window =
            (first.0 as f64 - origin.timestamp() as f64, last.1 as f64 - origin.timestamp() as f64);
        let mut pinned_to = None;
        if let Some(h) = held
            && h.state == "confirmed"
        {
            // Confirmed to the customer: that engineer, within half an hour of the time given.
            if h.day != day_key {
                continue;
            }
            pinned_to = crew_of(h.engineer_id);
            let at = secs(h.arrive_at, origin);
            window = (at - 1800.0, at + 1800.0);
            kept.push((ticket_id, h.clone()));
        }
        window.1 = window.1.max(window.0);
        let running =
            |metric: Metric| t.running_clocks().filter(|c| c.metric == metric).filter_map(|c| c.due_at).min();
        let due_at = running(Metric::Onsite).or_else(|| running(Metric::Resolution));
        let level = t.support_level.clamp(1, 3);
        let mut skills = vec![format!("region:{site_region}"), format!("level:{level}")];
        if !t.category.is_empty() {
            skills.push(t.category.clone());
        }
        candidates.push(Candidate {
            ticket_id,
            tenant_id,
            reference: t.reference.clone(),
            site: site.name.clone(),
            region: site_region,
            due_at,
            visit: Visit {
                id: ticket_id.to_string(),
                at: Point { x: lon, y: lat },
                window,
                service: visit_secs,
                due: due_at.map(|d| secs(d, origin)),
                skills,
                load: 1,
                pinned_to,
            },
        });
    }

    let problem = RoundProblem {
        visits: candidates.iter().map(|c| c.visit.clone()).collect(),
        crews,
        travel: Travel {
            geometry: Geometry::Geographic { road_factor_percent: settings.road_factor_percent.max(100) },
            speed: f64::from(settings.travel_kmh.max(1)) / 3600.0,
        },
        goal: Goal::SlaFirst,
    };
    let started = std::time::Instant::now();
    let solved = tokio::task::spawn_blocking(move || {
        solve(&problem, Budget { max_seconds: budget_secs as usize, max_generations: 3_000 })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(anyhow::anyhow!("round solver: {e}")))?;
    let solver_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

    let plan =
        view(day, region.clone(), &solved, &candidates, &crew_engineers, &kept, &labels, unplanned, origin);
    let previous = state.rounds.current(&day_key, region.as_deref().unwrap_or("")).await?;
    let previous_view: Option<PlanView> =
        previous.as_ref().and_then(|p| serde_json::from_value(p.plan.clone()).ok());
    let (published, reason) = match &previous_view {
        None => (true, "no plan was in force for the day".to_owned()),
        Some(before) => {
            // The plan in force, judged on today's visits: those it does not place count as left out.
            let placed: HashSet<Uuid> =
                before.rounds.iter().flat_map(|r| r.stops.iter().map(|s| s.ticket_id)).collect();
            let left_out = candidates.iter().filter(|c| !placed.contains(&c.ticket_id)).count();
            let score = |p: &PlanView, unplanned: usize| Score {
                unplanned,
                lateness: p.lateness_secs as f64,
                distance: p.distance_km,
            };
            let new = score(&plan, solved.unplanned.len());
            if new.beats(&score(before, left_out), f64::from(threshold_percent)) {
                (true, "better than the plan in force".to_owned())
            } else {
                (false, format!("not better than the plan in force by {threshold_percent}%; it stays"))
            }
        }
    };
    let plan_id = Uuid::now_v7();
    let row = RoundPlanRow {
        id: plan_id,
        day: day_key.clone(),
        region: region.clone().unwrap_or_default(),
        created_at: now,
        created_by: by,
        published,
        unplanned: i32::try_from(plan.unplanned.len()).unwrap_or(i32::MAX),
        lateness_secs: plan.lateness_secs,
        distance_m: (plan.distance_km * 1000.0).round() as i64,
        budget_ms: i64::try_from(solver_ms).unwrap_or(i64::MAX),
        plan: serde_json::to_value(&plan).map_err(ApiError::internal)?,
    };
    if published {
        let regions: Vec<String> = match &region {
            Some(r) => vec![r.clone()],
            None => Vec::new(),
        };
        let region_of: HashMap<Uuid, &str> =
            candidates.iter().map(|c| (c.ticket_id, c.region.as_str())).collect();
        let visits = plan
            .rounds
            .iter()
            .flat_map(|r| r.stops.iter().map(move |s| (r.engineer_id, s)))
            .filter(|(_, s)| s.state == "planned")
            .map(|(engineer_id, s)| VisitRow {
                ticket_id: s.ticket_id,
                tenant_id: s.tenant_id,
                day: day_key.clone(),
                region: region_of.get(&s.ticket_id).copied().unwrap_or_default().to_owned(),
                engineer_id,
                state: "planned".into(),
                plan_id: Some(plan_id),
                arrive_at: s.arrive_at,
                depart_at: s.depart_at,
                started_at: None,
                version: 1,
                updated_at: now,
            })
            .collect();
        state.rounds.publish(row, &day_key, &regions, visits).await?;
    } else {
        state.rounds.record(row).await?;
    }
    Ok(OptimizeAnswer { plan_id, published, reason, plan, previous: previous_view, solver_ms })
}

#[allow(clippy::too_many_arguments)]
fn view(
    day: NaiveDate,
    region: Option<String>,
    solved: &Plan,
    candidates: &[Candidate],
    crews: &[(Uuid, String)],
    kept: &[(Uuid, VisitRow)],
    labels: &HashMap<Uuid, (String, String)>,
    mut unplanned: Vec<UnplannedView>,
    origin: DateTime<Utc>,
) -> PlanView {
    let by_id: HashMap<String, &Candidate> = candidates.iter().map(|c| (c.visit.id.clone(), c)).collect();
    let kept_state: HashMap<Uuid, &str> = kept.iter().map(|(id, v)| (*id, v.state.as_str())).collect();
    let mut rounds: BTreeMap<usize, RoundView> = BTreeMap::new();
    for round in &solved.rounds {
        let Some(i) = crews.iter().position(|(id, _)| id.to_string() == round.crew) else { continue };
        let stops = round
            .stops
            .iter()
            .filter_map(|s| {
                let c = by_id.get(&s.visit)?;
                Some(StopView {
                    ticket_id: c.ticket_id,
                    tenant_id: c.tenant_id,
                    reference: c.reference.clone(),
                    site: c.site.clone(),
                    arrive_at: instant(s.arrive, origin),
                    start_at: instant(s.start, origin),
                    depart_at: instant(s.depart, origin),
                    due_at: c.due_at,
                    late_by_secs: s.late_by.round() as i64,
                    state: kept_state.get(&c.ticket_id).copied().unwrap_or("planned").to_owned(),
                })
            })
            .collect();
        rounds.insert(
            i,
            RoundView {
                engineer_id: crews[i].0,
                engineer: crews[i].1.clone(),
                stops,
                distance_km: (round.distance * 1000.0).round() / 1000.0,
            },
        );
    }
    // Started visits stay on their engineer's round, first.
    for (ticket_id, v) in kept.iter().filter(|(_, v)| v.state == "started") {
        let Some(i) = crews.iter().position(|(id, _)| *id == v.engineer_id) else { continue };
        let round = rounds.entry(i).or_insert_with(|| RoundView {
            engineer_id: crews[i].0,
            engineer: crews[i].1.clone(),
            stops: Vec::new(),
            distance_km: 0.0,
        });
        round.stops.insert(
            0,
            StopView {
                ticket_id: *ticket_id,
                tenant_id: v.tenant_id,
                reference: labels.get(ticket_id).map(|l| l.0.clone()).unwrap_or_default(),
                site: labels.get(ticket_id).map(|l| l.1.clone()).unwrap_or_default(),
                arrive_at: v.arrive_at,
                start_at: v.started_at.unwrap_or(v.arrive_at),
                depart_at: v.depart_at,
                due_at: None,
                late_by_secs: 0,
                state: "started".into(),
            },
        );
    }
    unplanned.extend(solved.unplanned.iter().filter_map(|u| {
        Some(UnplannedView { ticket_id: by_id.get(&u.visit)?.ticket_id, reason: u.reason.clone() })
    }));
    PlanView {
        date: day,
        region,
        distance_km: (solved.distance * 1000.0).round() / 1000.0,
        lateness_secs: solved.lateness.round() as i64,
        late_visits: solved.late_visits,
        rounds: rounds.into_values().collect(),
        unplanned,
    }
}

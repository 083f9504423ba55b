//! On-site rounds: a day's visits planned into one round per engineer by a real routing solver
//! (vrp-core's evolutionary VRPTW search), not a home-made heuristic.
//!
//! The problem is stated in Canopy's own terms — visits with a place, a window when the site can
//! be visited, a service time, an SLA due time and the skills they need; engineers with a
//! start place, a shift window, skills and a capacity — and translated here into vrp-core's
//! model. Time is in seconds from an origin the caller chooses (the plan day's midnight UTC);
//! places are planar points (Solomon's instances) or latitude/longitude (sites), the travel
//! time following from the distance and a speed.
//!
//! Two goals: [`Goal::SlaFirst`] (what Canopy plans with) minimises, in this order, visits left
//! out, lateness against the SLA (a soft objective: a late visit is better than none), then the
//! distance driven; [`Goal::FleetThenDistance`] is the Solomon benchmark's hierarchy (fewest
//! rounds, then distance).
//!
//! What must stay in place — a visit started, or confirmed to the customer — is expressed as
//! constraints: a started visit becomes the engineer's starting point (where and when they will
//! be free), a confirmed one is pinned to its engineer inside the confirmed window.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vrp_core::construction::features::{
    JobSkills, JobSkillsDimension, VehicleSkillsDimension, create_minimize_tours_feature,
    create_skills_feature,
};
use vrp_core::models::Goal as VrpGoal;
use vrp_core::models::common::TimeWindow;
use vrp_core::models::problem::{JobIdDimension, VehicleIdDimension};
use vrp_core::prelude::*;
use vrp_core::rosomaxa::prelude::TelemetryMode;

/// A place: planar (`x`, `y` in distance units) or geographic (`x` longitude, `y` latitude).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Geometry {
    /// Euclidean distance in the points' own units.
    Planar,
    /// Great-circle distance in kilometres, times a road factor (roads are not straight).
    Geographic { road_factor_percent: u32 },
}

#[derive(Clone, Copy, Debug)]
pub struct Travel {
    pub geometry: Geometry,
    /// Distance units per time unit (km per second for sites; 1 for Solomon).
    pub speed: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    SlaFirst,
    FleetThenDistance,
}

#[derive(Clone, Debug)]
pub struct Visit {
    pub id: String,
    pub at: Point,
    /// When the site can be visited (arrival allowed from `.0`, service starting by `.1`).
    pub window: (f64, f64),
    pub service: f64,
    /// The on-site SLA due time: arriving after it is lateness.
    pub due: Option<f64>,
    /// Every one of these skills is needed.
    pub skills: Vec<String>,
    pub load: i32,
    /// Index of the engineer this visit must stay with (confirmed to the customer).
    pub pinned_to: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Crew {
    pub id: String,
    /// Where the day starts (and ends); `None`: at the first visit, ending at the last.
    pub base: Option<Point>,
    /// Where and when the engineer becomes free when that is not their base at shift start
    /// (on site at a visit already started).
    pub from: Option<(Point, f64)>,
    /// When the engineer is available: the first visit's travel starts at `.0`, and the round
    /// (back at base, or the last visit finished) ends by `.1`.
    pub shift: (f64, f64),
    pub skills: HashSet<String>,
    pub capacity: i32,
}

#[derive(Clone, Debug)]
pub struct RoundProblem {
    pub visits: Vec<Visit>,
    pub crews: Vec<Crew>,
    pub travel: Travel,
    pub goal: Goal,
}

#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub max_seconds: usize,
    pub max_generations: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stop {
    pub visit: String,
    pub arrive: f64,
    pub start: f64,
    pub depart: f64,
    /// How far past the SLA due time service starts (0 when on time).
    pub late_by: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Round {
    pub crew: String,
    pub stops: Vec<Stop>,
    pub distance: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Unplanned {
    pub visit: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub rounds: Vec<Round>,
    pub unplanned: Vec<Unplanned>,
    pub distance: f64,
    /// Sum of lateness against the SLA over all visits.
    pub lateness: f64,
    pub late_visits: usize,
}

/// How plans are compared: fewer visits left out, then less lateness, then less distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub unplanned: usize,
    pub lateness: f64,
    pub distance: f64,
}

impl Score {
    /// Whether a plan scoring this is worth publishing over one scoring `current`: it plans
    /// more visits, or is less late, or drives at least `threshold_percent` less. Small gains
    /// are not worth making engineers' days change under them.
    pub fn beats(&self, current: &Score, threshold_percent: f64) -> bool {
        if self.unplanned != current.unplanned {
            return self.unplanned < current.unplanned;
        }
        if (self.lateness - current.lateness).abs() > 1.0 {
            return self.lateness < current.lateness;
        }
        self.distance < current.distance * (1.0 - threshold_percent / 100.0)
    }
}

/// Keys of Canopy's own values on vrp-core jobs: the SLA due time and the visit's index.
struct SlaDue;
struct VisitIndex;

const SKILLS_CODE: ViolationCode = ViolationCode(10);
const PIN_PREFIX: &str = "\u{1}pin:";

fn distance(geometry: Geometry, a: Point, b: Point) -> f64 {
    match geometry {
        Geometry::Planar => ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt(),
        Geometry::Geographic { road_factor_percent } => {
            let (lat1, lat2) = (a.y.to_radians(), b.y.to_radians());
            let (dlat, dlon) = ((b.y - a.y).to_radians(), (b.x - a.x).to_radians());
            let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
            let km = 2.0 * 6371.0 * h.sqrt().asin();
            km * f64::from(road_factor_percent) / 100.0
        }
    }
}

/// Lateness of an activity: service start past the job's SLA due time.
fn late_by(activity: &vrp_core::models::solution::Activity) -> f64 {
    let Some(due) = activity.job.as_ref().and_then(|j| j.dimens.get_value::<SlaDue, f64>().copied()) else {
        return 0.0;
    };
    (activity.schedule.arrival.max(activity.place.time.start) - due).max(0.0)
}

/// Lateness against the SLA as an objective: the sum over every planned visit.
struct Lateness {
    transport: Arc<dyn TransportCost>,
}

impl FeatureObjective for Lateness {
    fn fitness(&self, solution: &InsertionContext) -> Cost {
        solution.solution.routes.iter().flat_map(|r| r.route().tour.all_activities()).map(late_by).sum()
    }

    fn estimate(&self, move_ctx: &MoveContext<'_>) -> Cost {
        let MoveContext::Activity { route_ctx, activity_ctx } = move_ctx else { return 0.0 };
        let Some(due) =
            activity_ctx.target.job.as_ref().and_then(|j| j.dimens.get_value::<SlaDue, f64>().copied())
        else {
            return 0.0;
        };
        let prev = activity_ctx.prev;
        let departure = prev.schedule.departure;
        let arrive = departure
            + self.transport.duration(
                route_ctx.route(),
                prev.place.location,
                activity_ctx.target.place.location,
                vrp_core::models::problem::TravelTime::Departure(departure),
            );
        (arrive.max(activity_ctx.target.place.time.start) - due).max(0.0)
    }
}

/// Plans the rounds. Errors only on a problem the solver cannot take (no visit, no engineer,
/// an impossible window), which callers check before.
pub fn solve(problem: &RoundProblem, budget: Budget) -> Result<Plan, String> {
    if problem.visits.is_empty() || problem.crews.is_empty() {
        return Ok(Plan {
            rounds: Vec::new(),
            unplanned: problem
                .visits
                .iter()
                .map(|v| Unplanned { visit: v.id.clone(), reason: "no engineer available".into() })
                .collect(),
            distance: 0.0,
            lateness: 0.0,
            late_visits: 0,
        });
    }
    // Locations: one per visit, one per base, and a last one that is zero distance from
    // everywhere (the start and end of a round without a base).
    let mut points: Vec<Point> = problem.visits.iter().map(|v| v.at).collect();
    let base_of: Vec<Option<usize>> = problem
        .crews
        .iter()
        .map(|c| {
            c.base.map(|p| {
                points.push(p);
                points.len() - 1
            })
        })
        .collect();
    let from_of: Vec<Option<usize>> = problem
        .crews
        .iter()
        .map(|c| {
            c.from.map(|(p, _)| {
                points.push(p);
                points.len() - 1
            })
        })
        .collect();
    let anywhere = points.len();
    let n = points.len() + 1;
    let mut distances = vec![0.0; n * n];
    for (i, a) in points.iter().enumerate() {
        for (j, b) in points.iter().enumerate() {
            distances[i * n + j] = distance(problem.travel.geometry, *a, *b);
        }
    }
    let durations: Vec<f64> = distances.iter().map(|d| d / problem.travel.speed).collect();
    let transport: Arc<dyn TransportCost> =
        Arc::new(SimpleTransportCost::new(durations, distances).map_err(|e| e.to_string())?);

    let jobs = problem
        .visits
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut skills: Vec<String> = v.skills.clone();
            if let Some(crew) = v.pinned_to {
                skills.push(format!("{PIN_PREFIX}{crew}"));
            }
            SingleBuilder::default()
                .id(&v.id)
                .demand(Demand::delivery(v.load))
                .location(i)?
                .duration(v.service)?
                .times(vec![TimeWindow::new(v.window.0, v.window.1)])?
                .dimension(|d| {
                    d.set_value::<VisitIndex, _>(i);
                    if let Some(due) = v.due {
                        d.set_value::<SlaDue, _>(due);
                    }
                    if !skills.is_empty() {
                        d.set_job_skills(JobSkills::new(Some(skills), None, None));
                    }
                })
                .build_as_job()
        })
        .collect::<GenericResult<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    let vehicles = problem
        .crews
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let at = base_of[i].unwrap_or(anywhere);
            let (start, start_time) = match (from_of[i], c.from) {
                (Some(place), Some((_, free))) => (place, free.max(c.shift.0)),
                _ => (at, c.shift.0),
            };
            let mut skills = c.skills.clone();
            skills.insert(format!("{PIN_PREFIX}{i}"));
            VehicleBuilder::default()
                .id(&c.id)
                .add_detail(
                    VehicleDetailBuilder::default()
                        .set_start_location(start)
                        .set_start_time(start_time)
                        .set_end_location(at)
                        .set_end_time(c.shift.1)
                        .build()?,
                )
                .capacity(SingleDimLoad::new(c.capacity))
                .dimension(|d| {
                    d.set_vehicle_skills(skills);
                })
                .build()
        })
        .collect::<GenericResult<Vec<_>>>()
        .map_err(|e| e.to_string())?;

    let goal = goal(problem.goal, transport.clone()).map_err(|e| e.to_string())?;
    let vrp = Arc::new(
        ProblemBuilder::default()
            .add_jobs(jobs.into_iter())
            .add_vehicles(vehicles.into_iter())
            .with_goal(goal)
            .with_transport_cost(transport.clone())
            .with_logger(Arc::new(|_: &str| {}))
            .build()
            .map_err(|e| e.to_string())?,
    );
    let environment = Arc::new(Environment { logger: Arc::new(|_: &str| {}), ..Environment::default() });
    let config = VrpConfigBuilder::new(vrp.clone())
        .set_environment(environment)
        .set_telemetry_mode(TelemetryMode::None)
        .prebuild()
        .map_err(|e| e.to_string())?
        .with_max_time(Some(budget.max_seconds))
        .with_max_generations(Some(budget.max_generations))
        .build()
        .map_err(|e| e.to_string())?;
    let solution = Solver::new(vrp, config).solve().map_err(|e| e.to_string())?;
    Ok(read_solution(problem, &solution, transport.as_ref()))
}

fn goal(goal: Goal, transport: Arc<dyn TransportCost>) -> GenericResult<GoalContext> {
    let features = vec![
        MinimizeUnassignedBuilder::new("min_unassigned").build()?,
        FeatureBuilder::default()
            .with_name("min_lateness")
            .with_objective(Lateness { transport: transport.clone() })
            .build()?,
        create_minimize_tours_feature("min_tours")?,
        TransportFeatureBuilder::new("min_distance")
            .set_time_constrained(true)
            .set_transport_cost(transport)
            .build_minimize_distance()?,
        CapacityFeatureBuilder::<SingleDimLoad>::new("capacity").build()?,
        create_skills_feature("skills", SKILLS_CODE)?,
    ];
    let (main, alternative): (&[&str], &[&str]) = match goal {
        Goal::SlaFirst => (
            &["min_unassigned", "min_lateness", "min_distance"],
            &["min_unassigned", "min_lateness", "min_tours", "min_distance"],
        ),
        Goal::FleetThenDistance => {
            (&["min_unassigned", "min_tours", "min_distance"], &["min_unassigned", "min_distance"])
        }
    };
    GoalContextBuilder::with_features(&features)?
        .set_main_goal(VrpGoal::subset_of(&features, main)?)
        .add_alternative_goal(VrpGoal::subset_of(&features, alternative)?, 0.1)
        .build()
}

fn read_solution(problem: &RoundProblem, solution: &Solution, transport: &dyn TransportCost) -> Plan {
    let crew_index: HashMap<&str, usize> =
        problem.crews.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    let mut rounds = Vec::new();
    for route in &solution.routes {
        let Some(crew) = route.actor.vehicle.dimens.get_vehicle_id().cloned() else { continue };
        let activities: Vec<_> = route.tour.all_activities().collect();
        let mut distance = 0.0;
        for pair in activities.windows(2) {
            distance += transport.distance_approx(
                &route.actor.vehicle.profile,
                pair[0].place.location,
                pair[1].place.location,
            );
        }
        let stops: Vec<Stop> = activities
            .iter()
            .filter_map(|a| {
                let job = a.job.as_ref()?;
                let i = *job.dimens.get_value::<VisitIndex, usize>()?;
                Some(Stop {
                    visit: problem.visits[i].id.clone(),
                    arrive: a.schedule.arrival,
                    start: a.schedule.arrival.max(a.place.time.start),
                    depart: a.schedule.departure,
                    late_by: late_by(a),
                })
            })
            .collect();
        if !stops.is_empty() && crew_index.contains_key(crew.as_str()) {
            rounds.push(Round { crew, stops, distance });
        }
    }
    rounds.sort_by_key(|r| crew_index.get(r.crew.as_str()).copied());
    let unplanned = solution
        .unassigned
        .iter()
        .filter_map(|(job, info)| {
            let id = job.dimens().get_job_id()?.clone();
            let reason = match info {
                vrp_core::construction::heuristics::UnassignmentInfo::Simple(code)
                    if code.0 == SKILLS_CODE.0 =>
                {
                    "no engineer with the skills, region or pin it needs"
                }
                _ => "no engineer can reach it inside its window and their shift",
            };
            Some(Unplanned { visit: id, reason: reason.into() })
        })
        .collect();
    let stops = rounds.iter().flat_map(|r| &r.stops);
    Plan {
        distance: rounds.iter().map(|r| r.distance).sum(),
        lateness: stops.clone().map(|s| s.late_by).sum(),
        late_visits: stops.filter(|s| s.late_by > 0.0).count(),
        rounds,
        unplanned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(id: &str, x: f64, window: (f64, f64), due: Option<f64>) -> Visit {
        Visit {
            id: id.into(),
            at: Point { x, y: 0.0 },
            window,
            service: 10.0,
            due,
            skills: Vec::new(),
            load: 1,
            pinned_to: None,
        }
    }

    fn crew(id: &str, skills: &[&str]) -> Crew {
        Crew {
            id: id.into(),
            base: Some(Point { x: 0.0, y: 0.0 }),
            from: None,
            shift: (0.0, 1000.0),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            capacity: 10,
        }
    }

    fn quick() -> Budget {
        Budget { max_seconds: 5, max_generations: 200 }
    }

    #[test]
    fn site_windows_are_hard_and_order_the_round() {
        // "far" can only be served first: after "near" (10 + 10 of service) it would be 40.
        let problem = RoundProblem {
            visits: vec![visit("near", 10.0, (0.0, 1000.0), None), visit("far", 30.0, (0.0, 35.0), None)],
            crews: vec![crew("a", &[])],
            travel: Travel { geometry: Geometry::Planar, speed: 1.0 },
            goal: Goal::SlaFirst,
        };
        let plan = solve(&problem, quick()).unwrap();
        assert!(plan.unplanned.is_empty());
        let order: Vec<_> = plan.rounds[0].stops.iter().map(|s| s.visit.as_str()).collect();
        assert_eq!(order, ["far", "near"]);
        assert_eq!(plan.distance, 60.0);
        assert_eq!(plan.rounds[0].stops[0].arrive, 30.0);
        assert_eq!(plan.rounds[0].stops[1].arrive, 60.0);
    }

    #[test]
    fn between_rounds_equally_long_the_one_on_time_wins() {
        // From a base between them, both orders drive 40; only "far" first is on time.
        let problem = RoundProblem {
            visits: vec![
                visit("near", 10.0, (0.0, 1000.0), Some(1000.0)),
                visit("far", 30.0, (0.0, 1000.0), Some(35.0)),
            ],
            crews: vec![Crew { base: Some(Point { x: 20.0, y: 0.0 }), ..crew("a", &[]) }],
            travel: Travel { geometry: Geometry::Planar, speed: 1.0 },
            goal: Goal::SlaFirst,
        };
        let plan = solve(&problem, quick()).unwrap();
        let order: Vec<_> = plan.rounds[0].stops.iter().map(|s| s.visit.as_str()).collect();
        assert_eq!(order, ["far", "near"]);
        assert_eq!(plan.lateness, 0.0);
    }

    #[test]
    fn skills_and_pins_are_hard() {
        let mut pinned = visit("pinned", 5.0, (0.0, 1000.0), None);
        pinned.pinned_to = Some(0);
        let mut sap = visit("sap", 5.0, (0.0, 1000.0), None);
        sap.skills = vec!["sap".into()];
        let mut nobody = visit("nobody", 5.0, (0.0, 1000.0), None);
        nobody.skills = vec!["mainframe".into()];
        let problem = RoundProblem {
            visits: vec![pinned, sap, nobody],
            crews: vec![crew("a", &[]), crew("b", &["sap"])],
            travel: Travel { geometry: Geometry::Planar, speed: 1.0 },
            goal: Goal::SlaFirst,
        };
        let plan = solve(&problem, quick()).unwrap();
        let crew_of = |v: &str| {
            plan.rounds.iter().find(|r| r.stops.iter().any(|s| s.visit == v)).map(|r| r.crew.as_str())
        };
        assert_eq!(crew_of("pinned"), Some("a"));
        assert_eq!(crew_of("sap"), Some("b"));
        assert_eq!(plan.unplanned.len(), 1);
        assert_eq!(plan.unplanned[0].visit, "nobody");
    }

    #[test]
    fn a_plan_must_beat_the_current_one_by_the_threshold() {
        let plan = |unplanned: usize, lateness: f64, distance: f64| Score { unplanned, lateness, distance };
        assert!(plan(0, 100.0, 500.0).beats(&plan(1, 0.0, 10.0), 5.0));
        assert!(plan(0, 0.0, 500.0).beats(&plan(0, 60.0, 10.0), 5.0));
        assert!(!plan(0, 0.0, 96.0).beats(&plan(0, 0.0, 100.0), 5.0));
        assert!(plan(0, 0.0, 94.0).beats(&plan(0, 0.0, 100.0), 5.0));
    }

    #[test]
    fn geographic_distance_is_great_circle_times_the_road_factor() {
        // Shanghai People's Square to Lujiazui: about 3.9 km as the crow flies.
        let a = Point { x: 121.4737, y: 31.2304 };
        let b = Point { x: 121.5055, y: 31.2397 };
        let km = distance(Geometry::Geographic { road_factor_percent: 100 }, a, b);
        assert!((3.0..4.5).contains(&km), "{km}");
        let road = distance(Geometry::Geographic { road_factor_percent: 130 }, a, b);
        assert!((road - km * 1.3).abs() < 1e-9);
    }
}

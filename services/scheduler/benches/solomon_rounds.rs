//! Round optimisation measured on the Solomon VRPTW instances (100 customers each, classes C1,
//! C2, R1, R2, RC1, RC2), through the same `domain::rounds::solve` that plans engineers' days,
//! with the benchmark's own hierarchy (fewest rounds, then distance) and its units (Euclidean
//! distance, travel time equal to distance, unrounded).
//!
//! `cargo bench -p canopy-scheduler --bench solomon_rounds`; the data folder defaults to
//! `../shared/bench-data/solomon` beside the repository (`SOLOMON_DIR` to change it),
//! `SOLOMON_SECONDS` is the time budget per instance (default 10), `SOLOMON_ONLY` a prefix of
//! the instances to run (e.g. `C1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use canopy_scheduler::domain::rounds::{
    Budget, Crew, Geometry, Goal, Point, RoundProblem, Travel, Visit, solve,
};

/// Best-known class averages (SINTEF hierarchy: vehicles, then distance), from the data's README.
const BEST_KNOWN: [(&str, f64, f64); 6] = [
    ("C1", 10.0, 828.4),
    ("C2", 3.0, 589.9),
    ("R1", 12.18, 1231.1),
    ("R2", 2.88, 968.2),
    ("RC1", 11.57, 1406.1),
    ("RC2", 3.33, 1089.8),
];

fn parse(text: &str) -> RoundProblem {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let numbers = |l: &str| l.split_whitespace().filter_map(|x| x.parse::<f64>().ok()).collect::<Vec<_>>();
    let (mut vehicles, mut capacity) = (0usize, 0i32);
    let mut rows = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with("NUMBER") {
            let v = numbers(lines.next().expect("vehicle line"));
            vehicles = v[0] as usize;
            capacity = v[1] as i32;
        }
        let v = numbers(line);
        if v.len() == 7 {
            rows.push(v);
        }
    }
    let depot = &rows[0];
    let at = |r: &Vec<f64>| Point { x: r[1], y: r[2] };
    let visits = rows[1..]
        .iter()
        .map(|r| Visit {
            id: format!("{}", r[0]),
            at: at(r),
            window: (r[4], r[5]),
            service: r[6],
            due: None,
            skills: Vec::new(),
            load: r[3] as i32,
            pinned_to: None,
        })
        .collect();
    let crews = (0..vehicles)
        .map(|i| Crew {
            id: format!("v{i}"),
            base: Some(at(depot)),
            from: None,
            shift: (depot[4], depot[5]),
            skills: HashSet::new(),
            capacity,
        })
        .collect();
    RoundProblem {
        visits,
        crews,
        travel: Travel { geometry: Geometry::Planar, speed: 1.0 },
        goal: Goal::FleetThenDistance,
    }
}

fn main() {
    let dir = std::env::var("SOLOMON_DIR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench-data/solomon")
    });
    let seconds: usize = std::env::var("SOLOMON_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let only = std::env::var("SOLOMON_ONLY").unwrap_or_default();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&only)))
        .collect();
    files.sort();
    println!("solomon_rounds: {} instances, {seconds} s budget each", files.len());
    println!("{:<7} {:>8} {:>10} {:>10} {:>9}", "name", "vehicles", "distance", "unplanned", "seconds");
    // class → (instances, vehicles, distance, seconds)
    let mut classes: BTreeMap<String, (usize, f64, f64, f64)> = BTreeMap::new();
    let mut total_distance = 0.0;
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let problem = parse(&std::fs::read_to_string(&file).expect("instance"));
        let started = Instant::now();
        let plan =
            solve(&problem, Budget { max_seconds: seconds, max_generations: 1_000_000 }).expect("solved");
        let secs = started.elapsed().as_secs_f64();
        let vehicles = plan.rounds.len();
        println!("{name:<7} {vehicles:>8} {:>10.1} {:>10} {secs:>9.1}", plan.distance, plan.unplanned.len());
        let class = name.trim_end_matches(|c: char| c.is_ascii_digit()).to_owned()
            + &name[name.len() - 3..name.len() - 2];
        let e = classes.entry(class).or_default();
        e.0 += 1;
        e.1 += vehicles as f64;
        e.2 += plan.distance;
        e.3 += secs;
        total_distance += plan.distance;
    }
    println!();
    println!(
        "{:<5} {:>9} {:>10} {:>11} {:>11} {:>10} {:>10}",
        "class", "vehicles", "best", "distance", "best", "gap", "s/inst"
    );
    for (class, (n, v, d, s)) in &classes {
        let n = *n as f64;
        let (bv, bd) = BEST_KNOWN.iter().find(|b| b.0 == class).map(|b| (b.1, b.2)).unwrap_or((0.0, 0.0));
        println!(
            "{class:<5} {:>9.2} {bv:>10.2} {:>11.1} {bd:>11.1} {:>9.1}% {:>10.1}",
            v / n,
            d / n,
            (d / n / bd - 1.0) * 100.0,
            s / n
        );
    }
    println!(
        "total distance over the instances run: {total_distance:.0} (distance-only best known over all 56: 54 699)"
    );
}

//! Due-time computations per second on one core, for an 8×5 calendar (Europe/Berlin, with a
//! year of public holidays, so DST changes and exceptions are crossed) and 24×7, and
//! resolution targets from 1 hour to 30 days. Start instants are spread over a year.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use canopy_sla::{BusinessCalendar, CalendarSpec};

fn main() {
    let office: CalendarSpec = serde_json::from_str(
        r#"{"weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
                       "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]},
            "holidays": ["2026-01-01","2026-04-03","2026-04-06","2026-05-01","2026-05-14","2026-05-25",
                         "2026-10-03","2026-12-25","2026-12-26","2027-01-01"]}"#,
    )
    .unwrap();
    let calendars = [
        ("8x5 Europe/Berlin", BusinessCalendar::new("Europe/Berlin", &office).unwrap()),
        ("24x7", BusinessCalendar::always()),
    ];
    // 4096 start instants spread over 2026, at odd seconds.
    let starts: Vec<i64> = (0..4096i64).map(|i| 1_767_225_600 + i * 7_699 + (i * 37) % 3_600).collect();
    let targets = [
        ("1 h", 3_600i64),
        ("4 h", 4 * 3_600),
        ("8 h", 8 * 3_600),
        ("1 day", 86_400),
        ("5 days", 5 * 86_400),
        ("30 days", 30 * 86_400),
    ];
    println!();
    println!("| calendar          | target  | due times / s | ns / due time |");
    println!("|-------------------|---------|--------------:|--------------:|");
    for (name, cal) in &calendars {
        for (label, secs) in targets {
            // Warm up, then run for about half a second.
            for s in &starts {
                black_box(cal.due(*s, secs).unwrap());
            }
            let started = Instant::now();
            let mut n = 0u64;
            while started.elapsed().as_millis() < 500 {
                for s in &starts {
                    black_box(cal.due(black_box(*s), black_box(secs)).unwrap());
                }
                n += starts.len() as u64;
            }
            let elapsed = started.elapsed().as_secs_f64();
            println!(
                "| {name:<17} | {label:<7} | {:>13.0} | {:>13.1} |",
                n as f64 / elapsed,
                elapsed * 1e9 / n as f64
            );
        }
    }
}

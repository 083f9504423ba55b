//! The laws of covered time, on random calendars in time zones with DST (including
//! half-hour and midnight changes), checked against a plain reference: every day's
//! intervals mapped one by one through the time zone, without any of the engine's shortcuts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use canopy_sla::{BusinessCalendar, CalendarSpec, Pause, WeeklyHours};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;

const ZONES: [&str; 7] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Shanghai",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
];

const PATTERNS: [&[(&str, &str)]; 8] = [
    &[],
    &[("09:00", "17:00")],
    &[("09:00", "12:00"), ("13:00", "18:00")],
    &[("08:00", "20:00")],
    &[("22:00", "06:00")],
    &[("00:00", "24:00")],
    &[("01:30", "03:00")],
    &[("00:30", "02:45"), ("02:45", "04:00")],
];

#[derive(Clone, Debug)]
struct Case {
    zone: &'static str,
    spec: CalendarSpec,
}

fn day(patterns: usize) -> Vec<(String, String)> {
    PATTERNS[patterns].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn date_in_range(offset: i64) -> Date {
    jiff::civil::date(2026, 1, 1).checked_add(offset.days()).unwrap()
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ZONES.len(),
        proptest::array::uniform7(0..PATTERNS.len()),
        proptest::collection::vec(0i64..730, 0..6),
        proptest::collection::vec(0i64..730, 0..3),
    )
        .prop_map(|(zone, days, holidays, extra)| {
            let [mon, tue, wed, thu, fri, sat, sun] = days.map(day);
            let holidays: Vec<Date> = {
                let mut h: Vec<i64> = holidays;
                h.sort();
                h.dedup();
                h.into_iter().map(date_in_range).collect()
            };
            let extra: Vec<Date> = {
                let mut e: Vec<i64> = extra;
                e.sort();
                e.dedup();
                e.into_iter().map(date_in_range).filter(|d| !holidays.contains(d)).collect()
            };
            Case {
                zone: ZONES[zone],
                spec: CalendarSpec {
                    weekly: WeeklyHours { mon, tue, wed, thu, fri, sat, sun },
                    holidays,
                    extra_working_days: extra,
                    holiday_names: Default::default(),
                },
            }
        })
        .prop_filter("valid calendars", |c| c.spec.validate().is_ok())
}

/// Covered seconds in [from, to), the slow and obvious way.
fn reference_covered(case: &Case, from: i64, to: i64) -> i64 {
    let tz = TimeZone::get(case.zone).unwrap();
    let local = |t: i64| Timestamp::from_second(t).unwrap().to_zoned(tz.clone()).date();
    let mut intervals = Vec::new();
    let mut d = local(from).yesterday().unwrap();
    let last = local(to).tomorrow().unwrap();
    while d <= last {
        let spans = if case.spec.extra_working_days.contains(&d) {
            case.spec.weekly.mon.clone()
        } else if case.spec.holidays.contains(&d) {
            Vec::new()
        } else {
            case.spec.weekly.day(d.weekday()).to_vec()
        };
        for (a, b) in spans {
            let wall = |s: &str| -> (jiff::civil::DateTime, i64) {
                let (h, m): (i64, i64) = (s[..2].parse().unwrap(), s[3..].parse().unwrap());
                (d.to_datetime(jiff::civil::Time::midnight()), h * 3600 + m * 60)
            };
            let (base, start) = wall(&a);
            let (_, mut end) = wall(&b);
            if end <= start {
                end += 86_400;
            }
            let at = |secs: i64| {
                base.checked_add(secs.seconds())
                    .unwrap()
                    .to_zoned(tz.clone())
                    .unwrap()
                    .timestamp()
                    .as_second()
            };
            let (s, e) = (at(start), at(end));
            if e > s {
                intervals.push((s, e));
            }
        }
        d = d.tomorrow().unwrap();
    }
    intervals.sort();
    let mut total = 0;
    let mut covered_to = i64::MIN;
    for (s, e) in intervals {
        let s = s.max(covered_to).max(from);
        let e = e.min(to);
        if e > s {
            total += e - s;
        }
        covered_to = covered_to.max(e.min(to).max(covered_to));
    }
    total
}

fn instant() -> impl Strategy<Value = i64> {
    // 2026-01-01 to 2027-12-31, on the minute sometimes, to the second otherwise.
    (1_767_225_600i64..1_830_297_600, any::<bool>()).prop_map(|(t, round)| if round { t - t % 60 } else { t })
}

fn duration() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..7200, 1i64..(8 * 86_400), 1i64..(30 * 86_400)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn due_then_covered_is_the_target_and_due_is_the_earliest(case in case(), t in instant(), d in duration()) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        let due = cal.due(t, d).unwrap();
        prop_assert_eq!(cal.covered(t, due).unwrap(), d);
        prop_assert_eq!(reference_covered(&case, t, due), d);
        prop_assert!(reference_covered(&case, t, due - 1) < d, "a second earlier would not do");
    }

    #[test]
    fn due_composes(case in case(), t in instant(), a in duration(), b in duration()) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        prop_assert_eq!(cal.due(t, a + b).unwrap(), cal.due(cal.due(t, a).unwrap(), b).unwrap());
    }

    #[test]
    fn due_is_monotonic(case in case(), t in instant(), dt in 0i64..(3 * 86_400), d in duration(), dd in 0i64..86_400) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        prop_assert!(cal.due(t, d).unwrap() <= cal.due(t + dt, d).unwrap());
        prop_assert!(cal.due(t, d).unwrap() <= cal.due(t, d + dd).unwrap());
    }

    #[test]
    fn covered_matches_the_reference(case in case(), t in instant(), span in 0i64..(20 * 86_400)) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        prop_assert_eq!(cal.covered(t, t + span).unwrap(), reference_covered(&case, t, t + span));
    }

    #[test]
    fn a_due_time_is_never_inside_a_closed_stretch(case in case(), t in instant(), d in duration()) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        let due = cal.due(t, d).unwrap();
        // The second just before the due time is covered.
        prop_assert_eq!(cal.covered(due - 1, due).unwrap(), 1);
    }

    #[test]
    fn pauses_only_push_due_times_later(
        case in case(),
        t in instant(),
        d in duration(),
        pauses in proptest::collection::vec((0i64..(10 * 86_400), 0i64..(2 * 86_400)), 0..4),
    ) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        let pauses: Vec<Pause> = pauses.into_iter().map(|(at, len)| Pause { from: t + at, to: Some(t + at + len) }).collect();
        let plain = cal.due(t, d).unwrap();
        let paused = cal.due_with_pauses(t, d, &pauses).unwrap().unwrap();
        prop_assert!(paused >= plain);
        prop_assert_eq!(cal.covered_excluding(t, paused, &pauses).unwrap(), d);
    }

    #[test]
    fn a_new_target_keeps_the_time_used_and_the_pauses(
        case in case(),
        t in instant(),
        first in duration(),
        second in duration(),
        pause_at in 0i64..86_400,
        pause_len in 0i64..86_400,
    ) {
        let cal = BusinessCalendar::new(case.zone, &case.spec).unwrap();
        let mut clock = canopy_sla::SlaClock::new(t, first);
        clock.pause(t + pause_at);
        clock.resume(t + pause_at + pause_len);
        clock.retarget(second);
        let due = clock.due(&cal).unwrap().unwrap();
        prop_assert_eq!(cal.covered_excluding(t, due, &clock.pauses).unwrap(), second);
    }
}

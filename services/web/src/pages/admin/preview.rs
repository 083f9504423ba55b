//! What the calendar means for due times: for a few moments (now, Friday at 17:30, the eve
//! of the next holiday), when a P1, P2 or P3 ticket raised then would have to be resolved
//! under the tenant's SLA, as the catalogue computes it.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use canopy_api::catalog::TenantPreview;
use canopy_api::client::CallError;
use canopy_sla::{CalendarSpec, Coverage, Priority};

use super::summary::day_key;
use crate::pages::Chrome;
use crate::state::WebState;

pub const PRIORITIES: [Priority; 3] = [Priority::P1, Priority::P2, Priority::P3];

/// A moment to preview: what it is (a catalogue key and its argument) and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    pub key: &'static str,
    pub arg: String,
    pub at: DateTime<Utc>,
}

/// `date` at `hh:mm` in `tz` (the "compatible" rule in a gap or a repeated hour).
fn local(tz: &TimeZone, date: Date, hour: i8, minute: i8) -> Option<DateTime<Utc>> {
    let zoned = date.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok()?;
    DateTime::from_timestamp(zoned.timestamp().as_second(), 0)
}

/// Now; the next Friday at 17:30 (a weekend starts); the eve of the next holiday at 17:30.
pub fn moments(now: DateTime<Utc>, zone: &str, calendar: &CalendarSpec) -> Vec<Moment> {
    let mut out = vec![Moment { key: "admin-preview-now", arg: String::new(), at: now }];
    let Ok(tz) = TimeZone::get(zone) else { return out };
    let Ok(ts) = jiff::Timestamp::from_second(now.timestamp()) else { return out };
    let today = ts.to_zoned(tz.clone()).date();
    let mut friday = today;
    for _ in 0..14 {
        if friday.weekday() == Weekday::Friday
            && let Some(at) = local(&tz, friday, 17, 30).filter(|at| *at > now)
        {
            out.push(Moment { key: "admin-preview-friday", arg: friday.to_string(), at });
            break;
        }
        match friday.tomorrow() {
            Ok(next) => friday = next,
            Err(_) => break,
        }
    }
    let mut holidays: Vec<Date> = calendar.holidays.clone();
    holidays.sort();
    let eve = holidays.into_iter().find_map(|day| {
        let at = local(&tz, day.yesterday().ok()?, 17, 30).filter(|at| *at > now)?;
        Some((day, at))
    });
    if let Some((day, at)) = eve {
        let name =
            calendar.holiday_names.get(&day).map_or_else(|| day.to_string(), |n| format!("{n} ({day})"));
        out.push(Moment { key: "admin-preview-eve", arg: name, at });
    }
    out
}

/// A moment as the page shows it, with its weekday: `2026-10-09 17:30 (Fri)`.
pub fn when_with_day(ctx: &Chrome, at: &DateTime<Utc>) -> String {
    let day = TimeZone::get(ctx.zone())
        .ok()
        .and_then(|tz| Some(jiff::Timestamp::from_second(at.timestamp()).ok()?.to_zoned(tz).weekday()))
        .map(|w| ctx.t(&format!("{}-short", day_key(weekday_key(w)))));
    match day {
        Some(day) => format!("{} ({day})", ctx.when(at)),
        None => ctx.when(at),
    }
}

fn weekday_key(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

pub struct PreviewRow {
    pub label: String,
    pub start: String,
    /// P1, P2, P3: when the resolution is due, or none without a target.
    pub due: Vec<Option<String>>,
}

pub enum Preview {
    Ready {
        tier: String,
        all_hours: bool,
        rows: Vec<PreviewRow>,
    },
    /// The tenant has no contract in force: no SLA to preview.
    NoContract,
    Unavailable,
}

/// The preview for the tenant's calendar in force.
pub async fn preview(
    state: &WebState,
    ctx: &Chrome,
    token: &str,
    tenant: uuid::Uuid,
    calendar: &CalendarSpec,
) -> Preview {
    let policy = match state.api.catalog.policy(token, tenant, None).await {
        Ok(policy) => policy,
        Err(err) if err.is_not_found() => return Preview::NoContract,
        Err(err) => {
            tracing::debug!(error = %err, "no SLA policy for the preview");
            return Preview::Unavailable;
        }
    };
    let moments = moments(ctx.now, ctx.zone(), calendar);
    let asks: Vec<(usize, usize, TenantPreview)> = moments
        .iter()
        .enumerate()
        .flat_map(|(m, moment)| {
            PRIORITIES.iter().enumerate().map(move |(p, priority)| {
                (
                    m,
                    p,
                    TenantPreview { tenant_id: tenant, priority: *priority, start: moment.at, onsite: false },
                )
            })
        })
        .filter(|(_, _, ask)| policy.targets.get(&ask.priority).is_some_and(|t| t.resolution_mins.is_some()))
        .collect();
    let answers: Vec<Result<_, CallError>> =
        join_all(asks.iter().map(|(_, _, ask)| state.api.catalog.sla_preview(token, ask))).await;
    let mut rows: Vec<PreviewRow> = moments
        .iter()
        .map(|m| PreviewRow {
            label: if m.arg.is_empty() { ctx.t(m.key) } else { ctx.t1(m.key, "day", &m.arg) },
            start: when_with_day(ctx, &m.at),
            due: vec![None; PRIORITIES.len()],
        })
        .collect();
    for ((m, p, _), answer) in asks.iter().zip(answers) {
        match answer {
            Ok(a) => rows[*m].due[*p] = a.resolution_due_at.map(|at| when_with_day(ctx, &at)),
            Err(err) => {
                tracing::debug!(error = %err, "due time not previewed");
                return Preview::Unavailable;
            }
        }
    }
    Preview::Ready { tier: policy.tier_name, all_hours: policy.coverage == Coverage::AlwaysOn, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn spec(json: &str) -> CalendarSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_moments_are_now_friday_evening_and_the_eve_of_the_next_holiday() {
        // Wednesday 2026-09-23, 10:00 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 9, 23, 2, 0, 0).unwrap();
        let cal = spec(
            r#"{"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-10-02", "2026-10-01", "2026-01-01"],
                "holiday_names": {"2026-10-01": "National Day"}}"#,
        );
        let m = moments(now, "Asia/Shanghai", &cal);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].at, now);
        assert_eq!(
            (m[1].arg.as_str(), m[1].at),
            ("2026-09-25", Utc.with_ymd_and_hms(2026, 9, 25, 9, 30, 0).unwrap())
        );
        assert_eq!(m[2].arg, "National Day (2026-10-01)");
        assert_eq!(m[2].at, Utc.with_ymd_and_hms(2026, 9, 30, 9, 30, 0).unwrap());
    }

    #[test]
    fn a_friday_evening_already_past_is_next_weeks_and_no_holiday_is_no_eve() {
        // Friday 2026-09-25, 18:00 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 9, 25, 10, 0, 0).unwrap();
        let m = moments(now, "Asia/Shanghai", &CalendarSpec::office_hours());
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].arg, "2026-10-02");
    }
}

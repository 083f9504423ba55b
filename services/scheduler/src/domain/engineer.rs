//! An engineer as dispatch sees them: what they can do (skills with a level, support level),
//! where (home region and the regions they cover), when (a shift calendar in their own time
//! zone, and time off), and how much at once (capacity).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use canopy_kernel::Violations;
use canopy_kernel::validate::{clean_text, is_email};
use canopy_sla::{BusinessCalendar, CalendarSpec};

/// A skill: a ticket category (`network`) or a tag (`cisco`, `sap`), at level 1–3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    pub key: String,
    pub level: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOff {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What makes an engineer, as sent on create and replaced field by field on update.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EngineerSpec {
    #[schema(example = "Zhang Wei")]
    pub name: String,
    pub email: String,
    /// The provider user who is this engineer, when they sign in.
    #[serde(default)]
    pub user_id: Option<uuid::Uuid>,
    /// L1, L2 or L3.
    pub support_level: u8,
    #[serde(default)]
    pub skills: Vec<Skill>,
    pub home_region: String,
    /// Regions covered for on-site work besides the home region.
    #[serde(default)]
    pub regions: Vec<String>,
    /// IANA time zone of the shift calendar.
    pub timezone: String,
    /// Working hours, holidays and extra days, in the SLA engine's calendar shape.
    #[schema(value_type = Object)]
    pub shifts: CalendarSpec,
    #[serde(default)]
    pub time_off: Vec<TimeOff>,
    /// Open tickets at once.
    pub capacity: u32,
    #[serde(default)]
    pub on_call: bool,
    /// Where the engineer's on-site rounds start and end (office or home); without it a round
    /// starts at its first visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<GeoPoint>,
}

/// A place on the map, in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

fn is_key(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl EngineerSpec {
    /// Checks every field and normalises what can be (trimmed text, the home region among the
    /// covered ones, sorted and deduplicated lists); every problem is reported at once.
    pub fn validate(&mut self) -> Violations {
        let mut v = Violations::new();
        match clean_text(&self.name, 100) {
            Ok(name) => self.name = name,
            Err(m) => v.add("name", m),
        }
        self.email = self.email.trim().to_lowercase();
        v.check(is_email(&self.email), "email", "is not an email address");
        v.check((1..=3).contains(&self.support_level), "support_level", "must be 1, 2 or 3 (L1–L3)");
        v.check(self.skills.len() <= 50, "skills", "at most 50 skills");
        let mut keys = HashSet::new();
        for (i, skill) in self.skills.iter_mut().enumerate() {
            skill.key = skill.key.trim().to_lowercase();
            v.check(is_key(&skill.key), format!("skills[{i}].key"), "1–40 characters of a-z, 0-9, _ and -");
            v.check((1..=3).contains(&skill.level), format!("skills[{i}].level"), "must be 1, 2 or 3");
            v.check(keys.insert(skill.key.clone()), format!("skills[{i}].key"), "is listed twice");
        }
        self.home_region = self.home_region.trim().to_lowercase();
        v.check(is_key(&self.home_region), "home_region", "1–40 characters of a-z, 0-9, _ and -");
        v.check(self.regions.len() <= 50, "regions", "at most 50 regions");
        for (i, region) in self.regions.iter_mut().enumerate() {
            *region = region.trim().to_lowercase();
            v.check(is_key(region), format!("regions[{i}]"), "1–40 characters of a-z, 0-9, _ and -");
        }
        self.regions.push(self.home_region.clone());
        self.regions.sort();
        self.regions.dedup();
        if let Err(errors) = BusinessCalendar::new(&self.timezone, &self.shifts) {
            for e in errors {
                let field = if e.path == "timezone" { e.path } else { format!("shifts.{}", e.path) };
                v.add(field, e.message);
            }
        }
        v.check(self.time_off.len() <= 200, "time_off", "at most 200 periods");
        for (i, off) in self.time_off.iter().enumerate() {
            v.check(off.from < off.to, format!("time_off[{i}].to"), "must be after `from`");
            if off.reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
                v.add(format!("time_off[{i}].reason"), "must have at most 200 characters");
            }
        }
        self.time_off.sort_by_key(|o| o.from);
        v.check((1..=100).contains(&self.capacity), "capacity", "must be 1–100 open tickets");
        if let Some(base) = &self.base {
            v.check((-90.0..=90.0).contains(&base.latitude), "base.latitude", "must be -90 to 90");
            v.check((-180.0..=180.0).contains(&base.longitude), "base.longitude", "must be -180 to 180");
        }
        v
    }

    /// The first instant at or after `at`, within `horizon`, when the engineer works (in a
    /// shift, not on time off); `None` when they do not work again before the horizon.
    pub fn next_working(&self, at: DateTime<Utc>, horizon: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let calendar = BusinessCalendar::new(&self.timezone, &self.shifts).ok()?;
        let mut t = at.timestamp();
        while t < horizon.timestamp() {
            let open = calendar.next_open(t).ok()?;
            let at = DateTime::from_timestamp(open, 0)?;
            match self.time_off.iter().find(|o| o.from <= at && at < o.to) {
                Some(off) => t = off.to.timestamp(),
                None => return (at < horizon).then_some(at),
            }
        }
        None
    }

    /// When the engineer works on `[from, to)`: their shift intervals minus time off.
    pub fn working_intervals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let Ok(calendar) = BusinessCalendar::new(&self.timezone, &self.shifts) else { return Vec::new() };
        let mut out = Vec::new();
        for (s, e) in calendar.open_intervals(from.timestamp(), to.timestamp()).unwrap_or_default() {
            let (Some(mut s), Some(e)) = (DateTime::from_timestamp(s, 0), DateTime::from_timestamp(e, 0))
            else {
                continue;
            };
            for off in &self.time_off {
                if off.from < e && off.to > s {
                    if off.from > s {
                        out.push((s, off.from));
                    }
                    s = s.max(off.to);
                }
            }
            if s < e {
                out.push((s, e));
            }
        }
        out
    }

    /// True when the engineer works at `at`: within a shift and not on time off.
    pub fn on_shift(&self, at: DateTime<Utc>) -> bool {
        let off = self.time_off.iter().any(|o| o.from <= at && at < o.to);
        let calendar = BusinessCalendar::new(&self.timezone, &self.shifts);
        !off && calendar.is_ok_and(|c| c.covered(at.timestamp(), at.timestamp() + 1).unwrap_or(0) > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EngineerSpec {
        serde_json::from_value(serde_json::json!({
            "name": " Zhang Wei ", "email": "Zhang.Wei@Canopy.Test", "support_level": 2,
            "skills": [{"key": "Network", "level": 3}, {"key": "windows", "level": 2}],
            "home_region": "Shanghai-Pudong", "regions": ["shanghai-puxi", "shanghai-pudong"],
            "timezone": "Asia/Shanghai",
            "shifts": {"weekly": {"mon": [["09:00","18:00"]], "tue": [["09:00","18:00"]], "wed": [["09:00","18:00"]],
                                  "thu": [["09:00","18:00"]], "fri": [["09:00","18:00"]], "sat": [], "sun": []}},
            "time_off": [{"from": "2026-12-24T00:00:00Z", "to": "2026-12-27T00:00:00Z", "reason": "holiday"}],
            "capacity": 8
        }))
        .unwrap()
    }

    #[test]
    fn a_valid_engineer_is_normalised() {
        let mut s = spec();
        assert!(s.validate().into_result().is_ok());
        assert_eq!(s.name, "Zhang Wei");
        assert_eq!(s.email, "zhang.wei@canopy.test");
        assert_eq!(s.skills[0].key, "network");
        assert_eq!(s.regions, ["shanghai-pudong", "shanghai-puxi"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut s = spec();
        s.support_level = 4;
        s.capacity = 0;
        s.skills.push(Skill { key: "network".into(), level: 5 });
        s.timezone = "Mars/Base".into();
        s.time_off[0].to = s.time_off[0].from;
        let err = s.validate().into_result().unwrap_err();
        let fields: Vec<&str> = err.field_errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["support_level", "skills[2].level", "skills[2].key", "timezone", "time_off[0].to", "capacity"]
        );
    }

    #[test]
    fn shifts_and_time_off_decide_who_works_now() {
        let s = spec();
        // Monday 2026-11-23 10:00 in Shanghai is 02:00 UTC.
        assert!(s.on_shift("2026-11-23T02:00:00Z".parse().unwrap()));
        // 20:00 in Shanghai: off shift.
        assert!(!s.on_shift("2026-11-23T12:00:00Z".parse().unwrap()));
        // Christmas Eve, a Thursday, is time off.
        assert!(!s.on_shift("2026-12-24T02:00:00Z".parse().unwrap()));
    }

    #[test]
    fn next_working_time_skips_nights_weekends_and_time_off() {
        let s = spec();
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let horizon = at("2027-01-31T00:00:00Z");
        // Friday 2026-11-27 20:00 Shanghai → Monday 09:00 Shanghai (01:00 UTC).
        assert_eq!(s.next_working(at("2026-11-27T12:00:00Z"), horizon), Some(at("2026-11-30T01:00:00Z")));
        // On shift: now.
        assert_eq!(s.next_working(at("2026-11-30T02:00:00Z"), horizon), Some(at("2026-11-30T02:00:00Z")));
        // Time off from Christmas Eve to the 27th (a Sunday) → Monday the 28th, 09:00 Shanghai.
        assert_eq!(s.next_working(at("2026-12-23T12:00:00Z"), horizon), Some(at("2026-12-28T01:00:00Z")));
        assert_eq!(s.next_working(at("2026-11-27T12:00:00Z"), at("2026-11-29T00:00:00Z")), None);
        // A day cut by time off in its middle.
        let mut t = spec();
        t.time_off =
            vec![TimeOff { from: at("2026-11-30T03:00:00Z"), to: at("2026-11-30T05:00:00Z"), reason: None }];
        assert_eq!(
            t.working_intervals(at("2026-11-30T00:00:00Z"), at("2026-12-01T00:00:00Z")),
            [
                (at("2026-11-30T01:00:00Z"), at("2026-11-30T03:00:00Z")),
                (at("2026-11-30T05:00:00Z"), at("2026-11-30T10:00:00Z"))
            ]
        );
    }
}

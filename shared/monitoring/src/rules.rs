//! A tenant's monitoring rules, part of its virtual configuration: the correlation window,
//! the severity that opens an incident, auto-resolution, flapping, how checks map to ticket
//! categories, the impact and urgency an incident gets, and maintenance windows that silence
//! matching events (once, or every week in the tenant's time zone).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::event::{Event, Severity};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Events of one fingerprint within this many minutes are one alert; an alert that
    /// recovered and fires again within it is the same incident (reopened).
    pub window_mins: u32,
    /// The severity from which an alert opens an incident.
    pub open_at: Severity,
    /// A recovery (`ok`) resolves the alert's incident.
    pub auto_resolve: bool,
    /// More recoveries than this within `flap_window_mins` and the alert is flapping: its one
    /// incident stays open and recoveries no longer resolve it until it settles.
    pub flap_threshold: u32,
    pub flap_window_mins: u32,
    /// Check → ticket category, first match wins; then the built-in map (network,
    /// virus_security, hardware, software, other).
    pub categories: Vec<CategoryRule>,
    /// The impact and urgency (in the tenant's priority matrix) an incident gets, by the
    /// alert's severity; a severity not named here takes them from the matrix's order
    /// (critical: the first impact and urgency; error: the first impact, the second urgency;
    /// warning: the second of each; info: the last of each).
    #[schema(value_type = Object)]
    pub impact_urgency: BTreeMap<Severity, ImpactUrgency>,
    pub maintenance: Vec<MaintenanceWindow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactUrgency {
    pub impact: String,
    pub urgency: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    /// Matches a check containing this text (any case).
    pub contains: String,
    pub category: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    pub name: String,
    /// Host patterns (`*` for any run of characters); none: every host.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Check patterns; none: every check.
    #[serde(default)]
    pub checks: Vec<String>,
    /// A one-off window.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// A weekly window, in the tenant's time zone.
    pub weekly: Option<Weekly>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weekly {
    /// `mon` … `sun`.
    pub days: Vec<String>,
    /// `HH:MM`, local time; `to` before `from` runs past midnight.
    pub from: String,
    pub to: String,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            window_mins: 30,
            open_at: Severity::Error,
            auto_resolve: true,
            flap_threshold: 3,
            flap_window_mins: 60,
            categories: Vec::new(),
            impact_urgency: BTreeMap::new(),
            maintenance: Vec::new(),
        }
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The built-in map from words in a check's name to the seed documents' failure categories.
const BUILT_IN: [(&str, &[&str]); 4] = [
    (
        "virus_security",
        &["virus", "malware", "antivirus", "ransom", "intrusion", "security", "firewall-ids", "edr"],
    ),
    (
        "network",
        &[
            "ping",
            "icmp",
            "network",
            "net",
            "link",
            "switch",
            "router",
            "wan",
            "lan",
            "vpn",
            "dns",
            "dhcp",
            "wifi",
            "interface",
            "port",
            "snmp",
        ],
    ),
    (
        "hardware",
        &[
            "disk",
            "smart",
            "raid",
            "cpu",
            "memory",
            "ram",
            "temperature",
            "temp",
            "fan",
            "power",
            "psu",
            "ups",
            "battery",
            "hardware",
            "printer",
        ],
    ),
    (
        "software",
        &[
            "service",
            "process",
            "app",
            "database",
            "db",
            "http",
            "web",
            "mail",
            "backup",
            "update",
            "license",
            "certificate",
            "software",
        ],
    ),
];

fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() == 5).then_some(h * 60 + m)
}

/// `*` matches any run of characters; any case.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

impl Rules {
    /// Every problem as (path under `monitoring`, message). `categories`: the tenant's active
    /// category keys; `impacts`/`urgencies`: its priority matrix's.
    pub fn validate(
        &self,
        categories: &[&str],
        impacts: &[String],
        urgencies: &[String],
    ) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut bad = |path: String, msg: &str| out.push((path, msg.to_owned()));
        if !(1..=1440).contains(&self.window_mins) {
            bad("window_mins".into(), "must be 1–1440 minutes");
        }
        if !(1..=1440).contains(&self.flap_window_mins) {
            bad("flap_window_mins".into(), "must be 1–1440 minutes");
        }
        if !(1..=100).contains(&self.flap_threshold) {
            bad("flap_threshold".into(), "must be 1–100");
        }
        if self.open_at == Severity::Ok {
            bad("open_at".into(), "a recovery opens nothing: info, warning, error or critical");
        }
        if self.categories.len() > 100 {
            bad("categories".into(), "at most 100 rules");
        }
        for (i, r) in self.categories.iter().enumerate() {
            if r.contains.trim().is_empty() || r.contains.len() > 100 {
                bad(format!("categories[{i}].contains"), "must have 1–100 characters");
            }
            if !categories.contains(&r.category.as_str()) {
                bad(format!("categories[{i}].category"), "is not one of the tenant's active categories");
            }
        }
        for (sev, iu) in &self.impact_urgency {
            if !impacts.contains(&iu.impact) {
                bad(
                    format!("impact_urgency.{}.impact", sev.as_str()),
                    "is not an impact of the priority matrix",
                );
            }
            if !urgencies.contains(&iu.urgency) {
                bad(
                    format!("impact_urgency.{}.urgency", sev.as_str()),
                    "is not an urgency of the priority matrix",
                );
            }
        }
        if self.maintenance.len() > 100 {
            bad("maintenance".into(), "at most 100 windows");
        }
        for (i, w) in self.maintenance.iter().enumerate() {
            let p = |f: &str| format!("maintenance[{i}].{f}");
            if w.name.trim().is_empty() || w.name.chars().count() > 100 {
                bad(p("name"), "must have 1–100 characters");
            }
            for (name, patterns) in [("hosts", &w.hosts), ("checks", &w.checks)] {
                if patterns.len() > 100 {
                    bad(p(name), "at most 100 patterns");
                }
                for (j, pattern) in patterns.iter().enumerate() {
                    if pattern.trim().is_empty() || pattern.chars().count() > 200 {
                        bad(format!("maintenance[{i}].{name}[{j}]"), "a pattern has 1–200 characters");
                    }
                }
            }
            match (&w.starts_at, &w.ends_at, &w.weekly) {
                (Some(s), Some(e), None) if s < e => {}
                (Some(_), Some(_), None) => bad(p("ends_at"), "must be after starts_at"),
                (None, None, Some(wk)) => {
                    if wk.days.is_empty() || wk.days.iter().any(|d| !DAYS.contains(&d.as_str())) {
                        bad(p("weekly.days"), "name days as mon, tue, wed, thu, fri, sat, sun");
                    }
                    match (hhmm(&wk.from), hhmm(&wk.to)) {
                        (Some(f), Some(t)) if f != t => {}
                        (Some(_), Some(_)) => bad(p("weekly.to"), "must differ from from"),
                        (from, to) => {
                            if from.is_none() {
                                bad(p("weekly.from"), "must be a time of day, HH:MM");
                            }
                            if to.is_none() {
                                bad(p("weekly.to"), "must be a time of day, HH:MM");
                            }
                        }
                    }
                }
                _ => bad(p("weekly"), "a window is either starts_at and ends_at, or weekly"),
            }
        }
        out
    }

    /// The category of an incident from this check: the tenant's rules first, then the
    /// built-in map; a category the tenant does not have falls back to `other` (or its first).
    pub fn category_for(&self, check: &str, active: &[&str]) -> String {
        let check_lc = check.to_lowercase();
        let words: Vec<&str> =
            check_lc.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let chosen = self
            .categories
            .iter()
            .find(|r| check_lc.contains(&r.contains.to_lowercase()))
            .map(|r| r.category.as_str())
            .or_else(|| {
                BUILT_IN.iter().find(|(_, keys)| keys.iter().any(|k| words.contains(k))).map(|(cat, _)| *cat)
            })
            .unwrap_or("other");
        if active.contains(&chosen) {
            chosen.to_owned()
        } else if active.contains(&"other") {
            "other".to_owned()
        } else {
            active.first().map(|c| (*c).to_owned()).unwrap_or_else(|| "other".to_owned())
        }
    }

    /// The impact and urgency an incident of this severity gets, in a matrix with these
    /// levels (most severe first).
    pub fn impact_urgency_for(
        &self,
        severity: Severity,
        impacts: &[String],
        urgencies: &[String],
    ) -> ImpactUrgency {
        if let Some(iu) = self.impact_urgency.get(&severity) {
            return iu.clone();
        }
        let pick = |levels: &[String], i: usize| {
            levels.get(i.min(levels.len().saturating_sub(1))).cloned().unwrap_or_default()
        };
        let (i, u) = match severity {
            Severity::Critical => (0, 0),
            Severity::Error => (0, 1),
            Severity::Warning => (1, 1),
            Severity::Info | Severity::Ok => (usize::MAX, usize::MAX),
        };
        ImpactUrgency { impact: pick(impacts, i), urgency: pick(urgencies, u) }
    }

    /// The maintenance window silencing this event, if one does. `tz`: the tenant's IANA
    /// time zone (weekly windows are local).
    pub fn silenced_by(&self, e: &Event, tz: &str) -> Option<&str> {
        self.maintenance.iter().find(|w| w.covers(e, tz)).map(|w| w.name.as_str())
    }
}

impl MaintenanceWindow {
    fn covers(&self, e: &Event, tz: &str) -> bool {
        let hosts = self.hosts.is_empty() || self.hosts.iter().any(|p| glob(p, &e.host));
        let checks = self.checks.is_empty() || self.checks.iter().any(|p| glob(p, &e.check));
        if !hosts || !checks {
            return false;
        }
        match (&self.starts_at, &self.ends_at, &self.weekly) {
            (Some(s), Some(end), _) => *s <= e.occurred_at && e.occurred_at < *end,
            (_, _, Some(w)) => w.covers(e.occurred_at, tz),
            _ => false,
        }
    }
}

impl Weekly {
    fn covers(&self, at: DateTime<Utc>, tz: &str) -> bool {
        let Ok(zone) = jiff::tz::TimeZone::get(tz) else { return false };
        let Ok(ts) = jiff::Timestamp::from_second(at.timestamp()) else { return false };
        let local = ts.to_zoned(zone);
        let (Some(from), Some(to)) = (hhmm(&self.from), hhmm(&self.to)) else { return false };
        let minute = u32::from(local.hour() as u8) * 60 + u32::from(local.minute() as u8);
        let day = |wd: jiff::civil::Weekday| DAYS[usize::from(wd.to_monday_zero_offset() as u8)];
        let today = day(local.weekday());
        let yesterday = day(local.weekday().wrapping_sub(1));
        let on = |d: &str| self.days.iter().any(|x| x == d);
        if from < to {
            on(today) && from <= minute && minute < to
        } else {
            // Past midnight: the evening part on its own day, the morning part on the next.
            (on(today) && minute >= from) || (on(yesterday) && minute < to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(host: &str, check: &str, at: &str) -> Event {
        Event::parse(
            &json!({"host": host, "check": check, "severity": "error", "occurred_at": at}),
            "2026-12-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap()
    }

    const ACTIVE: [&str; 5] = ["network", "virus_security", "software", "hardware", "other"];

    #[test]
    fn checks_map_to_the_seed_categories() {
        let r = Rules::default();
        assert_eq!(r.category_for("ping", &ACTIVE), "network");
        assert_eq!(r.category_for("WAN link", &ACTIVE), "network");
        assert_eq!(r.category_for("antivirus", &ACTIVE), "virus_security");
        assert_eq!(r.category_for("disk /data", &ACTIVE), "hardware");
        assert_eq!(r.category_for("backup job", &ACTIVE), "software");
        assert_eq!(r.category_for("coffee", &ACTIVE), "other");
        // The tenant's own rules come first; a category it lacks falls back to other.
        let mine = Rules {
            categories: vec![CategoryRule { contains: "erp".into(), category: "software".into() }],
            ..Rules::default()
        };
        assert_eq!(mine.category_for("ERP ping", &ACTIVE), "software");
        assert_eq!(r.category_for("ping", &["software", "other"]), "other");
    }

    #[test]
    fn maintenance_silences_matching_events_in_the_tenants_time() {
        let r = Rules {
            maintenance: vec![
                MaintenanceWindow {
                    name: "backups".into(),
                    hosts: vec!["fs*".into()],
                    checks: vec![],
                    starts_at: None,
                    ends_at: None,
                    weekly: Some(Weekly {
                        days: vec!["sun".into()],
                        from: "23:00".into(),
                        to: "02:00".into(),
                    }),
                },
                MaintenanceWindow {
                    name: "switch swap".into(),
                    hosts: vec![],
                    checks: vec!["ping".into()],
                    starts_at: Some("2026-11-30T10:00:00Z".parse().unwrap()),
                    ends_at: Some("2026-11-30T11:00:00Z".parse().unwrap()),
                    weekly: None,
                },
            ],
            ..Rules::default()
        };
        let tz = "Asia/Shanghai";
        // Sunday 29 Nov 23:30 in Shanghai is 15:30 UTC; Monday 01:30 is Sunday 17:30 UTC.
        assert_eq!(r.silenced_by(&event("fs01", "disk", "2026-11-29T15:30:00Z"), tz), Some("backups"));
        assert_eq!(r.silenced_by(&event("FS02", "disk", "2026-11-29T17:30:00Z"), tz), Some("backups"));
        assert_eq!(r.silenced_by(&event("fs01", "disk", "2026-11-29T18:30:00Z"), tz), None, "02:30 Monday");
        assert_eq!(r.silenced_by(&event("web1", "disk", "2026-11-29T15:30:00Z"), tz), None, "another host");
        assert_eq!(r.silenced_by(&event("sw1", "ping", "2026-11-30T10:30:00Z"), tz), Some("switch swap"));
        assert_eq!(r.silenced_by(&event("sw1", "ping", "2026-11-30T11:00:00Z"), tz), None, "ends_at is open");
    }

    #[test]
    fn rules_are_checked_against_the_tenants_configuration() {
        let levels = ["high".to_owned(), "medium".to_owned(), "low".to_owned()];
        assert!(Rules::default().validate(&ACTIVE, &levels, &levels).is_empty());
        let bad = Rules {
            window_mins: 0,
            open_at: Severity::Ok,
            categories: vec![CategoryRule { contains: "x".into(), category: "printers".into() }],
            maintenance: vec![MaintenanceWindow {
                name: "w".into(),
                hosts: vec!["fs*".into()],
                checks: vec!["disk".into(), " ".into()],
                starts_at: None,
                ends_at: None,
                weekly: Some(Weekly {
                    days: vec!["funday".into()],
                    from: "25:00".into(),
                    to: "01:00".into(),
                }),
            }],
            ..Rules::default()
        };
        let paths: Vec<String> =
            bad.validate(&ACTIVE, &levels, &levels).into_iter().map(|(p, _)| p).collect();
        for p in [
            "window_mins",
            "open_at",
            "categories[0].category",
            "maintenance[0].weekly.days",
            "maintenance[0].weekly.from",
            "maintenance[0].checks[1]",
        ] {
            assert!(paths.iter().any(|x| x == p), "{p} in {paths:?}");
        }
        assert!(!paths.iter().any(|x| x.starts_with("maintenance[0].hosts")), "{paths:?}");
        assert!(!paths.iter().any(|x| x == "maintenance[0].weekly.to"), "01:00 is a time: {paths:?}");
    }

    #[test]
    fn severity_takes_its_place_in_the_matrix() {
        let levels = ["high".to_owned(), "medium".to_owned(), "low".to_owned()];
        let r = Rules::default();
        let iu = |s| {
            let x = r.impact_urgency_for(s, &levels, &levels);
            (x.impact, x.urgency)
        };
        assert_eq!(iu(Severity::Critical), ("high".into(), "high".into()));
        assert_eq!(iu(Severity::Error), ("high".into(), "medium".into()));
        assert_eq!(iu(Severity::Warning), ("medium".into(), "medium".into()));
        assert_eq!(iu(Severity::Info), ("low".into(), "low".into()));
    }

    #[test]
    fn globs() {
        assert!(glob("fs*", "FS01"));
        assert!(glob("*db*", "prod-db-2"));
        assert!(!glob("fs*", "web"));
        assert!(glob("*", "anything"));
        assert!(glob("exact", "EXACT"));
    }
}

//! One fingerprint's events folded into an alert. An alert fires with its first bad event and
//! merges every later one (count, last seen, severity); it opens an incident once its severity
//! reaches the tenant's threshold; a recovery (`ok`) resolves it and, with auto-resolution,
//! its incident. Firing again within the correlation window is the same episode: the same
//! incident, reopened. More recoveries than the flap threshold inside the flap window and the
//! alert is flapping: its incident stays open whatever the recoveries say. A fire after the
//! window is a new episode, with a new incident (unless the last one is still open).
//!
//! [`apply`] takes one event; [`actions`] compares an alert before and after a batch and says
//! what its incident should do, once, whatever happened in between.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::event::{Event, Severity};
use crate::rules::Rules;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// Where the alert's incident stands, as far as correlation is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Incident {
    None,
    Open,
    /// Resolved by a recovery (auto-resolution).
    Resolved,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    pub status: AlertStatus,
    /// The latest bad severity.
    pub severity: Severity,
    /// The worst severity of the episode.
    pub peak: Severity,
    /// Episodes of this fingerprint so far (1 for the first).
    pub episode: i32,
    pub episode_started: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// When the status last changed: an older event that arrives late is counted, not obeyed.
    pub changed_at: DateTime<Utc>,
    /// Events merged into this episode.
    pub count: i64,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Recoveries inside the flap window.
    pub recoveries: Vec<DateTime<Utc>>,
    pub flapping: bool,
    pub incident: Incident,
}

/// What the alert's incident should do after a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AlertAction)]
pub enum Action {
    Open,
    Reopen,
    Resolve,
    /// Its alert counted more events (or changed severity); nothing to do to the ticket.
    Update,
}

fn episode(e: &Event, number: i32, incident: Incident, rules: &Rules) -> AlertState {
    let mut s = AlertState {
        status: AlertStatus::Firing,
        severity: e.severity,
        peak: e.severity,
        episode: number,
        episode_started: e.occurred_at,
        last_seen: e.occurred_at,
        changed_at: e.occurred_at,
        count: 1,
        resolved_at: None,
        recoveries: Vec::new(),
        flapping: false,
        incident,
    };
    open_if_due(&mut s, rules);
    s
}

fn open_if_due(s: &mut AlertState, rules: &Rules) {
    if s.incident == Incident::None && s.severity >= rules.open_at {
        s.incident = Incident::Open;
    }
}

/// Folds one event into its fingerprint's alert (`None`: no alert yet). A recovery for an
/// alert nobody saw fire makes none.
pub fn apply(state: Option<AlertState>, e: &Event, rules: &Rules) -> Option<AlertState> {
    let window = TimeDelta::minutes(i64::from(rules.window_mins));
    let flap_window = TimeDelta::minutes(i64::from(rules.flap_window_mins));
    let Some(mut s) = state else {
        return (e.severity != Severity::Ok).then(|| episode(e, 1, Incident::None, rules));
    };
    let t = e.occurred_at;
    if t < s.changed_at {
        s.count += 1;
        return Some(s);
    }
    s.last_seen = s.last_seen.max(t);
    match (s.status, e.severity) {
        (AlertStatus::Firing, Severity::Ok) => {
            s.count += 1;
            s.status = AlertStatus::Resolved;
            s.resolved_at = Some(t);
            s.changed_at = t;
            s.recoveries.retain(|r| t - *r <= flap_window);
            s.recoveries.push(t);
            s.flapping = s.recoveries.len() > rules.flap_threshold as usize;
            if !s.flapping && rules.auto_resolve && s.incident == Incident::Open {
                s.incident = Incident::Resolved;
            }
        }
        (AlertStatus::Firing, sev) => {
            s.count += 1;
            s.severity = sev;
            s.peak = s.peak.max(sev);
            open_if_due(&mut s, rules);
        }
        (AlertStatus::Resolved, Severity::Ok) => s.count += 1,
        (AlertStatus::Resolved, sev) => {
            let since = s.resolved_at.map(|r| t - r).unwrap_or(TimeDelta::MAX);
            if since <= window {
                // The same problem back: the same episode, its incident reopened.
                s.count += 1;
                s.status = AlertStatus::Firing;
                s.resolved_at = None;
                s.changed_at = t;
                s.severity = sev;
                s.peak = s.peak.max(sev);
                if s.incident == Incident::Resolved {
                    s.incident = Incident::Open;
                }
                open_if_due(&mut s, rules);
            } else {
                // A new episode; an incident still open (flapping, or no auto-resolution)
                // carries on, a resolved one stays resolved.
                let carried = if s.incident == Incident::Open { Incident::Open } else { Incident::None };
                s = episode(e, s.episode + 1, carried, rules);
            }
        }
    }
    Some(s)
}

/// What the incident should do, given the alert before and after a batch.
pub fn actions(before: Option<&AlertState>, after: &AlertState) -> Vec<Action> {
    let was = match before {
        Some(b) if b.episode == after.episode => b.incident,
        Some(b) if b.incident == Incident::Open && after.incident != Incident::None => Incident::Open,
        _ => Incident::None,
    };
    match (was, after.incident) {
        (Incident::None, Incident::Open) => vec![Action::Open],
        (Incident::None, Incident::Resolved) => vec![Action::Open, Action::Resolve],
        (Incident::Open, Incident::Resolved) => vec![Action::Resolve],
        (Incident::Resolved, Incident::Open) => vec![Action::Reopen],
        _ if before.is_none_or(|b| b.count != after.count || b.severity != after.severity) => {
            vec![Action::Update]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(sev: &str, at: &str) -> Event {
        Event::parse(
            &json!({"host": "fs01", "check": "disk", "severity": sev, "occurred_at": format!("2026-11-30T{at}:00Z")}),
            "2026-12-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap()
    }

    fn run(rules: &Rules, start: Option<AlertState>, events: &[(&str, &str)]) -> Option<AlertState> {
        events.iter().fold(start, |s, (sev, at)| apply(s, &ev(sev, at), rules))
    }

    #[test]
    fn repeats_merge_into_one_alert_that_opens_one_incident() {
        let r = Rules::default();
        let s = run(
            &r,
            None,
            &[("warning", "08:00"), ("warning", "08:01"), ("error", "08:02"), ("critical", "08:03")],
        )
        .unwrap();
        assert_eq!(
            (s.count, s.severity, s.peak, s.incident),
            (4, Severity::Critical, Severity::Critical, Incident::Open)
        );
        assert_eq!(actions(None, &s), [Action::Open]);
        let later = run(&r, Some(s.clone()), &[("error", "08:10")]).unwrap();
        assert_eq!(actions(Some(&s), &later), [Action::Update], "more events update, open nothing");
    }

    #[test]
    fn below_the_threshold_nothing_opens() {
        let s = run(&Rules::default(), None, &[("warning", "08:00"), ("info", "08:05")]).unwrap();
        assert_eq!(s.incident, Incident::None);
        assert_eq!(actions(None, &s), [Action::Update]);
        assert!(
            apply(None, &ev("ok", "08:00"), &Rules::default()).is_none(),
            "a recovery alone makes no alert"
        );
    }

    #[test]
    fn a_recovery_resolves_and_a_return_within_the_window_reopens() {
        let r = Rules::default();
        let fired = run(&r, None, &[("error", "08:00")]).unwrap();
        let ok = run(&r, Some(fired.clone()), &[("ok", "08:05")]).unwrap();
        assert_eq!((ok.status, ok.incident), (AlertStatus::Resolved, Incident::Resolved));
        assert_eq!(actions(Some(&fired), &ok), [Action::Resolve]);
        let back = run(&r, Some(ok.clone()), &[("error", "08:20")]).unwrap();
        assert_eq!((back.episode, back.incident), (1, Incident::Open));
        assert_eq!(actions(Some(&ok), &back), [Action::Reopen]);
        // After the window: a new episode, a new incident.
        let ok2 = run(&r, Some(back), &[("ok", "08:25")]).unwrap();
        let new = run(&r, Some(ok2.clone()), &[("error", "09:30")]).unwrap();
        assert_eq!((new.episode, new.count), (2, 1));
        assert_eq!(actions(Some(&ok2), &new), [Action::Open]);
        // Without auto-resolution the incident waits for people.
        let manual = Rules { auto_resolve: false, ..Rules::default() };
        let s = run(&manual, None, &[("error", "08:00"), ("ok", "08:05")]).unwrap();
        assert_eq!((s.status, s.incident), (AlertStatus::Resolved, Incident::Open));
    }

    #[test]
    fn flapping_keeps_one_incident_open() {
        let r = Rules { flap_threshold: 3, ..Rules::default() };
        let mut events = Vec::new();
        let times =
            ["08:00", "08:01", "08:02", "08:03", "08:04", "08:05", "08:06", "08:07", "08:08", "08:09"];
        for pair in times.chunks(2) {
            events.push(("error", pair[0]));
            events.push(("ok", pair[1]));
        }
        let s = run(&r, None, &events).unwrap();
        assert!(s.flapping);
        assert_eq!((s.episode, s.status, s.incident), (1, AlertStatus::Resolved, Incident::Open));
        assert_eq!(actions(None, &s), [Action::Open]);
        // Settled: a recovery after the flap window resolves it.
        let again = run(&r, Some(s), &[("error", "10:00"), ("ok", "10:01")]).unwrap();
        assert!(!again.flapping);
        assert_eq!(again.incident, Incident::Resolved);
    }

    #[test]
    fn a_late_event_is_counted_not_obeyed() {
        let r = Rules::default();
        let s = run(&r, None, &[("error", "08:00"), ("ok", "08:10"), ("error", "08:05")]).unwrap();
        assert_eq!((s.status, s.count), (AlertStatus::Resolved, 3));
    }
}

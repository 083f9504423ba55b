//! Choosing the engineer for a ticket. Hard filters first (skill and level, support level,
//! working before the ticket breaches, region for on-site work, capacity), then a score in
//! which being able to start before the breach, and soon, counts most, then load, travel and
//! continuity with the tenant. Every candidate keeps its reasons, chosen or not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_sla::BusinessCalendar;

use super::engineer::EngineerSpec;

/// What the ticket needs.
#[derive(Clone, Debug)]
pub struct Need {
    pub category: String,
    /// The ticket's support level (1–3): engineers at this level or above.
    pub support_level: u8,
    /// The site's region when someone must go on site.
    pub onsite_region: Option<String>,
    /// The ticket's next SLA due time; work must be able to start before it.
    pub due_at: Option<DateTime<Utc>>,
}

pub struct Candidate<'a> {
    pub engineer_id: Uuid,
    pub user_id: Option<Uuid>,
    pub active: bool,
    pub spec: &'a EngineerSpec,
    /// Open tickets assigned now.
    pub load: u32,
    /// Tickets of this tenant the engineer worked on before.
    pub history: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Ranked {
    pub engineer_id: Uuid,
    pub eligible: bool,
    /// Higher is better; only among eligible candidates.
    pub score: i64,
    pub reasons: Vec<String>,
}

/// When the engineer can start, at or after `now`: now when on shift, else the next covered
/// instant of the shift calendar outside time off, within `horizon`.
fn start_at(spec: &EngineerSpec, now: DateTime<Utc>, horizon: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let calendar = BusinessCalendar::new(&spec.timezone, &spec.shifts).ok()?;
    let mut t = now.timestamp();
    let end = horizon.timestamp();
    // Step by 15 minutes: enough resolution for dispatch, bounded work.
    while t <= end {
        let at = DateTime::from_timestamp(t, 0)?;
        let off = spec.time_off.iter().any(|o| o.from <= at && at < o.to);
        if !off && calendar.covered(t, t + 60).unwrap_or(0) > 0 {
            return Some(at);
        }
        t += 15 * 60;
    }
    None
}

pub fn rank(need: &Need, candidates: &[Candidate<'_>], now: DateTime<Utc>) -> Vec<Ranked> {
    let horizon = need.due_at.unwrap_or(now + chrono::TimeDelta::days(2)).max(now);
    let mut out: Vec<Ranked> = candidates
        .iter()
        .map(|c| {
            let mut reasons = Vec::new();
            let mut eligible = true;
            let mut refuse = |why: String, reasons: &mut Vec<String>| {
                eligible = false;
                reasons.push(why);
            };
            if !c.active {
                refuse("inactive".into(), &mut reasons);
            }
            if c.user_id.is_none() {
                refuse("no user account to assign to".into(), &mut reasons);
            }
            let skill = c.spec.skills.iter().find(|s| s.key == need.category).map(|s| s.level);
            match skill {
                Some(level) => reasons.push(format!("skill {} L{level}", need.category)),
                None => refuse(format!("no skill {}", need.category), &mut reasons),
            }
            if c.spec.support_level < need.support_level {
                refuse(
                    format!("support level L{} below L{}", c.spec.support_level, need.support_level),
                    &mut reasons,
                );
            }
            if let Some(region) = &need.onsite_region {
                if c.spec.regions.contains(region) {
                    reasons.push(format!("covers {region}"));
                } else {
                    refuse(format!("does not cover {region}"), &mut reasons);
                }
            }
            if c.load >= c.spec.capacity {
                refuse(format!("at capacity ({}/{})", c.load, c.spec.capacity), &mut reasons);
            } else {
                reasons.push(format!("load {}/{}", c.load, c.spec.capacity));
            }
            let start = start_at(c.spec, now, horizon);
            let delay_mins = match start {
                Some(s) if s <= now => {
                    reasons.push("on shift now".into());
                    0
                }
                Some(s) => {
                    let mins = (s - now).num_minutes();
                    reasons.push(format!("on shift in {mins} min, before the due time"));
                    mins
                }
                None => {
                    refuse("not on shift before the ticket is due".into(), &mut reasons);
                    0
                }
            };
            let home = need.onsite_region.as_ref().is_some_and(|r| *r == c.spec.home_region);
            if home {
                reasons.push("home region: least travel".into());
            }
            if c.history > 0 {
                reasons.push(format!("worked {} tickets of this tenant", c.history));
            }
            // Starting before the breach counts most (in minutes), then load, travel, continuity
            // and depth of skill.
            let load_pct = i64::from(c.load) * 100 / i64::from(c.spec.capacity.max(1));
            let score = -delay_mins * 10 - load_pct * 3
                + if home { 40 } else { 0 }
                + i64::from(c.history.min(5)) * 8
                + i64::from(skill.unwrap_or(0)) * 10;
            Ranked {
                engineer_id: c.engineer_id,
                eligible,
                score: if eligible { score } else { i64::MIN },
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.eligible.cmp(&a.eligible).then(b.score.cmp(&a.score)).then(a.engineer_id.cmp(&b.engineer_id))
    });
    out
}

/// One ticket after the other, each to its best eligible engineer with room left: what
/// instant assignment does, and what a batch must beat.
pub fn greedy(needs: &[Need], candidates: &[Candidate<'_>], now: DateTime<Utc>) -> Vec<Option<usize>> {
    let mut extra = vec![0u32; candidates.len()];
    needs
        .iter()
        .map(|need| {
            let adjusted: Vec<Candidate<'_>> = candidates
                .iter()
                .zip(&extra)
                .map(|(c, more)| Candidate { load: c.load + more, ..*c })
                .collect();
            let best = rank(need, &adjusted, now).into_iter().find(|r| r.eligible)?;
            let index = candidates.iter().position(|c| c.engineer_id == best.engineer_id)?;
            extra[index] += 1;
            Some(index)
        })
        .collect()
}

/// A batch (a morning backlog) assigned together: as many tickets placed as possible, then
/// the best total score, by maximum-weight matching (Kuhn–Munkres) of tickets to engineers'
/// free places. Answers, per ticket, the index of its engineer among `candidates`.
pub fn batch(needs: &[Need], candidates: &[Candidate<'_>], now: DateTime<Utc>) -> Vec<Option<usize>> {
    const PLACED: i64 = 1_000_000_000;
    const NEVER: i64 = -1_000_000_000_000;
    if needs.is_empty() {
        return Vec::new();
    }
    // Each engineer offers as many places as free capacity (no more than the batch needs).
    let mut places: Vec<usize> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let free = c.spec.capacity.saturating_sub(c.load).min(needs.len() as u32);
        places.extend(std::iter::repeat_n(i, free as usize));
    }
    let scores: Vec<Vec<Option<i64>>> = needs
        .iter()
        .map(|need| {
            // Capacity is what the places express: rank as if each engineer had room.
            let roomy: Vec<Candidate<'_>> = candidates
                .iter()
                .map(|c| Candidate { load: c.load.min(c.spec.capacity.saturating_sub(1)), ..*c })
                .collect();
            let ranked = rank(need, &roomy, now);
            candidates
                .iter()
                .map(|c| {
                    ranked.iter().find(|r| r.engineer_id == c.engineer_id && r.eligible).map(|r| r.score)
                })
                .collect()
        })
        .collect();
    // One column per place, then one "left in the queue" column per ticket.
    let columns = places.len() + needs.len();
    let mut weights = Vec::with_capacity(needs.len() * columns);
    for row in &scores {
        for &engineer in &places {
            weights.push(row[engineer].map_or(NEVER, |score| PLACED + score));
        }
        weights.extend(std::iter::repeat_n(0, needs.len()));
    }
    let Ok(matrix) = pathfinding::matrix::Matrix::from_vec(needs.len(), columns, weights) else {
        return vec![None; needs.len()];
    };
    let (_, chosen) = pathfinding::kuhn_munkres::kuhn_munkres(&matrix);
    chosen
        .into_iter()
        .enumerate()
        .map(|(row, col)| places.get(col).copied().filter(|&engineer| scores[row][engineer].is_some()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::engineer::Skill;

    fn engineer(skills: &[(&str, u8)], region: &str, hours: (&str, &str), capacity: u32) -> EngineerSpec {
        let day = format!(r#"[["{}","{}"]]"#, hours.0, hours.1);
        let shifts = format!(
            r#"{{"weekly": {{"mon": {day}, "tue": {day}, "wed": {day}, "thu": {day}, "fri": {day}, "sat": [], "sun": []}}}}"#
        );
        EngineerSpec {
            name: "E".into(),
            email: "e@x.test".into(),
            user_id: Some(Uuid::nil()),
            support_level: 2,
            skills: skills.iter().map(|(k, l)| Skill { key: (*k).into(), level: *l }).collect(),
            home_region: region.into(),
            regions: vec![region.into()],
            timezone: "UTC".into(),
            shifts: serde_json::from_str(&shifts).unwrap(),
            time_off: vec![],
            capacity,
            on_call: false,
            base: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn need(region: Option<&str>, due: &str) -> Need {
        Need {
            category: "network".into(),
            support_level: 1,
            onsite_region: region.map(str::to_owned),
            due_at: Some(at(due)),
        }
    }

    fn candidate(i: u128, spec: &EngineerSpec, load: u32) -> Candidate<'_> {
        Candidate {
            engineer_id: Uuid::from_u128(i),
            user_id: Some(Uuid::from_u128(i)),
            active: true,
            spec,
            load,
            history: 0,
        }
    }

    #[test]
    fn the_skilled_engineer_on_shift_wins_over_the_idle_one_without_the_skill() {
        let skilled = engineer(&[("network", 3)], "berlin", ("08:00", "17:00"), 6);
        let idle = engineer(&[("windows", 3)], "berlin", ("08:00", "17:00"), 6);
        let ranked = rank(
            &need(None, "2026-11-23T11:00:00Z"),
            &[candidate(1, &skilled, 4), candidate(2, &idle, 0)],
            at("2026-11-23T10:00:00Z"),
        );
        assert_eq!(ranked[0].engineer_id, Uuid::from_u128(1));
        assert!(ranked[0].eligible);
        assert!(!ranked[1].eligible);
        assert!(ranked[1].reasons.contains(&"no skill network".to_owned()));
    }

    #[test]
    fn someone_off_shift_until_after_the_breach_is_passed_over() {
        let late = engineer(&[("network", 3)], "berlin", ("14:00", "22:00"), 6);
        let now_on = engineer(&[("network", 1)], "berlin", ("08:00", "17:00"), 6);
        let ranked = rank(
            &need(None, "2026-11-23T11:00:00Z"),
            &[candidate(1, &late, 0), candidate(2, &now_on, 3)],
            at("2026-11-23T10:00:00Z"),
        );
        assert_eq!(ranked[0].engineer_id, Uuid::from_u128(2));
        assert!(!ranked[1].eligible, "{:?}", ranked[1].reasons);
        // With a later due time the later shift qualifies, but starting now still scores higher.
        let ranked = rank(
            &need(None, "2026-11-23T20:00:00Z"),
            &[candidate(1, &late, 0), candidate(2, &now_on, 3)],
            at("2026-11-23T10:00:00Z"),
        );
        assert!(ranked.iter().all(|r| r.eligible));
        assert_eq!(ranked[0].engineer_id, Uuid::from_u128(2));
    }

    #[test]
    fn a_batch_places_what_one_by_one_greedy_cannot() {
        // A can do both kinds of work, B only network; one place each.
        let a = engineer(&[("network", 3), ("hardware", 1)], "berlin", ("08:00", "17:00"), 1);
        let b = engineer(&[("network", 1)], "berlin", ("08:00", "17:00"), 1);
        let candidates = [candidate(1, &a, 0), candidate(2, &b, 0)];
        let network = need(None, "2026-11-23T15:00:00Z");
        let hardware = Need { category: "hardware".into(), ..network.clone() };
        let now = at("2026-11-23T10:00:00Z");
        // Greedy gives the network ticket to the better network engineer, A, and then nobody
        // is left for the hardware ticket.
        let g = greedy(&[network.clone(), hardware.clone()], &candidates, now);
        assert_eq!(g, [Some(0), None]);
        // The batch places both: network to B, hardware to A.
        let m = batch(&[network, hardware], &candidates, now);
        assert_eq!(m, [Some(1), Some(0)]);
    }

    #[test]
    fn a_batch_never_overfills_an_engineer_and_leaves_the_impossible_unplaced() {
        let a = engineer(&[("network", 2)], "berlin", ("08:00", "17:00"), 2);
        let candidates = [candidate(1, &a, 1)];
        let n = need(None, "2026-11-23T15:00:00Z");
        let unknown = Need { category: "sap".into(), ..n.clone() };
        let m = batch(&[n.clone(), n, unknown], &candidates, at("2026-11-23T10:00:00Z"));
        assert_eq!(m.iter().filter(|x| x.is_some()).count(), 1, "one free place: {m:?}");
        assert_eq!(m[2], None);
    }

    #[test]
    fn on_site_work_needs_the_region_and_capacity_is_a_hard_limit() {
        let berlin = engineer(&[("network", 2)], "berlin", ("08:00", "17:00"), 6);
        let hamburg = engineer(&[("network", 2)], "hamburg", ("08:00", "17:00"), 2);
        let n = need(Some("hamburg"), "2026-11-23T15:00:00Z");
        let ranked =
            rank(&n, &[candidate(1, &berlin, 0), candidate(2, &hamburg, 1)], at("2026-11-23T10:00:00Z"));
        assert_eq!(ranked[0].engineer_id, Uuid::from_u128(2));
        let ranked =
            rank(&n, &[candidate(1, &berlin, 0), candidate(2, &hamburg, 2)], at("2026-11-23T10:00:00Z"));
        assert!(ranked.iter().all(|r| !r.eligible), "nobody left: {ranked:?}");
        assert!(ranked.iter().any(|r| r.reasons.contains(&"at capacity (2/2)".to_owned())));
    }
}

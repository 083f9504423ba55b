//! SLA clocks: a target measured in covered time from a start, stopped while the ticket
//! waits on the customer, and recalculated — not restarted — when the target or the
//! calendar changes.

use crate::engine::{BusinessCalendar, SlaError};

/// A stretch during which the clock stands still (e.g. pending customer). `to: None` is a
/// pause still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    pub from: i64,
    pub to: Option<i64>,
}

/// Pauses sorted and merged, so each instant is paused at most once.
fn normalized(pauses: &[Pause]) -> Vec<(i64, Option<i64>)> {
    let mut sorted: Vec<(i64, Option<i64>)> =
        pauses.iter().filter(|p| p.to.is_none_or(|to| to > p.from)).map(|p| (p.from, p.to)).collect();
    sorted.sort_by_key(|p| p.0);
    let mut out: Vec<(i64, Option<i64>)> = Vec::with_capacity(sorted.len());
    for (from, to) in sorted {
        match out.last_mut() {
            Some((_, last_to)) if last_to.is_none_or(|end| from <= end) => {
                *last_to = match (*last_to, to) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push((from, to)),
        }
    }
    out
}

impl BusinessCalendar {
    /// Covered seconds in `[from, to)` outside every pause.
    pub fn covered_excluding(&self, from: i64, to: i64, pauses: &[Pause]) -> Result<i64, SlaError> {
        let mut total = self.covered(from, to)?;
        for (p_from, p_to) in normalized(pauses) {
            let (s, e) = (p_from.max(from), p_to.unwrap_or(i64::MAX).min(to));
            if e > s {
                total -= self.covered(s, e)?;
            }
        }
        Ok(total)
    }

    /// When `seconds` of covered, unpaused time have passed since `start`; `None` while a
    /// pause that is still running stops the clock short of it.
    pub fn due_with_pauses(
        &self,
        start: i64,
        seconds: i64,
        pauses: &[Pause],
    ) -> Result<Option<i64>, SlaError> {
        let mut pos = start;
        let mut remaining = seconds;
        for (p_from, p_to) in normalized(pauses) {
            if p_to.is_some_and(|to| to <= pos) {
                continue;
            }
            let candidate = self.due(pos, remaining)?;
            if candidate <= p_from {
                return Ok(Some(candidate));
            }
            if p_from > pos {
                remaining -= self.covered(pos, p_from)?;
            }
            match p_to {
                Some(to) => pos = pos.max(to),
                None => return Ok(None),
            }
        }
        self.due(pos, remaining).map(Some)
    }
}

/// One SLA metric of one ticket: when it started, its target, and its pauses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaClock {
    pub started_at: i64,
    pub target_secs: i64,
    pub pauses: Vec<Pause>,
    /// Covered time already used before `started_at`, on an earlier calendar (the clock was
    /// rebased when the coverage changed); it counts against the target.
    pub carried_secs: i64,
}

impl SlaClock {
    pub fn new(started_at: i64, target_secs: i64) -> Self {
        Self { started_at, target_secs, pauses: Vec::new(), carried_secs: 0 }
    }

    /// The clock restarted at `at` on another calendar, keeping `used` covered seconds (and
    /// a pause still open, from `at`).
    pub fn rebased(&self, at: i64, used: i64, target_secs: i64) -> Self {
        let waiting = self.is_paused().then_some(Pause { from: at, to: None });
        Self { started_at: at, target_secs, pauses: waiting.into_iter().collect(), carried_secs: used }
    }

    /// Covered time still to go when the clock started (the target less what was carried).
    pub fn remaining_at_start(&self) -> i64 {
        (self.target_secs - self.carried_secs).max(0)
    }

    pub fn pause(&mut self, at: i64) {
        if !self.is_paused() {
            self.pauses.push(Pause { from: at, to: None });
        }
    }

    pub fn resume(&mut self, at: i64) {
        if let Some(open) = self.pauses.iter_mut().find(|p| p.to.is_none()) {
            open.to = Some(at.max(open.from));
        }
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.iter().any(|p| p.to.is_none())
    }

    pub fn due(&self, calendar: &BusinessCalendar) -> Result<Option<i64>, SlaError> {
        calendar.due_with_pauses(self.started_at, self.remaining_at_start(), &self.pauses)
    }

    /// Covered, unpaused time used so far (including time carried from an earlier calendar).
    pub fn elapsed(&self, calendar: &BusinessCalendar, now: i64) -> Result<i64, SlaError> {
        Ok(self.carried_secs + calendar.covered_excluding(self.started_at, now, &self.pauses)?)
    }

    /// A new target (the priority changed): time already used and every pause carry over,
    /// because the due time is measured again from the same start.
    pub fn retarget(&mut self, target_secs: i64) {
        self.target_secs = target_secs;
    }

    /// The due time after the coverage itself changed at `changed_at` (a new tier or
    /// calendar): time used until then counts on the old calendar, the rest runs on the new.
    pub fn due_after_calendar_change(
        &self,
        old: &BusinessCalendar,
        new: &BusinessCalendar,
        changed_at: i64,
    ) -> Result<Option<i64>, SlaError> {
        let used = self.elapsed(old, changed_at)?;
        if used >= self.target_secs {
            // Already past due before the change: the old calendar says when.
            return self.due(old);
        }
        new.due_with_pauses(changed_at.max(self.started_at), self.target_secs - used, &self.pauses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    #[test]
    fn pauses_merge() {
        let p = |from, to| Pause { from, to };
        assert_eq!(
            normalized(&[p(10, Some(20)), p(5, Some(12)), p(30, None), p(40, Some(50))]),
            vec![(5, Some(20)), (30, None)]
        );
        assert_eq!(normalized(&[p(10, Some(10))]), vec![]);
    }

    #[test]
    fn a_pause_moves_the_due_time_by_its_length() {
        let cal = BusinessCalendar::always();
        let mut clock = SlaClock::new(0, 4 * H);
        clock.pause(H);
        assert_eq!(clock.due(&cal), Ok(None), "no due time while waiting on the customer");
        clock.resume(3 * H);
        assert_eq!(clock.due(&cal), Ok(Some(6 * H)));
        assert_eq!(clock.elapsed(&cal, 4 * H), Ok(2 * H));
    }

    #[test]
    fn a_tier_change_counts_time_used_on_the_old_calendar() {
        // 8 h a day (09:00–17:00 UTC, every day) until the tenant moves to 24×7 at 12:00 on day 1.
        let spec: crate::CalendarSpec = serde_json::from_str(
            r#"{"weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
                "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [["09:00","17:00"]], "sun": [["09:00","17:00"]]}}"#,
        )
        .unwrap();
        let office = BusinessCalendar::new("UTC", &spec).unwrap();
        let always = BusinessCalendar::always();
        let day = 86_400;
        // Raised at 10:00 with an 8-hour target: 2 h used by 12:00, 6 h left on 24×7 → 18:00.
        let clock = SlaClock::new(10 * H, 8 * H);
        assert_eq!(clock.due_after_calendar_change(&office, &always, 12 * H), Ok(Some(18 * H)));
        // Had it stayed on office hours, it would be due at 10:00 the next day.
        assert_eq!(clock.due(&office), Ok(Some(day + 10 * H)));
        // A target already used up before the change keeps its old due time.
        let late = SlaClock::new(10 * H, H);
        assert_eq!(late.due_after_calendar_change(&office, &always, 12 * H), Ok(Some(11 * H)));
    }

    #[test]
    fn a_priority_change_keeps_the_pauses() {
        let cal = BusinessCalendar::always();
        let mut clock = SlaClock::new(0, 8 * H);
        clock.pause(H);
        clock.resume(2 * H);
        clock.retarget(4 * H);
        assert_eq!(clock.due(&cal), Ok(Some(5 * H)), "4 h of clock time plus the hour paused");
    }
}

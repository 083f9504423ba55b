//! A ticket's SLA clocks, one per metric, and what each lifecycle step does to them.
//! Every change is also written to the ticket's event log, so each due time can be explained.

use canopy_sla::{BusinessCalendar, Metric, Pause, SlaClock, SlaError, Targets};

/// One metric's clock: target, pauses, and when it is due, stopped (met) or breached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricClock {
    pub metric: Metric,
    pub clock: SlaClock,
    /// `None` while paused.
    pub due_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub breached_at: Option<i64>,
    /// The highest warning fraction already sent, in basis points.
    pub warned_bp: i32,
}

impl MetricClock {
    pub fn running(&self) -> bool {
        self.stopped_at.is_none()
    }

    fn recompute(&mut self, calendar: &BusinessCalendar) -> Result<(), SlaError> {
        if self.running() {
            self.due_at = self.clock.due(calendar)?;
        }
        Ok(())
    }
}

/// The clocks a ticket raised at `at` starts: one per metric with a target (on-site only
/// when someone must go on site).
pub fn start(
    targets: &Targets,
    onsite: bool,
    at: i64,
    calendar: &BusinessCalendar,
) -> Result<Vec<MetricClock>, SlaError> {
    let mut out = Vec::new();
    for metric in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
        if metric == Metric::Onsite && !onsite {
            continue;
        }
        if let Some(mins) = targets.minutes(metric) {
            let mut c = MetricClock {
                metric,
                clock: SlaClock::new(at, mins * 60),
                due_at: None,
                stopped_at: None,
                breached_at: None,
                warned_bp: 0,
            };
            c.recompute(calendar)?;
            out.push(c);
        }
    }
    Ok(out)
}

/// Waiting on the customer: every running clock stands still.
pub fn pause(clocks: &mut [MetricClock], at: i64) {
    for c in clocks.iter_mut().filter(|c| c.running()) {
        c.clock.pause(at);
        c.due_at = None;
    }
}

/// The customer answered: running clocks go on, due later by the time paused.
pub fn resume(clocks: &mut [MetricClock], at: i64, calendar: &BusinessCalendar) -> Result<(), SlaError> {
    for c in clocks.iter_mut().filter(|c| c.running()) {
        c.clock.resume(at);
        c.recompute(calendar)?;
    }
    Ok(())
}

/// The metric was met at `at` (first response given, on site, resolved).
pub fn stop(clocks: &mut [MetricClock], metric: Metric, at: i64) -> bool {
    match clocks.iter_mut().find(|c| c.metric == metric && c.running()) {
        Some(c) => {
            c.clock.resume(at);
            c.stopped_at = Some(at);
            true
        }
        None => false,
    }
}

/// A reopened ticket: resolution runs again; the time it stood resolved does not count.
pub fn reopen(clocks: &mut [MetricClock], at: i64, calendar: &BusinessCalendar) -> Result<(), SlaError> {
    if let Some(c) = clocks.iter_mut().find(|c| c.metric == Metric::Resolution)
        && let Some(stopped) = c.stopped_at.take()
    {
        c.clock.pauses.push(Pause { from: stopped, to: Some(at.max(stopped)) });
        c.recompute(calendar)?;
    }
    Ok(())
}

/// New targets (the priority changed): time used and pauses carry over; a metric that
/// gains a target starts from the ticket's start, one that loses it stops counting.
pub fn retarget(
    clocks: &mut Vec<MetricClock>,
    targets: &Targets,
    onsite: bool,
    raised_at: i64,
    calendar: &BusinessCalendar,
) -> Result<(), SlaError> {
    for metric in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
        let wanted = if metric == Metric::Onsite && !onsite { None } else { targets.minutes(metric) };
        let existing = clocks.iter().position(|c| c.metric == metric);
        match (wanted, existing) {
            (Some(mins), Some(i)) => {
                clocks[i].clock.retarget(mins * 60);
                clocks[i].recompute(calendar)?;
            }
            (Some(mins), None) => {
                let pauses = clocks.first().map(|c| c.clock.pauses.clone()).unwrap_or_default();
                let mut c = MetricClock {
                    metric,
                    clock: SlaClock {
                        started_at: raised_at,
                        target_secs: mins * 60,
                        pauses,
                        carried_secs: 0,
                    },
                    due_at: None,
                    stopped_at: None,
                    breached_at: None,
                    warned_bp: 0,
                };
                c.recompute(calendar)?;
                clocks.push(c);
            }
            (None, Some(i)) => {
                clocks.remove(i);
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// The tenant's contract changed at `at` (a new tier, new targets, other coverage). Clocks
/// still running take the new target for the ticket's priority and keep the covered time
/// already used: on an unchanged calendar by retargeting from the same start; when the
/// coverage changed, time used until `at` counts on the old calendar and the rest runs on the
/// new one from `at` (the clock is rebased there). Met clocks stay as they were.
#[allow(clippy::too_many_arguments)]
pub fn change_policy(
    clocks: &mut Vec<MetricClock>,
    targets: &Targets,
    onsite: bool,
    raised_at: i64,
    old: &BusinessCalendar,
    new: &BusinessCalendar,
    same_calendar: bool,
    at: i64,
) -> Result<(), SlaError> {
    for metric in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
        let wanted = targets.minutes(metric).filter(|_| metric != Metric::Onsite || onsite).map(|m| m * 60);
        let existing = clocks.iter().position(|c| c.metric == metric);
        match (wanted, existing) {
            (Some(target), Some(i)) if clocks[i].running() => {
                let c = &mut clocks[i];
                if same_calendar {
                    c.clock.retarget(target);
                    c.recompute(new)?;
                } else {
                    let used = c.clock.elapsed(old, at)?;
                    let overdue = (used >= target).then(|| c.clock.due(old)).transpose()?.flatten();
                    c.clock = c.clock.rebased(at, used, target);
                    c.recompute(new)?;
                    // Already past due before the change: the old calendar says when it was due.
                    if let Some(due) = overdue.filter(|_| c.due_at.is_some()) {
                        c.due_at = Some(due);
                    }
                }
            }
            (Some(target), None) => {
                let pauses = clocks.first().map(|c| c.clock.pauses.clone()).unwrap_or_default();
                let mut c = MetricClock {
                    metric,
                    clock: SlaClock { started_at: raised_at, target_secs: target, pauses, carried_secs: 0 },
                    due_at: None,
                    stopped_at: None,
                    breached_at: None,
                    warned_bp: 0,
                };
                c.recompute(new)?;
                clocks.push(c);
            }
            (None, Some(i)) if clocks[i].running() => {
                clocks.remove(i);
            }
            _ => {}
        }
    }
    clocks.sort_by_key(|c| c.metric);
    Ok(())
}

#[cfg(test)]
mod policy_change_tests {
    use super::*;

    const H: i64 = 3600;

    fn office() -> BusinessCalendar {
        // Every day 09:00–17:00 UTC.
        let spec: canopy_sla::CalendarSpec = serde_json::from_str(
            r#"{"weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
                "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [["09:00","17:00"]], "sun": [["09:00","17:00"]]}}"#,
        )
        .unwrap();
        BusinessCalendar::new("UTC", &spec).unwrap()
    }

    fn targets(resolution_mins: i64) -> Targets {
        serde_json::from_value(
            serde_json::json!({"first_response_mins": 60, "resolution_mins": resolution_mins}),
        )
        .unwrap()
    }

    #[test]
    fn on_the_same_calendar_a_new_target_counts_from_the_same_start() {
        let always = BusinessCalendar::always();
        let mut clocks = start(&targets(480), false, 0, &always).unwrap();
        assert!(stop(&mut clocks, Metric::FirstResponse, H / 2));
        change_policy(&mut clocks, &targets(240), false, 0, &always, &always, true, 2 * H).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!(res.due_at, Some(4 * H));
        let fr = clocks.iter().find(|c| c.metric == Metric::FirstResponse).unwrap();
        assert_eq!(fr.stopped_at, Some(H / 2), "a met target stays met");
    }

    #[test]
    fn other_coverage_counts_time_used_on_the_old_calendar_and_the_rest_on_the_new() {
        let always = BusinessCalendar::always();
        // Raised at 07:00 on 24×7; at 09:00, two hours used, the tenant moves to office hours.
        let mut clocks = start(&targets(480), false, 7 * H, &always).unwrap();
        change_policy(&mut clocks, &targets(480), false, 7 * H, &always, &office(), false, 9 * H).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!(res.due_at, Some(15 * H), "six hours left, from 09:00 on the office calendar");
        // First response: one hour target, two used: it was due at 08:00 and stays so.
        let fr = clocks.iter().find(|c| c.metric == Metric::FirstResponse).unwrap();
        assert_eq!(fr.due_at, Some(8 * H));
    }

    #[test]
    fn time_carried_from_the_old_calendar_still_counts_after_a_later_priority_change() {
        let always = BusinessCalendar::always();
        let mut clocks = start(&targets(480), false, 7 * H, &always).unwrap();
        change_policy(&mut clocks, &targets(480), false, 7 * H, &always, &office(), false, 9 * H).unwrap();
        // Then a priority change to a four-hour target: two hours were used already.
        retarget(&mut clocks, &targets(240), false, 7 * H, &office()).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!(res.due_at, Some(11 * H));
        assert_eq!(res.clock.elapsed(&office(), 10 * H), Ok(3 * H));
    }

    #[test]
    fn a_clock_already_overdue_keeps_its_due_time_on_the_old_calendar() {
        let always = BusinessCalendar::always();
        let mut clocks = start(&targets(480), false, 0, &always).unwrap();
        change_policy(&mut clocks, &targets(480), false, 0, &always, &office(), false, 10 * H).unwrap();
        let fr = clocks.iter().find(|c| c.metric == Metric::FirstResponse).unwrap();
        assert_eq!(fr.due_at, Some(H), "due an hour after it was raised, as before");
    }

    #[test]
    fn a_clock_waiting_on_the_customer_keeps_waiting() {
        let always = BusinessCalendar::always();
        let mut clocks = start(&targets(480), false, 0, &always).unwrap();
        pause(&mut clocks, H);
        change_policy(&mut clocks, &targets(480), false, 0, &always, &office(), false, 2 * H).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert!(res.due_at.is_none() && res.clock.is_paused(), "{res:?}");
        resume(&mut clocks, 10 * H, &office()).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        // One hour used before the pause; seven left from 10:00 on the office calendar.
        assert_eq!(res.due_at, Some(17 * H));
    }
}

/// What the breach watch finds on a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// `bp` of the target is used.
    Warning {
        metric: Metric,
        bp: i32,
        due_at: i64,
    },
    Breach {
        metric: Metric,
        due_at: i64,
    },
}

/// When a running clock reaches `bp` of its target (`None` while paused).
fn warning_at(c: &MetricClock, bp: i32, calendar: &BusinessCalendar) -> Result<Option<i64>, SlaError> {
    calendar.due_with_pauses(
        c.clock.started_at,
        (c.clock.target_secs * i64::from(bp) / 10_000 - c.clock.carried_secs).max(0),
        &c.clock.pauses,
    )
}

/// Warnings and breaches due by `now`, marked on the clocks so each is found once.
pub fn evaluate(
    clocks: &mut [MetricClock],
    calendar: &BusinessCalendar,
    warnings: &[u32],
    now: i64,
) -> Result<Vec<Finding>, SlaError> {
    let mut found = Vec::new();
    for c in clocks.iter_mut().filter(|c| c.running() && c.breached_at.is_none()) {
        let Some(due) = c.due_at else { continue };
        let pending: Vec<i32> = warnings.iter().map(|b| *b as i32).filter(|b| *b > c.warned_bp).collect();
        for bp in pending {
            if warning_at(c, bp, calendar)?.is_some_and(|w| w <= now) && due > now {
                c.warned_bp = bp;
                found.push(Finding::Warning { metric: c.metric, bp, due_at: due });
            }
        }
        if due <= now {
            c.breached_at = Some(due);
            c.warned_bp = 10_000;
            found.push(Finding::Breach { metric: c.metric, due_at: due });
        }
    }
    Ok(found)
}

/// The next instant the breach watch must look at this ticket: the earliest pending warning
/// or due time of a running clock.
pub fn next_deadline(
    clocks: &[MetricClock],
    calendar: &BusinessCalendar,
    warnings: &[u32],
) -> Result<Option<i64>, SlaError> {
    let mut next: Option<i64> = None;
    for c in clocks.iter().filter(|c| c.running() && c.breached_at.is_none()) {
        let Some(due) = c.due_at else { continue };
        let mut candidate = due;
        if let Some(bp) = warnings.iter().map(|b| *b as i32).find(|b| *b > c.warned_bp)
            && let Some(w) = warning_at(c, bp, calendar)?
        {
            candidate = candidate.min(w);
        }
        next = Some(next.map_or(candidate, |n| n.min(candidate)));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn targets() -> Targets {
        Targets {
            first_response_mins: Some(60),
            update_mins: None,
            resolution_mins: Some(8 * 60),
            onsite_mins: Some(4 * 60),
        }
    }

    #[test]
    fn waiting_on_the_customer_moves_every_running_clock() {
        let cal = BusinessCalendar::always();
        let mut clocks = start(&targets(), true, 0, &cal).unwrap();
        assert_eq!(clocks.len(), 3);
        assert!(stop(&mut clocks, Metric::FirstResponse, H / 2));
        pause(&mut clocks, H);
        assert_eq!(next_deadline(&clocks, &cal, &[]), Ok(None), "all paused");
        resume(&mut clocks, 4 * H, &cal).unwrap();
        let due = |m| clocks.iter().find(|c| c.metric == m).and_then(|c| c.due_at);
        assert_eq!(due(Metric::Resolution), Some(11 * H));
        assert_eq!(due(Metric::Onsite), Some(7 * H));
        assert_eq!(due(Metric::FirstResponse), Some(H), "a met clock keeps its due time");
        assert_eq!(next_deadline(&clocks, &cal, &[]), Ok(Some(7 * H)));
    }

    #[test]
    fn warnings_then_the_breach_each_found_once() {
        let cal = BusinessCalendar::always();
        let t = Targets {
            first_response_mins: None,
            update_mins: None,
            resolution_mins: Some(100),
            onsite_mins: None,
        };
        let mut clocks = start(&t, false, 0, &cal).unwrap();
        let warn = [7500, 9000];
        assert_eq!(next_deadline(&clocks, &cal, &warn), Ok(Some(75 * 60)));
        assert_eq!(
            evaluate(&mut clocks, &cal, &warn, 80 * 60).unwrap(),
            vec![Finding::Warning { metric: Metric::Resolution, bp: 7500, due_at: 6000 }]
        );
        assert_eq!(next_deadline(&clocks, &cal, &warn), Ok(Some(90 * 60)));
        assert!(evaluate(&mut clocks, &cal, &warn, 80 * 60).unwrap().is_empty(), "found once");
        let late = evaluate(&mut clocks, &cal, &warn, 101 * 60).unwrap();
        assert_eq!(
            late,
            vec![Finding::Breach { metric: Metric::Resolution, due_at: 6000 }],
            "a late look skips the warnings it no longer needs"
        );
        assert_eq!(next_deadline(&clocks, &cal, &warn), Ok(None));
    }

    #[test]
    fn a_reopened_ticket_does_not_count_the_time_it_stood_resolved() {
        let cal = BusinessCalendar::always();
        let mut clocks = start(&targets(), false, 0, &cal).unwrap();
        stop(&mut clocks, Metric::Resolution, 2 * H);
        reopen(&mut clocks, 5 * H, &cal).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!(res.due_at, Some(11 * H));
    }

    #[test]
    fn a_priority_change_keeps_time_used_and_pauses() {
        let cal = BusinessCalendar::always();
        let mut clocks = start(&targets(), false, 0, &cal).unwrap();
        pause(&mut clocks, H);
        resume(&mut clocks, 2 * H, &cal).unwrap();
        let stricter = Targets { resolution_mins: Some(4 * 60), ..targets() };
        retarget(&mut clocks, &stricter, false, 0, &cal).unwrap();
        let res = clocks.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!(res.due_at, Some(5 * H), "4 h of clock time plus the hour paused");
    }
}

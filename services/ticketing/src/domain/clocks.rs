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
                    clock: SlaClock { started_at: raised_at, target_secs: mins * 60, pauses },
                    due_at: None,
                    stopped_at: None,
                    breached_at: None,
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

/// The earliest due time of a running, not yet breached clock: the ticket's next deadline.
pub fn next_deadline(clocks: &[MetricClock]) -> Option<i64> {
    clocks.iter().filter(|c| c.running() && c.breached_at.is_none()).filter_map(|c| c.due_at).min()
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
        assert_eq!(next_deadline(&clocks), None, "all paused");
        resume(&mut clocks, 4 * H, &cal).unwrap();
        let due = |m| clocks.iter().find(|c| c.metric == m).and_then(|c| c.due_at);
        assert_eq!(due(Metric::Resolution), Some(11 * H));
        assert_eq!(due(Metric::Onsite), Some(7 * H));
        assert_eq!(due(Metric::FirstResponse), Some(H), "a met clock keeps its due time");
        assert_eq!(next_deadline(&clocks), Some(7 * H));
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

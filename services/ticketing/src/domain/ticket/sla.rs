//! What time does to a ticket's SLA: the breach watch's warnings and breaches (a breach
//! escalating the ticket), and a contract change recalculating its clocks.

use chrono::DateTime;
use serde_json::json;

use super::{BreachRecord, Moment, Outcome, Ticket, TicketError, TicketEvent};
use crate::domain::clocks::{self, Finding};
use crate::domain::lifecycle::MAX_LEVEL;
use crate::domain::snapshot::PolicySnapshot;

impl Ticket {
    /// The breach watch's look at the ticket: warnings at the configured fractions of a
    /// target, and at the due time the breach, recorded once, escalating the ticket a level.
    /// An empty log: nothing was due.
    pub fn watch(&mut self, now: Moment) -> Result<Outcome, TicketError> {
        let ((), out) = self.apply(|t, out| {
            let calendar = t.calendar();
            let findings = clocks::evaluate(&mut t.clocks, &calendar, now.warning_bp, now.at.timestamp())
                .map_err(|_| TicketError::Calendar)?;
            let at = |s: i64| DateTime::from_timestamp(s, 0);
            let mut breached: Vec<&str> = Vec::new();
            for f in findings {
                match f {
                    Finding::Warning { metric, bp, due_at } => {
                        out.log(
                            "sla_warning",
                            json!({"metric": metric, "fraction_bp": bp, "due_at": at(due_at)}),
                        );
                        out.announce(TicketEvent::SlaWarning { metric, fraction_bp: bp, due_at: at(due_at) });
                    }
                    Finding::Breach { metric, due_at } => {
                        out.log("sla_breached", json!({"metric": metric, "due_at": at(due_at)}));
                        out.announce(TicketEvent::SlaBreached {
                            metric,
                            due_at: at(due_at),
                            imported: false,
                        });
                        out.breaches.push(BreachRecord { metric, due_at, met_at: None });
                        breached.push(metric.into());
                    }
                }
            }
            if !breached.is_empty() && t.support_level < MAX_LEVEL {
                let to = t.support_level + 1;
                let reason = format!("SLA breached: {}", breached.join(", "));
                out.log("escalated", json!({"from": t.support_level, "to": to, "reason": reason}));
                t.support_level = to;
            }
            t.refresh_deadline(now.warning_bp)
        })?;
        Ok(out)
    }

    /// The tenant's contract changed: an open ticket judged by other terms takes the new
    /// policy, its running clocks keeping the covered time already used
    /// (`clocks::change_policy`). `None` when there is nothing to do: no policy on the
    /// ticket, the ticket ended, the same terms, or an announcement older than its own.
    pub fn change_policy(
        &mut self,
        new: &PolicySnapshot,
        now: Moment,
    ) -> Result<Option<Outcome>, TicketError> {
        let Some(old) = &self.policy else { return Ok(None) };
        // Announcements can arrive late or twice: one older than the ticket's terms is stale.
        let newer =
            new.as_of.is_some_and(|at| at >= old.as_of.unwrap_or(self.created_at).max(self.created_at));
        if old.same_terms(new) || !self.status.is_open() || !newer {
            return Ok(None);
        }
        let old = old.clone();
        let ((), out) = self.apply(|t, out| {
            let same_calendar = old.coverage == new.coverage
                && old.business_calendar == new.business_calendar
                && old.timezone == new.timezone;
            clocks::change_policy(
                &mut t.clocks,
                &new.targets(t.priority),
                t.onsite_required,
                t.created_at.timestamp(),
                &old.calendar(),
                &new.calendar(),
                same_calendar,
                now.at.timestamp(),
            )
            .map_err(|_| TicketError::Calendar)?;
            out.log(
                "sla_policy_changed",
                json!({"from": {"tier": old.tier_name, "coverage": old.coverage, "contract_id": old.contract_id},
                       "to": {"tier": new.tier_name, "coverage": new.coverage, "contract_id": new.contract_id}}),
            );
            for c in &t.clocks {
                out.log(
                    "clock_retargeted",
                    json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60,
                           "carried_mins": c.clock.carried_secs / 60,
                           "due_at": c.due_at.and_then(|s| DateTime::from_timestamp(s, 0))}),
                );
            }
            t.policy = Some(new.clone());
            t.refresh_deadline(now.warning_bp)?;
            out.announce(TicketEvent::updated(&["sla"]));
            Ok(())
        })?;
        Ok(Some(out))
    }
}

//! Covered time on a business calendar: due times, covered seconds between instants, next
//! open instant. Instants are Unix seconds (UTC); the calendar's wall times become instants by
//! the "compatible" rule (a time in a DST gap moves forward by the gap; a repeated time is its
//! first occurrence).
//!
//! Work grows with the calendar days crossed, and whole weeks free of holidays, make-up days
//! and DST changes are stepped over at once, so a 30-day target on an 8×5 calendar takes a
//! handful of steps.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::calendar::{CalendarSpec, SpecError};
use crate::civil::{civil_from_days, day_number, weekday};

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
/// How far a computation may walk before it gives up (ten years of days).
const MAX_DAYS: i64 = 3_660;
/// At most 8 intervals a day are allowed; one more slot for safety.
const DAY_BUF: usize = 9;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlaError {
    /// The calendar is not open for that long within ten years (e.g. holidays everywhere).
    OutOfRange,
}

impl std::fmt::Display for SlaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the calendar does not open enough within ten years")
    }
}

impl std::error::Error for SlaError {}

#[derive(Clone, Debug)]
struct Weekly {
    /// Per weekday (Monday first): open spans in seconds from local midnight; an end past
    /// 86 400 runs into the next day.
    week: [Vec<(i64, i64)>; 7],
    /// Day numbers, sorted.
    holidays: Vec<i64>,
    extra_days: Vec<i64>,
    /// Open seconds in a plain week (no exceptions, no DST change).
    week_total: i64,
    /// A weekday whose previous day does not run past midnight: blocks of whole weeks are
    /// stepped over from there. None when every day runs overnight.
    week_start: Option<usize>,
}

/// A tenant's coverage: always (24×7), or the opening hours of a business calendar.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: TimeZone,
    hours: Option<Weekly>,
}

impl BusinessCalendar {
    /// Round the clock: every second counts.
    pub fn always() -> Self {
        Self { tz: TimeZone::UTC, hours: None }
    }

    /// Opening hours in `timezone` (an IANA name).
    pub fn new(timezone: &str, spec: &CalendarSpec) -> Result<Self, Vec<SpecError>> {
        let tz = TimeZone::get(timezone).map_err(|_| {
            vec![SpecError {
                path: "timezone".into(),
                message: format!("`{timezone}` is not an IANA time zone"),
            }]
        })?;
        let minutes = spec.validate()?;
        let week: [Vec<(i64, i64)>; 7] = minutes
            .map(|day| day.into_iter().map(|s| (i64::from(s.start) * 60, i64::from(s.end) * 60)).collect());
        let mut holidays: Vec<i64> = spec.holidays.iter().map(|d| day_number(*d)).collect();
        let mut extra_days: Vec<i64> = spec.extra_working_days.iter().map(|d| day_number(*d)).collect();
        holidays.sort_unstable();
        extra_days.sort_unstable();
        let week_total = week.iter().flatten().map(|(s, e)| e - s).sum();
        let week_start = (0..7).find(|w| week[(w + 6) % 7].iter().all(|(_, e)| *e <= DAY));
        Ok(Self { tz, hours: Some(Weekly { week, holidays, extra_days, week_total, week_start }) })
    }

    pub fn is_always(&self) -> bool {
        self.hours.is_none()
    }

    /// The instant at which `seconds` of covered time have passed since `start`.
    pub fn due(&self, start: i64, seconds: i64) -> Result<i64, SlaError> {
        if seconds <= 0 {
            return Ok(start);
        }
        let Some(w) = &self.hours else { return Ok(start + seconds) };
        let mut walk = Walk::new(&self.tz, w, start)?;
        let mut remaining = seconds;
        loop {
            if let Some(weeks) = walk.skippable_weeks((remaining - 1) / w.week_total.max(1), i64::MAX)? {
                remaining -= weeks * w.week_total;
                walk.advance_weeks(weeks)?;
                continue;
            }
            for (s, e) in walk.day_intervals()? {
                let s = s.max(walk.pos);
                if e <= s {
                    continue;
                }
                if remaining <= e - s {
                    return Ok(s + remaining);
                }
                remaining -= e - s;
                walk.pos = e;
            }
            walk.next_day()?;
        }
    }

    /// Covered seconds in `[from, to)`.
    pub fn covered(&self, from: i64, to: i64) -> Result<i64, SlaError> {
        if to <= from {
            return Ok(0);
        }
        let Some(w) = &self.hours else { return Ok(to - from) };
        let mut walk = Walk::new(&self.tz, w, from)?;
        let mut total = 0;
        loop {
            if walk.midnight()? >= to {
                return Ok(total);
            }
            if let Some(weeks) = walk.skippable_weeks(i64::MAX, to)? {
                total += weeks * w.week_total;
                walk.advance_weeks(weeks)?;
                continue;
            }
            for (s, e) in walk.day_intervals()? {
                let (s, e) = (s.max(walk.pos), e.min(to));
                if e > s {
                    total += e - s;
                    walk.pos = e;
                }
            }
            walk.next_day()?;
        }
    }

    /// The covered intervals inside `[from, to)`, in order, touching ones joined (the whole span
    /// when always open).
    pub fn open_intervals(&self, from: i64, to: i64) -> Result<Vec<(i64, i64)>, SlaError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let Some(w) = &self.hours else { return Ok(vec![(from, to)]) };
        let mut walk = Walk::new(&self.tz, w, from)?;
        let mut out: Vec<(i64, i64)> = Vec::new();
        while walk.midnight()? < to {
            for (s, e) in walk.day_intervals()? {
                let (s, e) = (s.max(from), e.min(to));
                if e <= s {
                    continue;
                }
                match out.last_mut() {
                    Some(last) if last.1 >= s => last.1 = last.1.max(e),
                    _ => out.push((s, e)),
                }
            }
            walk.next_day()?;
        }
        Ok(out)
    }

    /// The first covered instant at or after `t`.
    pub fn next_open(&self, t: i64) -> Result<i64, SlaError> {
        let Some(w) = &self.hours else { return Ok(t) };
        let mut walk = Walk::new(&self.tz, w, t)?;
        loop {
            if let Some((s, _)) = walk.day_intervals()?.into_iter().find(|(_, e)| *e > t) {
                return Ok(s.max(t));
            }
            walk.next_day()?;
        }
    }

    /// Is `t` inside opening hours?
    pub fn is_open(&self, t: i64) -> Result<bool, SlaError> {
        Ok(self.next_open(t)? == t)
    }
}

/// A walk over the calendar day by day, from the local day before `start` (whose overnight
/// hours may still be running), converting wall times to instants.
struct Walk<'a> {
    hours: &'a Weekly,
    conv: Converter<'a>,
    day: i64,
    last_day: i64,
    /// Covered time before this instant is accounted for.
    pos: i64,
}

impl<'a> Walk<'a> {
    fn new(tz: &'a TimeZone, hours: &'a Weekly, start: i64) -> Result<Self, SlaError> {
        let conv = Converter::new(tz);
        let local = start + conv.offset_at(start)?;
        let day = local.div_euclid(DAY) - 1;
        Ok(Self { hours, conv, day, last_day: day + MAX_DAYS, pos: start })
    }

    fn spans(&self, day: i64) -> &'a [(i64, i64)] {
        let h = self.hours;
        if h.extra_days.binary_search(&day).is_ok() {
            &h.week[0]
        } else if h.holidays.binary_search(&day).is_ok() {
            &[]
        } else {
            &h.week[weekday(day)]
        }
    }

    fn midnight(&mut self) -> Result<i64, SlaError> {
        self.conv.instant(self.day * DAY)
    }

    /// Today's open intervals as instants, sorted (a DST gap can reorder them).
    fn day_intervals(&mut self) -> Result<Vec<(i64, i64)>, SlaError> {
        let base = self.day * DAY;
        let mut out = Vec::with_capacity(DAY_BUF);
        for (s, e) in self.spans(self.day) {
            let (s, e) = (self.conv.instant(base + s)?, self.conv.instant(base + e)?);
            if e > s {
                out.push((s, e));
            }
        }
        if out.windows(2).any(|p| p[1].0 < p[0].0) {
            out.sort_unstable();
        }
        Ok(out)
    }

    fn next_day(&mut self) -> Result<(), SlaError> {
        self.day += 1;
        if self.day > self.last_day { Err(SlaError::OutOfRange) } else { Ok(()) }
    }

    /// Whole weeks that can be stepped over from here: at most `by_amount`, ending by
    /// instant `until`, with no holiday, make-up day or DST change inside, and only when
    /// nothing of today has been counted yet.
    fn skippable_weeks(&mut self, by_amount: i64, until: i64) -> Result<Option<i64>, SlaError> {
        let h = self.hours;
        if h.week_start != Some(weekday(self.day)) || by_amount < 1 || h.week_total == 0 {
            return Ok(None);
        }
        let midnight = self.midnight()?;
        if self.pos > midnight {
            return Ok(None);
        }
        let mut weeks = by_amount;
        for dates in [&h.holidays, &h.extra_days] {
            let next = dates.partition_point(|d| *d < self.day);
            if let Some(d) = dates.get(next) {
                weeks = weeks.min((d - self.day) / 7);
            }
        }
        if let Some(change) = self.conv.next_transition(midnight)? {
            // The day of the change (and the night before it) are walked, not stepped over.
            let change_day = (change + self.conv.offset_at(change)?).div_euclid(DAY);
            weeks = weeks.min((change_day - 1 - self.day) / 7);
        }
        if until != i64::MAX {
            weeks = weeks.min((until - midnight) / WEEK - 1);
        }
        Ok((weeks >= 1).then_some(weeks))
    }

    fn advance_weeks(&mut self, weeks: i64) -> Result<(), SlaError> {
        self.day += 7 * weeks;
        if self.day > self.last_day {
            return Err(SlaError::OutOfRange);
        }
        self.pos = self.pos.max(self.midnight()?);
        Ok(())
    }
}

/// Wall time to instant, with the offset of the current stretch between two DST changes
/// kept at hand so that most conversions are a subtraction.
struct Converter<'a> {
    tz: &'a TimeZone,
    offset: i64,
    /// Wall times in `[lo, hi)` are unambiguous under `offset`.
    lo: i64,
    hi: i64,
}

fn timestamp(t: i64) -> Result<Timestamp, SlaError> {
    Timestamp::from_second(t).map_err(|_| SlaError::OutOfRange)
}

impl<'a> Converter<'a> {
    fn new(tz: &'a TimeZone) -> Self {
        Self { tz, offset: 0, lo: 1, hi: 0 }
    }

    fn offset_at(&self, t: i64) -> Result<i64, SlaError> {
        Ok(i64::from(self.tz.to_offset(timestamp(t)?).seconds()))
    }

    fn next_transition(&self, t: i64) -> Result<Option<i64>, SlaError> {
        Ok(self.tz.following(timestamp(t)?).next().map(|tr| tr.timestamp().as_second()))
    }

    fn instant(&mut self, wall: i64) -> Result<i64, SlaError> {
        if self.lo <= wall && wall < self.hi {
            return Ok(wall - self.offset);
        }
        let (y, m, d) = civil_from_days(wall.div_euclid(DAY));
        let sod = wall.rem_euclid(DAY);
        let dt = jiff::civil::DateTime::new(
            i16::try_from(y).map_err(|_| SlaError::OutOfRange)?,
            m as i8,
            d as i8,
            (sod / 3600) as i8,
            (sod / 60 % 60) as i8,
            (sod % 60) as i8,
            0,
        )
        .map_err(|_| SlaError::OutOfRange)?;
        let instant =
            self.tz.to_ambiguous_timestamp(dt).compatible().map_err(|_| SlaError::OutOfRange)?.as_second();
        self.learn(instant)?;
        Ok(instant)
    }

    /// Remembers the stretch around `t` in which wall times map one to one.
    fn learn(&mut self, t: i64) -> Result<(), SlaError> {
        let offset = self.offset_at(t)?;
        let hi = match self.tz.following(timestamp(t)?).next() {
            Some(tr) => tr.timestamp().as_second() + offset.min(i64::from(tr.offset().seconds())),
            None => i64::MAX,
        };
        let lo = match self.tz.preceding(timestamp(t + 1)?).next() {
            Some(tr) => {
                let at = tr.timestamp().as_second();
                at + offset.max(self.offset_at(at - 1)?)
            }
            None => i64::MIN,
        };
        *self = Self { tz: self.tz, offset, lo, hi };
        Ok(())
    }
}

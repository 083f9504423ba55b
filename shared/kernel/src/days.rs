//! A tenant's days. Every date that means "a day of the tenant" — a contract's first and last
//! day, a dated change of terms, the policy in force, a billing period and its days, a report's
//! month — is the calendar day in the tenant's time zone. An instant becomes such a date only
//! through [`Zone::day_of`], never by taking its UTC date; a date becomes instants only through
//! [`Zone::midnight`].

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use crate::backends::Cache;
use crate::backends::generation;
use crate::client::ServiceClient;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// An IANA time zone whose days are someone's days (a tenant's, a schedule's).
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl Zone {
    /// The zone named `name`; an error naming it when the time-zone database does not know it.
    pub fn named(name: &str) -> anyhow::Result<Self> {
        let zone = jiff::tz::TimeZone::get(name)
            .map_err(|e| anyhow::anyhow!("`{name}` is not an IANA time zone: {e}"))?;
        Ok(Self { name: name.to_owned(), zone })
    }

    pub fn utc() -> Self {
        Self { name: "UTC".to_owned(), zone: jiff::tz::TimeZone::UTC }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar day in this zone at `instant`.
    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        let civil = jiff::Timestamp::new(instant.timestamp(), 0)
            .ok()
            .map(|ts| self.zone.to_datetime(ts).date())
            .and_then(|d| NaiveDate::from_ymd_opt(i32::from(d.year()), d.month() as u32, d.day() as u32));
        // Only instants beyond the years ±9999, which no tenant lives in, fall back to UTC.
        civil.unwrap_or_else(|| instant.date_naive())
    }

    /// The first instant of `day` in this zone: its local midnight, or, where a time-zone
    /// change skips midnight, the first wall time after the gap ("compatible" rule).
    pub fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        let instant = i16::try_from(day.year())
            .ok()
            .and_then(|y| jiff::civil::Date::new(y, day.month() as i8, day.day() as i8).ok())
            .and_then(|d| self.zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok())
            .and_then(|ts| DateTime::from_timestamp(ts.as_second(), 0));
        // As in `day_of`: only days beyond the years ±9999 fall back to UTC midnight.
        instant.unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    /// The instants `[first, next)` of the days from `first` up to (not including) `next`.
    pub fn span(&self, first: NaiveDate, next: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.midnight(first), self.midnight(next))
    }
}

/// How long a tenant's zone is kept; a change of its configuration moves the tenant's
/// generation, so a new zone is seen at once.
const ZONE_TTL: Duration = Duration::from_secs(3600);

#[derive(serde::Deserialize)]
struct TenantStatus {
    timezone: String,
}

/// The tenant's time zone, from the tenants service (`/internal/v1/tenants/{id}/status`,
/// which any credential of the tenant, provider staff and services may read), asked with
/// `token` and cached under the tenant's generation.
pub async fn tenant_zone(
    tenants: &ServiceClient,
    cache: &dyn Cache,
    token: &str,
    tenant: Uuid,
) -> ApiResult<Zone> {
    let key = generation::current(cache, tenant).await.map(|g| format!("tenant-zone:{tenant}:{g}"));
    if let Some(key) = &key
        && let Ok(Some(name)) = cache.get(key).await
        && let Ok(zone) = Zone::named(&String::from_utf8_lossy(&name))
    {
        return Ok(zone);
    }
    let path = format!("/internal/v1/tenants/{tenant}/status");
    let res = tenants
        .send(|base| tenants.http().get(format!("{base}{path}")).bearer_auth(token))
        .await
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "tenants service unavailable");
            ApiError::new(ErrorCode::UpstreamUnavailable, "The tenants service cannot be reached")
        })?;
    let status: TenantStatus = match res.status().as_u16() {
        200 => res.json().await.map_err(ApiError::internal)?,
        404 => return Err(ApiError::not_found("tenant")),
        401 | 403 => return Err(ApiError::forbidden("Your credential may not read this tenant")),
        s => {
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("The tenants service answered {s}"),
            ));
        }
    };
    // The tenants service checks every zone it stores; one it no longer knows is our fault.
    let zone = Zone::named(&status.timezone).map_err(ApiError::internal)?;
    if let Some(key) = &key
        && let Err(err) = cache.set(key, zone.name().as_bytes(), ZONE_TTL).await
    {
        tracing::warn!(error = %format!("{err:#}"), "tenant zone not cached");
    }
    Ok(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_instant_is_the_tenants_day_not_the_utc_date() {
        let shanghai = Zone::named("Asia/Shanghai").unwrap();
        // 02:18 on 1 October in Shanghai is still 30 September in UTC.
        let t = at("2026-09-30T18:18:00Z");
        assert_eq!(t.date_naive(), day("2026-09-30"));
        assert_eq!(shanghai.day_of(t), day("2026-10-01"));
        let la = Zone::named("America/Los_Angeles").unwrap();
        // 20:00 on 31 October in Los Angeles (PDT) is 1 November in UTC.
        assert_eq!(la.day_of(at("2026-11-01T03:00:00Z")), day("2026-10-31"));
        assert_eq!(Zone::utc().day_of(at("2026-11-01T03:00:00Z")), day("2026-11-01"));
    }

    #[test]
    fn a_day_begins_at_the_tenants_midnight() {
        let shanghai = Zone::named("Asia/Shanghai").unwrap();
        assert_eq!(shanghai.midnight(day("2026-10-01")), at("2026-09-30T16:00:00Z"));
        let la = Zone::named("America/Los_Angeles").unwrap();
        // PDT before the change on 1 November, PST after.
        assert_eq!(la.midnight(day("2026-11-01")), at("2026-11-01T07:00:00Z"));
        assert_eq!(la.midnight(day("2026-11-02")), at("2026-11-02T08:00:00Z"));
        assert_eq!(
            la.span(day("2026-10-01"), day("2026-11-01")),
            (at("2026-10-01T07:00:00Z"), at("2026-11-01T07:00:00Z"))
        );
        // Every instant of a day is that day; the instant before its midnight the day before.
        for zone in ["Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"] {
            let z = Zone::named(zone).unwrap();
            let d = day("2026-03-08");
            let m = z.midnight(d);
            assert_eq!(z.day_of(m), d, "{zone}");
            assert_eq!(z.day_of(m - chrono::TimeDelta::seconds(1)), day("2026-03-07"), "{zone}");
        }
    }

    #[test]
    fn a_midnight_skipped_by_a_zone_change_is_the_first_instant_after() {
        // Santiago moved its clocks from 00:00 to 01:00 on 6 September 2026: the day begins
        // at 01:00 local (-03), 04:00 UTC.
        let santiago = Zone::named("America/Santiago").unwrap();
        let m = santiago.midnight(day("2026-09-06"));
        assert_eq!(m, at("2026-09-06T04:00:00Z"));
        assert_eq!(santiago.day_of(m), day("2026-09-06"));
        assert_eq!(santiago.day_of(m - chrono::TimeDelta::seconds(1)), day("2026-09-05"));
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(Zone::named("Mars/Olympus").is_err());
        assert_eq!(Zone::named("Europe/Berlin").unwrap().name(), "Europe/Berlin");
    }
}

//! How values read on a page: times in the tenant's zone, spans of time in words.

use chrono::{DateTime, Utc};

use crate::i18n::{Arg, Lang};

/// `2026-10-05 14:30` in `zone` (an IANA name; UTC when it is none we know).
pub fn local_time(at: &DateTime<Utc>, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(at.timestamp()) else {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    };
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The day of `at` in `zone`, `2026-10-05`.
pub fn local_day(at: &DateTime<Utc>, zone: &str) -> String {
    local_time(at, zone).chars().take(10).collect()
}

/// How long from `now` until `at` in words: `in 2 h 5 min`, `3 min overdue`.
pub fn until(lang: Lang, now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let span = span(lang, secs.unsigned_abs());
    if secs >= 0 {
        lang.t_with("due-in", &[("span", Arg::Text(span))])
    } else {
        lang.t_with("overdue-by", &[("span", Arg::Text(span))])
    }
}

/// `2 d 3 h`, `4 h 5 min`, `12 min`, `40 s`: the two largest units.
pub fn span(lang: Lang, secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let unit = |n: u64, key: &str| lang.t_with(key, &[("n", Arg::Number(n as i64))]);
    if d > 0 {
        format!("{} {}", unit(d, "unit-days"), unit(h, "unit-hours"))
    } else if h > 0 {
        format!("{} {}", unit(h, "unit-hours"), unit(m, "unit-minutes"))
    } else if m > 0 {
        unit(m, "unit-minutes")
    } else {
        unit(secs, "unit-seconds")
    }
}

/// A value for a URL's query string.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A money amount in minor units as text: `1,234.50 CNY`.
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02} {currency}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_show_in_the_tenants_zone_across_a_change_of_clocks() {
        let at = Utc.with_ymd_and_hms(2026, 10, 5, 6, 30, 0).unwrap();
        assert_eq!(local_time(&at, "Asia/Shanghai"), "2026-10-05 14:30");
        // Los Angeles: PDT until 1 November 2026, PST after.
        assert_eq!(local_time(&at, "America/Los_Angeles"), "2026-10-04 23:30");
        let winter = Utc.with_ymd_and_hms(2026, 11, 2, 6, 30, 0).unwrap();
        assert_eq!(local_time(&winter, "America/Los_Angeles"), "2026-11-01 22:30");
        assert_eq!(local_time(&at, "Nowhere/Else"), "2026-10-05 06:30 UTC");
        assert_eq!(local_day(&at, "America/Los_Angeles"), "2026-10-04");
    }

    #[test]
    fn spans_read_in_words() {
        let now = Utc.with_ymd_and_hms(2026, 10, 5, 6, 0, 0).unwrap();
        assert_eq!(until(Lang::En, now, now + chrono::Duration::minutes(125)), "in 2 h 5 min");
        assert_eq!(until(Lang::En, now, now - chrono::Duration::minutes(3)), "3 min overdue");
        assert_eq!(until(Lang::ZhCn, now, now + chrono::Duration::hours(50)), "剩余 2 天 2 小时");
    }

    #[test]
    fn money_is_exact_and_grouped() {
        assert_eq!(money(123_450, "CNY"), "1,234.50 CNY");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(money(100_000_000, "CNY"), "1,000,000.00 CNY");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("/tickets?status=open&q=a b"), "/tickets%3Fstatus%3Dopen%26q%3Da%20b");
    }
}

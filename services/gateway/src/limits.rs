//! Per-tenant rate limits sized by the tenant's tier; per staff member for provider roles;
//! per client address for the public endpoints.

use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};

use canopy_kernel::backends::{Decision, Quota};
use canopy_kernel::config::{QuotaSettings, RateLimitSettings};
use canopy_kernel::{ApiError, ErrorCode, Principal};

fn quota(q: &QuotaSettings) -> Quota {
    Quota { requests: q.requests, period: Duration::from_secs(q.period_secs) }
}

/// The bucket and its size for a caller. `tier` is the tenant's tier name and, when the
/// catalogue's tier sets one, its own limit.
pub fn bucket(
    settings: &RateLimitSettings,
    principal: Option<&Principal>,
    tier: Option<&(String, Option<QuotaSettings>)>,
    client: &str,
) -> (String, Quota) {
    match principal {
        None => (format!("ip:{client}"), quota(&settings.anonymous)),
        Some(p) => match p.tenant_id {
            Some(tenant) => {
                let size = tier
                    .and_then(|(name, own)| own.as_ref().or_else(|| settings.tiers.get(&name.to_lowercase())))
                    .or_else(|| settings.tiers.get(&settings.default_tier))
                    .unwrap_or(&settings.anonymous);
                (format!("tenant:{tenant}"), quota(size))
            }
            None => (format!("user:{}", p.subject), quota(&settings.provider)),
        },
    }
}

/// The quota of pages per client address.
pub fn pages_quota(settings: &RateLimitSettings) -> Quota {
    quota(&settings.pages)
}

fn secs_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// `RateLimit-*` headers (IETF draft) describing a decision.
pub fn headers(decision: &Decision, quota: &Quota) -> Vec<(HeaderName, HeaderValue)> {
    let h = |name: &'static str, value: String| {
        (
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("0")),
        )
    };
    vec![
        h("ratelimit-limit", decision.limit.to_string()),
        h("ratelimit-remaining", decision.remaining.to_string()),
        h("ratelimit-reset", secs_up(decision.reset_after).to_string()),
        h("ratelimit-policy", format!("{};w={}", quota.requests, quota.period.as_secs())),
    ]
}

pub fn refused(decision: &Decision, quota: &Quota) -> ApiError {
    let retry = secs_up(decision.retry_after).max(1);
    let mut err = ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "At most {} requests per {} s; try again in {retry} s",
            quota.requests,
            quota.period.as_secs()
        ),
    )
    .with_header(HeaderName::from_static("retry-after"), HeaderValue::from(retry));
    for (name, value) in headers(decision, quota) {
        err = err.with_header(name, value);
    }
    err
}

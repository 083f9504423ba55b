//! Which service answers which path. Only these prefixes are routed: anything else, and
//! every service's `/internal/...`, is unreachable from outside.

/// (path prefix, service)
pub const ROUTES: &[(&str, &str)] = &[
    ("/api/v1/auth", "tenants"),
    ("/api/v1/tenants", "tenants"),
    ("/api/v1/users", "tenants"),
    ("/.well-known/jwks.json", "tenants"),
    ("/api/v1/catalog", "catalog"),
    ("/api/v1/tickets", "ticketing"),
    ("/api/v1/sla", "ticketing"),
    ("/api/v1/billable-work", "ticketing"),
    ("/api/v1/events", "ticketing"),
    ("/api/v1/kb", "ticketing"),
    ("/api/v1/reports", "ticketing"),
    ("/api/v1/engineers", "scheduler"),
    ("/api/v1/schedules", "scheduler"),
    ("/api/v1/jobs", "scheduler"),
    ("/api/v1/dispatch", "scheduler"),
    ("/api/v1/billing", "billing"),
];

/// Endpoints that take no credential (they are rate-limited per client address instead).
pub const PUBLIC: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/.well-known/jwks.json",
    // Stripe's events: trusted by their signature, checked by billing.
    "/api/v1/billing/webhooks/stripe",
];

pub fn service_for(path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|(prefix, _)| {
            path == *prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, service)| *service)
}

pub fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(service_for("/api/v1/tenants"), Some("tenants"));
        assert_eq!(service_for("/api/v1/tenants/1/config"), Some("tenants"));
        assert_eq!(service_for("/api/v1/tenantsx"), None);
        assert_eq!(service_for("/internal/v1/api-keys/exchange"), None);
        assert_eq!(service_for("/api/v1/unknown"), None);
        assert_eq!(service_for("/api/v1/catalog/sla/preview"), Some("catalog"));
    }
}

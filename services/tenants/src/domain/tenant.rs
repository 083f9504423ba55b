use canopy_kernel::{ApiError, ApiResult, ErrorCode, Violations};

pub use canopy_api::tenants::TenantStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Activate,
    Suspend,
    Cancel,
}

/// How a tenant's status moves, and what it allows.
pub trait StatusRules: Sized {
    /// The status after `action`, or why it cannot happen.
    fn apply(self, action: Lifecycle) -> ApiResult<Self>;

    /// Refuses writes by the tenant's own users while suspended or cancelled.
    fn ensure_writable(self) -> ApiResult<()>;
}

impl StatusRules for TenantStatus {
    fn apply(self, action: Lifecycle) -> ApiResult<Self> {
        use Lifecycle::*;
        use TenantStatus::*;
        match (self, action) {
            (Trial | Suspended, Activate) => Ok(Active),
            (Trial | Active, Suspend) => Ok(Suspended),
            (Trial | Active | Suspended, Cancel) => Ok(Cancelled),
            (from, action) => Err(ApiError::new(
                ErrorCode::InvalidTransition,
                format!(
                    "A {} tenant cannot be {}",
                    from.as_str(),
                    match action {
                        Activate => "activated",
                        Suspend => "suspended",
                        Cancel => "cancelled",
                    }
                ),
            )),
        }
    }

    fn ensure_writable(self) -> ApiResult<()> {
        match self {
            Self::Suspended => Err(ApiError::new(
                ErrorCode::TenantSuspended,
                "The tenant is suspended: its data can be read but not changed",
            )),
            Self::Cancelled => Err(ApiError::new(ErrorCode::TenantCancelled, "The tenant is cancelled")),
            _ => Ok(()),
        }
    }
}

/// A tenant's short key, the prefix of its ticket numbers (`ACME-42`).
pub fn check_key(key: &str, v: &mut Violations) {
    v.check(
        (2..=10).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_uppercase())
            && key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "key",
        "must be 2–10 upper-case letters or digits, starting with a letter (e.g. ACME)",
    );
}

/// Rate-limit tier names until the catalogue assigns tiers from contracts.
pub fn check_tier(tier: &str, known: &[&str], v: &mut Violations) {
    v.check(known.contains(&tier), "tier", format!("must be one of: {}", known.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;
    use TenantStatus::*;

    #[test]
    fn lifecycle() {
        assert_eq!(Trial.apply(Activate).ok(), Some(Active));
        assert_eq!(Active.apply(Suspend).ok(), Some(Suspended));
        assert_eq!(Suspended.apply(Activate).ok(), Some(Active));
        assert_eq!(Suspended.apply(Cancel).ok(), Some(Cancelled));
        for action in [Activate, Suspend, Cancel] {
            assert_eq!(Cancelled.apply(action).err().map(|e| e.code()), Some(ErrorCode::InvalidTransition));
        }
        assert!(Active.apply(Activate).is_err());
        assert!(Suspended.apply(Suspend).is_err());
    }

    #[test]
    fn suspended_tenants_read_only() {
        assert!(Active.ensure_writable().is_ok());
        assert_eq!(Suspended.ensure_writable().err().map(|e| e.code()), Some(ErrorCode::TenantSuspended));
    }

    #[test]
    fn keys() {
        for (key, ok) in
            [("ACME", true), ("A1", true), ("acme", false), ("1ACME", false), ("A", false), ("ACME-1", false)]
        {
            let mut v = Violations::new();
            check_key(key, &mut v);
            assert_eq!(v.is_empty(), ok, "{key}");
        }
    }
}

//! What a ticket is and how it moves: an explicit state machine.

use canopy_kernel::{ApiError, ApiResult, ErrorCode};

pub use canopy_api::ticketing::{Channel, Status, TicketKind};

/// The state machine.
pub trait Moves: Sized {
    /// The states a ticket may move to from this one.
    fn next(self) -> &'static [Status];

    /// 409 naming the states that are possible, unless `to` is one of them.
    fn check_move(self, to: Status) -> ApiResult<()>;
}

impl Moves for Status {
    fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Assigned, InProgress, PendingCustomer, PendingVendor, Resolved, Cancelled],
            Assigned => &[New, InProgress, PendingCustomer, PendingVendor, Resolved, Cancelled],
            InProgress => &[Assigned, PendingCustomer, PendingVendor, Resolved, Cancelled],
            PendingCustomer => &[InProgress, Assigned, PendingVendor, Resolved, Cancelled],
            PendingVendor => &[InProgress, Assigned, PendingCustomer, Resolved, Cancelled],
            // Reopen, or close after the customer confirms.
            Resolved => &[InProgress, Closed],
            Closed | Cancelled => &[],
        }
    }

    fn check_move(self, to: Status) -> ApiResult<()> {
        if self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<String> = self.next().iter().map(super::name_of).collect();
        Err(ApiError::new(
            ErrorCode::InvalidTransition,
            if allowed.is_empty() {
                format!("A {} ticket cannot change status", super::name_of(&self))
            } else {
                format!(
                    "A {} ticket can move to {}, not {}",
                    super::name_of(&self),
                    allowed.join(", "),
                    super::name_of(&to)
                )
            },
        ))
    }
}

pub const MIN_LEVEL: i16 = 1;
pub const MAX_LEVEL: i16 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        assert!(Status::New.check_move(Status::InProgress).is_ok());
        assert!(Status::Resolved.check_move(Status::InProgress).is_ok(), "reopen");
        let err = Status::Closed.check_move(Status::InProgress).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidTransition);
        let err = Status::New.check_move(Status::Closed).unwrap_err();
        assert!(err.detail().contains("resolved"), "{}", err.detail());
        for s in Status::ALL {
            assert!(!s.next().contains(&s), "{s:?} to itself is not a move");
        }
    }
}

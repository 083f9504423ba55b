//! What a ticket is and how it moves: an explicit state machine. The types are the contract's
//! (other services read them); the moves between them are ticketing's.

use super::ticket::TicketError;

pub use canopy_api::ticketing::{Channel, Status, TicketKind};

/// The state machine.
pub trait Moves: Sized {
    /// The states a ticket may move to from this one.
    fn next(self) -> &'static [Status];

    /// Refused (naming the states that are possible) unless `to` is one of them.
    fn check_move(self, to: Status) -> Result<(), TicketError>;
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

    fn check_move(self, to: Status) -> Result<(), TicketError> {
        if self.next().contains(&to) { Ok(()) } else { Err(TicketError::Move { from: self, to }) }
    }
}

pub const MIN_LEVEL: i16 = 1;
pub const MAX_LEVEL: i16 = 3;

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// Text columns hold the wire names, so stored and sent values read alike.
    #[test]
    fn stored_names_are_the_wire_names() {
        fn same<
            T: Serialize + std::str::FromStr + Into<&'static str> + Copy + PartialEq + std::fmt::Debug,
        >(
            values: &[T],
        ) {
            for v in values {
                let name: &'static str = (*v).into();
                assert_eq!(serde_json::to_value(v).unwrap(), name);
                assert!(name.parse::<T>().is_ok_and(|back| back == *v), "{name}");
            }
        }
        same(&Status::ALL);
        same(&[TicketKind::Incident, TicketKind::ServiceRequest, TicketKind::Problem, TicketKind::Change]);
        same(&[Channel::Portal, Channel::Phone, Channel::Email, Channel::Api, Channel::AgentEvent]);
    }

    #[test]
    fn the_state_machine() {
        assert!(Status::New.check_move(Status::InProgress).is_ok());
        assert!(Status::Resolved.check_move(Status::InProgress).is_ok(), "reopen");
        let err = Status::Closed.check_move(Status::InProgress).unwrap_err();
        assert_eq!(err.to_string(), "A closed ticket cannot change status");
        let err = Status::New.check_move(Status::Closed).unwrap_err();
        assert!(err.to_string().contains("resolved"), "{err}");
        for s in Status::ALL {
            assert!(!s.next().contains(&s), "{s:?} to itself is not a move");
        }
    }
}

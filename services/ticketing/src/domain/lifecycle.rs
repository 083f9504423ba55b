//! What a ticket is and how it moves: an explicit state machine.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr};
use utoipa::ToSchema;

use super::ticket::TicketError;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TicketKind {
    Incident,
    ServiceRequest,
    Problem,
    Change,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    Portal,
    Phone,
    Email,
    Api,
    AgentEvent,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    New,
    Assigned,
    InProgress,
    /// Waiting on the customer: the SLA clocks stand still.
    PendingCustomer,
    /// Waiting on a vendor: the clocks run (the provider answers for its vendors).
    PendingVendor,
    Resolved,
    Closed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::PendingCustomer,
        Status::PendingVendor,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
    ];

    /// The states a ticket may move to from this one.
    pub fn next(self) -> &'static [Status] {
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

    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }

    /// Refused (naming the states that are possible) unless `to` is one of them.
    pub fn check_move(self, to: Status) -> Result<(), TicketError> {
        if self.next().contains(&to) { Ok(()) } else { Err(TicketError::Move { from: self, to }) }
    }
}

pub const MIN_LEVEL: i16 = 1;
pub const MAX_LEVEL: i16 = 3;

#[cfg(test)]
mod tests {
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

//! Where the papers of a case filed at a service centre are, and the batch lists the centre's
//! courier carries: the types the case events, the cases and the centre's commands share.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Which way a batch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Applications accepted at the centre, to the provider.
    ToProvider,
    /// Signed results, back to the centre.
    ToCentre,
}

/// Where the papers of a case filed at the centre are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Custody {
    /// At the centre, waiting for the courier.
    Centre,
    /// With the courier, in batch `batch`, to the provider.
    ToProvider {
        /// The batch.
        batch: String,
    },
    /// With the provider.
    Provider,
    /// The result, with the courier, to the centre.
    ToCentre {
        /// The batch.
        batch: String,
    },
    /// The result at the centre, to be collected, since `since`.
    ResultAtCentre {
        /// When it arrived.
        since: Timestamp,
    },
    /// Not collected within a month: back in the provider's archive.
    Archived,
    /// Collected by the applicant.
    Collected,
}

/// A batch list: the cases one courier trip carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Its number.
    pub id: String,
    /// Which way.
    pub direction: Direction,
    /// The centre (the district it serves).
    pub centre: String,
    /// The provider.
    pub provider: String,
    /// The cases, in the list's order.
    pub cases: Vec<String>,
    /// When the courier took it.
    pub sent_at: Timestamp,
    /// When it is to be delivered (one working day).
    pub due: Timestamp,
    /// When the other side received it.
    pub received_at: Option<Timestamp>,
    /// Whether its delivery was noted late.
    pub overdue: bool,
}

/// Working days the courier has to deliver a batch.
pub const COURIER_WORKING_DAYS: u32 = 1;

/// One calendar month after `at` (on the same day of the next month, or its last day).
#[must_use]
pub fn month_after(at: Timestamp) -> Timestamp {
    at.to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(1.month())
        .map_or(at, |z| z.timestamp())
}

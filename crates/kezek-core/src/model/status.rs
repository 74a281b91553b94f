//! Where an application, a referral and a priority claim stand.

use serde::{Deserialize, Serialize};

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppStatus {
    /// Waiting in its cohort queue.
    Queued,
    /// Holding an issued or confirmed referral.
    Referred,
    /// Admitted to a kindergarten.
    Enrolled,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// Ended by a declined or lapsed referral.
    Cancelled,
    /// Past the maximum age.
    AgedOut,
    /// Was enrolled, and left the kindergarten (moved, went to school, the family's request).
    Left,
}

impl AppStatus {
    /// The code used in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Referred => "referred",
            Self::Enrolled => "enrolled",
            Self::Withdrawn => "withdrawn",
            Self::Cancelled => "cancelled",
            Self::AgedOut => "aged_out",
            Self::Left => "left",
        }
    }

    /// Whether the application still blocks a new one for the same child.
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Referred | Self::Enrolled)
    }
}

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReferralStatus {
    /// Issued; the parent must confirm.
    Issued,
    /// Confirmed; the kindergarten must admit.
    Confirmed,
    /// Used: the child is enrolled.
    Enrolled,
    /// Declined by the parent.
    Declined,
    /// Not confirmed or used in time.
    Lapsed,
    /// The child did not come.
    NoShow,
    /// The kindergarten's head decided the child cannot be admitted.
    NotAdmitted,
    /// Released by a withdrawal.
    Released,
}

impl ReferralStatus {
    /// The code used in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Confirmed => "confirmed",
            Self::Enrolled => "enrolled",
            Self::Declined => "declined",
            Self::Lapsed => "lapsed",
            Self::NoShow => "no_show",
            Self::NotAdmitted => "not_admitted",
            Self::Released => "released",
        }
    }

    /// Whether the referral still holds its seat.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Issued | Self::Confirmed)
    }
}

/// The state of a priority claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// No category claimed.
    None,
    /// Claimed, proof not yet checked.
    Pending,
    /// Proof verified by an authority employee.
    Verified,
    /// Proof rejected, claim revoked, or privilege dropped.
    Rejected,
}

impl ClaimStatus {
    /// The code used in the API (`priority_status`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
        }
    }
}

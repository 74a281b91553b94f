//! The vocabulary of the domain, with no behaviour beyond parsing and checking: ids, IINs,
//! codes, sequence numbers, academic years and cohorts, statuses, and the dense indexes the
//! state hands out. Everything else builds on these; they depend on nothing of the crate.

pub mod codes;
pub mod cohort;
pub mod file;
pub mod ids;
pub mod iin;
pub mod index;
pub mod seq;
pub mod status;
pub mod text;

pub use codes::{Category, Channel, Document, Language, LeaveReason};
pub use cohort::{age_on, Cutoff};
pub use file::FileType;
pub use ids::{
    ApplicationId, DistrictId, GroupId, IdError, KindergartenId, OfficialId, ReferralId, RoundId,
};
pub use iin::{Iin, IinError};
pub use index::{AppIx, CategoryIx, DistrictIx, KgIx, ReferralIx, RoundIx};
pub use seq::Seq;
pub use status::{AppStatus, ClaimStatus, ReferralStatus};

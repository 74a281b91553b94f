//! Dense indexes: where a record sits in the state's tables. The state hands them out (a
//! lookup by id, or a walk over a table) and only the core makes new ones, so an index from
//! a state always points into it; outside the core they are opaque handles, and ids are what
//! crosses the API.

use std::fmt;

macro_rules! dense_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The index `i` (only the state makes them).
            #[must_use]
            #[allow(dead_code, reason = "not every kind of index is made from a raw number")]
            pub(crate) const fn new(i: u32) -> Self {
                Self(i)
            }

            /// The index of slot `i` of a table. Tables never grow past `u32::MAX` records
            /// (adding one more is refused, see [`Self::after`]), so `i` fits.
            #[must_use]
            #[allow(clippy::cast_possible_truncation, reason = "tables stop at u32::MAX records")]
            #[allow(dead_code, reason = "not every table is walked with its indexes")]
            pub(crate) const fn from_slot(i: usize) -> Self {
                Self(i as u32)
            }

            /// The index of the next record of a table holding `len` (`None` past `u32`).
            #[must_use]
            pub(crate) fn after(len: usize) -> Option<Self> {
                u32::try_from(len).ok().map(Self)
            }

            /// The position, for a table lookup.
            #[must_use]
            pub const fn get(self) -> u32 {
                self.0
            }

            /// The position as a `usize`.
            #[must_use]
            pub const fn slot(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "#{}", self.0)
            }
        }
    };
}

dense_index!(
    /// An application's place in the application table.
    AppIx
);
dense_index!(
    /// A kindergarten's place in the kindergarten table.
    KgIx
);
dense_index!(
    /// A district's place in the district table.
    DistrictIx
);
dense_index!(
    /// A referral's place in the referral table.
    ReferralIx
);
dense_index!(
    /// A round's place in the round table.
    RoundIx
);

//! Dense indexes: where a record sits in the state's tables. The state hands them out (a
//! lookup by id, or a walk over a table) and only the core makes new ones, so an index from
//! a state always points into it; outside the core they are opaque handles, and ids are what
//! crosses the API.

use std::fmt;
use std::num::NonZeroU32;

/// One more than `i`, which is never zero: an index keeps `i + 1`, so that an
/// `Option` of one takes no more room than the index (4 bytes, not 8) in the records that
/// hold a million of them. `u32::MAX` itself is never an index (tables stop before it).
const fn shifted(i: u32) -> NonZeroU32 {
    NonZeroU32::MIN.saturating_add(i)
}

macro_rules! dense_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(NonZeroU32);

        impl $name {
            /// The index `i` (only the state makes them).
            #[must_use]
            #[allow(dead_code, reason = "not every kind of index is made from a raw number")]
            pub(crate) const fn new(i: u32) -> Self {
                Self(shifted(i))
            }

            /// The index of slot `i` of a table. Tables never grow to `u32::MAX` records
            /// (adding one more is refused, see [`Self::after`]), so `i` fits.
            #[must_use]
            #[allow(clippy::cast_possible_truncation, reason = "tables stop before u32::MAX records")]
            #[allow(dead_code, reason = "not every table is walked with its indexes")]
            pub(crate) const fn from_slot(i: usize) -> Self {
                Self::new(i as u32)
            }

            /// The index of the next record of a table holding `len` (`None` from
            /// `u32::MAX` on).
            #[must_use]
            pub(crate) fn after(len: usize) -> Option<Self> {
                u32::try_from(len).ok().filter(|&i| i < u32::MAX).map(Self::new)
            }

            /// The position, for a table lookup.
            #[must_use]
            pub const fn get(self) -> u32 {
                self.0.get() - 1
            }

            /// The position as a `usize`.
            #[must_use]
            pub const fn slot(self) -> usize {
                self.get() as usize
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "#{}", self.get())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u32(self.get())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let i = <u32 as serde::Deserialize>::deserialize(d)?;
                if i == u32::MAX {
                    return Err(serde::de::Error::custom("an index must be below u32::MAX"));
                }
                Ok(Self::new(i))
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
dense_index!(
    /// A category code's place in the state's list of the codes children claimed.
    CategoryIx
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_is_its_position_and_an_optional_one_takes_no_more_room() {
        for i in [0, 1, 7, 1 << 20, u32::MAX - 1] {
            let a = AppIx::new(i);
            assert_eq!((a.get(), a.slot()), (i, i as usize));
            assert_eq!(a.to_string(), format!("#{i}"));
            assert_eq!(serde_json::to_string(&a).unwrap(), i.to_string());
            assert_eq!(serde_json::from_str::<AppIx>(&i.to_string()).unwrap(), a);
        }
        assert!(AppIx::new(3) < AppIx::new(4));
        assert_eq!(AppIx::default().get(), 0);
        assert_eq!(std::mem::size_of::<Option<AppIx>>(), 4);
    }

    #[test]
    fn tables_stop_before_u32_max() {
        let last = u32::MAX as usize - 1;
        assert_eq!(AppIx::after(last).map(AppIx::slot), Some(last));
        assert_eq!(AppIx::after(last + 1), None);
        assert!(serde_json::from_str::<AppIx>(&u32::MAX.to_string()).is_err());
    }
}

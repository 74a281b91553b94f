//! Identifiers: districts, kindergartens, groups, applications, referrals, rounds.
//!
//! Every id matches `[A-Za-z0-9][A-Za-z0-9_-]{0,31}` (`docs/http.md`). The newtypes have private
//! fields, so holding one proves the string was checked. They are `CompactString`s: an id
//! of up to 24 bytes (every id the portal and the data sets use) sits inside the value, so
//! a million applications do not each carry a separate allocation for their id, and
//! comparing an id in the application index reads no second place in memory.

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty.
    #[error("must not be empty")]
    Empty,
    /// The string is longer than 32 characters.
    #[error("must be at most 32 characters")]
    TooLong,
    /// The string contains a character outside the pattern.
    #[error("must match [A-Za-z0-9][A-Za-z0-9_-]{{0,31}}")]
    BadCharacter,
}

/// Checks `s` against the identifier pattern of the HTTP contract.
///
/// # Errors
/// Returns the first rule the string breaks.
pub fn check_id(s: &str) -> Result<(), IdError> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.first() else {
        return Err(IdError::Empty);
    };
    if bytes.len() > 32 {
        return Err(IdError::TooLong);
    }
    if !first.is_ascii_alphanumeric() {
        return Err(IdError::BadCharacter);
    }
    if bytes
        .iter()
        .skip(1)
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        Ok(())
    } else {
        Err(IdError::BadCharacter)
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            /// Parses an identifier.
            ///
            /// # Errors
            /// Fails when `s` does not match `[A-Za-z0-9][A-Za-z0-9_-]{0,31}`.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok(Self(CompactString::new(s)))
            }

            /// The identifier as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                super::text::parse_str(d, Self::parse)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// An education department's district (the owner of a queue).
    DistrictId
);
id_type!(
    /// A kindergarten (preschool organisation).
    KindergartenId
);
id_type!(
    /// A group inside a kindergarten: one age and one language.
    GroupId
);
id_type!(
    /// An application; assigned by the server, imported ones kept.
    ApplicationId
);
id_type!(
    /// A referral (направление) to a kindergarten group.
    ReferralId
);
id_type!(
    /// An allocation round.
    RoundId
);
id_type!(
    /// A named official (the head of a department, a kindergarten's head, a specialist).
    OfficialId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_pattern() {
        assert!(DistrictId::parse("osakarov").is_ok());
        assert!(KindergartenId::parse("k-0001").is_ok());
        assert!(GroupId::parse("G_1").is_ok());
        assert!(RoundId::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn refuses_what_breaks_it() {
        assert_eq!(DistrictId::parse(""), Err(IdError::Empty));
        assert_eq!(DistrictId::parse(&"a".repeat(33)), Err(IdError::TooLong));
        assert_eq!(DistrictId::parse("-abc"), Err(IdError::BadCharacter));
        assert_eq!(DistrictId::parse("ab c"), Err(IdError::BadCharacter));
        assert_eq!(DistrictId::parse("дом"), Err(IdError::BadCharacter));
    }

    #[test]
    fn deserialising_checks_too() {
        let bad: Result<DistrictId, _> = serde_json::from_str("\"a b\"");
        assert!(bad.is_err());
        let good: DistrictId = serde_json::from_str("\"D01\"").unwrap();
        assert_eq!(good.as_str(), "D01");
    }
}

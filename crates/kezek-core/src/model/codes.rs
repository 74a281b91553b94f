//! The codes of the domain: language of instruction, priority category, channel of filing,
//! documents presented.

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Language of instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

impl Language {
    /// Parses `kk` or `ru`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kk" => Some(Self::Kk),
            "ru" => Some(Self::Ru),
            _ => None,
        }
    }

    /// The code as written in the API and the dataset.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kk => "kk",
            Self::Ru => "ru",
        }
    }
}

/// A priority category code (`large_family`, `military`, …). Which codes exist is policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Category(CompactString);

impl Category {
    /// Parses a category code: 1–32 characters of `a-z`, `0-9` and `_`, starting with a letter.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = b.len() <= 32
            && b.first().is_some_and(u8::is_ascii_lowercase)
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        ok.then(|| Self(CompactString::new(s)))
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::text::parse_str(d, |s| Self::parse(s).ok_or("not a category code"))
    }
}

/// How the application reached the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The e-government portal.
    Portal,
    /// A service-centre desk.
    ServiceCenter,
    /// The education department's office.
    Office,
}

impl Channel {
    /// Parses `portal`, `service_center` or `office`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "portal" => Some(Self::Portal),
            "service_center" => Some(Self::ServiceCenter),
            "office" => Some(Self::Office),
            _ => None,
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::ServiceCenter => "service_center",
            Self::Office => "office",
        }
    }
}

/// A document presented with the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    /// The application form.
    ApplicationForm,
    /// The applicant's identity document.
    ApplicantId,
    /// Proof of the claimed priority category.
    BenefitProof,
    /// Proof of address.
    AddressProof,
    /// Birth certificate (only for a child whose birth record is not in the state database).
    BirthCertificate,
}

impl Document {
    /// Parses a document code.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "application_form" => Some(Self::ApplicationForm),
            "applicant_id" => Some(Self::ApplicantId),
            "benefit_proof" => Some(Self::BenefitProof),
            "address_proof" => Some(Self::AddressProof),
            "birth_certificate" => Some(Self::BirthCertificate),
            _ => None,
        }
    }

    /// The code as written in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationForm => "application_form",
            Self::ApplicantId => "applicant_id",
            Self::BenefitProof => "benefit_proof",
            Self::AddressProof => "address_proof",
            Self::BirthCertificate => "birth_certificate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for l in [Language::Kk, Language::Ru] {
            assert_eq!(Language::parse(l.as_str()), Some(l));
        }
        assert_eq!(Language::parse("en"), None);
        assert!(Category::parse("large_family").is_some());
        assert!(Category::parse("Large").is_none());
        assert!(Category::parse("").is_none());
        assert_eq!(
            Channel::parse("service_center"),
            Some(Channel::ServiceCenter)
        );
        assert_eq!(
            Document::parse("benefit_proof").map(Document::as_str),
            Some("benefit_proof")
        );
    }
}

code_enum! {
    /// Why an enrolled child leaves the kindergarten.
    pub enum LeaveReason {
        /// The family moved.
        Moved = "moved",
        /// The child goes to school.
        School = "school",
        /// The family asked.
        FamilyRequest = "family_request",
        /// Another reason.
        Other = "other",
        /// The child was admitted to another kindergarten it asked to transfer to (recorded
        /// by that admission, never by hand).
        Transfer = "transfer",
    }
}

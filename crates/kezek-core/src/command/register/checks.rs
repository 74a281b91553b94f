//! The registration's checks of the raw request, each adding its grounds: names, IINs, the
//! child's birth date and age, the representative, documents.

use crate::command::refusal::ground;
use crate::event::{Ground, GroundCode, Representative};
use crate::model::{age_on, Document, Iin};
use crate::state::State;
use jiff::civil::Date;
use jiff::Timestamp;

/// Longest name, in characters.
const MAX_NAME: usize = 200;
/// Longest power-of-attorney number, in bytes.
const MAX_POWER_OF_ATTORNEY: usize = 64;

/// A name: 1 to 200 printable characters once trimmed.
pub(super) fn name(field: &str, name: &str, grounds: &mut Vec<Ground>) {
    let t = name.trim();
    if t.is_empty() || t.chars().count() > MAX_NAME || t.chars().any(char::is_control) {
        grounds.push(ground(
            field,
            GroundCode::InvalidName,
            format!("must be 1 to {MAX_NAME} printable characters"),
        ));
    }
}

/// An IIN.
pub(super) fn iin(field: &str, raw: &str, grounds: &mut Vec<Ground>) -> Option<Iin> {
    Iin::parse(raw)
        .map_err(|e| {
            grounds.push(ground(
                field,
                GroundCode::InvalidIin,
                format!("not a valid IIN: {e}"),
            ))
        })
        .ok()
}

/// The child: its IIN, a birth date given separately agreeing with it, its age at `at`.
pub(super) fn child(
    state: &State,
    raw_iin: &str,
    birth_date: Option<&str>,
    at: Timestamp,
    grounds: &mut Vec<Ground>,
) -> Option<(Iin, Date)> {
    let iin = iin("child.iin", raw_iin, grounds)?;
    let birth = iin.birth_date();
    if let Some(raw) = birth_date {
        match raw.parse::<Date>() {
            Ok(d) if d != birth => grounds.push(ground(
                "child.birth_date",
                GroundCode::BirthDateMismatch,
                format!("the IIN says {birth}"),
            )),
            Ok(_) => {}
            Err(_) => grounds.push(ground(
                "child.birth_date",
                GroundCode::InvalidDate,
                "must be a date YYYY-MM-DD",
            )),
        }
    }
    age(state, birth, at, grounds);
    Some((iin, birth))
}

/// Born, and under the maximum age on the cut-off of the academic year in progress at `at`.
pub(crate) fn age(state: &State, birth: Date, at: Timestamp, grounds: &mut Vec<Ground>) {
    let policy = state.policy();
    let today = policy.calendar.local_date(at);
    if birth > today {
        grounds.push(ground(
            "child.iin",
            GroundCode::ChildNotBorn,
            format!("birth date {birth} is in the future"),
        ));
    }
    let year = policy.cutoff.academic_year_of(today);
    let age = age_on(birth, policy.cutoff.in_year(year));
    if age >= policy.max_age {
        grounds.push(ground(
            "child.iin",
            GroundCode::ChildTooOld,
            format!(
                "{age} years old on the cut-off date; the limit is {}",
                policy.max_age - 1
            ),
        ));
    }
}

/// A representative: an IIN and a power-of-attorney number.
pub(super) fn representative(
    (raw_iin, poa): (&str, &str),
    grounds: &mut Vec<Ground>,
) -> Option<Representative> {
    let iin = iin("applicant.representative.iin", raw_iin, grounds);
    let poa = poa.trim();
    if poa.is_empty() || poa.len() > MAX_POWER_OF_ATTORNEY || poa.chars().any(char::is_control) {
        grounds.push(ground(
            "applicant.representative.power_of_attorney",
            GroundCode::InvalidPowerOfAttorney,
            "must be 1 to 64 printable characters",
        ));
    }
    iin.map(|iin| Representative {
        iin,
        power_of_attorney: poa.to_owned(),
    })
}

/// The documents presented, each known and none missing: the application form, the
/// applicant's id, the proof of address, the benefit proof when a category is claimed, and
/// the birth certificate of a child born before the electronic registry.
pub(super) fn documents(
    state: &State,
    raw: &[String],
    claim: bool,
    birth: Option<Date>,
    grounds: &mut Vec<Ground>,
) -> Vec<Document> {
    let mut docs = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match Document::parse(s) {
            Some(d) if !docs.contains(&d) => docs.push(d),
            Some(_) => {}
            None => grounds.push(ground(
                format!("documents[{i}]"),
                GroundCode::UnknownDocument,
                format!("`{}` is not a document code", s.escape_debug()),
            )),
        }
    }
    let mut needed = vec![Document::ApplicationForm, Document::ApplicantId];
    if claim {
        needed.push(Document::BenefitProof);
    }
    needed.push(Document::AddressProof);
    if birth.is_some_and(|b| b < state.policy().birth_registry_since) {
        needed.push(Document::BirthCertificate);
    }
    let missing: Vec<Document> = needed.into_iter().filter(|d| !docs.contains(d)).collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|d| d.as_str()).collect();
        grounds.push(Ground {
            field: "documents".into(),
            code: GroundCode::DocumentsIncomplete,
            message: format!(
                "missing: {}; once they are brought the application is considered again",
                names.join(", ")
            ),
            missing,
        });
    }
    docs.sort();
    docs
}

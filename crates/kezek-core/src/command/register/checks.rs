//! Every refusal ground of a registration is decided here: each check adds its grounds
//! (names, IINs, the child's birth date and age, the representative, the district, the
//! language, the kindergarten preferences, the category, the documents, the channel), so
//! that all of them are reported at once. A preference change and a city import check
//! preferences and ages by the same rules.

use crate::command::refusal::ground;
use crate::event::{Ground, GroundCode, Representative};
use crate::model::text::{is_person_name, is_visible_text, quoted};
use crate::model::{
    age_on, Category, Channel, DistrictId, DistrictIx, Document, Iin, IinError, KgIx, Language,
};
use crate::state::State;
use jiff::civil::Date;
use jiff::Timestamp;

/// Longest name, in characters.
const MAX_NAME: usize = 200;
/// Longest power-of-attorney number, in bytes.
const MAX_POWER_OF_ATTORNEY: usize = 64;

/// Most documents a registration may list (there are five kinds); a longer list is refused
/// before its entries are looked at, so that a refusal stays small.
const MAX_DOCUMENTS: usize = 10;

/// A name: 1 to 200 printable characters once trimmed, at least one of them a letter,
/// nothing invisible (zero-width, direction overrides).
pub(crate) fn name(field: &str, name: &str, grounds: &mut Vec<Ground>) {
    let t = name.trim();
    if t.is_empty() || t.chars().count() > MAX_NAME || !is_person_name(t) {
        grounds.push(ground(
            field,
            GroundCode::InvalidName,
            format!(
                "must be 1 to {MAX_NAME} printable characters with at least one letter, none of them invisible (zero-width, direction marks or overrides)"
            ),
        ));
    }
}

/// Longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// An optional e-mail address: one `@` between a local part and a domain with a dot, visible
/// ASCII only, at most 254 characters (a mailbox Kezek can write to, not every form RFC 5322
/// allows). Blank is none.
pub(super) fn email(field: &str, raw: Option<&str>, grounds: &mut Vec<Ground>) -> Option<String> {
    let t = raw.map(str::trim).filter(|t| !t.is_empty())?;
    let ok = t.len() <= MAX_EMAIL
        && t.bytes().all(|b| b.is_ascii_graphic())
        && t.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if ok {
        Some(t.to_owned())
    } else {
        grounds.push(ground(
            field,
            GroundCode::InvalidEmail,
            "an e-mail address: name@domain.kz, visible characters only, at most 254",
        ));
        None
    }
}

/// An IIN.
pub(super) fn iin(field: &str, raw: &str, grounds: &mut Vec<Ground>) -> Option<Iin> {
    parsed_iin(field, Iin::parse(raw), grounds)
}

/// An IIN parsed already.
fn parsed_iin(
    field: &str,
    parsed: Result<Iin, IinError>,
    grounds: &mut Vec<Ground>,
) -> Option<Iin> {
    parsed
        .map_err(|e| {
            grounds.push(ground(
                field,
                GroundCode::InvalidIin,
                format!("not a valid IIN: {e}"),
            ));
        })
        .ok()
}

/// The child: its IIN (parsed once, by the caller), a birth date given separately agreeing
/// with it, its age at `at`.
pub(super) fn child(
    state: &State,
    parsed: Result<Iin, IinError>,
    birth_date: Option<&str>,
    at: Timestamp,
    grounds: &mut Vec<Ground>,
) -> Option<(Iin, Date)> {
    let iin = parsed_iin("child.iin", parsed, grounds)?;
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
pub(crate) fn representative(
    (raw_iin, poa): (&str, &str),
    grounds: &mut Vec<Ground>,
) -> Option<Representative> {
    let iin = iin("applicant.representative.iin", raw_iin, grounds);
    let poa = poa.trim();
    if poa.is_empty() || poa.len() > MAX_POWER_OF_ATTORNEY || !is_visible_text(poa) {
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

/// The documents presented, each known and none missing: those the policy asks of the
/// channel (by default the application form, the applicant's id and the proof of address),
/// the benefit proof when a category is claimed, and the birth certificate of a child born
/// before the electronic registry.
pub(crate) fn documents(
    state: &State,
    raw: &[String],
    (claim, birth): (bool, Option<Date>),
    channel: Channel,
    grounds: &mut Vec<Ground>,
) -> Vec<Document> {
    let mut docs = Vec::new();
    if raw.len() > MAX_DOCUMENTS {
        grounds.push(ground(
            "documents",
            GroundCode::TooManyDocuments,
            format!("at most {MAX_DOCUMENTS} documents"),
        ));
    }
    for (i, s) in raw.iter().enumerate().take(MAX_DOCUMENTS) {
        match Document::parse(s) {
            Some(d) if !docs.contains(&d) => docs.push(d),
            Some(_) => {}
            None => grounds.push(ground(
                format!("documents[{i}]"),
                GroundCode::UnknownDocument,
                format!("`{}` is not a document code", quoted(s)),
            )),
        }
    }
    let policy = state.policy();
    let mut needed = policy.documents.on(channel).to_vec();
    if claim {
        needed.push(Document::BenefitProof);
    }
    if birth.is_some_and(|b| b < policy.birth_registry_since) {
        needed.push(Document::BirthCertificate);
    }
    needed.sort();
    needed.dedup();
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

/// Checks preferences for `district` (`None` when the district itself is unknown); returns
/// the known kindergartens, duplicates left out. Every broken rule goes to `grounds`; of a
/// list longer than the policy allows only the allowed number is looked at (one ground says
/// the list is too long), so that a refusal stays small whatever was sent.
pub(crate) fn preferences<S: AsRef<str>>(
    state: &State,
    district: Option<DistrictIx>,
    raw: &[S],
    grounds: &mut Vec<Ground>,
) -> Vec<KgIx> {
    if raw.is_empty() {
        grounds.push(ground(
            "preferences",
            GroundCode::NoPreferences,
            "list 1 or more kindergartens",
        ));
    }
    let max = state.policy().max_preferences;
    if raw.len() > max {
        grounds.push(ground(
            "preferences",
            GroundCode::TooManyPreferences,
            format!("at most {max} kindergartens"),
        ));
    }
    let mut out: Vec<KgIx> = Vec::with_capacity(raw.len().min(max));
    for (i, s) in raw.iter().enumerate().take(max) {
        let s = s.as_ref();
        let Some((k, kg_district)) = state.kindergarten_district_by_str(s) else {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::UnknownKindergarten,
                format!("no kindergarten `{}`", quoted(s)),
            ));
            continue;
        };
        if district.is_some_and(|d| kg_district != d) {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::KindergartenOutsideDistrict,
                format!("`{s}` is in another district"),
            ));
        }
        if out.contains(&k) {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::DuplicatePreference,
                format!("`{s}` is listed twice"),
            ));
        } else {
            out.push(k);
        }
    }
    out
}

/// The district, by id.
pub(crate) fn district(
    state: &State,
    raw: &str,
    grounds: &mut Vec<Ground>,
) -> Option<(DistrictId, DistrictIx)> {
    let found = DistrictId::parse(raw)
        .ok()
        .and_then(|d| state.district_index(&d).map(|i| (d, i)));
    if found.is_none() {
        grounds.push(ground(
            "district",
            GroundCode::UnknownDistrict,
            format!("no district `{}`", quoted(raw)),
        ));
    }
    found
}

/// The language of instruction.
pub(super) fn language(raw: &str, grounds: &mut Vec<Ground>) -> Option<Language> {
    let language = Language::parse(raw);
    if language.is_none() {
        grounds.push(ground(
            "language",
            GroundCode::UnsupportedLanguage,
            "must be kk or ru",
        ));
    }
    language
}

/// The channel of filing.
pub(super) fn channel(raw: &str, grounds: &mut Vec<Ground>) -> Option<Channel> {
    let channel = Channel::parse(raw);
    if channel.is_none() {
        grounds.push(ground(
            "channel",
            GroundCode::UnknownChannel,
            "must be portal, service_center or office",
        ));
    }
    channel
}

/// The claimed category: `None` or `"none"` for no claim; else a category of the policy.
pub(crate) fn category(
    state: &State,
    raw: Option<&str>,
    grounds: &mut Vec<Ground>,
) -> Option<Category> {
    let c = raw.filter(|c| *c != "none")?;
    let known = Category::parse(c).filter(|c| state.policy().tier_of(c).is_some());
    if known.is_none() {
        grounds.push(ground(
            "category",
            GroundCode::UnknownCategory,
            format!(
                "`{}` is not a category of policy {}",
                quoted(c),
                state.policy().name
            ),
        ));
    }
    known
}

/// A joint application's sibling (`together_with`): an application that waits in the same
/// queue (`queue`: district, birth cohort, language), joint with nobody yet, listing at least
/// one of `preferences`.
pub(crate) fn partner(
    state: &State,
    raw: &str,
    queue: (DistrictIx, i16, Language),
    preferences: &[KgIx],
    grounds: &mut Vec<Ground>,
) -> Option<crate::model::ApplicationId> {
    let mut refuse = |code: GroundCode, message: String| {
        grounds.push(ground("together_with", code, message));
        None
    };
    let found = crate::model::ApplicationId::parse(raw)
        .ok()
        .and_then(|id| state.application_by_id(&id));
    let Some((a, app)) = found else {
        return refuse(
            GroundCode::UnknownPartner,
            format!("no application `{}`", quoted(raw)),
        );
    };
    if app.status != crate::model::AppStatus::Queued {
        return refuse(
            GroundCode::PartnerNotQueued,
            format!("application {} is {}", app.id, app.status.as_str()),
        );
    }
    if (app.district, app.cohort, app.language) != queue {
        return refuse(
            GroundCode::PartnerInOtherQueue,
            format!(
                "application {} waits in another queue: siblings go together from one district, birth year and language",
                app.id
            ),
        );
    }
    if state.partner(a).is_some() {
        return refuse(
            GroundCode::PartnerJoined,
            format!("application {} is joint with another already", app.id),
        );
    }
    if !preferences.iter().any(|k| app.preferences.contains(k)) {
        return refuse(
            GroundCode::NoCommonKindergarten,
            format!("list a kindergarten application {} lists too", app.id),
        );
    }
    Some(app.id.clone())
}

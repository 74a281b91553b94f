//! Officials: the named people who act for an organisation — a district's education
//! department or a kindergarten — with their IIN and position in Kazakh and Russian. One of
//! an organisation's officials signs its results. An API key may belong to an official
//! (`key_bound`): what the key does is then that person's act, and the journal and the
//! documents name them. An official who leaves keeps their history; their keys are refused.

use super::refusal::{Refusal, Violations};
use crate::event::{Event, InstalledCertificate, Official, Organisation};
use crate::model::text::{is_free_text, is_person_name};
use crate::model::{OfficialId, Seq};
use crate::state::{Mismatch, OfficialRecord, State};
use jiff::Timestamp;

/// Longest name or position, in characters.
const MAX_TEXT: usize = 200;

code_enum! {
    /// Why an official is not named, does not leave, or a key is not bound.
    pub enum Code {
        /// The id names an official already (who may have left: ids are never reused).
        OfficialExists = "official_exists",
        /// A name or position that is empty, too long or not plain text.
        InvalidText = "invalid_text",
        /// The organisation is not a district or kindergarten the journal knows.
        UnknownOrganisation = "unknown_organisation",
        /// The official left already.
        OfficialLeft = "official_left",
        /// The key belongs to an official already.
        KeyBound = "key_bound",
    }
}

/// Name an official.
#[derive(Debug, Clone)]
pub struct NameOfficial {
    /// Who, for which organisation, and whether they sign.
    pub official: Official,
}

impl NameOfficial {
    /// The `official_named` event.
    ///
    /// # Errors
    /// An id used before, a name or position that is not plain text, an unknown
    /// organisation.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let mut o = self.official;
        if state.official(&o.official_id).is_some() {
            return Err(Refusal::conflict(
                Code::OfficialExists.as_str(),
                format!("official {} exists already", o.official_id),
            ));
        }
        for text in [&mut o.name, &mut o.position_kk, &mut o.position_ru] {
            trim(text);
        }
        let mut v = Violations::default();
        if !(is_person_name(&o.name) && o.name.chars().count() <= MAX_TEXT) {
            v.add(
                "name",
                Code::InvalidText.as_str(),
                "must be a person's name, 1 to 200 letters",
            );
        }
        for (field, text) in [
            ("position_kk", &o.position_kk),
            ("position_ru", &o.position_ru),
        ] {
            if text.is_empty() || !is_free_text(text, MAX_TEXT) {
                v.add(
                    field,
                    Code::InvalidText.as_str(),
                    "must be 1 to 200 printable characters",
                );
            }
        }
        let known = match &o.organisation {
            Organisation::District(d) => state.district_index(d).is_some(),
            Organisation::Kindergarten(k) => state.kindergarten_by_id(k).is_some(),
            // The queue does not keep schools: the application layer checked the id against
            // the case engine's organisations; here, only that it is one.
            Organisation::School(id) => {
                !id.is_empty()
                    && id.len() <= 40
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }
        };
        if !known {
            v.add(
                "organisation",
                Code::UnknownOrganisation.as_str(),
                format!(
                    "{} is not a district or kindergarten of the journal",
                    o.organisation.label()
                ),
            );
        }
        v.check()?;
        Ok(vec![Event::OfficialNamed(Box::new(o))])
    }
}

/// An official leaves.
#[derive(Debug, Clone)]
pub struct OfficialLeaves {
    /// The official.
    pub official_id: OfficialId,
    /// When.
    pub at: Timestamp,
}

impl OfficialLeaves {
    /// The `official_left` event.
    ///
    /// # Errors
    /// An unknown official, or one who left already.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        active(state, &self.official_id)?;
        Ok(vec![Event::OfficialLeft {
            official_id: self.official_id,
            at: self.at,
        }])
    }
}

/// An official's signing certificate, checked by the caller (the core does no
/// cryptography), is installed.
#[derive(Debug, Clone)]
pub struct InstallCertificate {
    /// The certificate, as journaled.
    pub certificate: InstalledCertificate,
}

impl InstallCertificate {
    /// The `certificate_installed` event.
    ///
    /// # Errors
    /// An unknown official, or one who left.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        active(state, &self.certificate.official_id)?;
        Ok(vec![Event::CertificateInstalled(Box::new(
            self.certificate,
        ))])
    }
}

/// An API key belongs to an official.
#[derive(Debug, Clone)]
pub struct BindKey {
    /// The key.
    pub key_id: String,
    /// The official.
    pub official_id: OfficialId,
    /// When.
    pub at: Timestamp,
}

impl BindKey {
    /// The `key_bound` event.
    ///
    /// # Errors
    /// An unknown official or one who left, or a key bound already.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        active(state, &self.official_id)?;
        if let Some(o) = state.official_of_key(&self.key_id) {
            return Err(Refusal::conflict(
                Code::KeyBound.as_str(),
                format!(
                    "key {} belongs to official {} already",
                    self.key_id, o.official.official_id
                ),
            ));
        }
        Ok(vec![Event::KeyBound {
            key_id: self.key_id,
            official_id: self.official_id,
            at: self.at,
        }])
    }
}

/// Trims `s` in place.
fn trim(s: &mut String) {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    s.drain(..leading);
}

fn active<'a>(state: &'a State, id: &OfficialId) -> Result<&'a OfficialRecord, Refusal> {
    let o = state
        .official(id)
        .ok_or_else(|| Refusal::not_found("official", id))?;
    if o.left.is_some() {
        return Err(Refusal::conflict(
            Code::OfficialLeft.as_str(),
            format!("official {id} left"),
        ));
    }
    Ok(o)
}

/// Applies `official_named`: a signer takes the signature from the organisation's one before.
pub(crate) fn apply_named(state: &mut State, seq: Seq, o: &Official) -> Result<(), Mismatch> {
    if state.official(&o.official_id).is_some() {
        return Err(Mismatch::Reused {
            what: "official",
            id: o.official_id.to_string(),
        });
    }
    state.add_official(OfficialRecord {
        official: o.clone(),
        since: seq,
        left: None,
        certificate: None,
    });
    Ok(())
}

/// Applies `official_left`.
pub(crate) fn apply_left(
    state: &mut State,
    id: &OfficialId,
    at: Timestamp,
) -> Result<(), Mismatch> {
    state.official_leaves(id, at)
}

/// Applies `key_bound`.
pub(crate) fn apply_bound(
    state: &mut State,
    key_id: &str,
    id: &OfficialId,
) -> Result<(), Mismatch> {
    if state.official(id).is_none() {
        return Err(Mismatch::Unknown {
            what: "official",
            id: id.to_string(),
        });
    }
    state.bind_key(key_id, id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::model::{DistrictId, Iin};
    use crate::policy::Policy;

    fn official(id: &str, signs: bool) -> Official {
        Official {
            official_id: OfficialId::parse(id).unwrap(),
            name: " Айгүл Серікқызы Әбенова ".into(),
            iin: Iin::parse("880101300123").unwrap(),
            position_kk: "Бөлім басшысы".into(),
            position_ru: "Руководитель отдела".into(),
            organisation: Organisation::District(DistrictId::parse("D1").unwrap()),
            signs,
            at: Timestamp::UNIX_EPOCH,
        }
    }

    fn code(state: &mut State, cmd: impl Into<Command>) -> Result<(), String> {
        state.execute(cmd).map(|_| ()).map_err(|e| match e {
            crate::command::CommandError::Refused(Refusal::Conflict { code, .. }) => code.into(),
            crate::command::CommandError::Refused(Refusal::Invalid(v)) => v[0].code.into(),
            crate::command::CommandError::Refused(r) => r.to_string(),
            other @ crate::command::CommandError::Inconsistent(_) => panic!("{other:?}"),
        })
    }

    fn with_district() -> State {
        let mut state = State::new(Policy::kz_2013());
        let names = crate::event::DistrictNames {
            name_kk: "Алмалы ауданы".into(),
            name_ru: "Алмалинский район".into(),
            authority_kk: "Алмалы ауданының білім бөлімі".into(),
            authority_ru: "Отдел образования Алмалинского района".into(),
        };
        state
            .execute(crate::command::district::NameDistrict {
                district: DistrictId::parse("D1").unwrap(),
                names,
            })
            .unwrap();
        state
    }

    #[test]
    fn officials_are_named_sign_for_their_organisation_and_leave() {
        let mut state = with_district();
        let org = Organisation::District(DistrictId::parse("D1").unwrap());
        let mut unknown = official("o9", false);
        unknown.organisation = Organisation::District(DistrictId::parse("D7").unwrap());
        assert_eq!(
            code(&mut state, NameOfficial { official: unknown }),
            Err("unknown_organisation".into())
        );
        let mut nameless = official("o9", false);
        nameless.name = "  ".into();
        assert_eq!(
            code(&mut state, NameOfficial { official: nameless }),
            Err("invalid_text".into())
        );
        code(
            &mut state,
            NameOfficial {
                official: official("head", true),
            },
        )
        .unwrap();
        assert_eq!(
            state
                .official(&OfficialId::parse("head").unwrap())
                .unwrap()
                .official
                .name,
            "Айгүл Серікқызы Әбенова"
        );
        assert_eq!(
            code(
                &mut state,
                NameOfficial {
                    official: official("head", false)
                }
            ),
            Err("official_exists".into())
        );
        assert_eq!(
            state.signer_of(&org).unwrap().official.official_id.as_str(),
            "head"
        );
        code(
            &mut state,
            NameOfficial {
                official: official("deputy", true),
            },
        )
        .unwrap();
        assert_eq!(
            state.signer_of(&org).unwrap().official.official_id.as_str(),
            "deputy",
            "one signer"
        );
        let bind = |key: &str, id: &str| BindKey {
            key_id: key.into(),
            official_id: OfficialId::parse(id).unwrap(),
            at: Timestamp::UNIX_EPOCH,
        };
        code(&mut state, bind("key-1", "deputy")).unwrap();
        assert_eq!(
            code(&mut state, bind("key-1", "head")),
            Err("key_bound".into())
        );
        assert_eq!(
            state
                .official_of_key("key-1")
                .unwrap()
                .official
                .official_id
                .as_str(),
            "deputy"
        );
        let leaves = |id: &str| OfficialLeaves {
            official_id: OfficialId::parse(id).unwrap(),
            at: Timestamp::UNIX_EPOCH,
        };
        code(&mut state, leaves("deputy")).unwrap();
        assert_eq!(
            code(&mut state, leaves("deputy")),
            Err("official_left".into())
        );
        assert!(state.signer_of(&org).is_none(), "who left signs nothing");
        assert_eq!(
            code(&mut state, bind("key-2", "deputy")),
            Err("official_left".into())
        );
        let restored = State::from_snapshot(&state.to_snapshot().unwrap()).unwrap();
        assert_eq!(restored.officials(), state.officials());
        assert_eq!(
            restored
                .official_of_key("key-1")
                .map(|o| o.official.official_id.as_str()),
            Some("deputy")
        );
    }
}

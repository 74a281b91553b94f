//! Naming a district: its name and the name of the authority that owns its queue (the
//! district education department), each in Kazakh and Russian, as its documents print them.
//! Journaled, so a document issued again by `kezek verify` names the same authority.

use super::refusal::{Refusal, Violations};
use crate::event::{DistrictNames, Event};
use crate::model::text::is_place_name;
use crate::model::DistrictId;
use crate::state::{Mismatch, State};

/// Longest name, in characters.
const MAX_NAME: usize = 200;

code_enum! {
    /// Why a district is not named.
    pub enum Code {
        /// A name is empty, too long or holds invisible characters.
        InvalidName = "invalid_name",
    }
}

/// Name a district and its authority (creating the district if it is new).
#[derive(Debug, Clone)]
pub struct NameDistrict {
    /// District.
    pub district: DistrictId,
    /// Its names.
    pub names: DistrictNames,
}

impl NameDistrict {
    /// The `district_named` event.
    ///
    /// # Errors
    /// Every name that is empty, too long or not plain visible text.
    pub fn decide(self, _state: &State) -> Result<Vec<Event>, Refusal> {
        let names = self.names.trimmed();
        let mut v = Violations::default();
        for (field, value) in names.fields() {
            if value.is_empty() || value.chars().count() > MAX_NAME || !is_place_name(value) {
                v.add(
                    field,
                    Code::InvalidName.as_str(),
                    "must be 1 to 200 printable characters with at least one letter or digit, none of them invisible (zero-width, direction marks or overrides)",
                );
            }
        }
        v.check()?;
        Ok(vec![Event::DistrictNamed {
            district: self.district,
            names,
        }])
    }
}

/// Applies `district_named`.
pub(crate) fn apply(
    state: &mut State,
    district: &DistrictId,
    names: &DistrictNames,
) -> Result<(), Mismatch> {
    let d = state.district_or_create(district)?;
    state.name_district(d, names.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn names(kk: &str) -> DistrictNames {
        DistrictNames {
            name_kk: kk.into(),
            name_ru: "Алмалинский район".into(),
            authority_kk: "Алмалы ауданының білім бөлімі".into(),
            authority_ru: "Отдел образования Алмалинского района".into(),
        }
    }

    #[test]
    fn a_district_is_named_and_renamed_and_replays_the_same() {
        let mut state = State::new(Policy::kz_2013());
        let d = DistrictId::parse("D1").unwrap();
        let mut events = Vec::new();
        for name in [" Алмалы ", "Алмалы ауданы"] {
            let out = state
                .execute(NameDistrict {
                    district: d.clone(),
                    names: names(name),
                })
                .unwrap();
            events.extend(out);
        }
        let named = |s: &State| {
            let ix = s.district_index(&d).unwrap();
            s.district(ix).unwrap().names.as_deref().cloned().unwrap()
        };
        assert_eq!(named(&state).name_kk, "Алмалы ауданы");
        let mut again = State::new(Policy::kz_2013());
        for (seq, e) in &events {
            again.apply(*seq, e).unwrap();
        }
        assert_eq!(named(&again), named(&state));
    }

    #[test]
    fn every_bad_name_is_named() {
        let state = State::new(Policy::kz_2013());
        let mut bad = names("");
        bad.authority_ru = "a\u{202e}b".into();
        let Err(Refusal::Invalid(violations)) = (NameDistrict {
            district: DistrictId::parse("D1").unwrap(),
            names: bad,
        })
        .decide(&state) else {
            panic!("refused as invalid")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name_kk", "authority_ru"]);
    }
}

//! Registrations — nearly every record of a city — sealed and opened without a JSON tree in
//! between: the sealed form [`super::seal`] gives (the child's IIN, name, birth date and the
//! e-mail under the child's key, the applicant's and the representative's under theirs, the
//! cohort beside the birth date) and [`super::open`] reads, written and read straight from
//! the typed record. A city import seals a million of them and a start opens them all: the
//! tree cost about 10 µs a record each way.
//!
//! Both functions take the record apart field by field with no `..`, so a field added to
//! [`Registration`] does not compile here until it is carried.

use super::{
    marked, open_text, opened, seal_text, Keyring, OpenError, Opened, Opener, PERSON, SEALED,
};
use crate::event::{Person, Registration, Representative};
use crate::model::{
    ApplicationId, Category, Channel, ClaimStatus, Cutoff, DistrictId, Document, Iin,
    KindergartenId, Language,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The child's values: sealed together under the child's key.
#[derive(Serialize)]
struct ChildBlob<'a> {
    iin: &'a Iin,
    name: &'a str,
    birth_date: &'a jiff::civil::Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

/// The applicant's values: sealed together under the applicant's key.
#[derive(Serialize)]
struct PersonBlob<'a> {
    iin: &'a Iin,
    name: &'a str,
}

/// The representative's values: sealed together under the representative's key.
#[derive(Serialize)]
struct RepresentativeBlob<'a> {
    iin: &'a Iin,
    power_of_attorney: &'a str,
}

/// A sealed registration as journaled: the event's tag first (as the event's own encoding
/// has it), then its fields — each person's as one sealed value.
#[derive(Serialize)]
struct Out<'a> {
    kind: &'static str,
    application_id: &'a ApplicationId,
    child: Value,
    birth_cohort: i16,
    applicant: Option<Value>,
    representative: Option<Value>,
    district: &'a DistrictId,
    language: &'a Language,
    preferences: &'a [KindergartenId],
    category: &'a Option<Category>,
    claim: &'a ClaimStatus,
    documents: &'a [Document],
    channel: &'a Channel,
    registered_at: &'a Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    together_with: Option<&'a ApplicationId>,
}

/// `blob` sealed as `person`'s values together.
fn person_value(blob: &impl Serialize, person: &Iin, keys: &mut dyn Keyring) -> Value {
    // A struct of strings: serialising it cannot fail.
    let plain = serde_json::to_vec(blob).unwrap_or_default();
    marked(PERSON, seal_text(&plain, person, keys))
}

/// `r` as journaled with its personal values sealed (canonical JSON, the tag first): each
/// person's together, one cipher each — the child's IIN, name, birth date and e-mail, the
/// applicant's IIN and name, the representative's IIN and power of attorney — with the
/// child's birth cohort in the clear.
#[must_use]
pub fn seal(r: &Registration, cutoff: Cutoff, keys: &mut dyn Keyring) -> Vec<u8> {
    let Registration {
        application_id,
        child,
        birth_date,
        applicant,
        email,
        representative,
        district,
        language,
        preferences,
        category,
        claim,
        documents,
        channel,
        registered_at,
        together_with,
    } = r;
    let child_blob = ChildBlob {
        iin: &child.iin,
        name: &child.name,
        birth_date,
        email: email.as_deref(),
    };
    let out = Out {
        kind: "registered",
        application_id,
        child: person_value(&child_blob, &child.iin, keys),
        birth_cohort: cutoff.cohort_of(*birth_date),
        applicant: applicant.as_ref().map(|p| {
            let blob = PersonBlob {
                iin: &p.iin,
                name: &p.name,
            };
            person_value(&blob, &p.iin, keys)
        }),
        representative: representative.as_ref().map(|r| {
            let blob = RepresentativeBlob {
                iin: &r.iin,
                power_of_attorney: &r.power_of_attorney,
            };
            person_value(&blob, &r.iin, keys)
        }),
        district,
        language,
        preferences,
        category,
        claim,
        documents,
        channel,
        registered_at,
        together_with: together_with.as_ref(),
    };
    // A struct of strings, codes and values: serialising it cannot fail.
    serde_json::to_vec(&out).unwrap_or_default()
}

/// A value as journaled: in the clear, or sealed on its own.
enum Field {
    Plain(String),
    Sealed(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a sealed value")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(Field::Plain(s.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Field, A::Error> {
                let Some((key, value)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("an empty object"));
                };
                if key != SEALED || map.next_key::<String>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "an object that is not a sealed value",
                    ));
                }
                Ok(Field::Sealed(value))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A person as journaled: their values sealed together, or each in the clear or sealed on
/// its own (the generic sealing's form, and a journal that seals nothing).
#[derive(Deserialize)]
struct PersonIn {
    #[serde(rename = "$person")]
    together: Option<String>,
    iin: Option<Field>,
    name: Option<Field>,
    power_of_attorney: Option<Field>,
}

/// A person's values sealed together, opened.
#[derive(Deserialize, Default)]
struct Together {
    iin: Option<Iin>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    power_of_attorney: String,
    birth_date: Option<jiff::civil::Date>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct In {
    application_id: ApplicationId,
    child: PersonIn,
    birth_date: Option<Field>,
    birth_cohort: Option<i16>,
    applicant: Option<PersonIn>,
    #[serde(default)]
    email: Option<Field>,
    representative: Option<PersonIn>,
    district: DistrictId,
    language: Language,
    preferences: Vec<KindergartenId>,
    category: Option<Category>,
    claim: ClaimStatus,
    documents: Vec<Document>,
    channel: Channel,
    registered_at: Timestamp,
    #[serde(default)]
    together_with: Option<ApplicationId>,
}

/// Why a sealed registration does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not a registration.
    #[error("{0}")]
    Shape(String),
    /// A sealed value that does not open.
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// The text `f` holds (opened), `None` where its person is erased.
fn text(f: Field, field: &str, keys: &dyn Opener) -> Result<Option<String>, ReadError> {
    match f {
        Field::Plain(s) => Ok(Some(s)),
        Field::Sealed(s) => match opened(&s, Some(field), keys)? {
            Value::String(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            other => Err(ReadError::Shape(format!("{field} opens to {other}"))),
        },
    }
}

fn iin(f: Field, keys: &dyn Opener) -> Result<Iin, ReadError> {
    let s = text(f, "iin", keys)?.unwrap_or_default();
    Iin::parse(&s).map_err(|e| ReadError::Shape(format!("iin: {e}")))
}

/// A person as journaled, opened: their values (an erased person's stand-in IIN and nothing
/// else).
fn person(p: PersonIn, keys: &dyn Opener) -> Result<Together, ReadError> {
    if let Some(s) = p.together {
        return match open_text(&s, keys)? {
            Opened::Plain(plain) => serde_json::from_slice(&plain).map_err(|_| {
                ReadError::Open(OpenError::Tampered(
                    s.split(':').next().unwrap_or_default().to_owned(),
                ))
            }),
            Opened::Erased(stand_in) => Ok(Together {
                iin: Some(stand_in),
                ..Together::default()
            }),
        };
    }
    let opt = |f: Option<Field>, field: &str| -> Result<String, ReadError> {
        Ok(match f {
            Some(f) => text(f, field, keys)?.unwrap_or_default(),
            None => String::new(),
        })
    };
    Ok(Together {
        iin: Some(iin(
            p.iin
                .ok_or_else(|| ReadError::Shape("a person without an IIN".into()))?,
            keys,
        )?),
        name: opt(p.name, "name")?,
        power_of_attorney: opt(p.power_of_attorney, "power_of_attorney")?,
        birth_date: None,
        email: None,
    })
}

/// The registration `payload` (as [`seal`] writes it, as the generic sealing does, or in
/// the clear) holds, its sealed values opened with `keys` — an erased person's as
/// [`super::open`] gives them: the stand-in IIN, no name, the cohort's day for a birth date,
/// no e-mail.
///
/// # Errors
/// Not a registration; a sealed value that does not open.
pub fn open(payload: &[u8], cutoff: Cutoff, keys: &dyn Opener) -> Result<Registration, ReadError> {
    let In {
        application_id,
        child,
        birth_date,
        birth_cohort,
        applicant,
        email,
        representative,
        district,
        language,
        preferences,
        category,
        claim,
        documents,
        channel,
        registered_at,
        together_with,
    } = serde_json::from_slice(payload).map_err(|e| ReadError::Shape(e.to_string()))?;
    let child = person(child, keys)?;
    let birth_date = match (child.birth_date, birth_date) {
        (Some(d), _) => d,
        (None, Some(f)) => match text(f, "birth_date", keys)? {
            Some(d) => d
                .parse()
                .map_err(|e| ReadError::Shape(format!("birth_date: {e}")))?,
            None => cohort_day(cutoff, birth_cohort)?,
        },
        (None, None) => cohort_day(cutoff, birth_cohort)?,
    };
    let email = match (child.email.clone(), email) {
        (Some(e), _) => Some(e),
        (None, Some(f)) => text(f, "email", keys)?,
        (None, None) => None,
    };
    let who = |t: &Together| {
        t.iin
            .ok_or_else(|| ReadError::Shape("a person without an IIN".into()))
    };
    let applicant = applicant.map(|p| person(p, keys)).transpose()?;
    let representative = representative.map(|p| person(p, keys)).transpose()?;
    Ok(Registration {
        application_id,
        child: Person {
            iin: who(&child)?,
            name: child.name,
        },
        birth_date,
        applicant: applicant
            .map(|t| -> Result<Person, ReadError> {
                Ok(Person {
                    iin: who(&t)?,
                    name: t.name,
                })
            })
            .transpose()?,
        email,
        representative: representative
            .map(|t| -> Result<Representative, ReadError> {
                Ok(Representative {
                    iin: who(&t)?,
                    power_of_attorney: t.power_of_attorney,
                })
            })
            .transpose()?,
        district,
        language,
        preferences,
        category,
        claim,
        documents,
        channel,
        registered_at,
        together_with,
    })
}

/// The cut-off day of the cohort a record keeps in the clear.
fn cohort_day(cutoff: Cutoff, cohort: Option<i16>) -> Result<jiff::civil::Date, ReadError> {
    cohort
        .map(|c| cutoff.in_year(c))
        .ok_or_else(|| ReadError::Shape("neither a birth date nor a cohort".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use std::collections::BTreeMap;

    const CUTOFF: Cutoff = Cutoff { month: 9, day: 1 };

    use super::super::tests::{Keys, Ring};

    /// A registration with every field there is set.
    fn full() -> Registration {
        let iin = |y, n| Iin::compose(jiff::civil::date(y, 5, 15), n % 2 == 0, n).unwrap();
        Registration {
            application_id: ApplicationId::parse("A-1").unwrap(),
            child: Person {
                iin: iin(2021, 7),
                name: "Әлия Серікқызы".into(),
            },
            birth_date: "2021-05-15".parse().unwrap(),
            applicant: Some(Person {
                iin: iin(1988, 3),
                name: "Дана".into(),
            }),
            email: Some("dana@example.kz".into()),
            representative: Some(Representative {
                iin: iin(1975, 4),
                power_of_attorney: "N 12-345".into(),
            }),
            district: DistrictId::parse("D1").unwrap(),
            language: Language::Kk,
            preferences: vec![KindergartenId::parse("K1").unwrap()],
            category: Category::parse("large_family"),
            claim: ClaimStatus::Verified,
            documents: vec![Document::ApplicationForm],
            channel: Channel::Portal,
            registered_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            together_with: Some(ApplicationId::parse("A-0").unwrap()),
        }
    }

    /// What the generic way opens `bytes` to.
    fn generic(bytes: &[u8], keys: &Keys) -> Registration {
        let v = super::super::open(serde_json::from_slice(bytes).unwrap(), CUTOFF, keys).unwrap();
        match serde_json::from_value::<Event>(v).unwrap() {
            Event::Registered(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_ways_seal_and_open_alike_with_every_key_and_without_each() {
        let r = full();
        let mut ring = Ring::default();
        let fast = seal(&r, CUTOFF, &mut ring);
        let event = serde_json::to_value(Event::Registered(Box::new(r.clone()))).unwrap();
        let slow = serde_json::to_vec(&super::super::seal("registered", &event, CUTOFF, &mut ring))
            .unwrap();
        assert!(fast.starts_with(br#"{"kind":"registered","#));
        let text = String::from_utf8_lossy(&fast);
        for personal in [
            "Әлия",
            "Дана",
            "dana@",
            "12-345",
            "2021-05-15",
            &r.child.iin.to_string(),
        ] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        let all = Keys(
            ring.0.values().map(|k| (k.id.clone(), k.key)).collect(),
            BTreeMap::new(),
        );
        for bytes in [&fast, &slow] {
            assert_eq!(open(bytes, CUTOFF, &all).unwrap(), r);
            assert_eq!(generic(bytes, &all), r);
        }
        // Each person forgotten in turn: both ways give the same stand-ins.
        for (n, person) in [
            r.child.iin,
            r.applicant.as_ref().unwrap().iin,
            r.representative.as_ref().unwrap().iin,
        ]
        .into_iter()
        .enumerate()
        {
            let id = ring.0[&person].id.clone();
            let mut keys = Keys(all.0.clone(), BTreeMap::new());
            keys.0.remove(&id);
            let (_, stand_in) = super::super::stand_in_from(u64::try_from(n).unwrap()).unwrap();
            keys.1.insert(id, stand_in);
            for bytes in [&fast, &slow] {
                let opened = open(bytes, CUTOFF, &keys).unwrap();
                assert_eq!(opened, generic(bytes, &keys), "person {n}");
                assert_ne!(opened, r);
            }
        }
    }

    #[test]
    fn the_public_journal_names_each_person_by_a_pseudonym_and_replays() {
        let r = full();
        let mut ring = Ring::default();
        let sealed = seal(&r, CUTOFF, &mut ring);
        let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let public = crate::public::redact("registered", &sealed, secret, CUTOFF);
        let text = public.to_string();
        assert!(!text.contains(SEALED) && !text.contains(PERSON), "{text}");
        let child_id = &ring.0[&r.child.iin].id;
        assert_eq!(
            public["child"],
            serde_json::json!({"iin": crate::public::sealed_pseudonym(secret, child_id)})
        );
        let cohort = CUTOFF.cohort_of(r.birth_date);
        assert_eq!(public["birth_cohort"], cohort);
        let mut back = crate::public::Rehydrate::new(CUTOFF);
        let Event::Registered(again) = back.event(public).unwrap() else {
            panic!("a registration")
        };
        assert_eq!(again.preferences, r.preferences);
        assert_eq!(again.birth_date, CUTOFF.in_year(cohort));
        assert!(again.child.name.is_empty() && again.email.is_none());
    }
}

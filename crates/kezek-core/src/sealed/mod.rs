//! Personal data sealed per person, so that it can be forgotten without touching the
//! journal's chain (issue 28, part 5; the store and the service do not use it yet).
//!
//! [`seal`] replaces each personal value of an event's JSON — the values the public journal
//! leaves out ([`crate::public`]), and every IIN — by `{"$sealed": "KEY:NONCE:CIPHERTEXT"}`:
//! the value's JSON encrypted with XChaCha20-Poly1305 under the data key of the person it
//! belongs to (an IIN and the name or power of attorney beside it: that person; any other
//! personal value of the record: the child the record is about). A birth date keeps its
//! cohort in the clear beside it (`birth_cohort`): the queues need it. The record's hash
//! covers the sealed JSON, so deleting a person's key — forgetting the person — changes no
//! record.
//!
//! [`open`] reverses it: with the key, the value as it was; without (the person erased), a
//! stand-in — the IIN the erasure assigned ([`stand_in`]: one of a century no living child
//! is born in, numbered in erasure order, so unique), the cohort's cut-off day for a birth
//! date, nothing for a text (it reads as empty). A person is erased only when nothing still
//! needs them, so the IINs that stay compare as before and every round decides again the
//! same (the property tests erase the children of finished applications in random worlds
//! and re-run every round).
//!
//! The core draws no randomness: the caller's [`Keyring`] makes the keys and the nonces.

use crate::model::{Cutoff, Iin};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::{Map, Value};

pub mod registration;

pub use crate::public::{PERSON, SEALED};

/// The kind of the records that erase a person: they hold nothing to seal.
const ERASED_KIND: &str = "person_erased";

/// A person's data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKey {
    /// Its id (no `:`).
    pub id: String,
    /// The key.
    pub key: [u8; 32],
}

/// What sealing asks of the caller: each person's data key (made at first sight) and fresh
/// nonces.
pub trait Keyring {
    /// The data key of the person with this IIN.
    fn key_for(&mut self, person: &Iin) -> DataKey;
    /// A nonce never used before with any key.
    fn nonce(&mut self) -> [u8; 24];
    /// The child of application `id`: whose key seals a record's other personal values.
    fn child_of(&self, application: &str) -> Option<Iin>;
    /// The applicant of application `id`: whose key seals a correction of their name.
    fn applicant_of(&self, application: &str) -> Option<Iin>;
}

/// What opening asks of the caller: the data keys that still exist, and the stand-in IIN
/// the erasure of each erased person assigned.
pub trait Opener {
    /// The key with this id, unless erased.
    fn key(&self, id: &str) -> Option<[u8; 32]>;
    /// The stand-in IIN of the erased person whose key had this id.
    fn stand_in(&self, id: &str) -> Option<Iin>;
}

/// `payload` (an event of `kind`) with its personal values sealed.
#[must_use]
pub fn seal(kind: &str, payload: &Value, cutoff: Cutoff, keys: &mut dyn Keyring) -> Value {
    let mut v = payload.clone();
    // An erasure names no one: places, a stand-in, a key's id.
    if crate::public::of_rules(kind, &v) || kind == ERASED_KIND {
        return v;
    }
    // A correction of the applicant's name is the applicant's, not the child's: taken out
    // here, sealed under the applicant's key below.
    let applicant = v
        .get("application_id")
        .and_then(Value::as_str)
        .and_then(|id| keys.applicant_of(id));
    let applicant_name = applicant
        .and_then(|_| v.as_object_mut()?.remove("applicant_name"))
        .filter(|n| !n.is_null());
    // The record's subject: the child it names, or the child of its application.
    let iin_at = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .and_then(|s| Iin::parse(s).ok())
    };
    let subject = iin_at("/child/iin")
        .or_else(|| iin_at("/about/child_iin"))
        .or_else(|| {
            v.get("application_id")
                .and_then(Value::as_str)
                .and_then(|id| keys.child_of(id))
        })
        .or_else(|| iin_at("/iin"));
    seal_in(&mut v, (kind, subject), cutoff, keys);
    if let (Some(person), Some(name), Some(map)) = (applicant, applicant_name, v.as_object_mut()) {
        map.insert("applicant_name".into(), sealed(&name, &person, keys));
    }
    v
}

/// Whether `key` of a record of `kind` holds personal data: what the public journal leaves
/// out as personal, and birth dates.
fn personal(kind: &str, key: &str, value: &Value) -> bool {
    key == "birth_date" || crate::public::personal(kind, key, value)
}

fn seal_in(
    v: &mut Value,
    (kind, subject): (&str, Option<Iin>),
    cutoff: Cutoff,
    keys: &mut dyn Keyring,
) {
    match v {
        Value::Object(map) => {
            // An object with an IIN is that person's: its name and power of attorney too.
            let own = ["iin", "child_iin"]
                .iter()
                .find_map(|k| map.get(*k)?.as_str().and_then(|s| Iin::parse(s).ok()));
            let owner = own.or(subject);
            let names: Vec<String> = map.keys().cloned().collect();
            for k in names {
                let personal = map.get(&k).is_some_and(|x| personal(kind, &k, x));
                let Some(value) = map.get_mut(&k) else {
                    continue;
                };
                if personal && !value.is_null() {
                    if let Some(person) = owner {
                        if k == "birth_date" {
                            if let Some(c) = value
                                .as_str()
                                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                            {
                                map.insert("birth_cohort".into(), Value::from(cutoff.cohort_of(c)));
                            }
                        }
                        if let Some(value) = map.get_mut(&k) {
                            *value = sealed(value, &person, keys);
                        }
                        continue;
                    }
                }
                seal_in(value, (kind, owner), cutoff, keys);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| seal_in(x, (kind, subject), cutoff, keys)),
        Value::String(s) => {
            if let Ok(iin) = Iin::parse(s) {
                *v = sealed(v, &iin, keys);
            }
        }
        _ => {}
    }
}

/// `value` sealed under the key of `person`.
pub(crate) fn sealed(value: &Value, person: &Iin, keys: &mut dyn Keyring) -> Value {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    marked(SEALED, seal_text(&plain, person, keys))
}

/// `{marker: text}`.
pub(crate) fn marked(marker: &str, text: String) -> Value {
    let mut m = Map::new();
    m.insert(marker.into(), Value::from(text));
    Value::Object(m)
}

/// `plain` sealed under the key of `person`: `KEY:NONCE:CIPHERTEXT` (base64).
pub(crate) fn seal_text(plain: &[u8], person: &Iin, keys: &mut dyn Keyring) -> String {
    let key = keys.key_for(person);
    let nonce = keys.nonce();
    let cipher = XChaCha20Poly1305::new(&key.key.into());
    // Encrypting a buffer this small cannot fail (the limit is 2^38 bytes).
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: key.id.as_bytes(),
            },
        )
        .unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    format!("{}:{}:{}", key.id, b64.encode(nonce), b64.encode(ct))
}

/// Why a sealed value does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not `KEY:NONCE:CIPHERTEXT`.
    #[error("a sealed value that is not KEY:NONCE:CIPHERTEXT")]
    Malformed,
    /// The key is there and the value does not decrypt under it.
    #[error("a sealed value of key {0} does not open with that key")]
    Tampered(String),
    /// Neither the key nor the erasure's stand-in is known.
    #[error("key {0} is neither held nor erased")]
    Unknown(String),
}

/// `payload` with its sealed values opened, or stand-ins for those of erased persons.
///
/// # Errors
/// A sealed value malformed, not decrypting under its key, or of a key neither held nor
/// erased.
pub fn open(payload: Value, cutoff: Cutoff, keys: &dyn Opener) -> Result<Value, OpenError> {
    let mut v = payload;
    open_in(&mut v, None, cutoff, keys)?;
    Ok(v)
}

fn open_in(
    v: &mut Value,
    field: Option<&str>,
    cutoff: Cutoff,
    keys: &dyn Opener,
) -> Result<(), OpenError> {
    match v {
        Value::Object(map) => {
            if let Some(s) = map
                .get(SEALED)
                .and_then(Value::as_str)
                .filter(|_| map.len() == 1)
            {
                *v = opened(s, field, keys)?;
                return Ok(());
            }
            let cohort = map.remove("birth_cohort");
            let persons: Vec<(String, String)> = map
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), crate::public::person_text(v)?.to_owned())))
                .collect();
            for (k, text) in persons {
                let person = open_person(&text, map, keys)?;
                map.insert(k, person);
            }
            let names: Vec<String> = map.keys().cloned().collect();
            for k in names {
                let erased = {
                    let Some(value) = map.get_mut(&k) else {
                        continue;
                    };
                    open_in(value, Some(&k), cutoff, keys)?;
                    value.is_null() && is_sealed_erasure(&k)
                };
                if erased {
                    map.remove(&k);
                }
            }
            match (map.get("birth_date"), cohort) {
                (Some(_), _) | (None, None) => {}
                (None, Some(c)) => {
                    let year = c.as_i64().and_then(|y| i16::try_from(y).ok()).unwrap_or(0);
                    map.insert(
                        "birth_date".into(),
                        Value::from(cutoff.in_year(year).to_string()),
                    );
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for x in items {
                open_in(x, field, cutoff, keys)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A personal key whose erased value is left out (it reads as empty, or as its cohort's
/// day for a birth date).
fn is_sealed_erasure(field: &str) -> bool {
    matches!(field, "birth_date" | "grounds") || crate::public::PERSONAL.contains(&field)
}

/// What a sealed text holds: its bytes, or — its person erased — their stand-in IIN.
pub(crate) enum Opened {
    /// The plaintext.
    Plain(Vec<u8>),
    /// The stand-in IIN of the erased person.
    Erased(Iin),
}

/// Opens `s` (`KEY:NONCE:CIPHERTEXT`).
pub(crate) fn open_text(s: &str, keys: &dyn Opener) -> Result<Opened, OpenError> {
    let mut parts = s.splitn(3, ':');
    let (Some(id), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(OpenError::Malformed);
    };
    let Some(key) = keys.key(id) else {
        return keys
            .stand_in(id)
            .map(Opened::Erased)
            .ok_or_else(|| OpenError::Unknown(id.to_owned()));
    };
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let (Ok(nonce), Ok(ct)) = (b64.decode(nonce), b64.decode(ct)) else {
        return Err(OpenError::Malformed);
    };
    if nonce.len() != 24 {
        return Err(OpenError::Malformed);
    }
    let cipher = XChaCha20Poly1305::new(&key.into());
    cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ct,
                aad: id.as_bytes(),
            },
        )
        .map(Opened::Plain)
        .map_err(|_| OpenError::Tampered(id.to_owned()))
}

/// The value `s` (`KEY:NONCE:CIPHERTEXT`) seals, or its erasure's stand-in: the IIN the
/// erasure assigned (for an IIN), null for anything else.
pub(crate) fn opened(s: &str, field: Option<&str>, keys: &dyn Opener) -> Result<Value, OpenError> {
    match open_text(s, keys)? {
        Opened::Plain(plain) => serde_json::from_slice(&plain)
            .map_err(|_| OpenError::Tampered(s.split(':').next().unwrap_or_default().to_owned())),
        // Erased: an IIN stands in; whatever else was there reads as absent.
        Opened::Erased(_) if field.is_some_and(is_sealed_erasure) => Ok(Value::Null),
        Opened::Erased(iin) => Ok(Value::from(iin.to_string())),
    }
}

/// A person's values sealed together (`{"$person": …}`) opened: the object, with the values
/// about them the record keeps beside it (a birth date, an e-mail) moved back there; or, the
/// person erased, `{"iin": stand-in}`.
fn open_person(
    s: &str,
    map: &mut Map<String, Value>,
    keys: &dyn Opener,
) -> Result<Value, OpenError> {
    let id = || s.split(':').next().unwrap_or_default().to_owned();
    let mut person: Map<String, Value> = match open_text(s, keys)? {
        Opened::Plain(plain) => {
            serde_json::from_slice(&plain).map_err(|_| OpenError::Tampered(id()))?
        }
        Opened::Erased(iin) => {
            let mut m = Map::new();
            m.insert("iin".into(), Value::from(iin.to_string()));
            m
        }
    };
    for beside in ["birth_date", "email"] {
        if let Some(v) = person.remove(beside) {
            map.insert(beside.into(), v);
        }
    }
    Ok(Value::Object(person))
}

pub use crate::public::stand_in_from;

/// The ids of the keys `payload`'s sealed values are sealed under, each once, in order of
/// first appearance.
#[must_use]
pub fn key_ids(payload: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(s) = map
                    .get(SEALED)
                    .or_else(|| map.get(PERSON))
                    .and_then(Value::as_str)
                {
                    if let Some(id) = s.split(':').next() {
                        if !out.iter().any(|x| x == id) {
                            out.push(id.to_owned());
                        }
                    }
                    return;
                }
                map.values().for_each(|x| walk(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(payload, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const CUTOFF: Cutoff = Cutoff { month: 9, day: 1 };

    /// Keys made in order (`k0`, `k1`, …), nonces counted: a keyring the tests can foresee.
    #[derive(Default)]
    pub(super) struct Ring(pub(super) BTreeMap<Iin, DataKey>, pub(super) u8);

    impl Keyring for Ring {
        fn key_for(&mut self, person: &Iin) -> DataKey {
            let n = u8::try_from(self.0.len()).unwrap();
            self.0
                .entry(*person)
                .or_insert_with(|| DataKey {
                    id: format!("k{n}"),
                    key: [n + 1; 32],
                })
                .clone()
        }
        fn nonce(&mut self) -> [u8; 24] {
            self.1 += 1;
            [self.1; 24]
        }
        fn child_of(&self, _: &str) -> Option<Iin> {
            None
        }
        fn applicant_of(&self, _: &str) -> Option<Iin> {
            None
        }
    }

    /// Held keys by id, and erased ones' stand-ins.
    pub(super) struct Keys(
        pub(super) BTreeMap<String, [u8; 32]>,
        pub(super) BTreeMap<String, Iin>,
    );

    impl Opener for Keys {
        fn key(&self, id: &str) -> Option<[u8; 32]> {
            self.0.get(id).copied()
        }
        fn stand_in(&self, id: &str) -> Option<Iin> {
            self.1.get(id).copied()
        }
    }

    fn registration() -> Value {
        serde_json::json!({"kind": "registered", "application_id": "A1",
            "child": {"iin": "210821548976", "name": "Aruzhan"}, "birth_date": "2021-08-21",
            "applicant": {"iin": "880101300123", "name": "Dana"}, "email": "dana@example.kz"})
    }

    #[test]
    fn sealed_values_open_with_their_keys_and_stand_in_without() {
        let mut ring = Ring::default();
        let sealed = seal("registered", &registration(), CUTOFF, &mut ring);
        let text = sealed.to_string();
        for personal in [
            "210821548976",
            "Aruzhan",
            "880101300123",
            "Dana",
            "dana@",
            "2021-08-21",
        ] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        assert_eq!(sealed["birth_cohort"], 2021);
        let all = Keys(
            ring.0.values().map(|k| (k.id.clone(), k.key)).collect(),
            BTreeMap::new(),
        );
        assert_eq!(open(sealed.clone(), CUTOFF, &all).unwrap(), registration());
        // The child forgotten: a stand-in IIN, its name and the record's other personal
        // values gone, the birth date its cohort's day; the parent, kept, reads as before.
        let child = ring.0[&Iin::parse("210821548976").unwrap()].id.clone();
        let (_, stand_in) = stand_in_from(0).unwrap();
        let mut keys = all;
        keys.0.remove(&child);
        keys.1.insert(child, stand_in);
        let v = open(sealed.clone(), CUTOFF, &keys).unwrap();
        assert_eq!(v["child"], serde_json::json!({"iin": stand_in.to_string()}));
        assert_eq!(v["birth_date"], "2021-09-01");
        assert!(v.get("email").is_none());
        assert_eq!(v["applicant"]["name"], "Dana");
        // A key neither held nor erased, and a changed ciphertext, are errors.
        keys.1.clear();
        assert!(matches!(
            open(sealed.clone(), CUTOFF, &keys),
            Err(OpenError::Unknown(_))
        ));
        let mut changed = sealed;
        let s = changed["applicant"]["name"][SEALED]
            .as_str()
            .unwrap()
            .to_owned();
        // One base64 digit in the middle of the ciphertext changed.
        let mut bytes = s.into_bytes();
        let at = bytes.len() - 10;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        changed["applicant"]["name"][SEALED] = Value::from(flipped);
        let keys = Keys(
            ring.0.values().map(|k| (k.id.clone(), k.key)).collect(),
            BTreeMap::new(),
        );
        assert!(matches!(
            open(changed, CUTOFF, &keys),
            Err(OpenError::Tampered(_))
        ));
    }

    #[test]
    fn codes_stay_and_rules_are_nobodys() {
        let mut ring = Ring::default();
        let lapse = serde_json::json!({"kind": "referral_lapsed", "reason": "not_confirmed",
            "grounds": "the mother of 210821548976 said so", "iin": "210821548976"});
        let v = seal("referral_lapsed", &lapse, CUTOFF, &mut ring);
        assert_eq!(v["reason"], "not_confirmed");
        assert!(v["grounds"].get(SEALED).is_some());
        let policy =
            serde_json::json!({"kind": "policy_adopted", "text": "name = 'kz'", "name": "kz"});
        assert_eq!(seal("policy_adopted", &policy, CUTOFF, &mut ring), policy);
    }

    #[test]
    fn stand_ins_are_each_their_own_and_of_no_living_child() {
        let mut seen = std::collections::HashSet::new();
        let mut next = 0;
        for _ in 0..30_000 {
            let (n, iin) = stand_in_from(next).unwrap();
            assert!(iin.birth_date().year() < 1900);
            assert!(seen.insert(iin));
            next = n + 1;
        }
    }
}

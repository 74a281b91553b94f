//! The public journal's two directions, pure: taking the personal data out of an event's JSON
//! ([`redact`]) and putting stand-ins back so the public journal replays ([`Rehydrate`]).
//!
//! [`redact`] turns every string that reads as an IIN into a pseudonym — `P` and 16 hex
//! digits of HMAC-SHA256 under the installation's secret, the same for one person always —,
//! drops names, addresses, e-mail, free text (reasons, notes, complaints), powers of
//! attorney, case forms and certificates, and turns birth dates into birth cohorts. Codes,
//! tiers, times, preferences, seats and rounds stay.
//!
//! [`Rehydrate`] is its inverse up to what decides nothing: each pseudonym gets a stand-in
//! IIN of its own (the same one each time it appears), each cohort the cut-off day of that
//! cohort, each dropped text an empty one. The queues only compare IINs for equality
//! (one child, one family) and place a child by its cohort (the cut-off cannot change: a
//! policy that changes it is refused), so a state replayed from the public records orders
//! every queue and decides every round as the private one did — what `kezek verify --public`
//! checks, and what the property tests check against random worlds.

use crate::model::{Cutoff, Iin};
use crate::Event;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Keys whose values are personal data or free text about a person (the sealing's too,
/// `crate::sealed`).
pub(crate) const PERSONAL: &[&str] = &[
    "name",
    "child_name",
    "applicant_name",
    "email",
    "address",
    "text",
    "note",
    "reason",
    "reasons",
    "comment",
    "message",
    "power_of_attorney",
    "form",
    "basis",
];

/// Keys the public journal drops besides: certificates, officials' positions, the secret.
const TECHNICAL: &[&str] = &[
    "chain_pem",
    "subject",
    "issuer",
    "serial",
    "secret",
    "position_kk",
    "position_ru",
    "data_key",
];

/// Whether `key` of a record of `kind` holds personal data or free text, not a code.
pub(crate) fn personal(kind: &str, key: &str, value: &Value) -> bool {
    match key {
        // Why a referral lapsed, why a child left: codes the state acts on.
        "reason" => !matches!(kind, "referral_lapsed" | "child_left" | "person_erased"),
        // A refusal's grounds are codes; a kindergarten's grounds not to admit are text.
        "grounds" => value.is_string() || sealed_key(value).is_some(),
        _ => PERSONAL.contains(&key),
    }
}

/// Whether `key` of a record of `kind` stays in the public journal (outside records of rules
/// and places, which keep everything but the secret).
fn kept(kind: &str, key: &str, value: &Value) -> bool {
    !personal(kind, key, value) && !TECHNICAL.contains(&key)
}

/// The pseudonym of `iin` under `secret` (hex).
#[must_use]
pub fn pseudonym(secret: &str, iin: &str) -> String {
    let key = hex_bytes(secret);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(iin.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(17);
    out.push('P');
    for b in digest.iter().take(8) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The key of a sealed value (`crate::sealed`).
pub const SEALED: &str = "$sealed";

/// The key of a person's values sealed together (`crate::sealed::registration`): the object
/// that names them, with what the record says of them besides.
pub const PERSON: &str = "$person";

/// The sealed text of a person's values sealed together.
pub(crate) fn person_text(value: &Value) -> Option<&str> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    map.get(PERSON)?.as_str()
}

/// The pseudonym of the person whose data key has id `key_id` (a journal that seals: the
/// IIN is not there to be read, and must not be — the person's key id stands for it, the
/// same in every record, and says nothing once the key is erased).
#[must_use]
pub fn sealed_pseudonym(secret: &str, key_id: &str) -> String {
    pseudonym(secret, &format!("key:{key_id}"))
}

/// The key id of a sealed value (`{"$sealed": "KEY:NONCE:CIPHERTEXT"}`).
pub(crate) fn sealed_key(value: &Value) -> Option<&str> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    map.get(SEALED)?.as_str()?.split(':').next()
}

/// The bytes of a hex string (what does not read as hex is left out).
fn hex_bytes(s: &str) -> Vec<u8> {
    s.as_bytes()
        .chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

/// The 64 bits a pseudonym stands for, if `s` is one.
fn pseudonym_bits(s: &str) -> Option<u64> {
    let hex = s.strip_prefix('P')?;
    if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Whether a record of `kind` is made of rules or places — the policy, the services'
/// definitions, the kindergartens and districts: its texts are nobody's.
pub(crate) fn of_rules(kind: &str, v: &Value) -> bool {
    matches!(
        kind,
        "policy_adopted" | "kindergarten_upserted" | "district_named"
    ) || (kind == "extension"
        && v.pointer("/record/kind")
            .and_then(Value::as_str)
            .is_some_and(|k| {
                matches!(
                    k,
                    "definitions_adopted" | "calendar_adopted" | "organisation_set"
                )
            }))
}

/// What a public record says of a private one's payload: `kind`'s payload with the personal
/// data taken out (the policy's and the services' own texts, and the kindergartens' and
/// districts' names and addresses, kept).
#[must_use]
pub fn redact(kind: &str, payload: &[u8], secret: &str, cutoff: Cutoff) -> Value {
    let Ok(mut v) = serde_json::from_slice::<Value>(payload) else {
        return Value::Null;
    };
    // What rules and places are made of stays: the policy's text, the services'
    // definitions, the kindergartens and districts.
    let rules = of_rules(kind, &v);
    walk(&mut v, kind, secret, cutoff, rules);
    v
}

fn walk(v: &mut Value, kind: &str, secret: &str, cutoff: Cutoff, rules: bool) {
    // A sealed value where a personal one would have been dropped is an IIN (only IINs and
    // personal values are sealed): its person's pseudonym.
    if let Some(id) = sealed_key(v) {
        *v = Value::from(sealed_pseudonym(secret, id));
        return;
    }
    // A person's values sealed together: the person, by pseudonym; the rest is theirs.
    if let Some(id) = person_text(v).and_then(|t| t.split(':').next()) {
        let mut m = serde_json::Map::new();
        m.insert("iin".into(), Value::from(sealed_pseudonym(secret, id)));
        *v = Value::Object(m);
        return;
    }
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let keep = k != "secret"
                    && (rules || map.get(&k).is_some_and(|value| kept(kind, &k, value)));
                if !keep {
                    map.remove(&k);
                    continue;
                }
                if k == "birth_date" {
                    // Sealed, its cohort is beside it already.
                    let cohort = map
                        .remove(&k)
                        .and_then(|d| d.as_str()?.parse::<jiff::civil::Date>().ok())
                        .map(|d| cutoff.cohort_of(d));
                    if let Some(c) = cohort {
                        map.insert("birth_cohort".into(), Value::from(c));
                    }
                    continue;
                }
                if let Some(inner) = map.get_mut(&k) {
                    walk(inner, kind, secret, cutoff, rules);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| walk(x, kind, secret, cutoff, rules)),
        Value::String(s) => {
            if Iin::parse(s).is_ok() {
                *s = pseudonym(secret, s);
            } else if s.contains("-----BEGIN") {
                s.clear();
            }
        }
        _ => {}
    }
}

/// Puts stand-ins back into public records, in order, so that they decode as events and
/// replay: one stand-in IIN per pseudonym, the cut-off day for a cohort.
#[derive(Debug, Clone)]
pub struct Rehydrate {
    cutoff: Cutoff,
    persons: HashMap<u64, Iin>,
    /// The next stand-in's number.
    next: u64,
}

impl Rehydrate {
    /// Stand-ins under the policy's cut-off.
    #[must_use]
    pub fn new(cutoff: Cutoff) -> Self {
        Self {
            cutoff,
            persons: HashMap::new(),
            next: 0,
        }
    }

    /// The event a public record's payload stands for.
    ///
    /// # Errors
    /// The payload does not read as an event once the stand-ins are in (named by serde).
    pub fn event(&mut self, mut payload: Value) -> Result<Event, String> {
        self.fill(&mut payload);
        serde_json::from_value(payload).map_err(|e| e.to_string())
    }

    /// How many persons the records named so far.
    #[must_use]
    pub fn persons(&self) -> usize {
        self.persons.len()
    }

    /// The stand-in IIN of `pseudonym`, if the records named it.
    #[must_use]
    pub fn stand_in(&self, pseudonym: &str) -> Option<Iin> {
        self.persons.get(&pseudonym_bits(pseudonym)?).copied()
    }

    fn fill(&mut self, v: &mut Value) {
        match v {
            Value::Object(map) => {
                if let Some(c) = map.remove("birth_cohort") {
                    let year = c.as_i64().and_then(|y| i16::try_from(y).ok()).unwrap_or(0);
                    map.insert(
                        "birth_date".into(),
                        Value::from(self.cutoff.in_year(year).to_string()),
                    );
                }
                map.values_mut().for_each(|x| self.fill(x));
            }
            Value::Array(items) => items.iter_mut().for_each(|x| self.fill(x)),
            Value::String(s) => {
                if let Some(bits) = pseudonym_bits(s) {
                    *s = self.iin_for(bits).to_string();
                }
            }
            _ => {}
        }
    }

    /// The stand-in IIN of the person `bits` names: the next free one at its first sight.
    fn iin_for(&mut self, bits: u64) -> Iin {
        if let Some(iin) = self.persons.get(&bits) {
            return *iin;
        }
        // Past 7·10⁸ persons the stand-ins run out; the count starts again (never reached:
        // a city has a few million).
        let (n, iin) = stand_in_from(self.next)
            .or_else(|| stand_in_from(0))
            .unwrap_or_else(|| unreachable!("the first numbers have stand-ins"));
        self.next = n + 1;
        self.persons.insert(bits, iin);
        iin
    }
}

/// The first stand-in IIN from number `n` on, and its number: born in the 1800s, which no
/// child in a queue is, 20,000 numbers a day (a number whose control digit does not exist is
/// passed over). An erasure (or the public journal's replay, a person at a time) takes the first after
/// the last one taken, so each is its own.
#[must_use]
pub fn stand_in_from(n: u64) -> Option<(u64, Iin)> {
    (n..).take(100).find_map(|k| {
        let day = jiff::civil::date(1800, 1, 1)
            .checked_add(jiff::Span::new().days(i64::try_from(k / 20_000).ok()?))
            .ok()
            .filter(|d| d.year() < 1900)?;
        let serial = u16::try_from(k % 10_000).ok()?;
        Iin::compose(day, k / 10_000 % 2 == 1, serial).map(|iin| (k, iin))
    })
}

/// The number [`stand_in_from`] gave `iin`, if it is a stand-in.
#[must_use]
pub fn stand_in_number(iin: &Iin) -> Option<u64> {
    if !iin.is_stand_in() {
        return None;
    }
    let days = jiff::civil::date(1800, 1, 1)
        .until(iin.birth_date())
        .ok()?
        .get_days();
    let days = u64::try_from(days).ok()?;
    Some(days * 20_000 + u64::from(iin.female()) * 10_000 + u64::from(iin.serial()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_ins_number_is_the_one_it_was_made_from() {
        let mut next = 0;
        for _ in 0..50_000 {
            let (n, iin) = stand_in_from(next).unwrap();
            assert_eq!(stand_in_number(&iin), Some(n), "{iin}");
            next = n + 1;
        }
        assert_eq!(stand_in_number(&Iin::parse("210821548976").unwrap()), None);
    }

    const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const CUTOFF: Cutoff = Cutoff { month: 9, day: 1 };

    #[test]
    fn a_pseudonym_is_stable_and_keyed() {
        let a = pseudonym(SECRET, "210821548976");
        assert_eq!(a, pseudonym(SECRET, "210821548976"));
        assert_eq!(a.len(), 17);
        assert!(pseudonym_bits(&a).is_some());
        assert_ne!(a, pseudonym(SECRET, "220610571995"));
        assert_ne!(a, pseudonym(&SECRET.replace('0', "1"), "210821548976"));
    }

    #[test]
    fn redaction_keeps_codes_and_drops_text() {
        let lapse = br#"{"kind":"referral_lapsed","reason":"not_confirmed","grounds":"the mother said so","referral_id":"R1"}"#;
        let v = redact("referral_lapsed", lapse, SECRET, CUTOFF);
        assert_eq!(v["reason"], "not_confirmed");
        assert!(v.get("grounds").is_none());
        let decided =
            br#"{"kind":"claim_decided","reason":"certificate 12 of Aliya","verified":true}"#;
        let v = redact("claim_decided", decided, SECRET, CUTOFF);
        assert!(v.get("reason").is_none());
        let place = br#"{"kind":"kindergarten_upserted","name":"Balapan","address":"Abay 1"}"#;
        assert_eq!(
            redact("kindergarten_upserted", place, SECRET, CUTOFF)["name"],
            "Balapan"
        );
    }

    #[test]
    fn stand_ins_are_one_per_person_and_valid() {
        let mut r = Rehydrate::new(CUTOFF);
        let people: Vec<String> = (0..50_000)
            .map(|i| pseudonym(SECRET, &format!("{i}")))
            .collect();
        let iins: Vec<Iin> = people
            .iter()
            .map(|p| {
                let mut v = Value::from(p.as_str());
                r.fill(&mut v);
                Iin::parse(v.as_str().unwrap()).unwrap()
            })
            .collect();
        let distinct: std::collections::HashSet<_> = iins.iter().collect();
        assert_eq!(distinct.len(), people.len());
        assert_eq!(r.stand_in(&people[7]), Some(iins[7]));
        let mut v = serde_json::json!({"birth_cohort": 2022});
        r.fill(&mut v);
        assert_eq!(v["birth_date"], "2022-09-01");
        assert_eq!(CUTOFF.cohort_of("2022-09-01".parse().unwrap()), 2022);
    }
}

//! Persons' data keys as a journal keeps them, and the opening of its sealed records
//! (`kezek_core::sealed`).
//!
//! The `person_keys` table (outside the chain) holds, per key id (16 hex digits), either the
//! key and the person it belongs to — 32 bytes of key, then the IIN's 12 digits — or, once
//! the person is erased, a tombstone: `erased:` and the stand-in IIN the erasure assigned.
//! A record sealed under a held key opens to what was written; one under an erased key opens
//! to the stand-ins ([`kezek_core::sealed::open`]).

use crate::record::{Hash, StoredEvent};
use crate::{EventLog, StoreError};
use hashbrown::HashTable;
use kezek_core::model::{Cutoff, Iin, Seq};
use kezek_core::sealed::{self, Opener};
use kezek_core::Event;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// What a tombstone's body starts with.
const ERASED: &[u8] = b"erased:";

/// One row of the `person_keys` table, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRow {
    /// A person's key.
    Held {
        /// The key.
        key: [u8; 32],
        /// Whose.
        person: Iin,
    },
    /// An erased person's stand-in.
    Erased {
        /// The stand-in IIN.
        stand_in: Iin,
    },
}

impl KeyRow {
    /// The row's stored body.
    #[must_use]
    pub fn body(&self) -> Vec<u8> {
        match self {
            Self::Held { key, person } => {
                let mut b = key.to_vec();
                b.extend_from_slice(person.to_string().as_bytes());
                b
            }
            Self::Erased { stand_in } => {
                let mut b = ERASED.to_vec();
                b.extend_from_slice(stand_in.to_string().as_bytes());
                b
            }
        }
    }

    /// A stored body read, `None` when it is neither form.
    #[must_use]
    pub fn parse(body: &[u8]) -> Option<Self> {
        let iin = |b: &[u8]| Iin::parse(std::str::from_utf8(b).ok()?).ok();
        if let Some(rest) = body.strip_prefix(ERASED) {
            return Some(Self::Erased {
                stand_in: iin(rest)?,
            });
        }
        let (key, person) = (body.get(..32)?, body.get(32..)?);
        Some(Self::Held {
            key: key.try_into().ok()?,
            person: iin(person)?,
        })
    }
}

/// A key id's number: 16 hex digits.
#[must_use]
pub fn id_number(id: &str) -> Option<u64> {
    if id.len() != 16 {
        return None;
    }
    u64::from_str_radix(id, 16).ok()
}

/// A key id from its number.
#[must_use]
pub fn id_text(n: u64) -> String {
    format!("{n:016x}")
}

/// A held key: its id, the key, whose.
#[derive(Debug, Clone, Copy)]
struct Held {
    id: u64,
    key: [u8; 32],
    person: Iin,
}

/// A journal's keys in memory: by id (to open), by person (to seal), and the erased ones'
/// stand-ins. The keys lie side by side, found through two tables of their places (the
/// place, 4 bytes, and hashbrown's control byte a slot): about 70 bytes a person, where two
/// maps holding the keys took 170 MB for a city of a million.
#[derive(Debug, Default)]
pub struct KeyCache {
    held: Vec<Held>,
    by_id: HashTable<u32>,
    by_person: HashTable<u32>,
    erased: FxHashMap<u64, Iin>,
}

fn hash_of<T: std::hash::Hash>(x: &T) -> u64 {
    FxBuildHasher.hash_one(x)
}

/// The held key at place `i` (the tables hold only places that exist).
fn at(held: &[Held], i: u32) -> Option<&Held> {
    held.get(i as usize)
}

/// The hash the id table keeps place `i` under.
fn id_hash(held: &[Held], i: u32) -> u64 {
    at(held, i).map_or(0, |h| hash_of(&h.id))
}

/// The hash the person table keeps place `i` under.
fn person_hash(held: &[Held], i: u32) -> u64 {
    at(held, i).map_or(0, |h| hash_of(&h.person))
}

impl KeyCache {
    /// Every key and tombstone `journal` holds.
    ///
    /// # Errors
    /// Storage failure; a row that is neither a key nor a tombstone.
    pub fn load(journal: &dyn EventLog) -> Result<Self, StoreError> {
        let mut cache = Self::default();
        let mut after = String::new();
        loop {
            let page = journal.person_keys(&after, 10_000)?;
            let Some((last, _)) = page.last() else {
                cache.held.shrink_to_fit();
                return Ok(cache);
            };
            after.clone_from(last);
            cache.reserve(page.len());
            for (id, body) in page {
                cache.insert_stored(&id, &body)?;
            }
        }
    }

    fn insert_stored(&mut self, id: &str, body: &[u8]) -> Result<(), StoreError> {
        let (Some(n), Some(row)) = (id_number(id), KeyRow::parse(body)) else {
            return Err(StoreError::Integrity(format!(
                "person key {id} is neither a key nor an erasure's tombstone"
            )));
        };
        self.insert(n, row);
        Ok(())
    }

    /// Room for `n` more keys (a city's import makes a million at once).
    pub fn reserve(&mut self, n: usize) {
        self.held.reserve(n);
        let held = &self.held;
        self.by_id.reserve(n, |&i| id_hash(held, i));
        self.by_person.reserve(n, |&i| person_hash(held, i));
    }

    /// The place of key `id` among the held.
    fn place(&self, id: u64) -> Option<usize> {
        let held = &self.held;
        self.by_id
            .find(hash_of(&id), |&i| at(held, i).is_some_and(|h| h.id == id))
            .map(|&i| i as usize)
    }

    /// Notes a key (made, or read) or a tombstone (the key's person erased).
    pub fn insert(&mut self, id: u64, row: KeyRow) {
        match row {
            KeyRow::Held { key, person } => {
                if self.place(id).is_some() {
                    return;
                }
                let Ok(place) = u32::try_from(self.held.len()) else {
                    // Four thousand million persons: never reached.
                    return;
                };
                self.held.push(Held { id, key, person });
                let held = &self.held;
                self.by_id
                    .insert_unique(hash_of(&id), place, |&i| id_hash(held, i));
                let known = self
                    .by_person
                    .find(hash_of(&person), |&i| {
                        at(held, i).is_some_and(|h| h.person == person)
                    })
                    .is_some();
                if !known {
                    self.by_person
                        .insert_unique(hash_of(&person), place, |&i| person_hash(held, i));
                }
            }
            KeyRow::Erased { stand_in } => {
                self.remove(id);
                self.erased.insert(id, stand_in);
            }
        }
    }

    /// Takes key `id` out of the held: the last one moves to its place.
    fn remove(&mut self, id: u64) {
        let Some((place, gone)) = self.place(id).and_then(|p| Some((p, *self.held.get(p)?))) else {
            return;
        };
        let (Ok(place32), Ok(last)) = (
            u32::try_from(place),
            u32::try_from(self.held.len().saturating_sub(1)),
        ) else {
            return;
        };
        if let Ok(e) = self.by_id.find_entry(hash_of(&id), |&i| i == place32) {
            e.remove();
        }
        if let Ok(e) = self
            .by_person
            .find_entry(hash_of(&gone.person), |&i| i == place32)
        {
            e.remove();
        }
        self.held.swap_remove(place);
        // The last one, if it was another, is at `place` now: its two entries point there.
        let Some(moved) = self.held.get(place).copied().filter(|_| place32 != last) else {
            return;
        };
        if let Some(i) = self.by_id.find_mut(hash_of(&moved.id), |&i| i == last) {
            *i = place32;
        }
        if let Some(i) = self
            .by_person
            .find_mut(hash_of(&moved.person), |&i| i == last)
        {
            *i = place32;
        }
    }

    /// The key id and key of `person`, if they have one.
    #[must_use]
    pub fn of_person(&self, person: &Iin) -> Option<(u64, [u8; 32])> {
        let held = &self.held;
        let &i = self.by_person.find(hash_of(person), |&i| {
            at(held, i).is_some_and(|h| h.person == *person)
        })?;
        at(held, i).map(|h| (h.id, h.key))
    }

    /// Whether `id` is taken (held or erased).
    #[must_use]
    pub fn taken(&self, id: u64) -> bool {
        self.place(id).is_some() || self.erased.contains_key(&id)
    }

    /// How many keys are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Reads key `id` from `journal` when this cache does not know it (a follower meets the
    /// keys the leader made after it loaded): whether it knows it now.
    ///
    /// # Errors
    /// Storage failure; a stored row that is neither form.
    pub fn fetch(&mut self, journal: &dyn EventLog, id: &str) -> Result<bool, StoreError> {
        let Some(n) = id_number(id) else {
            return Ok(false);
        };
        if self.taken(n) {
            return Ok(true);
        }
        // The ids sharing all but the last digit sort right after that prefix: at most 16.
        for (found, body) in journal.person_keys(&id[..15], 16)? {
            if found == id {
                self.insert_stored(&found, &body)?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Opener for KeyCache {
    fn key(&self, id: &str) -> Option<[u8; 32]> {
        Some(self.held.get(self.place(id_number(id)?)?)?.key)
    }

    fn stand_in(&self, id: &str) -> Option<Iin> {
        self.erased.get(&id_number(id)?).copied()
    }
}

/// What a payload holds when some value of it is sealed: an object whose first key starts
/// with `$` (`$sealed`, `$person`; no event has such a key, and inside a JSON string the
/// quote would be escaped).
const MARK: &[u8] = b"{\"$";

/// Whether `payload` holds a sealed value.
#[must_use]
pub fn is_sealed(payload: &[u8]) -> bool {
    memchr::memmem::find(payload, MARK).is_some()
}

/// The event `payload` holds, its sealed values opened with `keys` (stand-ins for the
/// erased); a payload with nothing sealed decodes as it is.
///
/// # Errors
/// Not an event; a sealed value malformed, tampered with or of a key neither held nor erased.
pub fn decode(payload: &[u8], cutoff: Cutoff, keys: &dyn Opener) -> Result<Event, String> {
    if !is_sealed(payload) {
        return crate::record::decode(payload).map_err(|e| format!("payload is not an event: {e}"));
    }
    // Nearly every record of a city: read straight into its struct.
    if payload.starts_with(crate::record::REGISTERED) {
        return sealed::registration::open(payload, cutoff, keys)
            .map(|r| Event::Registered(Box::new(r)))
            .map_err(|e| format!("payload is not an event: {e}"));
    }
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let opened = sealed::open(value, cutoff, keys).map_err(|e| e.to_string())?;
    serde_json::from_value(opened).map_err(|e| format!("payload is not an event: {e}"))
}

/// [`decode`]; when that fails, the keys of its sealed values `keys` does not know yet are
/// fetched from `journal` and it is tried again (a follower meets the keys its leader made
/// since it loaded them).
///
/// # Errors
/// As [`decode`]; storage failure.
pub fn decode_fetching(
    payload: &[u8],
    cutoff: Cutoff,
    keys: &mut KeyCache,
    journal: &dyn EventLog,
) -> Result<Event, String> {
    let first = decode(payload, cutoff, keys);
    if first.is_ok() || !is_sealed(payload) {
        return first;
    }
    // Perhaps a key made since this cache was loaded: fetch what it does not know, and try
    // again if there was any.
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let mut fetched = false;
    for id in sealed::key_ids(&value) {
        if !id_number(&id).is_some_and(|n| keys.taken(n)) {
            fetched |= keys.fetch(journal, &id).map_err(|e| e.to_string())?;
        }
    }
    if fetched {
        decode(payload, cutoff, keys)
    } else {
        first
    }
}

/// Checks `record` against the one before (`prev`) and decodes its event, its sealed
/// values opened with `keys` (fetching from `journal` those it does not know yet), stand-ins
/// for the erased.
///
/// # Errors
/// A gap in the sequence, a broken link, a hash that does not match the bytes, a payload
/// that is not an event of the stated kind, a sealed value that does not open.
pub fn open_after(
    record: &StoredEvent,
    (prev_seq, prev_hash): (Seq, &Hash),
    cutoff: Cutoff,
    keys: &mut KeyCache,
    journal: &dyn EventLog,
) -> Result<Event, String> {
    record.check_after(prev_seq, prev_hash)?;
    let event = decode_fetching(&record.payload, cutoff, keys, journal)?;
    let event = record.of_its_kind(event)?;
    note_erasure(keys, &event);
    Ok(event)
}

/// A person erased by `event`: their key is gone from here on, in memory too (a follower
/// whose cache was loaded before the erasure).
pub fn note_erasure(keys: &mut KeyCache, event: &Event) {
    if let Event::PersonErased(e) = event {
        if let Some(id) = id_number(&e.data_key) {
            keys.insert(
                id,
                KeyRow::Erased {
                    stand_in: e.stand_in,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distinct valid IIN for each `n` (a serial whose control digit does not exist is
    /// passed over).
    fn iin(n: u16) -> Iin {
        (n * 10..)
            .find_map(|s| Iin::compose("2020-05-15".parse().unwrap(), true, s))
            .unwrap()
    }

    #[test]
    fn rows_read_back_as_written() {
        let held = KeyRow::Held {
            key: [7; 32],
            person: iin(3),
        };
        assert_eq!(KeyRow::parse(&held.body()), Some(held));
        let erased = KeyRow::Erased { stand_in: iin(4) };
        assert_eq!(KeyRow::parse(&erased.body()), Some(erased));
        assert_eq!(KeyRow::parse(b"short"), None);
        assert_eq!(KeyRow::parse(&[0; 44]), None);
    }

    #[test]
    fn an_erased_key_leaves_its_stand_in_and_frees_its_person() {
        let mut c = KeyCache::default();
        c.insert(
            1,
            KeyRow::Held {
                key: [1; 32],
                person: iin(1),
            },
        );
        assert_eq!(c.of_person(&iin(1)), Some((1, [1; 32])));
        assert_eq!(c.key(&id_text(1)), Some([1; 32]));
        c.insert(1, KeyRow::Erased { stand_in: iin(9) });
        assert_eq!(c.of_person(&iin(1)), None);
        assert_eq!(c.key(&id_text(1)), None);
        assert_eq!(c.stand_in(&id_text(1)), Some(iin(9)));
        assert!(c.taken(1));
        assert_eq!(id_number("00000000000000ff"), Some(255));
        assert_eq!(id_number("ff"), None);
    }

    proptest::proptest! {
        /// Against a model of maps: keys made (some for the same person), erased, made
        /// again; every lookup agrees after every step.
        #[test]
        fn the_cache_answers_as_a_map_would(
            steps in proptest::collection::vec((0u64..40, 0u16..12, proptest::bool::weighted(0.25)), 1..200)
        ) {
            use std::collections::BTreeMap;
            let mut cache = KeyCache::default();
            let mut keys: BTreeMap<u64, ([u8; 32], Iin)> = BTreeMap::new();
            let mut erased: BTreeMap<u64, Iin> = BTreeMap::new();
            let mut first: BTreeMap<Iin, u64> = BTreeMap::new();
            for (n, (id, who, erase)) in steps.into_iter().enumerate() {
                let person = iin(who);
                if erase {
                    let stand_in = iin(100 + u16::try_from(n).unwrap());
                    cache.insert(id, KeyRow::Erased { stand_in });
                    if let Some((_, p)) = keys.remove(&id) {
                        if first.get(&p) == Some(&id) {
                            first.remove(&p);
                        }
                    }
                    erased.insert(id, stand_in);
                } else if let std::collections::btree_map::Entry::Vacant(e) = keys.entry(id) {
                    let key = [u8::try_from(n % 256).unwrap(); 32];
                    cache.insert(id, KeyRow::Held { key, person });
                    e.insert((key, person));
                    first.entry(person).or_insert(id);
                }
                proptest::prop_assert_eq!(cache.len(), keys.len());
                for probe in 0..40 {
                    let text = id_text(probe);
                    proptest::prop_assert_eq!(cache.key(&text), keys.get(&probe).map(|k| k.0));
                    proptest::prop_assert_eq!(cache.stand_in(&text), erased.get(&probe).copied());
                    proptest::prop_assert_eq!(
                        cache.taken(probe),
                        keys.contains_key(&probe) || erased.contains_key(&probe)
                    );
                }
                for who in 0..12 {
                    let p = iin(who);
                    let expected = first.get(&p).map(|id| (*id, keys[id].0));
                    proptest::prop_assert_eq!(cache.of_person(&p), expected);
                }
            }
        }
    }
}

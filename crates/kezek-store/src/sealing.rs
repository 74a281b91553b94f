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
use kezek_core::model::{Cutoff, Iin, Seq};
use kezek_core::sealed::{self, Opener};
use kezek_core::Event;
use std::collections::HashMap;

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

/// A journal's keys in memory: by id (to open), by person (to seal), and the erased ones'
/// stand-ins. About 90 bytes a person.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: HashMap<u64, ([u8; 32], Iin)>,
    persons: HashMap<Iin, u64>,
    erased: HashMap<u64, Iin>,
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
                return Ok(cache);
            };
            after.clone_from(last);
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

    /// Notes a key (made, or read) or a tombstone (the key's person erased).
    pub fn insert(&mut self, id: u64, row: KeyRow) {
        match row {
            KeyRow::Held { key, person } => {
                self.keys.insert(id, (key, person));
                self.persons.entry(person).or_insert(id);
            }
            KeyRow::Erased { stand_in } => {
                if let Some((_, person)) = self.keys.remove(&id) {
                    if self.persons.get(&person) == Some(&id) {
                        self.persons.remove(&person);
                    }
                }
                self.erased.insert(id, stand_in);
            }
        }
    }

    /// The key id and key of `person`, if they have one.
    #[must_use]
    pub fn of_person(&self, person: &Iin) -> Option<(u64, [u8; 32])> {
        let id = *self.persons.get(person)?;
        Some((id, self.keys.get(&id)?.0))
    }

    /// Whether `id` is taken (held or erased).
    #[must_use]
    pub fn taken(&self, id: u64) -> bool {
        self.keys.contains_key(&id) || self.erased.contains_key(&id)
    }

    /// How many keys are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
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
        Some(self.keys.get(&id_number(id)?)?.0)
    }

    fn stand_in(&self, id: &str) -> Option<Iin> {
        self.erased.get(&id_number(id)?).copied()
    }
}

/// What a payload holds when some value of it is sealed.
const MARK: &[u8] = b"\"$sealed\"";

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
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let opened = sealed::open(value, cutoff, keys).map_err(|e| e.to_string())?;
    serde_json::from_value(opened).map_err(|e| format!("payload is not an event: {e}"))
}

/// [`decode`], first fetching from `journal` the keys of its sealed values `keys` does not
/// know yet (a follower meets the keys its leader made since it loaded them).
///
/// # Errors
/// As [`decode`]; storage failure.
pub fn decode_fetching(
    payload: &[u8],
    cutoff: Cutoff,
    keys: &mut KeyCache,
    journal: &dyn EventLog,
) -> Result<Event, String> {
    if is_sealed(payload) {
        let value: serde_json::Value =
            serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        for id in sealed::key_ids(&value) {
            if !id_number(&id).is_some_and(|n| keys.taken(n)) {
                keys.fetch(journal, &id).map_err(|e| e.to_string())?;
            }
        }
    }
    decode(payload, cutoff, keys)
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
    record.of_its_kind(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iin(n: u16) -> Iin {
        Iin::compose("2020-05-15".parse().unwrap(), true, n).unwrap()
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
}

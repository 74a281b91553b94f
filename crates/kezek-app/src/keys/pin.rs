//! The authority key a node or a command may hold: the journal pins it. A journal records
//! each key it adopted (`authority_adopted`); a node or command holding another key, or
//! none, refuses to start and names both, so that nothing is ever signed by a key the
//! journal does not know. A key is made only for an empty installation; a journal of an
//! earlier Kezek, which adopted none, must be started with the key its documents carry, and
//! adopts it then.

use super::authority::{Authority, KeyError};
use kezek_core::event::AuthorityChange;
use kezek_core::Event;
use kezek_store::{Store, StoreError};
use std::path::Path;

/// An authority key the journal adopted, as its record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journaled {
    /// The record's seq: the key is in force from it on.
    pub seq: u64,
    /// The key's id.
    pub key_id: String,
    /// The public key, base64.
    pub public_key: String,
    /// How it came into force.
    pub change: AuthorityChange,
    /// Why, for a replacement.
    pub reason: Option<String>,
}

impl From<&kezek_core::state::AuthorityKey> for Journaled {
    fn from(k: &kezek_core::state::AuthorityKey) -> Self {
        Self {
            seq: k.since.get(),
            key_id: k.key_id.to_string(),
            public_key: k.public_key.to_string(),
            change: k.change,
            reason: k.reason.as_deref().map(str::to_owned),
        }
    }
}

/// Why a node or command may not use the key it holds.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// It holds a key the journal retired.
    #[error("the journal's authority key is {journal}; this node holds {held} ({path}), which the journal retired at seq {retired_at}: start it with the key in force (put it at {path} or pass --authority-key FILE)")]
    Retired {
        /// The key in force.
        journal: String,
        /// The key held.
        held: String,
        /// Where it was read from.
        path: String,
        /// The seq of the key that followed it.
        retired_at: u64,
    },
    /// It holds a key the journal never had.
    #[error("the journal's authority key is {journal}; this node holds {held} ({path}), which the journal never had: start it with the journal's key (put it at {path} or pass --authority-key FILE); if that key is lost, replace it: kezek authority replace --new FILE --reason TEXT")]
    Foreign {
        /// The key in force (or, for a journal of an earlier Kezek, the one its documents
        /// carry).
        journal: String,
        /// The key held.
        held: String,
        /// Where it was read from.
        path: String,
    },
    /// It holds none.
    #[error("the journal's authority key is {journal}; this node holds none (no key at {path}): give it the journal's key (at {path} or with --authority-key FILE); if that key is lost, replace it: kezek authority replace --new FILE --reason TEXT")]
    Missing {
        /// The key in force, or the one the journal's documents carry; `unknown` for a
        /// journal of an earlier Kezek that issued no document yet.
        journal: String,
        /// Where none was found.
        path: String,
    },
    /// The key file does not read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The journal does not read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A journal record says it adopts a key and does not decode as one.
    #[error("journal record {0} should adopt an authority key and does not")]
    Record(u64),
}

/// The keys the journal adopted, in order.
///
/// # Errors
/// The journal cannot be read, or a record does not decode.
pub fn journaled(store: &dyn Store) -> Result<Vec<Journaled>, PinError> {
    store
        .authority_records()?
        .into_iter()
        .map(|r| match kezek_store::record::decode(&r.payload) {
            Ok(Event::AuthorityAdopted(a)) => Ok(Journaled {
                seq: r.seq.get(),
                key_id: a.key_id,
                public_key: a.public_key,
                change: a.change,
                reason: a.reason,
            }),
            _ => Err(PinError::Record(r.seq.get())),
        })
        .collect()
}

/// What the installation holds besides the journal's authority records: whether it is empty
/// (no record, no API key, no document) and the key id its first document carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signed {
    /// Nothing is recorded or signed yet.
    pub empty: bool,
    /// The `key_id` of the first stored document, if any.
    pub by: Option<String>,
}

impl Signed {
    /// What `store` holds.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn of(store: &dyn Store) -> Result<Self, StoreError> {
        let by = store
            .documents("", 1)?
            .into_iter()
            .next()
            .and_then(|(_, bytes)| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()?
                    .get("key_id")?
                    .as_str()
                    .map(str::to_owned)
            });
        let empty = by.is_none() && store.head()?.seq.get() == 0 && store.keys()?.is_empty();
        Ok(Self { empty, by })
    }
}

/// What to do with the key held (`held`, read from `path`).
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Use it: the key in force, or the key of a journal that adopts it at its next start.
    Use,
    /// Make a key: the installation is empty.
    Make,
}

/// Decides whether the key `held` may be used on a journal that adopted `journaled` and
/// holds `signed`.
///
/// # Errors
/// A key the journal retired or never had, or none where the journal has signed records.
pub fn decide(
    journaled: &[Journaled],
    held: Option<&Authority>,
    signed: &Signed,
    path: &Path,
) -> Result<Decision, PinError> {
    let path = path.display().to_string();
    let Some(current) = journaled.last() else {
        // A journal of an earlier Kezek, or an empty one.
        return match (held, &signed.by) {
            (Some(k), Some(by)) if k.key_id() != by => Err(PinError::Foreign {
                journal: by.clone(),
                held: k.key_id().to_owned(),
                path,
            }),
            (Some(_), _) => Ok(Decision::Use),
            (None, _) if signed.empty => Ok(Decision::Make),
            (None, by) => Err(PinError::Missing {
                journal: by.clone().unwrap_or_else(|| "unknown".into()),
                path,
            }),
        };
    };
    let Some(held) = held else {
        return Err(PinError::Missing {
            journal: current.key_id.clone(),
            path,
        });
    };
    if held.key_id() == current.key_id {
        return Ok(Decision::Use);
    }
    let retired = journaled
        .iter()
        .position(|k| k.key_id == held.key_id())
        .and_then(|i| journaled.get(i + 1));
    Err(match retired {
        Some(next) => PinError::Retired {
            journal: current.key_id.clone(),
            held: held.key_id().to_owned(),
            path,
            retired_at: next.seq,
        },
        None => PinError::Foreign {
            journal: current.key_id.clone(),
            held: held.key_id().to_owned(),
            path,
        },
    })
}

/// The key at `path` as the journal in `store` allows it: the key in force, the key of a
/// journal that has none adopted yet, or a new one made at `path` for an empty installation.
///
/// # Errors
/// See [`decide`]; a key file that does not read; a journal that cannot be read.
pub fn pinned(store: &dyn Store, path: &Path) -> Result<Authority, PinError> {
    let journaled = journaled(store)?;
    let held = if path.exists() {
        Some(Authority::load(path)?)
    } else {
        None
    };
    let signed = Signed::of(store)?;
    match (decide(&journaled, held.as_ref(), &signed, path)?, held) {
        (Decision::Use, Some(key)) => Ok(key),
        _ => Ok(Authority::load_or_create(path)?),
    }
}

/// Whether `authority` is the key `state`'s journal has in force (or the journal has none).
///
/// # Errors
/// Another key is in force: both named.
pub fn in_force(state: &kezek_core::State, authority: &Authority) -> Result<(), PinError> {
    if state.authority().is_none() {
        return Ok(());
    }
    let journaled: Vec<Journaled> = state.authorities().iter().map(Journaled::from).collect();
    decide(
        &journaled,
        Some(authority),
        &Signed::default(),
        std::path::Path::new("the key given"),
    )
    .map(|_| ())
}

/// The bytes a rotation's endorsement covers: the key in force vouches for its successor.
#[must_use]
pub fn endorsement_bytes(previous: &str, key_id: &str, public_key: &str) -> Vec<u8> {
    format!("kezek authority rotation\n{previous}\n{key_id}\n{public_key}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journaled(keys: &[(&Authority, u64)]) -> Vec<Journaled> {
        keys.iter()
            .enumerate()
            .map(|(i, (k, seq))| Journaled {
                seq: *seq,
                key_id: k.key_id().to_owned(),
                public_key: k.public_key(),
                change: if i == 0 {
                    AuthorityChange::First
                } else {
                    AuthorityChange::Rotated
                },
                reason: None,
            })
            .collect()
    }

    #[test]
    fn only_the_key_in_force_is_used_and_a_refusal_names_both_keys() {
        let (a, b, c) = (
            Authority::from_seed([1; 32]),
            Authority::from_seed([2; 32]),
            Authority::from_seed([3; 32]),
        );
        let path = Path::new("/data/authority.key");
        let keys = journaled(&[(&a, 1), (&b, 40)]);
        let signed = Signed::default();
        assert_eq!(
            decide(&keys, Some(&b), &signed, path).unwrap(),
            Decision::Use
        );
        let foreign = decide(&keys, Some(&c), &signed, path)
            .unwrap_err()
            .to_string();
        assert!(
            foreign.contains(b.key_id()) && foreign.contains(c.key_id()),
            "{foreign}"
        );
        let retired = decide(&keys, Some(&a), &signed, path).unwrap_err();
        assert!(
            matches!(&retired, PinError::Retired { retired_at: 40, .. }),
            "{retired}"
        );
        assert!(retired.to_string().contains(a.key_id()));
        let none = decide(&keys, None, &signed, path).unwrap_err().to_string();
        assert!(
            none.contains(b.key_id()) && none.contains("holds none"),
            "{none}"
        );
        assert!(none.contains("/data/authority.key"), "{none}");
    }

    #[test]
    fn a_key_is_made_only_for_an_empty_installation() {
        let a = Authority::from_seed([1; 32]);
        let path = Path::new("authority.key");
        let empty = Signed {
            empty: true,
            by: None,
        };
        assert_eq!(decide(&[], None, &empty, path).unwrap(), Decision::Make);
        assert_eq!(decide(&[], Some(&a), &empty, path).unwrap(), Decision::Use);
        // A journal of an earlier Kezek: its documents name the key they were signed with.
        let earlier = Signed {
            empty: false,
            by: Some(a.key_id().to_owned()),
        };
        assert_eq!(
            decide(&[], Some(&a), &earlier, path).unwrap(),
            Decision::Use
        );
        let other = Authority::from_seed([9; 32]);
        let foreign = decide(&[], Some(&other), &earlier, path)
            .unwrap_err()
            .to_string();
        assert!(foreign.contains(a.key_id()) && foreign.contains(other.key_id()));
        let lost = decide(&[], None, &earlier, path).unwrap_err().to_string();
        assert!(
            lost.contains(a.key_id()) && lost.contains("holds none"),
            "{lost}"
        );
        let unsigned = Signed {
            empty: false,
            by: None,
        };
        assert!(
            decide(&[], None, &unsigned, path).is_err(),
            "records, no key"
        );
    }
}

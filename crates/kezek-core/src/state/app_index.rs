//! Indexes over the applications that hold only dense indexes: id → application, and
//! child → the child's newest application.
//!
//! A `HashMap<ApplicationId, u32>` kept each id twice (once in the application, once as
//! the key): 40 bytes a child, 40 MB for a city of a million; a `HashMap<Iin, AppIx>`
//! took 17 bytes a slot, 35 MB. These tables hold only the index (5 bytes a slot with
//! hashbrown's control byte) and compare against the key stored in the application: a
//! probe reads the application only when the hash's top bits already match.

use super::Application;
use crate::model::{AppIx, ApplicationId, Iin};
use crate::table::Table;
use hashbrown::hash_table::Entry;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

/// What an index is keyed by: a field of the application.
pub trait Key {
    /// The field's type.
    type Of: Hash + Eq;
    /// The field of `app`.
    fn of(app: &Application) -> &Self::Of;
}

/// By application id (unique).
#[derive(Debug, Clone, Copy, Default)]
pub struct ById;

impl Key for ById {
    type Of = ApplicationId;
    fn of(app: &Application) -> &ApplicationId {
        &app.id
    }
}

/// By child (each child's newest application).
#[derive(Debug, Clone, Copy, Default)]
pub struct ByChild;

impl Key for ByChild {
    type Of = Iin;
    fn of(app: &Application) -> &Iin {
        &app.child_iin
    }
}

/// Application id → its dense index.
pub type AppIndex = Index<ById>;
/// Child → the dense index of its newest application.
pub type ChildIndex = Index<ByChild>;

/// The index; every method takes the applications it points into.
#[derive(Debug, Clone)]
pub struct Index<K> {
    table: HashTable<AppIx>,
    key: PhantomData<K>,
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Self {
            table: HashTable::new(),
            key: PhantomData,
        }
    }
}

fn hash<T: Hash + ?Sized>(key: &T) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl<K: Key> Index<K> {
    /// The hash of the key of the application at `a` (0 for an index past the table, which
    /// the index never holds).
    fn hash_at(apps: &Table<Application>, a: AppIx) -> u64 {
        apps.get(a.slot()).map_or(0, |x| hash(K::of(x)))
    }

    /// The dense index the index holds for `key`.
    #[must_use]
    pub fn get(&self, apps: &Table<Application>, key: &K::Of) -> Option<AppIx> {
        self.table
            .find(hash(key), |&a| {
                apps.get(a.slot()).is_some_and(|x| K::of(x) == key)
            })
            .copied()
    }

    /// Whether `key` is held.
    #[must_use]
    pub fn contains(&self, apps: &Table<Application>, key: &K::Of) -> bool {
        self.get(apps, key).is_some()
    }

    /// Indexes `apps[a]`, whose key must not be held yet.
    pub fn insert(&mut self, apps: &Table<Application>, a: AppIx) {
        self.table
            .insert_unique(Self::hash_at(apps, a), a, |&b| Self::hash_at(apps, b));
    }

    /// Indexes `apps[a]` in place of the application with the same key, if any; that one.
    pub fn put(&mut self, apps: &Table<Application>, a: AppIx) -> Option<AppIx> {
        let key = K::of(apps.get(a.slot())?);
        let same = |&b: &AppIx| apps.get(b.slot()).is_some_and(|x| K::of(x) == key);
        match self
            .table
            .entry(hash(key), same, |&b| Self::hash_at(apps, b))
        {
            Entry::Occupied(mut e) => Some(std::mem::replace(e.get_mut(), a)),
            Entry::Vacant(e) => {
                e.insert(a);
                None
            }
        }
    }

    /// Stops indexing `apps[a]` (before its key changes); whether it was indexed.
    pub fn remove(&mut self, apps: &Table<Application>, a: AppIx) -> bool {
        self.table
            .find_entry(Self::hash_at(apps, a), |&b| b == a)
            .map(|e| {
                e.remove();
            })
            .is_ok()
    }

    /// Makes room for `n` more.
    pub fn reserve(&mut self, apps: &Table<Application>, n: usize) {
        self.table.reserve(n, |&b| Self::hash_at(apps, b));
    }

    /// How many are indexed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppStatus, Channel, ClaimStatus, DistrictIx, Language, Seq};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn app(id: &str) -> Application {
        child_app(id, 0)
    }

    /// The `n`-th of a list of valid IINs.
    fn iin(n: usize) -> Iin {
        (1..=u16::MAX)
            .filter_map(|s| Iin::compose(jiff::civil::date(2022, 1, 1), true, s))
            .nth(n)
            .unwrap()
    }

    fn child_app(id: &str, child: usize) -> Application {
        Application {
            id: id.parse().unwrap(),
            child_iin: iin(child),
            child_name: "".into(),
            birth_date: jiff::civil::date(2022, 1, 1),
            cohort: 2022,
            applicant: None,
            district: DistrictIx::new(0),
            language: Language::Kk,
            preferences: crate::state::Preferences::default(),
            category: None,
            claim: ClaimStatus::None,
            tier: 0,
            documents: 0,
            channel: Channel::Portal,
            referred_at_once: false,
            registered_at: jiff::Timestamp::UNIX_EPOCH,
            seq: Seq::new(1),
            status: AppStatus::Queued,
            referral: None,
            stopped_until: None,
            previous: None,
        }
    }

    proptest! {
        /// The index answers like a map from id to position, for ids present and absent.
        #[test]
        fn answers_like_a_map(ids in proptest::collection::vec("[A-Z][0-9]{1,4}", 0..300),
                              probes in proptest::collection::vec("[A-Z][0-9]{1,4}", 0..50)) {
            let (mut apps, mut index, mut model) = (Table::default(), AppIndex::default(), HashMap::new());
            index.reserve(&apps, 10);
            for id in ids {
                if model.contains_key(&id) {
                    continue;
                }
                let a = AppIx::after(apps.len()).unwrap();
                apps.push(app(&id));
                index.insert(&apps, a);
                model.insert(id, a);
            }
            prop_assert_eq!(index.len(), model.len());
            for id in model.keys().chain(probes.iter()) {
                let parsed: ApplicationId = id.parse().unwrap();
                prop_assert_eq!(index.get(&apps, &parsed), model.get(id).copied());
                prop_assert_eq!(index.contains(&apps, &parsed), model.contains_key(id));
            }
        }

        /// The child index answers like a map from child to its newest application, as
        /// applications of the same and of other children come in.
        #[test]
        fn child_index_keeps_each_childs_newest(children in proptest::collection::vec(0usize..40, 0..300),
                                                probes in proptest::collection::vec(0usize..60, 0..50)) {
            let (mut apps, mut index, mut model) = (Table::default(), ChildIndex::default(), HashMap::new());
            for (i, child) in children.iter().enumerate() {
                let a = AppIx::after(apps.len()).unwrap();
                apps.push(child_app(&format!("A{i}"), *child));
                let before = index.put(&apps, a);
                prop_assert_eq!(before, model.insert(*child, a));
            }
            prop_assert_eq!(index.len(), model.len());
            for child in model.keys().chain(probes.iter()) {
                prop_assert_eq!(index.get(&apps, &iin(*child)), model.get(child).copied());
            }
        }
    }
}

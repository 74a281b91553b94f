//! Application id → dense index, without a second copy of every id.
//!
//! A `HashMap<ApplicationId, u32>` kept each id twice (once in the application, once as
//! the key): 40 bytes a child, 40 MB for a city of a million. This table holds only the
//! index and compares against the id stored in the application.

use super::Application;
use crate::model::{AppIx, ApplicationId};
use crate::table::Table;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// The index; every method takes the applications it points into.
#[derive(Debug, Clone, Default)]
pub struct AppIndex {
    table: HashTable<AppIx>,
}

fn hash(id: &ApplicationId) -> u64 {
    FxBuildHasher.hash_one(id.as_str())
}

/// The hash of the id of the application at `a` (0 for an index past the table, which the
/// index never holds).
fn hash_at(apps: &Table<Application>, a: AppIx) -> u64 {
    apps.get(a.slot()).map_or(0, |x| hash(&x.id))
}

impl AppIndex {
    /// The dense index of `id`.
    #[must_use]
    pub fn get(&self, apps: &Table<Application>, id: &ApplicationId) -> Option<AppIx> {
        self.table
            .find(hash(id), |&a| {
                apps.get(a.slot()).is_some_and(|x| x.id == *id)
            })
            .copied()
    }

    /// Whether `id` is known.
    #[must_use]
    pub fn contains(&self, apps: &Table<Application>, id: &ApplicationId) -> bool {
        self.get(apps, id).is_some()
    }

    /// Indexes `apps[a]`, whose id must not be indexed yet.
    pub fn insert(&mut self, apps: &Table<Application>, a: AppIx) {
        self.table
            .insert_unique(hash_at(apps, a), a, |&b| hash_at(apps, b));
    }

    /// Makes room for `n` more.
    pub fn reserve(&mut self, apps: &Table<Application>, n: usize) {
        self.table.reserve(n, |&b| hash_at(apps, b));
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
        Application {
            id: id.parse().unwrap(),
            child_iin: crate::model::Iin::compose(jiff::civil::date(2022, 1, 1), true, 1).unwrap(),
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
    }
}

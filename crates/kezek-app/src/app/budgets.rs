//! Budgets of requests that must be slow to repeat: the parents' status lookups (a number
//! and an IIN are all one takes, so guessing must be slow — per client address and per
//! application number) and the console's search of a queue by IIN (per key). Each budget is
//! a number of uses a minute. On a journal several nodes share the store counts them (every
//! node sees the same count); one node alone counts in memory.
//!
//! A bucket is named by a digest of what it counts (no address or number is stored in the
//! clear) and forgotten a minute after its last use.

use crate::error::AppError;
use crate::App;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;

/// Status lookups a client address may make in a minute.
pub const STATUS_PER_CLIENT: u32 = 10;
/// Status lookups of one application number in a minute, from anywhere.
pub const STATUS_PER_APPLICATION: u32 = 10;
/// Searches by IIN one key may make in a console queue in a minute.
pub const SEARCH_PER_KEY: u32 = 30;
/// Buckets counted in memory at most (past it, the buckets of earlier minutes go).
const MAX_BUCKETS: usize = 100_000;

/// The address of the client a request came from, as the server resolved it (behind a
/// trusted proxy, the address the proxy forwarded): put in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// A use to count.
#[derive(Debug, Clone, Copy)]
pub enum Spend<'a> {
    /// A parents' status lookup, from `client`, of `application`.
    StatusLookup {
        /// The client's address (behind a trusted proxy: the one it forwarded).
        client: IpAddr,
        /// The application number asked about, as typed.
        application: &'a str,
    },
    /// A search of a console queue by IIN or application number, by `key_id`.
    QueueSearch {
        /// The caller's key.
        key_id: &'a str,
    },
    /// A portal request for citizen `citizen` (an IIN) with assertion `jti`, valid until the
    /// minute `until`: a budget per citizen a minute, and each assertion used once.
    Citizen {
        /// The citizen's IIN.
        citizen: &'a str,
        /// The assertion's id.
        jti: &'a str,
        /// The minute (since the epoch) the assertion expires in.
        until: i64,
    },
}

/// Portal requests one citizen may make in a minute.
pub const CITIZEN_PER_MINUTE: u32 = 60;

impl Spend<'_> {
    /// The buckets this use counts against, each with its budget and the minute it counts
    /// in (`None`: the current one).
    fn buckets(&self) -> Vec<(String, u32, Option<i64>)> {
        match self {
            Self::StatusLookup {
                client,
                application,
            } => vec![
                (
                    bucket("status-client", &client.to_string()),
                    STATUS_PER_CLIENT,
                    None,
                ),
                (
                    bucket("status-application", &application.trim().to_uppercase()),
                    STATUS_PER_APPLICATION,
                    None,
                ),
            ],
            Self::QueueSearch { key_id } => {
                vec![(bucket("queue-search", key_id), SEARCH_PER_KEY, None)]
            }
            Self::Citizen {
                citizen,
                jti,
                until,
            } => vec![
                (bucket("citizen", citizen), CITIZEN_PER_MINUTE, None),
                // Counted in the minute it expires: every use of one assertion lands in
                // the same bucket, however late.
                (bucket("assertion", jti), 1, Some(*until)),
            ],
        }
    }
}

/// The name of `kind`'s bucket for `value`: a digest, so nothing personal is kept.
fn bucket(kind: &str, value: &str) -> String {
    let digest = Sha256::new()
        .chain_update(kind.as_bytes())
        .chain_update([0])
        .chain_update(value.as_bytes())
        .finalize();
    hex::encode(digest.get(..16).unwrap_or_default())
}

/// Budgets counted in memory: bucket → (minute, uses in it).
#[derive(Debug, Default)]
pub(crate) struct Counted {
    buckets: Mutex<HashMap<String, (i64, u32)>>,
}

impl Counted {
    /// Counts one use of `bucket` in minute `window`; how many there were in it.
    fn spend(&self, bucket: &str, window: i64) -> u32 {
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_BUCKETS {
            // A bucket may count ahead of now (an assertion, in the minute it expires):
            // keep what is recent enough either way.
            buckets.retain(|_, (w, _)| *w >= window - kezek_store::KEPT_MINUTES);
        }
        let entry = buckets.entry(bucket.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    }
}

impl App {
    /// Counts `what` against its budgets: whether it is within every one of them (a use
    /// refused is counted too: hammering does not refill a budget).
    ///
    /// # Errors
    /// The store that counts could not be reached.
    pub async fn spend(&self, what: Spend<'_>) -> Result<bool, AppError> {
        Ok(self.spend_each(what).await?.iter().all(|within| *within))
    }

    /// [`Self::spend`], bucket by bucket: whether each is within its budget.
    pub(crate) async fn spend_each(&self, what: Spend<'_>) -> Result<Vec<bool>, AppError> {
        let now = self.now().as_second().div_euclid(60);
        let buckets: Vec<(String, u32, i64)> = what
            .buckets()
            .into_iter()
            .map(|(b, n, w)| (b, n, w.unwrap_or(now)))
            .collect();
        let counted = {
            let buckets = buckets.clone();
            self.store(move |s| {
                buckets
                    .iter()
                    .map(|(b, _, w)| s.spend(b, *w))
                    .collect::<Result<Option<Vec<u32>>, _>>()
            })
            .await?
        };
        let used: Vec<u32> = counted.unwrap_or_else(|| {
            buckets
                .iter()
                .map(|(b, _, w)| self.budgets.spend(b, *w))
                .collect()
        });
        Ok(used
            .iter()
            .zip(&buckets)
            .map(|(used, (_, budget, _))| used <= budget)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_counts_its_minute_and_starts_again_in_the_next() {
        let c = Counted::default();
        for n in 1..=3 {
            assert_eq!(c.spend("a", 7), n);
        }
        assert_eq!(c.spend("b", 7), 1, "another bucket is not held up");
        assert_eq!(c.spend("a", 8), 1, "a new minute");
    }

    #[test]
    fn buckets_name_no_address_or_number_and_differ_by_kind() {
        let lookup = Spend::StatusLookup {
            client: "10.0.0.1".parse().unwrap(),
            application: " kz0000000001",
        };
        let names = lookup.buckets();
        assert!(names
            .iter()
            .all(|(b, _, _)| !b.contains("10.0.0.1") && b.len() == 32));
        assert_eq!(
            names[1].0,
            bucket("status-application", "KZ0000000001"),
            "the number as the family would type it, any case"
        );
        assert_ne!(bucket("status-client", "x"), bucket("queue-search", "x"));
    }
}

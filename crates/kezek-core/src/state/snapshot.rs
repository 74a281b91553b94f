//! The state as bytes, and back: what a server keeps so that it can start from a recent
//! point of the journal and replay only the records after it.
//!
//! A snapshot holds the tables — districts, kindergartens, applications, referrals,
//! rounds, refusals — the policy in force (its TOML text), and each cohort queue's phases
//! and log. Everything that is an index over those tables (ids to records, the newest
//! application of each child, the queues' ordered lists) is built again on decoding, the
//! lists bottom-up from the children queued, so a snapshot cannot hold an index that
//! disagrees with its tables. Encoding is postcard (serde's compact binary form); times
//! of the million-record tables go as integers, not text.
//!
//! Whether a snapshot belongs to a journal (its seq and that record's hash) and whether
//! its bytes are intact (a checksum) is the business of whoever stores it: this module
//! only turns a state into bytes and bytes into a state.

use super::app_index::{AppIndex, ChildIndex};
use super::{Application, District, Kindergarten, Referral, Refusal, State};
use crate::event::RoundRecord;
use crate::model::{
    AppIx, AppStatus, ApplicationId, Category, DistrictIx, KgIx, ReferralIx, RoundIx, Seq,
};
use crate::policy::Policy;
use crate::queue::{Change, CohortQueue, QueueKey};
use crate::table::Table;
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeSet;

/// The layout version; a snapshot of another layout is not read (the server then
/// replays the journal from the start and writes a new one).
const FORMAT: u32 = 14;

/// About what an application takes encoded (82 on average in the 10⁶ city): buffers are
/// sized once with it instead of doubling over and over.
const APPLICATION_BYTES: usize = 88;

/// Bytes inside the snapshot, written as one length and the bytes (read back borrowed).
struct Blob(Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

/// Why bytes are not a snapshot of a state.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot of this layout.
    #[error("a snapshot of layout {0}, this Kezek reads layout {FORMAT}")]
    Format(u32),
    /// The bytes do not decode.
    #[error("the snapshot does not decode: {0}")]
    Decode(String),
    /// Decoded, but its records do not hang together.
    #[error("the snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference to the field"
)]
fn table<S: Serializer, T: Serialize>(t: &&Table<T>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    // postcard writes the length first; a table's iterator does not say it.
    let mut seq = s.serialize_seq(Some(t.len()))?;
    for item in t.iter() {
        seq.serialize_element(item)?;
    }
    seq.end()
}

/// The state, borrowed, as it is written.
#[derive(Serialize)]
struct ImageRef<'a> {
    format: u32,
    policy: &'a str,
    policy_sha256: Option<&'a str>,
    last_seq: Seq,
    districts: &'a [District],
    kindergartens: &'a [Kindergarten],
    categories: &'a [Category],
    /// The application table chunk by chunk, each encoded apart: decoding takes every core.
    applications: Vec<Blob>,
    queues: Vec<QueueRef<'a>>,
    referrals: &'a [Referral],
    deadlines: &'a BTreeSet<(Timestamp, ReferralIx)>,
    #[serde(with = "json")]
    rounds: &'a [RoundRecord],
    refusals: Vec<(&'a ApplicationId, &'a Refusal)>,
    revoked_keys: Vec<&'a str>,
    authorities: &'a [super::AuthorityKey],
    #[serde(with = "json")]
    officials: &'a [super::OfficialRecord],
    key_officials: Vec<(&'a str, usize)>,
    #[serde(with = "json")]
    extensions: &'a [(Seq, crate::event::Extension)],
    transfers: Vec<(AppIx, &'a super::Transfer)>,
    late_claims: Vec<(AppIx, Timestamp)>,
    exchanges: Vec<&'a super::Exchange>,
    /// As JSON: a file's optional fields are left out when absent, which postcard cannot say.
    #[serde(with = "json")]
    files: &'a [(AppIx, crate::event::ProofFile)],
    partners: Vec<(AppIx, AppIx)>,
    portal_key: Option<&'a crate::event::PortalKey>,
    publication_secret: Option<&'a str>,
    #[serde(with = "json")]
    certificates: &'a [crate::event::RoundCertificate],
    next_stand_in: u64,
    last_erasure: Seq,
    finished: Vec<(Timestamp, AppIx)>,
    days: (super::days::DayCounts, super::days::DayCounts),
}

#[derive(Serialize)]
struct QueueRef<'a> {
    key: QueueKey,
    phases: &'a [u32],
    #[serde(serialize_with = "table")]
    log: &'a Table<Change>,
}

/// The same, read back (field for field: postcard keeps no names).
#[derive(Deserialize)]
struct Image<'a> {
    _format: u32,
    policy: String,
    policy_sha256: Option<Box<str>>,
    last_seq: Seq,
    districts: Vec<District>,
    kindergartens: Vec<Kindergarten>,
    categories: Vec<Category>,
    #[serde(borrow)]
    applications: Vec<&'a [u8]>,
    queues: Vec<QueueImage>,
    referrals: Vec<Referral>,
    deadlines: BTreeSet<(Timestamp, ReferralIx)>,
    #[serde(with = "json")]
    rounds: Vec<RoundRecord>,
    refusals: Vec<(ApplicationId, Refusal)>,
    revoked_keys: Vec<Box<str>>,
    authorities: Vec<super::AuthorityKey>,
    #[serde(with = "json")]
    officials: Vec<super::OfficialRecord>,
    key_officials: Vec<(Box<str>, usize)>,
    #[serde(with = "json")]
    extensions: Vec<(Seq, crate::event::Extension)>,
    transfers: Vec<(AppIx, super::Transfer)>,
    late_claims: Vec<(AppIx, Timestamp)>,
    exchanges: Vec<super::Exchange>,
    #[serde(with = "json")]
    files: Vec<(AppIx, crate::event::ProofFile)>,
    partners: Vec<(AppIx, AppIx)>,
    portal_key: Option<crate::event::PortalKey>,
    publication_secret: Option<Box<str>>,
    #[serde(with = "json")]
    certificates: Vec<crate::event::RoundCertificate>,
    next_stand_in: u64,
    last_erasure: Seq,
    finished: Vec<(Timestamp, AppIx)>,
    days: (super::days::DayCounts, super::days::DayCounts),
}

#[derive(Deserialize)]
struct QueueImage {
    key: QueueKey,
    phases: Vec<u32>,
    log: Table<Change>,
}

impl State {
    /// The state as a snapshot's bytes.
    ///
    /// # Errors
    /// Only if serde refuses a value (it does not for these types).
    pub fn to_snapshot(&self) -> Result<Vec<u8>, SnapshotError> {
        let mut queues: Vec<QueueRef<'_>> = self
            .queues
            .iter()
            .map(|(key, q)| QueueRef {
                key: *key,
                phases: q.phases(),
                log: q.log(),
            })
            .collect();
        queues.sort_unstable_by_key(|q| q.key);
        let mut refusals: Vec<_> = self.refusals.iter().collect();
        refusals.sort_unstable_by_key(|(id, _)| *id);
        let mut revoked_keys: Vec<&str> = self.revoked_keys.iter().map(AsRef::as_ref).collect();
        revoked_keys.sort_unstable();
        let image = ImageRef {
            format: FORMAT,
            policy: self.policy.source(),
            policy_sha256: self.policy_sha256.as_deref(),
            last_seq: self.last_seq,
            districts: &self.districts,
            kindergartens: &self.kindergartens,
            categories: &self.categories,
            applications: self
                .applications
                .chunks()
                .map(|c| {
                    postcard::to_extend(c, Vec::with_capacity(c.len() * APPLICATION_BYTES + 16))
                        .map(Blob)
                })
                .collect::<Result<_, _>>()
                .map_err(|e| SnapshotError::Decode(e.to_string()))?,
            queues,
            referrals: &self.referrals,
            deadlines: &self.deadlines,
            rounds: &self.rounds,
            refusals,
            revoked_keys,
            authorities: &self.authorities,
            officials: &self.officials,
            key_officials: self.key_bindings(),
            extensions: &self.extensions,
            transfers: self.transfers().collect(),
            late_claims: self.late_claims().collect(),
            exchanges: self.exchanges().collect(),
            files: self.files.all(),
            partners: self.joint_pairs().collect(),
            portal_key: self.portal_key(),
            publication_secret: self.publication_secret(),
            certificates: &self.certificates,
            next_stand_in: self.next_stand_in,
            last_erasure: self.last_erasure,
            finished: self.finished.all().collect(),
            days: self.days_image(),
        };
        // About what a million-record state takes (an application, ~20 bytes a logged
        // change): one allocation instead of a doubling buffer copied over and over.
        let changes: usize = self.queues.values().map(|q| q.log().len()).sum();
        let room = 1 << 16 | (self.applications.len() * APPLICATION_BYTES + changes * 20);
        postcard::to_extend(&image, Vec::with_capacity(room))
            .map_err(|e| SnapshotError::Decode(e.to_string()))
    }

    /// The state a snapshot holds, its indexes built again.
    ///
    /// # Errors
    /// Bytes of another layout, bytes that do not decode, or records that do not hang
    /// together (an index past its table, a queued child without its queue).
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, SnapshotError> {
        let (format, _) = postcard::take_from_bytes::<u32>(bytes)
            .map_err(|e| SnapshotError::Decode(e.to_string()))?;
        if format != FORMAT {
            return Err(SnapshotError::Format(format));
        }
        let image: Image =
            postcard::from_bytes(bytes).map_err(|e| SnapshotError::Decode(e.to_string()))?;
        rebuild(image)
    }
}

fn inconsistent(what: impl Into<String>) -> SnapshotError {
    SnapshotError::Inconsistent(what.into())
}

/// One chunk of a table, decoded into a `Vec` of exactly its length (serde's own `Vec`
/// starts at most 1 MiB and doubles: two copies of each chunk, and room for half a chunk
/// more left empty in each), never more than a chunk's worth however long it says it is.
struct Chunk<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Chunk<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Items<T> {
            type Value = Chunk<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a chunk of a table")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Chunk<T>, A::Error> {
                let room = seq.size_hint().unwrap_or(0).min(Table::<T>::CHUNK);
                let mut items = Vec::with_capacity(room);
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Chunk(items))
            }
        }
        d.deserialize_seq(Items(std::marker::PhantomData))
    }
}

/// The application table of its chunks, decoded half on this thread and half on another.
fn applications(blobs: &[&[u8]]) -> Result<Table<Application>, SnapshotError> {
    let decode = |part: &[&[u8]]| {
        part.iter()
            .map(|b| {
                postcard::from_bytes::<Chunk<Application>>(b)
                    .map(|c| c.0)
                    .map_err(|e| SnapshotError::Decode(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let (first, second) = blobs.split_at(blobs.len() / 2);
    let (chunks, rest) = if first.is_empty() {
        (Ok(Vec::new()), decode(second))
    } else {
        std::thread::scope(|s| {
            let rest = s.spawn(|| decode(second));
            let chunks = decode(first);
            let rest = rest.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (chunks, rest)
        })
    };
    let mut chunks = chunks?;
    chunks.extend(rest?);
    if chunks.is_empty() {
        return Ok(Table::default());
    }
    Table::from_chunks(chunks)
        .ok_or_else(|| inconsistent("its applications are not in whole chunks"))
}

/// The state of a decoded image: its tables, and every index built from them.
#[allow(
    clippy::too_many_lines,
    reason = "one step per table of the image, in the image's order"
)]
fn rebuild(image: Image<'_>) -> Result<State, SnapshotError> {
    let policy = Policy::from_toml(&image.policy)
        .map_err(|e| inconsistent(format!("its policy does not read: {e}")))?;
    let mut state = State::new(policy);
    state.policy_sha256 = image.policy_sha256;
    state.last_seq = image.last_seq;
    for (i, d) in image.districts.iter().enumerate() {
        state
            .district_index
            .insert(d.id.clone(), DistrictIx::from_slot(i));
    }
    state.districts = image.districts;
    for (i, k) in image.kindergartens.iter().enumerate() {
        if k.district.slot() >= state.districts.len() {
            return Err(inconsistent(format!(
                "kindergarten {} has no district",
                k.id
            )));
        }
        state
            .kindergarten_index
            .insert(k.id.clone(), KgIx::from_slot(i));
        state.kindergarten_districts.push(k.district);
    }
    state.kindergartens = image.kindergartens;
    let applications = applications(&image.applications)?;
    let n = applications.len();
    let claimed = image.categories.len();
    if let Some(app) = applications
        .iter()
        .find(|a| a.category.is_some_and(|c| c.slot() >= claimed))
    {
        return Err(inconsistent(format!(
            "application {} claims a category it does not list",
            app.id
        )));
    }
    state.categories = image.categories;
    state.applications = applications;
    let apps = &state.applications;
    let tiers = state.policy.tiers.len();
    // The three indexes over the applications are independent: the two maps are built on
    // a second core while this one fills the queues.
    let (index, latest, queues) = std::thread::scope(|s| {
        let maps = s.spawn(|| {
            let mut index = AppIndex::default();
            index.reserve(apps, n);
            let mut latest = ChildIndex::default();
            latest.reserve(apps, n);
            for i in 0..apps.len() {
                let a = AppIx::from_slot(i);
                index.insert(apps, a);
                latest.put(apps, a);
            }
            (index, latest)
        });
        let queues = queues(tiers, apps, image.queues);
        let (index, latest) = maps.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (index, latest, queues)
    });
    state.application_index = index;
    state.latest_by_child = latest;
    state.queues = queues?;
    for (i, r) in image.referrals.iter().enumerate() {
        if r.app.slot() >= n {
            return Err(inconsistent(format!(
                "referral {} has no application",
                r.id
            )));
        }
        state
            .referral_index
            .insert(r.id.clone(), ReferralIx::from_slot(i));
    }
    state.referrals = image.referrals;
    state.deadlines = image.deadlines;
    for (i, r) in image.rounds.iter().enumerate() {
        state
            .round_index
            .insert(r.round_id.clone(), RoundIx::from_slot(i));
    }
    state.rounds = image.rounds;
    state.refusals = image.refusals.into_iter().collect();
    state.revoked_keys = image.revoked_keys.into_iter().collect();
    state.authorities = image.authorities;
    if image
        .key_officials
        .iter()
        .any(|(_, i)| *i >= image.officials.len())
    {
        return Err(inconsistent(
            "a key belongs to an official it does not list",
        ));
    }
    state.officials = image.officials;
    state.key_officials = image.key_officials.into_iter().collect();
    state.extensions = image.extensions;
    state.transfers = by_application(image.transfers, n, "a transfer")?;
    state.late_claims = by_application(image.late_claims, n, "a late claim")?;
    restore_exchanges(&mut state, image.exchanges, n)?;
    restore_files(&mut state, image.files, n)?;
    if image.certificates.len() != state.rounds.len() {
        return Err(inconsistent("a round without its certificate"));
    }
    state.certificates = image.certificates;
    state.next_stand_in = image.next_stand_in;
    state.last_erasure = image.last_erasure;
    if image.finished.iter().any(|(_, a)| a.slot() >= n) {
        return Err(inconsistent(
            "a finished application the snapshot does not hold",
        ));
    }
    state.restore_finished(image.finished);
    state.file_all_claims();
    state.restore_days(image.days);
    restore_pairs(
        &mut state,
        image.partners,
        n,
        (image.portal_key, image.publication_secret),
    )?;
    Ok(state)
}

/// The proof files, each of an application the snapshot holds.
fn restore_files(
    state: &mut State,
    files: Vec<(AppIx, crate::event::ProofFile)>,
    n: usize,
) -> Result<(), SnapshotError> {
    for (a, f) in files {
        if a.slot() >= n {
            return Err(inconsistent(format!(
                "file {} has no application",
                f.file_id
            )));
        }
        state.keep_file(a, f);
    }
    Ok(())
}

/// The joint applications, each of two applications the snapshot holds; the portal's key
/// and the public journal's secret.
fn restore_pairs(
    state: &mut State,
    pairs: Vec<(AppIx, AppIx)>,
    n: usize,
    (portal_key, secret): (Option<crate::event::PortalKey>, Option<Box<str>>),
) -> Result<(), SnapshotError> {
    state.portal_key = portal_key.map(Box::new);
    state.publication_secret = secret;
    for (a, b) in pairs {
        if a.slot() >= n || b.slot() >= n {
            return Err(inconsistent("a joint application has no application"));
        }
        state.join(a, b);
    }
    Ok(())
}

/// The exchanges, each of applications the snapshot holds; the open ones hold their members.
fn restore_exchanges(
    state: &mut State,
    exchanges: Vec<super::Exchange>,
    n: usize,
) -> Result<(), SnapshotError> {
    for x in exchanges {
        if x.members.iter().any(|a| a.slot() >= n) {
            return Err(inconsistent(format!(
                "exchange {} has a member it does not hold",
                x.offer.exchange_id
            )));
        }
        let status = x.status;
        state.add_exchange(x);
        if status != super::ExchangeStatus::Offered {
            state.close_exchange(state.exchanges.len() - 1, status);
        }
    }
    Ok(())
}

/// Records kept by application (`what`: transfer requests, late claims), each of an
/// application the snapshot holds.
fn by_application<T>(
    image: Vec<(AppIx, T)>,
    n: usize,
    what: &str,
) -> Result<std::collections::BTreeMap<AppIx, T>, SnapshotError> {
    if let Some((a, _)) = image.iter().find(|(a, _)| a.slot() >= n) {
        return Err(inconsistent(format!(
            "{what} of application {a:?} it does not hold"
        )));
    }
    Ok(image.into_iter().collect())
}

/// Every cohort queue with its phases and log, its lists filled with the children queued
/// in it.
fn queues(
    tiers: usize,
    applications: &Table<Application>,
    images: Vec<QueueImage>,
) -> Result<FxHashMap<QueueKey, CohortQueue>, SnapshotError> {
    let mut queued: FxHashMap<QueueKey, Vec<AppIx>> = FxHashMap::default();
    for (i, app) in applications.iter().enumerate() {
        if app.status == AppStatus::Queued {
            queued
                .entry(app.queue_key())
                .or_default()
                .push(AppIx::from_slot(i));
        }
    }
    let mut out = FxHashMap::default();
    out.reserve(images.len());
    for q in images {
        let apps = queued.remove(&q.key).unwrap_or_default();
        let arrivals = apps
            .iter()
            .filter_map(|a| Some(applications.get(a.slot())?.arrival(*a)));
        let queue = CohortQueue::restored(tiers, q.phases, q.log, arrivals);
        out.insert(q.key, queue);
    }
    if let Some(key) = queued.keys().next() {
        return Err(inconsistent(format!(
            "children are queued in {key:?}, which it does not hold"
        )));
    }
    Ok(out)
}

/// Instants as nanoseconds since the epoch (a million of them: text would cost a parse
/// each).
pub(crate) mod instant {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        t.as_nanosecond().serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let n = i128::deserialize(d)?;
        Timestamp::from_nanosecond(n).map_err(serde::de::Error::custom)
    }
}

/// Dates as (year, month, day).
pub(crate) mod date {
    use jiff::civil::Date;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde's `with` passes a reference to the field"
    )]
    pub(crate) fn serialize<S: Serializer>(t: &Date, s: S) -> Result<S::Ok, S::Error> {
        (t.year(), t.month(), t.day()).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let (y, m, day) = <(i16, i8, i8)>::deserialize(d)?;
        Date::new(y, m, day).map_err(serde::de::Error::custom)
    }
}

/// The journal's own types (labels, names, grounds, rounds) as their journal JSON: they
/// leave out empty fields, which a format without field names cannot tell. Few records.
pub(crate) mod json {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer, T: Serialize>(t: &T, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_string(t)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, ClaimStatus, Iin, Language};

    /// A state holding `n` withdrawn applications (no queue needed), some claiming one of
    /// two categories.
    fn state_of(n: usize) -> State {
        let mut s = State::new(Policy::kz_2013());
        let codes = [
            Category::parse("disabled").unwrap(),
            Category::parse("large_family").unwrap(),
        ];
        let iins: Vec<Iin> = (1..=u16::MAX)
            .filter_map(|x| Iin::compose(jiff::civil::date(2022, 1, 1), x % 2 == 0, x))
            .take(1000)
            .collect();
        for i in 0..n {
            let category = (i % 3 < 2).then(|| s.category_ix(&codes[i % 3]).unwrap());
            let app = Application {
                id: ApplicationId::parse(&format!("A{i}")).unwrap(),
                child_iin: iins[i % iins.len()],
                child_name: format!("Child {i}").into(),
                birth_date: jiff::civil::date(2022, 1, 1),
                cohort: 2022,
                applicant: None,
                district: DistrictIx::new(0),
                language: Language::Kk,
                preferences: super::super::Preferences::default(),
                category,
                claim: ClaimStatus::None,
                tier: 0,
                documents: 0,
                channel: Channel::Portal,
                referred_at_once: false,
                registered_at: Timestamp::from_second(1_700_000_000 + i64::try_from(i).unwrap())
                    .unwrap(),
                seq: Seq::new(u64::try_from(i).unwrap() + 1),
                status: AppStatus::Withdrawn,
                referral: None,
                stopped_until: None,
                previous: None,
            };
            s.add_application(app).unwrap();
        }
        s
    }

    /// A table of several chunks (decoded half on each of two threads) comes back whole
    /// and in order, with its id and child indexes and its categories.
    #[test]
    fn a_table_of_many_chunks_comes_back_whole() {
        for n in [
            0,
            1,
            Table::<Application>::CHUNK,
            2 * Table::<Application>::CHUNK + 5,
        ] {
            let state = state_of(n);
            let back = State::from_snapshot(&state.to_snapshot().unwrap()).unwrap();
            assert_eq!(
                format!("{:?}", back.applications),
                format!("{:?}", state.applications),
                "{n}"
            );
            for i in (0..n).step_by(997) {
                let id = ApplicationId::parse(&format!("A{i}")).unwrap();
                let a = back.application_index(&id).unwrap();
                assert_eq!(a.slot(), i);
                let app = back.application(a).unwrap();
                assert_eq!(
                    back.latest_application_of(&app.child_iin),
                    state.latest_application_of(&app.child_iin)
                );
                assert_eq!(
                    back.category_of(app),
                    state.category_of(state.application(a).unwrap())
                );
            }
        }
    }

    /// A category index past the list of codes is refused, not followed.
    #[test]
    fn a_category_past_the_list_is_refused() {
        let mut state = state_of(3);
        state.categories.pop();
        let e = State::from_snapshot(&state.to_snapshot().unwrap()).unwrap_err();
        assert!(e.to_string().contains("category"), "{e}");
    }
}

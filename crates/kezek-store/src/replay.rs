//! Start-up: read the whole journal, verify every link of the chain and apply every event
//! to a fresh state. Any record that does not verify or apply stops it, naming the seq.

use crate::record::Hash;
use crate::sealing::KeyCache;
use crate::{EventLog, StoreError, StoredEvent};
use kezek_core::command::Bulk;
use kezek_core::model::{Cutoff, Seq};
use kezek_core::{Event, State};

/// Why a journal could not be replayed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReplayError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record is corrupt, out of place or does not apply.
    #[error("journal record {seq} is invalid: {message}")]
    Corrupt {
        /// The first bad record.
        seq: Seq,
        /// What is wrong with it.
        message: String,
    },
}

/// Records read per page.
const PAGE: usize = 10_000;

/// Replays `journal` into `state` (normally empty) and returns the last seq applied.
///
/// # Errors
/// The first record that is missing, corrupt, out of order or does not apply.
pub fn replay(journal: &dyn EventLog, state: &mut State) -> Result<Seq, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    replay_with(journal, state, &mut keys)
}

/// [`replay`] with the journal's keys loaded by the caller, who keeps them (with those met
/// on the way) to seal and open what comes next.
///
/// # Errors
/// As [`replay`].
pub fn replay_with(
    journal: &dyn EventLog,
    state: &mut State,
    keys: &mut KeyCache,
) -> Result<Seq, ReplayError> {
    walk(journal, state, (start(journal)?, keys), false, None).map(|(last, _)| last)
}

/// Replays `journal` into `state` (empty) up to its last record made at or before `until`:
/// the state as it was then. Returns the last seq applied.
///
/// # Errors
/// As [`replay`], for the records read.
pub fn replay_until(
    journal: &dyn EventLog,
    state: &mut State,
    until: jiff::Timestamp,
) -> Result<Seq, ReplayError> {
    /// Stops the walk at the first record made after `until`.
    struct Until {
        until: jiff::Timestamp,
        stopped: bool,
    }
    impl Observer for Until {
        fn before(&mut self, _: &State, record: &Applied<'_>) -> Result<(), String> {
            let later = record
                .at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|at| at > self.until);
            if later {
                self.stopped = true;
                return Err("later than asked".into());
            }
            Ok(())
        }
        fn after(&mut self, _: &State, _: &Applied<'_>) -> Result<(), String> {
            Ok(())
        }
    }
    let mut until = Until {
        until,
        stopped: false,
    };
    let mut keys = KeyCache::load(journal)?;
    match walk(
        journal,
        state,
        (start(journal)?, &mut keys),
        false,
        Some(&mut until),
    ) {
        Ok((last, _)) => Ok(last),
        Err(ReplayError::Corrupt { .. }) if until.stopped => Ok(state.last_seq()),
        Err(e) => Err(e),
    }
}

/// Where a replay of `journal` from its start begins: seq 0 and the hash its first record
/// chains from (`EventLog::genesis`).
///
/// # Errors
/// The journal cannot be read.
pub fn start(journal: &dyn EventLog) -> Result<crate::Head, StoreError> {
    Ok(crate::Head::start(journal.genesis()?))
}

/// Replays the records after `from` into `state`, which holds exactly the journal up to
/// `from` (a state restored from a snapshot taken there): the journal's record at
/// `from.seq` must have `from.hash`, and every record after it is checked and applied as
/// [`replay`] does. Returns the last seq applied.
///
/// # Errors
/// The journal's record at `from.seq` is not the one the state was taken at; as [`replay`].
pub fn resume(
    journal: &dyn EventLog,
    state: &mut State,
    from: crate::Head,
) -> Result<Seq, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    resume_inner(journal, state, (from, &mut keys), None)
}

/// [`resume`] with the journal's keys loaded by the caller (see [`replay_with`]).
///
/// # Errors
/// As [`resume`].
pub fn resume_with(
    journal: &dyn EventLog,
    state: &mut State,
    from: crate::Head,
    keys: &mut KeyCache,
) -> Result<Seq, ReplayError> {
    resume_inner(journal, state, (from, keys), None)
}

/// [`resume`], with `observer` called around every record (the empty head `from` replays
/// from the start).
///
/// # Errors
/// As [`resume`], and the first message of the observer, at its record.
pub fn resume_observed(
    journal: &dyn EventLog,
    state: &mut State,
    from: crate::Head,
    observer: &mut dyn Observer,
) -> Result<Seq, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    resume_inner(journal, state, (from, &mut keys), Some(observer))
}

/// [`resume_observed`] with the journal's keys loaded by the caller (see [`replay_with`]).
///
/// # Errors
/// As [`resume_observed`].
pub fn resume_observed_with(
    journal: &dyn EventLog,
    state: &mut State,
    (from, keys): (crate::Head, &mut KeyCache),
    observer: &mut dyn Observer,
) -> Result<Seq, ReplayError> {
    resume_inner(journal, state, (from, keys), Some(observer))
}

fn resume_inner(
    journal: &dyn EventLog,
    state: &mut State,
    (from, keys): (crate::Head, &mut KeyCache),
    observer: Option<&mut dyn Observer>,
) -> Result<Seq, ReplayError> {
    if hash_at(journal, from.seq)? != Some(from.hash) {
        return Err(ReplayError::Corrupt {
            seq: from.seq,
            message: "the journal's record here is not the one the state was taken at".into(),
        });
    }
    walk(journal, state, (from, keys), false, observer).map(|(last, _)| last)
}

/// The hash of the journal's record at `seq` (its genesis at 0), `None` when the journal
/// has no such record.
///
/// # Errors
/// The journal cannot be read.
pub fn hash_at(journal: &dyn EventLog, seq: Seq) -> Result<Option<crate::Hash>, StoreError> {
    if seq == Seq::new(0) {
        return journal.genesis().map(Some);
    }
    let at = journal.read(Seq::new(seq.get() - 1), 1)?;
    Ok(at.first().filter(|r| r.seq == seq).map(|r| r.hash))
}

/// A record as an audit applies it, for an [`Observer`].
#[derive(Debug)]
pub struct Applied<'a> {
    /// Its seq.
    pub seq: Seq,
    /// Its event.
    pub event: &'a Event,
    /// When its command was carried out (RFC 3339, as journaled).
    pub at: &'a str,
    /// Who.
    pub actor: &'a str,
    /// Its hash.
    pub hash: &'a Hash,
}

/// What the caller of [`audit_observed`] checks around each record; a message stops the
/// audit at that record.
pub trait Observer {
    /// Before `record` is applied, on the state the records before it left.
    ///
    /// # Errors
    /// What does not check.
    fn before(&mut self, _state: &State, _record: &Applied<'_>) -> Result<(), String> {
        Ok(())
    }

    /// After `record` is applied.
    ///
    /// # Errors
    /// What does not check.
    fn after(&mut self, state: &State, record: &Applied<'_>) -> Result<(), String>;

    /// After the last record.
    ///
    /// # Errors
    /// What does not check.
    fn end(&mut self, _state: &State) -> Result<(), String> {
        Ok(())
    }
}

/// What an audit checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// Records verified and applied.
    pub events: u64,
    /// Allocation rounds decided again and found equal.
    pub rounds: u64,
}

/// Replays like [`replay`] and also decides every allocation round again from the state
/// just before it: the referrals, phases and seats left must equal the journaled ones, so
/// a journal rewritten with a consistent hash chain is still caught.
///
/// # Errors
/// As [`replay`], and the first round whose re-run differs.
pub fn audit(journal: &dyn EventLog, state: &mut State) -> Result<Audit, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    walk(journal, state, (start(journal)?, &mut keys), true, None).map(|(last, rounds)| Audit {
        events: last.get(),
        rounds,
    })
}

/// [`audit`], with `observer` called around every record.
///
/// # Errors
/// As [`audit`], and the first message of the observer, at its record.
pub fn audit_observed(
    journal: &dyn EventLog,
    state: &mut State,
    observer: &mut dyn Observer,
) -> Result<Audit, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    walk(
        journal,
        state,
        (start(journal)?, &mut keys),
        true,
        Some(observer),
    )
    .map(|(last, rounds)| Audit {
        events: last.get(),
        rounds,
    })
}

/// Decides the round `record` (journaled at `seq`) again on `state`, the state just before
/// it, and compares: referrals, phases, seats left and exchanges offered.
///
/// # Errors
/// The round cannot be re-run, or decides differently (the first difference named).
pub fn check_round(
    state: &State,
    seq: Seq,
    record: &kezek_core::event::RoundRecord,
) -> Result<(), ReplayError> {
    let fail = |message: String| ReplayError::Corrupt { seq, message };
    let again = kezek_core::command::round::replan(state, record)
        .map_err(|e| fail(format!("round cannot be re-run: {e}")))?;
    if let Some((i, (a, b))) = again
        .referrals
        .iter()
        .zip(&record.referrals)
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        return Err(fail(format!(
            "round {} re-runs differently at referral {}: journal has {} -> {}/{}, re-run gives {} -> {}/{}",
            record.round_id, i + 1, b.application_id, b.kindergarten_id, b.group_id, a.application_id, a.kindergarten_id, a.group_id
        )));
    }
    if again.referrals.len() != record.referrals.len()
        || again.phases != record.phases
        || again.free_seats_left != record.free_seats_left
        || again.exchanges != record.exchanges
    {
        return Err(fail(format!(
            "round {} re-runs differently: {} referrals, {} seats left and {} exchanges offered, journal has {}, {} and {}",
            record.round_id,
            again.referrals.len(),
            again.free_seats_left,
            again.exchanges.len(),
            record.referrals.len(),
            record.free_seats_left,
            record.exchanges.len()
        )));
    }
    Ok(())
}

/// A record verified and decoded; with its time, actor and hash when observed.
struct Record {
    seq: Seq,
    event: Event,
    meta: Option<Box<(String, String, Hash)>>,
}

/// A page of records on its way to the applying thread.
type Page = Vec<Record>;

/// Pages in flight between the reading and the applying thread.
const PAGES_IN_FLIGHT: usize = 4;

fn walk(
    journal: &dyn EventLog,
    state: &mut State,
    (from, keys): (crate::Head, &mut KeyCache),
    rerun_rounds: bool,
    mut observer: Option<&mut dyn Observer>,
) -> Result<(Seq, u64), ReplayError> {
    if state.last_seq() != from.seq {
        return Err(ReplayError::Corrupt {
            seq: state.last_seq(),
            message: format!("replay from {} needs a state up to it", from.seq),
        });
    }
    // Reading, hashing and decoding take about as long as applying: one thread does the
    // first three while this one applies, so start-up uses both cores.
    let (pages, received) = std::sync::mpsc::sync_channel::<Page>(PAGES_IN_FLIGHT);
    let cutoff = state.policy().cutoff;
    // Registrations enter their cohort queues in bulk (see `State::bulk`); the observer and
    // the rerun rounds look at the state through the guard, which brings the queues up to date.
    let state = &mut state.bulk();
    std::thread::scope(|scope| {
        let keep_meta = observer.is_some();
        let reader =
            scope.spawn(move || read_verified(journal, (from, keys, cutoff), &pages, keep_meta));
        let (mut last, mut rounds) = (from.seq, 0);
        let mut outcome = Ok(());
        for page in &received {
            let mut walk = Walk {
                rerun_rounds,
                last: &mut last,
                rounds: &mut rounds,
                observer: observer.as_deref_mut(),
            };
            outcome = walk.apply_page(state, page);
            if outcome.is_err() {
                break;
            }
        }
        // Dropping the receiver stops the reader at its next send.
        drop(received);
        let read = reader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        outcome?;
        // A record the reader refused ends the walk there: the observer's end does not speak
        // for a journal that was not read to its end.
        read?;
        if let Some(o) = observer {
            o.end(state.state())
                .map_err(|message| ReplayError::Corrupt { seq: last, message })?;
        }
        Ok((last, rounds))
    })
}

/// What applying needs besides the state.
struct Walk<'a, 'o> {
    rerun_rounds: bool,
    last: &'a mut Seq,
    rounds: &'a mut u64,
    observer: Option<&'a mut (dyn Observer + 'o)>,
}

impl Walk<'_, '_> {
    /// Applies a verified page, re-running each round first when `rerun_rounds`, with the
    /// observer around each record.
    fn apply_page(&mut self, state: &mut Bulk, page: Page) -> Result<(), ReplayError> {
        for Record { seq, event, meta } in page {
            let fail = |message: String| ReplayError::Corrupt { seq, message };
            let applied = meta.as_deref().map(|(at, actor, hash)| Applied {
                seq,
                event: &event,
                at,
                actor,
                hash,
            });
            if let (Some(o), Some(a)) = (self.observer.as_deref_mut(), &applied) {
                o.before(state.state(), a).map_err(fail)?;
            }
            if let (true, Event::RoundRun(r)) = (self.rerun_rounds, &event) {
                check_round(state.state(), seq, r)?;
                *self.rounds += 1;
            }
            state
                .apply(seq, &event)
                .map_err(|e| fail(e.mismatch.to_string()))?;
            *self.last = seq;
            if let (Some(o), Some(a)) = (self.observer.as_deref_mut(), &applied) {
                o.after(state.state(), a).map_err(fail)?;
            }
        }
        Ok(())
    }
}

/// Records a page is split into to be hashed and decoded at the same time.
const PREPARE_CHUNKS: usize = 2;

/// For each record of `page`: its event, when the record's bytes hash to its hash (from its
/// own `prev_hash`; the link is the caller's to check) and its payload decodes with `keys` as
/// they are, to an event of its kind — else `None`. The page is split between two threads:
/// a sealed journal's records take longer to open than to apply.
fn prepare(page: &[StoredEvent], cutoff: Cutoff, keys: &KeyCache) -> Vec<Option<Event>> {
    let one = |r: &StoredEvent| {
        let hash = crate::record::chain(&r.prev_hash, r.seq, &r.at, &r.actor, &r.kind, &r.payload);
        if hash != r.hash {
            return None;
        }
        let event = crate::sealing::decode(&r.payload, cutoff, keys).ok()?;
        r.of_its_kind(event).ok()
    };
    let size = page.len().div_ceil(PREPARE_CHUNKS).max(1);
    std::thread::scope(|scope| {
        let mut chunks = page.chunks(size);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks
            .map(|c| scope.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut out: Vec<Option<Event>> = first.iter().map(one).collect();
        for h in others {
            out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        out
    })
}

/// Reads every record in order, checks its link and hash and decodes it; sends the pages
/// and returns the last seq, after checking it against the journal's head.
fn read_verified(
    journal: &dyn EventLog,
    (from, keys, cutoff): (crate::Head, &mut KeyCache, Cutoff),
    pages: &std::sync::mpsc::SyncSender<Page>,
    keep_meta: bool,
) -> Result<Seq, ReplayError> {
    let (mut last, mut hash) = (from.seq, from.hash);
    loop {
        let page = journal.read(last, PAGE)?;
        if page.is_empty() {
            // The end of the chain must be the journal's head. A shared journal's leader may
            // have appended since the last page: then read on.
            let head = journal.head()?;
            if head.seq > last {
                continue;
            }
            if head.seq != last || head.hash != hash {
                return Err(ReplayError::Corrupt {
                    seq: head.seq,
                    message: "the head does not match the chain".into(),
                });
            }
            return Ok(last);
        }
        let mut events = Vec::with_capacity(page.len());
        let mut failure = None;
        let ready = prepare(&page, cutoff, keys);
        for (record, ready) in page.into_iter().zip(ready) {
            // The hash and the event were worked out on both cores; the link to the record
            // before is checked here, in order. A record that did not pass there (a key not
            // loaded yet, or a fault to name) goes the whole way again, in order.
            let fast = match ready {
                Some(event) if record.seq == last.next() && record.prev_hash == hash => {
                    crate::sealing::note_erasure(keys, &event);
                    Ok(event)
                }
                _ => crate::sealing::open_after(&record, (last, &hash), cutoff, keys, journal),
            };
            match fast {
                Ok(event) => events.push(Record {
                    seq: record.seq,
                    event,
                    meta: keep_meta
                        .then(|| Box::new((record.at.clone(), record.actor.clone(), record.hash))),
                }),
                Err(message) => {
                    failure = Some(ReplayError::Corrupt {
                        seq: last.next(),
                        message,
                    });
                    break;
                }
            }
            (last, hash) = (record.seq, record.hash);
        }
        // What verified before a failure is applied first, so an earlier record that does
        // not apply is reported before a later one that does not verify.
        if pages.send(events).is_err() {
            return Ok(last);
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
    }
}

/// Up to `limit` records after `after`, each checked against the one before (from `after`'s
/// hash) and decoded: what a follower applies of the leader's journal. The new head with
/// them.
///
/// # Errors
/// Storage failure; the first record that is out of place or corrupt.
pub fn tail(
    journal: &dyn EventLog,
    after: crate::Head,
    limit: usize,
    (keys, cutoff): (&mut KeyCache, Cutoff),
) -> Result<(Vec<(Seq, Event)>, crate::Head), ReplayError> {
    let mut head = after;
    let page = journal.read(after.seq, limit)?;
    let mut events = Vec::with_capacity(page.len());
    for record in page {
        let event =
            crate::sealing::open_after(&record, (head.seq, &head.hash), cutoff, keys, journal)
                .map_err(|message| ReplayError::Corrupt {
                    seq: head.seq.next(),
                    message,
                })?;
        events.push((record.seq, event));
        head = crate::Head {
            seq: record.seq,
            hash: record.hash,
        };
    }
    Ok((events, head))
}

#[cfg(test)]
mod tests {
    use super::check_round;
    use jiff::Timestamp;
    use kezek_core::allocation::RoundSpec;
    use kezek_core::command::admission::Enroll;
    use kezek_core::command::kindergarten::UpsertKindergarten;
    use kezek_core::command::referral::Confirm;
    use kezek_core::command::register::Register;
    use kezek_core::command::transfer::RequestTransfer;
    use kezek_core::event::GroupSpec;
    use kezek_core::model::{DistrictId, GroupId, Iin, KindergartenId, Language, RoundId, Seq};
    use kezek_core::{Event, Policy, State};

    fn at() -> Timestamp {
        "2026-09-02T05:00:00Z".parse().unwrap()
    }

    /// Two children at two kindergartens, each asking for the other's.
    fn two_who_would_swap() -> State {
        let mut s = State::new(Policy::kz_2013());
        for k in ["K1", "K2"] {
            s.execute(UpsertKindergarten {
                kindergarten_id: KindergartenId::parse(k).unwrap(),
                name: k.into(),
                district: DistrictId::parse("D1").unwrap(),
                labels: kezek_core::event::KindergartenLabels::default(),
                groups: vec![GroupSpec {
                    group_id: GroupId::parse("g4").unwrap(),
                    age_years: 4,
                    language: Language::Kk,
                    capacity: 1,
                    enrolled: 0,
                }],
                academic_year: None,
            })
            .unwrap();
        }
        for (n, (k, other)) in [("K1", "K2"), ("K2", "K1")].into_iter().enumerate() {
            let n = u16::try_from(n).unwrap() + 1;
            let child = Iin::compose(jiff::civil::date(2022, 3, 1), false, n).unwrap();
            let out = s
                .execute(Register {
                    application_id: Some(
                        kezek_core::model::ApplicationId::parse(&format!("a{n}")).unwrap(),
                    ),
                    round_id: Some(RoundId::parse(&format!("reg{n}")).unwrap()),
                    child_iin: child.to_string(),
                    child_name: "Aruzhan".into(),
                    birth_date: None,
                    applicant_iin: "880101300123".into(),
                    applicant_name: "Dana".into(),
                    representative: None,
                    applicant_email: None,
                    district: "D1".into(),
                    language: "kk".into(),
                    preferences: vec![k.into()],
                    category: None,
                    documents: ["application_form", "applicant_id", "address_proof"]
                        .map(String::from)
                        .to_vec(),
                    channel: "portal".into(),
                    claim_verified: false,
                    together_with: None,
                    at: at(),
                })
                .unwrap();
            let Some((_, Event::RoundRun(round))) = out.last() else {
                panic!("referred at once")
            };
            let (referral_id, application_id) = (
                round.referrals[0].referral_id.clone(),
                round.referrals[0].application_id.clone(),
            );
            s.execute(Confirm {
                referral_id: referral_id.clone(),
                at: at(),
            })
            .unwrap();
            s.execute(Enroll {
                referral_id,
                at: at(),
            })
            .unwrap();
            s.execute(RequestTransfer {
                application_id,
                preferences: vec![other.into()],
                at: at(),
            })
            .unwrap();
        }
        s
    }

    #[test]
    fn a_round_whose_exchange_offers_were_rewritten_does_not_verify() {
        let s = two_who_would_swap();
        let district = s.district_index(&DistrictId::parse("D1").unwrap()).unwrap();
        let record = s
            .allocate(&RoundSpec {
                round_id: RoundId::parse("r1").unwrap(),
                district,
                academic_year: 2026,
                at: at(),
                scope: None,
                newcomer: None,
            })
            .unwrap();
        assert_eq!(record.exchanges.len(), 1, "{record:?}");
        let seq = Seq::new(s.last_seq().get() + 1);
        assert!(check_round(&s, seq, &record).is_ok());
        let mut forged = record.clone();
        forged.exchanges.clear();
        let err = check_round(&s, seq, &forged).unwrap_err().to_string();
        assert!(
            err.contains("1 exchanges offered, journal has 0 referrals")
                || err.contains("exchanges offered"),
            "{err}"
        );
    }
}

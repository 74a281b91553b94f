//! Start-up: read the whole journal, verify every link of the chain and apply every event
//! to a fresh state. Any record that does not verify or apply stops it, naming the seq.

use crate::record::GENESIS;
use crate::{Journal, StoreError};
use kezek_core::types::Seq;
use kezek_core::State;

/// Why a journal could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
pub fn replay(journal: &dyn Journal, state: &mut State) -> Result<Seq, ReplayError> {
    walk(journal, state, false).map(|(last, _)| last)
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
pub fn audit(journal: &dyn Journal, state: &mut State) -> Result<Audit, ReplayError> {
    walk(journal, state, true).map(|(last, rounds)| Audit {
        events: last.get(),
        rounds,
    })
}

fn check_round(
    state: &State,
    seq: Seq,
    record: &kezek_core::event::RoundRecord,
) -> Result<(), ReplayError> {
    let fail = |message: String| ReplayError::Corrupt { seq, message };
    let again = state
        .replan(record)
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
    {
        return Err(fail(format!(
            "round {} re-runs differently: {} referrals and {} seats left, journal has {} and {}",
            record.round_id,
            again.referrals.len(),
            again.free_seats_left,
            record.referrals.len(),
            record.free_seats_left
        )));
    }
    Ok(())
}

fn walk(
    journal: &dyn Journal,
    state: &mut State,
    rerun_rounds: bool,
) -> Result<(Seq, u64), ReplayError> {
    let mut rounds = 0;
    let (mut last, mut hash) = (state.last_seq(), GENESIS);
    if last != Seq::default() {
        return Err(ReplayError::Corrupt {
            seq: last,
            message: "replay needs an empty state".into(),
        });
    }
    loop {
        let page = journal.read(last, PAGE)?;
        if page.is_empty() {
            break;
        }
        for record in page {
            let event = record
                .verify(last, &hash)
                .map_err(|message| ReplayError::Corrupt {
                    seq: last.next(),
                    message,
                })?;
            if let (true, kezek_core::Event::RoundRun(r)) = (rerun_rounds, &event) {
                check_round(state, record.seq, r)?;
                rounds += 1;
            }
            state
                .apply(record.seq, &event)
                .map_err(|e| ReplayError::Corrupt {
                    seq: record.seq,
                    message: e.message,
                })?;
            (last, hash) = (record.seq, record.hash);
        }
    }
    let head = journal.head()?;
    if head.seq != last || head.hash != hash {
        return Err(ReplayError::Corrupt {
            seq: head.seq,
            message: "the head does not match the chain".into(),
        });
    }
    Ok((last, rounds))
}

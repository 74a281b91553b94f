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
    Ok(last)
}

//! The write path: request → command → events → journal → answer.
//!
//! Under the state lock a write decides its command (which changes nothing when refused),
//! applies the events, builds its answer and drafts its documents; after the lock, the
//! documents are signed and the batch goes to the journal in sequence order; the answer is
//! sent once the batch is durable. From the moment events are applied to the moment they are
//! handed to the journal the service is armed to poison itself: a failed apply, a panic or
//! a failed commit leaves a state the journal does not have, and nothing more is answered
//! from it until a restart rebuilds it (`crate::health`). An answer given without a batch of
//! its own — a retry of a write still committing, a refusal, a write with nothing to journal
//! — is read from a state that may be ahead of the journal too, so it is sent only once the
//! journal has caught up with that state.

use super::sequencer::Handover;
use crate::access::Caller;
use crate::app::Armed;
use crate::documents::{self, Draft};
use crate::error::{AppError, Unavailable};
use crate::App;
use jiff::Timestamp;
use kezek_core::{Command, Event, Outcome, State};
use kezek_store::{Append, Hash, IdempotencyRecord, PersonKeys};
use std::sync::Arc;

/// A write's answer, as sent and as stored for retries: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// 200, 201, or 422 for a journaled refusal.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Written {
    /// `value` as JSON, with `status`.
    #[must_use]
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }
}

/// An `Idempotency-Key` and the fingerprint of the request that carried it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The header's value.
    pub key: String,
    /// SHA-256 of method, path and body.
    pub fingerprint: Hash,
}

/// The answer to a retried request: the first answer, or a refusal when the key came with
/// another request.
fn repeat(r: IdempotencyRecord, fingerprint: &Hash) -> Result<Written, AppError> {
    if &r.request_hash == fingerprint {
        Ok(Written {
            status: r.status,
            body: r.body,
        })
    } else {
        Err(AppError::KeyReused)
    }
}

/// An answer given without a commit of its own (a retry, a write with nothing to journal),
/// and the seq up to which the journal must be durable before it is sent.
struct Early {
    written: Result<Written, AppError>,
    durable_at: u64,
}

/// What a write hands to the journal once the state lock is released.
struct Prepared<'a> {
    append: Append,
    drafts: Vec<Draft>,
    written: Written,
    armed: Armed<'a>,
}

impl App {
    /// Carries out a write for `caller`: `decide` turns the request into a command on the
    /// state (checking what needs the state: scope, ids); `answer` builds the answer from the
    /// state the events leave. The events go to the journal with the answer (for retries
    /// with the same `Idempotency-Key`) and the answer is returned once they are durable.
    ///
    /// # Errors
    /// What `decide` refuses, the command's [`kezek_core::Refusal`], a reused key, or
    /// [`AppError::Unavailable`] when the service is poisoned or the journal failed.
    pub(crate) async fn write(
        self: &Arc<Self>,
        caller: &Caller,
        idempotency: Option<Idempotency>,
        decide: impl FnOnce(&State, Timestamp) -> Result<Command, AppError>,
        answer: impl FnOnce(&State, &Outcome, Timestamp) -> Written,
    ) -> Result<Written, AppError> {
        let events = |state: &State, now| Ok(state.decide(decide(state, now)?)?);
        self.write_events(caller, idempotency, events, answer).await
    }

    /// [`Self::write`] with the events decided by `decide` itself.
    pub(crate) async fn write_events(
        self: &Arc<Self>,
        caller: &Caller,
        idempotency: Option<Idempotency>,
        decide: impl FnOnce(&State, Timestamp) -> Result<Vec<Event>, AppError>,
        answer: impl FnOnce(&State, &Outcome, Timestamp) -> Written,
    ) -> Result<Written, AppError> {
        self.write_stored(caller, idempotency, Vec::new(), decide, answer)
            .await
    }

    /// [`Self::write_events`] with proof files (id, bytes) stored with the events, in the
    /// same commit, when there are events.
    pub(crate) async fn write_stored(
        self: &Arc<Self>,
        caller: &Caller,
        idempotency: Option<Idempotency>,
        files: Vec<(String, Vec<u8>)>,
        decide: impl FnOnce(&State, Timestamp) -> Result<Vec<Event>, AppError>,
        answer: impl FnOnce(&State, &Outcome, Timestamp) -> Written,
    ) -> Result<Written, AppError> {
        self.check_health()?;
        self.check_writes()?;
        // The store is read for a stored answer before the state lock, never under it. The
        // read is not on a blocking thread: SQLite's is one indexed row of a WAL database,
        // which never waits for the journal's writer, and handing it to a blocking thread
        // cost a quarter of the durable registrations per second (BENCHMARKS.md);
        // PostgreSQL's is awaited, holding no thread for the round trip.
        let mark = match &idempotency {
            None => None,
            Some(i) => {
                let (found, mark) = self
                    .answers
                    .lookup(self.store.as_ref(), &caller.key_id, &i.key)
                    .await?;
                if let Some(f) = found {
                    let written = repeat(f.record, &i.fingerprint);
                    return self.once_durable(written, f.durable_at).await;
                }
                Some(mark)
            }
        };
        let prepared = match self.prepare(caller, idempotency, mark, decide, answer) {
            Ok(mut prepared) => {
                if !prepared.append.events.is_empty() {
                    prepared.append.files = files;
                }
                Ok(prepared)
            }
            Err(early) => Err(early),
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(early) => return self.once_durable(early.written, early.durable_at).await,
        };
        let written = prepared.written.clone();
        let key = prepared.append.idempotency.as_ref().map(|r| r.key.clone());
        let last = prepared.append.events.last().map(|(seq, _)| seq.get());
        let handover = self.sign_and_hand_over(prepared.append, &prepared.drafts);
        prepared.armed.disarm();
        // Waited for on a task of its own: if the client goes away, the answer still leaves
        // the pending map once durable, and a failed commit still stops the service.
        let app = Arc::clone(self);
        let actor = caller.key_id.clone();
        let durable = tokio::spawn(async move {
            let outcome = handover.durable().await;
            if let (Ok(()), Some(seq)) = (&outcome, last) {
                // In seq order: every batch before this one is durable too.
                app.health.made_durable(seq);
            }
            match (&outcome, key) {
                (Ok(()), Some(k)) => app.answers.settle(&actor, &k),
                (Ok(()), None) => {}
                (Err(e), _) => {
                    tracing::error!(error = %e, cause = ?std::error::Error::source(e), "journal write failed");
                    app.health
                        .poison("the journal failed to write an acknowledged batch");
                }
            }
            outcome
        });
        match durable.await {
            Ok(Ok(())) => Ok(written),
            Ok(Err(e)) => Err(Unavailable::Store(e).into()),
            Err(_) => Err(Unavailable::Poisoned(Arc::from("the commit task failed")).into()),
        }
    }

    /// `written` once the journal is durable up to `seq`: an answer must not show what a crash
    /// could still take back (`crate::health`).
    async fn once_durable(
        &self,
        written: Result<Written, AppError>,
        seq: u64,
    ) -> Result<Written, AppError> {
        self.health
            .until_durable(seq)
            .await
            .map_err(|reason| AppError::Unavailable(Unavailable::Poisoned(reason)))?;
        written
    }

    /// Under the state lock: the command decided and applied, its answer and its documents
    /// drafted; or an answer given early (a stored answer that came meanwhile, a refusal, a
    /// write with nothing to journal), with the seq of the state it was read from.
    fn prepare(
        &self,
        caller: &Caller,
        idempotency: Option<Idempotency>,
        mark: Option<super::answers::Mark>,
        decide: impl FnOnce(&State, Timestamp) -> Result<Vec<Event>, AppError>,
        answer: impl FnOnce(&State, &Outcome, Timestamp) -> Written,
    ) -> Result<Prepared<'_>, Early> {
        let mut state = self.state.write();
        let seen = state.last_seq().get();
        let early = |written| Early {
            written,
            durable_at: seen,
        };
        self.check_health().map_err(|e| early(Err(e)))?;
        match self.answered_meanwhile(caller, idempotency.as_ref(), mark) {
            Ok(None) => {}
            Ok(Some(f)) => {
                return Err(Early {
                    written: f.written,
                    durable_at: f.durable_at,
                })
            }
            Err(e) => return Err(early(Err(e))),
        }
        let now = self.clock.now();
        let events = decide(&state, now).map_err(|e| early(Err(e)))?;
        let armed = Armed::new(
            &self.health,
            "a write failed between applying its events and handing them to the journal",
        );
        let outcome = match state.apply_all(events) {
            Ok(outcome) => outcome,
            Err(e) => {
                self.health.poison(&format!("an event did not apply: {e}"));
                armed.disarm();
                let poisoned = Unavailable::Poisoned(Arc::from("an event did not apply"));
                return Err(early(Err(poisoned.into())));
            }
        };
        let written = answer(&state, &outcome, now);
        let record = idempotency.map(|i| IdempotencyRecord {
            actor: caller.key_id.clone(),
            key: i.key,
            request_hash: i.fingerprint,
            status: written.status,
            body: written.body.clone(),
            signature: String::new(),
        });
        let applied = state.last_seq().get();
        if let Some(r) = &record {
            self.answers.pend(r.clone(), applied);
        }
        if outcome.is_empty() && record.is_none() {
            armed.disarm();
            return Err(Early {
                written: Ok(written),
                durable_at: applied,
            });
        }
        let mut drafts = documents::drafts(&state, &outcome, now);
        let (case_drafts, case_notes) = self.case_results(&state, &outcome, now);
        drafts.extend(case_drafts);
        for d in &mut drafts {
            d.name_official(&state, &caller.key_id);
        }
        let (encoder, keys) = match self.personal.seal(&state, &outcome) {
            Ok(sealed) => {
                sealed.map_or((None, PersonKeys::default()), |s| (Some(s.encoder), s.keys))
            }
            // `armed`, dropped, poisons: the state holds events the journal will not.
            Err(_) => {
                return Err(early(Err(Unavailable::Poisoned(Arc::from(
                    "no randomness to seal personal data with",
                ))
                .into())))
            }
        };
        let append = Append {
            forget: super::personal::forgotten(&state, &outcome, now),
            documents: Vec::new(),
            files: Vec::new(),
            notifications: {
                let mut all = crate::outbox::notifications(&state, &outcome);
                all.extend(case_notes);
                all
            },
            copied: Vec::new(),
            keys,
            encoder,
            events: outcome,
            at: now.to_string(),
            actor: caller.key_id.clone(),
            idempotency: record,
        };
        Ok(Prepared {
            append,
            drafts,
            written,
            armed,
        })
    }

    /// The case engine's documents and notifications of `outcome`, made on the cases its
    /// records were applied to.
    fn case_results(
        &self,
        state: &State,
        outcome: &Outcome,
        now: Timestamp,
    ) -> (Vec<Draft>, Vec<kezek_store::NewNotification>) {
        let (mut drafts, mut notes) = (Vec::new(), Vec::new());
        if !outcome
            .iter()
            .any(|(_, e)| matches!(e, Event::Extension(_)))
        {
            return (drafts, notes);
        }
        let cases = self.cases.read();
        for (_, e) in outcome {
            if let Event::Extension(x) = e {
                if let Some(Ok(case_event)) = kezek_cases::event::from_extension(x) {
                    drafts.extend(documents::cases::drafts(state, &cases, &case_event, now));
                    notes.extend(crate::outbox::cases::notifications(&cases, &case_event));
                }
            }
        }
        (drafts, notes)
    }

    /// The stored answer of a request with the same key that got there between the first look
    /// and the state lock (looked for again under the lock, in memory).
    fn answered_meanwhile(
        &self,
        caller: &Caller,
        idempotency: Option<&Idempotency>,
        mark: Option<super::answers::Mark>,
    ) -> Result<Option<Early>, AppError> {
        let (Some(i), Some(mark)) = (idempotency, mark) else {
            return Ok(None);
        };
        let again = self
            .answers
            .recheck(self.store.as_ref(), &caller.key_id, &i.key, mark)?;
        Ok(again.map(|f| Early {
            written: repeat(f.record, &i.fingerprint),
            durable_at: f.durable_at,
        }))
    }

    /// Signs a write's documents and stored answer outside the state lock, then hands the
    /// batch to the journal in sequence order.
    fn sign_and_hand_over(&self, append: Append, drafts: &[Draft]) -> Handover {
        /// Should signing panic, the events still go to the journal (unsigned, so `kezek
        /// verify` reports them) and the service is poisoned: no later batch waits for a
        /// gap forever.
        struct Unsent<'a>(&'a App, Option<Append>);
        impl Drop for Unsent<'_> {
            fn drop(&mut self) {
                if let Some(append) = self.1.take() {
                    self.0.health.poison("signing a document failed");
                    drop(self.0.sequencer.hand_over(self.0.store.as_ref(), append));
                }
            }
        }
        let mut unsent = Unsent(self, Some(append));
        let mut documents = documents::sign_all(drafts, &self.authority);
        // Each document its official signs too, with their X.509 identity when it is held and
        // valid now: a detached CMS signature over the same bytes, stored beside it.
        let signing = Arc::clone(&self.signing.read());
        if !signing.is_empty() {
            let now = self.clock.now();
            let cms: Vec<(String, Vec<u8>)> = drafts
                .iter()
                .zip(&documents)
                .filter_map(|(d, (id, bytes))| {
                    let der = signing.sign(d.official_id()?, bytes, now)?;
                    Some((format!("{id}{}", documents::CMS_SUFFIX), der))
                })
                .collect();
            documents.extend(cms);
        }
        let Some(mut append) = unsent.1.take() else {
            unreachable!("the batch is taken only here and in drop")
        };
        append.documents = documents;
        if let Some(r) = &mut append.idempotency {
            r.signature = self.authority.seal(r);
        }
        self.sequencer.hand_over(self.store.as_ref(), append)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::keys::authority::Authority;
    use kezek_core::model::ApplicationId;
    use kezek_core::Policy;
    use kezek_store::memory::MemoryStore;
    use kezek_store::EventLog;

    #[tokio::test]
    async fn an_event_that_does_not_apply_poisons_and_is_not_journaled() {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::at(Timestamp::UNIX_EPOCH));
        let app = App::start(
            store.clone(),
            Policy::kz_2013(),
            Authority::from_seed([1; 32]),
            clock,
        )
        .unwrap();
        // A withdrawal of an application nobody registered: the core would never decide it.
        let bogus = |_: &State, at| {
            Ok(vec![Event::Withdrawn {
                application_id: ApplicationId::parse("nobody").unwrap(),
                at,
            }])
        };
        let answer = |_: &State, _: &Outcome, _| Written::json(200, &());
        let e = app
            .write_events(&Caller::system(), None, bogus, answer)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Unavailable(Unavailable::Poisoned(_))),
            "{e:?}"
        );
        assert!(app.poisoned().is_some_and(|r| r.contains("did not apply")));
        assert_eq!(store.head().unwrap().seq.get(), 0);
    }
}

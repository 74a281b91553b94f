//! What `kezek verify` checks while it replays: every signed document issued again from the
//! state its command left — a queue notification from the registration (and the cohort round
//! it ran, if any), a refusal from its grounds, a referral from its round — and compared with
//! the stored one; every notification a family was to be told drafted again the same way and,
//! at the end, compared with the outbox, one for one; and every head an auditor saved passed
//! through with the same hash.
//!
//! A journal rewritten with a consistent hash chain replays; its documents then say one thing
//! and the journal another (a child's registration time moved, a queue number that went
//! from 8 to 3), and this is where that is caught.

use super::heads::ExpectedHead;
use crate::documents::{drafts, earlier_queue_notification, signed_bytes};
use crate::views::result_id;
use jiff::Timestamp;
use kezek_core::model::Seq;
use kezek_core::{Event, State};
use kezek_store::replay::{Applied, Observer};
use kezek_store::{DocumentStore, Hash, NewNotification, NotificationStore};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A registration whose queue notification waits for the end of its command's batch.
struct Pending {
    seq: Seq,
    event: Event,
    at: String,
    actor: String,
}

/// The observer of the audit.
pub(super) struct Derive<'a> {
    documents: &'a dyn DocumentStore,
    outbox: &'a dyn NotificationStore,
    /// The journal, whose head is read again when the outbox holds more than it gives.
    journal: &'a dyn kezek_store::EventLog,
    /// The notifications the journal gives, in order, each with the seq that made it.
    notes: Vec<(u64, NewNotification)>,
    /// Where the pending registration's notifications go among them (before its round's).
    pending_at: usize,
    /// The ids of the stored documents: only those are issued again (a city of imported
    /// children has none, and a million store reads for nothing would double the audit).
    stored: HashSet<String>,
    /// Saved heads still to pass, by seq.
    heads: BTreeMap<u64, Hash>,
    /// Ids of the stored documents found to follow from the journal.
    /// Each document the journal issues again, with the seq of the record that issues it.
    pub(super) derived: HashMap<String, Seq>,
    pending: Option<Pending>,
    last: u64,
    /// The cases as the journal's case records so far leave them (built at the first).
    cases: Option<kezek_cases::Cases>,
    /// The state a node says it serves, to compare at its seq.
    served: Option<super::StateAt>,
    /// Why the state the node serves is not the journal's, once found.
    pub(super) diverged: Option<String>,
}

impl<'a> Derive<'a> {
    pub(super) fn new(
        (documents, outbox, journal): (
            &'a dyn DocumentStore,
            &'a dyn NotificationStore,
            &'a dyn kezek_store::EventLog,
        ),
        heads: &[ExpectedHead],
        served: Option<super::StateAt>,
    ) -> Result<Self, kezek_store::StoreError> {
        Ok(Self {
            outbox,
            journal,
            notes: Vec::new(),
            pending_at: 0,
            served,
            diverged: None,
            stored: documents.document_ids()?.into_iter().collect(),
            documents,
            heads: heads.iter().map(|h| (h.seq, h.hash)).collect(),
            derived: HashMap::new(),
            pending: None,
            last: 0,
            cases: None,
        })
    }

    /// The documents `event` issued, drafted on `state`, each compared with the stored one.
    fn derive(
        &mut self,
        state: &State,
        (seq, event): (Seq, &Event),
        (at, actor): (&str, &str),
    ) -> Result<(), String> {
        let single = matches!(
            event,
            Event::Registered(_) | Event::RegistrationRefused { .. }
        );
        if single && !self.stored.contains(&result_id(seq)) {
            return Ok(());
        }
        let now: Timestamp = at
            .parse()
            .map_err(|e| format!("the record's time `{at}` is not a time: {e}"))?;
        let mut issued = drafts(state, &vec![(seq, event.clone())], now);
        for d in &mut issued {
            d.name_official(state, actor);
        }
        // A registration referred at once got a queue notification too from an earlier Kezek.
        if single && issued.is_empty() {
            issued.extend(earlier_queue_notification(state, seq, event, now));
        }
        self.compare(seq, issued)
    }

    /// A case record: applied to the cases, and the documents it issues compared.
    fn derive_case(
        &mut self,
        state: &State,
        record: &Applied<'_>,
        x: &kezek_core::event::Extension,
    ) -> Result<(), String> {
        let Some(event) = kezek_cases::event::from_extension(x) else {
            return Ok(());
        };
        let event = event.map_err(|e| format!("not a case record: {e}"))?;
        let cases = self.cases.get_or_insert_with(|| {
            kezek_cases::Cases::new(
                Vec::new(),
                state.policy().calendar.clone(),
                kezek_cases::OfficeHours::default(),
            )
        });
        cases.apply(&event).map_err(|e| e.to_string())?;
        let now: Timestamp = record
            .at
            .parse()
            .map_err(|e| format!("the record's time `{}` is not a time: {e}", record.at))?;
        let mut issued = crate::documents::cases::drafts(state, cases, &event, now);
        let notes = crate::outbox::cases::notifications(cases, &event);
        self.notes
            .extend(notes.into_iter().map(|n| (record.seq.get(), n)));
        for d in &mut issued {
            d.name_official(state, record.actor);
        }
        self.compare(record.seq, issued)
    }

    /// Each draft of `issued` that is stored must be what is stored (but its signature).
    fn compare(&mut self, seq: Seq, issued: Vec<crate::documents::Draft>) -> Result<(), String> {
        for draft in issued {
            if !self.stored.contains(draft.id()) {
                continue;
            }
            let stored = self
                .documents
                .document(draft.id())
                .map_err(|e| format!("reading document {}: {e}", draft.id()))?;
            // A command that issued no document (a city import) has none stored.
            let Some(bytes) = stored else { continue };
            // Erased with its family: issued, its content gone.
            if kezek_store::forget::erased_at(&bytes).is_some() {
                self.derived.insert(draft.id().to_owned(), seq);
                continue;
            }
            let doc: Value = serde_json::from_slice(&bytes)
                .map_err(|_| format!("document {} is not JSON", draft.id()))?;
            let again = draft.unsigned();
            if !follows(&doc, &again) {
                return Err(format!(
                    "document {} does not follow from the journal: {}",
                    draft.id(),
                    difference(&doc, &again)
                ));
            }
            self.derived.insert(draft.id().to_owned(), seq);
        }
        Ok(())
    }

    /// Compares the state with the one a node serves, when this is its seq.
    fn compare_served(&mut self, state: &State) -> Result<(), String> {
        if self.served.as_ref().is_none_or(|s| s.seq != self.last) {
            return Ok(());
        }
        let Some(served) = self.served.take() else {
            return Ok(());
        };
        let ours = super::state_digest(state)?;
        if ours == served.digest {
            Ok(())
        } else {
            let why = format!(
                "the state the node serves at seq {} is not the journal's: its digest is {}, the journal gives {ours}",
                served.seq, served.digest
            );
            self.diverged = Some(why.clone());
            Err(why)
        }
    }

    fn derive_pending(&mut self, state: &State) -> Result<(), String> {
        match self.pending.take() {
            Some(p) => {
                let notes: Vec<_> = crate::outbox::notifications_of(state, [(p.seq, &p.event)])
                    .into_iter()
                    .map(|n| (p.seq.get(), n))
                    .collect();
                let at = self.pending_at.min(self.notes.len());
                self.notes.splice(at..at, notes);
                self.derive(state, (p.seq, &p.event), (&p.at, &p.actor))
            }
            None => Ok(()),
        }
    }

    /// The notifications `event` makes, after the ones before it.
    fn note(&mut self, state: &State, seq: Seq, event: &Event) {
        let notes = crate::outbox::notifications_of(state, [(seq, event)]);
        self.notes.extend(notes.into_iter().map(|n| (seq.get(), n)));
    }

    /// The outbox, one for one against the notifications the journal gives: since the
    /// outbox's start (the first notification stored where that was not recorded), every
    /// one there, in order, about the same application, of the same kind, every field it has
    /// as drafted again (a notification stored before a field existed lacks it); none more.
    fn compare_outbox(&mut self, erased: &HashSet<String>) -> Result<(), String> {
        let since = self
            .outbox
            .outbox_since()
            .map_err(|e| format!("reading the outbox: {e}"))?;
        let (mut stored, mut after) = (Vec::new(), 0);
        loop {
            let page = self
                .outbox
                .notifications(after, 1000)
                .map_err(|e| format!("reading the outbox: {e}"))?;
            let Some(last) = page.last().map(|n: &kezek_store::Notification| n.id) else {
                break;
            };
            after = last;
            // An erased family's notifications went with them.
            stored.extend(
                page.into_iter()
                    .filter(|n| !erased.contains(&n.application_id)),
            );
        }
        let mut notes = std::mem::take(&mut self.notes);
        notes.retain(|(_, n)| !erased.contains(&n.application_id));
        let from = match since {
            Some(since) => notes.iter().position(|(seq, _)| *seq > since),
            None => stored
                .first()
                .and_then(|first| notes.iter().position(|(_, n)| same(first, n))),
        }
        .unwrap_or(notes.len());
        let expected = notes.get(from..).unwrap_or_default();
        for (i, (seq, n)) in expected.iter().enumerate() {
            let Some(s) = stored.get(i) else {
                return Err(format!(
                    "the outbox lacks the {} notification of {} that record {seq} makes ({} of {} there)",
                    n.kind,
                    n.application_id,
                    stored.len(),
                    expected.len()
                ));
            };
            if !same(s, n) {
                // One left out or slipped in says so; anything else is an edited one.
                if expected.get(i + 1).is_some_and(|(_, next)| same(s, next)) {
                    return Err(format!(
                        "the outbox lacks the {} notification of {} that record {seq} makes (notification {} is the one after it)",
                        n.kind, n.application_id, s.id
                    ));
                }
                if stored.get(i + 1).is_some_and(|next| same(next, n)) {
                    return Err(format!(
                        "notification {} ({} of {}) follows from no record of the journal",
                        s.id, s.kind, s.application_id
                    ));
                }
                return Err(format!(
                    "notification {} does not follow from the journal: it tells {} of {} {}, record {seq} makes {} of {} {}",
                    s.id,
                    s.kind,
                    s.application_id,
                    String::from_utf8_lossy(&s.body),
                    n.kind,
                    n.application_id,
                    String::from_utf8_lossy(&n.body)
                ));
            }
        }
        if let Some(extra) = stored.get(expected.len()) {
            // A node still writing a shared journal commits after the walk ended: those
            // records' notifications are past the end checked, not slipped in.
            let grown = self.journal.head().is_ok_and(|h| h.seq.get() > self.last);
            if grown {
                return Ok(());
            }
            return Err(format!(
                "notification {} ({} of {}) follows from no record of the journal",
                extra.id, extra.kind, extra.application_id
            ));
        }
        Ok(())
    }
}

/// The key an erasure deleted is gone from the store: its row is the erasure's tombstone.
fn check_erased_key(
    journal: &dyn kezek_store::EventLog,
    seq: Seq,
    e: &kezek_core::event::Erasure,
) -> Result<(), String> {
    use kezek_store::sealing::KeyRow;
    let id = &e.data_key;
    let prefix = id.get(..15).unwrap_or_default();
    let rows = journal
        .person_keys(prefix, 16)
        .map_err(|x| format!("reading the persons' keys: {x}"))?;
    match rows
        .iter()
        .find(|(found, _)| found == id)
        .and_then(|(_, body)| KeyRow::parse(body))
    {
        Some(KeyRow::Erased { stand_in }) if stand_in == e.stand_in => Ok(()),
        Some(KeyRow::Held { .. }) => Err(format!(
            "record {seq} erases key {id}, but the store still holds the key"
        )),
        _ => Err(format!(
            "record {seq} erases key {id}, but the store holds no tombstone of it with stand-in {}",
            e.stand_in
        )),
    }
}

/// The applications (and refused ones) a person of which was erased.
fn erased_applications(state: &State) -> HashSet<String> {
    let mut erased: HashSet<String> = state
        .applications()
        .filter(|(_, a)| a.names_erased())
        .map(|(_, a)| a.id.to_string())
        .collect();
    erased.extend(
        state
            .refusals()
            .filter(|(_, r)| r.child.is_some_and(|c| c.is_stand_in()))
            .map(|(id, _)| id.to_string()),
    );
    erased
}

/// Whether a stored notification tells what one drafted again does: the same application
/// and kind, and every field of its body as drafted (a body stored before a field existed
/// lacks it).
fn same(stored: &kezek_store::Notification, again: &NewNotification) -> bool {
    let body = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap_or_default();
    let (s, a) = (body(&stored.body), body(&again.body));
    stored.application_id == again.application_id
        && stored.kind == again.kind
        && s.as_object().is_some_and(|s| {
            a.as_object()
                .is_some_and(|a| s.iter().all(|(k, v)| a.get(k) == Some(v)))
        })
}

/// Whether the stored document says what the journal says: every field as issued again —
/// or, for a document issued before a field existed (its body lacks the field), every field
/// it has. Its signature covers what it says, so saying less is no forgery.
fn follows(stored: &Value, again: &Value) -> bool {
    let unsigned: Value = serde_json::from_slice(&signed_bytes(stored)).unwrap_or_default();
    let (Some(s), Some(a)) = (unsigned.as_object(), again.as_object()) else {
        return false;
    };
    s.len() == a.len()
        && s.iter().all(|(k, v)| match (k.as_str(), v.as_object()) {
            ("body", Some(body)) => a
                .get(k)
                .and_then(Value::as_object)
                .is_some_and(|ab| body.iter().all(|(bk, bv)| ab.get(bk) == Some(bv))),
            _ => a.get(k) == Some(v),
        })
}

/// The fields in which the stored document and the one issued again differ.
fn difference(stored: &Value, again: &Value) -> String {
    let fields = |v: &Value| {
        let mut out: BTreeMap<String, Value> = BTreeMap::new();
        for (k, x) in v.as_object().into_iter().flatten() {
            match x.as_object() {
                Some(inner) if k == "body" => {
                    for (ik, ix) in inner {
                        out.insert(format!("body.{ik}"), ix.clone());
                    }
                }
                _ => {
                    out.insert(k.clone(), x.clone());
                }
            }
        }
        out.remove("signature");
        out.remove("key_id");
        out
    };
    let (a, mut b) = (fields(stored), fields(again));
    // A field the stored document predates is no difference.
    b.retain(|k, _| !k.starts_with("body.") || a.contains_key(k));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let show = |v: Option<&Value>| v.map_or_else(|| "nothing".to_owned(), Value::to_string);
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .take(6)
        .map(|k| {
            format!(
                "{k} is {} in the signed document, {} from the journal",
                show(a.get(k)),
                show(b.get(k))
            )
        })
        .collect();
    if differ.is_empty() {
        "the bytes differ".to_owned()
    } else {
        differ.join("; ")
    }
}

/// Whether `event` is the cohort round a registration ran in its own command.
fn cohort_round_of(event: &Event, at: &str, pending: &Pending) -> bool {
    matches!(event, Event::RoundRun(r) if r.scope.is_some()) && at == pending.at
}

impl Observer for Derive<'_> {
    fn before(&mut self, state: &State, record: &Applied<'_>) -> Result<(), String> {
        // A registration's batch ends before any record but its own cohort round.
        let ours = self
            .pending
            .as_ref()
            .is_some_and(|p| cohort_round_of(record.event, record.at, p));
        if !ours {
            self.derive_pending(state)?;
        }
        Ok(())
    }

    fn after(&mut self, state: &State, record: &Applied<'_>) -> Result<(), String> {
        self.last = record.seq.get();
        if let Event::PersonErased(e) = record.event {
            check_erased_key(self.journal, record.seq, e)?;
        }
        if let Some(saved) = self.heads.remove(&record.seq.get()) {
            if saved != *record.hash {
                return Err(format!(
                    "the journal does not pass through a saved head: seq {} has hash {} here, the saved head says {}",
                    record.seq,
                    hex::encode(record.hash),
                    hex::encode(saved)
                ));
            }
        }
        self.compare_served(state)?;
        if !matches!(record.event, Event::Registered(_)) {
            self.note(state, record.seq, record.event);
        }
        match record.event {
            Event::Registered(_) => {
                self.pending_at = self.notes.len();
                self.pending = Some(Pending {
                    seq: record.seq,
                    event: record.event.clone(),
                    at: record.at.to_owned(),
                    actor: record.actor.to_owned(),
                });
                Ok(())
            }
            Event::RoundRun(_) => {
                self.derive(state, (record.seq, record.event), (record.at, record.actor))?;
                self.derive_pending(state)
            }
            Event::Extension(x) => self.derive_case(state, record, x),
            // The events that issue a document of their own (`documents::drafts`).
            Event::RegistrationRefused { .. }
            | Event::ClaimDecided { .. }
            | Event::Enrolled { .. }
            | Event::ExchangeDone { .. }
            | Event::ReferralLapsed { .. } => {
                self.derive(state, (record.seq, record.event), (record.at, record.actor))
            }
            _ => Ok(()),
        }
    }

    fn end(&mut self, state: &State) -> Result<(), String> {
        self.derive_pending(state)?;
        self.compare_served(state)?;
        self.compare_outbox(&erased_applications(state))?;
        if let Some(served) = &self.served {
            return Err(format!(
                "the journal ends at seq {} before seq {}, where the node says its state is",
                self.last, served.seq
            ));
        }
        match self.heads.first_key_value() {
            Some((seq, _)) => Err(format!(
                "the journal ends at seq {} before a saved head at seq {seq}: it was cut or rewound",
                self.last
            )),
            None => Ok(()),
        }
    }
}

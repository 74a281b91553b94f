//! The personal values of what the service journals, sealed per person (issue 28, part 5):
//! in a journal that seals ([`kezek_store::EventLog::seals`]) each batch's events are
//! encoded with every IIN, name, address and free text encrypted under the data key of the
//! person it belongs to (`kezek_core::sealed`), a key made the first time a person is seen
//! and stored in the same commit. The state in memory holds the values in the clear; the
//! journal's hash chain covers the sealed bytes, so forgetting a person — deleting their key
//! — changes no record.

use kezek_core::model::{Iin, Seq};
use kezek_core::sealed::{self, DataKey, Keyring};
use kezek_core::{Event, State};
use kezek_store::sealing::{id_text, KeyCache, KeyRow};
use kezek_store::{Encoder, Encoding, PersonKeys};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::HashMap;
use std::sync::Arc;

/// Whether the journal seals, and the keys it seals and opens with.
pub(crate) struct Personal {
    /// Whether this journal seals.
    pub(crate) seals: bool,
    /// Every person's key (and the erased ones' stand-ins), as the journal holds them and as
    /// the batches handed to it since add them.
    pub(crate) keys: std::sync::Arc<parking_lot::Mutex<KeyCache>>,
}

/// How a batch is journaled in a journal that seals: its encoder and the keys made for it.
pub(crate) struct Sealing {
    pub(crate) encoder: Encoding,
    pub(crate) keys: PersonKeys,
}

impl Personal {
    /// How `events` are journaled, sealed under their persons' keys (made now for those
    /// seen the first time), on `state`, the state they leave; nothing when the journal does
    /// not seal. Registrations — nearly every record of a city — are sealed where the store
    /// encodes them (a city's on a second core, as it writes); the rest here.
    ///
    /// # Errors
    /// The operating system gave no randomness.
    pub(crate) fn seal(
        &self,
        state: &State,
        events: &[(Seq, Event)],
    ) -> Result<Option<Sealing>, getrandom::Error> {
        if !self.seals {
            return Ok(None);
        }
        let cutoff = state.policy().cutoff;
        let mut seed = [0; 32];
        getrandom::fill(&mut seed)?;
        let mut keys = self.keys.lock();
        // A city's import meets a million persons at once.
        let registrations = events
            .iter()
            .filter(|(_, e)| matches!(e, Event::Registered(_)))
            .count();
        keys.reserve(registrations);
        let mut ring = Ring {
            keys: &mut keys,
            state,
            made: PersonKeys::default(),
            used: FxHashMap::with_capacity_and_hasher(registrations, FxBuildHasher),
            rng: ChaCha20Rng::from_seed(seed),
        };
        let mut ready = HashMap::new();
        for (seq, event) in events {
            // An erasure: the person's key gives way to its tombstone, in the commit and here.
            if let Event::PersonErased(e) = event {
                let row = KeyRow::Erased {
                    stand_in: e.stand_in,
                };
                if let Some(id) = kezek_store::sealing::id_number(&e.data_key) {
                    ring.keys.insert(id, row);
                }
                ring.made.erased.push((e.data_key.clone(), row.body()));
            }
            if let Event::Registered(r) = event {
                let applicant = r.applicant.as_ref().map(|p| p.iin);
                let representative = r.representative.as_ref().map(|p| p.iin);
                for person in [Some(r.child.iin), applicant, representative]
                    .into_iter()
                    .flatten()
                {
                    ring.key_for(&person);
                }
                continue;
            }
            let plain = serde_json::to_value(event).unwrap_or_default();
            let sealed = sealed::seal(event.kind(), &plain, cutoff, &mut ring);
            ready.insert(seq.get(), serde_json::to_vec(&sealed).unwrap_or_default());
        }
        let prefix = ring.random();
        Ok(Some(Sealing {
            encoder: Encoding(Arc::new(BatchSealer {
                ready,
                keys: ring.used,
                cutoff,
                prefix,
            })),
            keys: ring.made,
        }))
    }

    /// The pseudonym the public journal gives `person` under `secret`: of their IIN, or in
    /// a journal that seals, of their key's id (`None` when they have no key).
    pub(crate) fn pseudonym(&self, secret: &str, person: &Iin) -> Option<String> {
        if !self.seals {
            return Some(kezek_core::public::pseudonym(secret, &person.to_string()));
        }
        let (id, _) = self.keys.lock().of_person(person)?;
        Some(kezek_core::public::sealed_pseudonym(secret, &id_text(id)))
    }
}

/// What the erasures among `events` take out of the store: the documents, notifications and
/// proof files of every application an erased person appears in.
pub(crate) fn forgotten(
    state: &State,
    events: &[(Seq, Event)],
    now: jiff::Timestamp,
) -> kezek_store::forget::Forget {
    let mut forget = kezek_store::forget::Forget::default();
    for (_, e) in events {
        let Event::PersonErased(e) = e else {
            continue;
        };
        for place in &e.appears {
            let id = place.application_id.to_string();
            if forget.applications.contains(&id) {
                continue;
            }
            if let Some(a) = state.application_index(&place.application_id) {
                forget
                    .files
                    .extend(state.files_of(a).map(|f| f.file_id.clone()));
            }
            forget.applications.push(id);
        }
    }
    if !forget.is_empty() {
        forget.at = now.to_string();
    }
    forget
}

impl crate::App {
    /// Reads every person's key on a thread of its own, holding the keys until done: what
    /// needs them (a write sealing, a record opened) waits for it, the rest is served
    /// meanwhile. A start from a recent snapshot calls it with the keys its few records
    /// fetched. When the keys cannot be read the service stops: a write without them could
    /// give a person a second key, which an erasure would leave behind.
    pub fn load_keys_behind(self: &std::sync::Arc<Self>) {
        let keys = std::sync::Arc::clone(&self.personal.keys);
        let app = std::sync::Arc::downgrade(self);
        let store = std::sync::Arc::clone(&self.store);
        let (held, taken) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("kezek-keys".into())
            .spawn(move || {
                let mut guard = keys.lock();
                let _ = held.send(());
                let started = std::time::Instant::now();
                match KeyCache::load(store.as_ref()) {
                    Ok(all) => {
                        *guard = all;
                        tracing::info!(ms = crate::millis(started.elapsed()), "persons' keys read");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the persons' keys cannot be read");
                        if let Some(app) = app.upgrade() {
                            app.health.poison("the persons' keys cannot be read");
                        }
                    }
                }
            });
        match spawned {
            // Until the thread holds the keys, nothing else may take them.
            Ok(_) => {
                let _ = taken.recv();
            }
            Err(e) => {
                tracing::error!(error = %e, "no thread to read the persons' keys");
                self.health.poison("the persons' keys cannot be read");
            }
        }
    }
}

/// The keyring a batch's keys are found or made with.
struct Ring<'a> {
    keys: &'a mut KeyCache,
    state: &'a State,
    made: PersonKeys,
    /// Every key the batch seals with, by person.
    used: FxHashMap<Iin, DataKey>,
    /// Keys and nonces: `ChaCha20` seeded from the operating system for this batch.
    rng: ChaCha20Rng,
}

impl Ring<'_> {
    fn random<const N: usize>(&mut self) -> [u8; N] {
        let mut bytes = [0; N];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }
}

impl Keyring for Ring<'_> {
    fn key_for(&mut self, person: &Iin) -> DataKey {
        if let Some(key) = self.used.get(person) {
            return key.clone();
        }
        let key = if let Some((id, key)) = self.keys.of_person(person) {
            DataKey {
                id: id_text(id),
                key,
            }
        } else {
            let id = loop {
                let id = u64::from_le_bytes(self.random());
                if !self.keys.taken(id) {
                    break id;
                }
            };
            let key: [u8; 32] = self.random();
            let row = KeyRow::Held {
                key,
                person: *person,
            };
            let id_text = id_text(id);
            self.made.made.push((id_text.clone(), row.body()));
            self.keys.insert(id, row);
            DataKey { id: id_text, key }
        };
        self.used.insert(*person, key.clone());
        key
    }

    fn nonce(&mut self) -> [u8; 24] {
        self.random()
    }

    fn child_of(&self, application: &str) -> Option<Iin> {
        let id = application.parse().ok()?;
        Some(self.state.application_by_id(&id)?.1.child_iin)
    }

    fn applicant_of(&self, application: &str) -> Option<Iin> {
        let id = application.parse().ok()?;
        Some(self.state.application_by_id(&id)?.1.applicant.as_ref()?.iin)
    }
}

/// Seals a batch's registrations as the store encodes them, with the keys found or made for
/// them beforehand; hands over the other events sealed already.
struct BatchSealer {
    /// The other events' bytes, by seq.
    ready: HashMap<u64, Vec<u8>>,
    keys: FxHashMap<Iin, DataKey>,
    cutoff: kezek_core::model::Cutoff,
    /// The first 12 bytes of every nonce of the batch (random); then the record's seq and
    /// the value's place in it, so that no nonce repeats under any key.
    prefix: [u8; 12],
}

impl Encoder for BatchSealer {
    fn encode(&self, seq: Seq, event: &Event) -> Result<Vec<u8>, String> {
        if let Some(bytes) = self.ready.get(&seq.get()) {
            return Ok(bytes.clone());
        }
        let Event::Registered(r) = event else {
            return Err(format!("record {seq} was not sealed with its batch"));
        };
        let mut ring = Fixed {
            sealer: self,
            seq,
            count: 0,
            missing: false,
        };
        let bytes = sealed::registration::seal(r, self.cutoff, &mut ring);
        if ring.missing {
            return Err(format!(
                "record {seq}: no key was made for a person it names"
            ));
        }
        Ok(bytes)
    }
}

/// The keys of a batch, as one registration is sealed with them.
struct Fixed<'a> {
    sealer: &'a BatchSealer,
    seq: Seq,
    count: u32,
    missing: bool,
}

impl Keyring for Fixed<'_> {
    fn key_for(&mut self, person: &Iin) -> DataKey {
        self.sealer.keys.get(person).cloned().unwrap_or_else(|| {
            self.missing = true;
            DataKey {
                id: String::new(),
                key: [0; 32],
            }
        })
    }

    fn nonce(&mut self) -> [u8; 24] {
        let mut n = [0; 24];
        n[..12].copy_from_slice(&self.sealer.prefix);
        n[12..20].copy_from_slice(&self.seq.get().to_le_bytes());
        n[20..].copy_from_slice(&self.count.to_le_bytes());
        self.count += 1;
        n
    }

    fn child_of(&self, _: &str) -> Option<Iin> {
        None
    }

    fn applicant_of(&self, _: &str) -> Option<Iin> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_core::command::kindergarten::UpsertKindergarten;
    use kezek_core::command::register::Register;
    use kezek_core::event::GroupSpec;
    use kezek_core::model::{DistrictId, GroupId, KindergartenId, Language};
    use kezek_core::sealed::Opener;
    use kezek_core::Policy;

    /// A kindergarten and two children of one applicant registered: the state and every
    /// event.
    fn two_children() -> (State, Vec<(Seq, Event)>, Vec<Iin>) {
        let at: jiff::Timestamp = "2026-09-02T05:00:00Z".parse().unwrap();
        let mut s = State::new(Policy::kz_2013());
        let mut events = s
            .execute(UpsertKindergarten {
                kindergarten_id: KindergartenId::parse("K1").unwrap(),
                name: "Balapan".into(),
                district: DistrictId::parse("D1").unwrap(),
                labels: kezek_core::event::KindergartenLabels::default(),
                groups: vec![GroupSpec {
                    group_id: GroupId::parse("g4").unwrap(),
                    age_years: 4,
                    language: Language::Kk,
                    capacity: 1,
                    enrolled: 1,
                }],
                academic_year: None,
            })
            .unwrap();
        let mut children = Vec::new();
        for n in 1..=2 {
            let child = Iin::compose(jiff::civil::date(2022, 3, 1), false, n).unwrap();
            children.push(child);
            events.extend(
                s.execute(Register {
                    application_id: Some(
                        kezek_core::model::ApplicationId::parse(&format!("A{n}")).unwrap(),
                    ),
                    round_id: Some(kezek_core::model::RoundId::parse(&format!("R{n}")).unwrap()),
                    child_iin: child.to_string(),
                    child_name: "Aruzhan Serikqyzy".into(),
                    birth_date: None,
                    applicant_iin: "880101300123".into(),
                    applicant_name: "Dana Serikova".into(),
                    representative: None,
                    applicant_email: None,
                    district: "D1".into(),
                    language: "kk".into(),
                    preferences: vec!["K1".into()],
                    category: None,
                    documents: ["application_form", "applicant_id", "address_proof"]
                        .map(String::from)
                        .to_vec(),
                    channel: "portal".into(),
                    claim_verified: false,
                    together_with: None,
                    at,
                })
                .unwrap(),
            );
        }
        (s, events, children)
    }

    #[test]
    fn a_sealed_batch_names_no_person_and_opens_to_itself() {
        let (state, events, children) = two_children();
        let personal = Personal {
            seals: true,
            keys: std::sync::Arc::default(),
        };
        let sealed = personal.seal(&state, &events).unwrap().unwrap();
        let payloads: Vec<Vec<u8>> = events
            .iter()
            .map(|(seq, e)| sealed.encoder.0.encode(*seq, e).unwrap())
            .collect();
        for p in &payloads {
            let text = String::from_utf8_lossy(p);
            for secret in [
                children[0].to_string(),
                children[1].to_string(),
                "880101300123".into(),
                "Dana".into(),
                "Aruzhan".into(),
            ] {
                assert!(!text.contains(&secret), "{secret} in the clear: {text}");
            }
        }
        // The kindergarten's name is nobody's.
        assert!(String::from_utf8_lossy(&payloads[0]).contains("Balapan"));
        // One key per person: two children and their applicant.
        assert_eq!(sealed.keys.made.len(), 3);
        let keys = personal.keys.lock();
        for ((_, e), p) in events.iter().zip(&payloads) {
            let opened =
                kezek_store::sealing::decode(p, state.policy().cutoff, &*keys as &dyn Opener)
                    .unwrap();
            assert_eq!(&opened, e);
        }
        drop(keys);
        // A journal that does not seal gets its events as they are.
        let plain = Personal {
            seals: false,
            keys: std::sync::Arc::default(),
        };
        assert!(plain.seal(&state, &events).unwrap().is_none());
        // A registration of the batch that was not there when its keys were made is refused,
        // not journaled in the clear.
        let Some((seq, Event::Registered(mut r))) = events.last().cloned() else {
            panic!("the last event is a registration")
        };
        r.child.iin = Iin::compose(jiff::civil::date(2022, 4, 1), true, 9).unwrap();
        assert!(sealed.encoder.0.encode(seq, &Event::Registered(r)).is_err());
    }
}

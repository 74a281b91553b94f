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
use kezek_store::PersonKeys;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Whether the journal seals, and the keys it seals and opens with.
pub(crate) struct Personal {
    /// Whether this journal seals.
    pub(crate) seals: bool,
    /// Every person's key (and the erased ones' stand-ins), as the journal holds them and as
    /// the batches handed to it since add them.
    pub(crate) keys: std::sync::Arc<parking_lot::Mutex<KeyCache>>,
}

/// A batch's events as journaled: their bytes and the keys made for them.
pub(crate) struct Sealed {
    pub(crate) payloads: Vec<Vec<u8>>,
    pub(crate) keys: PersonKeys,
}

impl Personal {
    /// `events` sealed under their persons' keys (made for those seen the first time), on
    /// `state`, the state they leave. Nothing when the journal does not seal.
    ///
    /// # Errors
    /// The operating system gave no randomness for a key or a nonce.
    pub(crate) fn seal(
        &self,
        state: &State,
        events: &[(Seq, Event)],
    ) -> Result<Option<Sealed>, getrandom::Error> {
        if !self.seals {
            return Ok(None);
        }
        let cutoff = state.policy().cutoff;
        let mut seed = [0; 32];
        getrandom::fill(&mut seed)?;
        let mut keys = self.keys.lock();
        let mut ring = Ring {
            keys: &mut keys,
            state,
            made: PersonKeys::default(),
            rng: ChaCha20Rng::from_seed(seed),
        };
        let mut payloads = Vec::with_capacity(events.len());
        for (_, event) in events {
            let plain = serde_json::to_value(event).unwrap_or_default();
            let sealed = sealed::seal(event.kind(), &plain, cutoff, &mut ring);
            payloads.push(serde_json::to_vec(&sealed).unwrap_or_default());
        }
        Ok(Some(Sealed {
            payloads,
            keys: ring.made,
        }))
    }
}

impl Personal {
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

/// The keyring one batch seals with.
struct Ring<'a> {
    keys: &'a mut KeyCache,
    state: &'a State,
    made: PersonKeys,
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
        if let Some((id, key)) = self.keys.of_person(person) {
            return DataKey {
                id: id_text(id),
                key,
            };
        }
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
        self.made.made.push((id_text(id), row.body()));
        self.keys.insert(id, row);
        DataKey {
            id: id_text(id),
            key,
        }
    }

    fn nonce(&mut self) -> [u8; 24] {
        self.random()
    }

    fn child_of(&self, application: &str) -> Option<Iin> {
        let id = application.parse().ok()?;
        Some(self.state.application_by_id(&id)?.1.child_iin)
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
        for p in &sealed.payloads {
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
        assert!(String::from_utf8_lossy(&sealed.payloads[0]).contains("Balapan"));
        // One key per person: two children and their applicant.
        assert_eq!(sealed.keys.made.len(), 3);
        let keys = personal.keys.lock();
        for ((_, e), p) in events.iter().zip(&sealed.payloads) {
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
    }
}

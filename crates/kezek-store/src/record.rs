//! One journal record and its place in the hash chain.
//!
//! The bytes an auditor hashes, for the record with sequence number `seq`:
//!
//! ```text
//! hash(seq) = SHA-256( hash(seq - 1) || "{seq}\n{at}\n{actor}\n{kind}\n" || payload )
//! ```
//!
//! with `hash(0)` = 32 zero bytes, `at` in RFC 3339 as stored, and `payload` the event's
//! canonical JSON (the exact bytes stored, serde field order, no whitespace).

use kezek_core::event::Registration;
use kezek_core::model::Seq;
use kezek_core::Event;
use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash before the first record.
pub const GENESIS: Hash = [0; 32];

/// A journaled event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Sequence number, from 1, without gaps.
    pub seq: Seq,
    /// When the command that produced it was carried out (RFC 3339).
    pub at: String,
    /// Who: the API key id, or `cli` / `system`. Never a token.
    pub actor: String,
    /// The event kind (`registered`, …).
    pub kind: String,
    /// The event's canonical JSON.
    pub payload: Vec<u8>,
    /// Hash of the previous record.
    pub prev_hash: Hash,
    /// This record's hash.
    pub hash: Hash,
}

/// The canonical JSON of an event.
#[must_use]
pub fn canonical(event: &Event) -> Vec<u8> {
    // Events hold only structs, enums, vectors and strings: serialising one cannot fail.
    serde_json::to_vec(event).unwrap_or_default()
}

/// The bytes of `event` of `batch` as journaled: its encoder's (sealed), or its canonical JSON.
///
/// # Errors
/// The batch's encoder fails.
pub fn encode(
    batch: &crate::Append,
    seq: Seq,
    event: &Event,
) -> Result<Vec<u8>, crate::StoreError> {
    match &batch.encoder {
        None => Ok(canonical(event)),
        Some(e) => e
            .0
            .encode(seq, event)
            .map_err(|m| crate::StoreError::storage("sealing an event", std::io::Error::other(m))),
    }
}

/// Events of one batch from which the journals encode their payloads on a second core (a
/// city import; an ordinary write has a few).
pub(crate) const PARALLEL_FROM: usize = 4096;

/// The bytes of each event of `batch` as journaled, in order: half of a large batch (a city
/// import) on a second thread.
///
/// # Errors
/// The batch's encoder fails.
pub fn encode_all(batch: &crate::Append) -> Result<Vec<Vec<u8>>, crate::StoreError> {
    let events = &batch.events;
    let run = |part: &[(Seq, Event)]| -> Result<Vec<Vec<u8>>, crate::StoreError> {
        part.iter().map(|(s, e)| encode(batch, *s, e)).collect()
    };
    if events.len() < PARALLEL_FROM {
        return run(events);
    }
    let (first, second) = events.split_at(events.len() / 2);
    std::thread::scope(|s| {
        let rest = s.spawn(|| run(second));
        let mut out = run(first)?;
        out.extend(
            rest.join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))?,
        );
        Ok(out)
    })
}

/// The hash of a record from its parts.
#[must_use]
pub fn chain(prev: &Hash, seq: Seq, at: &str, actor: &str, kind: &str, payload: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(format!("{seq}\n{at}\n{actor}\n{kind}\n").as_bytes());
    h.update(payload);
    h.finalize().into()
}

/// The canonical start of a registration's payload.
pub(crate) const REGISTERED: &[u8] = br#"{"kind":"registered","#;

/// Decodes an event from its payload.
///
/// serde decodes an internally tagged enum by first buffering the whole object to find the
/// tag, which made decoding the slowest step of start-up. A registration (nearly every
/// record of a city) whose canonical payload starts with its tag is decoded straight into
/// its struct instead; the struct ignores the tag field. Everything else takes serde's way.
///
/// # Errors
/// The payload is not an event.
pub fn decode(payload: &[u8]) -> serde_json::Result<Event> {
    if payload.starts_with(REGISTERED) {
        return serde_json::from_slice::<Registration>(payload)
            .map(|r| Event::Registered(Box::new(r)));
    }
    serde_json::from_slice(payload)
}

impl StoredEvent {
    /// Builds the record for `event`, chained after `prev`.
    #[must_use]
    pub fn new(prev: Hash, seq: Seq, at: &str, actor: &str, event: &Event) -> Self {
        Self::encoded(prev, seq, (at, actor), event.kind(), canonical(event))
    }

    /// Builds the record of an event whose payload is encoded already (sealed), chained
    /// after `prev`.
    #[must_use]
    pub fn encoded(
        prev: Hash,
        seq: Seq,
        (at, actor): (&str, &str),
        kind: &str,
        payload: Vec<u8>,
    ) -> Self {
        let hash = chain(&prev, seq, at, actor, kind, &payload);
        Self {
            seq,
            at: at.to_owned(),
            actor: actor.to_owned(),
            kind: kind.to_owned(),
            payload,
            prev_hash: prev,
            hash,
        }
    }

    /// Checks the record against the previous one and decodes its event (a journal that
    /// seals nothing; `sealing::open_after` opens sealed values).
    ///
    /// # Errors
    /// A gap in the sequence, a broken link, a hash that does not match the bytes, or a
    /// payload that is not an event of the stated kind.
    pub fn decode_after(&self, prev_seq: Seq, prev_hash: &Hash) -> Result<Event, String> {
        self.check_after(prev_seq, prev_hash)?;
        let event = decode(&self.payload).map_err(|e| format!("payload is not an event: {e}"))?;
        self.of_its_kind(event)
    }

    /// Checks the record's place and hash.
    ///
    /// # Errors
    /// A gap in the sequence, a broken link, or a hash that does not match the bytes.
    pub fn check_after(&self, prev_seq: Seq, prev_hash: &Hash) -> Result<(), String> {
        if self.seq != prev_seq.next() {
            return Err(format!("expected seq {} after {prev_seq}", prev_seq.next()));
        }
        if &self.prev_hash != prev_hash {
            return Err("prev_hash does not match the previous record's hash".into());
        }
        let hash = chain(
            prev_hash,
            self.seq,
            &self.at,
            &self.actor,
            &self.kind,
            &self.payload,
        );
        if hash != self.hash {
            return Err("hash does not match the record's bytes".into());
        }
        Ok(())
    }

    /// `event`, if it is of the record's kind.
    ///
    /// # Errors
    /// The kinds differ.
    pub fn of_its_kind(&self, event: Event) -> Result<Event, String> {
        if event.kind() != self.kind {
            return Err(format!("kind `{}` does not match the payload", self.kind));
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_core::event::Person;
    use kezek_core::model::{Category, Channel, ClaimStatus, Iin, Language};

    fn registration() -> Event {
        Event::Registered(Box::new(Registration {
            application_id: "a-1".parse().unwrap(),
            child: Person {
                iin: Iin::compose("2020-05-15".parse().unwrap(), true, 7).unwrap(),
                name: "Ә".into(),
            },
            birth_date: "2020-05-15".parse().unwrap(),
            applicant: None,
            email: None,
            representative: None,
            district: "d-1".parse().unwrap(),
            language: Language::Kk,
            preferences: vec!["k-1".parse().unwrap(), "k-2".parse().unwrap()],
            category: Category::parse("large_family"),
            claim: ClaimStatus::Verified,
            documents: Vec::new(),
            channel: Channel::Office,
            registered_at: "2024-01-02T03:04:05Z".parse().unwrap(),
            together_with: None,
        }))
    }

    #[test]
    fn a_registration_decodes_the_same_either_way() {
        let bytes = canonical(&registration());
        assert!(bytes.starts_with(REGISTERED));
        let slow: Event = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(decode(&bytes).unwrap(), slow);
        assert_eq!(slow, registration());
    }

    #[test]
    fn a_registration_with_a_bad_field_is_refused_either_way() {
        let bytes = String::from_utf8(canonical(&registration()))
            .unwrap()
            .replace(r#""language":"kk""#, r#""language":"de""#);
        assert!(decode(bytes.as_bytes()).is_err());
        assert!(serde_json::from_slice::<Event>(bytes.as_bytes()).is_err());
    }

    #[test]
    fn other_events_take_serdes_way() {
        let bytes = br#"{"kind":"withdrawn","application_id":"a-1","at":"2024-01-02T03:04:05Z"}"#;
        let event = decode(bytes).unwrap();
        assert_eq!(event.kind(), "withdrawn");
        assert_eq!(event, serde_json::from_slice::<Event>(bytes).unwrap());
        assert!(decode(br#"{"kind":"registered"}"#).is_err());
    }
}

//! The public journal's format, and checking it as anyone can (`kezek verify --public`):
//! with the public records alone — no key, no personal data.
//!
//! Each public record is a record of the journal with the personal data taken out
//! ([`kezek_core::public::redact`]); its hash chains the public journal and commits to the
//! private record's hash, and the public head is signed by the authority. The check:
//!
//! 1. every record follows the one before (seq, previous hash) and hashes to its stated
//!    hash; the last is the signed head;
//! 2. every record decodes as an event of its stated kind once stand-ins are put back for
//!    pseudonyms and cohorts ([`kezek_core::public::Rehydrate`]) and applies to the state
//!    the records before it built — so every queue is rebuilt;
//! 3. every allocation round is decided again on that state and must give the journal's
//!    referrals, phases, seats left and exchanges, exactly as `kezek verify` does privately;
//! 4. the head's signature holds under the key the journal has in force at its end, every
//!    rotation of that key is endorsed by the key before, and — when the checker pins the
//!    authority's key it knows from elsewhere (`--authority-key`) — that key is the pinned
//!    one.
//!
//! The first failure names its record.

use super::AuditError;
use crate::keys::authority::signature_holds;
use kezek_core::allocation::certificate::RoundCertificate;
use kezek_core::model::Seq;
use kezek_core::public::Rehydrate;
use kezek_core::{Event, Policy, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A record of the public journal.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicRecord {
    /// Its seq (the private record's).
    pub seq: u64,
    /// When.
    pub at: String,
    /// The kind of event.
    pub kind: String,
    /// The event with the personal data taken out.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The private record's hash, hex.
    pub private_hash: String,
    /// The previous public record's hash, hex.
    pub prev_hash: String,
    /// SHA-256 of the previous public hash, the seq (8 bytes, big-endian), the private
    /// hash, the kind, a zero byte and the payload's JSON: hex.
    pub hash: String,
    /// For a round: its certificate, signed by the authority (not part of the hash: it
    /// follows from the records before it, and the check works it out again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<SignedCertificate>,
}

/// A round's certificate, signed by the authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedCertificate {
    /// Per group that took children from the queue, the cut-off; the children passed over
    /// for a seat they could use (none).
    #[schema(value_type = Object)]
    pub round_certificate: RoundCertificate,
    /// The seq of the round's record.
    pub seq: u64,
    /// The authority key that signed.
    pub key_id: String,
    /// Ed25519 over `{"round_certificate","seq"}` (compact JSON, keys sorted), base64.
    pub signature: String,
}

/// The bytes a round certificate's signature covers.
#[must_use]
pub fn certificate_bytes(seq: u64, certificate: &RoundCertificate) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"round_certificate": certificate, "seq": seq}))
        .unwrap_or_default()
}

/// A page of the public journal.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicPage {
    /// The records, in order.
    pub records: Vec<PublicRecord>,
}

/// The public journal's head, signed by the authority.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicHead {
    /// The last seq.
    pub seq: u64,
    /// Its public hash, hex.
    pub hash: String,
    /// The authority key that signed.
    pub key_id: String,
    /// Ed25519 over `{"hash","public":true,"seq"}` (compact JSON, keys sorted), base64.
    pub signature: String,
}

/// The bytes the public head's signature covers.
#[must_use]
pub fn public_head_bytes(seq: u64, hash: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"hash": hash, "public": true, "seq": seq}))
        .unwrap_or_default()
}

/// The public hash of the record `seq` of `kind` with the public `payload`, whose private
/// record hashes to `private`, after the public hash `prev`.
#[must_use]
pub fn public_hash(
    prev: &[u8; 32],
    (seq, private, kind): (u64, &[u8; 32], &str),
    payload: &Value,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(private);
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(payload).unwrap_or_default());
    h.finalize().into()
}

/// What the check of a public journal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicReport {
    /// Records checked and applied.
    pub events: u64,
    /// Rounds decided again and found equal.
    pub rounds: u64,
    /// Persons the records name (by pseudonym).
    pub persons: usize,
    /// Applications in the rebuilt state, and those still waiting in a queue.
    pub applications: (usize, usize),
    /// The head: seq and public hash (hex).
    pub head: (u64, String),
    /// The key that signed the head.
    pub key_id: String,
    /// Whether the checker pinned the key.
    pub pinned: bool,
}

/// Checks the public journal `records` (in order, from the first) against its signed
/// `head`; `fallback` is the policy for a journal that does not start with one (an earlier
/// Kezek's), `pinned` the authority's keys the checker knows from elsewhere (base64 keys,
/// or the JSON of `GET /v1/keys`).
///
/// # Errors
/// The first record out of place, not hashing to its hash, not reading as an event of its
/// kind, not applying, or a round deciding differently — named by its seq; then the head:
/// elsewhere than the records' end, its signature not holding under the journal's key in
/// force, a rotation not endorsed, a key not the pinned one.
pub fn check(
    records: impl IntoIterator<Item = Result<PublicRecord, AuditError>>,
    head: &PublicHead,
    pinned: Option<&str>,
    fallback: Policy,
) -> Result<PublicReport, AuditError> {
    check_through(records, (head, &[]), pinned, fallback)
}

/// [`check`], and the records must pass through every head of `saved` — public heads the
/// checker kept from earlier downloads (`SEQ:HASH`, or a saved `head.json`): a public
/// journal rewritten since, even chained and signed again, does not.
///
/// # Errors
/// As [`check`]; a saved head the records do not pass through, or one beyond their end, or
/// whose signature does not hold under a key the journal adopted.
pub fn check_through(
    records: impl IntoIterator<Item = Result<PublicRecord, AuditError>>,
    (head, saved): (&PublicHead, &[super::heads::ExpectedHead]),
    pinned: Option<&str>,
    fallback: Policy,
) -> Result<PublicReport, AuditError> {
    let mut chain = Chain {
        saved: saved.iter().map(|h| (h.seq, h.hash)).collect(),
        ..Chain::default()
    };
    let mut records = records.into_iter();
    // The state starts from the journal's first policy: the records before it wait.
    let mut waiting = Vec::new();
    let policy = loop {
        let Some(r) = records.next() else {
            break fallback;
        };
        let r = r?;
        chain.follow(&r)?;
        let first = (r.kind == "policy_adopted")
            .then(|| policy_of(&r))
            .transpose()?;
        waiting.push(r);
        if let Some(p) = first {
            break p;
        }
    };
    let mut rehydrate = Rehydrate::new(policy.cutoff);
    let mut state = State::new(policy);
    let mut rounds = 0;
    let mut signed = Vec::new();
    {
        // Registrations enter their queues in bulk; a round looks at them brought up to date.
        let mut bulk = state.bulk();
        let mut apply = |r: PublicRecord| -> Result<(), AuditError> {
            let event = rehydrate
                .event(r.payload)
                .map_err(|e| fail(r.seq, format!("does not read as an event: {e}")))?;
            if event.kind() != r.kind {
                return Err(fail(
                    r.seq,
                    format!("says it is {} and holds {}", r.kind, event.kind()),
                ));
            }
            let seq = Seq::new(r.seq);
            if let Event::RoundRun(round) = &event {
                kezek_store::replay::check_round(bulk.state(), seq, round).map_err(|e| {
                    fail(
                        r.seq,
                        match e {
                            kezek_store::replay::ReplayError::Corrupt { message, .. } => message,
                            other @ kezek_store::replay::ReplayError::Store(_) => other.to_string(),
                        },
                    )
                })?;
                rounds += 1;
            }
            bulk.apply(seq, &event)
                .map_err(|e| fail(r.seq, format!("does not apply: {}", e.mismatch)))?;
            if let Event::RoundRun(round) = &event {
                let worked_out = bulk.state().round_certificate(&round.round_id);
                signed.push(certificate(r.seq, r.certificate, worked_out)?);
            }
            Ok(())
        };
        for r in waiting {
            apply(r)?;
        }
        for r in records {
            let r = r?;
            chain.follow(&r)?;
            apply(r)?;
        }
    }
    let (seq, hash) = chain.last;
    if let Some((s, _)) = chain.saved.first_key_value() {
        return Err(AuditError::Record(format!(
            "the records end at seq {seq}, before the saved public head at seq {s}"
        )));
    }
    saved_heads_signed(&state, saved)?;
    let key = signed_head(&state, head, (seq, &hex::encode(hash)), pinned)?;
    certificates_signed(&state, &signed)?;
    let queued = state
        .applications()
        .filter(|(_, a)| a.status == kezek_core::model::AppStatus::Queued)
        .count();
    Ok(PublicReport {
        events: seq,
        rounds,
        persons: rehydrate.persons(),
        applications: (state.application_count(), queued),
        head: (seq, hex::encode(hash)),
        key_id: key,
        pinned: pinned.is_some(),
    })
}

fn fail(seq: u64, message: impl std::fmt::Display) -> AuditError {
    AuditError::Record(format!("public record {seq}: {message}"))
}

/// The 32 bytes of the hash `what` of record `seq`.
fn hash_of(seq: u64, what: &str, hex_text: &str) -> Result<[u8; 32], AuditError> {
    super::heads::hash_of(hex_text).map_err(|e| fail(seq, format!("its {what}: {e}")))
}

/// The public chain so far: the last record's seq and public hash, and the saved heads it
/// has still to pass through.
#[derive(Default)]
struct Chain {
    last: (u64, [u8; 32]),
    saved: std::collections::BTreeMap<u64, [u8; 32]>,
}

impl Chain {
    /// Checks that `r` follows the last record and hashes to its hash.
    fn follow(&mut self, r: &PublicRecord) -> Result<(), AuditError> {
        let (last_seq, last_hash) = self.last;
        if r.seq != last_seq + 1 {
            return Err(fail(
                r.seq,
                format!("expected record {} after {last_seq}", last_seq + 1),
            ));
        }
        if hash_of(r.seq, "prev_hash", &r.prev_hash)? != last_hash {
            return Err(fail(r.seq, "prev_hash is not the previous record's hash"));
        }
        let private = hash_of(r.seq, "private_hash", &r.private_hash)?;
        let hash = public_hash(&last_hash, (r.seq, &private, &r.kind), &r.payload);
        if hash_of(r.seq, "hash", &r.hash)? != hash {
            return Err(fail(
                r.seq,
                "its hash is not the hash of its contents (changed after publishing?)",
            ));
        }
        self.last = (r.seq, hash);
        if let Some(kept) = self.saved.remove(&r.seq) {
            if kept != hash {
                return Err(fail(
                    r.seq,
                    format!(
                        "the journal does not pass through the saved public head: its hash here is {}, the saved head's {} (rewritten since it was saved)",
                        hex::encode(hash),
                        hex::encode(kept)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Each saved head that was saved signed: its signature holds under the key it names, one
/// the journal adopted.
fn saved_heads_signed(
    state: &State,
    saved: &[super::heads::ExpectedHead],
) -> Result<(), AuditError> {
    for h in saved {
        let Some((key_id, signature)) = &h.signature else {
            continue;
        };
        let holds = state
            .authorities()
            .iter()
            .find(|k| &*k.key_id == key_id)
            .is_some_and(|k| {
                let bytes = public_head_bytes(h.seq, &hex::encode(h.hash));
                signature_holds(&k.public_key, &bytes, signature).unwrap_or(false)
            });
        if !holds {
            return Err(AuditError::Record(format!(
                "the saved public head at seq {} is not signed by key {key_id} of the journal",
                h.seq
            )));
        }
    }
    Ok(())
}

/// The policy a `policy_adopted` record adopts.
fn policy_of(r: &PublicRecord) -> Result<Policy, AuditError> {
    let text = r
        .payload
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(r.seq, "a policy without its text"))?;
    Policy::from_toml(text).map_err(|e| fail(r.seq, format!("the policy does not read: {e}")))
}

/// The certificate published with the round of record `seq`, checked against the one its
/// records give (`worked_out`): the same, and listing nobody passed over.
fn certificate(
    seq: u64,
    published: Option<SignedCertificate>,
    worked_out: Option<&RoundCertificate>,
) -> Result<SignedCertificate, AuditError> {
    let published =
        published.ok_or_else(|| fail(seq, "a round published without its certificate"))?;
    let Some(worked_out) = worked_out else {
        return Err(fail(seq, "the records give the round no certificate"));
    };
    if published.seq != seq {
        return Err(fail(
            seq,
            format!("the round's certificate names record {}", published.seq),
        ));
    }
    if &published.round_certificate != worked_out {
        return Err(fail(
            seq,
            format!(
                "the round's certificate is not the one its records give: {}",
                difference(&published.round_certificate, worked_out)
            ),
        ));
    }
    if !worked_out.envy.is_empty() {
        return Err(fail(
            seq,
            format!(
                "round {} passed over children for a seat they could use: {:?}",
                worked_out.round_id, worked_out.envy
            ),
        ));
    }
    Ok(published)
}

/// Where two certificates of a round differ, in words.
fn difference(published: &RoundCertificate, worked_out: &RoundCertificate) -> String {
    for (p, w) in published.groups.iter().zip(&worked_out.groups) {
        if p != w {
            return format!(
                "group {}/{}: it says {} referred, cut-off {}, {} seats left; the records give {}/{}: {} referred, cut-off {}, {} seats left",
                p.kindergarten_id, p.group_id, p.referred, p.cutoff, p.seats_left,
                w.kindergarten_id, w.group_id, w.referred, w.cutoff, w.seats_left
            );
        }
    }
    format!(
        "it says {} groups, {} children passed over, {:?} envied; the records give {}, {}, {:?}",
        published.groups.len(),
        published.passed_over,
        published.envy,
        worked_out.groups.len(),
        worked_out.passed_over,
        worked_out.envy
    )
}

/// Each certificate's signature holds under the authority key it names, one the journal
/// adopted.
fn certificates_signed(state: &State, signed: &[SignedCertificate]) -> Result<(), AuditError> {
    for c in signed {
        let key = state
            .authorities()
            .iter()
            .find(|k| *k.key_id == c.key_id)
            .ok_or_else(|| {
                fail(
                    c.seq,
                    format!("the round's certificate is signed by key {}, which the journal never adopted", c.key_id),
                )
            })?;
        let bytes = certificate_bytes(c.seq, &c.round_certificate);
        if !signature_holds(&key.public_key, &bytes, &c.signature).unwrap_or(false) {
            return Err(fail(
                c.seq,
                format!(
                    "the round's certificate signature does not hold under key {}",
                    c.key_id
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that the records' end `(seq, hash)` is `head` and that its signature holds under
/// the key `state`'s journal has in force, endorsed through every rotation and, with
/// `pinned`, one of those keys: that key's id.
fn signed_head(
    state: &State,
    head: &PublicHead,
    (seq, hash): (u64, &str),
    pinned: Option<&str>,
) -> Result<String, AuditError> {
    let record = |m: String| AuditError::Record(m);
    if (head.seq, head.hash.as_str()) != (seq, hash) {
        return Err(record(format!(
            "the signed head is seq {} hash {}; the records end at seq {seq} hash {hash}",
            head.seq, head.hash
        )));
    }
    super::endorsements(state)?;
    let key = state
        .authority()
        .ok_or_else(|| record("the journal adopts no authority key to check the head".into()))?;
    if *key.key_id != head.key_id {
        return Err(record(format!(
            "the head is signed by key {}; the journal's key in force is {}",
            head.key_id, key.key_id
        )));
    }
    let bytes = public_head_bytes(head.seq, &head.hash);
    if !signature_holds(&key.public_key, &bytes, &head.signature).unwrap_or(false) {
        return Err(record(format!(
            "the head's signature does not hold under key {}",
            key.key_id
        )));
    }
    if let Some(pin) = pinned {
        if !pinned_keys(pin).iter().any(|k| k == &*key.public_key) {
            return Err(record(format!(
                "the journal's key in force {} ({}) is not a key given with --authority-key",
                key.key_id, key.public_key
            )));
        }
    }
    Ok(key.key_id.to_string())
}

/// The public keys (base64) `text` gives: the JSON of `GET /v1/keys`, or keys one a line.
fn pinned_keys(text: &str) -> Vec<String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        if let Some(keys) = v.get("keys").and_then(Value::as_array) {
            return keys
                .iter()
                .filter_map(|k| Some(k.get("public_key")?.as_str()?.to_owned()))
                .collect();
        }
    }
    text.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_keys_read_from_json_or_lines() {
        let json =
            r#"{"keys":[{"key_id":"a","public_key":"AAA="},{"key_id":"b","public_key":"BBB="}]}"#;
        assert_eq!(pinned_keys(json), ["AAA=", "BBB="]);
        assert_eq!(pinned_keys("AAA=\nBBB=\n"), ["AAA=", "BBB="]);
    }

    #[test]
    fn a_record_out_of_place_is_named() {
        let r = PublicRecord {
            seq: 2,
            at: String::new(),
            kind: "withdrawn".into(),
            payload: Value::Null,
            private_hash: "00".repeat(32),
            prev_hash: "00".repeat(32),
            hash: "00".repeat(32),
            certificate: None,
        };
        let head = PublicHead {
            seq: 2,
            hash: String::new(),
            key_id: String::new(),
            signature: String::new(),
        };
        let e = check([Ok(r)], &head, None, Policy::kz_2013())
            .unwrap_err()
            .to_string();
        assert!(e.contains("public record 2: expected record 1"), "{e}");
    }
}

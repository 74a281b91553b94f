//! Checking an installation (`kezek verify`): the hash chain of every record, a replay of
//! every event, every allocation round decided again from the state before it, every signed
//! document issued again from the journal and compared ([`derive`]), the heads an auditor
//! saved passed through ([`heads`]), every stored document, API key and stored answer
//! against the authority's signature or seal, and every proof file against the SHA-256 the
//! journal holds for it.

mod derive;
pub mod heads;
pub mod public;

use crate::documents::{field, signed_bytes};
use crate::keys::authority::{key_bytes, signature_holds, Authority, KeyError};
use kezek_core::model::ApplicationId;
use kezek_core::model::Seq;
use kezek_core::State;
use kezek_store::replay::{audit_observed, ReplayError};
use kezek_store::{Head, Store, StoreError};

/// What was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records verified and applied.
    pub events: u64,
    /// Rounds decided again and found equal.
    pub rounds: u64,
    /// Documents whose signature and id check and which the journal issues again the same.
    pub documents: u64,
    /// Proof files stored byte for byte as the journal describes them.
    pub files: u64,
    /// Saved heads the journal passes through.
    pub heads: usize,
    /// API keys whose signature checks.
    pub keys: usize,
    /// Stored answers whose seal checks.
    pub answers: usize,
    /// The head.
    pub head: Head,
}

/// The first thing that did not check.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The journal: a record, a replay, a round.
    #[error(transparent)]
    Journal(#[from] ReplayError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signed records exist but the authority key cannot be loaded.
    #[error("{what} exist but the authority key does not: {error}")]
    NoKey {
        /// Documents, or keys and answers.
        what: &'static str,
        /// Why the key did not load.
        error: KeyError,
    },
    /// A document, key or stored answer that does not check.
    #[error("{0}")]
    Record(String),
    /// The state a node serves is not the state the journal gives at its seq.
    #[error("{0}")]
    Diverged(String),
}

/// A state's place in the journal and its digest: how a node proves the state it serves
/// (`GET /v1/journal/state`) and how an audit compares it with the journal's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StateAt {
    /// The seq of the journal's last record the state holds.
    pub seq: u64,
    /// The SHA-256 (hex) of the state's canonical encoding ([`state_digest`]).
    pub digest: String,
}

/// The digest of `state`: SHA-256 of its snapshot encoding, which is canonical — a state
/// replayed from the journal, restored from a snapshot or built record by record encodes to
/// the same bytes (the core's property tests check it).
///
/// # Errors
/// The state does not encode.
pub fn state_digest(state: &State) -> Result<String, String> {
    let bytes = state.to_snapshot().map_err(|e| e.to_string())?;
    Ok(encoded_digest(&bytes))
}

/// The digest of a state from its encoding (`State::to_snapshot`'s bytes).
#[must_use]
pub fn encoded_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Checks the installation in `store` under `policy`; `authority` loads the authority key
/// when a signed record needs it; the journal must pass through every head of `heads`.
///
/// # Errors
/// The first record, by seq, that fails a check (a round re-run, a document issued again, a
/// saved head); then the first document, key or answer.
pub fn installation(
    store: &dyn Store,
    policy: impl Into<crate::PolicyChoice>,
    authority: impl Fn() -> Result<Authority, KeyError>,
    heads: &[heads::ExpectedHead],
) -> Result<Report, AuditError> {
    installation_against(store, policy, authority, heads, None)
}

/// [`installation`], and the state the journal gives at `served.seq` must have the digest
/// `served.digest` — the state a running node says it serves.
///
/// # Errors
/// As [`installation`], and a state at that seq with another digest (both named), or a
/// journal that does not reach that seq.
pub fn installation_against(
    store: &dyn Store,
    policy: impl Into<crate::PolicyChoice>,
    authority: impl Fn() -> Result<Authority, KeyError>,
    heads: &[heads::ExpectedHead],
    served: Option<StateAt>,
) -> Result<Report, AuditError> {
    // Every journal passes through its empty head: the genesis, or the head of the journal
    // it continues.
    let genesis = store.genesis()?;
    if let Some(h) = heads.iter().find(|h| h.seq == 0 && h.hash != genesis) {
        return Err(AuditError::Record(format!(
            "a saved head at seq 0 has hash {}, not the empty journal's",
            hex::encode(h.hash)
        )));
    }
    let later: Vec<heads::ExpectedHead> = heads.iter().filter(|h| h.seq > 0).cloned().collect();
    let policy = crate::app::start::initial_policy(store, policy.into())
        .map_err(|e| AuditError::Record(e.to_string()))?;
    let mut state = State::new(policy);
    let mut derive = derive::Derive::new((store, store, store), &later, served)?;
    let checked = match audit_observed(store, &mut state, &mut derive) {
        Ok(checked) => checked,
        Err(e) => {
            return Err(match derive.diverged.take() {
                Some(why) => AuditError::Diverged(why),
                None => e.into(),
            })
        }
    };
    // The case engine's records apply, in order, to the cases they describe.
    let cases = kezek_cases::Cases::from_journal(
        state.extensions(),
        state.policy().calendar.clone(),
        kezek_cases::OfficeHours::default(),
    )
    .map_err(|e| AuditError::Record(format!("the cases: {e}")))?;
    let signers = Signers::of(&state, &authority);
    for h in heads.iter().filter(|h| h.signature.is_some()) {
        let public = signers.at(Seq::new(h.seq), "signed heads")?;
        heads::check_signature(h, &public).map_err(AuditError::Record)?;
    }
    endorsements(&state)?;
    let documents = documents(store, &state, &derive.derived, &signers)?;
    let files = files(store, &state, &cases)?;
    let (keys, answers) = records(store, &state, &signers)?;
    Ok(Report {
        events: checked.events,
        rounds: checked.rounds,
        documents,
        files,
        heads: heads.len(),
        keys,
        answers,
        head: store.head()?,
    })
}

/// Every proof file the journal describes — of applications and of cases — is stored, its
/// bytes hashing to the SHA-256 the journal holds; every stored file is one the journal
/// describes.
fn files(store: &dyn Store, state: &State, cases: &kezek_cases::Cases) -> Result<u64, AuditError> {
    // An erased family's files went with them.
    let mut expected: std::collections::HashMap<&str, (&str, String)> = state
        .files()
        .filter(|(a, _)| {
            !state
                .application(*a)
                .is_some_and(kezek_core::state::Application::names_erased)
        })
        .map(|(a, f)| {
            let app = state.application(a).map_or("", |x| x.id.as_str());
            (
                f.file_id.as_str(),
                (f.sha256.as_str(), format!("application {app}")),
            )
        })
        .collect();
    expected.extend(cases.files().map(|(c, f)| {
        (
            f.file_id.as_str(),
            (f.sha256.as_str(), format!("case {}", c.id)),
        )
    }));
    let (mut after, mut n) = (String::new(), 0u64);
    loop {
        let page = store.files(&after, 8)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after.clone_from(last);
        for (id, bytes) in page {
            let Some((sha256, app)) = expected.remove(id.as_str()) else {
                return Err(AuditError::Record(format!(
                    "proof file {id} is stored, but no record of the journal attaches it"
                )));
            };
            if kezek_core::command::file::sha256_hex(&bytes) != sha256 {
                return Err(AuditError::Record(format!(
                    "proof file {id} of {app}: its bytes are not the ones the journal holds the SHA-256 of"
                )));
            }
            n += 1;
        }
    }
    if let Some((id, (_, app))) = expected.into_iter().min() {
        return Err(AuditError::Record(format!(
            "proof file {id} of {app} is attached in the journal but not stored"
        )));
    }
    Ok(n)
}

/// Every stored document: signed by the authority key in force at the record that issued it,
/// stored under its own id, and about an application the journal knows.
fn documents(
    store: &dyn Store,
    state: &State,
    derived: &std::collections::HashMap<String, Seq>,
    signers: &Signers<'_, impl Fn() -> Result<Authority, KeyError>>,
) -> Result<u64, AuditError> {
    let (mut after, mut n) = (String::new(), 0u64);
    loop {
        let page = store.documents(&after, 1000)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after.clone_from(last);
        for (id, bytes) in page {
            if let Some(doc) = id.strip_suffix(crate::documents::CMS_SUFFIX) {
                check_cms(store, state, doc, &bytes)?;
                continue;
            }
            let Some(seq) = derived.get(&id) else {
                return Err(AuditError::Record(format!(
                    "document {id} does not follow from any record of the journal"
                )));
            };
            // Erased with its family: its application must be one a person was erased of.
            if kezek_store::forget::erased_at(&bytes).is_some() {
                check_tombstone(state, &id, &bytes)?;
                continue;
            }
            let public = signers.at(*seq, "documents")?;
            check_document(state, (&public, signers.id_at(*seq)), &id, &bytes)?;
            n += 1;
        }
    }
    Ok(n)
}

/// An erased document's tombstone: of an application (or refused one) a person of which was
/// erased.
fn check_tombstone(state: &State, id: &str, bytes: &[u8]) -> Result<(), AuditError> {
    let application = kezek_store::forget::application_of(id, bytes, &[]).unwrap_or_default();
    let erased = kezek_core::model::ApplicationId::parse(&application)
        .ok()
        .is_some_and(|a| {
            state
                .application_by_id(&a)
                .is_some_and(|(_, x)| x.names_erased())
                || state
                    .refusal(&a)
                    .is_some_and(|r| r.child.is_some_and(|c| c.is_stand_in()))
        });
    if erased {
        Ok(())
    } else {
        Err(AuditError::Record(format!(
            "document {id} is erased, but no person of its application {application} is"
        )))
    }
}

/// A document's detached CMS signature: over its stored bytes, by a certificate the journal
/// installed for the official the document names, chaining — as of the document's issue —
/// to the anchor that certificate was verified through when it was installed.
fn check_cms(store: &dyn Store, state: &State, doc: &str, der: &[u8]) -> Result<(), AuditError> {
    let fail = |m: String| AuditError::Record(format!("the CMS signature of document {doc}: {m}"));
    let bytes = store
        .document(doc)?
        .ok_or_else(|| fail("the document is not stored".into()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| fail("the document is not JSON".into()))?;
    let official = value
        .pointer("/body/official/official_id")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| fail("the document names no official".into()))?;
    let certificate = kezek_core::model::OfficialId::parse(official)
        .ok()
        .and_then(|id| state.official(&id))
        .and_then(|o| o.certificate.as_ref())
        .ok_or_else(|| {
            fail(format!(
                "official {official} has no certificate in the journal"
            ))
        })?;
    let issued: jiff::Timestamp = field(&value, "issued_at")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| fail("the document has no issue time".into()))?;
    let mut trust = kezek_pki::Trust::default();
    let chain = openssl_chain(&certificate.chain_pem).map_err(fail)?;
    for c in chain.into_iter().skip(1) {
        trust.add_certificate(c);
    }
    let signer = kezek_pki::cms::verify(der, &bytes, &trust, issued).map_err(|e| fail(e.0))?;
    let fingerprint = signer
        .to_der()
        .map(|d| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&d)))
        .unwrap_or_default();
    if fingerprint != certificate.fingerprint {
        return Err(fail(format!(
            "signed by certificate {fingerprint}, the journal installed {} for official {official}",
            certificate.fingerprint
        )));
    }
    Ok(())
}

/// The certificates of a PEM chain.
fn openssl_chain(pem: &str) -> Result<Vec<kezek_pki::cms::X509>, String> {
    kezek_pki::cms::X509::stack_from_pem(pem.as_bytes()).map_err(|e| e.to_string())
}

/// Which key signed what: the keys the journal adopted, each from its seq (and time) on, or,
/// for a journal that adopted none yet, the key held — loaded only when something signed
/// needs it.
struct Signers<'a, F> {
    state: &'a State,
    held: &'a F,
    loaded: std::cell::OnceCell<Result<Authority, String>>,
}

impl<'a, F: Fn() -> Result<Authority, KeyError>> Signers<'a, F> {
    fn of(state: &'a State, held: &'a F) -> Self {
        Self {
            state,
            held,
            loaded: std::cell::OnceCell::new(),
        }
    }

    fn held(&self, what: &'static str) -> Result<&Authority, AuditError> {
        self.loaded
            .get_or_init(|| (self.held)().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|error| AuditError::NoKey {
                what,
                error: KeyError::Malformed(error.clone()),
            })
    }

    /// The public key in force at `seq`.
    fn at(&self, seq: Seq, what: &'static str) -> Result<String, AuditError> {
        match self.state.authority_at(seq) {
            Some(k) => Ok(k.public_key.to_string()),
            None => Ok(self.held(what)?.public_key()),
        }
    }

    /// The id of the key in force at `seq`, when the journal adopted one.
    fn id_at(&self, seq: Seq) -> Option<&str> {
        self.state.authority_at(seq).map(|k| &*k.key_id)
    }

    /// The public keys in force at `time` (an API key's signing): each key whose time in
    /// force — from its adoption (the first: from the start) to its successor's, both ends
    /// counted, as times are journaled to the second — holds it.
    fn at_time(&self, time: &str, what: &'static str) -> Result<Vec<String>, AuditError> {
        let keys = self.state.authorities();
        if keys.is_empty() {
            return Ok(vec![self.held(what)?.public_key()]);
        }
        // To the second, as the journal's times are.
        let t = time
            .parse::<jiff::Timestamp>()
            .ok()
            .and_then(|t| jiff::Timestamp::from_second(t.as_second()).ok());
        let held = |i: usize, k: &kezek_core::state::AuthorityKey| {
            let from = (i > 0).then_some(k.at);
            let until = keys.get(i + 1).map(|n| n.at);
            t.is_some_and(|t| from.is_none_or(|f| f <= t) && until.is_none_or(|u| t <= u))
        };
        Ok(keys
            .iter()
            .enumerate()
            .filter(|(i, k)| held(*i, k))
            .map(|(_, k)| k.public_key.to_string())
            .collect())
    }
}

/// Every rotation carries the endorsement of the key it follows.
fn endorsements(state: &State) -> Result<(), AuditError> {
    let keys = state.authorities();
    for pair in keys.windows(2) {
        let [before, after] = pair else { continue };
        if after.change != kezek_core::event::AuthorityChange::Rotated {
            continue;
        }
        let endorsed = after.endorsement.as_deref().is_some_and(|sig| {
            let bytes = crate::keys::pin::endorsement_bytes(
                &before.key_id,
                &after.key_id,
                &after.public_key,
            );
            signature_holds(&before.public_key, &bytes, sig).unwrap_or(false)
        });
        if !endorsed {
            return Err(AuditError::Record(format!(
                "authority key {} (seq {}): the rotation is not endorsed by key {}",
                after.key_id, after.since, before.key_id
            )));
        }
    }
    Ok(())
}

fn check_document(
    state: &State,
    (public, key_id): (&str, Option<&str>),
    id: &str,
    bytes: &[u8],
) -> Result<(), AuditError> {
    let fail = |m: String| Err(AuditError::Record(m));
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return fail(format!("document {id} is not JSON"));
    };
    if let Some(in_force) = key_id.filter(|k| field(&doc, "key_id") != Some(*k)) {
        return fail(format!(
            "document {id} names key {}, the key in force when it was issued is {in_force}",
            field(&doc, "key_id").unwrap_or("none")
        ));
    }
    let signature = field(&doc, "signature").unwrap_or_default();
    if !signature_holds(public, &signed_bytes(&doc), signature).unwrap_or(false) {
        return fail(format!(
            "document {id}: the signature does not match its content"
        ));
    }
    if field(&doc, "id") != Some(id) {
        return fail(format!(
            "document {id} is stored under another document's id"
        ));
    }
    let app = field(&doc, "application_id").unwrap_or_default();
    // A case's documents are about a case; that they follow from a case record was checked.
    let of_a_case =
        field(&doc, "kind").is_some_and(|k| k.starts_with("case_") || k == "complaint_decision");
    let known = of_a_case
        || ApplicationId::parse(app).is_ok_and(|a| {
            state.application_index(&a).is_some() || field(&doc, "kind") == Some("refusal")
        });
    if !known {
        return fail(format!(
            "document {id} is about application {app}, which the journal does not have"
        ));
    }
    Ok(())
}

/// Every API key carries the authority's signature, and every key the journal says was
/// revoked is stored revoked (un-revoking a key by editing its row, or deleting it, is seen);
/// every stored answer carries its seal.
fn records(
    store: &dyn Store,
    state: &State,
    signers: &Signers<'_, impl Fn() -> Result<Authority, KeyError>>,
) -> Result<(usize, usize), AuditError> {
    let (keys, answers) = (store.keys()?, store.answers()?);
    for id in state.revoked_keys() {
        if !keys
            .iter()
            .any(|k| k.key_id == id && k.revoked_at.is_some())
        {
            return Err(AuditError::Record(format!(
                "API key {id}: the journal says it was revoked, the stored keys do not"
            )));
        }
    }
    for k in &keys {
        // Signed when made, and again when revoked: by the key in force then.
        let signed_at = k.revoked_at.as_deref().unwrap_or(&k.created_at);
        let candidates = signers.at_time(signed_at, "keys")?;
        let holds = candidates
            .iter()
            .any(|public| signature_holds(public, &key_bytes(k), &k.signature).unwrap_or(false));
        if !holds {
            return Err(AuditError::Record(format!(
                "API key {}: the signature does not match the stored key",
                k.key_id
            )));
        }
    }
    if answers.is_empty() {
        return Ok((keys.len(), 0));
    }
    // Stored answers are sealed with a secret the authority key derives: checked with the
    // key held and the retired ones kept beside it. A key lost and replaced leaves its
    // answers uncheckable: counted apart, never passed as checked.
    let held = signers.held("stored answers")?;
    let lost = state
        .authorities()
        .iter()
        .any(|k| k.change == kezek_core::event::AuthorityChange::Replaced);
    let mut checked = 0;
    for a in &answers {
        if held.sealed(a) {
            checked += 1;
        } else if !lost {
            return Err(AuditError::Record(format!(
                "stored answer {} of {}: the signature does not match",
                a.key, a.actor
            )));
        }
    }
    Ok((keys.len(), checked))
}

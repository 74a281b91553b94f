//! Result documents: a queue notification, a referral or a reasoned refusal, each signed by
//! the authority (`docs/rules.md`). A document is canonical JSON — compact, keys sorted — of
//! `{"application_id","body","id","issued_at","kind"}`; the signature covers exactly those
//! bytes, and the stored document adds `signature` and `key_id`.
//!
//! Documents are drafted from the state under its lock and signed after it is released, on
//! every core (`sign_all`); this is the one place a document is signed.

pub mod cases;
mod drafts;

pub use drafts::{appeal, drafts, earlier_queue_notification, BRING};

use crate::keys::authority::Authority;
use jiff::Timestamp;
use serde_json::{json, Value};

/// What a document's id takes to name its detached CMS signature in the document store
/// (`doc-….p7s`): stored with it, in its batch.
pub const CMS_SUFFIX: &str = ".p7s";

/// A text field of a stored document (`None` when absent or not text).
#[must_use]
pub fn field<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}

/// The bytes a document's signature covers.
#[must_use]
pub fn signed_bytes(doc: &Value) -> Vec<u8> {
    let mut unsigned = doc.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("signature");
        m.remove("key_id");
    }
    serde_json::to_vec(&unsigned).unwrap_or_default()
}

/// A document decided from the state (under its lock) and signed afterwards, so the
/// signatures (about 20 µs each) are made without holding the lock, on every core.
#[derive(Debug, Clone)]
pub struct Draft {
    id: String,
    kind: &'static str,
    issued_at: Timestamp,
    application_id: String,
    body: Value,
}

impl Draft {
    /// Names in its body the official who issues it: the official whose key acted, else the
    /// one who signs for the application's district; nothing when neither is named.
    pub fn name_official(&mut self, state: &kezek_core::State, actor: &str) {
        use kezek_core::event::Organisation;
        let district = || {
            let id = kezek_core::model::ApplicationId::parse(&self.application_id).ok()?;
            let (_, app) = state.application_by_id(&id)?;
            Some(state.district(app.district)?.id.clone())
        };
        let official = state
            .official_of_key(actor)
            .or_else(|| district().and_then(|d| state.signer_of(&Organisation::District(d))));
        if let (Some(o), Some(body)) = (official, self.body.as_object_mut()) {
            let o = &o.official;
            body.insert(
                "official".into(),
                json!({"official_id": o.official_id, "name": o.name, "position_kk": o.position_kk,
                       "position_ru": o.position_ru, "organisation": o.organisation.label()}),
            );
        }
    }

    /// The official its body names (who issues it), if any.
    #[must_use]
    pub fn official_id(&self) -> Option<&str> {
        self.body.get("official")?.get("official_id")?.as_str()
    }

    /// Its id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document before it is signed.
    #[must_use]
    pub fn unsigned(&self) -> Value {
        json!({"id": self.id, "kind": self.kind, "issued_at": self.issued_at, "application_id": self.application_id, "body": &self.body})
    }

    /// The document signed, as stored: (id, JSON bytes).
    #[must_use]
    pub fn sign(&self, authority: &Authority) -> (String, Vec<u8>) {
        let mut doc = self.unsigned();
        // What `signed_bytes` gives for a document not signed yet, without its copy.
        let signature = authority.sign(&serde_json::to_vec(&doc).unwrap_or_default());
        if let Some(fields) = doc.as_object_mut() {
            fields.insert("signature".into(), json!(signature));
            fields.insert("key_id".into(), json!(authority.key_id()));
        }
        (
            self.id.clone(),
            serde_json::to_vec(&doc).unwrap_or_default(),
        )
    }
}

/// The SHA-256 (hex) of the bytes a document's signature covers: what its verification line
/// and QR code carry, so a printed copy can be matched to the one issued.
#[must_use]
pub fn digest(doc: &Value) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(signed_bytes(doc)))
}

/// Drafts below this many are signed on the calling thread.
const PARALLEL_FROM: usize = 64;

/// Signs drafts in order; a round's thousands of referrals are shared among the cores.
#[must_use]
pub fn sign_all(drafts: &[Draft], authority: &Authority) -> Vec<(String, Vec<u8>)> {
    // available_parallelism reads the cgroup files each time: ask once.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads = *THREADS
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if drafts.len() < PARALLEL_FROM || threads < 2 {
        return drafts.iter().map(|d| d.sign(authority)).collect();
    }
    let chunk = drafts.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = drafts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|d| d.sign(authority)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Why a document does not check.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// It is not JSON, or lacks a field.
    #[error("{0}")]
    Malformed(&'static str),
    /// The key or the signature is malformed.
    #[error(transparent)]
    Key(#[from] crate::keys::authority::KeyError),
    /// The signature does not match the document and the key.
    #[error("the signature does not match the document and key {0}")]
    Mismatch(String),
    /// Signed by a key after the journal had put another in its place.
    #[error("issued at {issued_at} under key {key_id}, which was no longer in force from {until}")]
    Retired {
        /// The key.
        key_id: String,
        /// When the document says it was issued.
        issued_at: String,
        /// When the key's successor was adopted.
        until: String,
    },
}

/// The public key (base64) of `key_id` in `keys`: the JSON of `GET /v1/keys`, or a bare base64
/// key.
///
/// # Errors
/// No key with that id in the JSON.
pub fn public_key_for(keys: &str, key_id: &str) -> Result<String, DocumentError> {
    match serde_json::from_str::<Value>(keys) {
        Ok(v) => v
            .get("keys")
            .and_then(Value::as_array)
            .and_then(|ks| ks.iter().find(|k| field(k, "key_id") == Some(key_id)))
            .and_then(|k| field(k, "public_key"))
            .map(str::to_owned)
            .ok_or(DocumentError::Malformed(
                "no key with the document's key_id in the keys",
            )),
        Err(_) => Ok(keys.trim().to_owned()),
    }
}

/// When `key_id` stopped being in force, if `keys` (the JSON of `GET /v1/keys`) says it did.
fn retired_from(keys: &str, key_id: &str) -> Option<String> {
    serde_json::from_str::<Value>(keys)
        .ok()?
        .get("keys")?
        .as_array()?
        .iter()
        .find(|k| field(k, "key_id") == Some(key_id))
        .and_then(|k| field(k, "until"))
        .map(str::to_owned)
}

/// What a checked document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its kind.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// The key that signed it.
    pub key_id: String,
}

/// Checks a document's signature offline with the authority's public key (`keys`: the JSON
/// of `GET /v1/keys` or a base64 key).
///
/// # Errors
/// A malformed document or key, or a signature that does not match.
pub fn check_offline(document: &[u8], keys: &str) -> Result<Checked, DocumentError> {
    let doc: Value = serde_json::from_slice(document)
        .map_err(|_| DocumentError::Malformed("the document is not JSON"))?;
    let key_id =
        field(&doc, "key_id").ok_or(DocumentError::Malformed("the document has no key_id"))?;
    let signature = field(&doc, "signature")
        .ok_or(DocumentError::Malformed("the document has no signature"))?;
    let public_key = public_key_for(keys, key_id)?;
    if let Some(until) = retired_from(keys, key_id) {
        let issued_at = field(&doc, "issued_at").unwrap_or_default();
        let (issued, ended) = (
            issued_at
                .parse::<Timestamp>()
                .and_then(|t| Timestamp::from_second(t.as_second())),
            until.parse::<Timestamp>(),
        );
        // Times are journaled to the second: a document of the rotation's second is its
        // predecessor's.
        if !matches!((issued, ended), (Ok(i), Ok(e)) if i <= e) {
            return Err(DocumentError::Retired {
                key_id: key_id.to_owned(),
                issued_at: issued_at.to_owned(),
                until,
            });
        }
    }
    if crate::keys::authority::signature_holds(&public_key, &signed_bytes(&doc), signature)? {
        let text = |k: &str| field(&doc, k).unwrap_or("?").to_owned();
        Ok(Checked {
            kind: text("kind"),
            id: text("id"),
            key_id: key_id.to_owned(),
        })
    } else {
        Err(DocumentError::Mismatch(key_id.to_owned()))
    }
}

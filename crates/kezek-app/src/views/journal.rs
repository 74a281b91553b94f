//! The auditor's views: journal records with their hash chain, the signed head, and the
//! authority's public keys.

use crate::keys::authority::Authority;
use kezek_store::{Head, StoredEvent};
use serde::Serialize;

/// A journal record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JournalEvent {
    /// Sequence number.
    pub seq: u64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: an API key id, or `system`, `import`, `demo`.
    pub actor: String,
    /// The event kind.
    pub kind: String,
    /// The event.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The previous record's hash, hex.
    pub prev_hash: String,
    /// This record's hash, hex.
    pub hash: String,
}

impl From<&StoredEvent> for JournalEvent {
    fn from(r: &StoredEvent) -> Self {
        Self {
            seq: r.seq.get(),
            at: r.at.clone(),
            actor: r.actor.clone(),
            kind: r.kind.clone(),
            payload: serde_json::from_slice(&r.payload).unwrap_or(serde_json::Value::Null),
            prev_hash: hex::encode(r.prev_hash),
            hash: hex::encode(r.hash),
        }
    }
}

/// A page of the journal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JournalPage {
    /// The records, in order.
    pub events: Vec<JournalEvent>,
    /// The `after` of the next page (`null` at the end).
    pub next_after: Option<u64>,
}

/// The bytes the head's signature covers: `{"hash":…,"seq":…}` (keys sorted, no spaces).
#[must_use]
pub fn head_bytes(seq: u64, hash: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"hash": hash, "seq": seq})).unwrap_or_default()
}

/// The journal's head, signed by the authority.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeadView {
    /// The last seq.
    pub seq: u64,
    /// Its hash, hex.
    pub hash: String,
    /// Ed25519 over `{"hash":…,"seq":…}`, base64.
    pub signature: String,
    /// The authority key that signed.
    pub key_id: String,
}

impl HeadView {
    /// `head`, signed by `authority`.
    #[must_use]
    pub fn signed(head: Head, authority: &Authority) -> Self {
        let hash = hex::encode(head.hash);
        Self {
            seq: head.seq.get(),
            signature: authority.sign(&head_bytes(head.seq.get(), &hash)),
            hash,
            key_id: authority.key_id().to_owned(),
        }
    }
}

/// One public key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// Its id.
    pub key_id: String,
    /// `ed25519`.
    pub algorithm: &'static str,
    /// The public key, base64.
    pub public_key: String,
}

/// The authority's public keys.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeysView {
    /// The keys.
    pub keys: Vec<KeyView>,
}

impl KeysView {
    /// The keys of `authority`.
    #[must_use]
    pub fn of(authority: &Authority) -> Self {
        Self {
            keys: vec![KeyView {
                key_id: authority.key_id().to_owned(),
                algorithm: "ed25519",
                public_key: authority.public_key(),
            }],
        }
    }
}

/// A signed result document, as stored (its schema; the body is returned byte for byte).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    /// Its id.
    pub id: String,
    /// `queue_notification`, `referral` or `refusal`.
    pub kind: String,
    /// When it was issued.
    pub issued_at: String,
    /// The application it is about.
    pub application_id: String,
    /// What it says.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// Ed25519 over the canonical JSON of the other fields but `key_id`, base64.
    pub signature: String,
    /// The authority key that signed.
    pub key_id: String,
}

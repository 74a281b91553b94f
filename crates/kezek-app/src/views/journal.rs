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
    /// The event as journaled (the bytes the hash covers): in a journal that seals, each
    /// personal value as `{"$sealed": "KEY:NONCE:CIPHERTEXT"}`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The event with its sealed values opened (stand-ins for an erased person's); absent
    /// when nothing in it is sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub opened: Option<serde_json::Value>,
    /// The previous record's hash, hex.
    pub prev_hash: String,
    /// This record's hash, hex.
    pub hash: String,
    /// The official whose key acted, when the key belongs to one (`key_bound`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official: Option<ActingOfficial>,
}

/// The official who acted, as the journal's view names them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActingOfficial {
    /// Their id.
    pub official_id: String,
    /// Their full name.
    pub name: String,
    /// Their position, in Kazakh.
    pub position_kk: String,
    /// Their position, in Russian.
    pub position_ru: String,
}

impl ActingOfficial {
    /// The official of API key `actor` in `state`, if it is bound to one.
    #[must_use]
    pub fn of(state: &kezek_core::State, actor: &str) -> Option<Self> {
        let o = &state.official_of_key(actor)?.official;
        Some(Self {
            official_id: o.official_id.to_string(),
            name: o.name.clone(),
            position_kk: o.position_kk.clone(),
            position_ru: o.position_ru.clone(),
        })
    }
}

impl JournalEvent {
    /// What the event says: opened, or as journaled when nothing in it is sealed.
    #[must_use]
    pub fn said(&self) -> &serde_json::Value {
        self.opened.as_ref().unwrap_or(&self.payload)
    }
}

impl From<&StoredEvent> for JournalEvent {
    fn from(r: &StoredEvent) -> Self {
        Self {
            seq: r.seq.get(),
            at: r.at.clone(),
            actor: r.actor.clone(),
            kind: r.kind.clone(),
            payload: serde_json::from_slice(&r.payload).unwrap_or(serde_json::Value::Null),
            opened: None,
            prev_hash: hex::encode(r.prev_hash),
            hash: hex::encode(r.hash),
            official: None,
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

/// One public key, and when the journal had it in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// Its id.
    pub key_id: String,
    /// `ed25519`.
    pub algorithm: &'static str,
    /// The public key, base64.
    pub public_key: String,
    /// The first seq it signed for: 1 for the journal's first key (it signed the records of
    /// an earlier Kezek too), else the seq of its adoption.
    pub from_seq: u64,
    /// The seq from which it no longer signs (its successor's adoption); absent while in
    /// force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_seq: Option<u64>,
    /// When it was adopted; absent for the journal's first key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// When its successor was adopted; absent while in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// `first`, `rotated` or `replaced`: how it came into force.
    pub change: &'static str,
    /// Why, for a replacement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The authority's public keys: every key the journal adopted, the one in force last.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeysView {
    /// The keys.
    pub keys: Vec<KeyView>,
}

impl KeysView {
    /// The keys `state`'s journal adopted; before it adopts one, the key this node holds.
    #[must_use]
    pub fn of(state: &kezek_core::State, held: &Authority) -> Self {
        let adopted = state.authorities();
        if adopted.is_empty() {
            return Self {
                keys: vec![KeyView {
                    key_id: held.key_id().to_owned(),
                    algorithm: "ed25519",
                    public_key: held.public_key(),
                    from_seq: 1,
                    until_seq: None,
                    from: None,
                    until: None,
                    change: "first",
                    reason: None,
                }],
            };
        }
        let keys = adopted
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let next = adopted.get(i + 1);
                KeyView {
                    key_id: k.key_id.to_string(),
                    algorithm: "ed25519",
                    public_key: k.public_key.to_string(),
                    from_seq: if i == 0 { 1 } else { k.since.get() },
                    until_seq: next.map(|n| n.since.get()),
                    from: (i > 0).then(|| k.at.to_string()),
                    until: next.map(|n| n.at.to_string()),
                    change: k.change.as_str(),
                    reason: k.reason.as_deref().map(str::to_owned),
                }
            })
            .collect();
        Self { keys }
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

//! API keys: `Authorization: Bearer <token>`; only the SHA-256 of a token is stored, with the
//! key's role and scope, signed by the authority so that `kezek verify` sees any edit. The
//! ring is the service's copy of them by token hash.

pub mod authority;
pub mod identities;
pub mod pin;

use crate::access::{Caller, Role};
use crate::keys::authority::{key_bytes, Authority};
use kezek_store::{ApiKeyRecord, Hash, KeyStore, StoreError};
use parking_lot::{Mutex, RwLock};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often an unknown token may make the keys be read again.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// SHA-256 of a token.
#[must_use]
pub fn token_hash(token: &str) -> Hash {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token and its key id.
///
/// # Errors
/// The operating system has no randomness to give.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let mut id = [0u8; 6];
    getrandom::fill(&mut id)?;
    Ok((
        format!("kz_{}", hex::encode(secret)),
        format!("key-{}", hex::encode(id)),
    ))
}

/// The stored record of a new key, unsigned.
#[must_use]
pub fn key_record(
    key_id: &str,
    token: &str,
    role: Role,
    scope: Vec<String>,
    created_at: &str,
) -> ApiKeyRecord {
    ApiKeyRecord {
        key_id: key_id.to_owned(),
        token_hash: token_hash(token),
        role: role.as_str().to_owned(),
        scope,
        created_at: created_at.to_owned(),
        expires_at: None,
        revoked_at: None,
        official: None,
        signature: String::new(),
    }
}

/// Why a key was not created.
#[derive(Debug, thiserror::Error)]
pub enum KeyCreateError {
    /// The role and the scope do not go together.
    #[error("{0}")]
    Scope(&'static str),
    /// No randomness for the token.
    #[error("no randomness for a token: {0}")]
    Random(getrandom::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The scope a key of `role` gets from `districts` and `kindergartens`.
///
/// # Errors
/// A staff key without districts, a kindergarten key without kindergartens, or a scope of the
/// wrong kind.
pub fn scope_for(
    role: Role,
    districts: &[String],
    kindergartens: &[String],
    organisations: &[String],
) -> Result<Vec<String>, KeyCreateError> {
    let given = [
        !districts.is_empty(),
        !kindergartens.is_empty(),
        !organisations.is_empty(),
    ];
    match role {
        Role::Staff | Role::Clerk if given == [true, false, false] => Ok(districts.to_vec()),
        Role::Staff | Role::Clerk => Err(KeyCreateError::Scope(
            "a staff or clerk key needs at least one --district, and nothing else",
        )),
        Role::Kindergarten if given == [false, true, false] => Ok(kindergartens.to_vec()),
        Role::Kindergarten => Err(KeyCreateError::Scope(
            "a kindergarten key needs at least one --kindergarten, and nothing else",
        )),
        Role::Head | Role::Executor if given == [false, false, true] => Ok(organisations.to_vec()),
        Role::Head | Role::Executor => Err(KeyCreateError::Scope(
            "a head or executor key needs at least one --organisation (a district or a school), and nothing else",
        )),
        _ if given == [false, false, false] => Ok(Vec::new()),
        _ => Err(KeyCreateError::Scope(
            "--district is for staff and clerk keys, --kindergarten for kindergarten keys, --organisation for head and executor keys",
        )),
    }
}

/// What a new key is: its role and scope, until when it is accepted, whose it is.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Its role.
    pub role: Role,
    /// Districts or kindergartens it is limited to.
    pub scope: Vec<String>,
    /// When it stops being accepted, if ever.
    pub expires: Option<jiff::Timestamp>,
    /// The official it belongs to, if any (accepted once the journal binds it).
    pub official: Option<String>,
}

/// Creates and stores a key signed by `authority` at `now`; its id and token (shown once).
///
/// # Errors
/// No randomness, or the store cannot be written.
pub fn create(
    store: &dyn KeyStore,
    authority: &Authority,
    key: NewKey,
    now: jiff::Timestamp,
) -> Result<(String, String), KeyCreateError> {
    let (token, key_id) = new_token().map_err(KeyCreateError::Random)?;
    let mut record = key_record(&key_id, &token, key.role, key.scope, &now.to_string());
    record.expires_at = key.expires.map(|e| e.to_string());
    record.official = key.official;
    record.signature = authority.sign(&key_bytes(&record));
    store.put_key(&record)?;
    Ok((key_id, token))
}

/// What `kezek keys revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now,
    /// It was revoked before, at this time.
    Already(String),
}

/// Why a key was not revoked.
#[derive(Debug, thiserror::Error)]
pub enum KeyRevokeError {
    /// No key has this id.
    #[error("no key {0}")]
    Unknown(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Marks key `key_id` revoked at `now`, signed again by `authority`. A running server stops
/// accepting it within a second and journals the revocation (`key_revoked`).
///
/// # Errors
/// No such key, or the store cannot be read or written.
pub fn revoke(
    store: &dyn KeyStore,
    authority: &Authority,
    key_id: &str,
    now: jiff::Timestamp,
) -> Result<Revoked, KeyRevokeError> {
    let Some(mut record) = store.keys()?.into_iter().find(|k| k.key_id == key_id) else {
        return Err(KeyRevokeError::Unknown(key_id.to_owned()));
    };
    if let Some(at) = record.revoked_at {
        return Ok(Revoked::Already(at));
    }
    record.revoked_at = Some(now.to_string());
    record.signature = authority.sign(&key_bytes(&record));
    if !store.update_key(&record)? {
        return Err(KeyRevokeError::Unknown(key_id.to_owned()));
    }
    Ok(Revoked::Now)
}

/// The keys the service accepts, by token hash.
#[derive(Default)]
pub struct KeyRing {
    /// Token hash → caller, and when the key expires if it does. Revoked keys are left out.
    callers: RwLock<HashMap<Hash, (Caller, Option<jiff::Timestamp>)>>,
    /// When an unknown token last made the keys be read again.
    last_reload: Mutex<Option<Instant>>,
}

impl KeyRing {
    /// Reads the keys from the store again.
    ///
    /// # Errors
    /// Storage failure.
    pub fn reload(&self, store: &dyn KeyStore) -> Result<(), StoreError> {
        self.replace(store.keys()?);
        Ok(())
    }

    /// Takes `keys` as the keys the service knows; revoked ones are refused from now on.
    pub fn replace(&self, keys: Vec<ApiKeyRecord>) {
        let map = keys
            .into_iter()
            .filter(|k| k.revoked_at.is_none())
            .filter_map(|k| {
                let role = Role::parse(&k.role)?;
                // An expiry that does not read expires the key: refusing is the safe side.
                let expires = k
                    .expires_at
                    .as_ref()
                    .map(|at| at.parse().unwrap_or(jiff::Timestamp::MIN));
                Some((
                    k.token_hash,
                    (
                        Caller {
                            key_id: k.key_id,
                            role,
                            scope: k.scope,
                            official: k.official,
                            citizen: crate::access::Citizen::Unbound,
                        },
                        expires,
                    ),
                ))
            })
            .collect();
        *self.callers.write() = map;
    }

    /// The caller holding the token with this hash, unless its key has expired by `now`.
    #[must_use]
    pub fn caller(&self, token_hash: &Hash, now: jiff::Timestamp) -> Option<Caller> {
        let callers = self.callers.read();
        let (caller, expires) = callers.get(token_hash)?;
        if expires.is_some_and(|e| e <= now) {
            return None;
        }
        Some(caller.clone())
    }

    /// Whether an unknown token may make the keys be read again now (one made by `kezek keys
    /// create` while the server runs): at most once a second, so a stream of bad tokens costs
    /// no more than one read of the keys a second.
    #[must_use]
    pub fn may_reload(&self) -> bool {
        let mut last = self.last_reload.lock();
        if last.is_some_and(|t| t.elapsed() < RELOAD_AT_MOST_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

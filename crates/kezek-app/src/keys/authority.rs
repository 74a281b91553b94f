//! The authority's Ed25519 key: created at first start in the data directory (file mode
//! 0600), it signs every result document and the journal head, so anyone holding the public
//! key (`GET /v1/keys`) can check them offline.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The signing key and its public id. (Cloned only to hand the same key to an audit run
/// beside the service.)
#[derive(Clone)]
pub struct Authority {
    key: SigningKey,
    key_id: String,
    /// The key that seals stored answers, derived from the signing key's seed.
    answer_key: [u8; 32],
    /// The keys in force before it that are still held (retired beside it): what they
    /// sealed still checks.
    retired: Vec<Authority>,
}

/// Why a key file or a signature could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("authority key {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Not a key (wrong length or encoding).
    #[error("not an Ed25519 key: {0}")]
    Malformed(String),
}

/// The id of a public key: `ed25519-` and the first 16 hex digits of its SHA-256.
#[must_use]
pub fn key_id_of(public: &VerifyingKey) -> String {
    format!(
        "ed25519-{}",
        &hex::encode(Sha256::digest(public.as_bytes()))[..16]
    )
}

impl Authority {
    /// A key from a 32-byte seed (tests).
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id_of(&key.verifying_key());
        let answer_key = Sha256::new()
            .chain_update(b"kezek stored answers\n")
            .chain_update(seed)
            .finalize()
            .into();
        Self {
            key,
            key_id,
            answer_key,
            retired: Vec::new(),
        }
    }

    /// This key, holding `retired` too (the keys before it, kept beside it): a stored answer
    /// sealed by one of them still checks.
    #[must_use]
    pub fn with_retired(mut self, retired: Vec<Authority>) -> Self {
        self.retired = retired;
        self
    }

    /// A secret for `purpose` (`snapshots`, …) that only the holder of this key can make and
    /// that says nothing of the key: SHA-256 of the purpose and the key's seed. The same key
    /// gives the same secret on every node and after every restart.
    #[must_use]
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(b"kezek ")
            .chain_update(purpose.as_bytes())
            .chain_update(b"\n")
            .chain_update(self.key.to_bytes())
            .finalize()
            .into()
    }

    /// Loads the key at `path`, creating it (mode 0600) on first start.
    ///
    /// # Errors
    /// The file cannot be read or created, or does not hold a key.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let err = |message: String| KeyError::File {
            path: path.display().to_string(),
            message,
        };
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            let seed: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| KeyError::Malformed("expected 64 hex digits".into()))?;
            return Ok(Self::from_seed(seed));
        }
        let key = Self::generate()?;
        key.write_to(path)?;
        Ok(key)
    }

    /// A new random key, kept nowhere yet.
    ///
    /// # Errors
    /// The operating system has no randomness to give.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Malformed(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// Writes the key to a new file at `path`, readable by its owner only (0600).
    ///
    /// # Errors
    /// The file exists already or cannot be written.
    pub fn write_to(&self, path: &Path) -> Result<(), KeyError> {
        write_private(path, &hex::encode(self.key.to_bytes())).map_err(|e| KeyError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Loads the key at `path`; never creates one.
    ///
    /// # Errors
    /// The file cannot be read or does not hold a key.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        if !path.exists() {
            return Err(KeyError::File {
                path: path.display().to_string(),
                message: "missing".into(),
            });
        }
        Self::load_or_create(path)
    }

    /// Where a key that was in force at `path` is kept once retired: beside it, named by its
    /// id (`authority.key.retired-ed25519-…`).
    #[must_use]
    pub fn retired_path(path: &Path, key_id: &str) -> std::path::PathBuf {
        let name = path.file_name().map_or_else(
            || "authority.key".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        path.with_file_name(format!("{name}.retired-{key_id}"))
    }

    /// The retired keys kept beside `path` (see [`Self::retired_path`]), those that read.
    #[must_use]
    pub fn retired_beside(path: &Path) -> Vec<Self> {
        let name = path.file_name().map_or_else(
            || "authority.key".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let prefix = format!("{name}.retired-");
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let Ok(entries) = std::fs::read_dir(dir.unwrap_or(Path::new("."))) else {
            return Vec::new();
        };
        let mut keys: Vec<Self> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .filter_map(|e| Self::load(&e.path()).ok())
            .collect();
        keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        keys
    }

    /// The key id.
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key, base64.
    #[must_use]
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().as_bytes())
    }

    /// Signs `bytes`; the signature in base64.
    #[must_use]
    pub fn sign(&self, bytes: &[u8]) -> String {
        B64.encode(self.key.sign(bytes).to_bytes())
    }
}

/// The bytes an API key record's signature covers: its fields as compact JSON with sorted
/// keys (the token hash in hex), the signature left out.
#[must_use]
pub fn key_bytes(k: &kezek_store::ApiKeyRecord) -> Vec<u8> {
    let mut signed = serde_json::json!({
        "created_at": k.created_at, "key_id": k.key_id, "role": k.role, "scope": k.scope, "token_hash": hex::encode(k.token_hash),
    });
    // Signed only when set, so that the keys signed before they existed still verify.
    for (name, value) in [
        ("expires_at", &k.expires_at),
        ("revoked_at", &k.revoked_at),
        ("official", &k.official),
    ] {
        if let (Some(v), Some(map)) = (value, signed.as_object_mut()) {
            map.insert(name.to_owned(), serde_json::Value::from(v.as_str()));
        }
    }
    serde_json::to_vec(&signed).unwrap_or_default()
}

/// The prefix of a stored answer's seal.
const SEAL: &str = "hmac-sha256:";

impl Authority {
    /// Seals a stored answer (the answer to repeat for a retried `Idempotency-Key`).
    ///
    /// Stored answers are never shown to anyone as signed documents: the seal only has to
    /// let the server and `kezek verify`, which hold the authority key, notice an edit.
    /// An HMAC-SHA256 under a key derived from the authority key does that for about a
    /// microsecond, where an Ed25519 signature (20 µs) cost a sixth of the registration
    /// throughput. Stores written before keep their signatures, which [`Self::sealed`]
    /// still checks.
    #[must_use]
    pub fn seal(&self, a: &kezek_store::IdempotencyRecord) -> String {
        format!(
            "{SEAL}{}",
            B64.encode(self.answer_mac(a).finalize().into_bytes())
        )
    }

    /// Whether a stored answer's seal (or older signature) matches it, under this key or a
    /// retired one it holds.
    #[must_use]
    pub fn sealed(&self, a: &kezek_store::IdempotencyRecord) -> bool {
        self.sealed_by_this(a) || self.retired.iter().any(|r| r.sealed_by_this(a))
    }

    fn sealed_by_this(&self, a: &kezek_store::IdempotencyRecord) -> bool {
        match a.signature.strip_prefix(SEAL) {
            Some(mac) => B64
                .decode(mac)
                .is_ok_and(|m| self.answer_mac(a).verify_slice(&m).is_ok()),
            None => {
                signature_holds(&self.public_key(), &answer_bytes(a), &a.signature).unwrap_or(false)
            }
        }
    }

    fn answer_mac(&self, a: &kezek_store::IdempotencyRecord) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.answer_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        // Each field with its length first, so no two records give the same bytes.
        for field in [
            a.actor.as_bytes(),
            a.key.as_bytes(),
            &a.request_hash,
            &a.body,
        ] {
            mac.update(&(field.len() as u64).to_le_bytes());
            mac.update(field);
        }
        mac.update(&a.status.to_le_bytes());
        mac
    }
}

/// The bytes an older store's Ed25519 signature of a stored answer covers (hashes and body
/// in hex).
#[must_use]
pub fn answer_bytes(a: &kezek_store::IdempotencyRecord) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "actor": a.actor, "body": hex::encode(&a.body), "key": a.key, "request_hash": hex::encode(a.request_hash), "status": a.status,
    }))
    .unwrap_or_default()
}

/// Checks a base64 signature over `bytes` with a base64 public key.
///
/// # Errors
/// A malformed key or signature; `Ok(false)` when it simply does not match.
pub fn signature_holds(public_key: &str, bytes: &[u8], signature: &str) -> Result<bool, KeyError> {
    let pk: [u8; 32] = B64
        .decode(public_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyError::Malformed("public key must be 32 bytes in base64".into()))?;
    let pk = VerifyingKey::from_bytes(&pk).map_err(|e| KeyError::Malformed(e.to_string()))?;
    let sig: [u8; 64] = B64
        .decode(signature.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyError::Malformed("signature must be 64 bytes in base64".into()))?;
    Ok(pk.verify(bytes, &Signature::from_bytes(&sig)).is_ok())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_verifiable() {
        let dir = std::env::temp_dir().join(format!("kezek-authority-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("authority.key");
        let _ = std::fs::remove_file(&path);
        let a = Authority::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let b = Authority::load_or_create(&path).unwrap();
        assert_eq!(a.key_id(), b.key_id(), "the same key on the next start");
        let sig = a.sign(b"queue");
        assert!(signature_holds(&b.public_key(), b"queue", &sig).unwrap());
        assert!(!signature_holds(&b.public_key(), b"queuf", &sig).unwrap());
        assert!(signature_holds("nope", b"queue", &sig).is_err());
        std::fs::write(&path, "zz").unwrap();
        assert!(Authority::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn answer() -> kezek_store::IdempotencyRecord {
        kezek_store::IdempotencyRecord {
            actor: "key-1".into(),
            key: "retry-7".into(),
            request_hash: [7; 32],
            status: 201,
            signature: String::new(),
            body: br#"{"application_id":"KZ1"}"#.to_vec(),
        }
    }

    #[test]
    fn a_sealed_answer_checks_and_any_edit_breaks_the_seal() {
        let a = Authority::from_seed([1; 32]);
        let mut r = answer();
        r.signature = a.seal(&r);
        assert!(r.signature.starts_with(SEAL));
        assert!(a.sealed(&r));
        assert!(!Authority::from_seed([2; 32]).sealed(&r));
        let edits: [fn(&mut kezek_store::IdempotencyRecord); 5] = [
            |r| r.actor.push('x'),
            |r| r.key.push('x'),
            |r| r.request_hash[0] ^= 1,
            |r| r.status = 200,
            |r| r.body[2] = b'b',
        ];
        for edit in edits {
            let mut changed = r.clone();
            edit(&mut changed);
            assert!(!a.sealed(&changed));
        }
        // Moving bytes from one field to the next must not keep the seal.
        let mut shifted = r.clone();
        shifted.actor = "key-1r".into();
        shifted.key = "etry-7".into();
        assert!(!a.sealed(&shifted));
    }

    #[test]
    fn answers_signed_by_an_older_store_still_check() {
        let a = Authority::from_seed([1; 32]);
        let mut r = answer();
        r.signature = a.sign(&answer_bytes(&r));
        assert!(a.sealed(&r));
        r.status = 200;
        assert!(!a.sealed(&r));
        r.signature = format!("{SEAL}not base64!");
        assert!(!a.sealed(&r));
    }
}

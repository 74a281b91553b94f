//! The authority's Ed25519 key: created at first start in the data directory (file mode
//! 0600), it signs every result document and the journal head, so anyone holding the public
//! key (`GET /v1/keys`) can check them offline.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The signing key and its public id.
pub struct Authority {
    key: SigningKey,
    key_id: String,
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
        Self { key, key_id }
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
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| err(e.to_string()))?;
        write_private(path, &hex::encode(seed)).map_err(|e| err(e.to_string()))?;
        Ok(Self::from_seed(seed))
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
    serde_json::to_vec(&serde_json::json!({
        "created_at": k.created_at, "key_id": k.key_id, "role": k.role, "scope": k.scope, "token_hash": hex::encode(k.token_hash),
    }))
    .unwrap_or_default()
}

/// The bytes a stored answer's signature covers (hashes and body in hex).
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
pub fn verify(public_key: &str, bytes: &[u8], signature: &str) -> Result<bool, KeyError> {
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
        assert!(verify(&b.public_key(), b"queue", &sig).unwrap());
        assert!(!verify(&b.public_key(), b"queuf", &sig).unwrap());
        assert!(verify("nope", b"queue", &sig).is_err());
        std::fs::write(&path, "zz").unwrap();
        assert!(Authority::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

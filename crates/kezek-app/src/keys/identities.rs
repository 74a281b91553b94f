//! The officials' signing identities this installation holds (`kezek_pki`): their private
//! keys in files of mode 0600 under the identities directory (never in the journal or the
//! database), the trust anchors and CRLs the operator installed, and the checks made before
//! each signature. An identity that expired, was revoked or lost its anchor is not used: the
//! document keeps its Ed25519 signature alone, and the officials' page says why.

use kezek_pki::{Identity, Trust};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a check of an identity is trusted before it is made again.
const RECHECK: Duration = Duration::from_secs(60);

/// Where the operator keeps what signing needs.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Roots and intermediates (PEM), `DATA/trust-anchors/` by default.
    pub anchors: PathBuf,
    /// CRLs (PEM or DER), `DATA/crls/` by default.
    pub crls: PathBuf,
    /// The officials' private keys with their certificates, `DATA/identities/` by default.
    pub identities: PathBuf,
}

impl Dirs {
    /// Where official `id`'s identity of certificate `fingerprint` is kept.
    #[must_use]
    pub fn identity_file(&self, id: &str, fingerprint: &str) -> PathBuf {
        let short = fingerprint.get(..16).unwrap_or(fingerprint);
        self.identities.join(format!("{id}.{short}.pem"))
    }

    /// The trust anchors and CRLs.
    ///
    /// # Errors
    /// A file that does not read.
    pub fn trust(&self) -> Result<Trust, kezek_pki::trust::TrustError> {
        Trust::load(&self.anchors, &self.crls)
    }
}

/// Why an official's identity is not used, and since when it was found so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// When it was last found.
    pub at: jiff::Timestamp,
    /// Why.
    pub why: String,
}

/// The identities held, by official id, with the trust they are checked against.
#[derive(Default)]
pub struct Signing {
    trust: Trust,
    identities: HashMap<String, Identity>,
    checked: Mutex<HashMap<String, (Instant, bool)>>,
    problems: Mutex<BTreeMap<String, Problem>>,
}

impl Signing {
    /// The identities of `certificates` (official id, fingerprint) found under `dirs`; one
    /// whose file is missing or unreadable is noted as a problem.
    ///
    /// # Errors
    /// The trust anchors or CRLs do not read.
    pub fn load(
        dirs: &Dirs,
        certificates: &[(String, String)],
        now: jiff::Timestamp,
    ) -> Result<Self, kezek_pki::trust::TrustError> {
        let signing = Self {
            trust: dirs.trust()?,
            ..Self::default()
        };
        let mut identities = HashMap::new();
        for (id, fingerprint) in certificates {
            let file = dirs.identity_file(id, fingerprint);
            let read = std::fs::read(&file)
                .map_err(|e| format!("the private key is not at {}: {e}", file.display()))
                .and_then(|pem| Identity::from_pem(&pem).map_err(|e| e.to_string()))
                .and_then(|i| {
                    let same = i.describe().is_ok_and(|d| &d.fingerprint == fingerprint);
                    if same {
                        Ok(i)
                    } else {
                        Err(format!(
                            "{} holds another certificate than the one journaled",
                            file.display()
                        ))
                    }
                });
            match read {
                Ok(identity) => {
                    identities.insert(id.clone(), identity);
                }
                Err(why) => signing.note(id, now, why),
            }
        }
        Ok(Self {
            identities,
            ..signing
        })
    }

    /// How many identities are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.identities.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
    }

    /// The serial number of official `id`'s certificate, when their identity is held.
    #[must_use]
    pub fn serial(&self, id: &str) -> Option<String> {
        Some(self.identities.get(id)?.describe().ok()?.serial)
    }

    /// A detached CMS signature by official `id` over `content`, made now — when the
    /// official's identity is held and passes its checks as of `now`; else `None`, with the
    /// reason noted.
    #[must_use]
    pub fn sign(&self, id: &str, content: &[u8], now: jiff::Timestamp) -> Option<Vec<u8>> {
        let identity = self.identities.get(id)?;
        if !self.usable(id, identity, now) {
            return None;
        }
        match kezek_pki::cms::sign(identity, content) {
            Ok(der) => Some(der),
            Err(e) => {
                self.note(id, now, format!("signing failed: {e}"));
                None
            }
        }
    }

    fn usable(&self, id: &str, identity: &Identity, now: jiff::Timestamp) -> bool {
        if let Some((when, ok)) = self.checked.lock().get(id) {
            if when.elapsed() < RECHECK {
                return *ok;
            }
        }
        let result = identity.check(&self.trust, now);
        let ok = result.is_ok();
        match result {
            Ok(_) => {
                self.problems.lock().remove(id);
            }
            Err(e) => {
                tracing::warn!(official = %id, why = %e, "an official's certificate is not used: documents carry the Ed25519 signature alone");
                self.note(id, now, e.to_string());
            }
        }
        self.checked
            .lock()
            .insert(id.to_owned(), (Instant::now(), ok));
        ok
    }

    fn note(&self, id: &str, at: jiff::Timestamp, why: String) {
        self.problems
            .lock()
            .insert(id.to_owned(), Problem { at, why });
    }

    /// Why each official's identity is not used, by official id.
    #[must_use]
    pub fn problems(&self) -> BTreeMap<String, Problem> {
        self.problems.lock().clone()
    }

    /// The trust anchors and CRLs.
    #[must_use]
    pub fn trust(&self) -> &Trust {
        &self.trust
    }
}

/// Writes `identity` to a new file at `path` readable by its owner only (0600), in a
/// directory only its owner may enter (0700).
///
/// # Errors
/// The file exists, or cannot be written.
pub fn write_identity(path: &Path, identity: &Identity) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let pem = identity
        .to_pem()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&pem)?;
    f.sync_all()
}

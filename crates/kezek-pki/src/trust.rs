//! What the operator trusts: root and intermediate certificates (PEM files in a directory,
//! `DATA/trust-anchors/` by default — the national CA's, say) and the CRLs their issuers
//! published (PEM or DER files in `DATA/crls/`).

use openssl::x509::{X509Crl, X509};
use std::path::Path;

/// The anchors (self-signed roots), the intermediates, and the CRLs.
#[derive(Default)]
pub struct Trust {
    /// Self-signed certificates: where a chain may end.
    pub roots: Vec<X509>,
    /// Other CA certificates a chain may pass through.
    pub intermediates: Vec<X509>,
    /// Revocation lists.
    pub crls: Vec<X509Crl>,
}

/// Why a directory could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TrustError {
    /// The file or directory.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl Trust {
    /// The certificates of every `.pem`/`.crt` file in `anchors` and the CRLs of every file
    /// in `crls`; a directory that does not exist holds nothing.
    ///
    /// # Errors
    /// A file that cannot be read or does not hold what its directory is for.
    pub fn load(anchors: &Path, crls: &Path) -> Result<Self, TrustError> {
        let mut trust = Self::default();
        for (path, bytes) in files(anchors)? {
            let certs = X509::stack_from_pem(&bytes).map_err(|e| TrustError {
                path: path.clone(),
                message: format!("not PEM certificates: {e}"),
            })?;
            if certs.is_empty() {
                return Err(TrustError {
                    path,
                    message: "holds no certificate".into(),
                });
            }
            for c in certs {
                trust.add_certificate(c);
            }
        }
        for (path, bytes) in files(crls)? {
            let crl = X509Crl::from_pem(&bytes)
                .or_else(|_| X509Crl::from_der(&bytes))
                .map_err(|e| TrustError {
                    path,
                    message: format!("not a CRL (PEM or DER): {e}"),
                })?;
            trust.crls.push(crl);
        }
        Ok(trust)
    }

    /// Adds a CA certificate: a root when it is self-issued, else an intermediate.
    pub fn add_certificate(&mut self, c: X509) {
        let self_issued = c
            .subject_name()
            .to_der()
            .ok()
            .zip(c.issuer_name().to_der().ok())
            .is_some_and(|(s, i)| s == i);
        if self_issued {
            self.roots.push(c);
        } else {
            self.intermediates.push(c);
        }
    }

    /// Whether there is nothing to trust.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// The files of `dir` (sorted by name), or none when it does not exist.
fn files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, TrustError> {
    let err = |path: &Path, e: std::io::Error| TrustError {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err(dir, e)),
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| err(&p, e))?;
            Ok((p.display().to_string(), bytes))
        })
        .collect()
}

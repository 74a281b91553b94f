//! Officials' signing certificates (`kezek officials certificate`): a PKCS#12 file checked
//! against the operator's trust anchors and CRLs, its private key written to the identities
//! directory (0600), its certificate and chain journaled; the identities a node holds are
//! loaded when it starts.

use crate::access::Caller;
use crate::app::write::Written;
use crate::keys::identities::{write_identity, Dirs, Problem, Signing};
use crate::{App, AppError};
use kezek_core::command::official::InstallCertificate;
use kezek_core::event::InstalledCertificate;
use kezek_core::model::OfficialId;
use std::collections::BTreeMap;
use std::sync::Arc;

impl App {
    /// Installs official `id`'s signing identity from PKCS#12 `p12` opened with `password`:
    /// refused unless it passes every check now; the private key goes to a new file of mode
    /// 0600 under `dirs.identities`, the certificate and its chain to the journal.
    ///
    /// # Errors
    /// The check that failed (field `p12`, its code naming the rule), an unknown official
    /// or one who left, a file that cannot be written, the journal.
    pub async fn install_certificate(
        self: &Arc<Self>,
        id: &str,
        p12: &[u8],
        password: &str,
        dirs: &Dirs,
    ) -> Result<InstalledCertificate, AppError> {
        let official_id = OfficialId::parse(id)
            .map_err(|e| AppError::invalid("official_id", "invalid_id", e.to_string()))?;
        let trust = dirs
            .trust()
            .map_err(|e| AppError::invalid("trust_anchors", "unreadable", e.to_string()))?;
        let now = self.now();
        let refused =
            |e: kezek_pki::Refused| AppError::invalid("p12", refusal_code(&e), e.to_string());
        let identity = kezek_pki::Identity::from_pkcs12(p12, password).map_err(refused)?;
        let (d, chain_pem) = identity.check_chain(&trust, now).map_err(refused)?;
        let known = self.peek(|s| s.official(&official_id).map(|o| o.left.is_none()))?;
        match known {
            None => return Err(AppError::not_found("official", id)),
            Some(false) => {
                return Err(AppError::invalid(
                    "official_id",
                    "official_left",
                    format!("official {id} left"),
                ))
            }
            Some(true) => {}
        }
        let file = dirs.identity_file(id, &d.fingerprint);
        if !file.exists() {
            write_identity(&file, &identity).map_err(|e| {
                AppError::invalid(
                    "identities",
                    "unwritable",
                    format!("cannot write {}: {e}", file.display()),
                )
            })?;
        }
        let certificate = InstalledCertificate {
            official_id,
            chain_pem,
            subject: d.subject,
            issuer: d.issuer,
            serial: d.serial,
            not_before: d.not_before,
            not_after: d.not_after,
            fingerprint: d.fingerprint,
            algorithm: d.algorithm,
            at: now,
        };
        let journaled = certificate.clone();
        self.write(
            &Caller::operator(),
            None,
            move |_, at| {
                Ok(InstallCertificate {
                    certificate: InstalledCertificate { at, ..journaled },
                }
                .into())
            },
            |_, outcome, _| Written::json(200, &outcome.len()),
        )
        .await?;
        Ok(certificate)
    }

    /// Loads the identities of every official the journal has a certificate of from `dirs`;
    /// how many are held. One whose file is missing is reported by [`Self::signing_problems`].
    ///
    /// # Errors
    /// The trust anchors or CRLs do not read.
    pub fn load_signing(&self, dirs: &Dirs) -> Result<usize, AppError> {
        let certificates: Vec<(String, String)> = self.peek(|s| {
            s.officials()
                .iter()
                .filter(|o| o.left.is_none())
                .filter_map(|o| {
                    let c = o.certificate.as_ref()?;
                    Some((o.official.official_id.to_string(), c.fingerprint.clone()))
                })
                .collect()
        })?;
        let signing = Signing::load(dirs, &certificates, self.now())
            .map_err(|e| AppError::invalid("trust_anchors", "unreadable", e.to_string()))?;
        let held = signing.len();
        *self.signing.write() = Arc::new(signing);
        Ok(held)
    }

    /// Why each official's certificate is not used to sign, by official id.
    #[must_use]
    pub fn signing_problems(&self) -> BTreeMap<String, Problem> {
        self.signing.read().problems()
    }
}

/// The rule a refused identity broke, as a field error's code.
fn refusal_code(e: &kezek_pki::Refused) -> &'static str {
    use kezek_pki::Refused;
    match e {
        Refused::Unreadable(_) | Refused::Incomplete | Refused::Malformed(_) => {
            "certificate_unreadable"
        }
        Refused::Algorithm(_) => "certificate_algorithm",
        Refused::KeyMismatch => "certificate_key_mismatch",
        Refused::NotValid { .. } => "certificate_not_valid",
        Refused::Usage => "certificate_usage",
        Refused::Untrusted(_) => "certificate_untrusted",
        Refused::Revoked { .. } => "certificate_revoked",
    }
}

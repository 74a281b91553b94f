//! An official's signing identity: a private key, its certificate and the certificates
//! between it and a root, read from PKCS#12 and checked before it is installed and before
//! each signature.

use crate::trust::Trust;
use jiff::Timestamp;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{CrlStatus, X509StoreContext, X509};
use sha2::{Digest, Sha256};

/// A private key with its certificate and chain.
#[derive(Clone)]
pub struct Identity {
    key: PKey<Private>,
    cert: X509,
    chain: Vec<X509>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("certificate", &self.describe().ok())
            .finish_non_exhaustive()
    }
}

/// What a certificate says, for people and for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// The subject, one line (`CN=…, O=…`).
    pub subject: String,
    /// The issuer, one line.
    pub issuer: String,
    /// The serial number, hex, upper case.
    pub serial: String,
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid until.
    pub not_after: Timestamp,
    /// SHA-256 of the certificate's DER, hex.
    pub fingerprint: String,
    /// `RSA 2048`, `ECDSA P-256`.
    pub algorithm: String,
}

/// Why an identity is not installed, or not used for a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not PKCS#12, or the password does not open it.
    #[error("the file is not PKCS#12, or the password does not open it: {0}")]
    Unreadable(String),
    /// It lacks the private key or the certificate.
    #[error("the PKCS#12 file does not hold both a private key and its certificate")]
    Incomplete,
    /// A key this service does not sign with.
    #[error(
        "the certificate's key is {0}: only RSA of at least 2048 bits and ECDSA P-256 sign here"
    )]
    Algorithm(String),
    /// The private key is not the certificate's.
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    /// Outside its validity period.
    #[error("the certificate is valid from {from} until {until}, not at {at}")]
    NotValid {
        /// Valid from.
        from: Timestamp,
        /// Valid until.
        until: Timestamp,
        /// When it was to be used.
        at: Timestamp,
    },
    /// Not for signing.
    #[error("the certificate may not sign: it has neither the digitalSignature nor the nonRepudiation key usage")]
    Usage,
    /// No path to a trust anchor.
    #[error("the certificate does not chain to a trust anchor: {0}")]
    Untrusted(String),
    /// On a CRL.
    #[error("the certificate {serial} is revoked (since {since}, on the CRL of {issuer})")]
    Revoked {
        /// The revoked certificate's serial.
        serial: String,
        /// Whose CRL.
        issuer: String,
        /// Since when.
        since: String,
    },
    /// A certificate that does not read.
    #[error("the certificate does not read: {0}")]
    Malformed(String),
}

fn malformed(e: impl std::fmt::Display) -> Refused {
    Refused::Malformed(e.to_string())
}

impl Identity {
    /// Reads PKCS#12 bytes opened with `password`; the key must be RSA ≥ 2048 bits or ECDSA
    /// P-256, and the certificate's.
    ///
    /// # Errors
    /// [`Refused::Unreadable`], [`Refused::Incomplete`], [`Refused::Algorithm`],
    /// [`Refused::KeyMismatch`].
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, Refused> {
        let parsed = Pkcs12::from_der(der)
            .and_then(|p| p.parse2(password))
            .map_err(|e| Refused::Unreadable(e.to_string()))?;
        let (Some(key), Some(cert)) = (parsed.pkey, parsed.cert) else {
            return Err(Refused::Incomplete);
        };
        let chain = parsed
            .ca
            .map(Stack::into_iter)
            .into_iter()
            .flatten()
            .collect();
        Self::of(key, cert, chain)
    }

    fn of(key: PKey<Private>, cert: X509, chain: Vec<X509>) -> Result<Self, Refused> {
        algorithm(&key)?;
        let matches = cert
            .public_key()
            .map(|p| p.public_eq(&key))
            .map_err(malformed)?;
        if !matches {
            return Err(Refused::KeyMismatch);
        }
        Ok(Self { key, cert, chain })
    }

    /// The identity as kept at rest (PEM: the PKCS#8 key, the certificate, the chain).
    ///
    /// # Errors
    /// OpenSSL could not write it (it does not for keys it read).
    pub fn to_pem(&self) -> Result<Vec<u8>, Refused> {
        let mut out = self.key.private_key_to_pem_pkcs8().map_err(malformed)?;
        out.extend(self.cert.to_pem().map_err(malformed)?);
        for c in &self.chain {
            out.extend(c.to_pem().map_err(malformed)?);
        }
        Ok(out)
    }

    /// The identity [`Self::to_pem`] wrote.
    ///
    /// # Errors
    /// Not such PEM, or a key that does not sign here.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Refused> {
        let key = PKey::private_key_from_pem(pem).map_err(malformed)?;
        let mut certs = X509::stack_from_pem(pem).map_err(malformed)?.into_iter();
        let cert = certs.next().ok_or(Refused::Incomplete)?;
        Self::of(key, cert, certs.collect())
    }

    /// The private key.
    #[must_use]
    pub fn key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The certificate.
    #[must_use]
    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// The certificates between it and a root, as the PKCS#12 file carried them.
    #[must_use]
    pub fn chain(&self) -> &[X509] {
        &self.chain
    }

    /// The certificate and its chain, PEM: what the journal keeps (public).
    ///
    /// # Errors
    /// OpenSSL could not write them.
    pub fn certificates_pem(&self) -> Result<String, Refused> {
        let mut out = self.cert.to_pem().map_err(malformed)?;
        for c in &self.chain {
            out.extend(c.to_pem().map_err(malformed)?);
        }
        String::from_utf8(out).map_err(malformed)
    }

    /// What the certificate says.
    ///
    /// # Errors
    /// A certificate that does not read.
    pub fn describe(&self) -> Result<Described, Refused> {
        describe(&self.cert, &self.key)
    }

    /// Whether the identity may sign at `at` under `trust`: in its validity period, with a
    /// signing key usage, chaining to an anchor of `trust`, on none of its CRLs.
    ///
    /// # Errors
    /// The first check that fails.
    pub fn check(&self, trust: &Trust, at: Timestamp) -> Result<Described, Refused> {
        self.check_chain(trust, at).map(|(d, _)| d)
    }

    /// [`Self::check`], and the chain it was verified through up to the trust anchor, PEM,
    /// this certificate first.
    ///
    /// # Errors
    /// The first check that fails.
    pub fn check_chain(
        &self,
        trust: &Trust,
        at: Timestamp,
    ) -> Result<(Described, String), Refused> {
        let described = self.describe()?;
        if at < described.not_before || at > described.not_after {
            return Err(Refused::NotValid {
                from: described.not_before,
                until: described.not_after,
                at,
            });
        }
        if !may_sign(&self.cert)? {
            return Err(Refused::Usage);
        }
        let chain = verified_chain(&self.cert, &self.chain, trust, at)?;
        not_revoked(&chain, trust, at)?;
        let mut pem = Vec::new();
        for c in &chain {
            pem.extend(c.to_pem().map_err(malformed)?);
        }
        Ok((described, String::from_utf8(pem).map_err(malformed)?))
    }
}

/// `RSA 2048`, `ECDSA P-256`: a key that signs here.
fn algorithm(key: &PKey<Private>) -> Result<String, Refused> {
    match key.id() {
        Id::RSA if key.bits() >= 2048 => Ok(format!("RSA {}", key.bits())),
        Id::RSA => Err(Refused::Algorithm(format!("RSA {}", key.bits()))),
        Id::EC => {
            let curve = key.ec_key().ok().and_then(|k| k.group().curve_name());
            if curve == Some(Nid::X9_62_PRIME256V1) {
                Ok("ECDSA P-256".into())
            } else {
                let name = curve
                    .and_then(|c| c.short_name().ok())
                    .unwrap_or("unknown curve");
                Err(Refused::Algorithm(format!("ECDSA {name}")))
            }
        }
        other => Err(Refused::Algorithm(format!("{other:?}"))),
    }
}

fn describe(cert: &X509, key: &PKey<Private>) -> Result<Described, Refused> {
    let der = cert.to_der().map_err(malformed)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).map_err(malformed)?;
    let time =
        |t: x509_parser::time::ASN1Time| Timestamp::from_second(t.timestamp()).map_err(malformed);
    Ok(Described {
        subject: parsed.subject().to_string(),
        issuer: parsed.issuer().to_string(),
        serial: parsed
            .raw_serial_as_string()
            .replace(':', "")
            .to_uppercase(),
        not_before: time(parsed.validity().not_before)?,
        not_after: time(parsed.validity().not_after)?,
        fingerprint: hex::encode(Sha256::digest(&der)),
        algorithm: algorithm(key)?,
    })
}

/// Whether the certificate's key usage allows signing (digitalSignature or
/// nonRepudiation); a certificate stating no key usage may not.
fn may_sign(cert: &X509) -> Result<bool, Refused> {
    let der = cert.to_der().map_err(malformed)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).map_err(malformed)?;
    Ok(match parsed.key_usage().map_err(malformed)? {
        Some(ku) => ku.value.digital_signature() || ku.value.non_repudiation(),
        None => false,
    })
}

/// The chain from `cert` to a root of `trust`, as of `at`.
fn verified_chain(
    cert: &X509,
    carried: &[X509],
    trust: &Trust,
    at: Timestamp,
) -> Result<Vec<X509>, Refused> {
    let untrusted = |e: openssl::error::ErrorStack| Refused::Untrusted(e.to_string());
    let mut store = X509StoreBuilder::new().map_err(untrusted)?;
    for root in &trust.roots {
        store.add_cert(root.clone()).map_err(untrusted)?;
    }
    let mut param = openssl::x509::verify::X509VerifyParam::new().map_err(untrusted)?;
    param.set_time(at.as_second());
    store.set_param(&param).map_err(untrusted)?;
    let store = store.build();
    let mut others = Stack::new().map_err(untrusted)?;
    for c in carried.iter().chain(&trust.intermediates) {
        others.push(c.clone()).map_err(untrusted)?;
    }
    let mut ctx = X509StoreContext::new().map_err(untrusted)?;
    let (ok, why, chain) = ctx
        .init(&store, cert, &others, |c| {
            let ok = c.verify_cert()?;
            let chain: Vec<X509> = c
                .chain()
                .map(|s| s.iter().map(ToOwned::to_owned).collect())
                .unwrap_or_default();
            Ok((ok, c.error().error_string().to_owned(), chain))
        })
        .map_err(untrusted)?;
    if ok {
        Ok(chain)
    } else {
        Err(Refused::Untrusted(why))
    }
}

/// No certificate of `chain` (leaf first) is on a CRL of `trust` that its issuer signed
/// and that revoked it by `at`.
fn not_revoked(chain: &[X509], trust: &Trust, at: Timestamp) -> Result<(), Refused> {
    for pair in chain.windows(2) {
        let [cert, issuer] = pair else { continue };
        let issuer_key = issuer.public_key().map_err(malformed)?;
        let issuer_name = cert.issuer_name().to_der().map_err(malformed)?;
        for crl in &trust.crls {
            let same_issuer = crl.issuer_name().to_der().is_ok_and(|n| n == issuer_name);
            if !same_issuer || !crl.verify(&issuer_key).unwrap_or(false) {
                continue;
            }
            if let CrlStatus::Revoked(r) = crl.get_by_serial(cert.serial_number()) {
                let since = r.revocation_date().to_string();
                let effective = openssl::asn1::Asn1Time::from_unix(at.as_second())
                    .is_ok_and(|now| *r.revocation_date() <= *now);
                if effective {
                    let serial = cert
                        .serial_number()
                        .to_bn()
                        .and_then(|b| b.to_hex_str().map(|h| h.to_string()))
                        .unwrap_or_default();
                    return Err(Refused::Revoked {
                        serial,
                        issuer: format!("{:?}", crl.issuer_name()),
                        since,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_testdb::pki::{Leaf, Pki, PASSWORD};

    fn read(pki: &Pki, leaf: Leaf) -> Result<Identity, Refused> {
        let issued = pki.official("Айгүл Әбенова", leaf);
        Identity::from_pkcs12(&std::fs::read(issued.p12).unwrap(), PASSWORD)
    }

    fn now() -> Timestamp {
        "2026-09-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_valid_identity_checks_and_survives_its_round_trip_at_rest() {
        let pki = Pki::new();
        let trust = Trust::load(&pki.anchors(), &pki.dir().join("none")).unwrap();
        for leaf in [
            Leaf::default(),
            Leaf {
                rsa: true,
                ..Leaf::default()
            },
        ] {
            let id = read(&pki, leaf).unwrap();
            let d = id.check(&trust, now()).unwrap();
            assert!(d.subject.contains("Айгүл Әбенова"), "{d:?}");
            assert_eq!(
                d.algorithm,
                if leaf.rsa { "RSA 2048" } else { "ECDSA P-256" }
            );
            let again = Identity::from_pem(&id.to_pem().unwrap()).unwrap();
            assert_eq!(again.describe().unwrap(), d);
            assert_eq!(again.chain().len(), 1, "the intermediate travels with it");
        }
    }

    #[test]
    fn each_refusal_is_named() {
        let pki = Pki::new();
        let trust = Trust::load(&pki.anchors(), &pki.dir().join("none")).unwrap();
        let p12 = pki.official("x", Leaf::default()).p12;
        assert!(matches!(
            Identity::from_pkcs12(&std::fs::read(&p12).unwrap(), "wrong"),
            Err(Refused::Unreadable(_))
        ));
        assert!(matches!(
            read(&pki, Leaf { p384: true, ..Leaf::default() }),
            Err(Refused::Algorithm(a)) if a.contains("secp384r1")
        ));
        let expired = read(
            &pki,
            Leaf {
                expired: true,
                ..Leaf::default()
            },
        )
        .unwrap();
        assert!(matches!(
            expired.check(&trust, now()),
            Err(Refused::NotValid { .. })
        ));
        let usage = read(
            &pki,
            Leaf {
                no_signing_usage: true,
                ..Leaf::default()
            },
        )
        .unwrap();
        assert_eq!(usage.check(&trust, now()).unwrap_err(), Refused::Usage);
        let foreign = read(
            &pki,
            Leaf {
                foreign: true,
                ..Leaf::default()
            },
        )
        .unwrap();
        assert!(matches!(
            foreign.check(&trust, now()),
            Err(Refused::Untrusted(_))
        ));
        let nothing = Trust::default();
        let fine = read(&pki, Leaf::default()).unwrap();
        assert!(matches!(
            fine.check(&nothing, now()),
            Err(Refused::Untrusted(_))
        ));
        // Revoked: on the intermediate's CRL from 2025-06-01 on, not before.
        let issued = pki.official("revoked", Leaf::default());
        let crls = pki.crls(&[&issued]);
        let trust = Trust::load(&pki.anchors(), &crls).unwrap();
        let revoked =
            Identity::from_pkcs12(&std::fs::read(&issued.p12).unwrap(), PASSWORD).unwrap();
        assert!(matches!(
            revoked.check(&trust, now()),
            Err(Refused::Revoked { .. })
        ));
        let before: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert!(
            revoked.check(&trust, before).is_ok(),
            "not revoked yet then"
        );
        assert!(
            fine.check(&trust, now()).is_ok(),
            "the CRL names another serial"
        );
    }

    #[test]
    fn a_detached_cms_signature_checks_and_fails_on_other_content() {
        let pki = Pki::new();
        let trust = Trust::load(&pki.anchors(), &pki.dir().join("none")).unwrap();
        let id = read(&pki, Leaf::default()).unwrap();
        let doc = br#"{"id":"doc-1"}"#;
        let sig = crate::cms::sign(&id, doc).unwrap();
        let signer = crate::cms::verify(&sig, doc, &trust, now()).unwrap();
        assert_eq!(
            signer.serial_number().to_bn().unwrap(),
            id.certificate().serial_number().to_bn().unwrap()
        );
        assert!(crate::cms::verify(&sig, br#"{"id":"doc-2"}"#, &trust, now()).is_err());
    }
}

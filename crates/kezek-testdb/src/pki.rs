//! A PKI made by the test itself: a root, an intermediate under it, and officials'
//! certificates under the intermediate — valid, expired, without a signing key usage, with
//! an RSA or a P-384 key — each as a PKCS#12 file (password [`PASSWORD`]), and a CRL the
//! intermediate signs. Files are written to a temporary directory the [`Pki`] owns.

#![allow(
    clippy::unwrap_used,
    clippy::struct_excessive_bools,
    reason = "test support: a PKI that cannot be made fails the test that asked for it; a leaf is a set of independent switches"
)]

use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::stack::Stack;
use openssl::x509::X509;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams,
    SerialNumber,
};
use std::path::{Path, PathBuf};

/// The password of every PKCS#12 file made here.
pub const PASSWORD: &str = "kezek-test";

/// What an official's certificate is like.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leaf {
    /// Its validity ended a year ago.
    pub expired: bool,
    /// Key usage keyEncipherment only (no digitalSignature, no nonRepudiation).
    pub no_signing_usage: bool,
    /// An RSA 2048 key instead of ECDSA P-256.
    pub rsa: bool,
    /// An ECDSA P-384 key (not accepted for signing here).
    pub p384: bool,
    /// Under a root the operator did not install.
    pub foreign: bool,
}

/// An official's issued certificate.
pub struct Issued {
    /// Its serial number.
    pub serial: u64,
    /// The PKCS#12 file (key, certificate, intermediate), opened with [`PASSWORD`].
    pub p12: PathBuf,
    /// The certificate, PEM.
    pub cert_pem: String,
}

/// A CA: its certificate and the key that signs under it.
struct Ca {
    cert: Certificate,
    key: KeyPair,
    pem: String,
}

/// The root, the intermediate, and the directory the files go to.
pub struct Pki {
    root: Ca,
    intermediate: Ca,
    other_root: Ca,
    dir: tempfile::TempDir,
    next_serial: std::cell::Cell<u64>,
}

fn ca(name: &str, issuer: Option<&Ca>) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Kezek test PKI");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        None => params.self_signed(&key).unwrap(),
        Some(i) => params.signed_by(&key, &i.cert, &i.key).unwrap(),
    };
    Ca {
        pem: cert.pem(),
        cert,
        key,
    }
}

impl Pki {
    /// A new root and intermediate (and another root the operator does not trust).
    #[must_use]
    pub fn new() -> Self {
        let root = ca("Kezek Test Root CA", None);
        let intermediate = ca("Kezek Test Issuing CA", Some(&root));
        let other_root = ca("Someone Else's Root", None);
        Self {
            root,
            intermediate,
            other_root,
            dir: tempfile::tempdir().unwrap(),
            next_serial: std::cell::Cell::new(1000),
        }
    }

    /// The directory the files are in.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A directory of trust anchors: the root and the intermediate, PEM.
    #[must_use]
    pub fn anchors(&self) -> PathBuf {
        let dir = self.dir.path().join("trust-anchors");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.pem"), &self.root.pem).unwrap();
        std::fs::write(dir.join("issuing.pem"), &self.intermediate.pem).unwrap();
        dir
    }

    /// The root certificate, PEM (for `openssl cms -verify -CAfile`).
    #[must_use]
    pub fn root_pem(&self) -> PathBuf {
        let path = self.dir.path().join("root-ca.pem");
        std::fs::write(&path, format!("{}{}", self.root.pem, self.intermediate.pem)).unwrap();
        path
    }

    /// An official's certificate as `leaf` says, with its PKCS#12 file.
    #[must_use]
    pub fn official(&self, name: &str, leaf: Leaf) -> Issued {
        let serial = self.next_serial.get();
        self.next_serial.set(serial + 1);
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Алмалы ауданының білім бөлімі");
        params.serial_number = Some(SerialNumber::from(serial));
        params.key_usages = if leaf.no_signing_usage {
            vec![KeyUsagePurpose::KeyEncipherment]
        } else {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ]
        };
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        if leaf.expired {
            params.not_before = rcgen::date_time_ymd(2021, 1, 1);
            params.not_after = rcgen::date_time_ymd(2022, 1, 1);
        } else {
            params.not_before = rcgen::date_time_ymd(2024, 1, 1);
            params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        }
        let (key_pem, key) = if leaf.rsa {
            let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
            let pem = String::from_utf8(rsa.private_key_to_pem_pkcs8().unwrap()).unwrap();
            let key = KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
            (pem, key)
        } else {
            let alg = if leaf.p384 {
                &rcgen::PKCS_ECDSA_P384_SHA384
            } else {
                &rcgen::PKCS_ECDSA_P256_SHA256
            };
            let key = KeyPair::generate_for(alg).unwrap();
            (key.serialize_pem(), key)
        };
        let issuer = if leaf.foreign {
            &self.other_root
        } else {
            &self.intermediate
        };
        let cert = params.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
        let pkey = PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
        let x509 = X509::from_pem(cert.pem().as_bytes()).unwrap();
        let mut chain = Stack::new().unwrap();
        chain
            .push(X509::from_pem(issuer.pem.as_bytes()).unwrap())
            .unwrap();
        let p12 = Pkcs12::builder()
            .name(name)
            .pkey(&pkey)
            .cert(&x509)
            .ca(chain)
            .build2(PASSWORD)
            .unwrap()
            .to_der()
            .unwrap();
        let path = self.dir.path().join(format!("official-{serial}.p12"));
        std::fs::write(&path, p12).unwrap();
        Issued {
            serial,
            p12: path,
            cert_pem: cert.pem(),
        }
    }

    /// A directory holding the intermediate's CRL revoking `revoked`.
    #[must_use]
    pub fn crls(&self, revoked: &[&Issued]) -> PathBuf {
        let params = CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2025, 1, 1),
            next_update: rcgen::date_time_ymd(2039, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|i| RevokedCertParams {
                    serial_number: SerialNumber::from(i.serial),
                    revocation_time: rcgen::date_time_ymd(2025, 6, 1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.intermediate.cert, &self.intermediate.key)
            .unwrap();
        let dir = self.dir.path().join("crls");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("issuing.crl"), crl.pem().unwrap()).unwrap();
        dir
    }

    /// A file holding `PASSWORD`, as `--password-file` reads it.
    #[must_use]
    pub fn password_file(&self) -> PathBuf {
        let path = self.dir.path().join("password");
        std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
        path
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

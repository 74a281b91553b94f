//! Detached CMS `SignedData` (RFC 5652) over a document's bytes: the signer's certificate and
//! chain, the signing time, and the `CAdES` signing-certificate-v2 attribute, so that
//! `openssl cms -verify -binary -inform DER -content DOC` and PDF readers accept it.

use crate::identity::Identity;
use crate::trust::Trust;
use jiff::Timestamp;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
pub use openssl::x509::X509;

/// `CMS_CADES` of OpenSSL 3 (`openssl/cms.h`): add the ESS signing-certificate-v2 attribute.
/// The openssl crate does not name it yet.
const CADES: u32 = 0x0010_0000;

/// Why a CMS signature could not be made or does not check.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CmsError(pub String);

fn failed(e: impl std::fmt::Display) -> CmsError {
    CmsError(e.to_string())
}

/// The DER of a detached CMS `SignedData` over `content`, signed by `identity` now (OpenSSL
/// puts the current time in the signing-time attribute).
///
/// # Errors
/// OpenSSL could not sign.
pub fn sign(identity: &Identity, content: &[u8]) -> Result<Vec<u8>, CmsError> {
    let mut chain = Stack::new().map_err(failed)?;
    for c in identity.chain() {
        chain.push(c.clone()).map_err(failed)?;
    }
    let flags = CMSOptions::DETACHED
        | CMSOptions::BINARY
        | CMSOptions::NOSMIMECAP
        | CMSOptions::from_bits_retain(CADES);
    CmsContentInfo::sign(
        Some(identity.certificate()),
        Some(identity.key()),
        Some(&chain),
        Some(content),
        flags,
    )
    .and_then(|cms| cms.to_der())
    .map_err(failed)
}

/// Checks a detached signature `der` over `content` against the roots of `trust`, as of
/// `at` (the signing time the signature carries, for an audit); the signer's certificate.
///
/// # Errors
/// Not CMS, a signature that does not match the content, or a signer that does not chain to
/// a root as of `at`.
pub fn verify(der: &[u8], content: &[u8], trust: &Trust, at: Timestamp) -> Result<X509, CmsError> {
    let mut cms = CmsContentInfo::from_der(der).map_err(failed)?;
    let mut store = X509StoreBuilder::new().map_err(failed)?;
    for root in &trust.roots {
        store.add_cert(root.clone()).map_err(failed)?;
    }
    let mut param = openssl::x509::verify::X509VerifyParam::new().map_err(failed)?;
    param.set_time(at.as_second());
    store.set_param(&param).map_err(failed)?;
    let store = store.build();
    let mut extra = Stack::new().map_err(failed)?;
    for c in &trust.intermediates {
        extra.push(c.clone()).map_err(failed)?;
    }
    cms.verify(
        Some(&extra),
        Some(&store),
        Some(content),
        None,
        CMSOptions::BINARY,
    )
    .map_err(failed)?;
    // The signer: the certificate the signature names (the first of those it carries).
    signer(der)
}

/// The signer's certificate, among those the signature carries.
fn signer(der: &[u8]) -> Result<X509, CmsError> {
    let pkcs7 = openssl::pkcs7::Pkcs7::from_der(der).map_err(failed)?;
    let none = Stack::new().map_err(failed)?;
    pkcs7
        .signers(&none, openssl::pkcs7::Pkcs7Flags::empty())
        .map_err(failed)?
        .into_iter()
        .next()
        .ok_or_else(|| CmsError("the signature carries no signer's certificate".into()))
}

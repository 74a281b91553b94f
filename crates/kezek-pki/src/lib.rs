//! Officials' X.509 signing identities — the form Kazakhstan's EDS keys take (PKCS#12 files
//! of a certificate the national CA issued) — and the CMS signatures made with them.
//!
//! An identity is installed only when its certificate is in its validity period, may sign
//! (key usage digitalSignature or nonRepudiation), chains to one of the trust anchors the
//! operator installed and is on none of their CRLs ([`identity::Identity::check`]). The same
//! checks run again before every signature, as of that moment: an identity that expired, was
//! revoked or lost its anchor is not used. [`cms`] makes and checks detached CMS `SignedData`
//! (signing time, the certificate chain, the `CAdES` signing-certificate attribute).

pub mod cms;
pub mod identity;
pub mod trust;

pub use identity::{Described, Identity, Refused};
pub use trust::Trust;

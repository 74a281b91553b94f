//! `kezek documents verify`: checks a document's signature offline with the authority's
//! public key.

use crate::cli::VerifyDocumentArgs;
use anyhow::{Context, Result};

/// Runs the command: exit 0 when the signature matches the key.
///
/// # Errors
/// Unreadable files, a malformed document or key, or a signature that does not match.
pub fn verify(args: &VerifyDocumentArgs) -> Result<()> {
    let doc = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let keys = std::fs::read_to_string(&args.public_key)
        .with_context(|| format!("cannot read {}", args.public_key.display()))?;
    match kezek_app::documents::check_offline(&doc, &keys) {
        Ok(c) => {
            println!("valid: {} {} signed by {}", c.kind, c.id, c.key_id);
            Ok(())
        }
        Err(kezek_app::documents::DocumentError::Mismatch(key_id)) => {
            anyhow::bail!("INVALID: the signature does not match the document and key {key_id}")
        }
        Err(e) => Err(e.into()),
    }
}

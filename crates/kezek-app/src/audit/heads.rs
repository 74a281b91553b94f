//! Heads an auditor saved (or the service's witness file kept): a journal that is rewritten,
//! even with every hash recomputed, no longer passes through them. A file has one head a
//! line: the JSON of `GET /v1/journal/head` (`{"seq":…,"hash":…,"signature":…,"key_id":…}`),
//! or `SEQ:HASH`. Blank lines and lines starting with `#` are skipped.

use crate::keys::authority::signature_holds;
use crate::views::head_bytes;
use kezek_store::Hash;
use serde::Deserialize;

/// A head the journal must pass through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// The authority's signature over it, if it was saved signed: (key id, base64).
    pub signature: Option<(String, String)>,
}

#[derive(Deserialize)]
struct Saved {
    seq: u64,
    hash: String,
    signature: Option<String>,
    key_id: Option<String>,
}

pub(super) fn hash_of(hex_text: &str) -> Result<Hash, String> {
    hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("`{hex_text}` is not a 32-byte hash in hex"))
}

/// One head: `SEQ:HASH` or the JSON of a signed head.
///
/// # Errors
/// What is wrong with it.
pub fn parse_head(text: &str) -> Result<ExpectedHead, String> {
    let text = text.trim();
    if text.starts_with('{') {
        let saved: Saved =
            serde_json::from_str(text).map_err(|e| format!("not a saved head: {e}"))?;
        return Ok(ExpectedHead {
            seq: saved.seq,
            hash: hash_of(&saved.hash)?,
            signature: saved.key_id.zip(saved.signature),
        });
    }
    let (seq, hash) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is neither SEQ:HASH nor a saved head's JSON"))?;
    Ok(ExpectedHead {
        seq: seq
            .trim()
            .parse()
            .map_err(|_| format!("`{seq}` is not a seq"))?,
        hash: hash_of(hash)?,
        signature: None,
    })
}

/// Every head of a file's text.
///
/// # Errors
/// The first line that is not a head, with its number.
pub fn parse_heads(text: &str) -> Result<Vec<ExpectedHead>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| parse_head(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// A signed head's signature, checked against the authority's public key: a saved head that
/// the authority did not sign proves nothing.
///
/// # Errors
/// The signature does not match.
pub(super) fn check_signature(head: &ExpectedHead, public: &str) -> Result<(), String> {
    let Some((key_id, signature)) = &head.signature else {
        return Ok(());
    };
    let bytes = head_bytes(head.seq, &hex::encode(head.hash));
    if signature_holds(public, &bytes, signature).unwrap_or(false) {
        Ok(())
    } else {
        Err(format!(
            "the saved head at seq {} is not signed by this authority (key {key_id})",
            head.seq
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_a_head_are_read() {
        let hash = "ab".repeat(32);
        let plain = parse_head(&format!("12:{hash}")).unwrap();
        assert_eq!((plain.seq, plain.hash), (12, [0xab; 32]));
        let json = format!(r#"{{"seq":12,"hash":"{hash}","signature":"c2ln","key_id":"k1"}}"#);
        let signed = parse_head(&json).unwrap();
        assert_eq!(signed.signature, Some(("k1".into(), "c2ln".into())));
        assert_eq!(signed.hash, plain.hash);
    }

    #[test]
    fn a_bad_line_is_named() {
        let text = format!("# saved\n\n1:{}\n2:xyz\n", "00".repeat(32));
        assert!(parse_heads(&text).unwrap_err().starts_with("line 4:"));
    }
}

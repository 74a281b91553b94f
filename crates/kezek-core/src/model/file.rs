//! Proof files: scans and photos of documents attached to applications and cases. Their kind
//! is read from their first bytes, never from a name or a header a sender chose; their bytes
//! are kept beside the journal and the journal holds their SHA-256.

/// The largest proof file, in bytes (10 MiB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The most proof files one application or case holds.
pub const MAX_FILES: usize = 10;

code_enum! {
    /// What a proof file is, as its bytes say.
    pub enum FileType {
        /// A PDF document.
        Pdf = "application/pdf",
        /// A JPEG photo or scan.
        Jpeg = "image/jpeg",
        /// A PNG image.
        Png = "image/png",
    }
}

impl FileType {
    /// The kind `bytes` are, by their signature: `%PDF-` (ISO 32000-1, 7.5.2), JPEG's SOI
    /// marker followed by another marker, PNG's eight-byte signature.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else {
            None
        }
    }

    /// The type a `Content-Type` header names, its parameters (`; charset=…`) and case aside.
    #[must_use]
    pub fn from_media_type(header: &str) -> Option<Self> {
        let essence = header.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(essence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_say_the_type() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]),
            Some(FileType::Jpeg)
        );
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        // A name or a prefix is not enough.
        assert_eq!(FileType::sniff(b"%PD"), None);
        assert_eq!(FileType::sniff(b"\x89PNG\n"), None);
        assert_eq!(FileType::sniff(b"<html>%PDF-"), None);
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn media_types_read_without_parameters_or_case() {
        assert_eq!(
            FileType::from_media_type("Application/PDF; name=x.pdf"),
            Some(FileType::Pdf)
        );
        assert_eq!(FileType::from_media_type("image/png"), Some(FileType::Png));
        assert_eq!(FileType::from_media_type("image/gif"), None);
        assert_eq!(FileType::from_media_type(""), None);
    }
}

//! What Kezek prints, and in which words: every word it shows in Kazakh and Russian, in one
//! table (`words`), and a result document laid out as a PDF with its font subset and the QR
//! code of its public check (`pdf`). No state and no I/O: a document and a language in,
//! bytes or words out; the same document always prints to the same bytes.
#![warn(missing_docs)]

pub mod pdf;
pub mod words;

pub use words::Lang;

//! A result document as a PDF, in Kazakh or Russian: laid out by kind (`layout`), in the words
//! of the reader's language (`crate::words`), with its signature, key id, digest and a QR code
//! of the public check page printed at its foot (`qr`). The font is embedded subset to the
//! glyphs the page uses (`font`); nothing in the file depends on the time or on chance, so the
//! same document always gives the same bytes.

mod font;
mod layout;
mod qr;

use crate::words::Lang;
use font::{Glyphs, Subset};
use layout::{Page, Reader, RIGHT_EDGE};
use pdf_writer::types::{AnnotationFlags, FieldType, SigFlags};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde_json::Value;

/// What a print needs besides the document: the reader's language, the authority's offset
/// from UTC (times print in local time), the document's digest and the URL of its public
/// check page.
#[derive(Debug, Clone)]
pub struct Print {
    /// The language.
    pub lang: Lang,
    /// The authority's offset from UTC.
    pub offset: jiff::tz::Offset,
    /// The SHA-256 (hex) of the bytes the document's signature covers, printed at its foot.
    pub digest: String,
    /// The check page of this document (`…/v1/verify/{id}?digest=…`).
    pub check_url: String,
    /// The official whose X.509 certificate signs the file ([`seal`]), if one does: the page
    /// shows the block and the file has the signature field waiting for the signature.
    pub signer: Option<Signer>,
}

/// The official who signs a printed document, as its visible block shows them.
#[derive(Debug, Clone)]
pub struct Signer {
    /// Full name.
    pub name: String,
    /// Position, in the reader's language.
    pub position: String,
    /// The organisation, in the reader's language.
    pub organisation: String,
    /// The certificate's serial number.
    pub serial: String,
    /// When it is signed, as the signature dictionary's `/M` (`D:YYYYMMDDHHmmSSZ`).
    pub at: String,
}

/// The objects of the PDF.
const CATALOG: Ref = Ref::new(1);
const PAGES: Ref = Ref::new(2);
const PAGE: Ref = Ref::new(3);
const FONT_REF: Ref = Ref::new(4);
const CID: Ref = Ref::new(5);
const DESCRIPTOR: Ref = Ref::new(6);
const FILE: Ref = Ref::new(7);
const CMAP: Ref = Ref::new(8);
const CONTENTS: Ref = Ref::new(9);
const SIG_FIELD: Ref = Ref::new(10);
const SIG_VALUE: Ref = Ref::new(11);

/// The bytes set aside for the CMS signature in a signed file (hex: twice as many).
const SIGNATURE_ROOM: usize = 8192;
/// What stands in the file for the signature's `/Contents` and `/ByteRange` until [`seal`]
/// writes them: names of exactly the length of what replaces them (pdf-writer has no raw
/// token to write; a name of regular characters is written as it is).
const CONTENTS_MARK: &[u8] = b"KezekSignatureContents";
const RANGE_MARK: &[u8] = b"KezekSignatureByteRange";
/// The width of the `/ByteRange` array once written (padded with spaces).
const RANGE_WIDTH: usize = 60;

/// Renders a stored document (as served by `GET /v1/documents/{id}`).
#[must_use]
pub fn render(doc: &Value, print: &Print) -> Vec<u8> {
    let glyphs = Glyphs::new();
    let reader = Reader {
        lang: print.lang,
        offset: print.offset,
        check_url: &print.check_url,
        digest: &print.digest,
        signer: print.signer.as_ref(),
    };
    let page = layout::page(doc, &reader, &|t, s| glyphs.width(t, s));
    let subset = Subset::of(&page, &glyphs);
    let content = content(&page, &glyphs, &subset, qr::code(&print.check_url).as_ref());
    let mut pdf = Pdf::new();
    let signed = page.signature.zip(print.signer.as_ref());
    {
        let mut catalog = pdf.catalog(CATALOG);
        catalog.pages(PAGES);
        if signed.is_some() {
            catalog
                .form()
                .fields([SIG_FIELD])
                .sig_flags(SigFlags::SIGNATURES_EXIST | SigFlags::APPEND_ONLY);
        }
    }
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let mut p = pdf.page(PAGE);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(PAGES)
        .contents(CONTENTS);
    if signed.is_some() {
        p.annotations([SIG_FIELD]);
    }
    p.resources().fonts().pair(Name(b"F1"), FONT_REF);
    p.finish();
    if let Some((rect, signer)) = signed {
        signature_objects(&mut pdf, rect, signer);
    }
    font::embed(&mut pdf, &glyphs, &subset);
    pdf.stream(CONTENTS, &deflate(&content))
        .filter(Filter::FlateDecode);
    pdf.finish()
}

/// The signature field (a widget over the visible block) and its value: a `CAdES` detached
/// signature over the whole file but its `/Contents` (`PAdES` baseline B), with placeholders
/// [`seal`] fills.
fn signature_objects(pdf: &mut Pdf, [x0, y0, x1, y1]: [f32; 4], signer: &Signer) {
    let mut field = pdf.form_field(SIG_FIELD);
    field
        .partial_name(TextStr("Signature1"))
        .field_type(FieldType::Signature);
    field.pair(Name(b"V"), SIG_VALUE);
    let mut widget = field.into_annotation();
    widget
        .rect(Rect::new(x0, y0, x1, y1))
        .page(PAGE)
        .flags(AnnotationFlags::PRINT);
    widget.finish();
    let contents = vec![b'X'; SIGNATURE_ROOM * 2 + 1 - CONTENTS_MARK.len()];
    let contents = [CONTENTS_MARK, &contents].concat();
    let range = vec![b'X'; RANGE_WIDTH - 1 - RANGE_MARK.len()];
    let range = [RANGE_MARK, &range].concat();
    let mut sig = pdf.indirect(SIG_VALUE).dict();
    sig.pair(Name(b"Type"), Name(b"Sig"))
        .pair(Name(b"Filter"), Name(b"Adobe.PPKLite"))
        .pair(Name(b"SubFilter"), Name(b"ETSI.CAdES.detached"))
        .pair(Name(b"ByteRange"), Name(&range))
        .pair(Name(b"Contents"), Name(&contents))
        .pair(Name(b"M"), Str(signer.at.as_bytes()))
        .pair(Name(b"Name"), TextStr(&signer.name))
        .pair(Name(b"Reason"), TextStr(&signer.position));
    sig.finish();
}

/// Signs a file [`render`] made with a [`Print::signer`]: fills its `/ByteRange`, has `sign`
/// make the CMS signature over the bytes it covers, and writes it into `/Contents`. `None`
/// when the file has no signature field, or `sign` gives no signature that fits.
#[must_use]
pub fn seal(mut pdf: Vec<u8>, sign: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    let contents_at = find(&pdf, &[b"/", CONTENTS_MARK].concat())?;
    let range_at = find(&pdf, &[b"/", RANGE_MARK].concat())?;
    let contents_len = SIGNATURE_ROOM * 2 + 2;
    let after = contents_at + contents_len;
    let range = format!(
        "[0 {contents_at} {after} {}]",
        pdf.len().checked_sub(after)?
    );
    if range.len() > RANGE_WIDTH {
        return None;
    }
    let range = format!("{range:<RANGE_WIDTH$}");
    pdf.get_mut(range_at..range_at + RANGE_WIDTH)?
        .copy_from_slice(range.as_bytes());
    let mut hex = vec![b'0'; contents_len];
    *hex.first_mut()? = b'<';
    *hex.last_mut()? = b'>';
    pdf.get_mut(contents_at..after)?.copy_from_slice(&hex);
    let covered = [pdf.get(..contents_at)?, pdf.get(after..)?].concat();
    let der = sign(&covered)?;
    if der.len() > SIGNATURE_ROOM {
        return None;
    }
    let written = hex_upper(&der);
    pdf.get_mut(contents_at + 1..contents_at + 1 + written.len())?
        .copy_from_slice(written.as_bytes());
    Some(pdf)
}

/// The first place `needle` is in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// The page's drawing: text, rules and the QR code.
fn content(
    page: &Page,
    glyphs: &Glyphs<'_>,
    subset: &Subset,
    qr: Option<&qrcode::QrCode>,
) -> Vec<u8> {
    let mut content = Content::new();
    content.set_line_width(0.5);
    for y in &page.rules {
        content.move_to(50.0, *y);
        content.line_to(RIGHT_EDGE, *y);
        content.stroke();
    }
    content.begin_text();
    for run in &page.runs {
        let encoded: Vec<u8> = run
            .text
            .chars()
            .flat_map(|c| subset.new_id(glyphs.glyph(c)).to_be_bytes())
            .collect();
        content.set_font(Name(b"F1"), run.size);
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, run.y]);
        content.show(Str(&encoded));
    }
    content.end_text();
    if let Some(code) = qr {
        qr::draw(&mut content, code, RIGHT_EDGE, page.check_y);
    }
    content.finish().to_vec()
}

/// `bytes` compressed for a `FlateDecode` stream (deterministic: the same bytes give the same
/// output).
fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 8)
}

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
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
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

/// Renders a stored document (as served by `GET /v1/documents/{id}`).
#[must_use]
pub fn render(doc: &Value, print: &Print) -> Vec<u8> {
    let glyphs = Glyphs::new();
    let reader = Reader {
        lang: print.lang,
        offset: print.offset,
        check_url: &print.check_url,
        digest: &print.digest,
    };
    let page = layout::page(doc, &reader, &|t, s| glyphs.width(t, s));
    let subset = Subset::of(&page, &glyphs);
    let content = content(&page, &glyphs, &subset, qr::code(&print.check_url).as_ref());
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGES);
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let mut p = pdf.page(PAGE);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(PAGES)
        .contents(CONTENTS);
    p.resources().fonts().pair(Name(b"F1"), FONT_REF);
    p.finish();
    font::embed(&mut pdf, &glyphs, &subset);
    pdf.stream(CONTENTS, &deflate(&content))
        .filter(Filter::FlateDecode);
    pdf.finish()
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

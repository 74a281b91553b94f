//! A result document as a PDF, in Kazakh or Russian: laid out by kind (`layout`), in the words
//! of the reader's language (`words`), with its signature, key id, digest and a QR code of the
//! public check page printed at its foot. The font (DejaVu Sans, which covers Kazakh
//! Cyrillic) ships in the repository and is embedded subset to the glyphs the page uses (a
//! page weighs tens of kilobytes, not the font's 750); nothing in the file depends on the
//! time or on chance, so the same document always gives the same bytes.

mod layout;

pub use crate::words::Lang;

use layout::{Page, Reader, QR_SIZE, RIGHT_EDGE};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::Value;
use std::collections::BTreeMap;

const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// What a print needs besides the document: the authority's offset from UTC (times print in
/// local time) and the URL of the public check page for this document.
#[derive(Debug, Clone)]
pub struct Print {
    /// The language.
    pub lang: Lang,
    /// The authority's offset from UTC.
    pub offset: jiff::tz::Offset,
    /// The check page of this document (`…/v1/verify/{id}?digest=…`).
    pub check_url: String,
}

/// The shipped font's glyphs and widths.
struct Glyphs<'a> {
    face: Option<ttf_parser::Face<'a>>,
    units: f32,
}

impl Glyphs<'_> {
    fn new() -> Self {
        // The shipped font parses; if it ever did not, glyph 0 keeps the output well-formed.
        let face = ttf_parser::Face::parse(FONT, 0).ok();
        let units = face
            .as_ref()
            .map_or(1000.0, |f| f32::from(f.units_per_em()));
        Self { face, units }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .as_ref()
            .and_then(|f| f.glyph_index(c))
            .map_or(0, |g| g.0)
    }

    /// The advance of glyph `g`, in thousandths of the text size.
    fn advance(&self, g: u16) -> f32 {
        self.face
            .as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(g)))
            .map_or(0.0, |a| f32::from(a) * 1000.0 / self.units)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// The glyphs a page uses, renumbered for the subset font, with their characters.
struct Subset {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, char>,
    /// The font file to embed.
    font: Vec<u8>,
    /// Whether `font` is the whole font (the subsetter failed): glyphs keep their numbers.
    whole: bool,
}

impl Subset {
    fn of(page: &Page, glyphs: &Glyphs<'_>) -> Self {
        let mut chars = BTreeMap::new();
        for run in &page.runs {
            for c in run.text.chars() {
                chars.entry(glyphs.glyph(c)).or_insert(c);
            }
        }
        // Glyph 0 (.notdef) first, then the rest in glyph order: the same page, the same font.
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(0);
        for g in chars.keys() {
            remapper.remap(*g);
        }
        // The subsetter is tested on the shipped font; should it ever fail, the page is still
        // right with the whole font embedded and the glyphs under their own numbers.
        let (font, whole) = match subsetter::subset(FONT, 0, &remapper) {
            Ok(font) => (font, false),
            Err(e) => {
                tracing::error!(error = ?e, "the font did not subset; embedding it whole");
                (FONT.to_vec(), true)
            }
        };
        Self {
            remapper,
            chars,
            font,
            whole,
        }
    }

    fn new_id(&self, old: u16) -> u16 {
        if self.whole {
            old
        } else {
            self.remapper.get(old).unwrap_or(0)
        }
    }
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
        let n = code.width();
        #[allow(
            clippy::cast_precision_loss,
            reason = "a QR code is at most 177 modules wide"
        )]
        let module = QR_SIZE / n as f32;
        let (left, top) = (RIGHT_EDGE - QR_SIZE, page.check_y);
        // One rectangle per run of dark modules in a row.
        for (row, modules) in code.to_colors().chunks(n).enumerate() {
            let mut col = 0;
            while col < n {
                let run = modules
                    .iter()
                    .skip(col)
                    .take_while(|c| **c == qrcode::Color::Dark)
                    .count();
                if run > 0 {
                    #[allow(clippy::cast_precision_loss, reason = "as above")]
                    let (x, y, w) = (col as f32, row as f32, run as f32);
                    content.rect(
                        left + x * module,
                        top - (y + 1.0) * module,
                        w * module,
                        module,
                    );
                }
                col += run.max(1);
            }
        }
        content.fill_nonzero();
    }
    content.finish().to_vec()
}

/// `bytes` compressed for a `FlateDecode` stream (deterministic: the same bytes give the same
/// output).
fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 8)
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
    let digest = crate::documents::digest(doc);
    let reader = Reader {
        lang: print.lang,
        offset: print.offset,
        check_url: &print.check_url,
        digest: &digest,
    };
    let page = layout::page(doc, &reader, &|t, s| glyphs.width(t, s));
    let subset = Subset::of(&page, &glyphs);
    let qr =
        qrcode::QrCode::with_error_correction_level(print.check_url.as_bytes(), qrcode::EcLevel::M)
            .ok();
    let content = content(&page, &glyphs, &subset, qr.as_ref());
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGES);
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let mut p = pdf.page(PAGE);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(PAGES)
        .contents(CONTENTS);
    p.resources().fonts().pair(Name(b"F1"), FONT_REF);
    p.finish();
    embed_font(&mut pdf, &glyphs, &subset);
    pdf.stream(CONTENTS, &deflate(&content))
        .filter(Filter::FlateDecode);
    pdf.finish()
}

/// The font, subset to the glyphs used, with their widths and the character map.
fn embed_font(pdf: &mut Pdf, glyphs: &Glyphs<'_>, subset: &Subset) {
    pdf.type0_font(FONT_REF)
        .base_font(Name(b"KZKZKZ+DejaVuSans"))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(CID)
        .to_unicode(CMAP);
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let mut c = pdf.cid_font(CID);
    c.subtype(CidFontType::Type2)
        .base_font(Name(b"KZKZKZ+DejaVuSans"))
        .system_info(info)
        .font_descriptor(DESCRIPTOR)
        .default_width(600.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut w = c.widths();
    for g in subset.chars.keys() {
        w.consecutive(subset.new_id(*g), [glyphs.advance(*g)]);
    }
    w.finish();
    c.finish();
    pdf.font_descriptor(DESCRIPTOR)
        .name(Name(b"KZKZKZ+DejaVuSans"))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(-1021.0, -463.0, 1793.0, 1232.0))
        .italic_angle(0.0)
        .ascent(928.0)
        .descent(-236.0)
        .cap_height(729.0)
        .stem_v(80.0)
        .font_file2(FILE);
    let length = i32::try_from(subset.font.len()).unwrap_or(i32::MAX);
    pdf.stream(FILE, &deflate(&subset.font))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), length);
    let mut cmap = UnicodeCmap::new(
        Name(b"Kezek-UTF16"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    for (g, ch) in &subset.chars {
        cmap.pair(subset.new_id(*g), *ch);
    }
    let cmap = cmap.finish();
    pdf.cmap(CMAP, &cmap);
}

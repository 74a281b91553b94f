//! The font: DejaVu Sans (it covers Kazakh Cyrillic), shipped in the repository
//! (`assets/fonts/`, its licence beside it), its glyphs and widths, and the subset of it a
//! page embeds — the glyphs the page uses, renumbered in glyph order, so that a page weighs
//! tens of kilobytes, not the font's 750, and the same page always gives the same bytes.

use super::layout::Page;
use super::{deflate, CID, CMAP, DESCRIPTOR, FILE, FONT_REF};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Str};
use std::collections::BTreeMap;

const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// The shipped font's glyphs and widths.
pub(super) struct Glyphs<'a> {
    face: Option<ttf_parser::Face<'a>>,
    units: f32,
}

impl Glyphs<'_> {
    pub(super) fn new() -> Self {
        // The shipped font parses; if it ever did not, glyph 0 keeps the output well-formed.
        let face = ttf_parser::Face::parse(FONT, 0).ok();
        let units = face
            .as_ref()
            .map_or(1000.0, |f| f32::from(f.units_per_em()));
        Self { face, units }
    }

    pub(super) fn glyph(&self, c: char) -> u16 {
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

    /// How wide `text` is at `size`, in points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// The glyphs a page uses, renumbered for the subset font, with their characters.
pub(super) struct Subset {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, char>,
    /// The font file to embed.
    font: Vec<u8>,
    /// Whether `font` is the whole font (the subsetter failed): glyphs keep their numbers.
    whole: bool,
}

impl Subset {
    pub(super) fn of(page: &Page, glyphs: &Glyphs<'_>) -> Self {
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
        // The subsetter is tested on the shipped font (below); should it ever fail, the page
        // is still right with the whole font embedded and the glyphs under their own numbers.
        let (font, whole) = match subsetter::subset(FONT, 0, &remapper) {
            Ok(font) => (font, false),
            Err(_) => (FONT.to_vec(), true),
        };
        Self {
            remapper,
            chars,
            font,
            whole,
        }
    }

    /// The number glyph `old` has in the subset.
    pub(super) fn new_id(&self, old: u16) -> u16 {
        if self.whole {
            old
        } else {
            self.remapper.get(old).unwrap_or(0)
        }
    }
}

/// The font, subset to the glyphs used, with their widths and the character map.
pub(super) fn embed(pdf: &mut Pdf, glyphs: &Glyphs<'_>, subset: &Subset) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::layout::Run;

    #[test]
    fn the_shipped_font_subsets_to_the_glyphs_a_page_uses() {
        let glyphs = Glyphs::new();
        let page = Page {
            runs: vec![Run {
                x: 0.0,
                y: 0.0,
                size: 10.0,
                text: "Қазақша, по-русски".into(),
            }],
            ..Page::default()
        };
        let subset = Subset::of(&page, &glyphs);
        assert!(!subset.whole, "the subsetter failed on the shipped font");
        assert!(subset.font.len() < FONT.len() / 10);
        assert!(glyphs.width("Қ", 10.0) > 0.0);
        assert_ne!(subset.new_id(glyphs.glyph('Қ')), 0);
    }
}

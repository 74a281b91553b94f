//! A result document as a PDF, in Kazakh or Russian, with its signature and key id printed.
//! The font (DejaVu Sans, which covers Kazakh Cyrillic) ships in the repository and is
//! embedded whole; nothing in the file depends on the time or on chance, so the same
//! document always gives the same bytes.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::Value;
use std::collections::BTreeMap;

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Language of the printed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

fn label(key: &str, lang: Lang) -> String {
    let (kk, ru) = match key {
        "queue_notification" => (
            "Кезекке қою туралы хабарлама",
            "Уведомление о постановке в очередь",
        ),
        "referral" => (
            "Мектепке дейінгі ұйымға жолдама",
            "Направление в дошкольную организацию",
        ),
        "refusal" => (
            "Қызмет көрсетуден дәлелді бас тарту",
            "Мотивированный отказ в оказании услуги",
        ),
        "priority_decision" => ("Жеңілдік бойынша шешім", "Решение по заявленной льготе"),
        "admission" => (
            "Балабақшаға қабылдау туралы шешім",
            "Решение о приёме в детский сад",
        ),
        "decision" => ("Шешім", "Решение"),
        "reason" => ("Негізі", "Основание"),
        "decided_at" => ("Шешім уақыты", "Дата решения"),
        "category" => ("Санат", "Категория"),
        "channel" => ("Өтініш қабылданған жер", "Место подачи"),
        "missing" => ("Жетіспейтін құжаттар", "Недостающие документы"),
        "back_in_queue" => ("Кезекке қайтарылды", "Возвращён в очередь"),
        "id" => ("Құжат", "Документ"),
        "issued_at" => ("Берілген уақыты", "Дата выдачи"),
        "application_id" => ("Өтініш", "Заявление"),
        "child_iin" => ("Баланың ЖСН", "ИИН ребёнка"),
        "child_name" => ("Баланың аты-жөні", "ФИО ребёнка"),
        "district" => ("Аудан", "Район"),
        "language" => ("Оқыту тілі", "Язык обучения"),
        "preferences" => ("Таңдалған балабақшалар", "Выбранные детские сады"),
        "registered_at" => ("Тіркелген уақыты", "Дата постановки"),
        "tier" => ("Кезек түрі", "Очередь"),
        "priority_status" => ("Жеңілдік", "Льгота"),
        "queue_number" => ("Кезектегі нөмірі", "Номер в очереди"),
        "positions" => ("Балабақшалардағы орны", "Место в детских садах"),
        "kindergarten_id" => ("Балабақша", "Детский сад"),
        "group_id" => ("Топ", "Группа"),
        "confirm_by" => ("Растау мерзімі", "Подтвердить до"),
        "referral_id" => ("Жолдама нөмірі", "Номер направления"),
        "round_id" => ("Бөлу", "Распределение"),
        "grounds" => ("Бас тарту негіздері", "Основания отказа"),
        "refused_at" => ("Бас тартылған уақыты", "Дата отказа"),
        "signature" => ("Қолтаңба (Ed25519)", "Подпись (Ed25519)"),
        "key_id" => ("Кілт", "Ключ"),
        other => return other.to_owned(),
    };
    (if lang == Lang::Kk { kk } else { ru }).to_owned()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// Splits a long value into lines of at most `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The lines of the printed document.
fn lines(doc: &Value, lang: Lang) -> Vec<(f32, String)> {
    let mut out = vec![
        (16.0, label(doc["kind"].as_str().unwrap_or(""), lang)),
        (10.0, String::new()),
    ];
    for key in ["id", "issued_at", "application_id"] {
        out.push((
            10.0,
            format!("{}: {}", label(key, lang), text_of(&doc[key])),
        ));
    }
    out.push((10.0, String::new()));
    if let Some(body) = doc["body"].as_object() {
        for (k, v) in body {
            for (i, part) in wrap(&format!("{}: {}", label(k, lang), text_of(v)), 90)
                .into_iter()
                .enumerate()
            {
                out.push((10.0, if i == 0 { part } else { format!("    {part}") }));
            }
        }
    }
    out.push((10.0, String::new()));
    out.push((9.0, format!("{}:", label("signature", lang))));
    for part in wrap(&text_of(&doc["signature"]), 64) {
        out.push((9.0, format!("    {part}")));
    }
    out.push((
        9.0,
        format!("{}: {}", label("key_id", lang), text_of(&doc["key_id"])),
    ));
    out
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

    fn advance(&self, g: u16) -> f32 {
        self.face
            .as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(g)))
            .map_or(0.0, |a| f32::from(a) * 1000.0 / self.units)
    }
}

/// The page's text, one line after another, and the glyphs it uses (with their characters).
fn text(doc: &Value, lang: Lang, glyphs: &Glyphs<'_>) -> (pdf_writer::Buf, BTreeMap<u16, char>) {
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    let mut content = Content::new();
    content.begin_text();
    let mut y = 800.0;
    for (size, line) in lines(doc, lang) {
        let mut encoded = Vec::with_capacity(line.len() * 2);
        for c in line.chars() {
            let g = glyphs.glyph(c);
            used.entry(g).or_insert(c);
            encoded.extend_from_slice(&g.to_be_bytes());
        }
        content.set_font(Name(b"F1"), size);
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, 50.0, y]);
        content.show(Str(&encoded));
        y -= size * 1.6;
    }
    content.end_text();
    (content.finish(), used)
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
pub fn render(doc: &Value, lang: Lang) -> Vec<u8> {
    let glyphs = Glyphs::new();
    let (content, used) = text(doc, lang, &glyphs);
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGES);
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let mut p = pdf.page(PAGE);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(PAGES)
        .contents(CONTENTS);
    p.resources().fonts().pair(Name(b"F1"), FONT_REF);
    p.finish();
    embed_font(&mut pdf, &glyphs, &used);
    pdf.stream(CONTENTS, &content);
    pdf.finish()
}

/// The font, whole, with the widths and the character map of the glyphs used.
fn embed_font(pdf: &mut Pdf, glyphs: &Glyphs<'_>, used: &BTreeMap<u16, char>) {
    pdf.type0_font(FONT_REF)
        .base_font(Name(b"DejaVuSans"))
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
        .base_font(Name(b"DejaVuSans"))
        .system_info(info)
        .font_descriptor(DESCRIPTOR)
        .default_width(600.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut w = c.widths();
    for g in used.keys() {
        w.consecutive(*g, [glyphs.advance(*g)]);
    }
    w.finish();
    c.finish();
    pdf.font_descriptor(DESCRIPTOR)
        .name(Name(b"DejaVuSans"))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(-1021.0, -463.0, 1793.0, 1232.0))
        .italic_angle(0.0)
        .ascent(928.0)
        .descent(-236.0)
        .cap_height(729.0)
        .stem_v(80.0)
        .font_file2(FILE);
    let length = i32::try_from(FONT.len()).unwrap_or(i32::MAX);
    pdf.stream(FILE, FONT).pair(Name(b"Length1"), length);
    let mut cmap = UnicodeCmap::new(
        Name(b"Kezek-UTF16"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    for (g, ch) in used {
        cmap.pair(*g, *ch);
    }
    let cmap = cmap.finish();
    pdf.cmap(CMAP, &cmap);
}

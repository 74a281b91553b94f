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

/// Renders a stored document (as served by `GET /v1/documents/{id}`).
#[must_use]
pub fn render(doc: &Value, lang: Lang) -> Vec<u8> {
    // The shipped font parses; if it ever did not, glyph 0 keeps the output well-formed.
    let face = ttf_parser::Face::parse(FONT, 0).ok();
    let units = face
        .as_ref()
        .map_or(1000.0, |f| f32::from(f.units_per_em()));
    let glyph = |c: char| {
        face.as_ref()
            .and_then(|f| f.glyph_index(c))
            .map_or(0, |g| g.0)
    };
    let advance = |g: u16| {
        face.as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(g)))
            .map_or(0.0, |a| f32::from(a) * 1000.0 / units)
    };

    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    let mut content = Content::new();
    content.begin_text();
    let mut y = 800.0;
    for (size, line) in lines(doc, lang) {
        let mut encoded = Vec::with_capacity(line.len() * 2);
        for c in line.chars() {
            let g = glyph(c);
            used.entry(g).or_insert(c);
            encoded.extend_from_slice(&g.to_be_bytes());
        }
        content.set_font(Name(b"F1"), size);
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, 50.0, y]);
        content.show(Str(&encoded));
        y -= size * 1.6;
    }
    content.end_text();
    let content = content.finish();

    let (catalog, pages, page, font, cid, descriptor, file, cmap_id, contents) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
        Ref::new(8),
        Ref::new(9),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(pages)
        .contents(contents);
    p.resources().fonts().pair(Name(b"F1"), font);
    p.finish();
    pdf.type0_font(font)
        .base_font(Name(b"DejaVuSans"))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap_id);
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(Name(b"DejaVuSans"))
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(600.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut w = c.widths();
    for g in used.keys() {
        w.consecutive(*g, [advance(*g)]);
    }
    w.finish();
    c.finish();
    pdf.font_descriptor(descriptor)
        .name(Name(b"DejaVuSans"))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(-1021.0, -463.0, 1793.0, 1232.0))
        .italic_angle(0.0)
        .ascent(928.0)
        .descent(-236.0)
        .cap_height(729.0)
        .stem_v(80.0)
        .font_file2(file);
    pdf.stream(file, FONT)
        .pair(Name(b"Length1"), FONT.len() as i32);
    let mut cmap = UnicodeCmap::new(
        Name(b"Kezek-UTF16"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    for (g, c) in &used {
        cmap.pair(*g, *c);
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &cmap);
    pdf.stream(contents, &content);
    pdf.finish()
}

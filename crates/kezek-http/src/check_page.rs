//! The page a phone shows after scanning a printed document's QR code: valid or not, in
//! Kazakh and Russian, with the kind, date and authority only. Plain HTML with its style
//! inline, nothing fetched from elsewhere.

use kezek_app::ops::documents::CheckView;
use std::fmt::Write;

/// `s` safe inside HTML text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page for `view` (`None`: no such document).
#[must_use]
pub fn page(view: Option<&CheckView>) -> String {
    let (ok, verdict_kk, verdict_ru) = match view {
        Some(v) if v.valid => (true, "Құжат жарамды", "Документ действителен"),
        Some(_) => (
            false,
            "Құжат жарамсыз: ол өзгертілген немесе басқа құжат",
            "Документ недействителен: он изменён или это другой документ",
        ),
        None => (
            false,
            "Мұндай құжат берілмеген",
            "Такой документ не выдавался",
        ),
    };
    let mut rows = String::new();
    if let Some(v) = view {
        let text = |x: &serde_json::Value, lang: &str| {
            escape(x.get(lang).and_then(|t| t.as_str()).unwrap_or("—"))
        };
        let _ = write!(
            rows,
            "<dl><dt>Құжат / Документ</dt><dd>{}</dd><dt>Түрі / Вид</dt><dd>{} / {}</dd><dt>Берілген күні / Дата выдачи</dt><dd>{}</dd><dt>Берген орган / Выдан</dt><dd>{} / {}</dd><dt>Кілт / Ключ</dt><dd>{}</dd></dl>",
            escape(&v.document_id),
            text(&v.title, "kk"),
            text(&v.title, "ru"),
            escape(&v.issued_at),
            text(&v.authority, "kk"),
            text(&v.authority, "ru"),
            escape(&v.key_id),
        );
    }
    let colour = if ok { "#0b6b2f" } else { "#a3141b" };
    let mark = if ok { "✓" } else { "✗" };
    format!(
        "<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Kezek — {verdict_kk}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}}h1{{color:{colour};font-size:1.5rem}}dt{{font-weight:600;margin-top:.5rem}}dd{{margin:0}}</style></head><body><p>Kezek</p><h1><span aria-hidden=\"true\">{mark}</span> {verdict_kk}<br><span lang=\"ru\">{verdict_ru}</span></h1>{rows}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_it_shows() {
        let v = CheckView {
            document_id: "D1".into(),
            valid: true,
            digest_matches: None,
            kind: "referral".into(),
            title: serde_json::json!({"kk": "a", "ru": "b"}),
            issued_at: "2026-12-01T10:00:00Z".into(),
            authority: serde_json::json!({"kk": "<script>", "ru": "x"}),
            key_id: "k".into(),
        };
        let html = page(Some(&v));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("Документ действителен"));
        assert!(page(None).contains("Такой документ не выдавался"));
    }
}

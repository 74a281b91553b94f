//! The page a phone shows after scanning a printed document's QR code
//! (`GET /v1/verify/{id}` asked for HTML): valid or not, in Kazakh and Russian, with the kind,
//! date and authority only. Plain HTML with its style inline, nothing fetched from elsewhere.

use kezek_app::ops::documents::CheckView;
use maud::{html, DOCTYPE};
use serde_json::Value;

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
            "Осындай нөмірі мен цифрлық ізі бар құжат берілмеген: екеуін де басылған құжатпен салыстырыңыз (QR код оларды өзі береді)",
            "Документ с таким номером и цифровым отпечатком не выдавался: сверьте оба с напечатанным документом (QR-код передаёт их сам)",
        ),
    };
    let text = |x: &Value, lang: &str| {
        x.get(lang)
            .and_then(Value::as_str)
            .unwrap_or("—")
            .to_owned()
    };
    let colour = if ok { "#0b6b2f" } else { "#a3141b" };
    let style = format!(
        "body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}}h1{{color:{colour};font-size:1.5rem}}dt{{font-weight:600;margin-top:.5rem}}dd{{margin:0}}"
    );
    html! {
        (DOCTYPE)
        html lang="kk" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Kezek — " (verdict_kk) }
                style { (style) }
            }
            body {
                p { "Kezek" }
                h1 {
                    span aria-hidden="true" { (if ok { "✓" } else { "✗" }) }
                    " " (verdict_kk) br; span lang="ru" { (verdict_ru) }
                }
                @if let Some(v) = view {
                    dl {
                        dt { "Құжат / Документ" } dd { (v.document_id) }
                        dt { "Түрі / Вид" } dd { (text(&v.title, "kk")) " / " (text(&v.title, "ru")) }
                        dt { "Берілген күні / Дата выдачи" } dd { (v.issued_at_local) }
                        dt { "Берген орган / Выдан" } dd { (text(&v.authority, "kk")) " / " (text(&v.authority, "ru")) }
                        dt { "Кілт / Ключ" } dd { (v.key_id) }
                        @if let Some(o) = &v.official {
                            dt { "Берген лауазымды тұлға / Выдал" }
                            dd data-testid="signer" { (o.name) ", " (o.position_kk) " / " (o.position_ru) " (" (o.organisation) ")" }
                            @if let Some(c) = &o.certificate {
                                dt { "ЭЦҚ сертификаты / Сертификат ЭЦП" }
                                dd data-testid="certificate" {
                                    (c.subject) br;
                                    "№ " (c.serial) " · " (c.issuer) br;
                                    (c.not_before) " — " (c.not_after) " · "
                                    @if c.valid_at_signing {
                                        "қол қойылған кезде жарамды / действителен на момент подписания"
                                    } @else {
                                        "қол қойылған кезде жарамсыз / недействителен на момент подписания"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
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
            issued_at_local: "01.12.2026 15:00".into(),
            authority: serde_json::json!({"kk": "<script>", "ru": "x"}),
            key_id: "k".into(),
            official: None,
        };
        let html = page(Some(&v));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("Документ действителен"));
        assert!(html.contains("01.12.2026 15:00") && !html.contains("T10:00"));
        assert!(page(None).contains("с таким номером и цифровым отпечатком не выдавался"));
    }
}

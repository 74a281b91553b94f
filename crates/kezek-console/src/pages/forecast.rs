//! "When will we get a place?" on the family's page and the application's page: per
//! kindergarten the child waits for, the months the estimate spans, and the model in words —
//! a range, never a promise.

use kezek_app::ops::status::FamilyStatus;
use kezek_print::words::{t, Lang};
use maud::{html as markup, Markup};

/// `MM.YYYY` of a `YYYY-MM-DD` day.
fn month(day: &str) -> String {
    let mut parts = day.split('-');
    match (parts.next(), parts.next()) {
        (Some(y), Some(m)) => format!("{m}.{y}"),
        _ => day.to_owned(),
    }
}

/// The estimate, when the child is queued; `name_of` names a kindergarten by id.
pub(crate) fn section(lang: Lang, f: &FamilyStatus, name_of: &dyn Fn(&str) -> String) -> Markup {
    let Some(kindergartens) = f
        .forecast
        .get("kindergartens")
        .and_then(serde_json::Value::as_array)
    else {
        return markup! {};
    };
    markup! {
        section data-testid="forecast" {
            h2 { (t("forecast", lang)) }
            ul {
                @for k in kindergartens {
                    li {
                        (name_of(k["kindergarten_id"].as_str().unwrap_or_default())) ": "
                        @match (k["earliest"].as_str(), k["latest"].as_str()) {
                            (Some(from), Some(to)) => {
                                strong { (t("forecast_from", lang)) " " (month(from)) " " (t("forecast_to", lang)) " " (month(to)) }
                            }
                            (Some(from), None) => {
                                strong { (t("forecast_not_before", lang)) " " (month(from)) }
                                " · " (t("forecast_no_upper", lang))
                            }
                            _ => { (t("forecast_none", lang)) }
                        }
                    }
                }
            }
            p class="hint" { (t("forecast_model", lang)) }
        }
    }
}

//! "When will we get a place?" on the family's page and the application's page: per
//! kindergarten the child waits for, the months the estimate spans, and the model in words —
//! a range, never a promise.

use crate::context::{Ctx, Signed};
use crate::layout::page;
use crate::pages::refuse;
use crate::{html, Console};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::access::{Auth, StaffOrAuditor};
use kezek_app::ops::status::FamilyStatus;
use kezek_print::words::{t, Lang};
use maud::{html as markup, Markup};
use std::sync::Arc;

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

/// `GET /console/districts/{district}/forecasts`: the estimates of half a year ago against
/// what happened since (a replay of the journal: run when asked).
pub async fn check(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(district): Path<String>,
) -> Response {
    let auth = match Auth::<StaffOrAuditor>::check(s.caller.clone()) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let c = match console.app.forecast_check(&auth, &district).await {
        Ok(c) => c,
        Err(e) => return refuse(&ctx, &e),
    };
    let then = c
        .then
        .map(|t| t.strftime("%d.%m.%Y").to_string())
        .unwrap_or_default();
    let rows = [
        ("forecast_waiting", c.waiting),
        ("forecast_within", c.within),
        ("forecast_earlier", c.earlier),
        ("forecast_later", c.later),
        ("forecast_in_range", c.waiting_in_range),
        ("forecast_past_latest", c.past_latest),
        ("forecast_no_estimate", c.no_estimate),
    ];
    let body = markup! {
        p class="hint" { (t("forecast_check_hint", lang)) " " strong { (then) } }
        table data-testid="forecast-check" {
            tbody {
                @for (key, n) in rows {
                    tr data-row=(key) { th scope="row" { (t(key, lang)) } td class="num" { (n) } }
                }
            }
        }
    };
    let title = format!("{} — {district}", t("forecast_check", lang));
    html(&ctx, StatusCode::OK, page(&ctx, &title, body))
}

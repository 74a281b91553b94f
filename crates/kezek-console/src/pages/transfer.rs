//! A transfer on the application's page (staff and clerks of its district): the family's
//! request to move an enrolled child, where it stands, and the form that files or changes it
//! at the desk, or withdraws it (asked first). Both go through the API's operations
//! (`App::request_transfer`, `App::withdraw_transfer`).

use crate::context::{Ctx, Signed};
use crate::pages::{ask_first, posted, written};
use crate::{see_other, Console};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, Filer, QueueReaders};
use kezek_app::ops::casefile::CaseFile;
use kezek_print::words::{code, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// Kindergartens a request may name (the policies allow three).
const CHOICES: usize = 3;

/// The transfer section of an application's page; empty when there is nothing to show or do.
pub(crate) fn section(lang: Lang, s: &Signed, f: &CaseFile, offset: jiff::tz::Offset) -> Markup {
    let id = &f.status.id;
    if f.transfer.is_none() && f.transfer_choices.is_empty() {
        return markup! {};
    }
    markup! {
        section data-testid="transfer" {
            h2 { (t("transfer", lang)) }
            @if let Some(tr) = &f.transfer {
                dl {
                    dt { (t("transfer_asked", lang)) }
                    dd { (tr.preferences.iter().map(|(k, name)| format!("{name} ({k})")).collect::<Vec<_>>().join(", ")) }
                    dt { (t("transfer_since", lang)) }
                    dd { (tr.requested_at.to_zoned(jiff::tz::TimeZone::fixed(offset)).strftime("%d.%m.%Y %H:%M")) }
                    @if let Some((r, k, status)) = &tr.referral {
                        dt { (t("referral_heading", lang)) } dd { (r) " · " (k) " — " (code(status, lang)) }
                    }
                }
                @if let Some((x, to, partners, by, confirmed)) = &tr.exchange {
                    div class="card" data-testid="exchange" {
                        h3 { (t("exchange", lang)) " " (x) }
                        dl {
                            dt { (t("exchange_to", lang)) } dd { (to) }
                            dt { (t("exchange_partners", lang)) } dd { (partners.join(", ")) }
                            dt { (t("deadline", lang)) } dd { (kezek_print::words::deadline(*by, offset, lang)) }
                            dt { (t("status", lang)) } dd { (t(if *confirmed { "exchange_confirmed" } else { "exchange_waiting" }, lang)) }
                        }
                        @if f.actions.contains(&"confirm_exchange") {
                            form method="post" action=(format!("/console/applications/{id}/exchange/confirm")) {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { (t("confirm_exchange", lang)) }
                            }
                        }
                    }
                }
                @if f.actions.contains(&"withdraw_transfer") {
                    form method="post" action=(format!("/console/applications/{id}/transfer/withdraw")) {
                        input type="hidden" name="csrf" value=(s.csrf);
                        button type="submit" class="secondary" { (t("withdraw_transfer", lang)) }
                    }
                }
            } @else {
                p class="hint" { (t("transfer_hint", lang)) }
            }
            @if f.actions.contains(&"transfer") {
                form method="post" action=(format!("/console/applications/{id}/transfer")) class="actions" {
                    input type="hidden" name="csrf" value=(s.csrf);
                    @for n in 0..CHOICES {
                        div {
                            label for=(format!("transfer-{n}")) { (t("preference", lang)) " " (n + 1) }
                            select id=(format!("transfer-{n}")) name="preferences" required[n == 0] {
                                @if n > 0 { option value="" { "—" } }
                                @for (k, name) in &f.transfer_choices {
                                    option value=(k) { (name) " (" (k) ")" }
                                }
                            }
                        }
                    }
                    button type="submit" { (t("ask_transfer", lang)) }
                }
            }
        }
    }
}

/// On the family's page: the request to move the child and the exchange it is offered —
/// where the child would go, its partners' kindergartens, by when every family confirms.
pub(crate) fn family_section(
    lang: Lang,
    f: &kezek_app::ops::status::FamilyStatus,
    name_of: &dyn Fn(&str) -> String,
    act: Option<&str>,
) -> Markup {
    let (request, exchange) = &f.transfer;
    if request.is_null() {
        return markup! {};
    }
    let names = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .map(name_of)
            .collect::<Vec<_>>()
            .join(", ")
    };
    markup! {
        section data-testid="family-transfer" {
            h2 { (t("transfer", lang)) }
            p { (t("transfer_asked", lang)) ": " (names(request.get("preferences"))) }
            @if let Some(r) = request.get("referral").filter(|r| !r.is_null()) {
                p data-testid="transfer-referral" {
                    (t("referral_heading", lang)) ": "
                    (name_of(r.get("kindergarten_id").and_then(serde_json::Value::as_str).unwrap_or_default())) " — "
                    (code(r.get("status").and_then(serde_json::Value::as_str).unwrap_or_default(), lang))
                    @if let Some(at) = r.get("expires_at").and_then(serde_json::Value::as_str).and_then(|x| x.parse().ok()) {
                        " · " (t("deadline", lang)) ": " (kezek_print::words::deadline(at, f.offset, lang))
                    }
                }
                @if let Some(link) = act {
                    p { a class="button" href=(link) { (t("act_open", lang)) } }
                }
            }
            @if !exchange.is_null() {
                div class="card" data-testid="family-exchange" {
                    h3 { (t("exchange", lang)) }
                    dl {
                        dt { (t("exchange_to", lang)) }
                        dd { (name_of(exchange.get("kindergarten_id").and_then(serde_json::Value::as_str).unwrap_or_default())) }
                        dt { (t("exchange_partners", lang)) }
                        dd { (names(exchange.get("partners"))) }
                        @if let Some(by) = exchange.get("confirm_by").and_then(serde_json::Value::as_str).and_then(|x| x.parse().ok()) {
                            dt { (t("deadline", lang)) } dd { (kezek_print::words::deadline(by, f.offset, lang)) }
                        }
                    }
                    p class="hint" { (t("exchange_family_hint", lang)) }
                }
            }
        }
    }
}

/// A form that is only confirmed: its CSRF token, and the answer to "are you sure?".
#[derive(Deserialize)]
pub struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/applications/{number}/transfer`.
pub async fn request(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let auth = match posted::<Filer>(&console, &ctx, &super::field(&pairs, "csrf")) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let form = kezek_app::forms::TransferForm {
        preferences: super::repeated(&pairs, "preferences"),
    };
    let result = console
        .app
        .request_transfer(&auth, None, &number, form)
        .await;
    written(&ctx, result, |_| {
        see_other(&ctx, &format!("/console/applications/{number}"))
    })
}

/// `POST /console/applications/{number}/transfer/withdraw`.
pub async fn withdraw(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let auth = match posted::<Filer>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    if let Some(page) = ask_first(
        &ctx,
        &f.sure,
        (
            &format!("/console/applications/{number}/transfer/withdraw"),
            &format!("/console/applications/{number}"),
        ),
        (
            t("sure_withdraw_transfer", lang),
            t("yes_withdraw_transfer", lang),
        ),
        &[("csrf", f.csrf.as_str())],
    ) {
        return page;
    }
    let result = console.app.withdraw_transfer(&auth, None, &number).await;
    written(&ctx, result, |_| {
        see_other(&ctx, &format!("/console/applications/{number}"))
    })
}

/// `POST /console/applications/{number}/exchange/confirm`: the family, at the desk,
/// confirms the exchange its child is offered (asked first).
pub async fn confirm_exchange(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let auth = match posted::<Filer>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    if let Some(page) = ask_first(
        &ctx,
        &f.sure,
        (
            &format!("/console/applications/{number}/exchange/confirm"),
            &format!("/console/applications/{number}"),
        ),
        (
            t("sure_confirm_exchange", lang),
            t("yes_confirm_exchange", lang),
        ),
        &[("csrf", f.csrf.as_str())],
    ) {
        return page;
    }
    // The exchange the application is in, read as the application's page shows it.
    let exchange = match Auth::<QueueReaders>::check(auth.caller().clone()) {
        Ok(reader) => console
            .app
            .case_file(&reader, &number)
            .await
            .ok()
            .flatten()
            .and_then(|file| file.transfer.and_then(|t| t.exchange).map(|x| x.0)),
        Err(_) => None,
    };
    let Some(exchange) = exchange else {
        return written(
            &ctx,
            Err(kezek_app::AppError::not_found("exchange", &number)),
            |_| see_other(&ctx, "/console"),
        );
    };
    let form = kezek_app::forms::ExchangeForm {
        application_id: number.clone(),
    };
    let result = console
        .app
        .confirm_exchange(&auth, None, &exchange, form)
        .await;
    written(&ctx, result, |_| {
        see_other(&ctx, &format!("/console/applications/{number}"))
    })
}

//! The page a family opens from its referral notification (`/act/{referral}?until=…&sig=…`,
//! `kezek_app::ops::actions`): the child, the kindergarten with its address and telephone,
//! the group and the deadline worded as on the referral PDF; confirm or decline, each behind
//! a step that says what follows and asks again. A link used a second time shows what was
//! done; an expired or forged one says so and leads to `/status`.

use crate::context::Ctx;
use crate::layout::{notice, page};
use crate::{html, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::ops::actions::{FamilyAct, FamilyReferral};
use kezek_print::words::{self, code, name_in, t, years, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// The link's query.
#[derive(Deserialize)]
pub struct Link {
    until: i64,
    sig: String,
}

/// The confirmation step's form.
#[derive(Deserialize)]
pub struct Done {
    until: i64,
    sig: String,
    #[serde(default)]
    csrf: String,
}

fn act_of(raw: &str) -> Option<FamilyAct> {
    match raw {
        "confirm" => Some(FamilyAct::Confirm),
        "decline" => Some(FamilyAct::Decline),
        _ => None,
    }
}

/// The page for a link that does not hold (expired, forged, another referral's).
fn gone(ctx: &Ctx) -> Response {
    let lang = ctx.lang;
    let body = markup! {
        (notice(false, t("act_link_gone", lang)))
        p { a class="button" href="/status" { (t("act_check_status", lang)) } }
    };
    html(
        ctx,
        StatusCode::NOT_FOUND,
        page(ctx, t("referral_heading", lang), body),
    )
}

/// The referral as its family reads it.
fn card(lang: Lang, r: &FamilyReferral) -> Markup {
    let kg = &r.kindergarten;
    let address = match lang {
        Lang::Ru => kg.address_ru.as_deref().or(kg.address.as_deref()),
        Lang::Kk => kg.address.as_deref().or(kg.address_ru.as_deref()),
    };
    let deadline_label = if r.status == "confirmed" {
        "act_come_by"
    } else {
        "act_confirm_by"
    };
    markup! {
        dl class="card" data-testid="referral" {
            @if !r.child_name.is_empty() { dt { (t("act_child", lang)) } dd { (r.child_name) } }
            dt { (t("kindergarten_name", lang)) } dd { strong { (name_in(lang, &kg.name, kg.name_ru.as_deref())) } }
            @if let Some(a) = address { dt { (t("kindergarten_address", lang)) } dd { (a) } }
            @if let Some(p) = &kg.phone {
                dt { (t("phone", lang)) } dd { a href=(format!("tel:{}", p.replace([' ', '(', ')', '-'], ""))) { (p) } }
            }
            dt { (t("group", lang)) } dd { (years(i64::from(r.age_years), lang)) " · " (code(r.language, lang)) }
            dt { (t("status", lang)) } dd data-testid="referral-status" { (code(r.status, lang)) }
            @if matches!(r.status, "issued" | "confirmed") {
                dt { (t(deadline_label, lang)) }
                dd data-testid="deadline" { strong { (words::deadline(r.deadline, r.offset, lang)) } }
            }
        }
    }
}

/// `GET /act/{referral}`: the referral, and confirm / decline while it is the family's to
/// answer.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(referral): Path<String>,
    Query(link): Query<Link>,
) -> Response {
    let app = &console.app;
    if !app.action_link_holds(&referral, link.until, &link.sig) {
        return gone(&ctx);
    }
    let Ok(Some(r)) = app.family_referral(&referral).await else {
        return gone(&ctx);
    };
    let lang = ctx.lang;
    let query = format!("until={}&sig={}", link.until, link.sig);
    let body = markup! {
        (card(lang, &r))
        @if r.status == "issued" {
            p class="actions" {
                a class="button" href=(format!("/act/{referral}/confirm?{query}")) { (t("act_confirm", lang)) }
                " "
                a class="button secondary" href=(format!("/act/{referral}/decline?{query}")) { (t("act_decline", lang)) }
            }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("referral_heading", lang), body),
    )
}

/// `GET /act/{referral}/{confirm|decline}`: what follows, and the question again.
pub async fn ask(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((referral, act)): Path<(String, String)>,
    Query(link): Query<Link>,
) -> Response {
    let app = &console.app;
    let Some(what) = act_of(&act) else {
        return gone(&ctx);
    };
    if !app.action_link_holds(&referral, link.until, &link.sig) {
        return gone(&ctx);
    }
    let Ok(Some(r)) = app.family_referral(&referral).await else {
        return gone(&ctx);
    };
    let lang = ctx.lang;
    let (policy_days, requeue) = (r.enroll_days, r.decline_requeues);
    let (question, yes) = match what {
        FamilyAct::Confirm => (
            t("act_sure_confirm", lang).replace("{days}", &policy_days.to_string()),
            t("act_yes_confirm", lang),
        ),
        FamilyAct::Decline => (
            t(
                if requeue {
                    "act_sure_decline_requeue"
                } else {
                    "act_sure_decline_cancel"
                },
                lang,
            )
            .to_owned(),
            t("act_yes_decline", lang),
        ),
    };
    let back = format!("/act/{referral}?until={}&sig={}", link.until, link.sig);
    let body = markup! {
        (card(lang, &r))
        @if r.status == "issued" {
            p class="question" { strong { (question) } }
            form method="post" action=(format!("/act/{referral}/{act}")) {
                input type="hidden" name="until" value=(link.until);
                input type="hidden" name="sig" value=(link.sig);
                input type="hidden" name="csrf" value=(app.action_csrf(&link.sig));
                p class="actions" {
                    button type="submit" class=(if what == FamilyAct::Decline { "danger" } else { "" }) { (yes) }
                    " "
                    a class="button secondary" href=(back) { (t("act_back", lang)) }
                }
            }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("referral_heading", lang), body),
    )
}

/// `POST /act/{referral}/{confirm|decline}`: done, then the referral as it is now. A second
/// post finds the referral answered and shows that, changing nothing.
pub async fn act(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((referral, act)): Path<(String, String)>,
    Form(form): Form<Done>,
) -> Response {
    let app = &console.app;
    let Some(what) = act_of(&act) else {
        return gone(&ctx);
    };
    if !app.action_link_holds(&referral, form.until, &form.sig) {
        return gone(&ctx);
    }
    let lang = ctx.lang;
    if form.csrf != app.action_csrf(&form.sig) {
        let text = t("csrf", lang);
        return html(
            &ctx,
            StatusCode::FORBIDDEN,
            page(&ctx, text, notice(false, text)),
        );
    }
    let open = matches!(
        app.family_referral(&referral).await,
        Ok(Some(FamilyReferral {
            status: "issued",
            ..
        }))
    );
    let done = if open {
        match app.family_act(&referral, what).await {
            Ok(w) if (200..300).contains(&w.status) => Some(match what {
                FamilyAct::Confirm => t("act_done_confirmed", lang),
                FamilyAct::Decline => t("act_done_declined", lang),
            }),
            Ok(_) => None,
            Err(e) => return super::refuse(&ctx, &e),
        }
    } else {
        None
    };
    let Ok(Some(r)) = app.family_referral(&referral).await else {
        return gone(&ctx);
    };
    let body = markup! {
        @if let Some(text) = done { (notice(true, text)) }
        h2 { (t("act_state", lang)) }
        (card(lang, &r))
        p { a href="/status" { (t("act_check_status", lang)) } }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("referral_heading", lang), body),
    )
}

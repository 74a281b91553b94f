//! An application, whole, for staff and counter clerks of its district and for auditors
//! (`kezek_app::ops::casefile`): found by its number or the child's IIN — posted, never in a
//! URL — whatever its status, and shown at `/console/applications/{number}`: the child, the
//! applicant, the claim and the documents declared, then what the family sees (status, next
//! step, places, history with causes, referral, every document), and what may be done now.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::refuse;
use crate::{html, see_other, Console};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, QueueReaders};
use kezek_app::app::budgets::Spend;
use kezek_app::ops::casefile::CaseFile;
use kezek_print::words::{code, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// The search form.
#[derive(Deserialize)]
pub struct Find {
    #[serde(default)]
    csrf: String,
    needle: String,
}

/// The search form, for the pages of a key that may look applications up.
#[must_use]
pub fn search_form(lang: Lang, s: &Signed) -> Markup {
    markup! {
        form method="post" action="/console/find" class="actions" role="search" {
            input type="hidden" name="csrf" value=(s.csrf);
            div {
                label for="needle" { (t("find_application", lang)) }
                input type="text" id="needle" name="needle" autocomplete="off" required
                    placeholder="KZ0000000001 / 200515501002";
            }
            button type="submit" class="secondary" { (t("find_button", lang)) }
        }
    }
}

fn not_found(ctx: &Ctx, s: &Signed) -> Response {
    let lang = ctx.lang;
    let body = markup! {
        (notice(false, t("application_not_found", lang)))
        (search_form(lang, s))
    };
    html(
        ctx,
        StatusCode::NOT_FOUND,
        page(ctx, t("find_application", lang), body),
    )
}

/// Counts a look-up against the key's budget; the page to answer when it is spent.
async fn within_budget(console: &Console, ctx: &Ctx, s: &Signed) -> Option<Response> {
    let spend = Spend::QueueSearch {
        key_id: &s.caller.key_id,
    };
    match console.app.spend(spend).await {
        Ok(true) => None,
        Ok(false) => {
            let text = t("too_many_searches", ctx.lang);
            Some(super::status::too_many(ctx, text, notice(false, text)))
        }
        Err(e) => Some(refuse(ctx, &e)),
    }
}

/// `POST /console/find`: the application a number or an IIN names, shown at its own page.
pub async fn find(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Form(form): Form<Find>,
) -> Response {
    let auth = match super::posted::<QueueReaders>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    if let Some(page) = within_budget(&console, &ctx, &s).await {
        return page;
    }
    match console.app.case_file(&auth, &form.needle).await {
        Ok(Some(file)) => see_other(&ctx, &format!("/console/applications/{}", file.status.id)),
        Ok(None) => not_found(&ctx, &s),
        Err(e) => refuse(&ctx, &e),
    }
}

/// `GET /console/applications/{number}`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(number): Path<String>,
) -> Response {
    let auth = match Auth::<QueueReaders>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    if let Some(page) = within_budget(&console, &ctx, &s).await {
        return page;
    }
    // A number only: an IIN is looked up through the form, never from a URL.
    if number.bytes().all(|b| b.is_ascii_digit()) {
        return not_found(&ctx, &s);
    }
    match console.app.case_file(&auth, &number).await {
        Ok(Some(file)) => {
            let lang = ctx.lang;
            let now = console.app.now();
            let body = markup! {
                (header(lang, &file))
                (super::status::result_markup(&console, lang, &file.status, (now, false)))
                (super::transfer::section(lang, &s, &file, file.status.offset))
                (super::correction::section(lang, &s, &file))
                (super::proof::section(lang, &s, &file))
                (super::complaints::of_application(&console, (&s, lang), &file.status.id))
                (search_form(lang, &s))
            };
            let title = format!("{} {}", t("application_id", lang), file.status.id);
            html(&ctx, StatusCode::OK, page(&ctx, &title, body))
        }
        Ok(None) => not_found(&ctx, &s),
        Err(e) => refuse(&ctx, &e),
    }
}

/// Who and what: the child, the applicant, the claim and what was declared with it.
fn header(lang: Lang, f: &CaseFile) -> Markup {
    let birth = f.birth_date.strftime("%d.%m.%Y").to_string();
    // A child erased: a stand-in IIN and the cohort's day are no one's; say what happened.
    let erased = kezek_core::model::Iin::parse(&f.child_iin).is_ok_and(|i| i.is_stand_in());
    markup! {
        dl class="card" data-testid="casefile" {
            dt { (t("child_name", lang)) } dd { strong { (if f.child_name.is_empty() { "—" } else { &f.child_name }) } }
            @if erased {
                dt { (t("child_iin", lang)) } dd data-testid="erased" { (t("person_erased", lang)) }
            } @else {
                dt { (t("child_iin", lang)) } dd { (f.child_iin) }
                dt { (t("birth_date", lang)) } dd { (birth) }
            }
            @if let Some((name, iin)) = &f.applicant {
                @if kezek_core::model::Iin::parse(iin).is_ok_and(|i| i.is_stand_in()) {
                    dt { (t("applicant_name", lang)) } dd { (t("person_erased", lang)) }
                } @else {
                    dt { (t("applicant_name", lang)) } dd { (name) " · " (iin) }
                }
            }
            @if let Some((iin, attorney)) = &f.representative {
                dt { (t("representative", lang)) } dd { (iin) " · " (t("power_of_attorney", lang)) " " (attorney) }
            }
            dt { (t("district", lang)) } dd { (f.district) }
            dt { (t("language_of_instruction", lang)) } dd { (code(f.language, lang)) }
            dt { (t("channel", lang)) } dd { (code(f.channel, lang)) }
            @if !f.sibling_priority_at.is_empty() {
                dt { (t("sibling_priority_at", lang)) }
                dd data-testid="sibling-priority" { (f.sibling_priority_at.join(", ")) }
            }
            @if let Some(partner) = &f.together_with {
                dt { (t("joint_with", lang)) }
                dd data-testid="together-with" { a href=(format!("/console/applications/{partner}")) { (partner) } }
            }
            @if let Some((category, status)) = &f.claim {
                dt { (t("priority_category", lang)) } dd { (code(category, lang)) " — " (code(status, lang)) }
            }
            dt { (t("documents_declared", lang)) }
            dd { (f.documents_declared.iter().map(|d| code(d, lang)).collect::<Vec<_>>().join("; ")) }
        }
        @if f.actions.contains(&"decide_claim") {
            p { a class="button" href=(format!("/console/districts/{}/worklists", f.district)) { (t("decide_claim_here", lang)) } }
        }
    }
}

//! The page every console screen sits in: the service's name, the navigation its role may
//! use, the language switch, sign-out; one stylesheet from the binary; usable on a phone
//! (one column, large targets) and by keyboard (a skip link, visible focus, labelled forms).

use crate::context::Ctx;
use kezek_app::Role;
use kezek_print::words::t;
use kezek_print::words::Lang;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet, served at `/console/assets/console.css`.
pub const CSS: &str = include_str!("../assets/console.css");

/// The navigation links the caller's role may use: (path, words key).
fn nav(ctx: &Ctx) -> Vec<(String, &'static str)> {
    let Some(s) = &ctx.signed else {
        return vec![("/status".to_owned(), "parents_title")];
    };
    // The district the page is about, when the key may see it; else the key's first.
    let here = ctx
        .path
        .strip_prefix("/console/districts/")
        .and_then(|rest| rest.split('/').next())
        .filter(|d| s.caller.scope.iter().any(|x| x == d))
        .map(str::to_owned);
    let first = here
        .or_else(|| s.caller.scope.first().cloned())
        .unwrap_or_default();
    match s.caller.role {
        Role::Staff if !first.is_empty() => vec![
            (format!("/console/districts/{first}"), "dashboard"),
            (format!("/console/districts/{first}/queue"), "queue"),
            (format!("/console/districts/{first}/worklists"), "worklists"),
            (
                format!("/console/districts/{first}/allocation"),
                "allocation",
            ),
            (format!("/console/file?district={first}"), "file_nav"),
            ("/console/cases/new".to_owned(), "services_nav"),
        ],
        Role::Head | Role::Executor if !first.is_empty() => vec![(
            format!("/console/organisations/{first}/cases"),
            "case_worklist",
        )],
        Role::Auditor => vec![
            ("/console".to_owned(), "dashboard"),
            ("/console/audit".to_owned(), "audit"),
            ("/console/officials".to_owned(), "officials"),
        ],
        Role::Admin => vec![
            ("/console".to_owned(), "home"),
            ("/console/officials".to_owned(), "officials"),
            ("/console/audit".to_owned(), "audit"),
        ],
        Role::Clerk if !first.is_empty() => vec![
            (format!("/console/file?district={first}"), "file_nav"),
            (format!("/console/districts/{first}/queue"), "queue"),
            ("/console/cases/new".to_owned(), "services_nav"),
            (format!("/console/districts/{first}/centre"), "centre_nav"),
        ],
        Role::Kindergarten => vec![(format!("/console/kindergartens/{first}"), "to_admit")],
        _ => vec![("/console".to_owned(), "home")],
    }
}

/// A whole page titled `title` around `body`.
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "every page is built once around its body; by value reads plainly at the call sites"
)]
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let other = match lang {
        Lang::Kk => Lang::Ru,
        Lang::Ru => Lang::Kk,
    };
    let switch_label = match other {
        Lang::Kk => "Қазақша",
        Lang::Ru => "Русский",
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Kezek" }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                a class="skip" href="#main" { (PreEscaped("&#8595;")) " " (title) }
                header class="top" {
                    div class="brand" {
                        strong { "Kezek" }
                        span { (t("service", lang)) }
                    }
                    nav aria-label=(t("home", lang)) {
                        ul {
                            @for (href, key) in nav(ctx) {
                                li { a href=(href) { (t(key, lang)) } }
                            }
                            li {
                                a href=(switch_href(ctx, other))
                                  hreflang=(other.code()) lang=(other.code()) { (switch_label) }
                            }
                        }
                    }
                    @if let Some(s) = &ctx.signed {
                        form method="post" action="/console/sign-out" class="signout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            span class="who" { (t("signed_in_as", lang)) ": " (s.caller.key_id) " (" (kezek_print::words::code(&format!("role_{}", s.caller.role.as_str()), lang)) ")" }
                            button type="submit" { (t("sign_out", lang)) }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Where the language switch leads: this page again after a `GET` (its query kept); after a
/// form post, which cannot be repeated by a link, the reader's first page.
fn switch_href(ctx: &Ctx, other: Lang) -> String {
    match &ctx.get {
        Some(query) if !query.is_empty() => format!("{}?{query}&lang={}", ctx.path, other.code()),
        Some(_) => format!("{}?lang={}", ctx.path, other.code()),
        None if ctx.signed.is_some() => format!("/console?lang={}", other.code()),
        None if ctx.path.starts_with("/act/") || ctx.path.starts_with("/status") => {
            format!("/status?lang={}", other.code())
        }
        None => format!("/?lang={}", other.code()),
    }
}

/// A notice above a page's content (`ok`: done, else a problem).
#[must_use]
pub fn notice(ok: bool, text: &str) -> Markup {
    html! {
        p class=(if ok { "notice ok" } else { "notice problem" }) role=(if ok { "status" } else { "alert" }) { (text) }
    }
}

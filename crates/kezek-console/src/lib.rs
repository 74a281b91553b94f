//! The web console: the pages education departments, kindergartens, auditors and parents use
//! every day, served by the same binary from the same application layer as the API (the
//! same roles and scopes: a page shows what the key may read through the API, and nothing
//! else). Server-rendered HTML (maud), in Kazakh and Russian, no script; forms post back and
//! carry a CSRF token.
//!
//! - `session`: signing in with an API key, the session cookie, CSRF tokens;
//! - `context`: the language, the path and the caller of a request;
//! - `layout`, `text`, `chart`: the page shell, the words, SVG charts;
//! - `pages`: one module per screen.

mod chart;
pub mod check;
pub mod context;
mod layout;
mod pages;
pub mod session;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use context::{Ctx, LANG_COOKIE};
use kezek_app::App;
use maud::Markup;
use std::sync::Arc;

/// What the console's handlers share.
pub struct Console {
    /// The application.
    pub app: Arc<App>,
    /// Sessions and CSRF tokens.
    pub sessions: session::Sessions,
}

/// The console's routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    let console = Arc::new(Console {
        sessions: session::Sessions::new(&app),
        app,
    });
    Router::new()
        .route("/", get(pages::home::landing))
        .route("/console", get(pages::home::home))
        .route("/console/assets/console.css", get(css))
        .route(
            "/console/sign-in",
            get(pages::home::sign_in_form).post(pages::home::sign_in),
        )
        .route("/console/sign-out", post(pages::home::sign_out))
        .route(
            "/console/districts/{district}/allocation",
            get(pages::allocation::preview).post(pages::allocation::run),
        )
        .route("/console/rounds/{round}", get(pages::allocation::round))
        .route("/console/find", post(pages::casefile::find))
        .route(
            "/console/officials",
            get(pages::officials::list).post(pages::officials::name),
        )
        .route(
            "/console/officials/{id}/leave",
            post(pages::officials::leave),
        )
        .route(
            "/console/file",
            get(pages::file::show).post(pages::file::file),
        )
        .route("/console/applications/{number}", get(pages::casefile::show))
        .route(
            "/console/districts/{district}/kindergartens",
            get(pages::edit::show).post(pages::edit::save),
        )
        .route(
            "/console/audit",
            get(pages::audit::show).post(pages::audit::run),
        )
        .route(
            "/console/districts/{district}/queue",
            get(pages::queue::show).post(pages::queue::find),
        )
        .route(
            "/console/districts/{district}/worklists",
            get(pages::worklists::show),
        )
        .route(
            "/console/claims/{application}",
            post(pages::worklists::decide),
        )
        .route("/console/places/{kindergarten}", get(pages::places::show))
        .route(
            "/console/places/{kindergarten}/groups/{group}/vacancies",
            post(pages::places::open),
        )
        .route(
            "/console/districts/{district}",
            get(pages::dashboard::dashboard),
        )
        .route(
            "/console/districts/{district}/forecasts",
            get(pages::forecast::check),
        )
        .route(
            "/console/kindergartens/{kindergarten}",
            get(pages::kindergarten::show),
        )
        .route(
            "/console/referrals/{referral}/{action}",
            post(pages::kindergarten::act),
        )
        .route(
            "/status",
            get(pages::status::form).post(pages::status::lookup),
        )
        .route("/status/documents/{id}", get(pages::status::document))
        .route("/act/{referral}", get(pages::act::show))
        .route(
            "/act/{referral}/{act}",
            get(pages::act::ask).post(pages::act::act),
        )
        .merge(service_routes())
        .merge(life_routes())
        .route("/console/{*rest}", get(not_found))
        .with_state(console)
        .layer(axum::middleware::map_response(framed_by_nobody))
}

/// A child's life in the queue after registration: transfers, corrections and late claims
/// at the desk, children who leave, the groups' roll-over.
fn life_routes() -> Router<Arc<Console>> {
    Router::new()
        .route(
            "/console/applications/{number}/transfer",
            post(pages::transfer::request),
        )
        .route(
            "/console/applications/{number}/transfer/withdraw",
            post(pages::transfer::withdraw),
        )
        .route(
            "/console/applications/{number}/exchange/confirm",
            post(pages::transfer::confirm_exchange),
        )
        .route(
            "/console/applications/{number}/corrections",
            post(pages::correction::correct),
        )
        .route(
            "/console/applications/{number}/claims",
            post(pages::correction::claim),
        )
        .route(
            "/console/applications/{number}/files",
            // The file and the form's other fields (the node's limit on what is read first).
            post(pages::proof::attach).layer(axum::extract::DefaultBodyLimit::max(
                kezek_core::model::file::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route("/console/files/{file_id}", get(pages::proof::open))
        .route(
            "/console/kindergartens/{kindergarten}/children/{application}/leave",
            post(pages::leaving::leave),
        )
        .route(
            "/console/kindergartens/{kindergarten}/roll-over",
            post(pages::leaving::roll_over),
        )
}

/// The departments' other services: intake, cases, worklists, registers, and the complaints
/// about the queue's decisions.
fn service_routes() -> Router<Arc<Console>> {
    Router::new()
        .route(
            "/console/districts/{district}/centre",
            get(pages::centre::show),
        )
        .route(
            "/console/organisations/{org}/batches",
            post(pages::centre::send),
        )
        .route(
            "/console/batches/{id}/receive",
            post(pages::centre::receive),
        )
        .route(
            "/console/cases/new",
            get(pages::cases::new).post(pages::cases::file),
        )
        .route("/console/cases/{id}", get(pages::cases::show))
        .route("/console/cases/{id}/act", post(pages::cases::act))
        .route(
            "/console/services/{service}/register",
            get(pages::register::show),
        )
        .route(
            "/console/organisations/{org}/cases",
            get(pages::cases::worklist),
        )
        .route(
            "/console/applications/{id}/complaints",
            post(pages::complaints::complain),
        )
        .route(
            "/console/applications/{id}/complaints/{n}/decision",
            post(pages::complaints::decide),
        )
}

/// What a page may load and who may frame it: its own stylesheet, images inline (the charts
/// are SVG in the page), forms posted to itself; no script; no frame anywhere (a page
/// elsewhere framing "run the round" under a transparent button gets nothing).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every console answer carries the framing and content policies.
async fn framed_by_nobody(mut res: Response) -> Response {
    let headers = res.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Any other console path: a page that says so (not the API's problem document).
async fn not_found(ctx: Ctx) -> Response {
    let text = kezek_print::words::t("page_not_found", ctx.lang);
    html(
        &ctx,
        StatusCode::NOT_FOUND,
        layout::page(&ctx, text, layout::notice(false, text)),
    )
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::CSS,
    )
        .into_response()
}

/// An HTML answer with `status`, keeping the language the reader chose.
pub(crate) fn html(ctx: &Ctx, status: StatusCode, page: Markup) -> Response {
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page.into_string(),
    )
        .into_response();
    remember_lang(ctx, &mut res);
    res
}

/// A redirect (303: the browser follows with a GET), keeping the language.
pub(crate) fn see_other(ctx: &Ctx, to: &str) -> Response {
    let mut res = Redirect::to(&location(to)).into_response();
    remember_lang(ctx, &mut res);
    res
}

/// `to` as a `Location` header always takes it: every byte that is not visible ASCII
/// (a newline, a space, a letter of another script typed into a path) percent-encoded.
/// axum answers 500 for a location it cannot put in a header — after a write was made.
fn location(to: &str) -> String {
    use std::fmt::Write as _;
    to.bytes()
        .fold(String::with_capacity(to.len()), |mut out, b| {
            if b.is_ascii_graphic() {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "%{b:02X}");
            }
            out
        })
}

fn remember_lang(ctx: &Ctx, res: &mut Response) {
    if ctx.lang_chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            ctx.lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_redirect_target_makes_a_redirect(to in ".*") {
            let ctx = Ctx { lang: kezek_print::words::Lang::Kk, lang_chosen: false, path: String::new(), signed: None, sign_in: None, get: None };
            let res = see_other(&ctx, &to);
            proptest::prop_assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
    }

    #[test]
    fn a_location_keeps_what_it_can_and_encodes_the_rest() {
        assert_eq!(
            location("/console/places/K1?done=x"),
            "/console/places/K1?done=x"
        );
        assert_eq!(
            location("/console/districts/D02\n/w"),
            "/console/districts/D02%0A/w"
        );
        assert_eq!(location("/a b/ә"), "/a%20b/%D3%99");
    }
}

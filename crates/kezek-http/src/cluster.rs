//! Several nodes on one journal, as HTTP sees them.
//!
//! - A write sent to a follower is passed on to the leader and the leader's answer comes
//!   back as it was (a client or load balancer may send anything to any node). When no node
//!   leads — the leader died and a follower is taking over — or the leader cannot be reached,
//!   the answer is 503 `not_leader` with `Retry-After: 1`; the same request again with the
//!   same `Idempotency-Key` then gets the answer the journal kept, if it was written.
//! - A read with `min_seq` (the `as_of_seq` a write returned) waits, up to two seconds, for
//!   this node to have applied the journal that far, else 503 `behind` with `Retry-After` —
//!   only when it carries a key that is good: a request without one never waits (its
//!   `min_seq` is dropped, and it is answered as it stands: 401 where a key is needed), so
//!   nobody without a key can hold a connection past the parsing of its request.
//!
//! Writes are told from reads by method; the posts that only read (a family's status
//! lookup, the console's sign-in, an audit run from the console — whose result the node
//! keeps to show on its audit page) are answered where they arrive.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kezek_app::{App, AppError, Unavailable};
use std::sync::Arc;
use std::time::Duration;

/// How long a read waits for `min_seq`.
const PATIENCE: Duration = Duration::from_secs(2);

/// How long the leader may take to answer a passed-on write.
const LEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Marks a request a follower passed on: a node that gets one and does not write answers
/// `not_leader` instead of passing it on again.
const FORWARDED: HeaderName = HeaderName::from_static("kezek-forwarded");

/// Headers that belong to one connection, not to the request (RFC 9110, 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Requests that write nothing to the journal, answered by any node.
fn reads_only(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || matches!(path, "/status" | "/console/sign-in" | "/console/audit")
}

/// The client that passes writes on to the leader.
#[derive(Clone)]
pub struct Relay {
    app: Arc<App>,
    client: reqwest::Client,
    /// How long a body may take to arrive.
    body_timeout: Duration,
}

impl Relay {
    /// A relay for `app`'s node.
    #[must_use]
    pub fn new(app: Arc<App>, body_timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(LEADER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            app,
            client,
            body_timeout,
        }
    }
}

/// The middleware: `min_seq` for reads, writes passed on to the leader.
pub async fn route(State(relay): State<Relay>, mut req: Request, next: Next) -> Response {
    if let Some(seq) = min_seq(req.uri().query()) {
        let seq = match seq {
            Ok(seq) => seq,
            Err(e) => return e.into_response(),
        };
        let token = bearer(&req);
        if known_caller(&relay.app, token).await && !relay.app.caught_up(seq, PATIENCE).await {
            return ApiError::App(AppError::Unavailable(Unavailable::Behind(seq))).into_response();
        }
        // Taken here: the endpoints' own parameters are checked without it.
        if let Some(uri) = without_min_seq(req.uri()) {
            *req.uri_mut() = uri;
        }
    }
    if relay.app.node().writes() || reads_only(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let leader = relay.app.node().leader();
    match leader {
        Some(url) if !req.headers().contains_key(&FORWARDED) => pass_on(&relay, &url, req).await,
        leader => not_leader(leader),
    }
}

/// The bearer token `req` carries, if any.
fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

/// Whether `token` is the token of a key that is good now.
async fn known_caller(app: &App, token: Option<String>) -> bool {
    match token {
        Some(token) => app.caller(&token).await.is_some(),
        None => false,
    }
}

fn not_leader(leader: Option<String>) -> Response {
    ApiError::App(AppError::Unavailable(Unavailable::NotLeader(leader))).into_response()
}

/// The `min_seq` query parameter, if given.
fn min_seq(query: Option<&str>) -> Option<Result<u64, ApiError>> {
    let value = form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "min_seq")
        .map(|(_, v)| v.into_owned())?;
    Some(value.parse().map_err(|_| {
        ApiError::BadQuery(kezek_app::problem::FieldError {
            field: "min_seq".into(),
            code: "invalid_query".into(),
            message: "min_seq must be a journal seq: a whole number, 0 or more".into(),
        })
    }))
}

/// `uri` without its `min_seq` parameter.
fn without_min_seq(uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let query = uri.query()?;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| p.split('=').next() != Some("min_seq"))
        .collect();
    let path = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    path.parse().ok()
}

/// Sends `req` to the leader at `base` and answers with what it answered.
async fn pass_on(relay: &Relay, base: &str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let limit = crate::body_limit(&parts.method, parts.uri.path());
    let body =
        match tokio::time::timeout(relay.body_timeout, axum::body::to_bytes(body, limit)).await {
            Ok(Ok(body)) => body,
            Ok(Err(_)) => return ApiError::too_large(limit).into_response(),
            Err(_) => return ApiError::BodyTimeout(relay.body_timeout).into_response(),
        };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let mut out = relay
        .client
        .request(
            parts.method.clone(),
            format!("{}{path}", base.trim_end_matches('/')),
        )
        .body(body);
    // The client sets the length of the body it sends.
    for (name, value) in &parts.headers {
        if name != header::HOST
            && name != header::CONTENT_LENGTH
            && !HOP_BY_HOP.contains(&name.as_str())
        {
            out = out.header(name, value);
        }
    }
    out = out.header(&FORWARDED, "1");
    // A leader that froze answers nothing; once another node took over, a write it holds can
    // never be written (the fence), so the client is told at once to send it again (with
    // its Idempotency-Key, it is decided once).
    let answer = tokio::select! {
        sent = out.send() => match sent {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(leader = base, error = %e, "the leader cannot be reached");
                return not_leader(None);
            }
        },
        () = relay.app.node().leader_moved_from(base) => {
            tracing::warn!(leader = base, "another node leads now: a write passed on is sent again by its client");
            return not_leader(relay.app.node().leader());
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(bytes) => {
            let mut res = Response::new(Body::from(bytes));
            *res.status_mut() = status;
            *res.headers_mut() = headers;
            res
        }
        // The leader answered and went before the body came: the write may have been made;
        // the same request again gets its answer.
        Err(_) => not_leader(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_seq_is_read_from_the_query() {
        assert!(min_seq(None).is_none());
        assert!(min_seq(Some("age=3")).is_none());
        assert!(matches!(min_seq(Some("age=3&min_seq=42")), Some(Ok(42))));
        assert!(matches!(
            min_seq(Some("min_seq=-1")),
            Some(Err(ApiError::BadQuery(_)))
        ));
        assert!(matches!(
            min_seq(Some("min_seq=")),
            Some(Err(ApiError::BadQuery(_)))
        ));
    }

    #[test]
    fn min_seq_is_taken_out_of_the_query() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        assert_eq!(
            without_min_seq(&uri("/q?age=3&min_seq=4&after=A")),
            Some(uri("/q?age=3&after=A"))
        );
        assert_eq!(without_min_seq(&uri("/q?min_seq=4")), Some(uri("/q")));
    }

    #[test]
    fn only_the_reading_posts_stay() {
        assert!(reads_only(&Method::GET, "/v1/applications/A1"));
        assert!(reads_only(&Method::POST, "/status"));
        assert!(reads_only(&Method::POST, "/console/sign-in"));
        assert!(reads_only(&Method::POST, "/console/audit"));
        assert!(!reads_only(&Method::POST, "/v1/applications"));
        assert!(!reads_only(&Method::PUT, "/v1/districts/D1"));
        assert!(!reads_only(&Method::POST, "/console/sign-out"));
        assert!(!reads_only(&Method::POST, "/console/claims/A1"));
    }
}

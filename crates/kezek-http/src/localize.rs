//! Problem documents in the reader's language: when `Accept-Language` prefers Kazakh or
//! Russian, an error's `detail` and each field error's `message` are given in it (the words
//! of `kezek_print::words`, by code); the codes, fields and every other member stay as they
//! are. Done here, on the way out, because stored answers (a refusal replayed for a retried
//! request) are kept in one language and must be shown in the asker's.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use kezek_print::words as messages;
use kezek_print::words::Lang;
use serde_json::Value;

/// The largest problem document rewritten (a refusal with every ground is far smaller).
const MAX_PROBLEM: usize = 64 * 1024;

/// The middleware.
pub(crate) async fn localize(req: Request, next: Next) -> Response {
    // Kept aside (a reference-counted copy) and read only if the answer is a problem: a
    // successful answer, the hot path, costs nothing more.
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let mut res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // A problem the leader answered for a follower is in the asker's language already.
    if !is_problem || res.headers().contains_key(header::CONTENT_LANGUAGE) {
        return res;
    }
    let varies = res
        .headers()
        .get_all(header::VARY)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-language"));
    if !varies {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    let Some(lang) = accept
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(messages::preferred)
    else {
        return res;
    };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PROBLEM).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut problem) => {
            translate(&mut problem, lang);
            parts.headers.insert(
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(match lang {
                    Lang::Kk => "kk",
                    Lang::Ru => "ru",
                }),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// Puts `problem`'s messages in `lang` where there are words for their codes.
fn translate(problem: &mut Value, lang: Lang) {
    let code = problem.get("code").and_then(Value::as_str).unwrap_or("");
    if let Some(words) = messages::problem(code, lang) {
        problem["detail"] = words.into();
    }
    if let Some(errors) = problem.get_mut("errors").and_then(Value::as_array_mut) {
        for e in errors {
            let code = e.get("code").and_then(Value::as_str).unwrap_or("");
            if let Some(words) =
                messages::field(code, lang).or_else(|| messages::problem(code, lang))
            {
                e["message"] = words.into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_replace_messages_and_codes_stay() {
        let mut p = serde_json::json!({"code": "refused", "detail": "x", "status": 422,
            "errors": [{"field": "child.iin", "code": "invalid_iin", "message": "bad"},
                       {"field": "z", "code": "no_such_code", "message": "kept"}]});
        translate(&mut p, Lang::Ru);
        assert_eq!(p["code"], "refused");
        assert_eq!(p["errors"][0]["message"], "Неверный ИИН");
        assert_eq!(p["errors"][0]["code"], "invalid_iin");
        assert_eq!(p["errors"][1]["message"], "kept");
        assert_ne!(p["detail"], "x");
    }
}

//! Every console page as its readers reach it: signed in as each role (and as a family with
//! no key), every link a page offers is followed, in Kazakh and in Russian; none may answer
//! 4xx or 5xx (a page never links where its reader is refused), and no page or printed
//! document may show an English word of the interface, a code left untranslated
//! (`service_center`), or a Russian age in the wrong form (`2 лет`).

use crate::harness::{spawn_app, TestApp, AUDITOR, CLERK, KG, PORTAL, STAFF};
use crate::printed::named_city;
use std::collections::{BTreeSet, VecDeque};

/// English words of an interface that must never reach a reader of Kazakh or Russian.
const ENGLISH: &[&str] = &[
    "seq",
    "kindergarten",
    "staff",
    "clerk",
    "auditor",
    "admin",
    "queued",
    "referred",
    "enrolled",
    "issued",
    "confirmed",
    "declined",
    "lapsed",
    "refused",
    "cancelled",
    "none",
    "null",
    "true",
    "false",
    "documents",
    "document",
    "application",
    "applications",
    "group",
    "groups",
    "district",
    "error",
    "page",
    "next",
    "back",
    "submit",
    "status",
    "round",
    "rounds",
    "referral",
    "referrals",
    "years",
    "free",
    "capacity",
    "reserved",
    "open",
    "seats",
    "queue",
    "notification",
    "refusal",
    "admission",
    "decision",
    "priority",
    "category",
    "deadline",
    "missing",
    "grounds",
    "reason",
    "field",
    "unknown",
    "forbidden",
    "found",
    "not",
    "the",
    "and",
    "of",
    "to",
    "in",
    "is",
];

/// The form a Russian age takes after `n` (a naive model of the rule: 1 год, 2–4 года, 5–20
/// лет, then by the last digit).
fn russian_year(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => "лет",
        (1, _) => "год",
        (2..=4, _) => "года",
        _ => "лет",
    }
}

/// What is wrong with the words of `text` (a page with its tags taken out, or a PDF's text).
fn word_problems(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        // Ids and codes of data (K1, KZ0000000001, key-staff-D1, g4) are not words.
        if word.is_empty()
            || word.ends_with('_')
            || word.chars().any(|c| c.is_ascii_digit() || c == '-')
        {
            continue;
        }
        let lower = word.to_lowercase();
        if word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            found.push(format!("untranslated code `{word}`"));
        } else if ENGLISH.contains(&lower.as_str()) {
            found.push(format!("English word `{word}`"));
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.windows(2) {
        let word = pair[1].trim_matches(|c: char| !c.is_alphabetic());
        if let (Ok(n), true) = (
            pair[0].parse::<u64>(),
            matches!(word, "год" | "года" | "лет"),
        ) {
            if word != russian_year(n) {
                found.push(format!("`{n} {word}`"));
            }
        }
    }
    found
}

/// The text a reader sees on a page: its tags, styles and attributes taken out.
fn visible(html: &str) -> String {
    let without_style = html
        .split("<style")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once("</style>").map_or("", |(_, rest)| rest)
            }
        })
        .collect::<String>();
    let mut out = String::new();
    let mut in_tag = false;
    for c in without_style.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// The links of a page, this site's only, without their fragments.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .filter(|href| !href.starts_with("/console/assets/") && !href.starts_with("/v1/"))
        .collect()
}

/// Walks the site from `start` as the holder of `cookie`; every problem found, and how many
/// pages and documents were read.
async fn walk(
    app: &TestApp,
    cookie: Option<&str>,
    start: &[String],
    pdf: bool,
) -> (Vec<String>, usize) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut todo: VecDeque<String> = start.iter().cloned().collect();
    let mut problems = Vec::new();
    while let Some(path) = todo.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 400 {
            continue;
        }
        let mut req = client.get(format!("{}{path}", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        if status >= 400 {
            problems.push(format!("{path}: {status}"));
            continue;
        }
        if (300..400).contains(&status) {
            if let Some(to) = res.headers().get("location") {
                todo.push_back(to.to_str().unwrap().to_owned());
            }
            continue;
        }
        let kind = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.bytes().await.unwrap();
        if kind.starts_with("application/pdf") {
            if pdf {
                let text = crate::printed::pdf_text(&body);
                problems.extend(
                    word_problems(&text)
                        .into_iter()
                        .map(|p| format!("{path}: {p}")),
                );
            }
            continue;
        }
        let html = String::from_utf8_lossy(&body);
        problems.extend(
            word_problems(&visible(&html))
                .into_iter()
                .map(|p| format!("{path}: {p}")),
        );
        for link in links(&html) {
            if !seen.contains(&link) {
                todo.push_back(link);
            }
        }
    }
    (problems, seen.len())
}

/// A city in every state a page shows: named places, a child admitted, one referred and
/// confirmed, one referred, one queued with a claim, a counter refusal, a round.
async fn city(app: &TestApp) -> (String, String) {
    named_city(app, 2).await;
    let (_, admitted) = app.register(1, None).await;
    let (_, referred) = app.register(2, None).await;
    let (_, queued) = app.register(3, Some("large_family")).await;
    for r in [&admitted, &referred] {
        let referral = r["referral"]["referral_id"].as_str().unwrap();
        let (s, v) = app
            .call(
                "POST",
                &format!("/v1/referrals/{referral}/confirm"),
                Some(PORTAL),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let referral = admitted["referral"]["referral_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mut refused = crate::harness::application(4, None);
    refused["channel"] = "service_center".into();
    refused["documents"] = serde_json::json!(["application_form"]);
    let (s, _) = app
        .call("POST", "/v1/applications", Some(CLERK), Some(refused))
        .await;
    assert_eq!(s, 422);
    (
        queued["application_id"].as_str().unwrap().to_owned(),
        crate::harness::child_iin(30),
    )
}

#[tokio::test]
async fn every_page_a_role_reaches_answers_in_its_language() {
    let poppler = !kezek_testdb::missing(kezek_testdb::Tool::Poppler);
    let (app, _store) = spawn_app().await;
    let (queued, iin) = city(&app).await;
    let mut problems = Vec::new();
    for token in [STAFF, CLERK, KG, AUDITOR] {
        let cookie = app.console_session(token).await;
        for lang in ["kk", "ru"] {
            let start = [format!("/console?lang={lang}")];
            let (found, read) = walk(&app, Some(&cookie), &start, poppler).await;
            assert!(read >= 4, "{token} {lang}: only {read} pages reached");
            problems.extend(found.into_iter().map(|p| format!("{token} {lang}: {p}")));
        }
    }
    // A family: the front page, its status page and what it links to (documents).
    for lang in ["kk", "ru"] {
        let status = app
            .http
            .post(format!("{}/status?lang={lang}", app.base))
            .form(&[
                ("application_id", queued.as_str()),
                ("child_iin", iin.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        problems.extend(
            word_problems(&visible(&status))
                .into_iter()
                .map(|p| format!("family {lang} /status: {p}")),
        );
        let mut start = links(&status);
        start.push(format!("/?lang={lang}"));
        let (found, read) = walk(&app, None, &start, poppler).await;
        assert!(read >= 4, "family {lang}: only {read} pages reached");
        problems.extend(found.into_iter().map(|p| format!("family {lang}: {p}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

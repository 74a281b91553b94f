//! The page of a document: what is printed where. Each kind of document lists its fields in
//! the order a reader needs them, with their labels and values in the reader's language,
//! times in the authority's local time, and at the foot the signature and the way to check it.

use super::qr::QR_SIZE;
use crate::words::Lang;
use crate::words::{local_time, text, title, value};
use jiff::tz::Offset;
use jiff::Timestamp;
use serde_json::Value;

/// Left margin, right edge and top of the text, in points (A4 is 595 × 842).
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const TOP: f32 = 800.0;
/// The right edge of the page's text (the QR code's too).
pub const RIGHT_EDGE: f32 = RIGHT;
/// The text size of fields.
const SIZE: f32 = 10.0;

/// A run of text at a place on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Left edge.
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Size in points.
    pub size: f32,
    /// The text.
    pub text: String,
}

/// What the page shows.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The text.
    pub runs: Vec<Run>,
    /// Horizontal rules, by height.
    pub rules: Vec<f32>,
    /// The top of the verification block (the QR code goes beside it, at the right).
    pub check_y: f32,
    /// Where the visible block of the official's signature is (`[x0, y0, x1, y1]`), when the
    /// document is signed with their certificate.
    pub signature: Option<[f32; 4]>,
}

/// How wide a text is at a size, in points.
pub type Measure<'a> = &'a dyn Fn(&str, f32) -> f32;

/// How a document's times and codes read.
pub struct Reader<'a> {
    /// The language.
    pub lang: Lang,
    /// The authority's offset from UTC.
    pub offset: Offset,
    /// The verification URL.
    pub check_url: &'a str,
    /// The digest the URL carries.
    pub digest: &'a str,
    /// The official whose certificate signs the file, if one does.
    pub signer: Option<&'a super::Signer>,
}

struct Writer<'a> {
    page: Page,
    y: f32,
    /// The right edge of the text.
    right: f32,
    measure: Measure<'a>,
}

impl Writer<'_> {
    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// `text` at `x`, wrapped at word boundaries to the right edge; continuation lines at
    /// `indent`.
    fn text(&mut self, x: f32, indent: f32, size: f32, text: &str) {
        let mut line = String::new();
        let mut at = x;
        for word in text.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && at + (self.measure)(&candidate, size) > self.right {
                self.emit(at, size, std::mem::take(&mut line));
                at = indent;
                word.clone_into(&mut line);
            } else {
                line = candidate;
            }
            // A word longer than the line (a signature) is cut where it reaches the edge.
            while at + (self.measure)(&line, size) > self.right && line.chars().count() > 1 {
                let mut cut = String::new();
                for c in line.chars() {
                    let next = format!("{cut}{c}");
                    if at + (self.measure)(&next, size) > self.right {
                        break;
                    }
                    cut = next;
                }
                let rest: String = line.chars().skip(cut.chars().count().max(1)).collect();
                self.emit(at, size, cut);
                at = indent;
                line = rest;
            }
        }
        if !line.is_empty() {
            self.emit(at, size, line);
        }
    }

    fn emit(&mut self, x: f32, size: f32, text: String) {
        self.page.runs.push(Run {
            x,
            y: self.y,
            size,
            text,
        });
        self.y -= size * 1.45;
    }

    /// `label: value`.
    fn field(&mut self, label: &str, value: &str) {
        self.text(LEFT, LEFT + 20.0, SIZE, &format!("{label}: {value}"));
    }

    /// A label, then one bulleted line per item.
    fn list(&mut self, label: &str, items: &[String]) {
        self.text(LEFT, LEFT + 20.0, SIZE, &format!("{label}:"));
        for item in items {
            self.text(LEFT + 12.0, LEFT + 22.0, SIZE, &format!("•  {item}"));
        }
    }

    fn rule(&mut self) {
        self.page.rules.push(self.y + SIZE * 0.6);
        self.gap(SIZE * 0.8);
    }
}

impl Reader<'_> {
    fn label(&self, key: &str) -> String {
        text(key, self.lang).unwrap_or(key).to_owned()
    }

    /// A code's words, or the code itself.
    fn code(&self, v: &Value) -> String {
        match v {
            Value::String(s) => value(s, self.lang).map_or_else(|| s.clone(), str::to_owned),
            Value::Bool(b) => value(&b.to_string(), self.lang).unwrap_or("").to_owned(),
            other => plain(other),
        }
    }

    /// A list of codes, each in words.
    fn codes(&self, v: &Value) -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| self.code(c))
            .collect()
    }

    /// A deadline, worded as every page words it (`crate::words::deadline`).
    fn deadline(&self, v: &Value) -> String {
        match v.as_str().and_then(|s| s.parse::<Timestamp>().ok()) {
            Some(t) => crate::words::deadline(t, self.offset, self.lang),
            None => plain(v),
        }
    }

    /// Field `key` of `v` in the reader's language: `key_ru` for a Russian reader where it is
    /// given, else `key`.
    fn own<'v>(&self, v: &'v Value, key: &str) -> &'v Value {
        let ru = v.get(format!("{key}_ru")).filter(|x| x.is_string());
        match (self.lang, ru) {
            (Lang::Ru, Some(x)) => x,
            _ => v.get(key).unwrap_or(&Value::Null),
        }
    }

    /// An instant as the authority's local date and time, to the minute.
    fn time(&self, v: &Value) -> String {
        match v.as_str().and_then(|s| s.parse::<Timestamp>().ok()) {
            Some(t) => local_time(t, self.offset),
            None => plain(v),
        }
    }
}

/// A value as plain text (`—` for nothing).
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// A civil date `YYYY-MM-DD` as `DD.MM.YYYY`.
fn date(v: &Value) -> String {
    match v.as_str().and_then(|s| s.parse::<jiff::civil::Date>().ok()) {
        Some(d) => d.strftime("%d.%m.%Y").to_string(),
        None => plain(v),
    }
}

/// Lays out `doc` for `reader`.
#[must_use]
pub fn page(doc: &Value, reader: &Reader<'_>, measure: Measure<'_>) -> Page {
    let mut w = Writer {
        page: Page::default(),
        y: TOP,
        right: RIGHT,
        measure,
    };
    let body = &doc["body"];
    let lang_key = reader.lang.code();
    let kind = doc["kind"].as_str().unwrap_or("");
    let batch = kind == "case_batch";
    let header = if body.get("service_id").is_some() || batch {
        "service_kezek_cases"
    } else {
        "service_kezek"
    };
    w.text(LEFT, LEFT, 9.0, &reader.label(header));
    if let Some(authority) = body
        .get("authority")
        .and_then(|a| a.get(lang_key))
        .and_then(Value::as_str)
    {
        w.text(LEFT, LEFT, 12.0, authority);
    } else if let Some(provider) = body
        .pointer(&format!("/provider/name/{lang_key}"))
        .and_then(Value::as_str)
        .filter(|_| !batch)
    {
        w.text(LEFT, LEFT, 12.0, provider);
    }
    w.gap(8.0);
    w.text(LEFT, LEFT, 16.0, title(kind, reader.lang).unwrap_or(kind));
    w.gap(4.0);
    w.field(&reader.label("id"), &plain(&doc["id"]));
    w.field(
        &reader.label("issued_at"),
        &format!(
            "{} ({})",
            reader.time(&doc["issued_at"]),
            reader.label("local_time")
        ),
    );
    w.field(
        &reader.label(if batch {
            "batch_number"
        } else {
            "application_id"
        }),
        &plain(&doc["application_id"]),
    );
    w.rule();
    match kind {
        "queue_notification" => queue_notification(&mut w, reader, body),
        "referral" => referral(&mut w, reader, body),
        "refusal" => refusal(&mut w, reader, body),
        "priority_decision" => priority_decision(&mut w, reader, body),
        "admission" => admission(&mut w, reader, body),
        "case_receipt"
        | "case_refusal_to_accept"
        | "case_result"
        | "case_refusal"
        | "complaint_decision"
        | "case_register_removal" => case_document(&mut w, reader, body),
        "case_batch" => batch_list(&mut w, reader, body),
        _ => {}
    }
    appeal(&mut w, reader, body);
    official(&mut w, reader, body);
    w.rule();
    footer(&mut w, reader, doc);
    if let Some(signer) = reader.signer {
        signature_block(&mut w, reader, signer);
    }
    w.page
}

/// The visible block of the official's electronic signature: who, their position and
/// organisation, the certificate's serial.
fn signature_block(w: &mut Writer<'_>, r: &Reader<'_>, s: &super::Signer) {
    w.right = RIGHT;
    w.gap(10.0);
    let top = w.y + 12.0;
    w.rule();
    w.text(LEFT, LEFT, 11.0, &r.label("signed_with_eds"));
    w.text(LEFT, LEFT, 10.0, &format!("{} {}", s.position, s.name));
    w.text(LEFT, LEFT, 9.0, &s.organisation);
    w.text(
        LEFT,
        LEFT,
        8.0,
        &format!("{}: {}", r.label("certificate_serial"), s.serial),
    );
    w.page.signature = Some([LEFT - 4.0, w.y + 4.0, RIGHT, top]);
    w.rule();
}

/// The official who issued it, when the document names one: their position and name.
fn official(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    let o = &body["official"];
    let Some(name) = o["name"].as_str() else {
        return;
    };
    let position = o[format!("position_{}", r.lang.code())]
        .as_str()
        .unwrap_or_default();
    w.gap(6.0);
    w.field(&r.label("issued_by"), &format!("{position} {name}"));
}

fn child(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    w.field(&r.label("child_name"), &plain(&body["child_name"]));
    w.field(&r.label("child_iin"), &plain(&body["child_iin"]));
    if !body["birth_date"].is_null() {
        w.field(&r.label("birth_date"), &date(&body["birth_date"]));
    }
    if !body["applicant_name"].is_null() {
        w.field(&r.label("applicant_name"), &plain(&body["applicant_name"]));
    }
}

fn queue_notification(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    child(w, r, body);
    w.gap(4.0);
    w.field(&r.label("registered_at"), &r.time(&body["registered_at"]));
    w.field(&r.label("queue_number"), &plain(&body["queue_number"]));
    w.field(&r.label("tier"), &r.code(&body["tier"]));
    if !body["category"].is_null() {
        w.field(&r.label("priority_category"), &r.code(&body["category"]));
        w.field(
            &r.label("priority_status"),
            &r.code(&body["priority_status"]),
        );
    }
    w.field(
        &r.label("language_of_instruction"),
        &r.code(&body["language"]),
    );
    let name_of = |id: &str| {
        body["kindergartens"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| k["kindergarten_id"].as_str() == Some(id))
            .and_then(|k| r.own(k, "name").as_str())
            .map_or_else(|| id.to_owned(), |n| format!("{n} ({id})"))
    };
    let positions: Vec<String> = body["positions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let id = p["kindergarten_id"].as_str().unwrap_or("");
            format!(
                "{} — {} {}",
                name_of(id),
                plain(&p["position"]),
                r.label("place")
            )
        })
        .collect();
    w.list(&r.label("positions"), &positions);
}

fn referral(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    child(w, r, body);
    w.gap(4.0);
    w.field(&r.label("referral_id"), &plain(&body["referral_id"]));
    w.field(
        &r.label("kindergarten_name"),
        &format!(
            "{} ({})",
            plain(r.own(body, "kindergarten_name")),
            plain(&body["kindergarten_id"])
        ),
    );
    let address = r.own(body, "kindergarten_address");
    if !address.is_null() {
        w.field(&r.label("kindergarten_address"), &plain(address));
    }
    if !body["kindergarten_phone"].is_null() {
        w.field(&r.label("phone"), &plain(&body["kindergarten_phone"]));
    }
    let mut group = plain(&body["group_id"]);
    if let Some(age) = body["group_age_years"].as_i64() {
        group = format!(
            "{group}, {}, {}",
            crate::words::years(age, r.lang),
            r.code(&body["language"])
        );
    }
    w.field(&r.label("group"), &group);
    w.gap(4.0);
    w.field(&r.label("confirm_by"), &r.deadline(&body["confirm_by"]));
    if let Some(days) = body["enrol_working_days"].as_u64() {
        w.field(
            &r.label("enroll_by"),
            &format!("{days} {}", r.label("working_days_after_confirming")),
        );
    }
    let bring = r.codes(&body["bring"]);
    if !bring.is_empty() {
        w.gap(4.0);
        w.list(&r.label("bring"), &bring);
    }
}

fn refusal(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    if !body["child_name"].is_null() || !body["child_iin"].is_null() {
        child(w, r, body);
        w.gap(4.0);
    }
    w.field(&r.label("refused_at"), &r.time(&body["refused_at"]));
    if !body["channel"].is_null() {
        w.field(&r.label("channel"), &r.code(&body["channel"]));
    }
    let grounds: Vec<String> = body["grounds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            // The ground in words (the field it concerns is the API's name, not the reader's).
            let mut text = r.code(&g["code"]);
            let missing = r.codes(&g["missing"]);
            if !missing.is_empty() {
                text = format!("{text}: {}", missing.join("; "));
            }
            text
        })
        .collect();
    w.list(&r.label("refusal_grounds"), &grounds);
    let missing = r.codes(&body["missing"]);
    if !missing.is_empty() {
        w.list(&r.label("missing"), &missing);
    }
}

/// Words of `v` in the reader's language (`{"kk", "ru"}`).
fn both(v: &Value, r: &Reader<'_>) -> String {
    v.get(r.lang.code())
        .and_then(Value::as_str)
        .map_or_else(|| plain(v), str::to_owned)
}

/// A document of the departments' other services: the service, the applicant, and what the
/// kind says — the documents received and each step's due time, what is missing, the result
/// or the refusal's grounds, the complaint and its decision.
fn case_document(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|x| both(x, r))
            .collect()
    };
    w.field(&r.label("public_service"), &both(&body["service"], r));
    if !body["child_name"].is_null() {
        // A complaint about the queue: the child it is about.
        w.field(&r.label("child_name"), &plain(&body["child_name"]));
        w.field(&r.label("child_iin"), &plain(&body["child_iin"]));
    }
    w.field(&r.label("applicant_name"), &plain(&body["applicant_name"]));
    w.field(&r.label("applicant_iin"), &plain(&body["applicant_iin"]));
    w.field(&r.label("filed_at"), &r.time(&body["filed_at"]));
    w.field(&r.label("channel"), &r.code(&body["channel"]));
    if !body["documents"].is_null() {
        w.list(&r.label("documents_received"), &list(&body["documents"]));
    }
    if !body["missing"].is_null() {
        w.list(&r.label("missing"), &list(&body["missing"]));
    }
    if let Some(steps) = body["steps"].as_array() {
        let lines: Vec<String> = steps
            .iter()
            .map(|s| {
                let when = if s["due"].is_string() {
                    format!("{} {}", r.label("step_due_by"), r.time(&s["due"]))
                } else {
                    format!(
                        "{} {}",
                        plain(&s["limit"]),
                        r.label(&format!("unit_{}", s["unit"].as_str().unwrap_or_default()))
                    )
                };
                format!("{} — {when}", both(&s["what"], r))
            })
            .collect();
        w.list(&r.label("steps_due"), &lines);
    }
    if !body["result"].is_null() {
        w.field(&r.label("decision"), &both(&body["result"], r));
        let grounds = list(&body["grounds"]);
        if !grounds.is_empty() {
            w.list(&r.label("refusal_grounds"), &grounds);
        }
        if body["note"].as_str().is_some_and(|n| !n.is_empty()) {
            w.field(&r.label("reason"), &plain(&body["note"]));
        }
    }
    if let Some(removal) = body.get("removal") {
        w.field(&r.label("register_removed_at"), &r.time(&removal["at"]));
        w.field(
            &r.label("register_removal_ground"),
            &both(&removal["ground"], r),
        );
        if removal["note"].as_str().is_some_and(|n| !n.is_empty()) {
            w.field(&r.label("reason"), &plain(&removal["note"]));
        }
    }
    if let Some(c) = body.get("complaint") {
        w.field(&r.label("complaint"), &plain(&c["text"]));
        w.field(&r.label("complaint_made"), &r.time(&c["made_at"]));
        let upheld = if c["upheld"].as_bool() == Some(true) {
            "complaint_upheld"
        } else {
            "complaint_not_upheld"
        };
        w.field(&r.label("decision"), &r.label(upheld));
        w.field(&r.label("reason"), &plain(&c["reasons"]));
    }
    if !body["regulation"].is_null() {
        w.field(&r.label("regulation"), &plain(&body["regulation"]));
    }
}

/// A batch list the service centre's courier carries: from where to where, when it is due,
/// each case with its service and applicant.
fn batch_list(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    let named = |v: &Value| {
        if v["name"].is_object() {
            format!("{} ({})", both(&v["name"], r), plain(&v["id"]))
        } else {
            plain(&v["id"])
        }
    };
    // The centre serves the district: named as the centre of the district's department.
    let centre = format!("{}: {}", r.label("service_centre"), named(&body["centre"]));
    let provider = named(&body["provider"]);
    let (from, to) = if body["direction"] == "to_provider" {
        (centre, provider)
    } else {
        (provider, centre)
    };
    w.field(&r.label("batch_from"), &from);
    w.field(&r.label("batch_to"), &to);
    w.field(&r.label("batch_sent"), &r.time(&body["sent_at"]));
    w.field(&r.label("batch_due"), &r.deadline(&body["due"]));
    let lines: Vec<String> = body["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{}. {} — {} — {} ({})",
                i + 1,
                plain(&c["case_id"]),
                both(&c["service"], r),
                plain(&c["applicant_name"]),
                plain(&c["applicant_iin"])
            )
        })
        .collect();
    w.list(&r.label("batch_cases"), &lines);
    w.gap(8.0);
    w.field(&r.label("batch_handed"), "____________________");
    w.field(&r.label("batch_received"), "____________________");
}

fn priority_decision(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    child(w, r, body);
    w.gap(4.0);
    w.field(&r.label("priority_category"), &r.code(&body["category"]));
    w.field(&r.label("decision"), &r.code(&body["decision"]));
    w.field(&r.label("reason"), &plain(&body["reason"]));
    w.field(&r.label("decided_at"), &r.time(&body["decided_at"]));
}

fn admission(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    child(w, r, body);
    w.gap(4.0);
    let kindergarten = match r.own(body, "kindergarten_name").as_str() {
        Some(name) => format!("{name} ({})", plain(&body["kindergarten_id"])),
        None => plain(&body["kindergarten_id"]),
    };
    w.field(&r.label("kindergarten_name"), &kindergarten);
    w.field(&r.label("group"), &plain(&body["group_id"]));
    w.field(&r.label("referral_id"), &plain(&body["referral_id"]));
    w.field(&r.label("decision"), &r.code(&body["decision"]));
    if !body["grounds"].is_null() {
        w.field(&r.label("reason"), &plain(&body["grounds"]));
    }
    w.field(&r.label("decided_at"), &r.time(&body["decided_at"]));
    if body["back_in_queue"].as_bool() == Some(true) {
        w.field(&r.label("back_in_queue"), &r.code(&body["back_in_queue"]));
    }
}

/// Where and by when the decision is appealed, when it says.
fn appeal(w: &mut Writer<'_>, r: &Reader<'_>, body: &Value) {
    let appeal = &body["appeal"];
    if !appeal.is_object() {
        return;
    }
    let to = appeal["to"]
        .get(r.lang.code())
        .and_then(Value::as_str)
        .map_or_else(|| r.label("appeal_to_district"), str::to_owned);
    w.gap(4.0);
    w.field(&r.label("appeal_to"), &to);
    w.field(&r.label("appeal_by"), &r.deadline(&appeal["by"]));
}

/// The signature, the key and the way to check the document.
fn footer(w: &mut Writer<'_>, r: &Reader<'_>, doc: &Value) {
    w.page.check_y = w.y + 11.0;
    w.right = RIGHT - QR_SIZE - 12.0;
    w.text(LEFT, LEFT, 11.0, &r.label("authenticity_check"));
    w.text(LEFT, LEFT, 9.0, r.check_url);
    w.text(
        LEFT,
        LEFT,
        8.0,
        &format!("{}: {}", r.label("digest"), r.digest),
    );
    w.text(
        LEFT,
        LEFT,
        8.0,
        &format!("{}: {}", r.label("key_id"), plain(&doc["key_id"])),
    );
    w.text(
        LEFT,
        LEFT,
        8.0,
        &format!(
            "{}: {}",
            r.label("signature_ed25519"),
            plain(&doc["signature"])
        ),
    );
}

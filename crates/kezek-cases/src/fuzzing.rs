//! The fuzz harnesses of the case engine's parsers (for `fuzz/` and the corpus replay test):
//! a service definition read from any text, a case record read from any bytes and applied, a
//! form of any shape filed. Each may refuse; none may panic.

use crate::command::File;
use crate::definition::Channel;
use crate::event::{AdoptedDefinition, Applicant, CaseEvent};
use crate::{due, Cases, Definition, OfficeHours, Unit};
use jiff::Timestamp;
use kezek_core::policy::calendar::Calendar;

/// Two definitions Kezek ships, to file and apply against.
const SHIPPED: [(&str, &str); 2] = [
    (
        "school_admission.atyrau-2014.toml",
        include_str!("../../../services/school_admission.atyrau-2014.toml"),
    ),
    (
        "education_document_duplicate.east-kazakhstan-2014.toml",
        include_str!("../../../services/education_document_duplicate.east-kazakhstan-2014.toml"),
    ),
];

fn calendar() -> Calendar {
    Calendar {
        offset: jiff::tz::Offset::constant(5),
        weekend: vec![jiff::civil::Weekday::Saturday, jiff::civil::Weekday::Sunday],
        holidays: [(1, 1), (3, 22)].into(),
        extra: std::collections::BTreeSet::new(),
    }
}

fn start() -> Timestamp {
    Timestamp::from_second(1_788_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Cases with the shipped definitions adopted and two filed: `C-1` at the office, `C-2` at a
/// service centre.
fn cases() -> Cases {
    let mut cases = Cases::new(Vec::new(), calendar(), OfficeHours::default());
    let adopt = CaseEvent::DefinitionsAdopted {
        definitions: SHIPPED
            .iter()
            .map(|(file, text)| AdoptedDefinition {
                file: (*file).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        at: start(),
    };
    let _ = cases.apply(&adopt);
    // One case at the office and one at a service centre, for records to act on.
    for (id, channel) in [("C-1", Channel::Office), ("C-2", Channel::ServiceCenter)] {
        let Some(d) = cases.definition("education_document_duplicate").cloned() else {
            continue;
        };
        let filing = File {
            case_id: id.into(),
            service: d.id.clone(),
            provider: "ORG1".into(),
            channel,
            applicant: Applicant {
                iin: "880101300123".into(),
                name: "Дана".into(),
            },
            form: complete(&d),
            documents: d.documents.get(&channel).cloned().unwrap_or_default(),
            at: start(),
        };
        for e in filing.decide(&cases).unwrap_or_default() {
            let _ = cases.apply(&e);
        }
    }
    cases
}

/// A complete form of `d`.
fn complete(d: &Definition) -> std::collections::BTreeMap<String, serde_json::Value> {
    use crate::definition::FieldKind;
    use serde_json::json;
    let child = kezek_core::model::Iin::compose(jiff::civil::date(2010, 5, 1), true, 3)
        .map(|i| i.to_string())
        .unwrap_or_default();
    d.fields
        .iter()
        .map(|f| {
            let v = match f.kind {
                FieldKind::Text => json!("Абай көшесі, 7"),
                FieldKind::Date => json!("2015-06-01"),
                FieldKind::Iin => json!("880101300123"),
                FieldKind::Choice => json!(f.options.first().map(|o| o.code.clone())),
                FieldKind::Number => json!(f.min.unwrap_or(1)),
                FieldKind::Person => json!({"name": "Дана", "iin": "880101300123"}),
                FieldKind::Child => {
                    json!({"name": "Аружан", "iin": child, "birth_date": "2010-05-01"})
                }
            };
            (f.key.clone(), v)
        })
        .collect()
}

/// A service definition from any text: refused, or one whose every step has a due time.
///
/// # Panics
/// When reading or the due times panic: what the fuzzer looks for.
pub fn definition(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = Definition::from_toml(text) {
        for s in &d.steps {
            let at = due(
                start(),
                s.limit,
                s.unit,
                &calendar(),
                &OfficeHours::default(),
            );
            assert!(at >= start(), "a due time before its start");
        }
        let _ = due(
            start(),
            1,
            Unit::WorkingDays,
            &calendar(),
            &OfficeHours::default(),
        );
    }
}

/// A case record from any bytes (JSON, as the journal keeps it): refused, or applied to the
/// cases — and then it reads back from its journal form the same.
///
/// # Panics
/// When reading or applying panics, or a record does not read back: what the fuzzer looks
/// for.
pub fn record(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<CaseEvent>(data) else {
        return;
    };
    let mut cases = cases();
    let _ = cases.apply(&event);
    if let Ok(x) = crate::event::to_extension(&event) {
        let back = crate::event::from_extension(&x);
        assert!(
            matches!(back, Some(Ok(ref e)) if *e == event),
            "a record does not read back"
        );
    }
}

/// A form of any shape (JSON) filed for each shipped service: refused with its fields named,
/// or accepted and applied.
///
/// # Panics
/// When deciding or applying panics: what the fuzzer looks for.
pub fn form(data: &[u8]) {
    let Ok(form) = serde_json::from_slice(data) else {
        return;
    };
    let mut cases = cases();
    for (n, (file, _)) in SHIPPED.iter().enumerate() {
        let service = file.split('.').next().unwrap_or_default().to_owned();
        let documents = cases
            .definition(&service)
            .and_then(|d| d.documents.get(&Channel::Office).cloned())
            .unwrap_or_default();
        let filing = File {
            case_id: format!("F-{n}"),
            service,
            provider: "ORG1".into(),
            channel: Channel::Office,
            applicant: Applicant {
                iin: "880101300123".into(),
                name: "Дана".into(),
            },
            form: std::collections::BTreeMap::clone(&form),
            documents,
            at: start(),
        };
        if let Ok(events) = filing.decide(&cases) {
            for e in &events {
                assert!(cases.apply(e).is_ok(), "a decided filing does not apply");
            }
        }
    }
}

/// How many cases the harnesses start from (what the corpus test checks they file).
#[must_use]
pub fn filed_cases() -> usize {
    cases().cases().count()
}

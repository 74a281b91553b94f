//! An application form checked against its service's fields: every broken rule named with
//! its path (`form.spouse.iin`) and code, as the API's problem documents carry them.

use crate::definition::{Definition, Field, FieldKind};
use kezek_core::command::Violation;
use kezek_core::model::Iin;
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest free text when the definition sets none.
const MAX_TEXT: usize = 500;

/// The violations of `form` against `definition`'s fields (none: it is complete and valid).
/// A key the definition does not know is a violation too.
#[must_use]
pub fn check(definition: &Definition, form: &BTreeMap<String, Value>) -> Vec<Violation> {
    let mut out = Vec::new();
    for key in form.keys() {
        if !definition.fields.iter().any(|f| &f.key == key) {
            out.push(violation(
                &format!("form.{key}"),
                "unknown_field",
                "is not a field of this service's form",
            ));
        }
    }
    for field in &definition.fields {
        let path = format!("form.{}", field.key);
        match form.get(&field.key) {
            None | Some(Value::Null) => {
                if field.required {
                    out.push(violation(&path, "required", "must be given"));
                }
            }
            Some(v) => out.extend(value(field, &path, v)),
        }
    }
    out
}

fn violation(field: &str, code: &'static str, message: &str) -> Violation {
    Violation {
        field: field.to_owned(),
        code,
        message: message.to_owned(),
    }
}

fn value(field: &Field, path: &str, v: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    match field.kind {
        FieldKind::Text => match v.as_str() {
            Some(s)
                if !s.trim().is_empty()
                    && s.chars().count() <= field.max_len.map_or(MAX_TEXT, |m| m as usize) => {}
            _ => out.push(violation(
                path,
                "invalid_text",
                "must be text, not empty, within its length",
            )),
        },
        FieldKind::Date => {
            if v.as_str()
                .and_then(|s| s.parse::<jiff::civil::Date>().ok())
                .is_none()
            {
                out.push(violation(path, "invalid_date", "must be a date YYYY-MM-DD"));
            }
        }
        FieldKind::Iin => out.extend(iin(path, v)),
        FieldKind::Choice => {
            let known = v
                .as_str()
                .is_some_and(|s| field.options.iter().any(|o| o.code == s));
            if !known {
                out.push(violation(
                    path,
                    "invalid_choice",
                    "must be one of the listed options",
                ));
            }
        }
        FieldKind::Number => match v.as_i64() {
            Some(n) if field.min.is_none_or(|lo| n >= lo) && field.max.is_none_or(|hi| n <= hi) => {
            }
            _ => out.push(violation(
                path,
                "invalid_number",
                "must be a whole number within its range",
            )),
        },
        FieldKind::Person | FieldKind::Child => {
            let Some(obj) = v.as_object() else {
                out.push(violation(
                    path,
                    "invalid_person",
                    "must be an object with name and iin",
                ));
                return out;
            };
            let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
            if !kezek_core::model::text::is_person_name(name.trim()) {
                out.push(violation(
                    &format!("{path}.name"),
                    "invalid_name",
                    "must be a person's name",
                ));
            }
            out.extend(iin(
                &format!("{path}.iin"),
                obj.get("iin").unwrap_or(&Value::Null),
            ));
            if field.kind == FieldKind::Child {
                let born = obj
                    .get("birth_date")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<jiff::civil::Date>().ok());
                if born.is_none() {
                    out.push(violation(
                        &format!("{path}.birth_date"),
                        "invalid_date",
                        "must be a date YYYY-MM-DD",
                    ));
                }
            }
            let allowed = ["name", "iin", "birth_date"];
            for key in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
                out.push(violation(
                    &format!("{path}.{key}"),
                    "unknown_field",
                    "is not a field of a person",
                ));
            }
        }
    }
    out
}

fn iin(path: &str, v: &Value) -> Option<Violation> {
    match v.as_str().map(Iin::parse) {
        Some(Ok(_)) => None,
        Some(Err(e)) => Some(violation(
            path,
            "invalid_iin",
            &format!("not a valid IIN: {e}"),
        )),
        None => Some(violation(
            path,
            "invalid_iin",
            "must be an IIN of 12 digits",
        )),
    }
}

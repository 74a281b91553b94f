//! A service as data: one TOML file per service and regional variant (`services/*.toml`),
//! naming its regulation — the form, the documents of each channel, the five steps with their
//! limits, the results and refusal grounds in Kazakh and Russian, whether it keeps a
//! register. Read and checked once ([`Definition::from_toml`]); every rule it breaks is named
//! with its path.

use crate::due::Unit;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Words in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// Who provides a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// A district's (or city's) education department or executive body.
    District,
    /// A school.
    School,
    /// A kindergarten.
    Kindergarten,
}

/// Where an application is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The provider's office.
    Office,
    /// A public service centre (ЦОН / ХҚКО), which hands the documents over by courier.
    ServiceCenter,
    /// The e-government portal.
    Portal,
}

/// Who acts at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The office's clerk (кеңсе қызметкері / сотрудник канцелярии).
    Clerk,
    /// The provider's head.
    Head,
    /// The executor the head names.
    Executor,
}

/// The kinds of form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A civil date.
    Date,
    /// An IIN.
    Iin,
    /// One of the listed options.
    Choice,
    /// A whole number.
    Number,
    /// A person: name and IIN.
    Person,
    /// A child: name, IIN and birth date.
    Child,
}

/// An option of a choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Its code.
    pub code: String,
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// A field of the application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Its key in the form (`form.{key}` in the API).
    pub key: String,
    /// Its kind.
    pub kind: FieldKind,
    /// Whether it must be given.
    #[serde(default = "yes")]
    pub required: bool,
    /// Its label.
    pub label: Words,
    /// The options of a choice.
    #[serde(default)]
    pub options: Vec<Choice>,
    /// The longest text, in characters.
    #[serde(default)]
    pub max_len: Option<u32>,
    /// The smallest number.
    #[serde(default)]
    pub min: Option<i64>,
    /// The largest number.
    #[serde(default)]
    pub max: Option<i64>,
}

fn yes() -> bool {
    true
}

/// A step of the service, with its limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `intake`, `resolution`, `work`, `sign`, `issue`.
    pub id: String,
    /// Who acts.
    pub who: Actor,
    /// The limit.
    pub limit: u32,
    /// Its unit.
    pub unit: Unit,
    /// What is done, in words.
    pub what: Words,
}

/// A limit on its own (the whole service's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// How many.
    pub limit: u32,
    /// Of what.
    pub unit: Unit,
}

/// A ground for a reasoned refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ground {
    /// Its code.
    pub code: String,
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// What the service gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// The result when granted.
    pub granted: Words,
    /// The result when refused (a reasoned refusal).
    pub refused: Words,
    /// Whether the result is paper handed over against signature (a duplicate, an order).
    #[serde(default)]
    pub paper: bool,
}

/// A service, as one regulation defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// The service's id (`adopter_registration`).
    pub id: String,
    /// The regional variant (`mangystau-2018`).
    pub variant: String,
    /// The regulation it follows, as cited.
    pub regulation: String,
    /// The service's name.
    pub name: Words,
    /// Who provides it.
    pub provider: Provider,
    /// Where it is applied for.
    pub channels: Vec<Channel>,
    /// Whether it keeps a register (the adopter candidates).
    #[serde(default)]
    pub register: bool,
    /// Working days the provider's head has to decide a complaint.
    #[serde(default = "five")]
    pub complaint_working_days: u32,
    /// The limit on the whole service, when the regulation sets one.
    #[serde(default)]
    pub whole: Option<Limit>,
    /// The form.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// The documents each channel asks for (ids of `document_words`).
    pub documents: BTreeMap<Channel, Vec<String>>,
    /// Every document's name.
    pub document_words: BTreeMap<String, Words>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The results.
    pub results: Results,
    /// The grounds of a reasoned refusal.
    pub grounds: Vec<Ground>,
    /// The grounds on which an entry leaves the register, when the service keeps one.
    #[serde(default)]
    pub register_removal: Vec<Ground>,
}

fn five() -> u32 {
    5
}

/// The steps every service has, in this order, with who acts at each.
pub const SKELETON: [(&str, Actor); 5] = [
    ("intake", Actor::Clerk),
    ("resolution", Actor::Head),
    ("work", Actor::Executor),
    ("sign", Actor::Head),
    ("issue", Actor::Clerk),
];

/// Why a definition is not accepted: every broken rule, each with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|(p, m)| format!("{p}: {m}")).collect::<Vec<_>>().join("; "))]
pub struct DefinitionError(pub Vec<(String, String)>);

impl Definition {
    /// Reads and checks a definition.
    ///
    /// # Errors
    /// Not TOML of this shape, or every rule it breaks.
    pub fn from_toml(text: &str) -> Result<Self, DefinitionError> {
        let d: Self = toml::from_str(text)
            .map_err(|e| DefinitionError(vec![("definition".into(), e.to_string())]))?;
        d.check()?;
        Ok(d)
    }

    /// The step `id`.
    #[must_use]
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    fn check(&self) -> Result<(), DefinitionError> {
        let mut bad: Vec<(String, String)> = Vec::new();
        let mut no = |path: String, why: &str| bad.push((path, why.to_owned()));
        self.check_about(&mut no);
        self.check_steps(&mut no);
        self.check_form(&mut no);
        self.check_documents(&mut no);
        if bad.is_empty() {
            Ok(())
        } else {
            Err(DefinitionError(bad))
        }
    }

    /// Its id, variant, regulation, name and channels.
    fn check_about(&self, no: &mut impl FnMut(String, &str)) {
        if !plain(&self.id) {
            no("id".into(), "must be lower-case letters, digits and _");
        }
        if !plain(&self.variant) {
            no(
                "variant".into(),
                "must be lower-case letters, digits, _ and -",
            );
        }
        if self.regulation.trim().is_empty() {
            no("regulation".into(), "must name the regulation");
        }
        words(&self.name, "name", no);
        if self.channels.is_empty() {
            no("channels".into(), "must list at least one channel");
        }
        if self.complaint_working_days == 0 {
            no("complaint_working_days".into(), "must be at least 1");
        }
    }

    /// The five steps, who acts at each, their limits.
    fn check_steps(&self, no: &mut impl FnMut(String, &str)) {
        let ids: Vec<&str> = self.steps.iter().map(|s| s.id.as_str()).collect();
        let expected: Vec<&str> = SKELETON.iter().map(|(id, _)| *id).collect();
        if ids != expected {
            no(
                "steps".into(),
                "must be intake, resolution, work, sign and issue, in this order",
            );
        }
        for (i, (step, (_, who))) in self.steps.iter().zip(SKELETON).enumerate() {
            if step.who != who {
                no(format!("steps[{i}].who"), "is not who acts at this step");
            }
            if step.limit == 0 {
                no(format!("steps[{i}].limit"), "must be at least 1");
            }
            words(&step.what, &format!("steps[{i}].what"), no);
        }
        if self.whole.is_some_and(|w| w.limit == 0) {
            no("whole.limit".into(), "must be at least 1");
        }
    }

    /// The form's fields.
    fn check_form(&self, no: &mut impl FnMut(String, &str)) {
        let mut keys = BTreeSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            if !plain(&f.key) || !keys.insert(f.key.as_str()) {
                no(
                    format!("fields[{i}].key"),
                    "must be a new key of lower-case letters, digits and _",
                );
            }
            words(&f.label, &format!("fields[{i}].label"), no);
            if (f.kind == FieldKind::Choice) == f.options.is_empty() {
                no(
                    format!("fields[{i}].options"),
                    "a choice lists its options, and only a choice",
                );
            }
            if f.min.zip(f.max).is_some_and(|(lo, hi)| lo > hi) {
                no(format!("fields[{i}].min"), "is above max");
            }
        }
    }

    /// The documents, the results and the grounds, with their words.
    fn check_documents(&self, no: &mut impl FnMut(String, &str)) {
        for (channel, docs) in &self.documents {
            if !self.channels.contains(channel) {
                no(
                    format!("documents.{channel:?}"),
                    "is not a channel of the service",
                );
            }
            if docs.iter().any(|d| !self.document_words.contains_key(d)) {
                no(
                    format!("documents.{channel:?}"),
                    "names a document without words",
                );
            }
        }
        for (id, w) in &self.document_words {
            words(w, &format!("document_words.{id}"), no);
        }
        words(&self.results.granted, "results.granted", no);
        words(&self.results.refused, "results.refused", no);
        ground_list(&self.grounds, "grounds", no);
        ground_list(&self.register_removal, "register_removal", no);
        if self.register == self.register_removal.is_empty() {
            no(
                "register_removal".into(),
                "a service that keeps a register lists the grounds an entry leaves it on, and only such a service",
            );
        }
        if self.grounds.is_empty() {
            no(
                "grounds".into(),
                "must list the grounds of a reasoned refusal",
            );
        }
    }
}

/// Grounds with new plain codes and words in both languages.
fn ground_list(list: &[Ground], path: &str, no: &mut impl FnMut(String, &str)) {
    let mut codes = BTreeSet::new();
    for (i, g) in list.iter().enumerate() {
        if !plain(&g.code) || !codes.insert(g.code.as_str()) {
            no(format!("{path}[{i}].code"), "must be a new code");
        }
        if g.kk.trim().is_empty() || g.ru.trim().is_empty() {
            no(format!("{path}[{i}]"), "needs words in Kazakh and Russian");
        }
    }
}

/// Lower-case letters, digits, `_` and `-`, not empty.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn words(w: &Words, path: &str, no: &mut impl FnMut(String, &str)) {
    if w.kk.trim().is_empty() || w.ru.trim().is_empty() {
        no(path.to_owned(), "needs words in Kazakh and Russian");
    }
}

//! Kezek's words in Kazakh and Russian — for printed documents, problem messages and the
//! console alike — looked up by kind and key in one table (`table.rs`): the titles of
//! documents (`title`), our own words for fields, headings and buttons (`text`, `t`), the
//! words of code values (`value`, `code`), and the messages of problems and field errors
//! (`problem`, `field`). A code without words shows as itself. Also: how an instant reads (the
//! authority's local date and time, to the minute), a name in the reader's language, and the
//! language a request's `Accept-Language` prefers.

mod table;

use std::collections::HashMap;
use std::sync::OnceLock;

/// A reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

impl Lang {
    /// Both, Kazakh first.
    pub const BOTH: [Lang; 2] = [Lang::Kk, Lang::Ru];

    /// The language's code (`kk`, `ru`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Kk => "kk",
            Self::Ru => "ru",
        }
    }

    /// A language from its code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "kk" => Some(Self::Kk),
            "ru" => Some(Self::Ru),
            _ => None,
        }
    }

    /// The other one.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::Kk => Self::Ru,
            Self::Ru => Self::Kk,
        }
    }
}

/// What a key of the table names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A document's kind: its title.
    Title,
    /// Our own words: a field of a printed document, a heading, a button, a hint.
    Text,
    /// A code value of the contract: a tier, a status, a channel, a ground of refusal, …
    Code,
    /// A problem's `code`.
    Problem,
    /// A field error's `code`.
    Field,
}

/// Kazakh and Russian.
pub(crate) type Both = (&'static str, &'static str);

fn pick((kk, ru): Both, lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => kk,
        Lang::Ru => ru,
    }
}

fn lookup(kind: Kind, key: &str, lang: Lang) -> Option<&'static str> {
    static INDEX: OnceLock<HashMap<(Kind, &'static str), Both>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        table::WORDS
            .iter()
            .map(|(kind, key, both)| ((*kind, *key), *both))
            .collect()
    });
    index.get(&(kind, key)).map(|both| pick(*both, lang))
}

/// The title of a document of `kind`.
#[must_use]
pub fn title(kind: &str, lang: Lang) -> Option<&'static str> {
    lookup(Kind::Title, kind, lang)
}

/// Our words for `key` (a field of a document, a heading, a button).
#[must_use]
pub fn text(key: &str, lang: Lang) -> Option<&'static str> {
    lookup(Kind::Text, key, lang)
}

/// Our words for `key`, or the key itself (a missing word shows on the page).
#[must_use]
pub fn t(key: &str, lang: Lang) -> &str {
    text(key, lang).unwrap_or(key)
}

/// The words of a code value.
#[must_use]
pub fn value(code: &str, lang: Lang) -> Option<&'static str> {
    lookup(Kind::Code, code, lang)
}

/// The words of a code value, or the code.
#[must_use]
pub fn code(code: &str, lang: Lang) -> String {
    value(code, lang).map_or_else(|| code.to_owned(), str::to_owned)
}

/// The words of a problem's `code`.
#[must_use]
pub fn problem(code: &str, lang: Lang) -> Option<&'static str> {
    lookup(Kind::Problem, code, lang)
}

/// The words of a field error's `code`: a rule of a field, or a ground of refusal as the
/// documents word it.
#[must_use]
pub fn field(code: &str, lang: Lang) -> Option<&'static str> {
    lookup(Kind::Field, code, lang).or_else(|| value(code, lang))
}

/// An age in whole years as it is said: Kazakh `4 жас`; Russian with its plural forms —
/// `1 год`, `2 года`, `5 лет`, `21 год`, `11 лет`.
#[must_use]
pub fn years(n: i64, lang: Lang) -> String {
    let word = match lang {
        Lang::Kk => "жас",
        Lang::Ru => {
            let (last, tens) = (n.rem_euclid(10), n.rem_euclid(100));
            if (11..=14).contains(&tens) {
                "лет"
            } else {
                match last {
                    1 => "год",
                    2..=4 => "года",
                    _ => "лет",
                }
            }
        }
    };
    format!("{n} {word}")
}

/// A number with `places` decimals as both languages write it: a decimal comma (`2,5`).
#[must_use]
pub fn decimal(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

/// A deadline as every page and document words it: one at local midnight reads as the day
/// before, inclusive (a family reads "until 8 December inclusive", not "until 00:00 on 9
/// December"); any other as its local date and time.
#[must_use]
pub fn deadline(at: jiff::Timestamp, offset: jiff::tz::Offset, lang: Lang) -> String {
    let local = at.to_zoned(jiff::tz::TimeZone::fixed(offset));
    if local.hour() == 0 && local.minute() == 0 {
        let day = local.date().yesterday().unwrap_or(local.date());
        format!("{} ({})", day.strftime("%d.%m.%Y"), t("inclusive", lang))
    } else {
        format!("{} ({})", local_time(at, offset), t("local_time", lang))
    }
}

/// An instant as the authority's local date and time, to the minute (`01.12.2026 17:05`).
#[must_use]
pub fn local_time(at: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    at.to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%d.%m.%Y %H:%M")
        .to_string()
}

/// A name for a reader of `lang`: its Russian one, where it has one, for a Russian reader.
#[must_use]
pub fn name_in<'a>(lang: Lang, name: &'a str, name_ru: Option<&'a str>) -> &'a str {
    match (lang, name_ru) {
        (Lang::Ru, Some(ru)) => ru,
        _ => name,
    }
}

/// The language a request's `Accept-Language` prefers among Kazakh and Russian (`None`: it
/// prefers another, or says nothing — the messages stay in English).
#[must_use]
pub fn preferred(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(f32, Option<Lang>)> = None;
    for part in accept_language.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "kk" | "kz" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            "*" | "" => continue,
            _ => None,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.and_then(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_the_russian_plural_and_numbers_a_decimal_comma() {
        let ru: Vec<String> = [1, 2, 3, 4, 5, 6, 11, 12, 14, 21, 22, 25, 101, 111]
            .map(|n| years(n, Lang::Ru))
            .to_vec();
        assert_eq!(
            ru,
            [
                "1 год",
                "2 года",
                "3 года",
                "4 года",
                "5 лет",
                "6 лет",
                "11 лет",
                "12 лет",
                "14 лет",
                "21 год",
                "22 года",
                "25 лет",
                "101 год",
                "111 лет"
            ]
        );
        assert_eq!(years(3, Lang::Kk), "3 жас");
        assert_eq!(decimal(0.0, 1), "0,0");
        assert_eq!(decimal(12.345, 2), "12,35");
    }
    use std::collections::{HashMap, HashSet};

    #[test]
    fn the_preferred_language_is_the_highest_quality_one() {
        assert_eq!(preferred("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(preferred("kk"), Some(Lang::Kk));
        assert_eq!(preferred("en, kk;q=0.5"), None);
        assert_eq!(preferred("en;q=0.4, kk-KZ;q=0.5"), Some(Lang::Kk));
        assert_eq!(preferred("*, ru;q=0"), None);
        assert_eq!(preferred(""), None);
        assert_eq!(preferred(";;;,q=,"), None);
    }

    /// A key is in the table once per kind, and a key of our own words is no code of another
    /// kind: one key, one meaning.
    #[test]
    fn a_key_means_one_thing() {
        let mut seen: HashMap<&str, Vec<Kind>> = HashMap::new();
        let mut pairs = HashSet::new();
        for (kind, key, (kk, ru)) in table::WORDS {
            assert!(pairs.insert((*kind, *key)), "{kind:?} {key} twice");
            assert!(!kk.is_empty() && !ru.is_empty(), "{key} has no words");
            seen.entry(key).or_default().push(*kind);
        }
        for (key, kinds) in seen {
            if kinds.contains(&Kind::Text) {
                assert_eq!(
                    kinds,
                    [Kind::Text],
                    "`{key}` is ours and a code of {kinds:?}"
                );
            }
        }
    }

    #[test]
    fn words_are_found_by_kind() {
        assert_eq!(
            title("referral", Lang::Ru),
            Some("Направление в дошкольную организацию")
        );
        assert_eq!(value("referral", Lang::Ru), Some("Настоящее направление"));
        assert_eq!(t("no_such_key", Lang::Kk), "no_such_key");
        assert_eq!(code("no_such_code", Lang::Kk), "no_such_code");
        assert_eq!(field("invalid_iin", Lang::Ru), Some("Неверный ИИН"));
        assert_eq!(problem("not_found", Lang::Kk), Some("Табылмады"));
        assert_eq!(Lang::parse("ru"), Some(Lang::Ru));
        assert_eq!(Lang::Kk.other().code(), "ru");
    }
}

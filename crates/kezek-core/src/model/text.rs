//! Free text people will read (names of children, applicants and kindergartens, reasons):
//! printable, with nothing invisible that could make one name look like another or reorder
//! what is shown around it, and what a message may echo of a caller's input.

/// Whether `c` may appear in a name: not a control character, not a line or paragraph
/// separator, and not an invisible formatting character — zero-width spaces and joiners,
/// direction marks, embeddings, overrides and isolates (a `U+202E` turns the rest of a line
/// around), the byte-order mark, the soft hyphen, invisible fillers, tags.
///
/// Written out by hand: it is Unicode's `Cf` (format) category plus a few invisible
/// letters, and the standard library has no general-category lookup; the ranges are those
/// of Unicode 15.1.
#[must_use]
pub fn is_visible(c: char) -> bool {
    !(c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        ))
}

/// Whether `s` holds only characters [`is_visible`] allows (spaces included).
#[must_use]
pub fn is_visible_text(s: &str) -> bool {
    s.chars().all(is_visible)
}

/// Whether `s` is a person's name: visible text ([`is_visible_text`]) with at least one
/// letter — a name of spaces, punctuation or blank symbols (`U+2800`, a braille blank) prints
/// as nothing.
#[must_use]
pub fn is_person_name(s: &str) -> bool {
    is_visible_text(s) && s.chars().any(char::is_alphabetic)
}

/// Whether `s` is the name of a place or an organisation (a kindergarten, a district, an
/// education department): visible text with at least one letter or digit (`№ 12`).
#[must_use]
pub fn is_place_name(s: &str) -> bool {
    is_visible_text(s) && s.chars().any(char::is_alphanumeric)
}

/// Whether `s` is free text people will read (a reason, grounds): at most `max` characters,
/// line breaks allowed, nothing else [`is_visible`] refuses.
#[must_use]
pub fn is_free_text(s: &str, max: usize) -> bool {
    s.chars().count() <= max && s.chars().all(|c| c == '\n' || is_visible(c))
}

/// Longest part of a caller's input a message quotes, in characters.
const QUOTED: usize = 40;

/// `s` as a message quotes it: escaped, and cut after 40 characters, so that a refusal
/// (journaled, and signed in a document) stays small whatever was sent.
#[must_use]
pub fn quoted(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(QUOTED)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(QUOTED).is_some() {
        out.push('…');
    }
    out
}

/// Deserializes a string field through `parse` without copying it into a `String` first:
/// a journal replay or a snapshot reads millions of ids and IINs, and an allocation each
/// was a fair part of the decoding.
///
/// # Errors
/// Not a string, or a string `parse` refuses (its message).
pub(crate) fn parse_str<'de, D, T, E>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: std::fmt::Display,
{
    struct Text<F>(F);
    impl<T, E: std::fmt::Display, F: FnOnce(&str) -> Result<T, E>> serde::de::Visitor<'_> for Text<F> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<X: serde::de::Error>(self, s: &str) -> Result<T, X> {
            (self.0)(s).map_err(X::custom)
        }
    }
    d.deserialize_str(Text(parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_pass_and_invisible_characters_do_not() {
        for ok in [
            "Айгерім Сәрсенова",
            "Ömer O'Neil-Smith",
            "Ли Мин",
            "ғ қ ң ө ұ ү һ і",
        ] {
            assert!(is_visible_text(ok), "{ok}");
        }
        for bad in [
            "\u{202E}evil",
            "a\u{200B}b",
            "a\u{200D}b",
            "\u{FEFF}name",
            "a\u{2066}b\u{2069}",
            "x\u{00AD}y",
            "tab\there",
            "new\nline",
            "a\u{2028}b",
            "tag\u{E0041}",
            "\u{3164}",
        ] {
            assert!(!is_visible_text(bad), "{}", bad.escape_unicode());
        }
    }

    #[test]
    fn a_name_needs_a_letter() {
        assert!(is_person_name("Ли Мин"));
        assert!(is_person_name("O'Neil"));
        for blank in ["\u{2800}\u{2800}", "...", "- -", "№ 12", "\u{3000}"] {
            assert!(!is_person_name(blank), "{}", blank.escape_unicode());
        }
        assert!(is_place_name("№ 12"));
        assert!(is_place_name("Балапан"));
        assert!(!is_place_name("\u{2800}"));
        assert!(!is_place_name("«»"));
    }

    #[test]
    fn a_quote_is_escaped_and_short() {
        assert_eq!(quoted("K1"), "K1");
        assert_eq!(quoted("a\"b\n"), "a\\\"b\\n");
        let long = "x".repeat(10_000);
        assert_eq!(quoted(&long).chars().count(), 41);
        assert!(quoted(&long).ends_with('…'));
    }
}

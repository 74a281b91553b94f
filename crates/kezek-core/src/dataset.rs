//! The city interchange format (shared `dataset/README.md`): `groups.csv` and
//! `applications.csv`. Parsing is pure (bytes in, rows out); a bad row is reported with its
//! line number, the column and the rule it breaks.

use crate::model::{ApplicationId, Category, DistrictId, GroupId, Iin, KindergartenId, Language};
use jiff::civil::Date;
use jiff::Timestamp;
use rustc_hash::{FxHashMap, FxHashSet};

/// A row that breaks a rule of the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {column}: {rule}")]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, or `row` for the row as a whole.
    pub column: String,
    /// The rule broken.
    pub rule: String,
}

fn row_err(line: u64, column: &str, rule: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.to_owned(),
        rule: rule.into(),
    }
}

/// Header of `groups.csv`.
pub const GROUPS_HEADER: &str = "kindergarten_id,district,group_id,age_years,language,free_seats";
/// Header of `applications.csv`.
pub const APPLICATIONS_HEADER: &str =
    "application_id,child_iin,birth_date,registered_at,district,language,category,preferences";

/// One row of `groups.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// Line number.
    pub line: u64,
    /// Kindergarten.
    pub kindergarten_id: KindergartenId,
    /// District.
    pub district: DistrictId,
    /// Group.
    pub group_id: GroupId,
    /// Age in full years on the cut-off date.
    pub age_years: i16,
    /// Language.
    pub language: Language,
    /// Places free now.
    pub free_seats: u32,
}

/// One row of `applications.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    /// Line number.
    pub line: u64,
    /// Application id.
    pub application_id: ApplicationId,
    /// Child's IIN.
    pub child_iin: Iin,
    /// Birth date (equal to the IIN's).
    pub birth_date: Date,
    /// Original registration time.
    pub registered_at: Timestamp,
    /// District.
    pub district: DistrictId,
    /// Language.
    pub language: Language,
    /// Category, `None` for `none`.
    pub category: Option<Category>,
    /// Kindergartens, best first.
    pub preferences: Vec<KindergartenId>,
}

/// Checks the header line and splits the rows after it into at most `parts` chunks, each
/// with the line number of its first row. Chunks end at line ends; a file with a quote
/// character anywhere is not split (a quoted field may hold a line end).
///
/// # Errors
/// A missing or wrong header.
pub fn split_rows<'a>(
    text: &'a [u8],
    header: &str,
    parts: usize,
) -> Result<Vec<(u64, &'a [u8])>, RowError> {
    if text.is_empty() {
        return Err(row_err(1, "header", format!("missing; must be `{header}`")));
    }
    let (first, body) = match text.iter().position(|b| *b == b'\n') {
        Some(i) => {
            let (first, rest) = text.split_at(i);
            (first, rest.get(1..).unwrap_or_default())
        }
        None => (text, &[][..]),
    };
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if first != header.as_bytes() {
        return Err(row_err(1, "header", format!("must be `{header}`")));
    }
    let parts = if body.contains(&b'"') {
        1
    } else {
        parts.max(1)
    };
    let mut chunks = Vec::with_capacity(parts);
    let (mut rest, mut line) = (body, 2u64);
    for i in (1..=parts).rev() {
        let cut = if i == 1 {
            rest.len()
        } else {
            let target = rest.len() / i;
            rest.get(target..)
                .and_then(|tail| tail.iter().position(|b| *b == b'\n'))
                .map_or(rest.len(), |p| target + p + 1)
        };
        let (chunk, after) = rest.split_at(cut);
        chunks.push((line, chunk));
        line += memchr::memchr_iter(b'\n', chunk).count() as u64;
        rest = after;
    }
    Ok(chunks)
}

type RowParser<T> = fn(u64, &[&str]) -> Result<T, RowError>;

/// Parses the rows of one chunk with `parse`, checking the column count.
fn parse_chunk<T>(
    chunk: &[u8],
    first_line: u64,
    columns: usize,
    parse: RowParser<T>,
) -> Result<Vec<T>, RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(chunk);
    let mut record = csv::ByteRecord::new();
    // One row a line, near enough: sized once, the rows of a million-line file are not
    // copied from one doubling to the next (each copy faults in fresh memory).
    let lines = memchr::memchr_iter(b'\n', chunk).count() + 1;
    let mut out = Vec::with_capacity(lines);
    loop {
        let at = first_line + reader.position().line() - 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(row_err(at, "row", format!("not CSV: {e}"))),
        }
        let line = record.position().map_or(at, |p| first_line + p.line() - 1);
        let mut fields: [&str; 8] = [""; 8];
        let mut n = 0;
        for f in &record {
            if let Some(slot) = fields.get_mut(n) {
                *slot = std::str::from_utf8(f).map_err(|_| row_err(line, "row", "not UTF-8"))?;
            }
            n += 1;
        }
        if n != columns {
            return Err(row_err(
                line,
                "row",
                format!("must have {columns} columns, has {n}"),
            ));
        }
        out.push(parse(line, fields.get(..n).unwrap_or_default())?);
    }
    Ok(out)
}

/// Parses a chunk of `groups.csv` rows (see [`split_rows`]).
///
/// # Errors
/// The first bad row.
pub fn parse_group_chunk(chunk: &[u8], first_line: u64) -> Result<Vec<GroupRow>, RowError> {
    parse_chunk(chunk, first_line, 6, parse_group_row)
}

/// Parses a chunk of `applications.csv` rows (see [`split_rows`]).
///
/// # Errors
/// The first bad row.
pub fn parse_application_chunk(
    chunk: &[u8],
    first_line: u64,
) -> Result<Vec<ApplicationRow>, RowError> {
    parse_chunk(chunk, first_line, 8, parse_application_row)
}

fn id<T>(
    line: u64,
    column: &str,
    s: &str,
    parse: fn(&str) -> Result<T, crate::model::IdError>,
) -> Result<T, RowError> {
    parse(s).map_err(|e| row_err(line, column, format!("`{}` {e}", s.escape_debug())))
}

fn language(line: u64, s: &str) -> Result<Language, RowError> {
    Language::parse(s).ok_or_else(|| row_err(line, "language", "must be kk or ru"))
}

/// Parses one `groups.csv` data row.
///
/// # Errors
/// The first rule the row breaks.
pub fn parse_group_row(line: u64, f: &[&str]) -> Result<GroupRow, RowError> {
    let &[kindergarten, district, group, age, lang, free] = f else {
        return Err(row_err(line, "row", "must have 6 columns"));
    };
    let age_years: i16 = age
        .parse()
        .ok()
        .filter(|a| (0..=18).contains(a))
        .ok_or_else(|| row_err(line, "age_years", "must be a whole number 0 to 18"))?;
    let free_seats: u32 = free
        .parse()
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| row_err(line, "free_seats", "must be a whole number 0 to 10000"))?;
    Ok(GroupRow {
        line,
        kindergarten_id: id(line, "kindergarten_id", kindergarten, KindergartenId::parse)?,
        district: id(line, "district", district, DistrictId::parse)?,
        group_id: id(line, "group_id", group, GroupId::parse)?,
        age_years,
        language: language(line, lang)?,
        free_seats,
    })
}

/// Parses one `applications.csv` data row.
///
/// # Errors
/// The first rule the row breaks.
pub fn parse_application_row(line: u64, f: &[&str]) -> Result<ApplicationRow, RowError> {
    let &[application, iin, birth, registered, district, lang, category, preferences] = f else {
        return Err(row_err(line, "row", "must have 8 columns"));
    };
    let application_id = id(line, "application_id", application, ApplicationId::parse)?;
    let child_iin =
        Iin::parse(iin).map_err(|e| row_err(line, "child_iin", format!("not a valid IIN: {e}")))?;
    let birth_date: Date = birth
        .parse()
        .map_err(|_| row_err(line, "birth_date", "must be a date YYYY-MM-DD"))?;
    if birth_date != child_iin.birth_date() {
        return Err(row_err(
            line,
            "birth_date",
            format!("must equal the IIN's date {}", child_iin.birth_date()),
        ));
    }
    let registered_at: Timestamp = registered
        .parse()
        .map_err(|_| row_err(line, "registered_at", "must be an RFC 3339 timestamp"))?;
    let category = match category {
        "none" => None,
        c => Some(
            Category::parse(c)
                .ok_or_else(|| row_err(line, "category", "must be `none` or a category code"))?,
        ),
    };
    let preferences = preferences
        .split(';')
        .map(|k| id(line, "preferences", k, KindergartenId::parse))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ApplicationRow {
        line,
        application_id,
        child_iin,
        birth_date,
        registered_at,
        district: id(line, "district", district, DistrictId::parse)?,
        language: language(line, lang)?,
        category,
        preferences,
    })
}

/// Parses `groups.csv`: every row, then the rules across rows (a kindergarten in one
/// district; group ids unique).
///
/// # Errors
/// The first bad row, with its line number.
pub fn parse_groups(text: &[u8]) -> Result<Vec<GroupRow>, RowError> {
    let mut rows = Vec::new();
    for (line, chunk) in split_rows(text, GROUPS_HEADER, 1)? {
        rows.extend(parse_group_chunk(chunk, line)?);
    }
    check_groups(&rows)?;
    Ok(rows)
}

/// The rules across `groups.csv` rows: a kindergarten in one district, group ids unique.
///
/// # Errors
/// The first row that breaks one.
pub fn check_groups(rows: &[GroupRow]) -> Result<(), RowError> {
    let mut district_of: FxHashMap<&KindergartenId, &DistrictId> = FxHashMap::default();
    let mut groups: FxHashSet<(&KindergartenId, &GroupId)> = FxHashSet::default();
    for r in rows {
        if let Some(d) = district_of.insert(&r.kindergarten_id, &r.district) {
            if d != &r.district {
                return Err(row_err(
                    r.line,
                    "district",
                    format!(
                        "kindergarten {} is in district {d} on an earlier line",
                        r.kindergarten_id
                    ),
                ));
            }
        }
        if !groups.insert((&r.kindergarten_id, &r.group_id)) {
            return Err(row_err(
                r.line,
                "group_id",
                format!(
                    "group {} of {} is listed twice",
                    r.group_id, r.kindergarten_id
                ),
            ));
        }
    }
    Ok(())
}

/// Parses `applications.csv`: every row, then the rules across rows (ids and children
/// unique, 1 to `max_preferences` distinct preferences).
///
/// # Errors
/// The first bad row, with its line number.
pub fn parse_applications(
    text: &[u8],
    max_preferences: usize,
) -> Result<Vec<ApplicationRow>, RowError> {
    let mut rows = Vec::new();
    for (line, chunk) in split_rows(text, APPLICATIONS_HEADER, 1)? {
        rows.extend(parse_application_chunk(chunk, line)?);
    }
    check_applications(&rows, max_preferences)?;
    Ok(rows)
}

/// [`parse_applications`] on `threads` threads: the text split at line ends, each chunk
/// parsed on a thread of its own, the rows in file order; the first bad row in file order
/// is reported, as by the serial parse.
///
/// # Errors
/// As [`parse_applications`].
pub fn parse_applications_on(
    text: &[u8],
    max_preferences: usize,
    threads: usize,
) -> Result<Vec<ApplicationRow>, RowError> {
    let chunks = split_rows(text, APPLICATIONS_HEADER, threads.max(1))?;
    let parsed: Vec<Result<Vec<ApplicationRow>, RowError>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|(line, chunk)| s.spawn(move || parse_application_chunk(chunk, *line)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    // The first part grows to hold the rest: one part fewer copied into new memory.
    let total: usize = parsed.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    let mut parts = parsed.into_iter();
    let mut rows = parts.next().transpose()?.unwrap_or_default();
    rows.reserve_exact(total - rows.len());
    for part in parts {
        rows.extend(part?);
    }
    check_applications(&rows, max_preferences)?;
    Ok(rows)
}

/// The rules across `applications.csv` rows: ids and children unique, 1 to
/// `max_preferences` distinct preferences.
///
/// # Errors
/// The first row that breaks one.
pub fn check_applications(rows: &[ApplicationRow], max_preferences: usize) -> Result<(), RowError> {
    let mut ids = FxHashSet::default();
    ids.reserve(rows.len());
    let mut children = FxHashSet::default();
    children.reserve(rows.len());
    for r in rows {
        if !ids.insert(&r.application_id) {
            return Err(row_err(
                r.line,
                "application_id",
                format!("{} is used twice", r.application_id),
            ));
        }
        if !children.insert(r.child_iin) {
            return Err(row_err(
                r.line,
                "child_iin",
                "the child has another application in the file",
            ));
        }
        if r.preferences.len() > max_preferences {
            return Err(row_err(
                r.line,
                "preferences",
                format!("at most {max_preferences} kindergartens"),
            ));
        }
        // At most `max_preferences` (<= 10) entries: pairwise is cheaper than a set.
        let p = &r.preferences;
        if p.iter()
            .enumerate()
            .any(|(i, k)| p.iter().take(i).any(|x| x == k))
        {
            return Err(row_err(
                r.line,
                "preferences",
                "a kindergarten is listed twice",
            ));
        }
    }
    Ok(())
}

mod catalog;
pub use catalog::{parse_catalog, Catalog, DISTRICTS_HEADER, KINDERGARTENS_HEADER};

#[cfg(test)]
mod tests;

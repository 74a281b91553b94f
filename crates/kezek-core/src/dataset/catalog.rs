//! The names of a city's places, two optional files next to `groups.csv` (our addition to the
//! interchange format): `districts.csv` names each district and its authority in Kazakh and
//! Russian, `kindergartens.csv` gives each kindergarten its name and street address in both
//! (the Russian ones may be empty). A city without them keeps the ids as names. Values may be quoted (names hold commas).

use super::{parse_chunk, row_err, split_rows, RowError};
use crate::event::{DistrictNames, KindergartenLabels};
use crate::model::{DistrictId, KindergartenId};
use rustc_hash::FxHashMap;

/// Header of `districts.csv`.
pub const DISTRICTS_HEADER: &str = "district,name_kk,name_ru,authority_kk,authority_ru";
/// Header of `kindergartens.csv`.
pub const KINDERGARTENS_HEADER: &str = "kindergarten_id,name_kk,name_ru,address_kk,address_ru";
/// Header of `kindergartens.csv` with the telephone numbers families call (a column added
/// later: files without it still read).
pub const KINDERGARTENS_HEADER_PHONE: &str =
    "kindergarten_id,name_kk,name_ru,address_kk,address_ru,phone";

/// Longest name or address, in characters (as the API allows).
const MAX_TEXT: usize = 200;

/// The names of a city's places.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Each named district, in file order.
    pub districts: Vec<(DistrictId, DistrictNames)>,
    /// Each named kindergarten's name, and its Russian name and addresses.
    pub kindergartens: FxHashMap<KindergartenId, (String, KindergartenLabels)>,
}

fn text(line: u64, column: &str, s: &str, required: bool) -> Result<String, RowError> {
    let s = s.trim();
    if (required && s.is_empty())
        || s.chars().count() > MAX_TEXT
        || !(s.is_empty() || crate::model::text::is_visible_text(s))
    {
        return Err(row_err(
            line,
            column,
            "must be 1 to 200 printable characters, none of them invisible",
        ));
    }
    Ok(s.to_owned())
}

fn district_row(line: u64, f: &[&str]) -> Result<(u64, DistrictId, DistrictNames), RowError> {
    let &[id, name_kk, name_ru, authority_kk, authority_ru] = f else {
        return Err(row_err(line, "row", "must have 5 columns"));
    };
    let id = DistrictId::parse(id)
        .map_err(|e| row_err(line, "district", format!("`{}` {e}", id.escape_debug())))?;
    Ok((
        line,
        id,
        DistrictNames {
            name_kk: text(line, "name_kk", name_kk, true)?,
            name_ru: text(line, "name_ru", name_ru, true)?,
            authority_kk: text(line, "authority_kk", authority_kk, true)?,
            authority_ru: text(line, "authority_ru", authority_ru, true)?,
        },
    ))
}

type KindergartenRow = (u64, KindergartenId, (String, KindergartenLabels));

fn kindergarten_row(line: u64, f: &[&str]) -> Result<KindergartenRow, RowError> {
    let (&[id, name, name_ru, address, address_ru], phone) = (f.get(..5).unwrap_or(f), f.get(5))
    else {
        return Err(row_err(
            line,
            "row",
            "must have 5 columns, or 6 with the phone",
        ));
    };
    let id = KindergartenId::parse(id).map_err(|e| {
        row_err(
            line,
            "kindergarten_id",
            format!("`{}` {e}", id.escape_debug()),
        )
    })?;
    let optional = |column: &str, value: &str| {
        text(line, column, value, false).map(|v| (!v.is_empty()).then_some(v))
    };
    Ok((
        line,
        id,
        (
            text(line, "name_kk", name, true)?,
            KindergartenLabels {
                name_ru: optional("name_ru", name_ru)?,
                address: optional("address_kk", address)?,
                address_ru: optional("address_ru", address_ru)?,
                phone: match phone {
                    Some(p) => optional("phone", p)?
                        .map(|p| {
                            if KindergartenLabels::is_phone(&p) {
                                Ok(p)
                            } else {
                                Err(row_err(
                                    line,
                                    "phone",
                                    "not a telephone number: + and 5 to 15 digits",
                                ))
                            }
                        })
                        .transpose()?,
                    None => None,
                },
            },
        ),
    ))
}

/// Parses `districts.csv` and `kindergartens.csv` (either may be absent); an id named twice
/// is an error.
///
/// # Errors
/// The first bad row, with the file's name.
pub fn parse_catalog(
    districts: Option<&[u8]>,
    kindergartens: Option<&[u8]>,
) -> Result<Catalog, (&'static str, RowError)> {
    let mut catalog = Catalog::default();
    if let Some(text) = districts {
        let err = |e| ("districts.csv", e);
        for (line, chunk) in split_rows(text, DISTRICTS_HEADER, 1).map_err(err)? {
            for (at, id, names) in parse_chunk(chunk, line, 5, district_row).map_err(err)? {
                if catalog.districts.iter().any(|(d, _)| *d == id) {
                    return Err(err(row_err(at, "district", "named twice")));
                }
                catalog.districts.push((id, names));
            }
        }
    }
    if let Some(text) = kindergartens {
        let err = |e| ("kindergartens.csv", e);
        let (header, columns) = if text.starts_with(KINDERGARTENS_HEADER_PHONE.as_bytes()) {
            (KINDERGARTENS_HEADER_PHONE, 6)
        } else {
            (KINDERGARTENS_HEADER, 5)
        };
        for (line, chunk) in split_rows(text, header, 1).map_err(err)? {
            for (at, id, names) in
                parse_chunk(chunk, line, columns, kindergarten_row).map_err(err)?
            {
                if catalog.kindergartens.insert(id, names).is_some() {
                    return Err(err(row_err(at, "kindergarten_id", "named twice")));
                }
            }
        }
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_column_reads_and_a_bad_number_names_its_line() {
        let k = "kindergarten_id,name_kk,name_ru,address_kk,address_ru,phone\nK1,Айгөлек,,,,+7 727 300 01 37\nK2,Балапан,,,,\n";
        let c = parse_catalog(None, Some(k.as_bytes())).unwrap();
        let id = |s: &str| KindergartenId::parse(s).unwrap();
        assert_eq!(
            c.kindergartens[&id("K1")].1.phone.as_deref(),
            Some("+7 727 300 01 37")
        );
        assert_eq!(c.kindergartens[&id("K2")].1.phone, None);
        let bad =
            "kindergarten_id,name_kk,name_ru,address_kk,address_ru,phone\nK1,Айгөлек,,,,call us\n";
        let (file, e) = parse_catalog(None, Some(bad.as_bytes())).unwrap_err();
        assert_eq!(
            (file, e.line, e.column.as_str()),
            ("kindergartens.csv", 2, "phone")
        );
    }

    #[test]
    fn parses_quoted_names_and_an_empty_address() {
        let d = "district,name_kk,name_ru,authority_kk,authority_ru\nD01,Алмалы ауданы,Алмалинский район,\"Алмалы ауданының білім бөлімі\",\"Отдел образования Алмалинского района\"\n";
        let k = "kindergarten_id,name_kk,name_ru,address_kk,address_ru\nK1,\"«Балдырған», №12 бөбекжай\",\"Ясли-сад №12 «Балдырган»\",\"Абай даңғылы, 10\",\"проспект Абая, 10\"\nK2,Айгөлек,,,\n";
        let c = parse_catalog(Some(d.as_bytes()), Some(k.as_bytes())).unwrap();
        assert_eq!(c.districts.len(), 1);
        assert_eq!(c.districts[0].1.name_ru, "Алмалинский район");
        let k1 = &c.kindergartens[&KindergartenId::parse("K1").unwrap()];
        assert_eq!(k1.0, "«Балдырған», №12 бөбекжай");
        assert_eq!(k1.1.address.as_deref(), Some("Абай даңғылы, 10"));
        assert_eq!(k1.1.address_ru.as_deref(), Some("проспект Абая, 10"));
        assert_eq!(k1.1.name_ru.as_deref(), Some("Ясли-сад №12 «Балдырган»"));
        assert_eq!(
            c.kindergartens[&KindergartenId::parse("K2").unwrap()].1,
            KindergartenLabels::default()
        );
    }

    #[test]
    fn names_a_bad_row_by_file_line_and_column() {
        let k = "kindergarten_id,name_kk,name_ru,address_kk,address_ru\nK1,ok,,,\nK2,,,street,\n";
        let (file, e) = parse_catalog(None, Some(k.as_bytes())).unwrap_err();
        assert_eq!(
            (file, e.line, e.column.as_str()),
            ("kindergartens.csv", 3, "name_kk")
        );
        let d = "district,name_kk,name_ru,authority_kk,authority_ru\nD1,a,b,c,d\nD1,a,b,c,d\n";
        let (file, e) = parse_catalog(Some(d.as_bytes()), None).unwrap_err();
        assert_eq!(
            (file, e.line, e.column.as_str()),
            ("districts.csv", 3, "district")
        );
        let zw = "kindergarten_id,name_kk,name_ru,address_kk,address_ru\nK1,a,a\u{200b}b,,\n";
        assert!(parse_catalog(None, Some(zw.as_bytes())).is_err());
    }
}

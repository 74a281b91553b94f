use super::*;
use std::fmt::Write;

const GROUPS: &str = "kindergarten_id,district,group_id,age_years,language,free_seats\nK1,D01,G1,2,kk,0\nK1,D01,G2,3,ru,2\n";
const APPS: &str = "application_id,child_iin,birth_date,registered_at,district,language,category,preferences\nA1,210821548976,2021-08-21,2021-10-28T01:15:44Z,D03,kk,large_family,K000011\nA2,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,K1;K2\n";

#[test]
fn good_files_parse() {
    let g = parse_groups(GROUPS.as_bytes()).unwrap();
    assert_eq!(g.len(), 2);
    assert_eq!(g[1].free_seats, 2);
    assert_eq!(g[1].line, 3);
    let a = parse_applications(APPS.as_bytes(), 3).unwrap();
    assert_eq!(a[1].preferences.len(), 2);
    assert_eq!(a[1].category, None);
}

fn app_error(row: &str) -> RowError {
    let text = format!("{APPLICATIONS_HEADER}\nA0,210821548976,2021-08-21,2021-10-28T01:15:44Z,D03,kk,none,K1\n{row}\n");
    parse_applications(text.as_bytes(), 3).unwrap_err()
}

#[test]
fn bad_rows_name_line_and_rule() {
    let e = app_error("A1,220610571995,2022-06-11,2023-01-24T17:37:56Z,D08,kk,none,K1");
    assert_eq!((e.line, e.column.as_str()), (3, "birth_date"));
    let e = app_error("A1,220610571996,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,K1");
    assert_eq!(e.column, "child_iin");
    assert!(e.rule.contains("control digit"), "{e}");
    let e = app_error("A1,220610571995,2022-06-10,yesterday,D08,kk,none,K1");
    assert_eq!(e.column, "registered_at");
    let e = app_error("A1,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,en,none,K1");
    assert_eq!(e.column, "language");
    let e = app_error("A1,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,K1;K1");
    assert_eq!(e.column, "preferences");
    let e = app_error("A1,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,K1;K2;K3;K4");
    assert_eq!(e.column, "preferences");
    let e = app_error("A1,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,");
    assert_eq!(e.column, "preferences");
    let e = app_error("A0,220610571995,2022-06-10,2023-01-24T17:37:56Z,D08,kk,none,K1");
    assert_eq!(e.column, "application_id");
    let e = app_error("A1,210821548976,2021-08-21,2023-01-24T17:37:56Z,D08,kk,none,K1");
    assert_eq!(e.column, "child_iin");
    let e = app_error("A1,220610571995");
    assert_eq!((e.line, e.column.as_str()), (3, "row"));
    assert_eq!(e.to_string(), "line 3: row: must have 8 columns, has 2");
}

#[test]
fn bad_group_files() {
    let e = parse_groups(b"kindergarten_id,district\nK1,D1\n").unwrap_err();
    assert_eq!((e.line, e.column.as_str()), (1, "header"));
    let e = parse_groups(format!("{GROUPS}K1,D02,G3,2,kk,0\n").as_bytes()).unwrap_err();
    assert_eq!((e.line, e.column.as_str()), (4, "district"));
    let e = parse_groups(format!("{GROUPS}K1,D01,G2,2,kk,0\n").as_bytes()).unwrap_err();
    assert_eq!(e.column, "group_id");
    let e = parse_groups(format!("{GROUPS}K2,D01,G3,-1,kk,0\n").as_bytes()).unwrap_err();
    assert_eq!(e.column, "age_years");
    let e = parse_groups(b"").unwrap_err();
    assert_eq!(e.column, "header");
    let mut bytes = format!("{GROUPS}K2,D01,G3,2,kk,").into_bytes();
    bytes.extend_from_slice(b"\xff\n");
    let e = parse_groups(&bytes).unwrap_err();
    assert_eq!(e.rule, "not UTF-8");
}

#[test]
fn the_shared_sample_parses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
    let g = std::fs::read(format!("{dir}/groups.csv")).unwrap();
    let a = std::fs::read(format!("{dir}/applications.csv")).unwrap();
    assert!(!parse_groups(&g).unwrap().is_empty());
    assert_eq!(parse_applications(&a, 3).unwrap().len(), 300);
}

#[test]
fn split_chunks_keep_line_numbers() {
    let mut text = String::from(APPLICATIONS_HEADER);
    text.push('\n');
    for n in 0..50 {
        let _ = writeln!(
            text,
            "A{n},210821548976,2021-08-21,2021-10-28T01:15:44Z,D03,kk,none,K1"
        );
    }
    text = text.replacen(
        "A37,210821548976,2021-08-21",
        "A37,210821548976,2021-08-22",
        1,
    );
    for parts in 1..5 {
        let chunks = split_rows(text.as_bytes(), APPLICATIONS_HEADER, parts).unwrap();
        assert_eq!(chunks.len(), parts);
        let first_error = chunks
            .iter()
            .find_map(|(line, c)| parse_application_chunk(c, *line).err())
            .unwrap();
        assert_eq!(
            (first_error.line, first_error.column.as_str()),
            (39, "birth_date")
        );
        let total: usize = chunks
            .iter()
            .map(|(_, c)| memchr::memchr_iter(b'\n', c).count())
            .sum();
        assert_eq!(total, 50);
    }
}

#[test]
fn parsed_on_several_threads_equals_parsed_on_one() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
    let a = std::fs::read(format!("{dir}/applications.csv")).unwrap();
    let serial = parse_applications(&a, 3).unwrap();
    for threads in 1..=5 {
        let parallel = parse_applications_on(&a, 3, threads).unwrap();
        assert_eq!(
            format!("{parallel:?}"),
            format!("{serial:?}"),
            "{threads} threads"
        );
    }
    // Two bad rows in different chunks: the first in file order is the one reported.
    let mut text = String::from_utf8(a).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (early, late) = (lines[40].to_owned(), lines[260].to_owned());
    text = text
        .replacen(
            &early,
            &early
                .replacen(",kk,", ",xx,", 1)
                .replacen(",ru,", ",xx,", 1),
            1,
        )
        .replacen(&late, &late.replacen(",D0", ",", 1), 1);
    let e = parse_applications_on(text.as_bytes(), 3, 4).unwrap_err();
    assert_eq!(e.line, 41, "{e}");
    assert_eq!(e, parse_applications(text.as_bytes(), 3).unwrap_err());
}

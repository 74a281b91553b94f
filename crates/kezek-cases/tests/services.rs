//! The definitions in `services/` load, and their steps are the regulations' (as the table of
//! the issue that brought them in reads them).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]

use kezek_cases::definition::{Actor, Channel, Provider};
use kezek_cases::{Definition, Unit};
use std::path::Path;

fn load(file: &str) -> Definition {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../services")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    Definition::from_toml(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn steps(d: &Definition) -> Vec<(u32, Unit)> {
    d.steps.iter().map(|s| (s.limit, s.unit)).collect()
}

use Unit::{CalendarDays as Cd, Hours as H, Minutes as M, WorkingDays as Wd};

/// A row of the table: file, service id, provider, channels, the five steps, the whole limit.
type Row = (
    &'static str,
    &'static str,
    Provider,
    &'static [Channel],
    [(u32, Unit); 5],
    Option<(u32, Unit)>,
);

#[test]
fn every_definition_loads_with_the_regulations_steps() {
    let table: [Row; 6] = [
        (
            "adopter_registration.mangystau-2018.toml",
            "adopter_registration",
            Provider::District,
            &[Channel::Office, Channel::Portal],
            [(15, M), (15, M), (13, Cd), (1, Cd), (15, M)],
            None,
        ),
        (
            "education_document_duplicate.atyrau-2014.toml",
            "education_document_duplicate",
            Provider::School,
            &[Channel::Office, Channel::ServiceCenter],
            [(15, M), (15, M), (29, Cd), (15, M), (1, Cd)],
            None,
        ),
        (
            "education_document_duplicate.east-kazakhstan-2014.toml",
            "education_document_duplicate",
            Provider::School,
            &[Channel::Office, Channel::ServiceCenter],
            [(15, M), (2, H), (25, Cd), (1, H), (15, M)],
            Some((30, Cd)),
        ),
        (
            "externat_permission.atyrau-2014.toml",
            "externat_permission",
            Provider::District,
            &[Channel::Office],
            [(15, M), (15, M), (14, Wd), (15, M), (15, M)],
            None,
        ),
        (
            "externat_permission.east-kazakhstan-2014.toml",
            "externat_permission",
            Provider::District,
            &[Channel::Office],
            [(15, M), (3, H), (12, Wd), (15, M), (15, M)],
            Some((15, Wd)),
        ),
        (
            "school_admission.atyrau-2014.toml",
            "school_admission",
            Provider::School,
            &[Channel::Office, Channel::Portal],
            [(15, M), (5, M), (5, M), (15, M), (15, M)],
            None,
        ),
    ];
    let on_disk = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml"))
        })
        .count();
    assert_eq!(on_disk, table.len(), "every definition is read back here");
    for (file, id, provider, channels, expected, whole) in table {
        let d = load(file);
        assert_eq!(d.id, id, "{file}");
        assert!(
            file.starts_with(&format!("{}.{}", d.id, d.variant)),
            "{file} is named by its id and variant"
        );
        assert_eq!(d.provider, provider, "{file}");
        assert_eq!(d.channels, channels, "{file}");
        assert_eq!(steps(&d), expected, "{file}");
        assert_eq!(d.whole.map(|w| (w.limit, w.unit)), whole, "{file}");
        let who: Vec<Actor> = d.steps.iter().map(|s| s.who).collect();
        assert_eq!(
            who,
            [
                Actor::Clerk,
                Actor::Head,
                Actor::Executor,
                Actor::Head,
                Actor::Clerk
            ]
        );
        assert_eq!(d.register, id == "adopter_registration", "{file}");
        assert_eq!(d.register, !d.register_removal.is_empty(), "{file}");
        for docs in d.documents.values() {
            assert!(!docs.is_empty(), "{file}");
        }
    }
}

#[test]
fn a_broken_definition_names_every_rule_it_breaks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../services/school_admission.atyrau-2014.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let broken = text
        .replace("id = \"resolution\"", "id = \"approval\"")
        .replace("limit = 5\n", "limit = 0\n")
        .replace(
            "portal = [\"application\"",
            "portal = [\"selfie\", \"application\"",
        );
    let e = Definition::from_toml(&broken).unwrap_err().to_string();
    assert!(
        e.contains("steps: must be intake, resolution, work, sign and issue"),
        "{e}"
    );
    assert!(e.contains("steps[1].limit: must be at least 1"), "{e}");
    assert!(
        e.contains("documents.Portal: names a document without words"),
        "{e}"
    );
    // A register lists the grounds an entry leaves it on; a service without one lists none.
    let keeps = text.replace(
        "provider = \"school\"",
        "provider = \"school\"\nregister = true",
    );
    assert!(Definition::from_toml(&keeps)
        .unwrap_err()
        .to_string()
        .contains("register_removal: a service that keeps a register lists the grounds"));
    let unknown = text.replace(
        "provider = \"school\"",
        "provider = \"school\"\ncolour = \"red\"",
    );
    assert!(Definition::from_toml(&unknown)
        .unwrap_err()
        .to_string()
        .contains("colour"));
}

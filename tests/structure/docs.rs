//! What a document names in backticks, checked against the repository: a path (`crates/…`,
//! `src/…`, `docs/…`, …) must exist, and a symbol — a Rust path (`App::reads`,
//! `kezek_core::State`) or a type's name (`Reads`) — must be defined: every segment a crate, a
//! module, a type, a trait, a function, a constant or an enum variant of the sources.

use std::collections::BTreeSet;
use std::path::Path;

/// Where paths the documents name may start.
const ROOTS: [&str; 10] = [
    "crates/",
    "src/",
    "docs/",
    "tests/",
    "policies/",
    "benches/",
    "fuzz/",
    "tools/",
    ".ci/",
    "data/",
];

/// The crates the workspace depends on (`Cargo.lock`), as code names them: a path that starts
/// with one is theirs to define.
fn dependencies(root: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(root.join("Cargo.lock"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"').replace('-', "_"))
        .chain(["std", "core", "alloc"].map(str::to_owned))
        .collect()
}

/// Every name the sources define: crates, modules (files, directories, `mod x`), and what
/// `fn`, `struct`, `enum`, `trait`, `type`, `const`, `static`, `macro_rules!` and enum
/// variants name.
fn defined(root: &Path) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = super::crates().into_iter().map(|(n, _)| n).collect();
    let mut files = super::rust_files(&root.join("crates"));
    files.extend(super::rust_files(&root.join("src")));
    files.extend(super::rust_files(&root.join("tests")));
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        names.insert(stem);
        if let Some(dir) = f.parent().and_then(Path::file_name) {
            names.insert(dir.to_string_lossy().into_owned());
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_enum = false;
        for line in text.lines() {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!'))
                .filter(|w| !w.is_empty())
                .collect();
            for pair in words.windows(2) {
                if matches!(
                    pair[0],
                    "fn" | "struct"
                        | "enum"
                        | "trait"
                        | "type"
                        | "const"
                        | "static"
                        | "mod"
                        | "macro_rules!"
                ) {
                    names.insert(pair[1].to_owned());
                }
            }
            let trimmed = line.trim();
            // A name alone on its line: an enum variant, or the name a macro defines
            // (`id_type!(ApplicationId)`, `dense_index!(AppIx)`).
            let alone = trimmed.trim_end_matches(',');
            if alone.chars().next().is_some_and(char::is_uppercase)
                && alone.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                names.insert(alone.to_owned());
            }
            if trimmed.contains("enum ") && trimmed.ends_with('{') {
                in_enum = true;
            } else if in_enum && trimmed == "}" {
                in_enum = false;
            } else if in_enum {
                if let Some(first) = words.first() {
                    if first.chars().next().is_some_and(char::is_uppercase) {
                        names.insert((*first).to_owned());
                    }
                }
            }
        }
        // Names made by the code's own macros (`roles! { Staff = [...]; }`, `code_enum!`).
        for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if w.chars().next().is_some_and(char::is_uppercase)
                && text.contains(&format!("    {w} = ["))
            {
                names.insert(w.to_owned());
            }
        }
    }
    names
}

/// Whether `span` is a Rust symbol to check: a path with `::`, one name in CamelCase, or a
/// function named in four words or more.
fn symbol(span: &str) -> Option<Vec<&str>> {
    let span = span.trim_end_matches("()");
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if span.contains("::") {
        let segs: Vec<&str> = span.split("::").collect();
        return segs.iter().all(|s| ident(s)).then_some(segs);
    }
    let camel = ident(span)
        && span.chars().next().is_some_and(char::is_uppercase)
        && span.chars().any(char::is_lowercase);
    // A function named in words (a test: `a_refused_command_changes_nothing`), not a field
    // of a document (`as_of_seq`).
    let named_fn = ident(span) && span.matches('_').count() >= 3;
    (camel || named_fn).then(|| vec![span])
}

/// What `doc` names in backticks that does not exist under `root`.
pub fn missing(doc: &str, root: &Path) -> Vec<String> {
    let names = defined(root);
    let external = dependencies(root);
    let mut out = Vec::new();
    let mut in_block = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 0 || span.is_empty() || span.contains(' ') {
                continue;
            }
            if ROOTS.iter().any(|r| span.starts_with(r)) {
                let path = span.trim_end_matches('/');
                if !root.join(path).exists() {
                    out.push(format!("path {span}"));
                }
            } else if let Some(segs) = symbol(span) {
                if segs.len() > 1 && external.contains(segs[0]) {
                    continue;
                }
                for s in segs {
                    if s != "crate" && s != "self" && !names.contains(s) {
                        out.push(format!("symbol {span} ({s})"));
                        break;
                    }
                }
            }
        }
    }
    out
}

#[test]
fn a_missing_path_or_symbol_is_named() {
    let root = super::root();
    let doc = "`crates/kezek-core/src/lib.rs` and `crates/nowhere.rs`;\n`App::reads`, `App::no_such_fn`, `NoSuchType`, `kezek_core::State`, `--flag`, `registered`";
    assert_eq!(
        missing(doc, &root),
        [
            "path crates/nowhere.rs",
            "symbol App::no_such_fn (no_such_fn)",
            "symbol NoSuchType (NoSuchType)"
        ]
    );
}

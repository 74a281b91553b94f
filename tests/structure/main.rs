//! The layout the architecture document promises, checked against the code: no module of a
//! crate imports, through a chain of others, a module that imports it (no circle, as a graph
//! of files and as a graph of each crate's top-level modules); no crate depends on the
//! console but the node crate; the console's pages read nothing of the core's `State`; and
//! every path and symbol `docs/architecture.md` names exists. Read from the sources as text
//! (what `use` lines and `crate::…` paths say), so it needs nothing but the repository.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]

mod docs;
mod modules;

use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The library crates of the workspace and the binary: (name as code says it, `src/`).
fn crates() -> Vec<(String, PathBuf)> {
    let mut out = vec![("kezek".to_owned(), root().join("src"))];
    for e in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().replace('-', "_");
        out.push((name, e.path().join("src")));
    }
    out.sort();
    out
}

#[test]
fn no_module_circle_in_any_crate() {
    let mut found = Vec::new();
    for (name, src) in crates() {
        let graph = modules::Graph::of(&src);
        for circle in graph.file_circles() {
            found.push(format!("{name}: files {}", circle.join(" -> ")));
        }
        for circle in graph.top_level_circles() {
            found.push(format!("{name}: modules {}", circle.join(" -> ")));
        }
    }
    assert!(found.is_empty(), "module circles:\n{}", found.join("\n"));
}

#[test]
fn only_the_node_crate_depends_on_the_console() {
    for e in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
        let manifest = std::fs::read_to_string(e.path().join("Cargo.toml")).unwrap();
        let deps = manifest
            .split("\n[")
            .find(|s| s.starts_with("dependencies]"))
            .unwrap_or_default();
        let name = e.file_name().to_string_lossy().into_owned();
        if deps.contains("kezek-console") {
            assert_eq!(name, "kezek-node", "{name} depends on kezek-console");
        }
    }
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("\n[")
        .find(|s| s.starts_with("dependencies]"))
        .unwrap();
    assert!(
        !deps.contains("kezek-console"),
        "the binary wires the console through kezek-node"
    );
}

#[test]
fn the_console_pages_read_nothing_of_the_core_state() {
    let pages = root().join("crates/kezek-console/src/pages");
    let files = rust_files(&pages);
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let named = code.contains("kezek_core::State")
                || code.contains("kezek_core::state")
                || (code.contains("use kezek_core::{") && code.contains("State"));
            assert!(!named, "{}:{}: {line}", f.display(), i + 1);
        }
    }
}

#[test]
fn the_app_is_extended_only_by_its_machinery_and_its_operations() {
    let src = root().join("crates/kezek-app/src");
    let mut blocks = 0;
    for f in rust_files(&src) {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with("impl App {") || t.starts_with("impl Reads<") {
                blocks += 1;
                let machinery = (rel.starts_with("app/") && t.starts_with("impl App {"))
                    || rel == "app/read.rs";
                assert!(
                    machinery || rel.starts_with("ops/"),
                    "{rel}: {t} (impl App belongs in app/ or ops/, impl Reads in ops/)"
                );
            }
        }
    }
    assert!(blocks > 10, "{blocks} blocks");
}

#[test]
fn every_path_and_symbol_the_architecture_names_exists() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let missing = docs::missing(&doc, &root());
    assert!(
        missing.is_empty(),
        "docs/architecture.md names what does not exist:\n{}",
        missing.join("\n")
    );
    let invariants = doc.matches("**Invariant:**").count();
    assert!(invariants >= 10, "{invariants} invariants");
}

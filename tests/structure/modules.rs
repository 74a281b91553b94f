//! A crate's modules and what each imports of the others, read from its sources: every `use`
//! and every `crate::…`/`super::…` path, resolved to the module that defines it (following
//! the `pub use` re-exports of the module it names). A module and its own ancestors are not
//! an import of each other: a parent declares its children, and a child may use its parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path inside the crate (`app::write`; empty for the crate root).
type Module = String;

/// The modules of a crate and the imports between them.
pub struct Graph {
    /// Each module's imports of other modules (neither an ancestor nor a descendant).
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

/// The module a source file is (`src/app/mod.rs` → `app`).
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The source without comments and string literals (a path in a doc comment or a message
/// is no import).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal ('"', '\'') would open a string above; a lifetime is left as is.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') || rest.chars().nth(1) == Some('\'') {
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                    out.push_str("' '");
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a `use` tree names, its braces expanded (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn expand(tree: &str) -> Vec<String> {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![squeeze(tree.split(" as ").next().unwrap_or_default())];
    };
    let prefix = squeeze(&tree[..open]);
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| {
            let prefix = prefix.clone();
            expand(p).into_iter().map(move |x| format!("{prefix}{x}"))
        })
        .collect()
}

/// The paths module `here`'s code names, relative to the crate root (segments), with whether
/// each came from a `pub use`.
fn paths(code: &str, here: &str, modules: &BTreeSet<Module>) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut rest = code;
    // `use` statements (their trees may span lines).
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let is_start = before
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}');
        let public = before.trim_end().ends_with("pub") || before.trim_end().ends_with(')');
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if is_start {
            for p in expand(&after[..end]) {
                out.push((p, public));
            }
        }
        rest = &after[end.min(after.len())..];
    }
    // Paths in the code itself.
    for prefix in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(prefix) {
            let start = from + i;
            let preceded = code[..start]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let len = code[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(code.len() - start);
            if !preceded {
                out.push((code[start..start + len].to_owned(), false));
            }
            from = start + len.max(1);
        }
    }
    out.into_iter()
        .filter_map(|(p, public)| {
            // `use child::X` names a child of this module (paths are relative in a `use`).
            let first = p.split("::").next().unwrap_or_default();
            let child = if here.is_empty() {
                first.to_owned()
            } else {
                format!("{here}::{first}")
            };
            let p = if modules.contains(&child) && !matches!(first, "crate" | "super" | "self") {
                format!("self::{p}")
            } else {
                p
            };
            resolve_relative(&p, here).map(|segs| (segs, public))
        })
        .collect()
}

/// `path` as segments from the crate root, for a path written in module `here`; `None` for a
/// path of another crate.
fn resolve_relative(path: &str, here: &str) -> Option<Vec<String>> {
    let mut segs: Vec<String> = path
        .trim_end_matches("::")
        .split("::")
        .enumerate()
        .filter(|(i, s)| !s.is_empty() && *s != "*" && !(*i > 0 && *s == "self"))
        .map(|(_, s)| s.to_owned())
        .collect();
    let mut base: Vec<String> = if here.is_empty() {
        Vec::new()
    } else {
        here.split("::").map(str::to_owned).collect()
    };
    match segs.first().map(String::as_str) {
        Some("crate") => {
            segs.remove(0);
            Some(segs)
        }
        Some("super") => {
            while segs.first().map(String::as_str) == Some("super") {
                segs.remove(0);
                base.pop();
            }
            base.extend(segs);
            Some(base)
        }
        Some("self") => {
            segs.remove(0);
            base.extend(segs);
            Some(base)
        }
        _ => None,
    }
}

fn is_within(a: &str, b: &str) -> bool {
    a == b || b.is_empty() || a.starts_with(&format!("{b}::"))
}

impl Graph {
    /// The graph of the crate whose sources are in `src`.
    pub fn of(src: &Path) -> Self {
        // Tests import what they test: not part of the layout.
        let files: Vec<_> = super::rust_files(src)
            .into_iter()
            .filter(|f| {
                !f.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
                    && !f.components().any(|c| c.as_os_str() == "tests")
            })
            .collect();
        let modules: BTreeSet<Module> = files.iter().map(|f| module_of(src, f)).collect();
        let mut named: BTreeMap<Module, Vec<(Vec<String>, bool)>> = BTreeMap::new();
        for f in &files {
            let here = module_of(src, f);
            let text = std::fs::read_to_string(f).unwrap();
            // A file's tests come last, behind `#[cfg(test)]`.
            let code = code_of(
                text.split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or_default(),
            );
            named
                .entry(here.clone())
                .or_default()
                .extend(paths(&code, &here, &modules));
        }
        // What each module re-exports: (module, name) → the path it stands for.
        let mut exports: BTreeMap<(Module, String), Vec<String>> = BTreeMap::new();
        for (m, paths) in &named {
            for (p, public) in paths {
                if *public {
                    if let Some(last) = p.last() {
                        exports.insert((m.clone(), last.clone()), p.clone());
                    }
                }
            }
        }
        let resolve = |segs: &[String]| -> Option<Module> {
            let mut segs = segs.to_vec();
            for _ in 0..8 {
                let mut depth = segs.len();
                while depth > 0 && !modules.contains(&segs[..depth].join("::")) {
                    depth -= 1;
                }
                let module = segs[..depth].join("::");
                match segs.get(depth) {
                    Some(name) => match exports.get(&(module.clone(), name.clone())) {
                        Some(target) if target != &segs => {
                            let mut next = target.clone();
                            next.extend(segs[depth + 1..].iter().cloned());
                            segs = next;
                        }
                        _ => return Some(module),
                    },
                    None => return Some(module),
                }
            }
            None
        };
        let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (here, paths) in &named {
            for (p, _) in paths {
                let Some(to) = resolve(p) else { continue };
                if is_within(here, &to) || is_within(&to, here) {
                    continue;
                }
                edges.entry(here.clone()).or_default().insert(to);
            }
        }
        Self { edges }
    }

    /// The circles among the crate's files.
    pub fn file_circles(&self) -> Vec<Vec<Module>> {
        circles(&self.edges)
    }

    /// The circles among the crate's top-level modules (an import from anywhere inside one
    /// to anywhere inside another is an arrow between the two).
    pub fn top_level_circles(&self) -> Vec<Vec<Module>> {
        let top = |m: &str| m.split("::").next().unwrap_or_default().to_owned();
        let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (from, tos) in &self.edges {
            for to in tos {
                let (a, b) = (top(from), top(to));
                if a != b && !a.is_empty() && !b.is_empty() {
                    edges.entry(a).or_default().insert(b);
                }
            }
        }
        circles(&edges)
    }
}

/// The strongly connected components of more than one node (Tarjan's algorithm), each as
/// its nodes in order.
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            if let Some(tos) = self.edges.get(v) {
                for w in tos {
                    let w = w.as_str();
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn a_circle_is_found_and_a_parent_child_pair_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a; mod b; pub use a::A;").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod c;\npub use c::C;\nuse crate::b::B; // crate::x in a comment\npub struct A;",
    )
    .unwrap();
    std::fs::write(src.join("a/c.rs"), "use super::A; pub struct C;").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct B; fn f() -> crate::A { let _ = \"crate::zz\"; crate::A }",
    )
    .unwrap();
    let g = Graph::of(src);
    assert_eq!(g.file_circles(), vec![vec!["a".to_owned(), "b".to_owned()]]);
    assert_eq!(g.top_level_circles().len(), 1);
    std::fs::write(src.join("b.rs"), "pub struct B;").unwrap();
    let g = Graph::of(src);
    assert!(g.file_circles().is_empty() && g.top_level_circles().is_empty());
}

#[test]
fn use_trees_expand() {
    assert_eq!(
        expand("crate::{a::B, c::{d, e::F}}"),
        ["crate::a::B", "crate::c::d", "crate::c::e::F"]
    );
    assert_eq!(expand("super::X"), ["super::X"]);
    assert_eq!(
        expand("crate::ops::{self, a::B as C}"),
        ["crate::ops::self", "crate::ops::a::B"]
    );
    assert_eq!(
        resolve_relative("crate::ops::self", "x"),
        Some(vec!["ops".to_owned()])
    );
}

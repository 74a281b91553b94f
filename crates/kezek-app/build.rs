//! Lists Kezek's own service definitions (`services/*.toml`) for `ops::cases`, so that a new
//! service is one more file there and nothing in the code. (A build script because `include_str!`
//! needs each path written out, and a directory's files are only known when building.)

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), String> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let dir = Path::new(&manifest).join("../../services");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// Kezek's own service definitions (`services/*.toml`): file name and text, by name.\n\
         pub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} has no UTF-8 name", f.display()))?;
        let path = f
            .canonicalize()
            .map_err(|e| format!("{}: {e}", f.display()))?;
        let path = path
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
        writeln!(out, "    ({name:?}, include_str!({path:?})),").map_err(|e| e.to_string())?;
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("services.rs");
    std::fs::write(&target, out).map_err(|e| format!("{}: {e}", target.display()))
}

//! `kezek serve --demo`: the sample city loaded into an installation that holds nothing yet,
//! and a key for each role. The keys are minted once, on the first `--demo` start, and their
//! tokens kept in a file of their own (0600) in the data directory; later starts print the
//! same ones.

use anyhow::{Context, Result};
use kezek_app::ops::import::CityFiles;
use kezek_app::{App, Role};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// What `--demo` loads, and where it keeps the tokens.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The sample city.
    pub city: CityFiles<'static>,
    /// The file holding the demo tokens.
    pub tokens: PathBuf,
}

impl Demo {
    /// Loads the city into an empty installation and prints a token for each role, as shell
    /// lines to paste (README's tour uses the names).
    ///
    /// # Errors
    /// The city does not load, a key cannot be made, the tokens file cannot be read or
    /// written.
    pub(crate) async fn load(&self, app: &Arc<App>, store: &dyn kezek_store::Store) -> Result<()> {
        // An installation that holds nothing yet (its journal may already hold the policy).
        if app.holds_nothing()? {
            let n = app.import("demo", self.city).await?;
            println!("demo: loaded the sample city ({n} events)");
        }
        match std::fs::read_to_string(&self.tokens) {
            Ok(kept) => {
                print!("{kept}");
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.tokens.display()))
            }
        }
        let (districts, first_kindergarten) = app.demo_scopes()?;
        let mut lines = String::new();
        for (name, role, scope) in [
            ("ADMIN", Role::Admin, vec![]),
            ("PORTAL", Role::Portal, vec![]),
            ("CLERK", Role::Clerk, districts.clone()),
            ("STAFF", Role::Staff, districts),
            (
                "KG",
                Role::Kindergarten,
                first_kindergarten.into_iter().collect(),
            ),
            ("AUDITOR", Role::Auditor, vec![]),
        ] {
            let key = kezek_app::keys::NewKey {
                role,
                scope: scope.clone(),
                expires: None,
                official: None,
            };
            let (key_id, token) = kezek_app::keys::create(store, app.authority(), key, app.now())?;
            let _ = writeln!(
                lines,
                "export {name}={token}  # demo {} key {key_id}, scope [{}]",
                role.as_str(),
                scope.join(",")
            );
        }
        kezek_store::sqlite::private::write_new(&self.tokens, lines.as_bytes())
            .with_context(|| format!("cannot write {}", self.tokens.display()))?;
        print!("{lines}");
        app.reload_keys().await?;
        Ok(())
    }
}

//! One module per command. Opening an installation is shared: the SQLite store in the data
//! directory, the authority key beside it, the application over both.

pub mod authority;
pub mod backup;
pub mod documents;
pub mod import;
pub mod keys;
pub mod lock;
pub mod migrate;
pub mod officials;
pub mod policy;
pub mod portal;
pub mod retention;
pub mod roll_over;
pub mod serve;
pub mod simulate;
pub mod verify;
pub mod verify_public;

use crate::cli::StoreArgs;
use crate::config::{policy_choice, Installation};
use anyhow::{bail, Context, Result};
use kezek_app::audit::heads::{parse_head, parse_heads, ExpectedHead};
use kezek_app::keys::authority::Authority;
use kezek_app::{App, SystemClock};
use kezek_store::postgres::PgStore;
use kezek_store::sqlite::SqliteStore;
use kezek_store::{Shared, Store};
use std::sync::Arc;

/// An installation's journal, open.
#[derive(Clone)]
pub enum Opened {
    /// SQLite in the data directory.
    Sqlite(Arc<SqliteStore>),
    /// PostgreSQL, shared with other nodes.
    Postgres(Arc<PgStore>),
}

/// What a command that writes the journal holds while it does: the data directory's lock,
/// or the lead of the shared journal.
pub enum Held {
    /// The data directory's lock.
    Lock(#[allow(dead_code, reason = "held for its lifetime")] lock::Lock),
    /// The lead (released with the store's connections).
    Lead,
}

impl Opened {
    /// Every concern, as the application takes it.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => Arc::clone(s) as Arc<dyn Store>,
            Self::Postgres(s) => Arc::clone(s) as Arc<dyn Store>,
        }
    }

    /// Makes this process the journal's only writer, or says who writes it: a command that
    /// writes events (`import`, `policy adopt`) must not run beside a server that does.
    ///
    /// # Errors
    /// Another process writes it.
    pub fn take(&self, installation: &Installation, who: &str) -> Result<Held> {
        match self {
            Self::Sqlite(_) => Ok(Held::Lock(lock::take(&installation.data)?)),
            Self::Postgres(pg) => lead(pg, &installation.journal_name(), who),
        }
    }
}

/// Takes the lead of the PostgreSQL journal named `journal` for command `who`, or says that a
/// server leads it.
///
/// # Errors
/// A server leads it, or the database cannot be asked.
fn lead(pg: &PgStore, journal: &str, who: &str) -> Result<Held> {
    match pg.try_lead(who)? {
        Some(_) => Ok(Held::Lead),
        None => bail!(
            "a kezek server leads the journal in {journal} (`/healthz` names it in `Kezek-Role`): stop the servers first, or make the change through the API"
        ),
    }
}

/// Opens (creating if needed) the journal of `installation`.
fn open_store(installation: &Installation) -> Result<Opened> {
    installation.create()?;
    Ok(match &installation.database {
        Some(url) => Opened::Postgres(Arc::new(PgStore::open(url).with_context(|| {
            format!("cannot open the journal in {}", installation.journal_name())
        })?)),
        None => Opened::Sqlite(Arc::new(
            SqliteStore::open(&installation.journal()).context("cannot open the journal")?,
        )),
    })
}

/// The installation `args` name.
fn installation(args: &StoreArgs) -> Installation {
    args.at.installation()
}

/// Says so when `installation` has no journal yet.
///
/// # Errors
/// It has none.
fn needs_journal(installation: &Installation) -> Result<()> {
    if !installation.has_journal() {
        bail!("no journal at {}", installation.journal_name());
    }
    Ok(())
}

/// The authority key of `installation` as its journal in `store` pins it (made only for an
/// empty installation), holding the retired keys kept beside it.
///
/// # Errors
/// The key held is not the journal's (both named), or none is held where the journal has
/// signed records; a key file or the journal that cannot be read.
fn authority(installation: &Installation, store: &dyn Store) -> Result<Authority> {
    let path = installation.authority();
    let key = kezek_app::keys::pin::pinned(store, &path)?;
    Ok(key.with_retired(Authority::retired_beside(&path)))
}

/// Starts the application on an open store.
fn start_on(
    args: &StoreArgs,
    installation: &Installation,
    store: Arc<dyn Store>,
) -> Result<Arc<App>> {
    start_with(installation, store, policy_choice(args.policy.as_deref())?)
}

/// Starts the application on an open store under `policy`.
fn start_with(
    installation: &Installation,
    store: Arc<dyn Store>,
    policy: kezek_app::PolicyChoice,
) -> Result<Arc<App>> {
    let authority = authority(installation, store.as_ref())?;
    Ok(App::start(store, policy, authority, Arc::new(SystemClock))?)
}

/// The application on the installation at `at`, holding its journal for command `who`
/// (the servers stopped), under the policy the journal adopted.
///
/// # Errors
/// No journal, a server writes it, or the application does not start.
fn started(at: &crate::cli::InstallationArgs, who: &str) -> Result<(Arc<App>, Held)> {
    let installation = at.installation();
    needs_journal(&installation)?;
    let opened = open_store(&installation)?;
    let held = opened.take(&installation, who)?;
    let app = start_with(
        &installation,
        opened.store(),
        kezek_app::PolicyChoice::Journaled(kezek_core::Policy::kz_2013()),
    )?;
    Ok((app, held))
}

/// A runtime on this thread for a command that awaits the application.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The body of `GET url` (with a bearer `token`, if any); an answer other than 2xx is an
/// error naming the URL, the status and the body.
async fn get_text(client: &reqwest::Client, url: &str, token: Option<&str>) -> Result<String> {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request
        .send()
        .await
        .with_context(|| format!("cannot ask {url}"))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    if !status.is_success() {
        anyhow::bail!("{url} answered {status}: {body}");
    }
    Ok(body)
}

/// Bytes as lowercase hex.
fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The heads of `--expect-head` and `--heads`.
pub(crate) fn expected_heads(args: &crate::cli::VerifyArgs) -> Result<Vec<ExpectedHead>> {
    let mut heads = Vec::new();
    for h in &args.expect_heads {
        heads.push(parse_head(h).map_err(|e| anyhow::anyhow!("--expect-head {h}: {e}"))?);
    }
    if let Some(file) = &args.heads {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let saved = parse_heads(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        heads.extend(saved);
    }
    Ok(heads)
}

//! One module per command. Opening an installation is shared: the SQLite store in the data
//! directory, the authority key beside it, the application over both.

pub mod backup;
pub mod documents;
pub mod import;
pub mod keys;
pub mod lock;
pub mod policy;
pub mod serve;
pub mod simulate;
pub mod verify;
pub mod witness;

use crate::cli::StoreArgs;
use crate::config::{policy_choice, Installation};
use anyhow::{Context, Result};
use kezek_app::authority::Authority;
use kezek_app::{App, SystemClock};
use kezek_store::sqlite::SqliteStore;
use std::sync::Arc;

/// Opens (creating if needed) the store of `installation`.
fn open_store(installation: &Installation) -> Result<Arc<SqliteStore>> {
    installation.create()?;
    Ok(Arc::new(
        SqliteStore::open(&installation.journal()).context("cannot open the journal")?,
    ))
}

/// The authority key of `installation`, created at first start.
fn authority(installation: &Installation) -> Result<Authority> {
    Ok(Authority::load_or_create(&installation.authority())?)
}

/// Opens the installation and starts the application: the journal replayed under the policy.
fn start(args: &StoreArgs) -> Result<Arc<App>> {
    let installation = Installation::new(&args.data, args.authority_key.as_deref());
    let store = open_store(&installation)?;
    start_on(args, &installation, store)
}

/// Starts the application on an open store.
fn start_on(
    args: &StoreArgs,
    installation: &Installation,
    store: Arc<SqliteStore>,
) -> Result<Arc<App>> {
    start_with(installation, store, policy_choice(args.policy.as_deref())?)
}

/// Starts the application on an open store under `policy`.
fn start_with(
    installation: &Installation,
    store: Arc<SqliteStore>,
    policy: kezek_app::PolicyChoice,
) -> Result<Arc<App>> {
    Ok(App::start(
        store,
        policy,
        authority(installation)?,
        Arc::new(SystemClock),
    )?)
}

/// A runtime on this thread for a command that awaits the application.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Bytes as lowercase hex.
fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

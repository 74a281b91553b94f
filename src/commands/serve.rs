//! `kezek serve`: the flags turned into a node's settings, and the node run
//! (`kezek_node::serve`) until SIGINT or SIGTERM. `--demo` loads the sample city on first
//! start and prints a token for each role.

use crate::cli::ServeArgs;
use crate::config::{
    Installation, DEMO_APPLICATIONS, DEMO_DISTRICTS, DEMO_GROUPS, DEMO_KINDERGARTENS, DEMO_TOKENS,
};
use anyhow::{Context, Result};
use kezek_app::ops::import::CityFiles;
use kezek_node::demo::Demo;
use kezek_node::snapshots::Kept;
use kezek_node::witness::Witness;
use kezek_node::{Config, Journal, Tasks};
use kezek_store::postgres::PgStore;
use kezek_store::sqlite::{OpenOptions, SqliteStore};
use std::sync::Arc;
use std::time::Duration;

/// Runs the command.
///
/// # Errors
/// The store cannot be opened or does not verify, or the address cannot be bound.
pub fn run(args: &ServeArgs) -> Result<()> {
    let _flush_logs_on_exit = crate::telemetry::init(args.log_format == "json");
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let installation = super::installation(&args.store);
        installation.create()?;
        // Held while the node runs: the data directory's lock (one writer at a time).
        let (journal, _held) = open(args, &installation)?;
        let shared: Arc<dyn kezek_store::Store> = match &journal {
            Journal::Sqlite { store, .. } => Arc::clone(store) as _,
            Journal::Postgres { store, .. } => Arc::clone(store) as _,
        };
        let authority = super::authority(&installation, shared.as_ref())?;
        drop(shared);
        let config = Config {
            journal,
            authority,
            policy: crate::config::policy_choice(args.store.policy.as_deref())?,
            snapshots: (args.snapshot_every > 0).then(|| Kept {
                dir: installation.snapshots(),
                every: args.snapshot_every,
            }),
            listen: args.listen,
            advertise_url: args.advertise_url.clone(),
            public_url: args.public_url.clone(),
            limits: limits(args),
            tasks: tasks(args, &installation)?,
            demo: args.demo.then(|| Demo {
                city: CityFiles {
                    groups: DEMO_GROUPS,
                    applications: DEMO_APPLICATIONS,
                    districts: Some(DEMO_DISTRICTS),
                    kindergartens: Some(DEMO_KINDERGARTENS),
                },
                tokens: installation.data.join(DEMO_TOKENS),
            }),
        };
        kezek_node::serve(config, shutdown()).await
    })
}

/// Opens the installation's journal: SQLite in the data directory (its check in the
/// background, holding the directory's lock; a journal that does not reach its head mark is
/// accepted and recorded only when forced), or PostgreSQL.
fn open(args: &ServeArgs, installation: &Installation) -> Result<(Journal, super::Held)> {
    Ok(match &installation.database {
        None => {
            let held = super::Held::Lock(super::lock::take(&installation.data)?);
            let options = OpenOptions {
                force_rewind: args.force_rewind,
                check_in_background: true,
            };
            let (store, rewind) = SqliteStore::open_with(&installation.journal(), options)
                .context("cannot open the journal")?;
            let store = Arc::new(store);
            (Journal::Sqlite { store, rewind }, held)
        }
        Some(url) => {
            if args.force_rewind {
                anyhow::bail!(
                    "--force-rewind is for a SQLite journal: PostgreSQL keeps its own head"
                );
            }
            let name = installation.journal_name();
            let store = Arc::new(
                PgStore::open(url)
                    .with_context(|| format!("cannot open the journal in {name}"))?
                    .with_lease(Duration::from_secs_f64(args.leader_lease)),
            );
            (Journal::Postgres { store, name }, super::Held::Lead)
        }
    })
}

/// The optional tasks the flags ask for: the push of notifications, the witness file.
fn tasks(args: &ServeArgs, installation: &Installation) -> Result<Tasks> {
    let mut tasks = Tasks::default();
    tasks.signing = Some(installation.signing());
    if let (Some(url), Some(secret)) = (&args.notify_url, &args.notify_secret_file) {
        let bytes =
            std::fs::read(secret).with_context(|| format!("cannot read {}", secret.display()))?;
        let secret = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        tasks.push = Some(kezek_app::outbox::push::Push::new(
            url,
            secret,
            Duration::from_secs(args.notify_timeout),
        )?);
    }
    if let Some(url) = &args.smtp_url {
        tasks.email = Some(kezek_app::outbox::email::Mailer::new(url, &args.smtp_from)?);
    }
    if let Some(path) = &args.witness {
        let witness = Arc::new(Witness::new(path, &installation.data)?);
        tasks.witness = Some((witness, Duration::from_secs(args.witness_every)));
    }
    Ok(tasks)
}

/// Descriptors kept for the journal, its WAL, the witness file and the runtime.
const RESERVED_FILES: u64 = 64;

/// The connection limits of `args`, with the open-files limit raised as far as the system
/// lets it go and the connection cap kept under it: running out of descriptors stops a
/// server from accepting anything, `/healthz` included.
fn limits(args: &ServeArgs) -> kezek_http::server::Limits {
    let open_files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    let limits = kezek_http::server::Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        header_timeout: Duration::from_secs(args.header_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        trusted_proxies: Arc::from(args.trusted_proxies.as_slice()),
        ..kezek_http::server::Limits::default()
    }
    .within_open_files(open_files, RESERVED_FILES);
    tracing::info!(
        open_files,
        max_connections = limits.max_connections,
        "connection limits"
    );
    limits
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

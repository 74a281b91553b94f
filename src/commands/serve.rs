//! `kezek serve`: opens the installation, replays the journal, and serves the HTTP API (with
//! the lapse sweeper and the metrics upkeep) until SIGINT or SIGTERM. `--demo` loads the
//! sample city on first start and prints a token for each role.

use super::witness::Witness;
use crate::cli::ServeArgs;
use crate::config::{
    Installation, DEMO_APPLICATIONS, DEMO_DISTRICTS, DEMO_GROUPS, DEMO_KINDERGARTENS,
};
use anyhow::{Context, Result};
use kezek_app::{App, Role};
use kezek_store::postgres::PgStore;
use kezek_store::sqlite::{OpenOptions, SqliteStore};
use kezek_store::{Shared, Store};
use std::fmt::Write as _;
use std::sync::Arc;

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
        let bind = || async {
            tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))
        };
        // Alone, the node listens once its state is loaded; on a shared journal it listens
        // first, so that it can advertise where it is.
        let ((app, opened, _held), listener) = match &installation.database {
            None => (open_sqlite(args, &installation).await?, bind().await?),
            Some(url) => {
                let listener = bind().await?;
                let advertise = match &args.advertise_url {
                    Some(url) => url.clone(),
                    None => format!("http://{}", listener.local_addr()?),
                };
                (
                    open_shared(args, &installation, url, advertise).await?,
                    listener,
                )
            }
        };
        let local = listener.local_addr()?;
        if app.node().writes() {
            app.journal_policy().await?;
            app.sync_keys().await?;
            if args.demo {
                demo(&app, &installation, opened.store().as_ref()).await?;
            }
        } else {
            println!(
                "following the leader at {}",
                app.node().leader().unwrap_or_default()
            );
        }
        println!("authority key {}", app.authority().key_id());
        let witness = match &args.witness {
            Some(path) => {
                let w = Arc::new(Witness::new(path, &installation.data)?);
                w.record(&app).await?;
                w.spawn(
                    Arc::clone(&app),
                    std::time::Duration::from_secs(args.witness_every),
                );
                Some(w)
            }
            None => None,
        };
        if let (Some(url), Some(secret)) = (&args.notify_url, &args.notify_secret_file) {
            let bytes = std::fs::read(secret)
                .with_context(|| format!("cannot read {}", secret.display()))?;
            let secret = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            let push = kezek_app::delivery::Push::new(url, secret)?;
            tokio::spawn(Arc::clone(&app).run_delivery(push));
        }
        app.set_public_url(
            args.public_url
                .as_deref()
                .unwrap_or(&format!("http://{local}")),
        );
        println!("kezek listening on http://{local}");
        kezek_http::run(listener, Arc::clone(&app), limits(args), shutdown()).await?;
        if let Some(w) = witness {
            w.record(&app).await?;
        }
        Ok(())
    })
}

/// Opens the SQLite journal in the data directory (holding the directory's lock) and starts
/// the application on it, after SQLite's check; a rewound journal is accepted and recorded
/// only when forced.
async fn open_sqlite(
    args: &ServeArgs,
    installation: &Installation,
) -> Result<(Arc<App>, super::Opened, super::Held)> {
    let held = super::Held::Lock(super::lock::take(&installation.data)?);
    let options = OpenOptions {
        force_rewind: args.force_rewind,
        check_in_background: true,
    };
    let (store, rewind) = SqliteStore::open_with(&installation.journal(), options)
        .context("cannot open the journal")?;
    let store = Arc::new(store);
    let app = super::start_serving(
        &args.store,
        installation,
        Arc::clone(&store) as Arc<dyn Store>,
        args.snapshot_every,
    )?;
    let waited = std::time::Instant::now();
    store.checked().context("cannot open the journal")?;
    tracing::info!(
        waited_ms = u64::try_from(waited.elapsed().as_millis()).unwrap_or(u64::MAX),
        "journal checked"
    );
    if let Some(rewind) = &rewind {
        app.record_rewind(rewind).await?;
        eprintln!(
            "kezek: accepted the journal as it is and recorded it: {}",
            rewind.problem
        );
    }
    Ok((app, super::Opened::Sqlite(store), held))
}

/// How long a node starting on a shared journal waits to know whether it leads or whom it
/// follows.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(15);

/// Opens the PostgreSQL journal, starts the application on it as a follower and this
/// node's part in the installation (follow, take over when no node leads), and waits until
/// it leads or knows its leader.
async fn open_shared(
    args: &ServeArgs,
    installation: &Installation,
    url: &str,
    advertise: String,
) -> Result<(Arc<App>, super::Opened, super::Held)> {
    if args.force_rewind {
        anyhow::bail!("--force-rewind is for a SQLite journal: PostgreSQL keeps its own head");
    }
    let pg =
        Arc::new(PgStore::open(url).with_context(|| {
            format!("cannot open the journal in {}", installation.journal_name())
        })?);
    let app = super::start_serving(
        &args.store,
        installation,
        Arc::clone(&pg) as Arc<dyn Store>,
        args.snapshot_every,
    )?;
    app.follow();
    tokio::spawn(Arc::clone(&app).run_node(Arc::clone(&pg) as Arc<dyn Shared>, advertise));
    let settled = tokio::time::timeout(SETTLE, async {
        while !app.node().writes() && app.node().leader().is_none() {
            if let Some(reason) = app.poisoned() {
                return Err(anyhow::anyhow!("{reason}"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(())
    })
    .await;
    match settled {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => anyhow::bail!(
            "no node leads the journal in {} and this one could not take over within {} s",
            installation.journal_name(),
            SETTLE.as_secs()
        ),
    }
    Ok((app, super::Opened::Postgres(pg), super::Held::Lead))
}

/// The file in the data directory holding the demo tokens (0600).
const DEMO_TOKENS: &str = "demo-tokens.txt";

/// Loads the sample city into an empty installation and prints a token for each role. The
/// keys are minted once, on the first `--demo` start, and their tokens kept in
/// `demo-tokens.txt` (0600) in the data directory; later starts print them again.
async fn demo(
    app: &Arc<App>,
    installation: &Installation,
    store: &dyn kezek_store::Store,
) -> Result<()> {
    // An installation that holds nothing yet (its journal may already hold the policy).
    if app.peek(kezek_core::State::holds_nothing)? {
        let files = kezek_app::import::CityFiles {
            groups: DEMO_GROUPS,
            applications: DEMO_APPLICATIONS,
            districts: Some(DEMO_DISTRICTS),
            kindergartens: Some(DEMO_KINDERGARTENS),
        };
        let n = app.import("demo", files).await?;
        println!("demo: loaded the sample city ({n} events)");
    }
    let file = installation.data.join(DEMO_TOKENS);
    match std::fs::read_to_string(&file) {
        Ok(kept) => {
            print!("{kept}");
            return Ok(());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
    let (districts, first_kindergarten) = app.peek(|s| {
        let districts: Vec<String> = s.districts().map(|(_, d)| d.id.to_string()).collect();
        let first = s.kindergartens().next().map(|(_, k)| k.id.to_string());
        (districts, first.into_iter().collect::<Vec<_>>())
    })?;
    let mut lines = String::new();
    // One key per role, printed as shell lines to paste (README's tour uses the names).
    for (name, role, scope) in [
        ("ADMIN", Role::Admin, vec![]),
        ("PORTAL", Role::Portal, vec![]),
        ("CLERK", Role::Clerk, districts.clone()),
        ("STAFF", Role::Staff, districts),
        ("KG", Role::Kindergarten, first_kindergarten),
        ("AUDITOR", Role::Auditor, vec![]),
    ] {
        let (key_id, token) =
            kezek_app::keys::create(store, app.authority(), role, scope.clone(), app.now(), None)?;
        let _ = writeln!(
            lines,
            "export {name}={token}  # demo {} key {key_id}, scope [{}]",
            role.as_str(),
            scope.join(",")
        );
    }
    kezek_store::sqlite::private::write_new(&file, lines.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    print!("{lines}");
    app.reload_keys().await?;
    Ok(())
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
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
        body_timeout: std::time::Duration::from_secs(args.body_timeout),
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

//! `kezek serve`, from an opened journal to shutdown: the application started (from a
//! snapshot when it has one), the node's part in a shared journal settled, the policy and the
//! keys brought up to date, the demo city loaded, and then the routes and every task.

use crate::demo::Demo;
use crate::snapshots::Kept;
use crate::tasks::{follow, Tasks};
use anyhow::{Context, Result};
use kezek_app::keys::authority::Authority;
use kezek_app::{App, PolicyChoice, SystemClock};
use kezek_http::server::Limits;
use kezek_store::postgres::PgStore;
use kezek_store::sqlite::{Rewind, SqliteStore};
use kezek_store::{Shared, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a node starting on a shared journal waits to know whether it leads or whom it
/// follows.
const SETTLE: Duration = Duration::from_secs(15);

/// The journal a node serves, opened.
pub enum Journal {
    /// SQLite in the data directory (opened with its check in the background), and the loss
    /// the operator accepted (`--force-rewind`), if any.
    Sqlite {
        /// The store.
        store: Arc<SqliteStore>,
        /// The rewind to record first.
        rewind: Option<Rewind>,
    },
    /// PostgreSQL, shared with other nodes.
    Postgres {
        /// The store.
        store: Arc<PgStore>,
        /// Where the journal is, for messages (no password).
        name: String,
    },
}

/// What a node is given.
pub struct Config {
    /// The journal.
    pub journal: Journal,
    /// The authority's key.
    pub authority: Authority,
    /// The policy the node starts under.
    pub policy: PolicyChoice,
    /// Where snapshots are kept and how often, if at all (`None`: always replay from the
    /// start).
    pub snapshots: Option<Kept>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Where other nodes reach this one (default: the listening address).
    pub advertise_url: Option<String>,
    /// Where the public reaches this one (default: the listening address).
    pub public_url: Option<String>,
    /// The connection limits.
    pub limits: Limits,
    /// The optional tasks: the push of notifications, the witness file.
    pub tasks: Tasks,
    /// The sample city, for `--demo`.
    pub demo: Option<Demo>,
}

/// Runs a node until `shutdown` resolves.
///
/// # Errors
/// The journal does not verify, the address cannot be bound, no node leads a shared journal
/// and this one cannot take over, or a start-up write fails.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let Config {
        journal,
        authority,
        policy,
        snapshots,
        listen,
        advertise_url,
        public_url,
        limits,
        mut tasks,
        demo,
    } = config;
    let bind = || async {
        tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))
    };
    let start = |store: Arc<dyn Store>| start(store, authority, policy, snapshots);
    // Alone, the node listens once its state is loaded; on a shared journal it listens
    // first, so that it can advertise where it is.
    let (app, store, listener) = match journal {
        Journal::Sqlite { store, rewind } => {
            let app = start(Arc::clone(&store) as Arc<dyn Store>)?;
            let waited = std::time::Instant::now();
            store.checked().context("cannot open the journal")?;
            tracing::info!(
                waited_ms = kezek_app::millis(waited.elapsed()),
                "journal checked"
            );
            if let Some(rewind) = &rewind {
                app.record_rewind(rewind).await?;
                eprintln!(
                    "kezek: accepted the journal as it is and recorded it: {}",
                    rewind.problem
                );
            }
            (app, store as Arc<dyn Store>, bind().await?)
        }
        Journal::Postgres { store, name } => {
            let listener = bind().await?;
            let advertise = match advertise_url {
                Some(url) => url,
                None => format!("http://{}", listener.local_addr()?),
            };
            let app = start(Arc::clone(&store) as Arc<dyn Store>)?;
            tasks.following = Some(follow(
                &app,
                Arc::clone(&store) as Arc<dyn Shared>,
                advertise,
            ));
            settle(&app, &name).await?;
            (app, store as Arc<dyn Store>, listener)
        }
    };
    let local = listener.local_addr()?;
    if app.node().writes() {
        app.journal_policy().await?;
        app.sync_keys().await?;
        if let Some(demo) = &demo {
            demo.load(&app, store.as_ref()).await?;
        }
    } else {
        println!(
            "following the leader at {}",
            app.node().leader().unwrap_or_default()
        );
    }
    println!("authority key {}", app.authority().key_id());
    if let Some((witness, _)) = &tasks.witness {
        witness.record(&app).await?;
    }
    app.set_public_url(public_url.as_deref().unwrap_or(&format!("http://{local}")));
    println!("kezek listening on http://{local}");
    crate::run_with(listener, app, limits, tasks, shutdown).await?;
    Ok(())
}

/// Starts the application on `store`: from the newest snapshot when keeping them.
fn start(
    store: Arc<dyn Store>,
    authority: Authority,
    policy: PolicyChoice,
    snapshots: Option<Kept>,
) -> Result<Arc<App>> {
    let clock = Arc::new(SystemClock);
    Ok(match snapshots {
        Some(kept) => crate::snapshots::start(store, policy, authority, clock, &kept)?,
        None => App::start(store, policy, authority, clock)?,
    })
}

/// Waits until this node leads the shared journal in `name` or knows whom it follows.
async fn settle(app: &App, name: &str) -> Result<()> {
    let settled = tokio::time::timeout(SETTLE, async {
        while !app.node().writes() && app.node().leader().is_none() {
            if let Some(reason) = app.poisoned() {
                return Err(anyhow::anyhow!("{reason}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    })
    .await;
    match settled {
        Ok(result) => result,
        Err(_) => anyhow::bail!(
            "no node leads the journal in {name} and this one could not take over within {} s",
            SETTLE.as_secs()
        ),
    }
}

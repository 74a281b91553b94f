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

/// Runs a node until `shutdown` resolves. A node of a shared journal that leads and loses
/// the lead steps down: its application is dropped and started again from the journal, to
/// follow, on the same listener.
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
        tasks,
        demo,
    } = config;
    let setup = Setup {
        authority,
        policy,
        snapshots,
        listen,
        advertise_url,
        public_url,
        limits,
        tasks,
        demo,
    };
    match journal {
        Journal::Sqlite { store, rewind } => setup.alone(store, rewind, shutdown).await,
        Journal::Postgres { store, name } => setup.shared(store, &name, shutdown).await,
    }
}

/// What every start of a node needs besides its journal.
struct Setup {
    authority: Authority,
    policy: PolicyChoice,
    snapshots: Option<Kept>,
    listen: SocketAddr,
    advertise_url: Option<String>,
    public_url: Option<String>,
    limits: Limits,
    tasks: Tasks,
    demo: Option<Demo>,
}

impl Setup {
    fn start(&self, store: Arc<dyn Store>) -> Result<Arc<App>> {
        start(
            store,
            self.authority.clone(),
            self.policy.clone(),
            self.snapshots.clone(),
        )
    }

    async fn bind(&self) -> Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))
    }

    fn ready(&self, app: Arc<App>, store: Arc<dyn Store>, local: SocketAddr, first: bool) -> Ready {
        Ready {
            app,
            store,
            local,
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{local}")),
            first,
        }
    }

    /// Alone on SQLite: the node listens once its state is loaded.
    async fn alone(
        self,
        store: Arc<SqliteStore>,
        rewind: Option<Rewind>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let app = self.start(Arc::clone(&store) as Arc<dyn Store>)?;
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
        let listener = self.bind().await?;
        let local = listener.local_addr()?;
        self.ready(Arc::clone(&app), store, local, true)
            .prepare(self.demo.as_ref(), &self.tasks)
            .await?;
        crate::run_with(listener, app, self.limits, self.tasks, shutdown).await?;
        Ok(())
    }

    /// On a shared journal: the node listens first, so that it can advertise where it is;
    /// each time it steps down it is started again on the same listener.
    async fn shared(
        self,
        store: Arc<PgStore>,
        name: &str,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let listener = self.bind().await?;
        let local = listener.local_addr()?;
        let advertise = self
            .advertise_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"));
        // The shutdown, heard by every start of the node.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            stop.send_replace(true);
        });
        let mut first = true;
        loop {
            let app = self.start(Arc::clone(&store) as Arc<dyn Store>)?;
            let mut now = self.tasks.again();
            now.following = Some(follow(
                &app,
                Arc::clone(&store) as Arc<dyn Shared>,
                advertise.clone(),
            ));
            settle(&app, name).await?;
            let store = Arc::clone(&store) as Arc<dyn Store>;
            self.ready(Arc::clone(&app), store, local, first)
                .prepare(self.demo.as_ref().filter(|_| first), &now)
                .await?;
            first = false;
            let until = {
                let (mut stopped, app) = (stopped.clone(), Arc::clone(&app));
                async move {
                    tokio::select! {
                        _ = stopped.wait_for(|s| *s) => {}
                        () = app.node().stepped_down() => {}
                    }
                }
            };
            crate::run_on(&listener, app, self.limits.clone(), now, until).await?;
            if *stopped.borrow() {
                return Ok(());
            }
            tracing::warn!(
                "this node stepped down: its state is built again from the journal, to follow"
            );
        }
    }
}

/// A node's application, about to serve.
struct Ready {
    app: Arc<App>,
    store: Arc<dyn Store>,
    local: SocketAddr,
    public_url: String,
    /// Whether this is the process's first start of it (the messages the tests and the
    /// operators read are printed once).
    first: bool,
}

impl Ready {
    /// What comes before serving: on a node that writes, the policy journaled, the keys
    /// brought up to date and the demo city loaded; the witness file's first head; the public
    /// URL.
    async fn prepare(self, demo: Option<&Demo>, tasks: &Tasks) -> Result<()> {
        let Self {
            app,
            store,
            local,
            public_url,
            first,
        } = self;
        if app.node().writes() {
            app.journal_authority().await?;
            app.journal_policy().await?;
            app.journal_definitions().await?;
            app.sync_keys().await?;
            if let Some(demo) = demo {
                demo.load(&app, store.as_ref()).await?;
            }
        } else {
            println!(
                "following the leader at {}",
                app.node().leader().unwrap_or_default()
            );
        }
        if let Some(dirs) = &tasks.signing {
            let held = app.load_signing(dirs)?;
            if first && held > 0 {
                println!("{held} official(s) sign documents with their X.509 certificate");
            }
        }
        if first {
            println!("authority key {}", app.authority().key_id());
        }
        if let Some((witness, _)) = &tasks.witness {
            witness.record(&app).await?;
        }
        app.set_public_url(&public_url);
        if first {
            println!("kezek listening on http://{local}");
        }
        Ok(())
    }
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

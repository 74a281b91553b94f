//! What runs beside the routes of a node, each a task of its own that ends with the node: the
//! lapse sweeper (deadlines passing), the key watch (keys created or revoked beside the
//! server), the metrics upkeep, and — when configured — the push of notifications, the
//! witness file and this node's part in a shared journal (following, taking over).

use crate::witness::Witness;
use kezek_app::outbox::push::Push;
use kezek_app::App;
use kezek_store::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the metrics fold their samples.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// The optional tasks of a node.
#[derive(Default)]
pub struct Tasks {
    /// Push notifications to the portal (`--notify-url`).
    pub push: Option<Push>,
    /// Send families their notifications by e-mail (`--smtp-url`).
    pub email: Option<kezek_app::outbox::email::Mailer>,
    /// Append the signed head to a file every so often (`--witness`).
    pub witness: Option<(Arc<Witness>, Duration)>,
    /// Where the officials' signing identities, trust anchors and CRLs are.
    pub signing: Option<kezek_app::keys::identities::Dirs>,
    /// This node's part in a shared journal, started before the node serves (it must know
    /// whether it leads first: `serve`).
    pub(crate) following: Option<JoinHandle<()>>,
}

impl Tasks {
    /// The same optional tasks for a new start of the node (its part in a shared journal is
    /// started with it).
    pub(crate) fn again(&self) -> Self {
        Self {
            push: self.push.clone(),
            email: self.email.clone(),
            witness: self.witness.clone(),
            signing: self.signing.clone(),
            following: None,
        }
    }
}

/// Starts following the shared journal — applying the leader's records, taking over when no
/// node leads, advertising `url` — until the task is aborted.
pub(crate) fn follow(app: &Arc<App>, shared: Arc<dyn Shared>, url: String) -> JoinHandle<()> {
    app.follow();
    tokio::spawn(Arc::clone(app).run_node(shared, url))
}

/// The tasks running.
pub(crate) struct Running {
    handles: Vec<JoinHandle<()>>,
    witness: Option<Arc<Witness>>,
}

impl Tasks {
    /// Starts the tasks every node runs and the ones configured.
    pub(crate) fn start(self, app: &Arc<App>) -> Running {
        let mut handles = vec![
            tokio::spawn(Arc::clone(app).run_sweeper()),
            tokio::spawn(Arc::clone(app).watch_keys()),
            tokio::spawn(async {
                let mut tick = tokio::time::interval(METRICS_UPKEEP);
                loop {
                    tick.tick().await;
                    kezek_http::metrics::upkeep();
                }
            }),
        ];
        handles.extend(self.following);
        if let Some(push) = self.push {
            handles.push(tokio::spawn(Arc::clone(app).run_delivery(push)));
        }
        if let Some(mailer) = self.email {
            handles.push(tokio::spawn(Arc::clone(app).run_email(mailer)));
        }
        let witness = self.witness.map(|(witness, every)| {
            handles.push(witness.spawn(Arc::clone(app), every));
            witness
        });
        Running { handles, witness }
    }
}

impl Running {
    /// Stops every task; the witness file gets the head the node ends at.
    pub(crate) async fn stop(self, app: &App) {
        for h in &self.handles {
            h.abort();
        }
        if let Some(w) = self.witness {
            if let Err(e) = w.record(app).await {
                tracing::error!(error = %e, "witness file not written at shutdown");
            }
        }
    }
}

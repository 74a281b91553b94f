//! `kezek serve --witness FILE`: the journal's signed head, appended to a file outside the
//! data directory every interval (when it moved) and at shutdown. Whoever rewrites the journal
//! — even recomputing every hash, even with the authority key — cannot make it pass through
//! the heads already written there: `kezek verify --heads FILE` checks it does.

use anyhow::{bail, Context, Result};
use kezek_app::App;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The witness file and the last head written to it.
pub struct Witness {
    path: PathBuf,
    last: tokio::sync::Mutex<Option<u64>>,
}

impl Witness {
    /// A witness writing to `path`, which must not be inside `data` (a copy of the data
    /// directory would carry it along, and whoever rewrites one rewrites the other).
    ///
    /// # Errors
    /// `path` is inside `data`, or its directory does not exist.
    pub fn new(path: &Path, data: &Path) -> Result<Self> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = dir.canonicalize().with_context(|| {
            format!(
                "the directory of --witness {} does not exist",
                path.display()
            )
        })?;
        let data = data.canonicalize().unwrap_or_else(|_| data.to_owned());
        if dir.starts_with(&data) {
            bail!(
                "--witness {} is inside the data directory {}: keep it elsewhere (another disk, another machine's mount)",
                path.display(),
                data.display()
            );
        }
        Ok(Self {
            path: path.to_owned(),
            last: tokio::sync::Mutex::new(None),
        })
    }

    /// Appends the signed head if it moved since the last line (and syncs the file).
    ///
    /// # Errors
    /// The head cannot be read or the file written.
    pub async fn record(&self, app: &App) -> Result<()> {
        let head = app.signed_head().await?;
        let mut last = self.last.lock().await;
        // An empty journal has nothing to witness.
        if head.seq == 0 || *last == Some(head.seq) {
            return Ok(());
        }
        let line = serde_json::to_string(&head)? + "\n";
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            f.write_all(line.as_bytes())?;
            f.sync_data()
        })
        .await?
        .with_context(|| format!("cannot write the witness file {}", self.path.display()))?;
        *last = Some(head.seq);
        Ok(())
    }

    /// Records every `every` until the task is aborted; a failure is logged, not fatal (the
    /// journal is unaffected).
    pub(crate) fn spawn(
        self: &Arc<Self>,
        app: Arc<App>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let witness = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = witness.record(&app).await {
                    tracing::error!(error = %e, "witness file not written");
                }
            }
        })
    }
}

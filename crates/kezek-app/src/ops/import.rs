//! Loading a city (`groups.csv`, `applications.csv`) into a running application, all or
//! nothing: every row is checked and applied in the order the interchange format sets, then
//! all the events go to the journal in one batch. A bad row stops the import with its file
//! and line; nothing is journaled, and since the state holds part of the city, the
//! application is poisoned (the command line exits; a restart starts from the journal).

use crate::app::Armed;
use crate::error::{AppError, Unavailable};
use crate::App;
use kezek_core::city::{load_named_city, CityError};
use kezek_core::dataset::{parse_applications_on, parse_catalog, parse_groups, RowError};
use kezek_store::Append;
use std::sync::Arc;

/// The files of a city: the two of the interchange format and the optional names.
#[derive(Debug, Clone, Copy, Default)]
pub struct CityFiles<'a> {
    /// `groups.csv`.
    pub groups: &'a [u8],
    /// `applications.csv`.
    pub applications: &'a [u8],
    /// `districts.csv`, if any.
    pub districts: Option<&'a [u8]>,
    /// `kindergartens.csv`, if any.
    pub kindergartens: Option<&'a [u8]>,
}

/// Why a city was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// `groups.csv` does not parse.
    #[error("groups.csv: {0}")]
    Groups(RowError),
    /// `applications.csv` does not parse.
    #[error("applications.csv: {0}")]
    Applications(RowError),
    /// `districts.csv` or `kindergartens.csv` does not parse.
    #[error("{0}: {1}")]
    Catalog(&'static str, RowError),
    /// A row breaks a rule of the queue.
    #[error(transparent)]
    Row(#[from] CityError),
    /// The service is unavailable or the journal failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl App {
    /// Imports a city as `actor`; how many events it made.
    ///
    /// # Errors
    /// A row that does not parse or breaks a rule (nothing is journaled), or a journal that
    /// cannot be written.
    pub async fn import(
        self: &Arc<Self>,
        actor: &str,
        files: CityFiles<'_>,
    ) -> Result<u64, ImportError> {
        let groups = parse_groups(files.groups).map_err(ImportError::Groups)?;
        let catalog = parse_catalog(files.districts, files.kindergartens)
            .map_err(|(file, e)| ImportError::Catalog(file, e))?;
        let max = self.peek(|s| s.policy().max_preferences)?;
        // Every core: the city is parsed before the state is locked.
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let applications = parse_applications_on(files.applications, max, threads)
            .map_err(ImportError::Applications)?;
        let (append, armed) = {
            let mut state = self.state.write();
            self.check_health()?;
            let armed = Armed::new(&self.health, "a city import stopped half-way");
            let mut events = Vec::new();
            load_named_city(&mut state, &catalog, &groups, applications, &mut |o| {
                events.extend(o);
            })?;
            // Imported children have no applicant here: nobody to tell, but the outbox is
            // what the events make, as `kezek verify` derives it.
            let notifications = crate::outbox::notifications(&state, &events);
            let sealed = self.personal.seal(&state, &events).map_err(|e| {
                AppError::from(Unavailable::Poisoned(Arc::from(format!(
                    "no randomness to seal personal data with: {e}"
                ))))
            })?;
            let (encoder, keys) = sealed.map_or((None, kezek_store::PersonKeys::default()), |s| {
                (Some(s.encoder), s.keys)
            });
            let append = Append {
                files: Vec::new(),
                events,
                at: self.clock.now().to_string(),
                actor: actor.to_owned(),
                idempotency: None,
                documents: Vec::new(),
                notifications,
                copied: Vec::new(),
                keys,
                encoder,
                forget: kezek_store::forget::Forget::default(),
            };
            (append, armed)
        };
        let n = append.events.len() as u64;
        let last = append.events.last().map(|(seq, _)| seq.get());
        let handover = self.sequencer.hand_over(self.store.as_ref(), append);
        armed.disarm();
        if let Err(e) = handover.durable().await {
            self.health
                .poison("the journal failed to write an imported city");
            return Err(AppError::from(Unavailable::Store(e)).into());
        }
        // Reads of the imported city wait for this (they show only what is durable).
        if let Some(seq) = last {
            self.health.made_durable(seq);
        }
        Ok(n)
    }
}

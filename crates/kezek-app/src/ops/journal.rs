//! What auditors do: read the journal a page at a time and its signed head (from the store,
//! on a blocking thread), and run the audit of the whole installation while the service
//! serves (`kezek verify`'s checks, `crate::audit`).

use crate::access::{Auditor, Auth};
use crate::app::{AuditCounts, Audited};
use crate::audit::StateAt;
use crate::error::AppError;
use crate::views::{HeadView, JournalEvent, JournalPage};
use crate::App;
use kezek_core::model::Seq;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl App {
    /// Record `r` as the auditor's view shows it, its sealed values opened.
    pub(crate) fn journal_event(&self, r: &kezek_store::StoredEvent) -> JournalEvent {
        let mut e = JournalEvent::from(r);
        if kezek_store::sealing::is_sealed(&r.payload) {
            let cutoff = self.state.read().policy().cutoff;
            let keys = self.personal.keys.lock();
            e.opened = Some(
                kezek_store::sealing::decode(&r.payload, cutoff, &*keys)
                    .ok()
                    .and_then(|event| serde_json::to_value(event).ok())
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        e
    }

    /// Up to `limit` (1 to 1000) records after `after`, for an auditor.
    ///
    /// # Errors
    /// A limit out of range, or the store failed.
    pub async fn journal(
        &self,
        _: &Auth<Auditor>,
        after: u64,
        limit: Option<usize>,
    ) -> Result<JournalPage, AppError> {
        let limit = super::page_bounds(after, limit)?;
        let records = self.store(move |s| s.read(Seq::new(after), limit)).await?;
        let mut events: Vec<JournalEvent> = records.iter().map(|r| self.journal_event(r)).collect();
        self.name_officials(&mut events)?;
        Ok(JournalPage {
            next_after: records.last().map(|r| r.seq.get()),
            events,
        })
    }

    /// Names the official of each event whose key belongs to one.
    fn name_officials<'a>(
        &self,
        events: impl IntoIterator<Item = &'a mut JournalEvent>,
    ) -> Result<(), AppError> {
        self.peek(|s| {
            for e in events {
                e.official = crate::views::ActingOfficial::of(s, &e.actor);
            }
        })
    }

    /// The journal's head, signed by the authority, for an auditor.
    ///
    /// # Errors
    /// The store failed.
    pub async fn head(&self, _: &Auth<Auditor>) -> Result<HeadView, AppError> {
        self.signed_head().await
    }
}

impl App {
    /// The journal's durable head, signed by the authority (for auditors, and the witness
    /// file of `kezek serve --witness`).
    ///
    /// # Errors
    /// The store failed.
    pub async fn signed_head(&self) -> Result<HeadView, AppError> {
        let head = self.store(|s| s.head()).await?;
        Ok(HeadView::signed(head, self.authority()))
    }
}

impl App {
    /// Runs `kezek verify`'s audit over the store while the service serves — the hash chain,
    /// a replay of every event, every round decided again, every document, key and stored
    /// answer — on a blocking thread, and keeps its result for [`Self::last_audit`]. One at a
    /// time: while one runs, asking again starts nothing (`None`).
    pub async fn audit_now(self: &Arc<Self>, _: &Auth<Auditor>) -> Option<Audited> {
        if self.audits.running.swap(true, Ordering::AcqRel) {
            return None;
        }
        // The state served, compared with the journal's at its seq (once the journal holds
        // it): a node that serves another state than the journal gives stops serving.
        let served = self.durable_served_state().await;
        let app = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            let served = match served {
                Ok(served) => Some(served),
                Err(e) => return Err(e.to_string()),
            };
            let policy = app.state.read().policy().clone();
            let authority = app.authority.clone();
            crate::audit::installation_against(
                app.store.as_ref(),
                policy,
                || Ok(authority.clone()),
                &[],
                served,
            )
            .map(|r| AuditCounts {
                events: r.events,
                rounds: r.rounds,
                documents: r.documents,
                keys: r.keys,
                answers: r.answers,
                head_seq: r.head.seq.get(),
                head_hash: r.head.hash,
            })
            .map_err(|e| {
                if let crate::audit::AuditError::Diverged(why) = &e {
                    app.stop_serving(why);
                }
                e.to_string()
            })
        })
        .await
        .unwrap_or_else(|e| Err(format!("the audit stopped: {e}")));
        let audited = Audited {
            at: self.now(),
            result,
        };
        *self.audits.last.lock() = Some(audited.clone());
        self.audits.running.store(false, Ordering::Release);
        Some(audited)
    }

    /// The digest of the state this node has now and its seq, durable or not — for what the
    /// node checks by itself (the snapshot keeper compares it with its own replay). Holds the
    /// state's read lock while the state is encoded (about 0.4 s at 10⁶ applications).
    ///
    /// # Errors
    /// The service is poisoned, or the state does not encode.
    pub fn served_state_now(&self) -> Result<StateAt, AppError> {
        let digest = self.peek(|s| {
            crate::audit::state_digest(s).map(|digest| StateAt {
                seq: s.last_seq().get(),
                digest,
            })
        })?;
        digest.map_err(|e| AppError::Unavailable(crate::Unavailable::Poisoned(e.into())))
    }

    /// The digest of the state this node serves and its seq, for an auditor: what `kezek
    /// verify --against` compares with the journal's ([`Self::served_state_now`], off the
    /// async workers, answered once the journal holds its seq).
    ///
    /// # Errors
    /// The service is poisoned, or the state does not encode.
    pub async fn state_digest(self: &Arc<Self>, _: &Auth<Auditor>) -> Result<StateAt, AppError> {
        self.durable_served_state().await
    }

    async fn durable_served_state(self: &Arc<Self>) -> Result<StateAt, AppError> {
        let app = Arc::clone(self);
        let served = tokio::task::spawn_blocking(move || app.served_state_now())
            .await
            .map_err(|_| {
                AppError::Unavailable(crate::Unavailable::Poisoned("the digest panicked".into()))
            })??;
        self.health
            .until_durable(served.seq)
            .await
            .map_err(|reason| AppError::Unavailable(crate::Unavailable::Poisoned(reason)))?;
        Ok(served)
    }

    /// Stops this node serving: the state it holds was found not to be the journal's (`why`
    /// says how); `/healthz` says why, and a restart rebuilds the state from the journal.
    pub fn stop_serving(&self, why: &str) {
        self.health.poison(why);
    }

    /// The last audit run from the console since the service started, if any.
    #[must_use]
    pub fn last_audit(&self, _: &Auth<Auditor>) -> Option<Audited> {
        self.audits.last.lock().clone()
    }
}

/// What an auditor looks for in the journal: events about one application, by one actor, of
/// one kind — any of them, or none (every event).
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// An application number: its events, those of its referrals and the rounds that
    /// referred it.
    pub application: Option<String>,
    /// An actor (a key id, `system`, `family-link`, …).
    pub actor: Option<String>,
    /// An event kind (`referral_lapsed`, …).
    pub kind: Option<String>,
}

/// A page of the journal read newest first.
#[derive(Debug, Clone)]
pub struct JournalView {
    /// The events found, newest first, each with what it is about in words' codes.
    pub events: Vec<(JournalEvent, Subject)>,
    /// Where to read on from (the seq to look before), when there may be older ones.
    pub older: Option<u64>,
    /// The newest seq.
    pub head: u64,
}

/// What an event is about.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// The application (number) it concerns, where one.
    pub application: Option<String>,
    /// The referral, where one.
    pub referral: Option<String>,
    /// The kindergarten, where one.
    pub kindergarten: Option<String>,
    /// The district or round, where one.
    pub place: Option<String>,
    /// The reason of a lapse (`no_show`, `not_admitted`, `not_confirmed`, `not_enrolled`).
    pub reason: Option<String>,
}

/// Records read per look, and looked at per page at most (a filter that matches little in a
/// large journal is read on page by page: the page says where to go on from).
const LOOK: u64 = 1000;
const LOOK_AT_MOST: u64 = 20_000;

impl App {
    /// Up to `limit` events before seq `before` (`None`: from the newest) that `filter`
    /// keeps, newest first, for an auditor.
    ///
    /// # Errors
    /// The store failed.
    pub async fn journal_view(
        &self,
        _: &Auth<Auditor>,
        before: Option<u64>,
        filter: JournalFilter,
        limit: usize,
    ) -> Result<JournalView, AppError> {
        let head = self.store(|s| s.head()).await?.seq.get();
        let app = filter
            .application
            .as_deref()
            .map(|a| a.trim().to_uppercase())
            .filter(|a| !a.is_empty());
        // The referrals of the application looked for, from the state.
        let referrals: Vec<String> = match &app {
            Some(id) => {
                let id = id.clone();
                self.peek(move |s| {
                    let a = kezek_core::model::ApplicationId::parse(&id)
                        .ok()
                        .and_then(|id| s.application_index(&id));
                    s.referrals()
                        .filter(|(_, r)| Some(r.app) == a)
                        .map(|(_, r)| r.id.to_string())
                        .collect()
                })?
            }
            None => Vec::new(),
        };
        let mut end = before.unwrap_or(head + 1).min(head + 1);
        let mut events = Vec::new();
        let mut looked = 0;
        while end > 1 && events.len() < limit && looked < LOOK_AT_MOST {
            let start = end.saturating_sub(LOOK).max(1);
            let records = self
                .store(move |s| {
                    s.read(
                        Seq::new(start - 1),
                        usize::try_from(end - start).unwrap_or(0),
                    )
                })
                .await?;
            looked += end - start;
            for r in records.iter().rev() {
                if events.len() == limit {
                    end = r.seq.get() + 1;
                    break;
                }
                let e = self.journal_event(r);
                let subject = subject(&e);
                let keep = filter
                    .actor
                    .as_deref()
                    .is_none_or(|a| a.is_empty() || e.actor == a)
                    && filter
                        .kind
                        .as_deref()
                        .is_none_or(|k| k.is_empty() || e.kind == k)
                    && app
                        .as_deref()
                        .is_none_or(|a| concerns(&e, &subject, a, &referrals));
                if keep {
                    events.push((e, subject));
                }
                end = r.seq.get();
            }
            if records.is_empty() {
                break;
            }
        }
        self.name_officials(events.iter_mut().map(|(e, _)| e))?;
        Ok(JournalView {
            events,
            older: (end > 1).then_some(end),
            head,
        })
    }
}

/// What event `e` is about, read from its payload.
fn subject(e: &JournalEvent) -> Subject {
    let text = |k: &str| {
        e.said()
            .get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Subject {
        application: text("application_id"),
        referral: text("referral_id"),
        kindergarten: text("kindergarten_id"),
        place: text("round_id")
            .or_else(|| text("district"))
            .or_else(|| text("key_id")),
        reason: text("reason"),
    }
}

/// Whether event `e` concerns application `app` (whose referrals are `referrals`).
fn concerns(e: &JournalEvent, s: &Subject, app: &str, referrals: &[String]) -> bool {
    s.application.as_deref() == Some(app)
        || s.referral.as_ref().is_some_and(|r| referrals.contains(r))
        || e.said()
            .get("referrals")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|rs| {
                rs.iter().any(|r| {
                    r.get("application_id").and_then(serde_json::Value::as_str) == Some(app)
                })
            })
}

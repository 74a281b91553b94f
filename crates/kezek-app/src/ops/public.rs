//! The public journal: every record of the journal with the personal data taken out, which
//! anyone may read (`GET /public/journal`, `GET /public/head`) once the operator started
//! publishing (`kezek public enable`, journaled with the pseudonyms' secret).
//!
//! What is taken out, and how, is the core's ([`kezek_core::public::redact`]): each IIN
//! becomes a pseudonym, names, addresses and free text go, birth dates become cohorts; the
//! record format is [`crate::audit::public`]'s. Each public record's hash chains the public
//! journal and commits to its private record's hash; the public head is signed by the authority — so the public journal is the
//! private one with the personal data taken out, record for record.

use crate::access::Caller;
use crate::error::AppError;
use crate::App;
use kezek_core::command::portal::StartPublication;
use kezek_core::model::{Cutoff, Seq};
use kezek_store::{Store, StoredEvent};
use serde_json::Value;
use std::sync::Arc;

use crate::audit::public::{certificate_bytes, public_hash, SignedCertificate};
pub use crate::audit::public::{public_head_bytes, PublicHead, PublicPage, PublicRecord};
pub use kezek_core::public::{pseudonym, redact};

/// The public records of `records`, chained after `prev`.
fn publish(
    records: &[StoredEvent],
    mut prev: [u8; 32],
    secret: &str,
    cutoff: Cutoff,
) -> Vec<PublicRecord> {
    records
        .iter()
        .map(|r| {
            let payload = redact(&r.kind, &r.payload, secret, cutoff);
            let hash = public_hash(&prev, (r.seq.get(), &r.hash, &r.kind), &payload);
            let out = PublicRecord {
                seq: r.seq.get(),
                at: r.at.clone(),
                kind: r.kind.clone(),
                payload,
                private_hash: hex::encode(r.hash),
                prev_hash: hex::encode(prev),
                hash: hex::encode(hash),
                certificate: None,
            };
            prev = hash;
            out
        })
        .collect()
}

fn not_published() -> AppError {
    AppError::NotFound {
        what: "public journal",
        id: "(not published: `kezek public enable`)".into(),
    }
}

impl App {
    /// Starts publishing the public journal (the operator): draws the pseudonyms' secret and
    /// journals it.
    ///
    /// # Errors
    /// Published already, or the service unavailable.
    pub async fn start_publication_by_operator(self: &Arc<Self>) -> Result<(), AppError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            AppError::invalid("secret", "no_randomness", format!("no random bytes: {e}"))
        })?;
        let secret = hex::encode(bytes);
        self.write(
            &Caller::operator(),
            None,
            move |_, at| Ok(StartPublication { secret, at }.into()),
            |_, _, _| crate::Written::json(200, &Value::Null),
        )
        .await?;
        Ok(())
    }

    /// Up to `limit` (1 to 1000) public records after seq `after`.
    ///
    /// # Errors
    /// Not published, a bad page, or the store failed.
    pub async fn public_journal(
        &self,
        after: u64,
        limit: Option<usize>,
    ) -> Result<PublicPage, AppError> {
        let limit = super::page_bounds(after, limit)?;
        let (secret, cutoff) = self.publication()?;
        let prev = self.public_hash_at(after, &secret, cutoff).await?;
        let records = self
            .store(move |s| {
                Ok(publish(
                    &s.read(Seq::new(after), limit)?,
                    prev,
                    &secret,
                    cutoff,
                ))
            })
            .await?;
        Ok(PublicPage {
            records: self.certified(records),
        })
    }

    /// `records` with each round's certificate, signed by the authority; up to the first
    /// round this node's state has not applied yet (a follower a moment behind its store).
    fn certified(&self, mut records: Vec<PublicRecord>) -> Vec<PublicRecord> {
        let authority = self.authority();
        let state = self.state.read();
        for i in 0..records.len() {
            let Some(r) = records.get_mut(i).filter(|r| r.kind == "round_run") else {
                continue;
            };
            let id = r
                .payload
                .get("round_id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(c) = kezek_core::model::RoundId::parse(id)
                .ok()
                .and_then(|id| state.round_certificate(&id))
            else {
                records.truncate(i);
                break;
            };
            r.certificate = Some(SignedCertificate {
                signature: authority.sign(&certificate_bytes(r.seq, c)),
                key_id: authority.key_id().to_owned(),
                round_certificate: c.clone(),
                seq: r.seq,
            });
        }
        records
    }

    /// The public journal's head, signed by the authority.
    ///
    /// # Errors
    /// Not published, or the store failed.
    pub async fn public_head(&self) -> Result<PublicHead, AppError> {
        let (secret, cutoff) = self.publication()?;
        let head = self.store(|s| s.head()).await?;
        let hash = hex::encode(self.public_hash_at(head.seq.get(), &secret, cutoff).await?);
        let authority = self.authority();
        Ok(PublicHead {
            seq: head.seq.get(),
            signature: authority.sign(&public_head_bytes(head.seq.get(), &hash)),
            key_id: authority.key_id().to_owned(),
            hash,
        })
    }

    fn publication(&self) -> Result<(String, Cutoff), AppError> {
        let state = self.state.read();
        let secret = state
            .publication_secret()
            .ok_or_else(not_published)?
            .to_owned();
        Ok((secret, state.policy().cutoff))
    }

    /// The public hash of record `seq` (zeros for 0), the chain kept in memory and extended
    /// from the store as far as asked.
    async fn public_hash_at(
        &self,
        seq: u64,
        secret: &str,
        cutoff: Cutoff,
    ) -> Result<[u8; 32], AppError> {
        loop {
            let (have, last) = {
                let chain = self.public_chain.lock();
                let have = chain.len() as u64;
                if seq <= have {
                    let at = usize::try_from(seq).unwrap_or(usize::MAX);
                    return Ok(if seq == 0 {
                        [0; 32]
                    } else {
                        chain.get(at - 1).copied().unwrap_or([0; 32])
                    });
                }
                (have, chain.last().copied().unwrap_or([0; 32]))
            };
            let secret = secret.to_owned();
            let page: Vec<[u8; 32]> = self
                .store(move |s: &dyn Store| {
                    let records = s.read(Seq::new(have), 1000)?;
                    Ok(publish(&records, last, &secret, cutoff)
                        .iter()
                        .filter_map(|r| hex::decode(&r.hash).ok()?.try_into().ok())
                        .collect())
                })
                .await?;
            if page.is_empty() {
                return Err(AppError::not_found("journal record", &seq.to_string()));
            }
            let mut chain = self.public_chain.lock();
            if chain.len() as u64 == have {
                chain.extend(page);
            }
        }
    }
}

//! `kezek verify`: checks an installation (`kezek_app::audit`) and prints what was checked
//! and the head.

use crate::cli::VerifyArgs;
use crate::config::policy_choice;
use anyhow::{bail, Context, Result};
use kezek_app::keys::authority::Authority;
use kezek_store::sqlite::SqliteStore;
use kezek_store::Store;
use std::sync::Arc;

/// Runs the command.
///
/// # Errors
/// The store cannot be opened, or the first record (by seq) that fails a check.
pub fn run(args: &VerifyArgs) -> Result<()> {
    if let Some(source) = &args.public {
        return super::verify_public::run(source, args);
    }
    let installation = super::installation(&args.store);
    let (store, database): (Arc<dyn Store>, &str) = match &installation.database {
        None => {
            let path = installation.journal();
            if !path.exists() {
                bail!("no journal at {}", path.display());
            }
            let store = SqliteStore::open(&path).context("cannot open the journal")?;
            store.integrity_check(&path)?;
            (Arc::new(store), "database intact, head mark reached")
        }
        // PostgreSQL checks its own pages; the chain and the replay below check the rest.
        Some(url) => {
            let store = kezek_store::postgres::PgStore::open(url).with_context(|| {
                format!("cannot open the journal in {}", installation.journal_name())
            })?;
            (Arc::new(store), "PostgreSQL journal read")
        }
    };
    let policy = policy_choice(args.store.policy.as_deref())?;
    let key = installation.authority();
    let heads = super::expected_heads(args)?;
    let served = match (&args.against, &args.token) {
        (Some(url), Some(token)) => Some(served_state(url, token)?),
        _ => None,
    };
    let against = served.as_ref().map(|s| (s.seq, args.against.clone()));
    let r = kezek_app::audit::installation_against(
        store.as_ref(),
        policy,
        || Authority::load(&key).map(|k| k.with_retired(Authority::retired_beside(&key))),
        &heads,
        served,
    )?;
    if let Some((seq, Some(url))) = against {
        println!("the state {url} serves at seq {seq} is the journal's");
    }
    // On a line of its own: the last line keeps the words earlier versions printed.
    println!(
        "proof files: {}, each stored with the bytes whose SHA-256 the journal holds",
        r.files
    );
    let genesis = store.genesis()?;
    if genesis != kezek_store::record::GENESIS {
        println!(
            "this journal continues another (kezek migrate --encrypt-personal): its first record chains from that journal's head, hash {}",
            super::hex_of(&genesis)
        );
    }
    println!(
        "verified: {database}, {} saved heads passed; {} events, chain intact, {} allocation rounds re-run with the same referrals, {} documents, {} keys signed and {} stored answers sealed; head seq {} hash {}",
        r.heads,
        r.events,
        r.rounds,
        r.documents,
        r.keys,
        r.answers,
        r.head.seq,
        super::hex_of(&r.head.hash)
    );
    Ok(())
}

/// The state the node at `url` serves: its seq and digest (`GET /v1/journal/state`).
fn served_state(url: &str, token: &str) -> Result<kezek_app::audit::StateAt> {
    let url = format!("{}/v1/journal/state", url.trim_end_matches('/'));
    super::runtime()?.block_on(async {
        let body = super::get_text(&reqwest::Client::new(), &url, Some(token)).await?;
        serde_json::from_str(&body).with_context(|| format!("{url} answered {body}"))
    })
}

//! `kezek verify`: checks an installation (`kezek_app::audit`) and prints what was checked
//! and the head.

use crate::cli::VerifyArgs;
use crate::config::policy_choice;
use anyhow::{bail, Context, Result};
use kezek_app::audit::heads::{parse_head, parse_heads, ExpectedHead};
use kezek_app::keys::authority::Authority;
use kezek_store::sqlite::SqliteStore;
use kezek_store::Store;
use std::sync::Arc;

/// Runs the command.
///
/// # Errors
/// The store cannot be opened, or the first record (by seq) that fails a check.
pub fn run(args: &VerifyArgs) -> Result<()> {
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
    let heads = expected_heads(args)?;
    let r =
        kezek_app::audit::installation(store.as_ref(), policy, || Authority::load(&key), &heads)?;
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

/// The heads of `--expect-head` and `--heads`.
fn expected_heads(args: &VerifyArgs) -> Result<Vec<ExpectedHead>> {
    let mut heads = Vec::new();
    for h in &args.expect_heads {
        heads.push(parse_head(h).map_err(|e| anyhow::anyhow!("--expect-head {h}: {e}"))?);
    }
    if let Some(file) = &args.heads {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let saved = parse_heads(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        heads.extend(saved);
    }
    Ok(heads)
}

//! `kezek serve`, `kezek keys create`, `kezek import`: open the store, replay the journal,
//! and wire the API. Wiring only.

use crate::cli::{ImportArgs, KeyArgs, ServeArgs, VerifyArgs, VerifyDocumentArgs};
use crate::simulate::load_policy;
use anyhow::{bail, Context, Result};
use kezek_api::auth::{key_record, new_token, Role};
use kezek_api::service::Service;
use kezek_core::city::load_city;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::{Policy, State};
use kezek_store::replay::replay;
use kezek_store::sqlite::SqliteJournal;
use kezek_store::{Append, Journal};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sample city shipped for `--demo` (a copy of ../shared/dataset/sample).
const DEMO_GROUPS: &[u8] = include_bytes!("../data/sample/groups.csv");
const DEMO_APPLICATIONS: &[u8] = include_bytes!("../data/sample/applications.csv");

/// Opens the journal in `data` and replays it.
fn open(data: &Path, policy: Policy) -> Result<(Arc<SqliteJournal>, State)> {
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let journal = Arc::new(
        SqliteJournal::open(&data.join("kezek.sqlite")).context("cannot open the journal")?,
    );
    let mut state = State::new(policy);
    let started = Instant::now();
    let last = replay(journal.as_ref(), &mut state)
        .context("the journal does not verify; refusing to start")?;
    tracing::info!(
        events = last.get(),
        ms = started.elapsed().as_millis() as u64,
        "journal replayed"
    );
    Ok((journal, state))
}

/// Loads a city into `state` and writes all its events in one transaction.
fn load(
    journal: &dyn Journal,
    state: &mut State,
    groups: &[u8],
    apps: &[u8],
    actor: &str,
) -> Result<u64> {
    let groups = parse_groups(groups).context("groups.csv")?;
    let apps =
        parse_applications(apps, state.policy().max_preferences).context("applications.csv")?;
    let mut events = Vec::new();
    load_city(state, &groups, apps, &mut |o| events.extend(o))?;
    let n = events.len() as u64;
    let at = jiff::Timestamp::now().to_string();
    journal
        .submit(Append {
            events,
            at,
            actor: actor.into(),
            idempotency: None,
            documents: Vec::new(),
        })
        .wait()?;
    Ok(n)
}

/// Creates a key, signed by the data dir's authority key (so `kezek verify` sees any edit).
fn create(
    journal: &dyn Journal,
    data: &Path,
    role: Role,
    scope: Vec<String>,
) -> Result<(String, String)> {
    let authority = kezek_api::authority::Authority::load_or_create(&data.join("authority.key"))?;
    let (token, key_id) =
        new_token().map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    let mut record = key_record(
        &key_id,
        &token,
        role,
        scope,
        &jiff::Timestamp::now().to_string(),
    );
    record.signature = authority.sign(&kezek_api::authority::key_bytes(&record));
    journal.put_key(&record)?;
    Ok((key_id, token))
}

/// `kezek serve`.
///
/// # Errors
/// The store cannot be opened or does not verify, or the address cannot be bound.
pub fn run(args: &ServeArgs) -> Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Log lines are written by a thread of their own, buffered and flushed whenever it has
    // nothing more to write: a request does not pay a write(2) for its log line. The guard
    // flushes what is left when serve returns.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if args.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
    let (journal, mut state) = open(&args.data, load_policy(args.policy.as_deref())?)?;
    if args.demo {
        if state.last_seq().get() == 0 {
            let n = load(
                journal.as_ref(),
                &mut state,
                DEMO_GROUPS,
                DEMO_APPLICATIONS,
                "demo",
            )?;
            println!("demo: loaded the sample city ({n} events)");
        }
        let districts: Vec<String> = state.districts().iter().map(|d| d.id.to_string()).collect();
        let first_kg = state
            .kindergartens()
            .first()
            .map(|k| k.id.to_string())
            .into_iter()
            .collect();
        for (role, scope) in [
            (Role::Admin, vec![]),
            (Role::Portal, vec![]),
            (Role::Staff, districts),
            (Role::Kindergarten, first_kg),
        ] {
            let (key_id, token) = create(journal.as_ref(), &args.data, role, scope.clone())?;
            println!(
                "demo {} token ({key_id}, scope [{}]): {token}",
                role.as_str(),
                scope.join(",")
            );
        }
    }
    let authority =
        kezek_api::authority::Authority::load_or_create(&args.data.join("authority.key"))?;
    println!("authority key {}", authority.key_id());
    let svc = Service::new(state, journal, Arc::new(jiff::Timestamp::now), authority)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        println!("kezek listening on http://{}", listener.local_addr()?);
        let sweeper = Arc::clone(&svc);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                sweeper.sweep().await;
            }
        });
        tokio::spawn(async {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                kezek_api::metrics::upkeep();
            }
        });
        axum::serve(listener, kezek_api::router(svc))
            .with_graceful_shutdown(shutdown())
            .await?;
        Ok(())
    })
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

/// `kezek keys create`.
///
/// # Errors
/// Unknown role, scope on the wrong role, or the store cannot be written.
pub fn create_key(args: &KeyArgs) -> Result<()> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role must be portal, staff, kindergarten, auditor or admin")
    };
    let scope = match role {
        Role::Staff if args.districts.is_empty() => {
            bail!("a staff key needs at least one --district")
        }
        Role::Kindergarten if args.kindergartens.is_empty() => {
            bail!("a kindergarten key needs at least one --kindergarten")
        }
        Role::Staff if args.kindergartens.is_empty() => args.districts.clone(),
        Role::Kindergarten if args.districts.is_empty() => args.kindergartens.clone(),
        _ if args.districts.is_empty() && args.kindergartens.is_empty() => Vec::new(),
        _ => bail!("--district is for staff keys and --kindergarten for kindergarten keys"),
    };
    std::fs::create_dir_all(&args.data)?;
    let journal = SqliteJournal::open(&args.data.join("kezek.sqlite"))?;
    let (key_id, token) = create(&journal, &args.data, role, scope)?;
    println!(
        "created {} key {key_id}; the token is shown once:",
        role.as_str()
    );
    println!("{token}");
    Ok(())
}

/// `kezek import`.
///
/// # Errors
/// A bad row (nothing is written), or the store cannot be opened or written.
pub fn import(args: &ImportArgs) -> Result<()> {
    let (journal, mut state) = open(&args.data, load_policy(args.policy.as_deref())?)?;
    let groups = std::fs::read(&args.groups)
        .with_context(|| format!("cannot read {}", args.groups.display()))?;
    let apps = std::fs::read(&args.applications)
        .with_context(|| format!("cannot read {}", args.applications.display()))?;
    let n = load(journal.as_ref(), &mut state, &groups, &apps, "import")?;
    println!("imported {n} events; {} queued", state.queued());
    Ok(())
}

/// `kezek documents verify`: exit 0 when the signature matches the key.
///
/// # Errors
/// Unreadable files, a malformed document or key, or a signature that does not match.
pub fn verify_document(args: &VerifyDocumentArgs) -> Result<()> {
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?,
    )
    .context("the document is not JSON")?;
    let key_text = std::fs::read_to_string(&args.public_key)
        .with_context(|| format!("cannot read {}", args.public_key.display()))?;
    let key_id = doc["key_id"]
        .as_str()
        .context("the document has no key_id")?;
    let public_key = match serde_json::from_str::<serde_json::Value>(&key_text) {
        Ok(keys) => keys["keys"]
            .as_array()
            .and_then(|ks| ks.iter().find(|k| k["key_id"] == key_id))
            .and_then(|k| k["public_key"].as_str())
            .with_context(|| format!("no key {key_id} in {}", args.public_key.display()))?
            .to_owned(),
        Err(_) => key_text.trim().to_owned(),
    };
    let signature = doc["signature"]
        .as_str()
        .context("the document has no signature")?;
    let bytes = kezek_api::documents::signed_bytes(&doc);
    if kezek_api::authority::verify(&public_key, &bytes, signature)? {
        println!(
            "valid: {} {} signed by {key_id}",
            doc["kind"].as_str().unwrap_or("?"),
            doc["id"].as_str().unwrap_or("?")
        );
        Ok(())
    } else {
        bail!("INVALID: the signature does not match the document and key {key_id}")
    }
}

/// `kezek verify`.
///
/// # Errors
/// The store cannot be opened, or the first record (by seq) that fails a check.
pub fn verify(args: &VerifyArgs) -> Result<()> {
    let path = args.data.join("kezek.sqlite");
    if !path.exists() {
        bail!("no journal at {}", path.display());
    }
    let journal = SqliteJournal::open(&path).context("cannot open the journal")?;
    let mut state = State::new(load_policy(args.policy.as_deref())?);
    let audit = kezek_store::replay::audit(&journal, &mut state)?;
    let documents = verify_documents(&journal, &state, &args.data.join("authority.key"))?;
    let (keys, answers) = verify_records(&journal, &args.data.join("authority.key"))?;
    let head = journal.head()?;
    let hash: String = head.hash.iter().map(|b| format!("{b:02x}")).collect();
    println!(
        "verified: {} events, chain intact, {} allocation rounds re-run with the same referrals, {documents} documents, {keys} keys signed and {answers} stored answers sealed; head seq {} hash {hash}",
        audit.events, audit.rounds, head.seq
    );
    Ok(())
}

/// Every stored document: signed by the authority key, stored under its own id, and about an
/// application the journal knows.
fn verify_documents(journal: &dyn Journal, state: &State, key: &Path) -> Result<u64> {
    let first = journal.documents("", 1)?;
    if first.is_empty() {
        return Ok(0);
    }
    let authority = kezek_api::authority::Authority::load(key)
        .context("documents exist but the authority key does not")?;
    let public = authority.public_key();
    let (mut after, mut n) = (String::new(), 0u64);
    loop {
        let page = journal.documents(&after, 1000)?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        for (id, bytes) in page {
            let doc: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("document {id} is not JSON"))?;
            let signature = doc["signature"].as_str().unwrap_or_default();
            if !kezek_api::authority::verify(
                &public,
                &kezek_api::documents::signed_bytes(&doc),
                signature,
            )
            .unwrap_or(false)
            {
                bail!("document {id}: the signature does not match its content");
            }
            if doc["id"] != id.as_str() {
                bail!("document {id} is stored under another document's id");
            }
            let app = doc["application_id"].as_str().unwrap_or_default();
            let known = kezek_core::ids::ApplicationId::parse(app)
                .is_ok_and(|a| state.application_index(&a).is_some() || doc["kind"] == "refusal");
            if !known {
                bail!("document {id} is about application {app}, which the journal does not have");
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Every API key and stored answer carries the authority's signature over its content.
fn verify_records(journal: &dyn Journal, key: &Path) -> Result<(usize, usize)> {
    let (keys, answers) = (journal.keys()?, journal.answers()?);
    if keys.is_empty() && answers.is_empty() {
        return Ok((0, 0));
    }
    let authority = kezek_api::authority::Authority::load(key)
        .context("keys exist but the authority key does not")?;
    let public = authority.public_key();
    let ok = |bytes: &[u8], sig: &str| {
        kezek_api::authority::verify(&public, bytes, sig).unwrap_or(false)
    };
    for k in &keys {
        if !ok(&kezek_api::authority::key_bytes(k), &k.signature) {
            bail!(
                "API key {}: the signature does not match the stored key",
                k.key_id
            );
        }
    }
    for a in &answers {
        if !authority.sealed(a) {
            bail!(
                "stored answer {} of {}: the signature does not match",
                a.key,
                a.actor
            );
        }
    }
    Ok((keys.len(), answers.len()))
}

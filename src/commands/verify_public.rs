//! `kezek verify --public URL|DIR`: checks a public journal (`kezek_app::audit::public`)
//! downloaded from a running service page by page, or read from a directory, and prints
//! what was checked.

use crate::cli::VerifyArgs;
use crate::config::policy_choice;
use anyhow::{bail, Context, Result};
use kezek_app::audit::public::{check_through, PublicHead, PublicPage, PublicRecord};
use kezek_app::audit::AuditError;
use std::collections::VecDeque;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The file of records in a saved public journal, one JSON record a line.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// The file of the signed head in a saved public journal.
pub const HEAD_FILE: &str = "head.json";
/// Records asked for at once (the most the service gives).
const PAGE: usize = 1000;

/// Runs the check.
///
/// # Errors
/// The journal cannot be read, or the first record (by seq) that fails, then the head.
pub fn run(source: &str, args: &VerifyArgs) -> Result<()> {
    let fallback = match policy_choice(args.store.policy.as_deref())? {
        kezek_app::PolicyChoice::Journaled(p) | kezek_app::PolicyChoice::Given(p) => p,
    };
    let pinned = match &args.public_key {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?,
        ),
        None => None,
    };
    let saved = super::expected_heads(args)?;
    let remote = source.starts_with("http://") || source.starts_with("https://");
    let report = if remote {
        let mut pages = Pages::open(source, args.save.as_deref())?;
        let head = pages.head.clone();
        let report = check_through(&mut pages, (&head, &saved), pinned.as_deref(), fallback);
        pages.finish()?;
        report
    } else {
        if args.save.is_some() {
            bail!("--save keeps a download: give --public a URL");
        }
        let dir = Path::new(source);
        let head = read_head(&dir.join(HEAD_FILE))?;
        let file = dir.join(JOURNAL_FILE);
        let lines = std::io::BufReader::new(
            std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?,
        )
        .lines();
        let records = lines.enumerate().map(|(i, line)| {
            let line = line.map_err(|e| AuditError::Record(format!("{JOURNAL_FILE}: {e}")))?;
            serde_json::from_str::<PublicRecord>(&line).map_err(|e| {
                AuditError::Record(format!(
                    "{JOURNAL_FILE} line {}: not a public record: {e}",
                    i + 1
                ))
            })
        });
        check_through(records, (&head, &saved), pinned.as_deref(), fallback)
    }?;
    let key = if report.pinned {
        "the key given with --public-key".to_owned()
    } else {
        format!(
            "the key the journal adopted (compare {} with the department's published key, or give it with --public-key)",
            report.key_id
        )
    };
    println!(
        "verified public journal of {source}: {} records chained to the signed head{}, {} allocation rounds re-run with the same referrals, {} applications ({} waiting) of {} persons rebuilt without personal data; head seq {} public hash {}, signed by key {} — {key}",
        report.events,
        if saved.is_empty() {
            String::new()
        } else {
            format!(" through {} saved heads", saved.len())
        },
        report.rounds,
        report.applications.0,
        report.applications.1,
        report.persons,
        report.head.0,
        report.head.1,
        report.key_id,
    );
    Ok(())
}

fn read_head(path: &Path) -> Result<PublicHead> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a signed head", path.display()))
}

/// The public journal of a running service, read page by page up to the head asked for
/// first (records written since are not part of it); each page also saved when asked.
struct Pages {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    head: PublicHead,
    after: u64,
    buffer: VecDeque<PublicRecord>,
    save: Option<(BufWriter<std::fs::File>, PathBuf)>,
    failed: Option<anyhow::Error>,
}

impl Pages {
    fn open(url: &str, save: Option<&Path>) -> Result<Self> {
        let runtime = super::runtime()?;
        let client = reqwest::Client::new();
        let base = url.trim_end_matches('/').to_owned();
        let head_text = runtime.block_on(super::get_text(
            &client,
            &format!("{base}/public/head"),
            None,
        ))?;
        let head: PublicHead = serde_json::from_str(&head_text)
            .with_context(|| format!("{base}/public/head answered {head_text}"))?;
        let save = match save {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                std::fs::write(dir.join(HEAD_FILE), &head_text)?;
                let path = dir.join(JOURNAL_FILE);
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Some((BufWriter::new(file), path))
            }
            None => None,
        };
        Ok(Self {
            runtime,
            client,
            base,
            head,
            after: 0,
            buffer: VecDeque::new(),
            save,
            failed: None,
        })
    }

    fn fetch(&mut self) -> Result<()> {
        let url = format!(
            "{}/public/journal?after={}&limit={PAGE}",
            self.base, self.after
        );
        let text = self
            .runtime
            .block_on(super::get_text(&self.client, &url, None))?;
        let page: PublicPage =
            serde_json::from_str(&text).with_context(|| format!("{url} answered {text}"))?;
        if page.records.is_empty() {
            bail!(
                "{url} answered no records: the journal ends before its head {}",
                self.head.seq
            );
        }
        for r in page.records {
            if r.seq > self.head.seq {
                break;
            }
            self.after = r.seq;
            if let Some((out, path)) = &mut self.save {
                serde_json::to_writer(&mut *out, &r)?;
                out.write_all(b"\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            self.buffer.push_back(r);
        }
        Ok(())
    }

    /// Ends the download: a failure to read a page, then the saved file's last write.
    fn finish(self) -> Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Some((mut out, path)) = self.save {
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

impl Iterator for &mut Pages {
    type Item = Result<PublicRecord, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && self.after < self.head.seq && self.failed.is_none() {
            if let Err(e) = self.fetch() {
                let message = format!("{e:#}");
                self.failed = Some(e);
                return Some(Err(AuditError::Record(message)));
            }
        }
        self.buffer.pop_front().map(Ok)
    }
}

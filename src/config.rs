//! Configuration in one place: every default, every file name inside the data directory, the
//! `KEZEK_*` environment variables that stand for flags, and loading the tier policy.

use anyhow::{Context, Result};
use kezek_core::Policy;
use std::path::{Path, PathBuf};

/// The data directory when none is given (`--data`, `KEZEK_DATA`).
pub const DEFAULT_DATA: &str = "./kezek-data";
/// The address `serve` listens on when none is given (`--listen`, `KEZEK_LISTEN`).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The log format when none is given (`--log-format`, `KEZEK_LOG_FORMAT`): `text` or `json`.
pub const DEFAULT_LOG_FORMAT: &str = "text";
/// The academic year `simulate` allocates for when none is given.
pub const DEFAULT_ACADEMIC_YEAR: &str = "2026";
/// Seconds between two heads in `serve --witness`'s file (`--witness-every`).
pub const DEFAULT_WITNESS_EVERY: u64 = 60;
/// Records between two snapshots of `serve` (`--snapshot-every`; 0: none).
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 100_000;
/// Connections `serve` keeps open at once (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: u64 = 4096;
/// Seconds a connection has to send a request's headers, and the keep-alive idle time
/// (`--header-timeout`).
pub const DEFAULT_HEADER_TIMEOUT: u64 = 10;
/// Seconds a request has to send its body (`--body-timeout`).
pub const DEFAULT_BODY_TIMEOUT: u64 = 30;
/// The sender of Kezek's letters to families (`--smtp-from`).
pub const DEFAULT_SMTP_FROM: &str = "Kezek <kezek@localhost>";
/// Seconds a leader's lease on a shared journal lasts (`--leader-lease`).
pub const DEFAULT_LEADER_LEASE: f64 = 5.0;
/// Seconds the first push of a notification may take (`--notify-timeout`; later attempts
/// double it, up to eight times).
pub const DEFAULT_NOTIFY_TIMEOUT: u64 = kezek_app::outbox::push::DEFAULT_ATTEMPT_TIMEOUT.as_secs();

/// Environment variables that stand for flags (a flag given wins).
pub mod env {
    /// `--data`.
    pub const DATA: &str = "KEZEK_DATA";
    /// `--listen`.
    pub const LISTEN: &str = "KEZEK_LISTEN";
    /// `--policy`.
    pub const POLICY: &str = "KEZEK_POLICY";
    /// `--log-format`.
    pub const LOG_FORMAT: &str = "KEZEK_LOG_FORMAT";
    /// The log filter (`info`, `info,kezek_http=debug`, …), as `RUST_LOG` is read too.
    pub const LOG: &str = "KEZEK_LOG";
    /// `--witness`.
    pub const WITNESS: &str = "KEZEK_WITNESS";
    /// `--authority-key`.
    pub const AUTHORITY_KEY: &str = "KEZEK_AUTHORITY_KEY";
    /// `--trust-anchors`.
    pub const TRUST_ANCHORS: &str = "KEZEK_TRUST_ANCHORS";
    /// `--crls`.
    pub const CRLS: &str = "KEZEK_CRLS";
    /// `--identities`.
    pub const IDENTITIES: &str = "KEZEK_IDENTITIES";
    /// `serve --public-url`.
    pub const PUBLIC_URL: &str = "KEZEK_PUBLIC_URL";
    /// `serve --notify-url`.
    pub const NOTIFY_URL: &str = "KEZEK_NOTIFY_URL";
    /// `serve --notify-secret-file`.
    pub const NOTIFY_SECRET_FILE: &str = "KEZEK_NOTIFY_SECRET_FILE";
    /// `--database`.
    pub const DATABASE: &str = "KEZEK_DATABASE";
    /// `serve --advertise-url`.
    pub const ADVERTISE_URL: &str = "KEZEK_ADVERTISE_URL";
    /// `serve --max-connections`.
    pub const MAX_CONNECTIONS: &str = "KEZEK_MAX_CONNECTIONS";
    /// `verify --token`: an auditor's token (kept out of the command line and its history).
    pub const TOKEN: &str = "KEZEK_TOKEN";
    /// `serve --snapshot-every`.
    pub const SNAPSHOT_EVERY: &str = "KEZEK_SNAPSHOT_EVERY";
    /// `serve --trusted-proxy` (several separated by commas).
    pub const TRUSTED_PROXY: &str = "KEZEK_TRUSTED_PROXY";
    /// `serve --smtp-url`.
    pub const SMTP_URL: &str = "KEZEK_SMTP_URL";
    /// `serve --smtp-from`.
    pub const SMTP_FROM: &str = "KEZEK_SMTP_FROM";
    /// `serve --leader-lease`.
    pub const LEADER_LEASE: &str = "KEZEK_LEADER_LEASE";
}

/// The journal's file in the data directory (SQLite; `-wal` and `-shm` beside it).
pub const JOURNAL_FILE: &str = "kezek.sqlite";
/// The authority's signing key in the data directory (created at first start, mode 0600).
pub const AUTHORITY_FILE: &str = "authority.key";

/// The file in the data directory holding the demo tokens (0600).
pub const DEMO_TOKENS: &str = "demo-tokens.txt";

/// The sample city `serve --demo` loads on first start (a copy of the shared sample).
pub const DEMO_GROUPS: &[u8] = include_bytes!("../data/sample/groups.csv");
/// The sample city's applications.
pub const DEMO_APPLICATIONS: &[u8] = include_bytes!("../data/sample/applications.csv");
/// The sample city's district and authority names.
pub const DEMO_DISTRICTS: &[u8] = include_bytes!("../data/sample/districts.csv");
/// The sample city's kindergarten names and addresses.
pub const DEMO_KINDERGARTENS: &[u8] = include_bytes!("../data/sample/kindergartens.csv");

/// The files of one installation.
#[derive(Debug, Clone)]
pub struct Installation {
    /// The data directory.
    pub data: PathBuf,
    /// The authority key, when kept outside the data directory.
    pub authority_key: Option<PathBuf>,
    /// The PostgreSQL journal's URL, when not SQLite in the data directory.
    pub database: Option<String>,
    /// Trust anchors, CRLs and identities, when not in the data directory.
    pub pki: [Option<PathBuf>; 3],
}

impl Installation {
    /// The installation in `data`, its authority key at `authority_key` or in `data`.
    #[must_use]
    pub fn new(data: &Path, authority_key: Option<&Path>) -> Self {
        Self {
            data: data.to_owned(),
            authority_key: authority_key.map(Path::to_owned),
            database: None,
            pki: [None, None, None],
        }
    }

    /// Where signing needs its files: trust anchors (`trust-anchors/`), CRLs (`crls/`) and
    /// the officials' identities (`identities/`), in the data directory unless given.
    #[must_use]
    pub fn signing(&self) -> kezek_app::keys::identities::Dirs {
        let [anchors, crls, identities] = &self.pki;
        kezek_app::keys::identities::Dirs {
            anchors: anchors
                .clone()
                .unwrap_or_else(|| self.data.join("trust-anchors")),
            crls: crls.clone().unwrap_or_else(|| self.data.join("crls")),
            identities: identities
                .clone()
                .unwrap_or_else(|| self.data.join("identities")),
        }
    }

    /// The same, with its journal in PostgreSQL at `database` when given.
    #[must_use]
    pub fn on(mut self, database: Option<&str>) -> Self {
        self.database = database.map(str::to_owned);
        self
    }

    /// Whether it has a journal yet (a PostgreSQL journal is made on first use).
    #[must_use]
    pub fn has_journal(&self) -> bool {
        self.database.is_some() || self.journal().exists()
    }

    /// Where its journal is, for messages.
    #[must_use]
    pub fn journal_name(&self) -> String {
        match &self.database {
            Some(url) => redact(url),
            None => self.journal().display().to_string(),
        }
    }

    /// The journal's path.
    #[must_use]
    pub fn journal(&self) -> PathBuf {
        self.data.join(JOURNAL_FILE)
    }

    /// Where a server keeps its snapshots of the state.
    #[must_use]
    pub fn snapshots(&self) -> PathBuf {
        self.data.join("snapshots")
    }

    /// The authority key's path.
    #[must_use]
    pub fn authority(&self) -> PathBuf {
        self.authority_key
            .clone()
            .unwrap_or_else(|| self.data.join(AUTHORITY_FILE))
    }

    /// Creates the data directory, readable by this user only (0700), or narrows it to
    /// 0700 if it is wider: it holds every child's IIN.
    ///
    /// # Errors
    /// It cannot be created, or is not ours to narrow.
    pub fn create(&self) -> Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let data = &self.data;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data)
            .with_context(|| format!("cannot create {}", data.display()))?;
        let mode = std::fs::metadata(data)
            .with_context(|| format!("cannot read {}", data.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private (0700)", data.display()))?;
        }
        Ok(())
    }
}

/// A database URL without its password, for messages and logs.
#[must_use]
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}@{host}")
}

/// Loads a policy file, or the built-in kz-2013.
///
/// # Errors
/// The file cannot be read or is not a valid policy (the key at fault is named).
pub fn load_policy(path: Option<&Path>) -> Result<Policy> {
    match path {
        None => Ok(Policy::kz_2013()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Policy::from_toml(&text).with_context(|| format!("{}", p.display()))
        }
    }
}

/// The policy an installation starts under: the file given with `--policy` (which must be
/// the journal's, once the journal has one), or the journal's (the built-in kz-2013 for a
/// journal without one).
///
/// # Errors
/// As [`load_policy`].
pub fn policy_choice(path: Option<&Path>) -> Result<kezek_app::PolicyChoice> {
    let policy = load_policy(path)?;
    Ok(if path.is_some() {
        kezek_app::PolicyChoice::Given(policy)
    } else {
        kezek_app::PolicyChoice::Journaled(policy)
    })
}

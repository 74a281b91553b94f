//! Command-line arguments. Defaults and environment variables come from [`crate::config`].

use crate::config::{
    env, Installation, DEFAULT_ACADEMIC_YEAR, DEFAULT_BODY_TIMEOUT, DEFAULT_DATA,
    DEFAULT_HEADER_TIMEOUT, DEFAULT_LEADER_LEASE, DEFAULT_LISTEN, DEFAULT_LOG_FORMAT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_NOTIFY_TIMEOUT, DEFAULT_SMTP_FROM, DEFAULT_SNAPSHOT_EVERY,
    DEFAULT_WITNESS_EVERY,
};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Kezek: the waiting queue for state kindergarten places.
#[derive(Debug, Parser)]
#[command(name = "kezek", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run one allocation round over a city in memory and write the referrals.
    Simulate(SimulateArgs),
    /// Start the HTTP service.
    Serve(Box<ServeArgs>),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Load a city (groups.csv, applications.csv) into the store, all or nothing.
    Import(ImportArgs),
    /// Check an installation: the hash chain, a replay of every event, every allocation round
    /// decided again from the state before it, every document, key and stored answer.
    Verify(VerifyArgs),
    /// Result documents.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// The policy in force.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The authority key the journal pins: show it, rotate it, replace a lost one.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// The named officials who act for the departments and kindergartens.
    #[command(subcommand)]
    Officials(OfficialsCommand),
    /// Copy an installation, consistently, while it serves: the journal (SQLite's online
    /// backup), its head mark and the authority key, into a new directory.
    Backup(BackupArgs),
    /// Move an installation between SQLite and PostgreSQL: copy its journal record by record
    /// (the same hashes, the same head), its documents, stored answers, keys and outbox into
    /// an empty one. Nothing may write either meanwhile (servers stopped).
    Migrate(MigrateArgs),
    /// The start of an academic year: every kindergarten's groups move up an age with their
    /// children and the oldest groups' children leave for school, one journaled act per
    /// kindergarten (the service stopped).
    RollOver(RollOverArgs),
    /// The e-government portal's citizen assertions.
    #[command(subcommand)]
    Portal(PortalCommand),
    /// The public, pseudonymous journal.
    #[command(subcommand)]
    Public(PublicCommand),
    /// Forgetting persons whose data the service no longer needs.
    #[command(subcommand)]
    Retention(RetentionCommand),
}

/// `kezek retention`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase at once the child, applicant and representative of finished applications (a
    /// court order, a request the law grants): their data keys deleted and the erasure
    /// journaled, their documents, notifications and proof files taken out (the servers
    /// must be stopped). An applicant or representative something still needs is kept.
    Erase(RetentionEraseArgs),
}

/// Arguments of `kezek retention erase`.
#[derive(Debug, Args)]
pub struct RetentionEraseArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
    /// An application (or a refused one) whose persons go; repeat for several.
    #[arg(long = "application", required = true)]
    pub applications: Vec<String>,
    /// What the erasure rests on (the order's number and date, the request), journaled.
    #[arg(long)]
    pub reason: String,
}

/// `kezek public`.
#[derive(Debug, Subcommand)]
pub enum PublicCommand {
    /// Start publishing the public journal (`GET /public/journal`): draws the pseudonyms'
    /// secret and journals it, once (the servers must be stopped).
    Enable(PublicEnableArgs),
}

/// Arguments of `kezek public enable`.
#[derive(Debug, Args)]
pub struct PublicEnableArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// `kezek portal`.
#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Register the public key the portal signs its citizen assertions with (journaled; the
    /// servers must be stopped): from then on each portal request acts only for the citizen
    /// its `Kezek-Citizen` assertion names.
    Trust(PortalTrustArgs),
}

/// Arguments of `kezek portal trust`.
#[derive(Debug, Args)]
pub struct PortalTrustArgs {
    /// The portal's public key, PEM (Ed25519 for `EdDSA`, RSA for `RS256`: told by the key).
    #[arg(long)]
    pub public_key: std::path::PathBuf,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek roll-over`.
#[derive(Debug, Args)]
pub struct RollOverArgs {
    /// The academic year that has begun (the year of its September).
    #[arg(long)]
    pub academic_year: i16,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The installation to copy: a data directory, or `postgres://…`.
    #[arg(long)]
    pub from: String,
    /// Where to: a new (or empty) data directory, or `postgres://…` holding no installation.
    #[arg(long)]
    pub to: String,
    /// Write a journal that keeps personal data in the clear into a new one that seals each
    /// person's data under their own key (so that they can be forgotten): the same events,
    /// seqs and times, the new chain beginning at the old journal's head. Either end may be a
    /// data directory.
    #[arg(long)]
    pub encrypt_personal: bool,
}

/// Arguments of `kezek backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The installation to copy: its data directory, or its journal in PostgreSQL copied as
    /// of one moment into a SQLite data directory (the data directory then only names where
    /// the authority key is). An authority key kept outside the data directory is not
    /// copied: back it up on its own.
    #[command(flatten)]
    pub at: InstallationArgs,
    /// New directory for the copy (must not exist, or be empty).
    #[arg(long)]
    pub to: PathBuf,
}

/// Where an installation is: the same three flags for every command.
#[derive(Debug, Args)]
pub struct InstallationArgs {
    /// Data directory (the SQLite journal is created there on first start).
    #[arg(long, env = env::DATA, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// The journal in PostgreSQL (`postgres://user@host:5432/kezek`) instead of SQLite in the
    /// data directory, which then keeps only the authority key (docs/deployment.md).
    #[arg(long, env = env::DATABASE)]
    pub database: Option<String>,
    /// The authority's signing key, if not `authority.key` in the data directory: kept
    /// elsewhere, a copy of the data directory cannot sign (see docs/operations.md).
    #[arg(long, env = env::AUTHORITY_KEY)]
    pub authority_key: Option<PathBuf>,
    /// Root and intermediate certificates (PEM) officials' certificates must chain to, if
    /// not `trust-anchors/` in the data directory.
    #[arg(long, env = env::TRUST_ANCHORS)]
    pub trust_anchors: Option<PathBuf>,
    /// CRLs (PEM or DER) of those CAs, if not `crls/` in the data directory.
    #[arg(long, env = env::CRLS)]
    pub crls: Option<PathBuf>,
    /// Where the officials' private keys are kept (files of mode 0600), if not `identities/`
    /// in the data directory.
    #[arg(long, env = env::IDENTITIES)]
    pub identities: Option<PathBuf>,
}

impl InstallationArgs {
    /// The installation these flags name.
    #[must_use]
    pub fn installation(&self) -> Installation {
        let mut i = Installation::new(&self.data, self.authority_key.as_deref())
            .on(self.database.as_deref());
        i.pki = [
            self.trust_anchors.clone(),
            self.crls.clone(),
            self.identities.clone(),
        ];
        i
    }
}

/// Where the installation is, and the policy it runs.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
    /// Tier policy (TOML); default: the built-in kz-2013.
    #[arg(long, env = env::POLICY)]
    pub policy: Option<PathBuf>,
}

/// `kezek policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Put a policy file in force from now on (journaled with its text and SHA-256). The
    /// service must be stopped. Refused if it would reorder the children already queued.
    Adopt(AdoptArgs),
    /// Show the policy in force: its name and SHA-256, and since which seq.
    Show(ShowPolicyArgs),
}

/// Arguments of `kezek policy adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The policy file (TOML).
    pub file: PathBuf,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek policy show`.
#[derive(Debug, Args)]
pub struct ShowPolicyArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// `kezek officials …`.
#[derive(Debug, Subcommand)]
pub enum OfficialsCommand {
    /// Name an official (journaled). The servers must be stopped; with one running, use the
    /// console or `PUT /v1/officials/{id}`.
    Add(OfficialAddArgs),
    /// Every official: id, name, position, organisation, whether they sign, their keys.
    List(OfficialsListArgs),
    /// An official leaves their post (journaled): their keys are refused from then on.
    Leave(OfficialLeaveArgs),
    /// Install an official's signing certificate from PKCS#12 (RSA >= 2048 or ECDSA P-256):
    /// refused unless valid now, allowed to sign, chained to a trust anchor and on no CRL.
    /// The servers must be stopped.
    Certificate(OfficialCertificateArgs),
}

/// Arguments of `kezek officials certificate`.
#[derive(Debug, Args)]
pub struct OfficialCertificateArgs {
    /// The official's id.
    pub id: String,
    /// The PKCS#12 file (.p12, .pfx).
    #[arg(long)]
    pub p12: PathBuf,
    /// A file holding its password (its first line).
    #[arg(long)]
    pub password_file: PathBuf,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek officials add`.
#[derive(Debug, Args)]
pub struct OfficialAddArgs {
    /// The official's id (letters, digits, `-`, `_`; never reused).
    pub id: String,
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// IIN.
    #[arg(long)]
    pub iin: String,
    /// Position, in Kazakh.
    #[arg(long)]
    pub position: String,
    /// Position, in Russian (default: the Kazakh one).
    #[arg(long)]
    pub position_ru: Option<String>,
    /// `district:D1`, `kindergarten:K1`, or a bare id the journal knows as one of them.
    #[arg(long)]
    pub organisation: String,
    /// They sign the organisation's results (taking it from the one before).
    #[arg(long)]
    pub signs: bool,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek officials list`.
#[derive(Debug, Args)]
pub struct OfficialsListArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek officials leave`.
#[derive(Debug, Args)]
pub struct OfficialLeaveArgs {
    /// The official's id.
    pub id: String,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// `kezek authority …`.
#[derive(Debug, Subcommand)]
pub enum AuthorityCommand {
    /// The keys the journal adopted, each with the seqs it was in force, and which this
    /// installation holds.
    Show(AuthorityShowArgs),
    /// Put a new key in force, endorsed by the key in force (held here); the old key's file
    /// is kept beside the new one as retired. The servers must be stopped.
    Rotate(RotateArgs),
    /// Put a key in place of the journal's when that key is lost, with the reason
    /// (journaled). The servers must be stopped.
    Replace(ReplaceArgs),
}

/// Arguments of `kezek authority show`.
#[derive(Debug, Args)]
pub struct AuthorityShowArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek authority rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The new key (64 hex digits, as `authority.key`); default: a new random key.
    #[arg(long)]
    pub new: Option<PathBuf>,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek authority replace`.
#[derive(Debug, Args)]
pub struct ReplaceArgs {
    /// The key to put in force (64 hex digits, as `authority.key`).
    #[arg(long)]
    pub new: PathBuf,
    /// Why the journal's key cannot sign it (journaled).
    #[arg(long)]
    pub reason: String,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// `kezek documents …`.
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Check a document's signature offline.
    Verify(VerifyDocumentArgs),
}

/// Arguments of `kezek documents verify`.
#[derive(Debug, Args)]
pub struct VerifyDocumentArgs {
    /// The document as served by GET /v1/documents/{id}.
    pub file: PathBuf,
    /// The authority's public key: base64, or the JSON of GET /v1/keys.
    #[arg(long)]
    pub public_key: PathBuf,
}

/// Arguments of `kezek serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The installation.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = env::LISTEN, default_value = DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Where the public reaches this service (`https://kezek.example.kz`): every printed
    /// document links its check page under it, in words and as a QR code. Default: the
    /// listening address.
    #[arg(long, env = env::PUBLIC_URL)]
    pub public_url: Option<String>,
    /// Where the other nodes reach this one (`http://10.0.0.5:8080`), when several share a
    /// PostgreSQL journal: a follower passes writes on to the leader there. Default: the
    /// listening address.
    #[arg(long, env = env::ADVERTISE_URL)]
    pub advertise_url: Option<String>,
    /// Seconds a leader's lease on a shared PostgreSQL journal lasts: the leader renews it
    /// every quarter of that; a leader that has not renewed it for that long (frozen, cut
    /// off) stops writing, and another node takes over.
    #[arg(long, env = env::LEADER_LEASE, default_value_t = DEFAULT_LEADER_LEASE, value_parser = lease_seconds)]
    pub leader_lease: f64,
    /// Load the sample city on first start and print demo tokens.
    #[arg(long)]
    pub demo: bool,
    /// Log format on stderr: text or json.
    #[arg(long, env = env::LOG_FORMAT, default_value = DEFAULT_LOG_FORMAT, value_parser = ["text", "json"])]
    pub log_format: String,
    /// Start on a journal that does not reach its head mark (damaged, rewound, copied
    /// without its WAL), accepting it as it is; the loss is recorded in the journal. Only
    /// when no backup holds what is missing (docs/operations.md).
    #[arg(long)]
    pub force_rewind: bool,
    /// Append the journal's signed head to this file (outside the data directory) every
    /// `--witness-every` seconds and at shutdown, for `kezek verify --heads`.
    #[arg(long, env = env::WITNESS)]
    pub witness: Option<PathBuf>,
    /// Seconds between two heads in the witness file.
    #[arg(long, default_value_t = DEFAULT_WITNESS_EVERY, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub witness_every: u64,
    /// Write a snapshot of the state to `snapshots/` in the data directory each time the
    /// journal has grown by this many records, and start from the newest one (replaying
    /// only the records after it); 0: never write one, and always replay from the start.
    #[arg(long, env = env::SNAPSHOT_EVERY, default_value_t = DEFAULT_SNAPSHOT_EVERY)]
    pub snapshot_every: u64,
    /// Connections open at once (lowered to what the open-files limit allows); past it the
    /// oldest idle connection is closed.
    #[arg(long, env = env::MAX_CONNECTIONS, default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Seconds a connection has to deliver a request's headers, and to send the next
    /// request after an answer (keep-alive idle time).
    #[arg(long, default_value_t = DEFAULT_HEADER_TIMEOUT, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub header_timeout: u64,
    /// POST every notification for families (referral issued, claim decided, …) to this URL,
    /// signed with `X-Kezek-Signature: sha256=<HMAC>`, until it answers 2xx.
    #[arg(long, env = env::NOTIFY_URL, requires = "notify_secret_file")]
    pub notify_url: Option<String>,
    /// The secret the notification signature is made with (the file's bytes, trailing
    /// newline left out).
    #[arg(long, env = env::NOTIFY_SECRET_FILE, requires = "notify_url")]
    pub notify_secret_file: Option<PathBuf>,
    /// Send each family that gave an e-mail address its notifications, with their PDFs and
    /// action links, through this mail relay (`smtp://localhost:25`: plain SMTP to the host's
    /// relay, which carries mail on). Without it no e-mail is sent.
    #[arg(long, env = env::SMTP_URL)]
    pub smtp_url: Option<String>,
    /// The sender of Kezek's letters (`Kezek <noreply@kezek.example.kz>`).
    #[arg(long, env = env::SMTP_FROM, default_value = DEFAULT_SMTP_FROM)]
    pub smtp_from: String,
    /// Seconds the first push of a notification may take before it counts as failed (the
    /// receiver may still have taken it: it gets the same `id` again); each later attempt
    /// may take twice as long as the one before, up to eight times this.
    #[arg(long, default_value_t = DEFAULT_NOTIFY_TIMEOUT, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub notify_timeout: u64,
    /// A proxy (or a network of them, `10.0.0.0/8`) in front of the nodes whose
    /// `X-Forwarded-For` names the client; repeatable. Requests from anywhere else count
    /// against their own address (the parents' status lookups are limited per client).
    #[arg(long = "trusted-proxy", env = env::TRUSTED_PROXY, value_delimiter = ',', value_parser = proxy_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds a request has to deliver its body.
    #[arg(long, default_value_t = DEFAULT_BODY_TIMEOUT, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub body_timeout: u64,
}

/// `kezek keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key; the token is printed once, alone on the last line.
    Create(KeyArgs),
    /// List the API keys (never their tokens): id, role, scope, created, expires, revoked.
    List(KeysListArgs),
    /// Revoke an API key: a running server refuses its token within a second, and the
    /// journal records the revocation.
    Revoke(RevokeArgs),
}

/// Arguments of `kezek keys list`.
#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek keys revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's id (`key-…`, as `kezek keys list` and the journal's actors show it).
    pub key_id: String,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek keys create`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// portal, clerk, staff, kindergarten, auditor, admin, head or executor.
    #[arg(long)]
    pub role: String,
    /// District the key may act on (staff, clerk); repeatable.
    #[arg(long = "district")]
    pub districts: Vec<String>,
    /// Kindergarten the key may act on (kindergarten); repeatable.
    #[arg(long = "kindergarten")]
    pub kindergartens: Vec<String>,
    /// Organisation the key may act on (head, executor): a district's education department
    /// (its district id) or a school; repeatable.
    #[arg(long = "organisation")]
    pub organisations: Vec<String>,
    /// When the key stops being accepted: a date (from 00:00 UTC that day) or an RFC 3339
    /// time. Without it the key is accepted until revoked.
    #[arg(long)]
    pub expires: Option<String>,
    /// The official the key belongs to (`kezek officials add`): what it does is journaled as
    /// that person's act. Accepted once the journal binds it (at once with no server
    /// running; within a second by a running one).
    #[arg(long)]
    pub official: Option<String>,
    /// The installation.
    #[command(flatten)]
    pub at: InstallationArgs,
}

/// Arguments of `kezek import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// groups.csv of the city.
    #[arg(long)]
    pub groups: PathBuf,
    /// applications.csv of the city.
    #[arg(long)]
    pub applications: PathBuf,
    /// The installation.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Arguments of `kezek simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// groups.csv of the city.
    #[arg(long)]
    pub groups: PathBuf,
    /// applications.csv of the city.
    #[arg(long)]
    pub applications: PathBuf,
    /// Tier policy (TOML); default: the built-in kz-2013.
    #[arg(long, env = env::POLICY)]
    pub policy: Option<PathBuf>,
    /// Academic year whose ages decide the groups.
    #[arg(long, default_value = DEFAULT_ACADEMIC_YEAR)]
    pub academic_year: i16,
    /// Where to write referrals.csv.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `kezek verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The installation.
    #[command(flatten)]
    pub store: StoreArgs,
    /// A head the journal must pass through, `SEQ:HASH` (from `GET /v1/journal/head`);
    /// repeatable.
    #[arg(long = "expect-head")]
    pub expect_heads: Vec<String>,
    /// A file of heads the journal must pass through, one a line: saved `GET
    /// /v1/journal/head` answers, or the server's `--witness` file.
    #[arg(long)]
    pub heads: Option<PathBuf>,
    /// A running node of this installation (`http://10.0.0.5:8080`): the state it serves
    /// must be the state the journal gives at its seq (`GET /v1/journal/state`, with an
    /// auditor's `--token`).
    #[arg(long, requires = "token")]
    pub against: Option<String>,
    /// An auditor's token, for `--against`.
    #[arg(long, env = env::TOKEN, hide_env_values = true)]
    pub token: Option<String>,
    /// Check the public journal instead — as anyone can, with no key and no personal data:
    /// of a running service (`https://kezek.example.kz`: its `/public/journal` and
    /// `/public/head`), or saved in a directory (`journal.jsonl`, one record a line, and
    /// `head.json`, as `--save` writes them). Every record's chain and the signed head are
    /// checked, every queue rebuilt and every round decided again.
    /// With `--public`, `--expect-head` and `--heads` name public heads kept from earlier
    /// downloads (`head.json`): the journal must pass through them.
    #[arg(long, value_name = "URL|DIR", conflicts_with = "against")]
    pub public: Option<String>,
    /// With `--public`: the authority's public key as you know it from elsewhere (the
    /// department's site, a signed document): base64, or the JSON of `GET /v1/keys`. The
    /// head must be signed by it.
    #[arg(long, requires = "public", value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// With `--public URL`: keep what was downloaded in this directory (`journal.jsonl`,
    /// `head.json`), to check again or to share.
    #[arg(long, requires = "public", value_name = "DIR")]
    pub save: Option<PathBuf>,
}

/// A lease of 0.5 to 60 seconds.
fn lease_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.5..=60.0).contains(&v) => Ok(v),
        _ => Err("a number of seconds from 0.5 to 60".into()),
    }
}

/// A network (`10.0.0.0/8`) or one address (`10.0.0.5`, taken as `/32` or `/128`).
fn proxy_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| "an address or a network in CIDR notation (10.0.0.0/8, 2001:db8::/32)".into())
}

//! A private PostgreSQL cluster for tests, started by the test itself: `initdb` and `pg_ctl`
//! into a temporary directory, listening on 127.0.0.1 on a free port (as the `postgres` user
//! via `runuser` when the tests run as root: PostgreSQL refuses to run as root), and stopped
//! and removed afterwards. Nothing depends on a server somebody else started.
//!
//! The binaries are Debian's (`apt-get install postgresql`): `KEZEK_PG_BIN` if set, else the
//! newest `/usr/lib/postgresql/*/bin`, else `PATH`.
//!
//! [`Cluster::start`] gives a cluster of one's own, stopped when dropped; [`database`] a new
//! database on one cluster shared by the whole test process, stopped by a watchdog process
//! once the test process has gone (statics are never dropped).
//!
//! [`tools`]: the programs from Debian the tests need, and what a test does without one;
//! [`smtp`]: a mail server of the test's own.

#![allow(
    clippy::missing_panics_doc,
    clippy::expect_used,
    reason = "test support: a cluster that cannot start fails the test that asked for it"
)]

pub mod pki;
pub mod smtp;
pub mod tools;

pub use tools::{missing, Tool};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A running cluster.
pub struct Cluster {
    /// Holds the data directory, the socket and the log.
    dir: PathBuf,
    /// Where the binaries are.
    bin: PathBuf,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// Stop and remove on drop (not for the shared cluster, which its watchdog stops).
    owned: bool,
}

/// The directory of PostgreSQL's server binaries.
pub(crate) fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEZEK_PG_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).unwrap_or_default()
}

/// Whether this process runs as root (PostgreSQL's binaries must then run as `postgres`).
fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A command running `program` of the cluster's binaries as the user that may run it.
fn pg_command(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("{what}: cannot run: {e} (is PostgreSQL installed? apt-get install postgresql)")
    });
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// Starts a cluster of its own, stopped and removed when dropped.
    #[must_use]
    pub fn start() -> Self {
        Self::start_with(true)
    }

    fn start_with(owned: bool) -> Self {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("kezek-pg-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        if as_root() {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&dir);
            run(chown, "chown");
        }
        let data = dir.join("data");
        let mut initdb = pg_command(&bin, "initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run(initdb, "initdb");
        // A port picked free may be taken before the server binds it: try a few.
        for attempt in 0..5 {
            let port = free_port();
            let options = format!(
                "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=400 -c shared_buffers=32MB",
                dir.display()
            );
            let mut start = pg_command(&bin, "pg_ctl");
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("log"))
                .args(["-w", "-t", "60", "-o", &options, "start"]);
            let ok = start
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Self {
                    dir,
                    bin,
                    port,
                    owned,
                };
            }
            assert!(
                attempt < 4,
                "pg_ctl start failed: {}",
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            );
        }
        unreachable!("the loop returns or fails")
    }

    /// The URL of database `name`.
    #[must_use]
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database; its URL.
    #[must_use]
    pub fn create_database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "kezek_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-c"])
            .arg(format!("CREATE DATABASE {name}"));
        run(psql, "CREATE DATABASE");
        self.url(&name)
    }

    /// Runs SQL on database `name` with psql; what it printed (unaligned, tuples only).
    #[must_use]
    pub fn sql(&self, name: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", name, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the server at once (as a crash would), keeping the data directory.
    pub fn stop_immediately(&self) {
        let mut stop = pg_command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = stop
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.owned {
            self.stop_immediately();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The cluster this test process shares, started at first use; a watchdog process stops it
/// and removes its directory once the test process has ended.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start_with(false);
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            runuser = if as_root() { "runuser -u postgres -- " } else { "" },
            pg_ctl = cluster.bin.join("pg_ctl").display(),
            data = cluster.dir.join("data").display(),
            dir = cluster.dir.display(),
        );
        // Never waited for: it outlives this process on purpose.
        #[allow(clippy::zombie_processes, reason = "the watchdog outlives the test process")]
        Command::new("sh")
            .args(["-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the cluster's watchdog starts");
        cluster
    })
}

/// A new, empty database on the shared cluster; its URL.
#[must_use]
pub fn database() -> String {
    shared().create_database()
}

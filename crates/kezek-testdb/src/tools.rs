//! The programs from Debian the tests drive besides the Rust toolchain, and what a test does
//! when one is missing. `tools/test` installs them all and sets `KEZEK_REQUIRE_TOOLS`: then a
//! missing one fails the test that needs it. A plain `cargo test` on a machine without them
//! runs everything else and says, once per program, what to install; the tests that need it
//! return at once.

use std::path::Path;
use std::sync::Mutex;

/// A program the tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// PostgreSQL's server binaries (`initdb`, `pg_ctl`), for private clusters.
    Postgres,
    /// Chromium and its driver (`chromedriver`), for the console's browser tests.
    Chromium,
    /// poppler's `pdftotext` and `pdftoppm`, to read printed documents back.
    Poppler,
    /// zbar's `zbarimg`, to read a printed QR code.
    Zbar,
    /// `python3-aiosmtpd`, a mail server for the e-mail tests.
    Smtp,
    /// Debian's `openssl` command, which checks the CMS signatures as a relying party would.
    Openssl,
}

impl Tool {
    /// The Debian packages that bring it.
    #[must_use]
    pub fn packages(self) -> &'static str {
        match self {
            Self::Postgres => "postgresql",
            Self::Chromium => "chromium chromium-driver",
            Self::Poppler => "poppler-utils",
            Self::Zbar => "zbar-tools",
            Self::Smtp => "python3-aiosmtpd",
            Self::Openssl => "openssl",
        }
    }

    /// Whether it is installed here.
    #[must_use]
    pub fn installed(self) -> bool {
        match self {
            Self::Postgres => crate::bin_dir().join("initdb").exists(),
            Self::Chromium => on_path("chromedriver") && Path::new("/usr/bin/chromium").exists(),
            Self::Poppler => on_path("pdftotext") && on_path("pdftoppm"),
            Self::Zbar => on_path("zbarimg"),
            Self::Smtp => Path::new("/usr/lib/python3/dist-packages/aiosmtpd").is_dir(),
            Self::Openssl => on_path("openssl"),
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether a test needing `tool` cannot run here: `false` when it is installed; `true`, having
/// said what to install (once per process), when it is not; and with `KEZEK_REQUIRE_TOOLS` set
/// (as `tools/test` sets it), a failure naming what to install.
///
/// # Panics
/// `tool` is missing and `KEZEK_REQUIRE_TOOLS` is set.
#[must_use]
pub fn missing(tool: Tool) -> bool {
    static SAID: Mutex<Vec<Tool>> = Mutex::new(Vec::new());
    if tool.installed() {
        return false;
    }
    let what = format!(
        "{tool:?} is not installed: `apt-get install {}`, or run tools/test, which installs it",
        tool.packages()
    );
    assert!(std::env::var_os("KEZEK_REQUIRE_TOOLS").is_none(), "{what}");
    let mut said = SAID
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.contains(&tool) {
        said.push(tool);
        eprintln!("skipping the tests that need it: {what}");
    }
    true
}

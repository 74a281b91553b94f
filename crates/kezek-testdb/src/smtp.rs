//! A mail server for tests, started by the test itself: Debian's `python3-aiosmtpd` on
//! 127.0.0.1 on a free port, writing each message it receives as a file, read back with
//! Python's own `email` package — so a test sees a letter as a mail client would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The server: accepts every message, keeps each as `<n>.eml` in its directory.
const SERVER: &str = r#"
import os, sys, time
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
class Keep:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d.eml" % time.time_ns())
        with open(name + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".part", name)
        return "250 OK"
c = Controller(Keep(), hostname="127.0.0.1", port=port)
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

/// A message as a mail client reads it, as JSON: its recipients, subject (decoded), text and
/// attachments (file name, type, size, first bytes).
const READ: &str = r#"
import email, json, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
text = m.get_body(preferencelist=("plain",))
parts = []
for p in m.iter_attachments():
    data = p.get_content()
    parts.append({"name": p.get_filename(), "type": p.get_content_type(),
                  "size": len(data), "start": data[:5].decode("latin-1")})
print(json.dumps({"to": m["To"], "from": m["From"], "subject": str(m["Subject"]),
                  "text": text.get_content() if text else "", "attachments": parts}))
"#;

/// Debian's Python, where `python3-aiosmtpd` is (another `python3` on `PATH` may lack it).
const PYTHON: &str = "/usr/bin/python3";

/// A running mail server, stopped when dropped.
pub struct MailServer {
    child: Child,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl MailServer {
    /// Starts one on a free port.
    #[must_use]
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a directory for the mail");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(PYTHON)
            .args(["-c", SERVER, &port.to_string()])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let out = child.stdout.take().expect("its output");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("the mail server says it is ready");
        assert_eq!(line.trim(), "ready", "the mail server did not start");
        Self { child, dir, port }
    }

    /// The messages received so far, oldest first, each as a mail client reads it.
    #[must_use]
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the mail directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let out = Command::new(PYTHON)
                    .args(["-c", READ])
                    .arg(f)
                    .output()
                    .expect("python3 runs");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                serde_json::from_slice(&out.stdout).expect("the message as JSON")
            })
            .collect()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

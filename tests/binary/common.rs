//! Helpers for the black-box tests that run the real `kezek` binary.

use kezek_core::model::Iin;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The binary.
pub fn kezek() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kezek"))
}

/// Creates a key with `kezek keys create` and returns its token (the last line).
pub fn key(data: &Path, args: &[&str]) -> String {
    let out = kezek()
        .args(["keys", "create", "--data"])
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// Starts `kezek serve` on a free port with `extra` arguments, logging warnings only; the
/// child and its base URL.
pub fn serve(data: &Path, extra: &[&str], stderr: Stdio) -> (Child, String) {
    serve_logging(data, extra, stderr, "warn")
}

/// Like [`serve`], logging at `level` (`info` logs every request).
pub fn serve_logging(data: &Path, extra: &[&str], stderr: Stdio, level: &str) -> (Child, String) {
    let mut cmd = kezek();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", level)
        .stderr(stderr);
    listening(cmd)
}

/// Starts `kezek serve` on a free port as a node of the PostgreSQL journal at `database`,
/// with its own data directory and the shared authority key at `authority`.
pub fn serve_node(data: &Path, database: &str, authority: &Path, stderr: Stdio) -> (Child, String) {
    let mut cmd = kezek();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(["--database", database, "--authority-key"])
        .arg(authority)
        .env("RUST_LOG", "error")
        .stderr(stderr);
    listening(cmd)
}

/// Spawns `cmd` (a `kezek serve`, perhaps behind a wrapper) and waits until it listens; the
/// child and its base URL.
pub fn listening(mut cmd: Command) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.contains("listening on http://"))
        .expect("the server never said where it listens");
    let addr = line.rsplit("http://").next().unwrap().to_owned();
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"))
}

/// Whether child number `n` has an IIN (for some serials the check digit cannot be made).
pub fn has_iin(n: u16) -> bool {
    Iin::compose(jiff::civil::date(2022, 5, 1), n % 2 == 1, n).is_some()
}

/// A valid registration of child number `n` (born 2022, so 4 in 2026) for K1 in D1.
pub fn application(n: u16) -> Value {
    let iin = Iin::compose(jiff::civil::date(2022, 5, 1), n % 2 == 1, n).unwrap();
    json!({"child": {"iin": iin.to_string(), "name": "Child"},
           "applicant": {"iin": "880101300123", "name": "Parent", "representative": null},
           "district": "D1", "language": "kk", "preferences": ["K1"], "category": null,
           "documents": ["application_form", "applicant_id", "address_proof"], "channel": "portal"})
}

/// Runs `kezek verify` on a data dir.
pub fn verify(data: &Path) -> std::process::Output {
    verify_on(data, &[])
}

/// Runs `kezek verify` on a data dir with `on` (`--database …`).
pub fn verify_on(data: &Path, on: &[&str]) -> std::process::Output {
    kezek()
        .args(["verify", "--data"])
        .arg(data)
        .args(on)
        .output()
        .unwrap()
}

/// What a forger with write access to the data directory does: runs `edit` on the journal,
/// recomputes every hash of the chain so that it is consistent again, and removes the head
/// mark and the journal's note of it.
pub fn forge(data: &Path, edit: &str) {
    use kezek_core::model::Seq;
    use kezek_store::record::{chain, GENESIS};
    let conn = rusqlite::Connection::open(data.join("kezek.sqlite")).unwrap();
    assert!(
        conn.execute(edit, []).unwrap() > 0,
        "{edit} changed nothing"
    );
    let mut rows = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT seq, at, actor, kind, payload FROM events ORDER BY seq")
            .unwrap();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            rows.push((
                r.get::<_, i64>(0).unwrap(),
                r.get::<_, String>(1).unwrap(),
                r.get::<_, String>(2).unwrap(),
                r.get::<_, String>(3).unwrap(),
                r.get::<_, Vec<u8>>(4).unwrap(),
            ));
        }
    }
    let mut prev = GENESIS;
    for (s, at, actor, kind, payload) in rows {
        let seq = Seq::new(u64::try_from(s).unwrap());
        let h = chain(&prev, seq, &at, &actor, &kind, &payload);
        conn.execute(
            "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![&prev[..], &h[..], s],
        )
        .unwrap();
        prev = h;
    }
    conn.execute("DELETE FROM meta", []).unwrap();
    drop(conn);
    let _ = std::fs::remove_file(data.join("kezek.head"));
}

/// A copy of a data directory's files.
pub fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    to
}

/// Runs `kezek ARGS --data DATA`: whether it succeeded, its stdout and its stderr.
pub fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = kezek().args(args).arg("--data").arg(data).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `kezek` with `args`, which must succeed (stderr shown if not); what it printed.
pub fn succeeds(args: &[&std::ffi::OsStr]) -> String {
    let out = kezek().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kezek {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Creates a key with `kezek keys create`: its id and its token.
pub fn key_with_id(data: &Path, args: &[&str]) -> (String, String) {
    let mut create = vec!["keys", "create"];
    create.extend_from_slice(args);
    let (ok, said, err) = run(data, &create);
    assert!(ok, "{err}");
    let id = said
        .split_whitespace()
        .find(|w| w.starts_with("key-"))
        .unwrap()
        .trim_end_matches([';', ','])
        .to_owned();
    (id, said.lines().last().unwrap().to_owned())
}

/// SIGKILLs a server and waits for it.
pub fn stop(mut server: Child) {
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Asserts that `kezek verify` passes on `data`.
pub fn assert_verifies(data: &Path) {
    let out = verify(data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates kindergarten K1 in D1 with one full group (g4, age 4, kk, no seats).
pub async fn kindergarten_k1(http: &reqwest::Client, base: &str, staff: &str) {
    let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]});
    let r = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

/// Posts a registration: the status and the answer.
pub async fn post_application(
    http: &reqwest::Client,
    base: &str,
    portal: &str,
    body: &Value,
) -> (u16, Value) {
    let r = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(portal)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// `GET url` with `token`: the JSON answer.
pub async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The CSRF token of the first form on `page`.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// The `name=value` of the first cookie `res` sets.
pub fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Signs in to the console at `base` with `token` as a browser does (the form, its cookie
/// and CSRF token, then the post): the session cookie's `name=value`.
pub async fn console_session(base: &str, token: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{base}/console/sign-in"))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&form);
    let csrf = csrf_in(&form.text().await.unwrap());
    let signed = http
        .post(format!("{base}/console/sign-in"))
        .header("cookie", cookie)
        .form(&[("token", token), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "signed in");
    set_cookie(&signed)
}

/// The text of the PDF at `file` (poppler's pdftotext).
pub fn pdf_text(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(file)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

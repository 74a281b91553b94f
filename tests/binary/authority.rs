//! The authority key the journal pins: the first command adopts it; a start with a foreign
//! key, a retired one or none refuses, naming the keys, and leaves the journal as it was;
//! `kezek authority rotate` and `replace` are journaled, and every document — issued before
//! and after — still checks at `/v1/verify/{id}` and in `kezek verify`. On PostgreSQL, a
//! second node with another key refuses.

use crate::common::{
    application, get_json, key, kezek, kindergarten_k1, post_application, run, serve, serve_node,
    stop,
};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

/// The journal's head as `kezek verify` prints it (`seq N hash H`), which must pass.
fn verified_head(data: &Path, extra: &[&str]) -> String {
    let out = kezek()
        .args(["verify", "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    said[said.find("head seq").expect("a head")..]
        .trim()
        .to_owned()
}

/// What `kezek serve` says when it refuses to start (it must).
fn refused_start(data: &Path, extra: &[&str]) -> String {
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    assert!(!out.status.success(), "it started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The id of the key in `file`.
fn key_id_of(file: &Path) -> String {
    kezek_app::keys::authority::Authority::load(file)
        .unwrap()
        .key_id()
        .to_owned()
}

/// Registers child `n`: its queue notification's id and the digest printed on it.
async fn registered(http: &reqwest::Client, base: &str, portal: &str, n: u16) -> (String, String) {
    let (status, answer) = post_application(http, base, portal, &application(n)).await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["document_id"].as_str().unwrap().to_owned();
    let doc = get_json(http, &format!("{base}/v1/documents/{id}"), portal).await;
    (id, kezek_app::documents::digest(&doc))
}

/// Whether the public check finds document `id` with `digest` issued and validly signed.
async fn checks(http: &reqwest::Client, base: &str, (id, digest): &(String, String)) -> Value {
    let r = http
        .get(format!("{base}/v1/verify/{id}?digest={digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{id}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["valid"], true, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_pins_its_authority_through_rotation_and_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let path = data.join("authority.key");
    let first = key_id_of(&path);
    let (ok, shown, err) = run(data, &["authority", "show"]);
    assert!(ok, "{err}");
    assert!(
        shown.contains(&format!("{first}\t1\t-\tfirst\t")),
        "the first command adopted it: {shown}"
    );

    let http = reqwest::Client::new();
    let (server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    let before = registered(&http, &base, &portal, 1).await;
    stop(server);
    let head = verified_head(data, &[]);

    // Another key in its place: refused, both named; nothing written, no key made.
    let kept = tempfile::tempdir().unwrap();
    let original = kept.path().join("authority.key");
    std::fs::rename(&path, &original).unwrap();
    let foreign = kezek_app::keys::authority::Authority::from_seed([42; 32]);
    foreign.write_to(&path).unwrap();
    let said = refused_start(data, &[]);
    assert!(
        said.contains(&first) && said.contains(foreign.key_id()),
        "{said}"
    );
    std::fs::remove_file(&path).unwrap();
    let said = refused_start(data, &[]);
    assert!(
        said.contains(&first) && said.contains("holds none"),
        "{said}"
    );
    assert!(!path.exists(), "no key is made for a journal that has one");
    let (ok, _, said) = run(data, &["keys", "create", "--role", "auditor"]);
    assert!(
        !ok && said.contains(&first),
        "a command refuses too: {said}"
    );
    assert!(!path.exists());
    let original_arg = original.to_str().unwrap();
    assert_eq!(
        verified_head(data, &["--authority-key", original_arg]),
        head,
        "the journal is untouched"
    );
    std::fs::rename(&original, &path).unwrap();

    // Rotation: journaled, endorsed; the old key kept beside the new as retired.
    let (ok, said, err) = run(data, &["authority", "rotate"]);
    assert!(ok, "{err}");
    let second = key_id_of(&path);
    assert_ne!(second, first);
    let retired = data.join(format!("authority.key.retired-{first}"));
    assert!(retired.exists(), "{said}");
    let (server, base) = serve(data, &[], Stdio::null());
    let after = registered(&http, &base, &portal, 3).await;
    let keys = get_json(&http, &format!("{base}/v1/keys"), &portal).await;
    let listed: Vec<(&str, Option<u64>)> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["key_id"].as_str().unwrap(), k["until_seq"].as_u64()))
        .collect();
    assert_eq!(listed.len(), 2, "{keys}");
    assert_eq!(
        (listed[0].0, listed[1]),
        (first.as_str(), (second.as_str(), None))
    );
    assert!(listed[0].1.is_some(), "the first key's last seq: {keys}");
    for doc in [&before, &after] {
        checks(&http, &base, doc).await;
    }
    let signed_by = |id: &str| {
        let (http, base, portal, id) = (http.clone(), base.clone(), portal.clone(), id.to_owned());
        async move {
            get_json(&http, &format!("{base}/v1/documents/{id}"), &portal).await["key_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(signed_by(&before.0).await, first);
    assert_eq!(signed_by(&after.0).await, second);
    stop(server);
    verified_head(data, &[]);
    // The retired key is refused, named as retired.
    let said = refused_start(data, &["--authority-key", retired.to_str().unwrap()]);
    assert!(said.contains("retired") && said.contains(&second), "{said}");

    // Replacement of a lost key, with its reason.
    std::fs::remove_file(&path).unwrap();
    let new_file = kept.path().join("new.key");
    let third = kezek_app::keys::authority::Authority::from_seed([43; 32]);
    third.write_to(&new_file).unwrap();
    let (ok, _, err) = run(
        data,
        &[
            "authority",
            "replace",
            "--new",
            new_file.to_str().unwrap(),
            "--reason",
            "the disk of the second key failed",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(key_id_of(&path), third.key_id());
    let (_, shown, _) = run(data, &["authority", "show"]);
    assert!(
        shown.contains("replaced") && shown.contains("the disk of the second key failed"),
        "{shown}"
    );
    let (server, base) = serve(data, &[], Stdio::null());
    let auditor = key(data, &["--role", "auditor"]);
    let journal = get_json(&http, &format!("{base}/v1/journal?limit=1000"), &auditor).await;
    let replaced = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "authority_adopted")
        .unwrap()
        .clone();
    assert_eq!(replaced["payload"]["change"], "replaced");
    assert_eq!(replaced["payload"]["previous"], second.as_str());
    assert_eq!(
        replaced["payload"]["reason"],
        "the disk of the second key failed"
    );
    let latest = registered(&http, &base, &portal, 5).await;
    for doc in [&before, &after, &latest] {
        checks(&http, &base, doc).await;
    }
    stop(server);
    verified_head(data, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_with_another_key_refuses_on_postgres() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let on = ["--database", database.as_str()];
    let portal = key(a_dir.path(), &[&on[..], &["--role", "portal"]].concat());
    let staff = key(
        a_dir.path(),
        &[&on[..], &["--role", "staff", "--district", "D1"]].concat(),
    );
    let authority = a_dir.path().join("authority.key");
    let first = key_id_of(&authority);
    // A command on another machine without the key makes none: it refuses.
    let (ok, _, said) = run(
        b_dir.path(),
        &[&["keys", "create", "--role", "auditor"], &on[..]].concat(),
    );
    assert!(!ok && said.contains(&first), "{said}");
    assert!(!b_dir.path().join("authority.key").exists());
    let (a, a_url) = serve_node(a_dir.path(), &database, &authority, Stdio::null());
    let other = b_dir.path().join("other.key");
    kezek_app::keys::authority::Authority::from_seed([44; 32])
        .write_to(&other)
        .unwrap();
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(b_dir.path())
        .args(["--database", database.as_str(), "--authority-key"])
        .arg(&other)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second node started");
    assert!(
        said.contains(&first) && said.contains(&key_id_of(&other)),
        "{said}"
    );
    // The first node serves on, signing with the journal's key.
    let http = reqwest::Client::new();
    let keys = get_json(&http, &format!("{a_url}/v1/keys"), &portal).await;
    assert_eq!(keys["keys"][0]["key_id"], first.as_str(), "{keys}");
    kindergarten_k1(&http, &a_url, &staff).await;
    let before = registered(&http, &a_url, &portal, 1).await;
    stop(a);

    // Rotated on the shared journal (the node stopped): documents before and after check.
    let authority_arg = authority.to_str().unwrap();
    let on_a = [
        "--database",
        database.as_str(),
        "--authority-key",
        authority_arg,
    ];
    let (ok, _, err) = run(
        a_dir.path(),
        &[&["authority", "rotate"], &on_a[..]].concat(),
    );
    assert!(ok, "{err}");
    let second = key_id_of(&authority);
    assert_ne!(second, first);
    assert!(a_dir
        .path()
        .join(format!("authority.key.retired-{first}"))
        .exists());
    let (a, a_url) = serve_node(a_dir.path(), &database, &authority, Stdio::null());
    let after = registered(&http, &a_url, &portal, 3).await;
    for doc in [&before, &after] {
        checks(&http, &a_url, doc).await;
    }
    stop(a);
    let out = kezek()
        .args(["verify", "--data"])
        .arg(a_dir.path())
        .args(on_a)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The node with the retired key refuses, naming both.
    let retired = a_dir.path().join(format!("authority.key.retired-{first}"));
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(b_dir.path())
        .args(["--database", database.as_str(), "--authority-key"])
        .arg(&retired)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("retired") && said.contains(&second),
        "{said}"
    );
}

//! Officials' X.509 certificates, with a PKI the test makes itself: an expired, a revoked,
//! a foreign, a non-signing and a P-384 certificate are refused, each naming why; a valid
//! one is installed (its key in a 0600 file, never in the database), and the documents its
//! official issues carry a CMS signature that Debian's `openssl cms -verify` accepts against
//! the root, and that `kezek verify` checks.

use crate::common::{
    application, get_json, key, kezek, kindergarten_k1, post_application, run, serve_logging, stop,
};
use kezek_testdb::pki::{Leaf, Pki};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officials_certificate_is_checked_installed_and_signs_their_documents() {
    if kezek_testdb::missing(kezek_testdb::Tool::Openssl) {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let portal = key(data, &["--role", "portal"]);
    let http = reqwest::Client::new();
    let anchors = pki.anchors();
    let revoked = pki.official("Revoked Official", Leaf::default());
    let crls = pki.crls(&[&revoked]);
    let trust = [
        "--trust-anchors",
        anchors.to_str().unwrap(),
        "--crls",
        crls.to_str().unwrap(),
    ];
    let (server, base) = serve_logging(data, &trust, Stdio::null(), "warn");
    kindergarten_k1(&http, &base, &staff).await;
    stop(server);
    let (ok, _, err) = run(
        data,
        &[
            "officials",
            "add",
            "head",
            "--name",
            "Айгүл Әбенова",
            "--iin",
            "880101300123",
            "--position",
            "Білім бөлімінің басшысы",
            "--position-ru",
            "Руководитель отдела образования",
            "--organisation",
            "D1",
            "--signs",
        ],
    );
    assert!(ok, "{err}");
    let password = pki.password_file();
    let install = |p12: &std::path::Path| {
        let mut args = vec![
            "officials".to_owned(),
            "certificate".into(),
            "head".into(),
            "--p12".into(),
            p12.display().to_string(),
            "--password-file".into(),
            password.display().to_string(),
        ];
        args.extend(trust.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(data, &args)
    };
    for (leaf, why) in [
        (
            Leaf {
                expired: true,
                ..Leaf::default()
            },
            "valid from",
        ),
        (
            Leaf {
                no_signing_usage: true,
                ..Leaf::default()
            },
            "may not sign",
        ),
        (
            Leaf {
                foreign: true,
                ..Leaf::default()
            },
            "does not chain to a trust anchor",
        ),
        (
            Leaf {
                p384: true,
                ..Leaf::default()
            },
            "only RSA of at least 2048 bits and ECDSA P-256",
        ),
    ] {
        let issued = pki.official("Айгүл Әбенова", leaf);
        let (ok, _, said) = install(&issued.p12);
        assert!(!ok && said.contains(why), "{leaf:?}: {said}");
    }
    let (ok, _, said) = install(&revoked.p12);
    assert!(!ok && said.contains("revoked"), "{said}");
    let identities = data.join("identities");
    assert!(
        std::fs::read_dir(&identities).map_or(true, |d| d.count() == 0),
        "nothing refused is kept"
    );

    let valid = pki.official(
        "Айгүл Әбенова",
        Leaf {
            rsa: true,
            ..Leaf::default()
        },
    );
    let (ok, said, err) = install(&valid.p12);
    assert!(ok, "{err}");
    assert!(said.contains("RSA 2048"), "{said}");
    let files: Vec<_> = std::fs::read_dir(&identities).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].metadata().unwrap().permissions().mode() & 0o777,
        0o600
    );
    let journal = std::fs::read(data.join("kezek.sqlite")).unwrap();
    assert!(
        !String::from_utf8_lossy(&journal).contains("PRIVATE KEY"),
        "no private key in the database"
    );

    let (server, base) = serve_logging(data, &trust, Stdio::null(), "warn");
    let (status, answer) = post_application(&http, &base, &portal, &application(1)).await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["document_id"].as_str().unwrap().to_owned();
    let doc = get_json(&http, &format!("{base}/v1/documents/{id}"), &portal).await;
    assert_eq!(doc["body"]["official"]["official_id"], "head", "{doc}");
    let fetch = |suffix: &str| {
        let (http, url, portal) = (
            http.clone(),
            format!("{base}/v1/documents/{id}{suffix}"),
            portal.clone(),
        );
        async move {
            let r = http.get(url).bearer_auth(portal).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap()
        }
    };
    let json = fetch(".json").await;
    let p7s = fetch(".p7s").await;
    // The public check names the official and the certificate, valid when it signed.
    let digest = kezek_app::documents::digest(&doc);
    let check: serde_json::Value = http
        .get(format!("{base}/v1/verify/{id}?digest={digest}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["official"]["name"], "Айгүл Әбенова", "{check}");
    let serial = check["official"]["certificate"]["serial"].as_str().unwrap();
    assert_eq!(
        serial.trim_start_matches('0'),
        format!("{:X}", valid.serial),
        "{check}"
    );
    assert_eq!(check["official"]["certificate"]["valid_at_signing"], true);
    let page = http
        .get(format!("{base}/v1/verify/{id}?digest={digest}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Айгүл Әбенова") && page.contains("действителен на момент подписания"),
        "{page}"
    );
    stop(server);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("doc.json"), &json).unwrap();
    std::fs::write(work.path().join("doc.p7s"), &p7s).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(work.path().join("doc.p7s"))
        .arg("-content")
        .arg(work.path().join("doc.json"))
        .arg("-CAfile")
        .arg(pki.root_pem())
        .args(["-purpose", "any", "-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another document's bytes do not verify with it.
    std::fs::write(work.path().join("doc.json"), [&json[..], b" "].concat()).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(work.path().join("doc.p7s"))
        .arg("-content")
        .arg(work.path().join("doc.json"))
        .arg("-CAfile")
        .arg(pki.root_pem())
        .args(["-purpose", "any", "-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a changed document fails");
    let out = kezek()
        .args(["verify", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

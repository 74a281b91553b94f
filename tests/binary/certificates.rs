//! Officials' X.509 certificates, with a PKI the test makes itself: an expired, a revoked,
//! a foreign, a non-signing and a P-384 certificate are refused, each naming why; a valid
//! one is installed (its key in a 0600 file, never in the database), and the documents its
//! official issues carry a CMS signature that Debian's `openssl cms -verify` accepts against
//! the root, and that `kezek verify` checks.

use crate::common::{
    application, get_json, key, kezek, post_application, run, serve_logging, stop,
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
    // One seat: the first child is referred at once, and the referral is what is signed.
    let kg = serde_json::json!({"name": "Balapan", "district": "D1",
        "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1}]});
    let r = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
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
    let id = answer["referral"]["document_id"]
        .as_str()
        .unwrap_or_else(|| panic!("referred at once: {answer}"))
        .to_owned();
    let doc = get_json(&http, &format!("{base}/v1/documents/{id}"), &portal).await;
    assert_eq!(doc["kind"], "referral", "{doc}");
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
    let pdf = fetch(".pdf?lang=ru").await;
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
    let out = openssl_cms_verify(work.path(), &pki.root_pem());
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another document's bytes do not verify with it.
    std::fs::write(work.path().join("doc.json"), [&json[..], b" "].concat()).unwrap();
    let out = openssl_cms_verify(work.path(), &pki.root_pem());
    assert!(!out.status.success(), "a changed document fails");
    crate::common::assert_verifies(data);

    // The PDF carries the official's signature too (PAdES): poppler's pdfsig says valid.
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        let file = work.path().join("doc.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console");
        std::fs::create_dir_all(&shots).unwrap();
        std::fs::write(shots.join("pades-ru.pdf"), &pdf).unwrap();
        let out = std::process::Command::new("pdfsig")
            .arg(&file)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("Signature Validation: Signature is Valid."),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(said.contains("ETSI.CAdES.detached"), "{said}");
        assert!(said.contains("Total document signed"), "{said}");
        let text = crate::common::pdf_text(&file);
        assert!(
            text.contains("Подписано электронной цифровой подписью"),
            "{text}"
        );
        assert!(text.contains("Айгүл Әбенова"), "{text}");
        // The page made a point taller: no longer valid.
        let box_at = pdf
            .windows(b"595 842]".len())
            .position(|w| w == b"595 842]")
            .unwrap();
        let mut changed = pdf.to_vec();
        changed[box_at + 6] = b'3';
        std::fs::write(&file, &changed).unwrap();
        let out = std::process::Command::new("pdfsig")
            .arg(&file)
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&out.stdout).contains("Signature is Valid."));
    }

    // Revoked after it was installed: never used again; the document keeps its Ed25519
    // signature alone, and the officials' list says why.
    let crls_again = pki.crls(&[&revoked, &valid]);
    assert_eq!(crls_again, crls, "the same directory, a new CRL");
    let auditor = key(data, &["--role", "auditor"]);
    let (server, base) = serve_logging(data, &trust, Stdio::null(), "warn");
    let (status, answer) = post_application(&http, &base, &portal, &application(3)).await;
    assert_eq!(status, 201, "{answer}");
    let later = answer["document_id"].as_str().unwrap().to_owned();
    let r = http
        .get(format!("{base}/v1/documents/{later}.p7s"))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no CMS signature by a revoked certificate");
    let listed = get_json(&http, &format!("{base}/v1/officials"), &auditor).await;
    let problem = listed[0]["signing_problem"].as_str().unwrap_or_default();
    assert!(problem.contains("revoked"), "{listed}");
    stop(server);
    crate::common::assert_verifies(data);

    // A signature swapped for another document's bytes: verify names it.
    let copy = crate::common::copy_dir(data);
    let conn = rusqlite::Connection::open(copy.path().join("kezek.sqlite")).unwrap();
    let changed = conn
        .execute(
            "UPDATE documents SET body = (SELECT body FROM documents WHERE id NOT LIKE '%.p7s' LIMIT 1) WHERE id LIKE '%.p7s'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let out = kezek()
        .args(["verify", "--data"])
        .arg(copy.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a swapped signature went unnoticed");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CMS signature of document"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What Debian's `openssl cms -verify` says of `doc.p7s` over `doc.json` in `dir`, against
/// the roots in `ca_file`.
fn openssl_cms_verify(dir: &std::path::Path, ca_file: &std::path::Path) -> std::process::Output {
    std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(dir.join("doc.p7s"))
        .arg("-content")
        .arg(dir.join("doc.json"))
        .arg("-CAfile")
        .arg(ca_file)
        .args(["-purpose", "any", "-out", "/dev/null"])
        .output()
        .unwrap()
}

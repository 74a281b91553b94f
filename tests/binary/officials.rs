//! `kezek officials add | list | leave` and `kezek keys create --official`: the journal names
//! the officials, a key made for one is bound to them (refused for an official the journal
//! does not have), and `kezek verify` passes.

use crate::common::{assert_verifies, get_json, key, kindergarten_k1, run, serve, stop};
use std::process::Stdio;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_are_named_at_the_command_line_and_own_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    stop(server);

    let add = |id: &str, organisation: &str| {
        run(
            data,
            &[
                "officials",
                "add",
                id,
                "--name",
                "Айгүл Серікқызы Әбенова",
                "--iin",
                "880101300123",
                "--position",
                "Білім бөлімінің басшысы",
                "--position-ru",
                "Руководитель отдела образования",
                "--organisation",
                organisation,
                "--signs",
            ],
        )
    };
    let (ok, _, said) = add("ghost", "D9");
    assert!(!ok && said.contains("organisation"), "{said}");
    let (ok, said, err) = add("head", "D1");
    assert!(ok, "{err}");
    assert!(
        said.contains("district:D1") && said.contains("signs"),
        "{said}"
    );
    let (ok, _, said) = add("head", "K1");
    assert!(!ok && said.contains("exists already"), "{said}");

    let (ok, said, err) = run(
        data,
        &[
            "keys",
            "create",
            "--role",
            "staff",
            "--district",
            "D1",
            "--official",
            "head",
        ],
    );
    assert!(ok, "{err}");
    assert!(said.contains("belongs to official head"), "{said}");
    let heads_token = said.lines().last().unwrap().to_owned();
    let (ok, _, said) = run(
        data,
        &[
            "keys",
            "create",
            "--role",
            "staff",
            "--district",
            "D1",
            "--official",
            "nobody",
        ],
    );
    assert!(!ok && said.contains("refused"), "{said}");
    let (ok, listed, err) = run(data, &["officials", "list"]);
    assert!(ok, "{err}");
    let line = listed.lines().find(|l| l.starts_with("head\t")).unwrap();
    assert!(line.contains("district:D1\tyes\t-\tkey-"), "{line}");

    let (server, base) = serve(data, &[], Stdio::null());
    let claims = get_json(
        &http,
        &format!("{base}/v1/districts/D1/claims"),
        &heads_token,
    )
    .await;
    assert!(claims["claims"].is_array(), "the head's key acts: {claims}");
    stop(server);

    let (ok, said, err) = run(data, &["officials", "leave", "head"]);
    assert!(ok && said.contains("left"), "{err}");
    let (ok, _, said) = run(data, &["officials", "leave", "head"]);
    assert!(!ok && said.contains("official head left"), "{said}");
    let (server, base) = serve(data, &[], Stdio::null());
    let status = http
        .get(format!("{base}/v1/districts/D1/claims"))
        .bearer_auth(&heads_token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "who left cannot act");
    stop(server);
    assert_verifies(data);
}

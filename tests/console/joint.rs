//! A twin filed at the counter together with its sibling's application: the form takes the
//! sibling's number, and both case files name each other.

use crate::browser::Browser;
use crate::harness::{child_iin, spawn_app, CLERK};
use crate::{sign_in, DESK};

#[tokio::test]
async fn a_clerk_files_a_twin_together_with_its_sibling() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let first = a["application_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, CLERK, "kk", "/console/districts/D1/queue").await;
    b.client
        .goto(&format!("{base}/console/file?district=D1"))
        .await
        .unwrap();
    b.fill("#child-iin", &child_iin(20)).await;
    b.fill("#child-name", "Айлин Бекова").await;
    b.fill("#applicant-iin", "880101300123").await;
    b.fill("#applicant-name", "Дана Бекова").await;
    b.click("#preference-0 option[value='K1']").await;
    b.fill("#together_with", &first).await;
    for d in ["applicant_id", "address_proof"] {
        b.click(&format!("input[name='documents'][value='{d}']"))
            .await;
    }
    b.client
        .execute(
            "document.querySelector('#together_with').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    b.shot("file-together-kk-desk").await;
    b.click("form[data-testid='filing'] button[type='submit']")
        .await;
    let filed = b.text("[data-testid='filed']").await;
    assert!(!filed.is_empty());
    b.client
        .goto(&format!("{base}/console/applications/{first}"))
        .await
        .unwrap();
    let partner = b.text("[data-testid='together-with']").await;
    assert!(partner.starts_with("KZ"), "{partner}");
    assert_ne!(partner, first);
    b.shot("casefile-together-kk-desk").await;
    b.client
        .goto(&format!("{base}/console/applications/{partner}"))
        .await
        .unwrap();
    assert_eq!(b.text("[data-testid='together-with']").await, first);
    b.stop().await;
}

/// With sibling priority, the desk sees on a child's page where it goes ahead: the
/// kindergarten its sister attends.
#[tokio::test]
async fn the_desk_sees_where_a_sibling_goes_ahead() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let text = format!(
        "{}\n[siblings]\npriority = true\n",
        kezek_core::Policy::kz_2013().source()
    );
    let store = crate::harness::new_store();
    crate::harness::put_keys(store.as_ref());
    let app =
        crate::harness::spawn_with(store, kezek_core::Policy::from_toml(&text).unwrap()).await;
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    app.kindergarten("K1", "D1", 1).await;
    let (_, sister) = app.register(1, None).await;
    let referral = sister["referral"]["referral_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.admit(&referral, crate::harness::KG).await;
    let (_, brother) = app.register(2, None).await;
    let id = brother["application_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client
        .goto(&format!("{base}/console/applications/{id}"))
        .await
        .unwrap();
    assert_eq!(b.text("[data-testid='sibling-priority']").await, "K1");
    b.shot("casefile-sibling-ru-desk").await;
    // The sister's own page says nothing of it: she is not queued.
    b.client
        .goto(&format!(
            "{base}/console/applications/{}",
            sister["application_id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    b.text("[data-testid='casefile']").await;
    assert!(b
        .client
        .find(fantoccini::Locator::Css("[data-testid='sibling-priority']"))
        .await
        .is_err());
    b.stop().await;
}

//! "When will we get a place?": the estimate per kindergarten a queued child listed, from
//! its place there and the seats the kindergarten gave its cohort in the last four quarters.

use crate::harness::{spawn_app, KG, PORTAL, STAFF, STAFF_D2};
use serde_json::json;

#[tokio::test]
async fn a_queued_child_gets_a_range_from_its_place_and_the_seats_of_the_last_year() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    // The first child takes K1's one seat: a seat given to this cohort this quarter.
    let (_, a1) = app.register(1, None).await;
    assert_eq!(a1["status"], "referred");
    let r1 = a1["referral"]["referral_id"].as_str().unwrap();
    app.admit(r1, KG).await;
    let (_, a2) = app.register(2, None).await;
    let id2 = a2["application_id"].as_str().unwrap();
    let path = format!("/v1/applications/{id2}/forecast");
    let (s, f) = app.call("GET", &path, Some(PORTAL), None).await;
    assert_eq!(s, 200, "{f}");
    let k1 = &f["kindergartens"][0];
    assert_eq!(
        (
            &k1["kindergarten_id"],
            &k1["position"],
            &k1["seats_last_quarters"]
        ),
        (&json!("K1"), &json!(1), &json!([1, 0, 0, 0])),
        "{f}"
    );
    // First in line at one seat a quarter at best: 91 days from 2026-09-01; at the slowest
    // pace (none) the data cannot say.
    assert_eq!(k1["earliest"], "2026-12-01", "{f}");
    assert_eq!(k1.get("latest"), Some(&json!(null)), "{f}");
    assert!(f["model"].as_str().unwrap().contains("quarters"));

    // Staff of the district read it too; of another, not; a referred child has none.
    assert_eq!(app.call("GET", &path, Some(STAFF), None).await.0, 200);
    assert_eq!(app.call("GET", &path, Some(STAFF_D2), None).await.0, 403);
    let (s, v) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}/forecast",
                a1["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("application_not_queued")),
        "{v}"
    );
    assert_eq!(
        app.call(
            "GET",
            "/v1/applications/KZ0000099999/forecast",
            Some(PORTAL),
            None
        )
        .await
        .0,
        404
    );

    // A hundred days on, the seat is one quarter back; the range counts from today.
    app.pass_days(100).await;
    let (_, f) = app.call("GET", &path, Some(PORTAL), None).await;
    let k1 = &f["kindergartens"][0];
    assert_eq!(k1["seats_last_quarters"], json!([0, 1, 0, 0]), "{f}");
    assert_eq!(k1["earliest"], "2027-03-11", "{f}");
}

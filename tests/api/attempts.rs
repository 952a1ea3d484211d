//! Attempts and abandonment, and the webhooks' timestamps, over HTTP on the
//! real server with a real receiver (issue 30, points 1 and 2).

use crate::helpers::*;
use serde_json::{json, Value};

/// The page's HTML for `token` (opening it starts the session).
async fn page(m: &Mock, token: &str) -> String {
    let r = m.get(&format!("/ui/?authToken={token}")).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// How many webhooks the journal holds for `scan_ref`.
async fn journaled(m: &Mock, scan_ref: &str) -> u64 {
    let (s, page) = m
        .cget(&format!("/_mock/webhooks?scanRef={scan_ref}&state=any"))
        .await;
    assert_eq!(s, 200);
    page["total"].as_u64().unwrap()
}

async fn status(m: &Mock, scan_ref: &str) -> Value {
    m.post("/api/v2/status", DEV, json!({"scanRef": scan_ref}))
        .await
        .1
}

async fn advance(m: &Mock, seconds: i64) {
    let (s, body) = m
        .cpost("/_mock/clock/advance", json!({"seconds": seconds}))
        .await;
    assert_eq!(s, 200, "{body}");
}

async fn now(m: &Mock) -> i64 {
    m.cget("/_mock/clock").await.1["now"].as_i64().unwrap()
}

/// A token for the page with the partner's three URLs and `extra`; its
/// authToken and scanRef.
async fn new_token(m: &Mock, extra: Value) -> (String, String) {
    let mut body = json!({"clientId": "c", "successUrl": "https://app.test/ok",
        "errorUrl": "https://app.test/error", "unverifiedUrl": "https://app.test/unverified"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let t = m.token(DEV, body).await;
    (
        t["authToken"].as_str().unwrap().to_owned(),
        t["scanRef"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_failed_attempt_with_one_left_sends_no_webhook_and_the_retry_finishes_once() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let (token, scan_ref) = new_token(&m, json!({})).await;
    let html = page(&m, &token).await;
    assert!(html.contains(r#"id="attempt" data-attempt="1" data-allowed="2""#));
    assert!(!html.contains(r#"id="retry""#));

    let (s, location) = finish_page(&m, &token, &[("outcome", "deny")]).await;
    assert_eq!(s, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("/ui/?authToken={token}&lang=en").as_str()),
        "back to the page for another try"
    );
    assert_eq!(journaled(&m, &scan_ref).await, 0, "no webhook yet");
    assert_eq!(status(&m, &scan_ref).await["status"], "ACTIVE");
    let html = page(&m, &token).await;
    assert!(html.contains(r#"id="attempt" data-attempt="2" data-allowed="2""#));
    assert!(html.contains(r#"id="retry""#));

    let (s, location) = finish_page(&m, &token, &[("outcome", "approve")]).await;
    assert_eq!((s, location.as_deref()), (303, Some("https://app.test/ok")));
    let hooks = rx.wait_for(1).await;
    assert_eq!(hooks[0].json()["status"]["overall"], "APPROVED");
    assert_eq!(journaled(&m, &scan_ref).await, 1, "one final webhook");
}

#[tokio::test]
async fn the_last_allowed_attempt_failing_finishes_at_once() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "[defaults]\nmax_attempts = 3")).await;
    let (token, scan_ref) = new_token(&m, json!({})).await;
    for attempt in 1..=2 {
        let (_, location) = finish_page(&m, &token, &[("outcome", "deny")]).await;
        assert!(
            location.unwrap().starts_with("/ui/?authToken="),
            "attempt {attempt} of 3"
        );
    }
    assert_eq!(journaled(&m, &scan_ref).await, 0);
    let (_, location) = finish_page(
        &m,
        &token,
        &[("outcome", "deny"), ("document", "DOC_EXPIRED")],
    )
    .await;
    assert_eq!(location.as_deref(), Some("https://app.test/error"));
    let hook = rx.wait_for(1).await[0].json();
    assert_eq!(hook["status"]["overall"], "DENIED");
    assert_eq!(hook["status"]["autoDocument"], "DOC_EXPIRED");
}

#[tokio::test]
async fn a_user_who_leaves_after_a_failed_attempt_gets_denied_when_the_session_runs_out() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    // Without a manual review: the DENIED result, final, at the session's end.
    let (token, scan_ref) = new_token(&m, json!({"sessionLength": 120})).await;
    page(&m, &token).await;
    finish_page(
        &m,
        &token,
        &[("outcome", "deny"), ("face", "FACE_TOO_BLURRY")],
    )
    .await;
    advance(&m, 60).await;
    assert_eq!(journaled(&m, &scan_ref).await, 0, "the session still runs");
    advance(&m, 61).await;
    let hook = rx.wait_for(1).await;
    assert_eq!(
        hook[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_AUTO_FINISHED")
    );
    let body = hook[0].json();
    assert_eq!(body["status"]["overall"], "DENIED");
    assert_eq!(body["status"]["autoFace"], "FACE_TOO_BLURRY");
    assert_eq!(body["final"], true);

    // With a manual review of failed results: the automatic one at the
    // session's end, then the reviewed one.
    let (token, scan_ref) =
        new_token(&m, json!({"sessionLength": 120, "reviewFailed": true})).await;
    page(&m, &token).await;
    finish_page(&m, &token, &[("outcome", "deny")]).await;
    advance(&m, 121).await;
    let auto = rx.wait_for(2).await[1].json();
    assert_eq!(
        (auto["scanRef"].as_str(), auto["final"].clone()),
        (Some(scan_ref.as_str()), json!(false))
    );
    assert_eq!(auto["status"]["overall"], "DENIED");
    assert_eq!(status(&m, &scan_ref).await["status"], "REVIEWING");
    let (s, _) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": scan_ref, "manualFaceMatchResult": "FACE_MISMATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!(s, 200);
    let manual = rx.wait_for(3).await;
    assert_eq!(
        manual[2].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_MANUAL_FINISHED")
    );

    // Never started: EXPIRED as before.
    let (_, scan_ref) = new_token(&m, json!({"expiryTime": 60})).await;
    advance(&m, 61).await;
    let expired = rx.wait_for(4).await[3].json();
    assert_eq!(expired["scanRef"], scan_ref.as_str());
    assert_eq!(expired["status"]["overall"], "EXPIRED");
}

#[tokio::test]
async fn the_control_api_drives_the_same_attempts() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let (_, scan_ref) = new_token(&m, json!({})).await;
    let path = format!("/_mock/verifications/{scan_ref}/finish");
    let (s, first) = m.cpost(&path, json!({"outcome": "deny"})).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["result"], "retry");
    assert_eq!(first["attemptsLeft"], 1);
    assert_eq!(first["verification"]["attemptsFailed"], 1);
    assert_eq!(first["verification"]["status"], "ACTIVE");
    let (s, second) = m.cpost(&path, json!({"outcome": "deny"})).await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["result"], "failed");
    assert_eq!(second["verification"]["status"], "DENIED");
    assert_eq!(rx.wait_for(1).await[0].json()["scanRef"], scan_ref.as_str());

    // A partner with one attempt: a deny finishes at once.
    let one = Mock::start(config(&rx.url, "[defaults]\nmax_attempts = 1")).await;
    let (_, scan_ref) = new_token(&one, json!({})).await;
    let (_, done) = one
        .cpost(
            &format!("/_mock/verifications/{scan_ref}/finish"),
            json!({"outcome": "deny"}),
        )
        .await;
    assert_eq!(done["result"], "failed", "{done}");

    // The token's maxAttemptCount (iDenfy's FAQ) wins over the partner's,
    // is echoed, and is checked.
    let created = m
        .token(DEV, json!({"clientId": "c", "maxAttemptCount": 1}))
        .await;
    assert_eq!(created["maxAttemptCount"], 1, "{created}");
    let scan_ref = created["scanRef"].as_str().unwrap().to_owned();
    let (_, done) = m
        .cpost(
            &format!("/_mock/verifications/{scan_ref}/finish"),
            json!({"outcome": "deny"}),
        )
        .await;
    assert_eq!(done["result"], "failed", "{done}");
    let (_, scan_ref) = new_token(&one, json!({"maxAttemptCount": 3})).await;
    let (_, again) = one
        .cpost(
            &format!("/_mock/verifications/{scan_ref}/finish"),
            json!({"outcome": "deny"}),
        )
        .await;
    assert_eq!(
        (&again["result"], &again["attemptsLeft"]),
        (&json!("retry"), &json!(2)),
        "{again}"
    );
    for bad in [json!(0), json!(11), json!("2")] {
        let (s, err) = m
            .post(
                "/api/v2/token",
                DEV,
                json!({"clientId": "c", "maxAttemptCount": bad}),
            )
            .await;
        assert_eq!(s, 400, "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("maxAttemptCount"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn start_time_is_when_the_page_opened_and_finish_time_the_automatic_decision() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let created = now(&m).await;
    let (token, scan_ref) = new_token(&m, json!({"reviewSuccessful": true})).await;
    advance(&m, 100).await;
    page(&m, &token).await;
    advance(&m, 50).await;
    finish_page(&m, &token, &[("outcome", "approve")]).await;
    let auto = rx.wait_for(1).await[0].json();
    assert_eq!(auto["final"], false);
    let started = auto["startTime"].as_i64().unwrap();
    let decided = auto["finishTime"].as_i64().unwrap();
    assert!(
        (created + 100..=created + 101).contains(&started),
        "startTime {started}: the page opened 100 s after {created}"
    );
    assert!(
        (created + 150..=created + 151).contains(&decided),
        "finishTime {decided}"
    );
    advance(&m, 1000).await;
    m.post(
        "/api/v2/add-dummy-status",
        DEV,
        json!({"scanRef": scan_ref, "manualFaceMatchResult": "FACE_MATCH",
            "manualDocumentValidity": "DOC_VALIDATED"}),
    )
    .await;
    let manual = rx.wait_for(2).await[1].json();
    assert_eq!(manual["startTime"].as_i64(), Some(started));
    assert_eq!(
        manual["finishTime"].as_i64(),
        Some(decided),
        "the manual webhook keeps the automatic decision's time"
    );
    let (_, full) = m
        .post("/api/v2/full", DEV, json!({"scanRef": scan_ref}))
        .await;
    assert_eq!(full["startTime"].as_i64(), Some(started));
    assert_eq!(full["finishTime"].as_i64(), Some(decided));
}

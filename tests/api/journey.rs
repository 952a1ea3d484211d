//! The verification journey over HTTP: redirect, the page, every outcome,
//! session rules, expiry through the clock, retention and the store cap.

use crate::helpers::*;
use idenfy_mock::EventType;
use serde_json::{json, Value};
use std::time::Duration;

const URLS: &str = r#"{"successUrl": "https://app.test/ok", "errorUrl": "https://app.test/error", "unverifiedUrl": "https://app.test/unverified"}"#;

async fn token_with_urls(m: &Mock, extra: Value) -> Value {
    let mut body: Value = serde_json::from_str(URLS).unwrap();
    body["clientId"] = json!("client-7");
    body["firstName"] = json!("Ann");
    body["lastName"] = json!("Lee");
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    m.token(DEV, body).await
}

async fn status_of(m: &Mock, scan_ref: &Value) -> Value {
    m.post("/api/v2/status", DEV, json!({"scanRef": scan_ref}))
        .await
        .1
}

#[tokio::test]
async fn redirect_leads_to_the_page_in_the_tokens_locale() {
    let m = Mock::plain().await;
    let t = m.token(DEV, json!({"clientId": "c", "locale": "lt"})).await;
    let resp = no_redirects()
        .get(t["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
    let location = resp.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        format!(
            "/ui/?authToken={}&lang=lt",
            t["authToken"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn the_page_shows_the_session_with_stable_control_ids() {
    let m = Mock::plain().await;
    let t = token_with_urls(&m, json!({"country": "lt", "documents": ["PASSPORT"]})).await;
    let resp = m
        .http
        .get(t["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    for needle in [
        "id=\"client-id\">client-7<",
        "id=\"first-name\">ANN<",
        "id=\"last-name\">LEE<",
        "id=\"documents\">LT: PASSPORT<",
        "id=\"locale\">en<",
        "id=\"time-left\"",
        "id=\"approve\"",
        "id=\"deny\"",
        "id=\"deny-face\"",
        "id=\"deny-document\"",
        "id=\"suspect\"",
        "id=\"suspect-tag\"",
        "id=\"unverified\"",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    // Names are escaped, never injected.
    let t = m
        .token(DEV, json!({"clientId": "<script>x</script>"}))
        .await;
    let html = m
        .http
        .get(t["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt;") && !html.contains("<script>x</script>")
    );
}

#[tokio::test]
async fn each_outcome_records_the_result_sends_the_webhook_and_redirects() {
    let (m, rx) = {
        let rx = Receiver::start().await;
        (Mock::start(config(&rx.url, "")).await, rx)
    };
    /// (form fields, where the user lands, overall status, webhook event)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &[("outcome", "approve")],
            "https://app.test/ok",
            "APPROVED",
            "IDENTIFICATION_AUTO_FINISHED",
        ),
        (
            &[
                ("outcome", "deny"),
                ("face", "NO_FACE_FOUND"),
                ("document", "DOC_EXPIRED"),
            ],
            "https://app.test/error",
            "DENIED",
            "IDENTIFICATION_AUTO_FINISHED",
        ),
        (
            &[("outcome", "suspect"), ("tag", "VIRTUAL_CAMERA")],
            "https://app.test/ok",
            "SUSPECTED",
            "IDENTIFICATION_AUTO_FINISHED",
        ),
        (
            &[("outcome", "unverified")],
            "https://app.test/unverified",
            "EXPIRED",
            "IDENTIFICATION_CANCELLED",
        ),
    ];
    for (n, (fields, url, overall, event)) in cases.iter().enumerate() {
        let t = token_with_urls(&m, json!({})).await;
        let token = t["authToken"].as_str().unwrap();
        assert_eq!(
            m.http
                .get(t["redirectUrl"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        if fields[0].1 == "deny" {
            // The first of two attempts fails: back to the page.
            let (status, location) = finish_page(&m, token, fields).await;
            assert_eq!(status, 303);
            assert!(location.unwrap().starts_with("/ui/?authToken="));
        }
        let (status, location) = finish_page(&m, token, fields).await;
        assert_eq!(status, 303, "{overall}");
        assert_eq!(location.as_deref(), Some(*url), "{overall}");
        let st = status_of(&m, &t["scanRef"]).await;
        assert_eq!(st["status"], *overall);
        let hooks = rx.wait_for(n + 1).await;
        let hook = &hooks[n];
        assert_eq!(hook.header("idenfy-event-type").as_deref(), Some(*event));
        assert_eq!(hook.json()["scanRef"], t["scanRef"]);
        assert_eq!(hook.json()["final"], true);
        match *overall {
            "DENIED" => {
                assert_eq!(st["autoFace"], "NO_FACE_FOUND");
                assert_eq!(st["autoDocument"], "DOC_EXPIRED");
            }
            "SUSPECTED" => assert_eq!(st["fraudTags"], json!(["VIRTUAL_CAMERA"])),
            _ => {}
        }
    }
}

#[tokio::test]
async fn without_partner_urls_the_user_lands_on_the_mock_result_page() {
    let m = Mock::plain().await;
    let t = m.token(DEV, json!({"clientId": "c"})).await;
    let (status, location) = finish_page(
        &m,
        t["authToken"].as_str().unwrap(),
        &[("outcome", "approve")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/ui/result?status=success"));
    for (outcome, status) in [("deny", "fail"), ("unverified", "unverified")] {
        let t = m.token(DEV, json!({"clientId": "c"})).await;
        let token = t["authToken"].as_str().unwrap();
        let mut location = finish_page(&m, token, &[("outcome", outcome)]).await.1;
        if outcome == "deny" {
            // The second attempt is the last.
            location = finish_page(&m, token, &[("outcome", outcome)]).await.1;
        }
        assert_eq!(location, Some(format!("/ui/result?status={status}")));
    }
    for status in ["success", "fail", "unverified"] {
        let page = m
            .http
            .get(m.url(&format!("/ui/result?status={status}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains(&format!("id=\"result-{status}\"")));
    }
}

#[tokio::test]
async fn the_embedded_page_gets_the_iframe_message() {
    let m = Mock::plain().await;
    let t = m.token(DEV, json!({"clientId": "c"})).await;
    let resp = m
        .http
        .post(m.url("/ui/finish"))
        .header("Accept", "application/json")
        .form(&[
            ("authToken", t["authToken"].as_str().unwrap()),
            ("outcome", "suspect"),
            ("tag", "NAME"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = parse(resp).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"result": "approved", "redirectUrl": "/ui/result?status=success",
            "message": {"status": "approved", "manualStatus": "approved", "autoSuspected": true, "manualSuspected": true},
            "postMessage": {"status": "approved", "manualStatus": "approved", "autoSuspected": true, "manualSuspected": true}})
    );
}

/// The embedded page's answer to `outcome` for a fresh token made of `body`.
async fn iframe_answer(m: &Mock, body: Value, outcome: &str) -> Value {
    let t = m.token(DEV, body).await;
    let resp = m
        .http
        .post(m.url("/ui/finish"))
        .header("Accept", "application/json")
        .form(&[
            ("authToken", t["authToken"].as_str().unwrap()),
            ("outcome", outcome),
        ])
        .send()
        .await
        .unwrap();
    let (status, answer) = parse(resp).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn the_iframe_message_waits_only_for_a_review_that_is_pending() {
    // Object form, lower case (the default) and JSON text, upper case.
    for (extra, waiting) in [
        // One attempt: the page's deny is the session's result.
        ("[defaults]\nmax_attempts = 1", json!("waiting")),
        (
            "[defaults]\nmax_attempts = 1\n[ui]\niframe_message = 'json'\niframe_case = 'upper'",
            json!("WAITING"),
        ),
    ] {
        let m = Mock::start(config("", extra)).await;
        let read = |posted: &Value| match posted {
            Value::String(text) => serde_json::from_str::<Value>(text).unwrap(),
            other => other.clone(),
        };
        // Left unverified (a cancel): nobody reviews anything, so no manual status.
        let left = iframe_answer(&m, json!({"clientId": "c"}), "unverified").await;
        assert_eq!(left["message"]["manualStatus"], Value::Null, "{left}");
        let posted = read(&left["postMessage"]);
        assert_eq!(posted["manualStatus"], Value::Null, "{posted}");
        assert!(
            posted["status"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("unverified"),
            "{posted}"
        );
        // A denied result that waits for the manual review: WAITING.
        let reviewed =
            iframe_answer(&m, json!({"clientId": "c", "reviewFailed": true}), "deny").await;
        assert_eq!(read(&reviewed["postMessage"])["manualStatus"], waiting);
    }
}

#[tokio::test]
async fn an_undelivered_final_webhook_sends_the_user_to_the_error_url() {
    let rx = Receiver::start().await;
    rx.fail_next(1000);
    let m = Mock::start(config(
        &rx.url,
        "[webhooks]\nretries = 1\nretry_delay_ms = 10",
    ))
    .await;
    let t = token_with_urls(&m, json!({})).await;
    let (_, location) = finish_page(
        &m,
        t["authToken"].as_str().unwrap(),
        &[("outcome", "approve")],
    )
    .await;
    assert_eq!(location.as_deref(), Some("https://app.test/error"));
    assert_eq!(
        status_of(&m, &t["scanRef"]).await["status"],
        "APPROVED",
        "the result itself stands"
    );
}

#[tokio::test]
async fn tokens_are_used_once_and_bad_tokens_get_a_clear_4xx_page() {
    let m = Mock::plain().await;
    let t = m.token(DEV, json!({"clientId": "c"})).await;
    let token = t["authToken"].as_str().unwrap();
    assert_eq!(
        finish_page(&m, token, &[("outcome", "approve")]).await.0,
        303
    );
    // Used: the page and a second finish are refused.
    let page = m.get(&format!("/ui/?authToken={token}")).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("already been used"));
    assert_eq!(finish_page(&m, token, &[("outcome", "deny")]).await.0, 410);
    // Unknown or missing token.
    for path in ["/ui/?authToken=nope", "/ui/", "/ui/?authToken=%ZZ"] {
        let page = m.get(path).await;
        assert_eq!(page.status(), 404, "{path}");
        assert!(page.text().await.unwrap().contains("id=\"session-error\""));
    }
    // A bad form never crashes anything.
    let fresh = m.token(DEV, json!({"clientId": "c"})).await;
    let fresh_token = fresh["authToken"].as_str().unwrap();
    assert_eq!(
        finish_page(&m, fresh_token, &[("outcome", "explode")])
            .await
            .0,
        400
    );
    assert_eq!(
        finish_page(&m, fresh_token, &[("outcome", "deny"), ("face", "??")])
            .await
            .0,
        400
    );
    let resp = no_redirects()
        .post(m.url("/ui/finish"))
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(status_of(&m, &fresh["scanRef"]).await["status"], "ACTIVE");
}

#[tokio::test]
async fn an_unused_token_expires_by_the_clock_with_a_final_webhook() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let t = m
        .token(DEV, json!({"clientId": "c", "expiryTime": 60}))
        .await;
    m.server.advance_clock(Duration::from_secs(59));
    assert_eq!(status_of(&m, &t["scanRef"]).await["status"], "ACTIVE");
    m.server.advance_clock(Duration::from_secs(2));
    let r = m.wait_journal(of_event(EventType::Expired)).await;
    assert_eq!(r.scan_ref, t["scanRef"].as_str().unwrap());
    assert_eq!(status_of(&m, &t["scanRef"]).await["status"], "EXPIRED");
    let hook = &rx.wait_for(1).await[0];
    assert_eq!(
        hook.header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_EXPIRED")
    );
    assert_eq!(hook.json()["final"], true);
    assert_eq!(
        hook.json()["finishTime"].as_i64().unwrap() - hook.json()["startTime"].as_i64().unwrap(),
        61
    );
    // The page now says so.
    let page = m
        .get(&format!(
            "/ui/?authToken={}",
            t["authToken"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status(), 410);
}

#[tokio::test]
async fn an_opened_session_is_bounded_by_session_length_not_expiry_time() {
    let m = Mock::plain().await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "expiryTime": 60, "sessionLength": 120}),
        )
        .await;
    let token = t["authToken"].as_str().unwrap().to_owned();
    assert_eq!(
        m.get(&format!("/ui/?authToken={token}")).await.status(),
        200
    );
    m.server.advance_clock(Duration::from_secs(100)); // past expiryTime, inside the session
    let page = m.get(&format!("/ui/?authToken={token}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("data-seconds=\"20\""));
    m.server.advance_clock(Duration::from_secs(21));
    m.wait_journal(of_event(EventType::Expired)).await;
    assert_eq!(status_of(&m, &t["scanRef"]).await["status"], "EXPIRED");
    assert_eq!(
        finish_page(&m, &token, &[("outcome", "approve")]).await.0,
        410
    );
}

#[tokio::test]
async fn times_come_from_the_mock_clock() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    m.server.set_clock(2_000_000_000);
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let hook = rx.wait_for(1).await[0].json();
    let start = hook["startTime"].as_i64().unwrap();
    assert!((2_000_000_000..2_000_000_005).contains(&start), "{start}");
    let record = &m.server.webhooks()[0];
    assert!(record.created_at_ms / 1000 >= 2_000_000_000);
}

#[tokio::test]
async fn finished_verifications_are_purged_after_retention() {
    let m = Mock::start(config("", "[store]\nretention_secs = 100")).await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let active = m
        .token(DEV, json!({"clientId": "c", "expiryTime": 1000}))
        .await;
    m.server.advance_clock(Duration::from_secs(99));
    assert_eq!(status_of(&m, &t["scanRef"]).await["status"], "APPROVED");
    m.server.advance_clock(Duration::from_secs(2));
    m.stats_until("the purge", |s| s["verifications"]["purged"] == 1)
        .await;
    let got = m
        .post("/api/v2/status", DEV, json!({"scanRef": t["scanRef"]}))
        .await;
    assert_error(&got, 404, "NOT_FOUND", t["scanRef"].as_str().unwrap());
    // An active token is not purged by retention.
    assert_eq!(status_of(&m, &active["scanRef"]).await["status"], "ACTIVE");
}

#[tokio::test]
async fn the_store_cap_evicts_the_oldest_and_counts() {
    let m = Mock::start(config("", "[store]\nmax_verifications = 3")).await;
    let mut refs = Vec::new();
    for i in 0..5 {
        refs.push(m.token(DEV, json!({"clientId": format!("c{i}")})).await["scanRef"].clone());
    }
    for (i, r) in refs.iter().enumerate() {
        let (status, _) = m.post("/api/v2/status", DEV, json!({"scanRef": r})).await;
        assert_eq!(status, if i < 2 { 404 } else { 200 }, "verification {i}");
    }
    let stats = &m.stats().await["verifications"];
    assert_eq!(
        (&stats["stored"], &stats["evicted"]),
        (&json!(3), &json!(2))
    );
}

#[tokio::test]
async fn deadlines_of_evicted_verifications_do_not_pile_up() {
    let m = Mock::start(config("", "[store]\nmax_verifications = 3")).await;
    for chunk in 0..42 {
        let batch = (0..50).map(|i| m.token(DEV, json!({"clientId": format!("c{chunk}-{i}")})));
        futures_util::future::join_all(batch).await;
    }
    let stats = &m.stats().await["verifications"];
    assert_eq!(stats["evicted"], 2_097);
    // 2,100 tokens had an expiry; an evicted verification takes its deadline with it.
    assert_eq!(stats["deadlines"], 3);
}

//! Hardening, third round, over HTTP on the real server: inbox reads that
//! cannot amplify, inbox slots that free themselves, a snapshot import that
//! checks everything before it changes anything, a bounded fault registry
//! that knows its routes, and webhooks that cannot be aimed at the mock's
//! own control API.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, config, Mock, DEV};

/// POSTs `body` to inbox `name` as a server would (no browser headers).
async fn post_inbox(m: &Mock, name: &str, body: Vec<u8>) -> (StatusCode, Value) {
    m.post_raw(
        &format!("/_mock/inbox/{name}"),
        None,
        Some("application/octet-stream"),
        body,
    )
    .await
}

#[tokio::test]
async fn an_inbox_read_shows_bounded_views_a_page_at_a_time() {
    let m = Mock::start(config(
        "",
        "[control]\ninbox_read_message_bytes = 4096\ninbox_read_bytes = 20000\n",
    ))
    .await;
    // NUL bytes render six times their size as JSON text: they come as
    // base64 of the first bytes instead.
    for _ in 0..6 {
        let (s, _) = post_inbox(&m, "nul", vec![0u8; 200_000]).await;
        assert_eq!(s, 200);
    }
    let resp = m.get("/_mock/inbox/nul").await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.len() <= 20_000 + 4096,
        "one page: {} bytes",
        text.len()
    );
    let page: Value = serde_json::from_str(&text).unwrap();
    let messages = page["messages"].as_array().unwrap();
    assert!(
        !messages.is_empty() && messages.len() < 6,
        "{}",
        messages.len()
    );
    let first = &messages[0];
    assert_eq!(first["body"], Value::Null);
    assert_eq!(first["bodyBytes"], 200_000);
    assert_eq!(first["truncated"], true);
    assert!(first["bodyBase64"].as_str().unwrap().len() <= 4096);
    // The cursor leads through the rest.
    let mut seen = messages.len();
    let mut next = page["next"].as_u64();
    while let Some(after) = next {
        let (s, page) = m.cget(&format!("/_mock/inbox/nul?after={after}")).await;
        assert_eq!(s, 200);
        seen += page["messages"].as_array().unwrap().len();
        next = page["next"].as_u64();
    }
    assert_eq!(seen, 6);
    // A webhook's JSON stays text.
    let (s, _) = post_inbox(&m, "json", br#"{"final":true,"scanRef":"s"}"#.to_vec()).await;
    assert_eq!(s, 200);
    let (_, page) = m.cget("/_mock/inbox/json").await;
    assert_eq!(
        page["messages"][0]["body"],
        r#"{"final":true,"scanRef":"s"}"#
    );
    assert_eq!(page["next"], Value::Null);
}

#[tokio::test]
async fn emptied_inboxes_free_their_slot_and_the_507_says_how_to_delete_one() {
    let m = Mock::plain().await;
    for i in 0..100 {
        let (s, _) = post_inbox(&m, &format!("small-{i}"), b"{}".to_vec()).await;
        assert_eq!(s, 200);
    }
    let (s, body) = post_inbox(&m, "one-too-many", b"{}".to_vec()).await;
    assert_eq!(s, 507, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("DELETE /_mock/inbox/{name}"),
        "{body}"
    );
    // Big messages push the small ones out (32 MiB in all): their inboxes
    // are empty and give their slots back.
    for _ in 0..34 {
        let (s, body) = post_inbox(&m, "small-0", vec![b'x'; 1_000_000]).await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = post_inbox(&m, "one-too-many", b"{}".to_vec()).await;
    assert_eq!(s, 200, "{body}");
    let (_, list) = m.cget("/_mock/inbox").await;
    assert!(list.as_array().unwrap().len() <= 3, "{list}");
}

#[tokio::test]
async fn a_web_page_of_another_origin_cannot_post_to_an_inbox() {
    let m = Mock::plain().await;
    for (name, value) in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "https://evil.test"),
    ] {
        let resp = m
            .http
            .post(m.url("/_mock/inbox/taken"))
            .header("Content-Type", "text/plain")
            .header(name, value)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{name}");
    }
    let (_, list) = m.cget("/_mock/inbox").await;
    assert_eq!(list, json!([]));
}

/// A snapshot with one verification and one webhook, from a real run.
async fn one_of_each(m: &Mock) -> Value {
    m.token(DEV, json!({"clientId": "snap", "dummyStatus": "APPROVED"}))
        .await;
    let (s, snap) = m.cget("/_mock/snapshot").await;
    assert_eq!(s, 200);
    assert_eq!(snap["webhooks"].as_array().unwrap().len(), 1, "{snap}");
    snap
}

#[tokio::test]
async fn a_snapshot_import_checks_ids_tokens_and_the_clock_before_changing_anything() {
    let m = Mock::start(config("", "")).await;
    let good = one_of_each(&m).await;
    let kept = good["verifications"][0]["scanRef"].clone();

    let mut bad = good.clone();
    bad["webhooks"][0]["id"] = json!(u64::MAX);
    let (s, e) = m.cpost("/_mock/snapshot", bad).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&u64::MAX.to_string()),
        "{e}"
    );

    let mut twice = good.clone();
    let mut copy = good["verifications"][0].clone();
    copy["scanRef"] = json!("another-scan-ref");
    twice["verifications"].as_array_mut().unwrap().push(copy);
    let (s, e) = m.cpost("/_mock/snapshot", twice).await;
    assert_eq!(s, 400, "{e}");
    assert!(e["message"].as_str().unwrap().contains("authToken"), "{e}");

    let mut same_ref = good.clone();
    let copy = good["verifications"][0].clone();
    same_ref["verifications"].as_array_mut().unwrap().push(copy);
    let (s, e) = m.cpost("/_mock/snapshot", same_ref).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(kept.as_str().unwrap()),
        "{e}"
    );

    let mut far = good.clone();
    far["clockOffsetMs"] = json!(i64::MAX / 2);
    let (s, e) = m.cpost("/_mock/snapshot", far).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("clockOffsetMs"),
        "{e}"
    );

    // Nothing changed; the clock API still moves.
    let (_, list) = m.cget("/_mock/verifications").await;
    assert_eq!(list["items"][0]["scanRef"], kept);
    let (s, _) = m
        .cpost("/_mock/clock/advance", json!({"seconds": 60}))
        .await;
    assert_eq!(s, 200);

    // A restored id is never given again.
    let mut high = good.clone();
    high["webhooks"][0]["id"] = json!(1u64 << 40);
    let (s, e) = m.cpost("/_mock/snapshot", high).await;
    assert_eq!(s, 200, "{e}");
    m.token(DEV, json!({"clientId": "after", "dummyStatus": "APPROVED"}))
        .await;
    let ids: Vec<u64> = m.cget("/_mock/webhooks").await.1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&((1u64 << 40) + 1)), "{ids:?}");
}

#[tokio::test]
async fn a_fault_on_a_path_no_route_serves_names_the_nearest_and_faults_are_bounded() {
    let m = Mock::start(config("", "[control]\nmax_faults = 3\n")).await;
    let (s, e) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/api/v2/tokn", "action": {"type": "status", "status": 503}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("'/api/v2/tokn'") && message.contains("nearest is '/api/v2/token'"),
        "{message}"
    );
    let huge = format!("/api/v2/{}", "x".repeat(1_000_000));
    let (s, e) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": huge, "action": {"type": "drop"}}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        e["message"].as_str().unwrap().len() < 1000,
        "cut in the answer"
    );
    let unlimited = json!({"target": "webhook", "times": 0, "action": {"type": "no_signature"}});
    for _ in 0..3 {
        let (s, e) = m.cpost("/_mock/faults", unlimited.clone()).await;
        assert_eq!(s, 201, "{e}");
    }
    let (s, e) = m.cpost("/_mock/faults", unlimited.clone()).await;
    assert_eq!(s, 507, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("DELETE /_mock/faults"),
        "{e}"
    );
    let (_, list) = m.cget("/_mock/faults").await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    // The inbox's receiving end is a route faults apply to.
    let (s, e) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/_mock/inbox/ci", "action": {"type": "drop"}}),
        )
        .await;
    assert_eq!(s, 507, "still full: {e}");
    assert_eq!(m.cdelete("/_mock/faults").await, 204);
    let (s, e) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/_mock/inbox/ci", "action": {"type": "drop"}}),
        )
        .await;
    assert_eq!(s, 201, "{e}");
}

#[tokio::test]
async fn a_callback_url_aimed_at_the_control_api_is_refused_and_the_inbox_is_not() {
    let m = Mock::plain().await;
    let port = m.server.address().port();
    for target in [
        format!("http://127.0.0.1:{port}/_mock/reset"),
        format!("http://localhost:{port}/_mock/faults"),
        format!("http://127.0.0.1:{port}/x/../_mock/reset"),
    ] {
        let got = m
            .post(
                "/api/v2/token",
                DEV,
                json!({"clientId": "self", "dummyStatus": "APPROVED", "callbackUrl": target}),
            )
            .await;
        assert_error(&got, 400, "BAD_VALUE", "callbackUrl");
    }
    let inbox = format!("http://127.0.0.1:{port}/_mock/inbox/mine");
    m.token(
        DEV,
        json!({"clientId": "self", "dummyStatus": "APPROVED", "callbackUrl": inbox}),
    )
    .await;
    // Another port of this machine is someone else's server.
    m.token(
        DEV,
        json!({"clientId": "other", "callbackUrl": format!("http://127.0.0.1:{}/_mock/reset", port.wrapping_add(1).max(1))}),
    )
    .await;
}

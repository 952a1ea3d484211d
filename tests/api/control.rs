//! The control API under /_mock/: every endpoint, the faults, the inbox, the
//! admin token, snapshots, and the CI story end to end.

use std::time::{Duration, Instant};

use crate::helpers::*;
use serde_json::{json, Value};

async fn dummy(m: &Mock, auth: (&str, &str), status: &str) -> String {
    m.token(auth, json!({"clientId": "c", "dummyStatus": status}))
        .await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn with_receiver(extra: &str) -> (Mock, Receiver) {
    let rx = Receiver::start().await;
    (Mock::start(config(&rx.url, extra)).await, rx)
}

/// The CI story: create a dummy token → long-poll the journal for its webhook
/// → assert on the body → replay it → reset.
#[tokio::test]
async fn the_ci_story_end_to_end() {
    let (m, rx) = with_receiver("").await;
    let scan_ref = dummy(&m, DEV, "APPROVED").await;
    let (s, hook) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={scan_ref}&timeoutMs=10000"
        ))
        .await;
    assert_eq!(s, 200, "{hook}");
    assert_eq!(hook["state"], "delivered");
    assert_eq!(hook["event"], "IDENTIFICATION_AUTO_FINISHED");
    let body: Value = serde_json::from_str(hook["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"]["overall"], "APPROVED");
    assert_eq!(body["scanRef"], json!(scan_ref));
    let (s, replayed) = m
        .cpost(&format!("/_mock/webhooks/{}/replay", hook["id"]), json!({}))
        .await;
    assert_eq!(s, 201);
    let (s, again) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={scan_ref}&state=delivered&timeoutMs=10000"
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(again["id"], hook["id"], "wait returns the oldest match");
    let received = rx.wait_for(2).await;
    assert_eq!(
        received[0].body, received[1].body,
        "a replay sends the same bytes"
    );
    let (_, r) = m.cget(&format!("/_mock/webhooks/{}", replayed["id"])).await;
    assert_eq!(r["copyOf"], hook["id"]);
    let (s, done) = m.cpost("/_mock/reset", json!({})).await;
    assert_eq!((s.as_u16(), done["scope"].clone()), (200, json!("all")));
    let (_, list) = m.cget("/_mock/webhooks").await;
    assert_eq!(list["total"], 0);
    let got = m
        .post("/api/v2/status", DEV, json!({"scanRef": scan_ref}))
        .await;
    assert_error(&got, 404, "NOT_FOUND", &scan_ref);
}

#[tokio::test]
async fn health_and_readiness() {
    let m = Mock::plain().await;
    for path in ["/_mock/health", "/_mock/ready"] {
        let (s, h) = m.cget(path).await;
        assert_eq!(s, 200);
        assert_eq!(h["status"], "ok");
        assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
        assert!(h["uptimeSecs"].is_u64());
    }
}

#[tokio::test]
async fn verifications_list_filters_pages_and_details() {
    let m = Mock::plain().await;
    for i in 0..3 {
        m.token(DEV, json!({"clientId": format!("a{i}")})).await;
    }
    let approved = dummy(&m, DEV, "APPROVED").await;
    m.token(DEV2, json!({"clientId": "a0"})).await;
    let (_, all) = m.cget("/_mock/verifications").await;
    assert_eq!(all["total"], 5);
    let (_, mine) = m
        .cget("/_mock/verifications?partner=dev-key&status=ACTIVE")
        .await;
    assert_eq!(mine["total"], 3);
    let (_, by_client) = m.cget("/_mock/verifications?clientId=a0").await;
    assert_eq!(by_client["total"], 2);
    let (_, paged) = m.cget("/_mock/verifications?offset=1&limit=2").await;
    assert_eq!(
        (
            paged["items"].as_array().unwrap().len(),
            paged["limit"].clone()
        ),
        (2, json!(2))
    );
    for bad in [
        "/_mock/verifications?status=GREAT",
        "/_mock/verifications?partner=nobody",
        "/_mock/verifications?limit=x",
    ] {
        let (s, e) = m.cget(bad).await;
        assert_eq!(s, 400, "{bad}");
        assert!(e["message"].as_str().unwrap().len() > 5);
    }
    let (s, detail) = m.cget(&format!("/_mock/verifications/{approved}")).await;
    assert_eq!(s, 200);
    assert_eq!(detail["status"], "APPROVED");
    assert_eq!(detail["partner"], "dev-key");
    assert_eq!(detail["request"]["clientId"], "c");
    assert_eq!(detail["webhooks"].as_array().unwrap().len(), 1);
    let (s, _) = m.cget("/_mock/verifications/nope").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn finish_drives_a_token_made_without_dummy_status() {
    let (m, rx) = with_receiver("").await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "successUrl": "https://app.test/ok"}),
        )
        .await;
    let sr = t["scanRef"].as_str().unwrap();
    let (s, done) = m
        .cpost(
            &format!("/_mock/verifications/{sr}/finish"),
            json!({"outcome": "deny", "face": "FACE_UNCERTAIN", "document": "DOC_FAKE",
                "lastAttempt": true}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["result"], "failed");
    assert_eq!(done["verification"]["status"], "DENIED");
    assert_eq!(done["verification"]["autoDocument"], "DOC_FAKE");
    assert_eq!(
        rx.wait_for(1).await[0].json()["status"]["autoFace"],
        "FACE_UNCERTAIN"
    );
    let (s, _) = m
        .cpost(
            &format!("/_mock/verifications/{sr}/finish"),
            json!({"outcome": "approve"}),
        )
        .await;
    assert_eq!(s, 409, "a token is used once");
    let fresh = m.token(DEV, json!({"clientId": "c"})).await;
    let fresh_sr = fresh["scanRef"].as_str().unwrap();
    let (s, e) = m
        .cpost(
            &format!("/_mock/verifications/{fresh_sr}/finish"),
            json!({"outcome": "maybe"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(e["message"].as_str().unwrap().contains("approve"));
    let (s, _) = m
        .cpost(
            &format!("/_mock/verifications/{fresh_sr}/finish"),
            json!({"nope": 1}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = m
        .cpost(
            "/_mock/verifications/unknown/finish",
            json!({"outcome": "approve"}),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn webhook_journal_list_get_and_wait_timeout() {
    let m = Mock::plain().await;
    let a = dummy(&m, DEV, "APPROVED").await;
    dummy(&m, DEV, "EXPIRED").await;
    let (_, list) = m.cget(&format!("/_mock/webhooks?scanRef={a}")).await;
    assert_eq!(list["total"], 1);
    let (_, expired) = m
        .cget("/_mock/webhooks?event=IDENTIFICATION_EXPIRED&state=undeliverable")
        .await;
    assert_eq!(expired["total"], 1);
    let id = list["items"][0]["id"].clone();
    let (s, one) = m.cget(&format!("/_mock/webhooks/{id}")).await;
    assert_eq!(s, 200);
    assert!(one["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "Idenfy-Signature"));
    assert_eq!(m.cget("/_mock/webhooks/999").await.0, 404);
    assert_eq!(m.cget("/_mock/webhooks/abc").await.0, 400);
    assert_eq!(m.cget("/_mock/webhooks?event=NOPE").await.0, 400);
    assert_eq!(m.cget("/_mock/webhooks?state=lost").await.0, 400);
    // With no target a webhook settles as undeliverable, and the default
    // wait (any settled state) answers with it at once.
    let (s, hook) = m
        .cget(&format!("/_mock/webhooks/wait?scanRef={a}&timeoutMs=5000"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(hook["state"], "undeliverable");
    let (s, _) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={a}&state=any&timeoutMs=200"
        ))
        .await;
    assert_eq!(s, 200);
    // A state nothing reaches times out with 408.
    let started = Instant::now();
    let (s, e) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={a}&state=delivered&timeoutMs=200"
        ))
        .await;
    assert_eq!(s, 408);
    assert!(e["message"].as_str().unwrap().contains("200 ms"));
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn wait_answers_as_soon_as_the_webhook_is_delivered() {
    let (m, _rx) = with_receiver("").await;
    let waiter = {
        let url =
            m.url("/_mock/webhooks/wait?event=IDENTIFICATION_MANUAL_FINISHED&timeoutMs=20000");
        let http = m.http.clone();
        tokio::spawn(async move { parse(http.get(url).send().await.unwrap()).await })
    };
    let sr = dummy(&m, DEV, "SUSPECTED").await;
    m.post("/api/v2/add-dummy-status", DEV,
        json!({"scanRef": sr, "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}))
        .await;
    let started = Instant::now();
    let (s, hook) = waiter.await.unwrap();
    assert_eq!(s, 200);
    assert_eq!(hook["scanRef"], json!(sr));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered on delivery, not at the timeout"
    );
}

#[tokio::test]
async fn the_clock_can_be_read_advanced_and_set() {
    let m = Mock::plain().await;
    let t = m
        .token(DEV, json!({"clientId": "c", "expiryTime": 30}))
        .await;
    let (_, c0) = m.cget("/_mock/clock").await;
    let (s, c1) = m
        .cpost("/_mock/clock/advance", json!({"seconds": 31}))
        .await;
    assert_eq!(s, 200);
    assert!(c1["now"].as_i64().unwrap() - c0["now"].as_i64().unwrap() >= 31);
    let (s, hook) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={}&state=any&timeoutMs=10000",
            t["scanRef"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(hook["event"], "IDENTIFICATION_EXPIRED");
    let (_, set) = m
        .cpost("/_mock/clock/set", json!({"now": 1_900_000_000}))
        .await;
    assert_eq!(set["now"], 1_900_000_000);
    assert_eq!(m.cpost("/_mock/clock/set", json!({"now": -5})).await.0, 400);
    assert_eq!(
        m.cpost("/_mock/clock/advance", json!({"seconds": "x"}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn reset_one_partner_keeps_the_others() {
    let m = Mock::plain().await;
    let mine = dummy(&m, DEV, "APPROVED").await;
    let theirs = dummy(&m, DEV2, "APPROVED").await;
    let (s, done) = m.cpost("/_mock/reset", json!({"partner": "dev-key"})).await;
    assert_eq!(s, 200);
    assert_eq!(done["removedVerifications"], 1);
    assert_eq!(
        m.post("/api/v2/status", DEV, json!({"scanRef": mine}))
            .await
            .0,
        404
    );
    assert_eq!(
        m.post("/api/v2/status", DEV2, json!({"scanRef": theirs}))
            .await
            .0,
        200
    );
    let (_, hooks) = m.cget("/_mock/webhooks").await;
    assert_eq!(hooks["total"], 1);
    assert_eq!(
        m.cpost("/_mock/reset", json!({"partner": "nobody"}))
            .await
            .0,
        400
    );
    // Credits come back with a reset.
    m.token(LIMITED, json!({"clientId": "c"})).await;
    m.token(LIMITED, json!({"clientId": "c"})).await;
    assert_eq!(
        m.post("/api/v2/token", LIMITED, json!({"clientId": "c"}))
            .await
            .0,
        400
    );
    let resp = m
        .http
        .post(m.url("/_mock/reset"))
        .header("X-Idenfy-Mock", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "an empty body resets everything");
    m.token(LIMITED, json!({"clientId": "c"})).await;
}

#[tokio::test]
async fn an_api_status_fault_is_scoped_to_its_partner_and_path_and_counted() {
    let m = Mock::plain().await;
    let (s, f) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/api/v2/token", "partner": "dev-key", "times": 2,
            "action": {"type": "status", "status": 503}}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    // Other partners and paths are untouched.
    assert_eq!(
        m.post("/api/v2/token", DEV2, json!({"clientId": "c"}))
            .await
            .0,
        201
    );
    assert_eq!(
        m.post("/api/v2/status", DEV, json!({"scanRef": "x"}))
            .await
            .0,
        404
    );
    for _ in 0..2 {
        let got = m.post("/api/v2/token", DEV, json!({"clientId": "c"})).await;
        assert_error(&got, 503, "INTERNAL_ERROR", "Injected fault");
    }
    assert_eq!(
        m.post("/api/v2/token", DEV, json!({"clientId": "c"}))
            .await
            .0,
        201,
        "counted: only twice"
    );
    let (_, list) = m.cget("/_mock/faults").await;
    assert_eq!(
        (list[0]["fired"].clone(), list[0]["remaining"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn an_api_delay_fault_holds_the_answer() {
    let m = Mock::plain().await;
    m.cpost(
        "/_mock/faults",
        json!({"target": "api", "action": {"type": "delay", "ms": 300}}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        m.post("/api/v2/status", DEV, json!({"scanRef": "x"}))
            .await
            .0,
        404
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_api_drop_fault_closes_the_connection_once() {
    let m = Mock::plain().await;
    m.cpost(
        "/_mock/faults",
        json!({"target": "api", "path": "/api/v2/token", "action": {"type": "drop"}}),
    )
    .await;
    let sent = m
        .http
        .post(m.url("/api/v2/token"))
        .basic_auth(DEV.0, Some(DEV.1))
        .header("Content-Type", "application/json")
        .body(r#"{"clientId":"c"}"#)
        .send()
        .await;
    assert!(
        sent.is_err(),
        "the connection was dropped without an answer"
    );
    assert_eq!(
        m.post("/api/v2/token", DEV, json!({"clientId": "c"}))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn faults_are_validated_deleted_one_by_one_and_cleared() {
    let m = Mock::plain().await;
    for bad in [
        json!({"target": "api", "action": {"type": "duplicate"}}),
        json!({"target": "webhook", "action": {"type": "status", "status": 500}}),
        json!({"target": "api", "action": {"type": "status", "status": 200}}),
        json!({"target": "api", "partner": "nobody", "action": {"type": "drop"}}),
        json!({"target": "sideways", "action": {"type": "drop"}}),
    ] {
        assert_eq!(m.cpost("/_mock/faults", bad.clone()).await.0, 400, "{bad}");
    }
    let (_, f) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "times": 0, "action": {"type": "status", "status": 500}}),
        )
        .await;
    assert_eq!(f["remaining"], Value::Null);
    assert_eq!(m.cdelete(&format!("/_mock/faults/{}", f["id"])).await, 204);
    assert_eq!(m.cdelete(&format!("/_mock/faults/{}", f["id"])).await, 404);
    assert_eq!(m.cdelete("/_mock/faults").await, 204);
    assert_eq!(m.cget("/_mock/faults").await.1, json!([]));
}

async fn webhook_fault(m: &Mock, action: Value) {
    let (s, f) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "webhook", "action": action}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
}

#[tokio::test]
async fn webhook_faults_signature_drop_duplicate_delay() {
    let (m, rx) = with_receiver("").await;
    webhook_fault(&m, json!({"type": "bad_signature"})).await;
    dummy(&m, DEV, "APPROVED").await;
    let got = rx.wait_for(1).await;
    let sig = got[0].header("idenfy-signature").unwrap();
    assert!(!idenfy_mock::verify_signature(
        DEV_SIGNING_KEY.as_bytes(),
        &got[0].body,
        &sig
    ));

    webhook_fault(&m, json!({"type": "no_signature"})).await;
    dummy(&m, DEV, "APPROVED").await;
    assert!(rx.wait_for(2).await[1].header("idenfy-signature").is_none());

    webhook_fault(&m, json!({"type": "drop"})).await;
    let dropped = dummy(&m, DEV, "DENIED").await;
    let (_, d) = m.cget(&format!("/_mock/webhooks?scanRef={dropped}")).await;
    assert_eq!(d["items"][0]["state"], "dropped");

    webhook_fault(&m, json!({"type": "duplicate"})).await;
    let dup = dummy(&m, DEV, "DENIED").await;
    let got = rx.wait_for(4).await;
    let copies: Vec<_> = got
        .iter()
        .filter(|h| h.json()["scanRef"] == json!(dup))
        .collect();
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[0].body, copies[1].body);

    webhook_fault(&m, json!({"type": "delay", "ms": 300})).await;
    let started = Instant::now();
    dummy(&m, DEV, "APPROVED").await;
    rx.wait_for(5).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(rx.hits(), 5, "the dropped one never reached the receiver");
}

#[tokio::test]
async fn webhook_faults_reorder_and_non_final_first() {
    let (m, rx) = with_receiver("").await;
    let (s, _) = m
        .cpost("/_mock/faults", json!({"target": "webhook", "event": "IDENTIFICATION_AUTO_FINISHED", "partner": "dev-key",
            "action": {"type": "reorder"}}))
        .await;
    assert_eq!(s, 201);
    let sr = dummy(&m, DEV, "SUSPECTED").await;
    m.post("/api/v2/add-dummy-status", DEV,
        json!({"scanRef": sr, "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}))
        .await;
    let got = rx.wait_for(2).await;
    let events: Vec<_> = got
        .iter()
        .map(|h| h.header("idenfy-event-type").unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "IDENTIFICATION_MANUAL_FINISHED",
            "IDENTIFICATION_AUTO_FINISHED"
        ]
    );

    webhook_fault(&m, json!({"type": "non_final_first"})).await;
    dummy(&m, DEV, "APPROVED").await;
    let got = rx.wait_for(4).await;
    let (early, real) = (got[2].json(), got[3].json());
    assert_eq!(
        (early["final"].clone(), real["final"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(early["scanRef"], real["scanRef"]);
    for h in &got[2..] {
        let sig = h.header("idenfy-signature").unwrap();
        assert!(
            idenfy_mock::verify_signature(DEV_SIGNING_KEY.as_bytes(), &h.body, &sig),
            "both correctly signed"
        );
    }
}

#[tokio::test]
async fn scenarios_list_what_the_mock_can_produce() {
    let m = Mock::plain().await;
    let (s, sc) = m.cget("/_mock/scenarios").await;
    assert_eq!(s, 200);
    let dummies = sc["dummyStatuses"].as_array().unwrap();
    assert_eq!(dummies.len(), 5);
    let suspected = dummies
        .iter()
        .find(|d| d["dummyStatus"] == "SUSPECTED")
        .unwrap();
    assert_eq!(suspected["mismatchTags"], json!(["NAME"]));
    assert_eq!(suspected["event"], "IDENTIFICATION_AUTO_FINISHED");
    let expired = dummies
        .iter()
        .find(|d| d["dummyStatus"] == "EXPIRED")
        .unwrap();
    assert_eq!(expired["event"], "IDENTIFICATION_EXPIRED");
    assert_eq!(sc["manualFaceResults"].as_array().unwrap().len(), 12);
    assert_eq!(sc["manualDocumentResults"].as_array().unwrap().len(), 40);
    assert!(sc["fraudTags"]
        .as_array()
        .unwrap()
        .contains(&json!("VIRTUAL_CAMERA")));
    assert!(sc["webhookFaultActions"]
        .as_array()
        .unwrap()
        .contains(&json!("reorder")));
}

#[tokio::test]
async fn snapshot_and_restore_seed_a_run() {
    let m = Mock::plain().await;
    let approved = dummy(&m, DEV, "APPROVED").await;
    let active = m
        .token(DEV, json!({"clientId": "later", "expiryTime": 100}))
        .await;
    let (s, snap) = m.cget("/_mock/snapshot").await;
    assert_eq!(s, 200);
    assert_eq!(snap["verifications"].as_array().unwrap().len(), 2);

    let other = Mock::plain().await;
    let (s, restored) = other.cpost("/_mock/snapshot", snap.clone()).await;
    assert_eq!(s, 200, "{restored}");
    assert_eq!(restored["verifications"], 2);
    let (_, st) = other
        .post("/api/v2/status", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!(st["status"], "APPROVED");
    let (_, hooks) = other
        .cget(&format!("/_mock/webhooks?scanRef={approved}"))
        .await;
    assert_eq!(hooks["total"], 1);
    // Restored tokens keep their timers and their page.
    let page = other
        .get(&format!(
            "/ui/?authToken={}",
            active["authToken"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status(), 200);
    other
        .cpost("/_mock/clock/advance", json!({"seconds": 700}))
        .await;
    let expired = other
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={}&state=any&timeoutMs=10000",
            active["scanRef"].as_str().unwrap()
        ))
        .await;
    assert_eq!(expired.0, 200);
    // A snapshot naming an unknown partner is refused whole.
    let mut bad = snap.clone();
    bad["verifications"][0]["partner"] = json!("nobody");
    let (s, e) = other.cpost("/_mock/snapshot", bad).await;
    assert_eq!(s, 400);
    assert!(e["message"].as_str().unwrap().contains("nobody"));
    assert_eq!(
        other
            .cpost(
                "/_mock/snapshot",
                json!({"version": 2, "clockOffsetMs": 0, "verifications": [], "webhooks": []})
            )
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn the_admin_token_guards_the_control_api_when_set() {
    let m = Mock::start(config("", "[control]\nadmin_token = 'sesame'")).await;
    let (s, e) = m.cget("/_mock/verifications").await;
    assert_eq!(s, 401);
    assert!(e["message"].as_str().unwrap().contains("Bearer"));
    let resp = m
        .http
        .get(m.url("/_mock/verifications"))
        .bearer_auth("sesame")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = m
        .http
        .get(m.url("/_mock/verifications"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(m.get("/_mock/?token=sesame").await.status(), 200);
    assert_eq!(m.get("/_mock/").await.status(), 401);
    // Open: health for container checks, and the inbox's receiving end.
    assert_eq!(m.cget("/_mock/health").await.0, 200);
    assert_eq!(m.cpost("/_mock/inbox/open", json!({})).await.0, 200);
    // The iDenfy API is not affected.
    assert_eq!(
        m.post("/api/v2/token", DEV, json!({"clientId": "c"}))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn the_inbox_receives_webhooks_and_checks_their_signature() {
    let m = Mock::plain().await;
    let inbox = m.url("/_mock/inbox/ci-run");
    m.token(
        DEV,
        json!({"clientId": "c", "callbackUrl": inbox, "dummyStatus": "APPROVED"}),
    )
    .await;
    let (s, _) = m.cget("/_mock/webhooks/wait?timeoutMs=10000").await;
    assert_eq!(s, 200);
    m.cpost(
        "/_mock/faults",
        json!({"target": "webhook", "action": {"type": "bad_signature"}}),
    )
    .await;
    m.token(
        DEV,
        json!({"clientId": "c", "callbackUrl": inbox, "dummyStatus": "DENIED"}),
    )
    .await;
    m.token(
        UNSIGNED,
        json!({"clientId": "c", "callbackUrl": inbox, "dummyStatus": "DENIED"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let messages = loop {
        let (_, view) = m.cget("/_mock/inbox/ci-run").await;
        let msgs = view["messages"].as_array().unwrap().clone();
        if msgs.len() == 3 {
            break msgs;
        }
        assert!(Instant::now() < deadline, "three messages in the inbox");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let sig_of = |overall: &str, signed: &str| {
        messages.iter().any(|msg| {
            let body: Value = serde_json::from_str(msg["body"].as_str().unwrap()).unwrap();
            body["status"]["overall"] == overall && msg["signature"] == signed
        })
    };
    assert!(sig_of("APPROVED", "valid"));
    assert!(sig_of("DENIED", "invalid"));
    assert!(sig_of("DENIED", "missing"));
    let valid = messages
        .iter()
        .find(|msg| msg["signature"] == "valid")
        .unwrap();
    assert_eq!(valid["signedBy"], "dev-key");
    assert_eq!(valid["event"], "IDENTIFICATION_AUTO_FINISHED");
    let (_, boxes) = m.cget("/_mock/inbox").await;
    assert_eq!(boxes, json!([{"name": "ci-run", "count": 3}]));
    assert_eq!(m.cdelete("/_mock/inbox/ci-run").await, 204);
    assert_eq!(m.cget("/_mock/inbox/ci-run").await.1["messages"], json!([]));
    assert_eq!(m.cpost("/_mock/inbox/bad%20name", json!({})).await.0, 400);
}

#[tokio::test]
async fn the_dashboard_lists_state_and_its_buttons_work() {
    let (m, rx) = with_receiver("").await;
    let sr = dummy(&m, DEV, "APPROVED").await;
    rx.wait_for(1).await;
    let active = m.token(DEV, json!({"clientId": "waiting"})).await;
    let page = m.get("/_mock/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("http-equiv=\"refresh\""), "no full reloads");
    let (s, data) = m.cget("/_mock/dashboard/data").await;
    assert_eq!(s, 200, "{data}");
    let rows = data["verifications"]["items"].as_array().unwrap();
    assert_eq!(rows[0]["scanRef"], active["scanRef"], "newest first");
    assert_eq!(rows[1]["scanRef"], sr.as_str());
    let hook = &data["webhooks"]["items"][0];
    assert_eq!(
        (hook["signature"].as_str(), hook["state"].as_str()),
        (Some("valid"), Some("delivered"))
    );
    assert_eq!(hook["event"], "IDENTIFICATION_AUTO_FINISHED");
    let (_, exact) = m.cget("/_mock/webhooks/1").await;
    assert_eq!(hook["body"], exact["body"], "the body as sent");
    let (_, only) = m.cget("/_mock/dashboard/data?clientId=WAIT").await;
    assert_eq!(only["verifications"]["matched"], 1);
    assert_eq!(only["verifications"]["total"], 2);
    assert_eq!(only["webhooks"]["matched"], 0);
    let (s, bad) = m.cget("/_mock/dashboard/data?event=NOPE").await;
    assert_eq!(s, 400);
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .starts_with("event must be one of"),
        "{bad}"
    );
}

#[tokio::test]
async fn an_inbox_made_to_fail_shows_the_retries() {
    let m = Mock::start(config("", "")).await;
    let inbox = m.url("/_mock/inbox/flaky");
    let (s, _) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/_mock/inbox/flaky", "times": 2,
            "action": {"type": "status", "status": 500}}),
        )
        .await;
    assert_eq!(s, 201);
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "callbackUrl": inbox, "dummyStatus": "APPROVED"}),
        )
        .await;
    let (s, hook) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={}&timeoutMs=10000",
            t["scanRef"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200);
    let statuses: Vec<_> = hook["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(500), json!(200)]);
    assert_eq!(
        m.cget("/_mock/inbox/flaky").await.1["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn wait_refuses_a_timeout_over_a_minute() {
    let m = Mock::plain().await;
    let (s, e) = m.cget("/_mock/webhooks/wait?timeoutMs=60001").await;
    assert_eq!(s, 400);
    assert!(e["message"].as_str().unwrap().contains("60000"));
}

#[tokio::test]
async fn unknown_control_paths_get_the_control_error_shape() {
    let m = Mock::plain().await;
    for path in ["/_mock/nope", "/_mock/webhooks/1/nope"] {
        let (s, e) = m.cget(path).await;
        assert_eq!(s, 404);
        assert_eq!(e["status"], 404);
        assert!(e["message"].as_str().unwrap().contains(path), "{e}");
        assert!(e.get("identifier").is_none(), "{e}");
    }
    let resp = m
        .http
        .delete(m.url("/_mock/clock"))
        .header("x-idenfy-mock", "1")
        .send()
        .await
        .unwrap();
    let (s, e) = parse(resp).await;
    assert_eq!(s, 405);
    assert_eq!(e["status"], 405);
    assert!(e["message"].as_str().unwrap().contains("DELETE"), "{e}");
    // Outside /_mock/, iDenfy's envelope as before.
    let got = parse(m.get("/api/v2/nothing-here").await).await;
    assert_error(&got, 404, "NOT_FOUND", "/api/v2/nothing-here");
}

#[tokio::test]
async fn bad_path_query_and_body_get_the_control_error_shape() {
    let m = Mock::plain().await;
    let (s, e) = m.cget("/_mock/webhooks/abc").await;
    assert_eq!((s.as_u16(), &e["status"]), (400, &json!(400)), "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("bad path parameter"),
        "{e}"
    );
    let (s, e) = m.cget("/_mock/webhooks?limit=many").await;
    assert_eq!((s.as_u16(), &e["status"]), (400, &json!(400)), "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("bad query"),
        "{e}"
    );
    let (s, e) = m
        .cpost("/_mock/clock/advance", json!({"seconds": "ten"}))
        .await;
    assert_eq!((s.as_u16(), &e["status"]), (400, &json!(400)), "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("bad JSON body"),
        "{e}"
    );
    assert!(e.get("identifier").is_none(), "{e}");
}

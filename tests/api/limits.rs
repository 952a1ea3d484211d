//! Bounds on what a token request may hold and on what the store keeps:
//! field size limits, URLs with control characters, listing order and
//! paging, eviction by count and by bytes (oldest settled first).

use crate::helpers::*;
use serde_json::{json, Value};

const TOKEN: &str = "/api/v2/token";

/// A body with `clientId` and `extra`'s keys.
fn body(extra: Value) -> Value {
    let mut b = json!({"clientId": "c"});
    for (k, v) in extra.as_object().expect("an object") {
        b[k] = v.clone();
    }
    b
}

/// An http URL of exactly `len` bytes.
fn url_of(len: usize) -> String {
    let base = "http://e.test/";
    format!("{base}{}", "a".repeat(len - base.len()))
}

/// `depth` nested objects: `{"a":{"a":{}}}` is 3.
fn nested(depth: usize) -> Value {
    (1..depth).fold(json!({}), |inner, _| json!({ "a": inner }))
}

/// A one-key object of exactly `len` bytes written compactly.
fn object_of_len(len: usize) -> Value {
    // {"k":"…"} is 8 bytes around the text.
    json!({"k": "x".repeat(len - 8)})
}

/// (field, extra keys at the limit, extra keys one over it, message part).
fn limits() -> Vec<(&'static str, Value, Value, &'static str)> {
    let letters = |n: usize| "A".repeat(n);
    let questions = |n: usize, len: usize| vec!["q".repeat(len); n];
    let steps = json!({"ALL": {}});
    vec![
        (
            "clientId",
            json!({"clientId": "c".repeat(100)}),
            json!({"clientId": "c".repeat(101)}),
            "1 to 100",
        ),
        (
            "firstName",
            json!({"firstName": letters(100)}),
            json!({"firstName": letters(101)}),
            "1 to 100",
        ),
        (
            "lastName",
            json!({"lastName": letters(100)}),
            json!({"lastName": letters(101)}),
            "1 to 100",
        ),
        (
            "personalNumber",
            json!({"personalNumber": "1".repeat(50)}),
            json!({"personalNumber": "1".repeat(51)}),
            "1 to 50",
        ),
        (
            "documentNumber",
            json!({"documentNumber": "1".repeat(50)}),
            json!({"documentNumber": "1".repeat(51)}),
            "1 to 50",
        ),
        (
            "address",
            json!({"address": "a".repeat(255)}),
            json!({"address": "a".repeat(256)}),
            "at most 255",
        ),
        (
            "externalRef",
            json!({"externalRef": "e".repeat(40)}),
            json!({"externalRef": "e".repeat(41)}),
            "at most 40",
        ),
        (
            "successUrl",
            json!({"successUrl": url_of(2048)}),
            json!({"successUrl": url_of(2049)}),
            "2048",
        ),
        (
            "errorUrl",
            json!({"errorUrl": url_of(2048)}),
            json!({"errorUrl": url_of(2049)}),
            "2048",
        ),
        (
            "unverifiedUrl",
            json!({"unverifiedUrl": url_of(2048)}),
            json!({"unverifiedUrl": url_of(2049)}),
            "2048",
        ),
        (
            "callbackUrl",
            json!({"callbackUrl": url_of(2048)}),
            json!({"callbackUrl": url_of(2049)}),
            "2048",
        ),
        (
            "questionnaire",
            json!({"questionnaire": "q".repeat(100)}),
            json!({"questionnaire": "q".repeat(101)}),
            "at most 100",
        ),
        (
            "videoCallQuestions",
            json!({"videoCallQuestions": questions(20, 500)}),
            json!({"videoCallQuestions": questions(21, 1)}),
            "may hold at most 20 questions of at most 500 characters each",
        ),
        (
            "videoCallQuestions",
            json!({"videoCallQuestions": questions(20, 500)}),
            json!({"videoCallQuestions": questions(1, 501)}),
            "may hold at most 20 questions of at most 500 characters each",
        ),
        (
            "documents",
            json!({"documents": vec!["PASSPORT"; 50]}),
            json!({"documents": vec!["PASSPORT"; 51]}),
            "at most 50 items",
        ),
        (
            "additionalSteps",
            json!({"additionalSteps": object_of_len(16 * 1024)}),
            json!({"additionalSteps": object_of_len(16 * 1024 + 1)}),
            "at most 16384 bytes",
        ),
        (
            "additionalSteps",
            json!({"additionalSteps": nested(8)}),
            json!({"additionalSteps": nested(9)}),
            "at most 8 levels deep",
        ),
        (
            "additionalData",
            json!({"additionalSteps": steps, "additionalData": object_of_len(16 * 1024)}),
            json!({"additionalSteps": steps, "additionalData": object_of_len(16 * 1024 + 1)}),
            "at most 16384 bytes",
        ),
        (
            "additionalData",
            json!({"additionalSteps": steps, "additionalData": nested(8)}),
            json!({"additionalSteps": steps, "additionalData": nested(9)}),
            "at most 8 levels deep",
        ),
    ]
}

#[tokio::test]
async fn every_field_limit_takes_its_maximum_and_refuses_one_more() {
    let m = Mock::plain().await;
    for (field, at, over, rule) in limits() {
        let sent = body(at);
        let r = m.token(DEV, sent.clone()).await;
        // Echoed as sent (names come back uppercased; these are already).
        assert_eq!(r[field], sent[field], "{field} echoed");
        let got = m.post(TOKEN, DEV, body(over)).await;
        assert_error(&got, 400, "BAD_VALUE", &format!("Field '{field}' "));
        assert_error(&got, 400, "BAD_VALUE", rule);
    }
}

#[tokio::test]
async fn the_video_call_message_names_the_field_and_both_limits() {
    let m = Mock::plain().await;
    let got = m
        .post(
            TOKEN,
            DEV,
            body(json!({"videoCallQuestions": vec!["q"; 21]})),
        )
        .await;
    assert_eq!(
        got.1["message"],
        "Field 'videoCallQuestions' may hold at most 20 questions of at most 500 characters each."
    );
}

#[tokio::test]
async fn urls_with_control_characters_are_refused() {
    let m = Mock::plain().await;
    let fields = ["successUrl", "errorUrl", "unverifiedUrl", "callbackUrl"];
    for field in fields {
        for bad in ["\r\n", "\n", "\r", "\t", "\0", "\u{7f}", "\u{1b}"] {
            let url = format!("http://e.test/a{bad}Set-Cookie: x=1");
            let got = m.post(TOKEN, DEV, body(json!({ field: url }))).await;
            assert_error(
                &got,
                400,
                "BAD_VALUE",
                &format!("Field '{field}' must be an http(s) URL without control characters."),
            );
        }
        // A plain one is fine.
        m.token(DEV, body(json!({ field: "http://e.test/a?b=c%0A" })))
            .await;
    }
    assert_eq!(m.stats().await["verifications"]["stored"], fields.len());
}

#[tokio::test]
async fn listings_are_in_creation_order_and_page_with_the_total() {
    let m = Mock::plain().await;
    let mut made = Vec::new();
    // Created well within a second: creation order, not the (random)
    // scanRefs, orders them.
    for i in 0..40 {
        let t = m
            .token(DEV, json!({"clientId": format!("order-{}", i % 2)}))
            .await;
        made.push(t["scanRef"].as_str().unwrap().to_owned());
    }
    let (s, page) = m.cget("/_mock/verifications?limit=1000").await;
    assert_eq!(s, 200);
    let listed: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["scanRef"].as_str().unwrap())
        .collect();
    assert_eq!(listed, made);
    let mut sorted = made.clone();
    sorted.sort();
    assert_ne!(
        sorted, made,
        "scanRefs are random, so not in creation order"
    );

    let (_, page) = m.cget("/_mock/verifications?limit=1").await;
    assert_eq!(
        (page["total"].as_u64(), page["limit"].as_u64()),
        (Some(40), Some(1))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["scanRef"], made[0].as_str());

    // Filtered and offset: the total counts what matches.
    let (_, page) = m
        .cget("/_mock/verifications?clientId=order-1&offset=3&limit=2")
        .await;
    assert_eq!(page["total"], 20);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["scanRef"], made[7].as_str());
    assert_eq!(items[1]["scanRef"], made[9].as_str());
}

async fn status_code(m: &Mock, scan_ref: &str) -> u16 {
    m.post("/api/v2/status", DEV, json!({ "scanRef": scan_ref }))
        .await
        .0
        .as_u16()
}

fn scan_ref(t: &Value) -> String {
    t["scanRef"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_count_cap_evicts_the_oldest_settled_first() {
    let m = Mock::start(config("", "[store]\nmax_verifications = 3")).await;
    let active_a = scan_ref(&m.token(DEV, json!({"clientId": "a"})).await);
    let settled_b = scan_ref(
        &m.token(DEV, json!({"clientId": "b", "dummyStatus": "APPROVED"}))
            .await,
    );
    let active_c = scan_ref(&m.token(DEV, json!({"clientId": "c"})).await);
    let active_d = scan_ref(&m.token(DEV, json!({"clientId": "d"})).await);
    // The settled one went, though the active one is older.
    assert_eq!(status_code(&m, &settled_b).await, 404);
    for r in [&active_a, &active_c, &active_d] {
        assert_eq!(status_code(&m, r).await, 200);
    }
    // None settled left: the oldest active one goes.
    let active_e = scan_ref(&m.token(DEV, json!({"clientId": "e"})).await);
    assert_eq!(status_code(&m, &active_a).await, 404);
    for r in [&active_c, &active_d, &active_e] {
        assert_eq!(status_code(&m, r).await, 200);
    }
    let stats = &m.stats().await["verifications"];
    assert_eq!(
        (&stats["stored"], &stats["evicted"]),
        (&json!(3), &json!(2))
    );
}

#[tokio::test]
async fn the_byte_budget_evicts_the_oldest_settled_first() {
    // 1 MiB in all: half of it, 512 KiB, for the store.
    let m = Mock::start(config("", "[store]\nmemory_budget_mib = 1")).await;
    let budget = m.stats().await["verifications"]["maxBytes"]
        .as_u64()
        .unwrap();
    assert_eq!(budget, 512 * 1024);
    let big = |client: &str, dummy: bool| {
        let mut b = json!({"clientId": client, "additionalSteps": object_of_len(16 * 1024)});
        if dummy {
            b["dummyStatus"] = json!("APPROVED");
        }
        b
    };
    let (mut active, mut settled) = (Vec::new(), Vec::new());
    for i in 0..20 {
        active.push(scan_ref(&m.token(DEV, big(&format!("a{i}"), false)).await));
        settled.push(scan_ref(&m.token(DEV, big(&format!("s{i}"), true)).await));
        let bytes = m.stats().await["verifications"]["bytes"].as_u64().unwrap();
        assert!(bytes <= budget, "{bytes} > {budget}");
    }
    // 40 verifications of over 16 KiB each do not fit in 512 KiB: some went,
    // all of them settled, the oldest first.
    let evicted = m.stats().await["verifications"]["evicted"]
        .as_u64()
        .unwrap();
    assert!(evicted > 0);
    for r in &active {
        assert_eq!(status_code(&m, r).await, 200, "active {r} kept");
    }
    let gone = evicted as usize;
    for (i, r) in settled.iter().enumerate() {
        let want = if i < gone { 404 } else { 200 };
        assert_eq!(status_code(&m, r).await, want, "settled #{i}");
    }
}

#[tokio::test]
async fn json_objects_survive_a_snapshot_round_trip_unchanged() {
    let m = Mock::plain().await;
    let steps = json!({"ALL": {"UTILITY_BILL": {"type": "DOCUMENT", "n": [1, 2.5, null]}}});
    let data = json!({"UTILITY_BILL": {"address": "Vilnius\nLT"}});
    let t = m
        .token(
            DEV,
            body(json!({"additionalSteps": steps, "additionalData": data})),
        )
        .await;
    assert_eq!(
        (&t["additionalSteps"], &t["additionalData"]),
        (&steps, &data)
    );
    let (_, snap) = m.cget("/_mock/snapshot").await;
    let other = Mock::plain().await;
    let (s, _) = other.cpost("/_mock/snapshot", snap).await;
    assert_eq!(s, 200);
    let (_, v) = other
        .cget(&format!("/_mock/verifications/{}", scan_ref(&t)))
        .await;
    assert_eq!(v["request"]["additionalSteps"], steps);
    assert_eq!(v["request"]["additionalData"], data);
}

//! Result webhooks end to end, with a real receiver: payload and types,
//! signature, targets, retries, ordering, journal, shutdown.

use std::time::Duration;

use crate::helpers::*;
use hmac::{Hmac, Mac};
use idenfy_mock::{DeliveryState, WebhookFilter as Filter};
use serde_json::{json, Value};
use sha2::Sha256;

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn with_receiver(extra: &str) -> (Mock, Receiver) {
    let receiver = Receiver::start().await;
    let mock = Mock::start(config(&receiver.url, extra)).await;
    (mock, receiver)
}

const DATA_KEYS: &[&str] = &[
    "docFirstName",
    "docLastName",
    "docNumber",
    "docPersonalCode",
    "docExpiry",
    "docDob",
    "docDateOfIssue",
    "docType",
    "docSex",
    "docNationality",
    "docIssuingCountry",
    "docTemporaryAddress",
    "docBirthName",
    "birthPlace",
    "authority",
    "address",
    "mothersMaidenName",
    "driverLicenseCategory",
    "manuallyDataChanged",
    "fullName",
    "selectedCountry",
    "orgFirstName",
    "orgLastName",
    "orgNationality",
    "orgBirthPlace",
    "orgAuthority",
    "orgAddress",
    "orgTemporaryAddress",
    "orgMothersMaidenName",
    "orgPatronymic",
    "orgBirthName",
    "ageEstimate",
    "clientIpProxyRiskLevel",
    "duplicateFaces",
    "duplicateDocFaces",
    "addressVerification",
    "docPatronymic",
    "additionalData",
];

const TOP_KEYS: &[&str] = &[
    "final",
    "platform",
    "status",
    "data",
    "fileUrls",
    "additionalStepPdfUrls",
    "AML",
    "LID",
    "scanRef",
    "externalRef",
    "clientId",
    "companyId",
    "beneficiaryId",
    "startTime",
    "finishTime",
    "clientIp",
    "clientIpCountry",
    "clientLocation",
    "gdcMatch",
    "manualAddress",
    "manualAddressMatch",
    "additionalSteps",
    "amlCheck",
    "CRIMINAL_CHECK",
    "registryCenterCheck",
    "addressVerification",
    "questionnaireAnswers",
    "riskAssessment",
    "bankVerification",
    "emailVerification",
    "phoneVerification",
    "driverLicenseCheck",
    "bankCardVerification",
];

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

#[tokio::test]
async fn approved_dummy_sends_a_signed_webhook_with_every_key_and_type() {
    let (m, rx) = with_receiver("").await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "100000", "firstName": "John Tom", "lastName": "Smith",
            "sex": "F", "nationality": "lt", "country": "lt", "documents": ["PASSPORT"],
            "externalRef": "reference", "dummyStatus": "APPROVED"}),
        )
        .await;
    let got = rx.wait_for(1).await;
    let hook = &got[0];
    assert_eq!(
        hook.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        hook.header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_AUTO_FINISHED")
    );
    let sig = hook.header("idenfy-signature").expect("signed");
    assert_eq!(
        sig,
        hmac_hex(DEV_SIGNING_KEY, &hook.body),
        "HMAC of the exact bytes"
    );
    assert_eq!(sig, sig.to_lowercase());

    let b = hook.json();
    assert_eq!(sorted_keys(&b), sorted(TOP_KEYS));
    assert_eq!(sorted_keys(&b["data"]), sorted(DATA_KEYS));
    assert_eq!(b["final"], true);
    assert_eq!(b["platform"], "PC");
    assert_eq!(b["scanRef"], t["scanRef"]);
    assert_eq!(b["clientId"], "100000");
    assert_eq!(b["externalRef"], "reference");
    assert!(b["startTime"].is_i64() && b["finishTime"].is_i64());
    assert!(b["finishTime"].as_i64() >= b["startTime"].as_i64());
    assert!(b["AML"].is_null() && b["LID"].is_null() && b["additionalSteps"].is_null());
    assert_eq!(b["additionalStepPdfUrls"], json!({}));
    assert_eq!(b["manualAddressMatch"], false);
    let status = &b["status"];
    assert_eq!(
        status,
        &json!({"overall": "APPROVED", "fraudTags": [], "mismatchTags": [],
            "autoFace": "FACE_MATCH", "manualFace": "FACE_MATCH",
            "autoDocument": "DOC_VALIDATED", "manualDocument": "DOC_VALIDATED",
            "additionalSteps": null, "suspicionReasons": []})
    );
    let d = &b["data"];
    assert_eq!(d["docFirstName"], "JOHN TOM");
    assert_eq!(d["docLastName"], "SMITH");
    assert_eq!(d["fullName"], "JOHN TOM SMITH");
    assert_eq!(d["docSex"], "FEMALE");
    assert_eq!(d["docNationality"], "LT");
    assert_eq!(d["docIssuingCountry"], "LT");
    assert_eq!(d["selectedCountry"], "LT");
    assert_eq!(d["docType"], "PASSPORT");
    assert_eq!(d["manuallyDataChanged"], false);
    assert!(d["duplicateFaces"].is_null() && d["duplicateDocFaces"].is_null());
    assert!(
        d["docDob"].as_str().unwrap().len() == 10,
        "plausible date where none was sent"
    );
    // fileUrls: strings pointing at images the mock serves, same as /files.
    let files = b["fileUrls"].as_object().unwrap();
    assert_eq!(files.len(), 3);
    let (_, api_files) = m
        .post("/api/v2/files", DEV, json!({"scanRef": t["scanRef"]}))
        .await;
    // The same files; each URL is issued with its own expiry.
    let names = |v: &Value| -> Vec<String> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, u)| format!("{k} {}", u.as_str().unwrap().rsplit('/').next().unwrap()))
            .collect()
    };
    assert_eq!(names(&b["fileUrls"]), names(&api_files));
    let front = m
        .http
        .get(files["FRONT"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(front.status(), 200);
    assert_eq!(front.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn denied_suspected_and_expired_payloads() {
    let (m, rx) = with_receiver("").await;
    for s in ["DENIED", "SUSPECTED", "EXPIRED"] {
        m.token(DEV, json!({"clientId": s, "dummyStatus": s})).await;
    }
    m.token(DEV, json!({"clientId": "active", "dummyStatus": "ACTIVE"}))
        .await;
    let got = rx.wait_for(3).await;
    let by_client = |c: &str| {
        got.iter()
            .find(|h| h.json()["clientId"] == c)
            .unwrap()
            .clone()
    };

    let denied = by_client("DENIED");
    assert_eq!(denied.json()["status"]["overall"], "DENIED");
    assert_eq!(denied.json()["status"]["autoFace"], "FACE_MISMATCH");

    let suspected = by_client("SUSPECTED").json();
    assert_eq!(suspected["status"]["overall"], "SUSPECTED");
    let tags = suspected["status"]["mismatchTags"]
        .as_array()
        .unwrap()
        .len()
        + suspected["status"]["fraudTags"].as_array().unwrap().len();
    assert!(tags > 0, "SUSPECTED never comes with empty tag lists");

    let expired = by_client("EXPIRED");
    assert_eq!(
        expired.header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_EXPIRED")
    );
    let e = expired.json();
    assert_eq!(e["final"], true);
    assert_eq!(e["status"]["overall"], "EXPIRED");
    assert!(e["status"]["autoFace"].is_null() && e["status"]["autoDocument"].is_null());
    assert_eq!(e["fileUrls"], json!({}));
    assert!(
        e["data"].as_object().unwrap().values().all(Value::is_null),
        "{}",
        e["data"]
    );
    assert_eq!(sorted_keys(&e["data"]), sorted(DATA_KEYS));

    // ACTIVE sends nothing: the journal holds exactly the three others.
    assert_eq!(m.server.webhooks().len(), 3);
}

#[tokio::test]
async fn two_webhook_shape_when_manual_review_is_not_simulated() {
    let (m, rx) = with_receiver("[dummy]\nsimulate_manual_review = false").await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    m.post(
        "/api/v2/add-dummy-status",
        DEV,
        json!({"scanRef": t["scanRef"], "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
    )
    .await;
    let got = rx.wait_for(2).await;
    let (auto, manual) = (got[0].json(), got[1].json());
    assert_eq!(auto["final"], false);
    assert!(auto["status"]["manualFace"].is_null() && auto["status"]["manualDocument"].is_null());
    assert_eq!(
        got[1].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_MANUAL_FINISHED")
    );
    assert_eq!(manual["final"], true);
    assert_eq!(manual["status"]["manualFace"], "FACE_MATCH");
    assert_eq!(manual["status"]["autoFace"], "FACE_MATCH");
}

#[tokio::test]
async fn add_dummy_status_sends_a_new_manual_webhook_each_time() {
    let (m, rx) = with_receiver("").await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "SUSPECTED"}))
        .await;
    for face in ["FACE_MATCH", "FACE_MISMATCH"] {
        let (s, _) = m
            .post("/api/v2/add-dummy-status", DEV,
                json!({"scanRef": t["scanRef"], "manualFaceMatchResult": face, "manualDocumentValidity": "DOC_VALIDATED"}))
            .await;
        assert_eq!(s, 200);
    }
    let got = rx.wait_for(3).await;
    let events: Vec<_> = got
        .iter()
        .map(|h| h.header("idenfy-event-type").unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "IDENTIFICATION_AUTO_FINISHED",
            "IDENTIFICATION_MANUAL_FINISHED",
            "IDENTIFICATION_MANUAL_FINISHED"
        ]
    );
    let overall: Vec<_> = got
        .iter()
        .map(|h| h.json()["status"]["overall"].clone())
        .collect();
    assert_eq!(
        overall,
        [json!("SUSPECTED"), json!("APPROVED"), json!("DENIED")]
    );
    assert_eq!(got[1].json()["status"]["mismatchTags"], json!([]));
    assert_eq!(got[1].json()["final"], true);
}

#[tokio::test]
async fn unsigned_partner_sends_no_signature_header() {
    let (m, rx) = with_receiver("").await;
    m.token(
        UNSIGNED,
        json!({"clientId": "c", "dummyStatus": "APPROVED"}),
    )
    .await;
    let got = rx.wait_for(1).await;
    assert!(got[0].header("idenfy-signature").is_none());
    assert_eq!(
        got[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_AUTO_FINISHED")
    );
}

#[tokio::test]
async fn target_precedence_callback_then_partner_then_global() {
    let partner_rx = Receiver::start().await;
    let callback_rx = Receiver::start().await;
    let global_rx = Receiver::start().await;
    let m = Mock::start(config(
        &partner_rx.url,
        &format!("[webhooks]\nurl = '{}'\n", global_rx.url),
    ))
    .await;
    m.token(
        DEV,
        json!({"clientId": "cb", "callbackUrl": callback_rx.url, "dummyStatus": "APPROVED"}),
    )
    .await;
    m.token(
        DEV,
        json!({"clientId": "partner", "dummyStatus": "APPROVED"}),
    )
    .await;
    assert_eq!(callback_rx.wait_for(1).await[0].json()["clientId"], "cb");
    assert_eq!(
        partner_rx.wait_for(1).await[0].json()["clientId"],
        "partner"
    );
    let targets: Vec<_> = m
        .server
        .webhooks()
        .into_iter()
        .map(|r| r.target.unwrap())
        .collect();
    assert_eq!(targets, [callback_rx.url.clone(), partner_rx.url.clone()]);
    assert!(
        global_rx.received().is_empty(),
        "the global URL is only a fallback"
    );
}

#[tokio::test]
async fn global_url_is_used_when_the_partner_has_none() {
    let global_rx = Receiver::start().await;
    let m = Mock::start(config(
        "",
        &format!("[webhooks]\nurl = '{}'\n", global_rx.url),
    ))
    .await;
    m.token(DEV, json!({"clientId": "g", "dummyStatus": "DENIED"}))
        .await;
    assert_eq!(global_rx.wait_for(1).await[0].json()["clientId"], "g");
}

#[tokio::test]
async fn with_no_target_the_webhook_is_journaled_as_undeliverable() {
    let m = Mock::plain().await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let records = m
        .server
        .webhooks_matching(&Filter::for_scan_ref(t["scanRef"].as_str().unwrap()));
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.state, DeliveryState::Undeliverable);
    assert!(r.target.is_none() && r.attempts.is_empty());
    assert_eq!(
        r.header("Idenfy-Signature").unwrap(),
        hmac_hex(DEV_SIGNING_KEY, &r.body)
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["scanRef"], t["scanRef"]);
}

#[tokio::test]
async fn failed_attempts_are_retried_and_journaled() {
    let (m, rx) = with_receiver("").await;
    rx.fail_next(2);
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let got = rx.wait_for(1).await;
    assert_eq!(rx.hits(), 3);
    let r = m.wait_journal(in_state(DeliveryState::Delivered)).await;
    assert_eq!(r.scan_ref, t["scanRef"].as_str().unwrap());
    let statuses: Vec<_> = r.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert!(r.attempts[0].error.as_deref().unwrap().contains("500"));
    assert!(r.attempts[2].error.is_none());
    assert!(r.attempts.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    // Every attempt carried the same bytes and signature.
    assert_eq!(got[0].body, r.body);
}

#[tokio::test]
async fn a_webhook_given_up_stays_visible_as_failed_and_marks_the_verification() {
    let (m, rx) =
        with_receiver("[webhooks]\nretries = 2\nretry_delay_ms = 10\nbackoff_factor = 2.0").await;
    rx.fail_next(100);
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let scan_ref = t["scanRef"].as_str().unwrap().to_owned();
    let r = m.wait_journal(in_state(DeliveryState::Failed)).await;
    assert_eq!(r.attempts.len(), 3, "first attempt plus 2 retries");
    assert_eq!(rx.hits(), 3);
    // Backoff: the second gap is longer than the first (10 ms, then 20 ms).
    let gaps: Vec<i64> = r
        .attempts
        .windows(2)
        .map(|w| w[1].at_ms - w[0].at_ms)
        .collect();
    assert!(gaps[1] >= 20 && gaps[0] >= 10, "{gaps:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, v) = m.cget(&format!("/_mock/verifications/{scan_ref}")).await;
        if v["finalWebhookFailed"] == true {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "finalWebhookFailed within 10 s: {v}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn refused_connections_and_timeouts_are_failed_attempts() {
    // A port with nothing listening: bind, note the port, close.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let m = Mock::start(config(
        &format!("http://127.0.0.1:{closed}/hook"),
        "[webhooks]\nretries = 1",
    ))
    .await;
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let r = m.wait_journal(in_state(DeliveryState::Failed)).await;
    assert_eq!(r.attempts.len(), 2);
    assert!(r.attempts.iter().all(|a| a.status.is_none()));
    assert!(
        r.attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("cannot connect"),
        "{:?}",
        r.attempts[0]
    );

    // A receiver slower than timeout_secs (1 s).
    let rx = Receiver::start().await;
    rx.delay_first(3000);
    let m = Mock::start(config(&rx.url, "[webhooks]\ntimeout_secs = 1")).await;
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let r = m.wait_journal(in_state(DeliveryState::Delivered)).await;
    assert!(
        r.attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("no answer within"),
        "{:?}",
        r.attempts[0]
    );
    assert_eq!(r.attempts.last().unwrap().status, Some(200));
}

#[tokio::test]
async fn one_verifications_webhooks_keep_their_order_others_do_not_wait() {
    let (m, rx) = with_receiver("").await;
    rx.delay_first(400);
    let a = m
        .token(DEV, json!({"clientId": "a", "dummyStatus": "SUSPECTED"}))
        .await;
    // Queued behind A's slow first webhook, for the same verification.
    m.post("/api/v2/add-dummy-status", DEV,
        json!({"scanRef": a["scanRef"], "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}))
        .await;
    // Another verification is not held up by A.
    m.token(DEV, json!({"clientId": "b", "dummyStatus": "APPROVED"}))
        .await;
    let got = rx.wait_for(3).await;
    let order: Vec<(String, String)> = got
        .iter()
        .map(|h| {
            (
                h.json()["clientId"].as_str().unwrap().to_owned(),
                h.header("idenfy-event-type").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order[0].0, "b",
        "B delivered while A's first was still in flight: {order:?}"
    );
    let a_events: Vec<&str> = order
        .iter()
        .filter(|(c, _)| c == "a")
        .map(|(_, e)| e.as_str())
        .collect();
    assert_eq!(
        a_events,
        [
            "IDENTIFICATION_AUTO_FINISHED",
            "IDENTIFICATION_MANUAL_FINISHED"
        ]
    );
}

#[tokio::test]
async fn the_api_answers_before_delivery() {
    let (m, rx) = with_receiver("").await;
    rx.delay_first(2000);
    let started = std::time::Instant::now();
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "token creation did not wait for delivery"
    );
    rx.wait_for(1).await;
}

#[tokio::test]
async fn journal_is_capped_dropping_the_oldest_with_a_counter() {
    let m = Mock::start(config(
        "",
        "[webhooks]\njournal_capacity = 3\nmax_pending = 3",
    ))
    .await;
    let mut refs = Vec::new();
    for i in 0..5 {
        let t = m
            .token(
                DEV,
                json!({"clientId": format!("c{i}"), "dummyStatus": "DENIED"}),
            )
            .await;
        refs.push(t["scanRef"].as_str().unwrap().to_owned());
    }
    let stats = m.stats().await;
    assert_eq!(stats["webhooks"]["journaled"], 3, "{stats}");
    assert_eq!(stats["webhooks"]["dropped"], 2, "{stats}");
    let kept: Vec<_> = m
        .server
        .webhooks()
        .into_iter()
        .map(|r| r.scan_ref)
        .collect();
    assert_eq!(kept, refs[2..]);
}

#[tokio::test]
async fn configured_delay_holds_dummy_webhooks_back() {
    let (m, rx) = with_receiver("[webhooks]\ndelay_ms = 300").await;
    let t0 = std::time::Instant::now();
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    rx.wait_for(1).await;
    assert!(t0.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn shutdown_keeps_delivering_pending_webhooks_until_the_deadline() {
    let (m, rx) = with_receiver("[webhooks]\nretry_delay_ms = 100").await;
    rx.fail_next(2);
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let left = m.server.shutdown(Duration::from_secs(5)).await;
    assert_eq!(left, 0);
    assert_eq!(rx.received().len(), 1, "delivered during the grace period");

    // A receiver that never accepts: the deadline ends the wait and reports it.
    let (m, rx) = with_receiver("[webhooks]\nretries = 100\nretry_delay_ms = 50").await;
    rx.fail_next(10_000);
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let left = m.server.shutdown(Duration::from_millis(200)).await;
    assert_eq!(left, 1);
}

// Manual review per token (README "Manual review"): `reviewSuccessful` /
// `reviewFailed` choose between one final webhook and two, with REVIEWING
// in between.

async fn status_of(m: &Mock, auth: (&str, &str), scan_ref: &Value) -> Value {
    let (code, s) = m
        .post("/api/v2/status", auth, json!({"scanRef": scan_ref}))
        .await;
    assert_eq!(code, 200, "{s}");
    s
}

async fn review(m: &Mock, auth: (&str, &str), scan_ref: &Value) {
    let (code, body) = m
        .post(
            "/api/v2/add-dummy-status",
            auth,
            json!({"scanRef": scan_ref, "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test]
async fn review_successful_sends_a_non_final_auto_webhook_then_the_manual_one() {
    let (m, rx) = with_receiver("").await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "dummyStatus": "APPROVED", "reviewSuccessful": true}),
        )
        .await;
    assert_eq!(t["reviewSuccessful"], true, "the switch is echoed");
    let auto = rx.wait_for(1).await[0].json();
    assert_eq!(auto["final"], false);
    assert_eq!(auto["status"]["overall"], "APPROVED");
    assert!(auto["status"]["manualFace"].is_null() && auto["status"]["manualDocument"].is_null());

    let s = status_of(&m, DEV, &t["scanRef"]).await;
    assert_eq!(s["status"], "REVIEWING");
    assert_eq!(s["autoFace"], "FACE_MATCH");
    assert_eq!(s["autoDocument"], "DOC_VALIDATED");
    assert!(s["manualFace"].is_null());

    review(&m, DEV, &t["scanRef"]).await;
    let got = rx.wait_for(2).await;
    assert_eq!(
        got[1].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_MANUAL_FINISHED")
    );
    assert_eq!(got[1].json()["final"], true);
    assert_eq!(
        status_of(&m, DEV, &t["scanRef"]).await["status"],
        "APPROVED"
    );
}

#[tokio::test]
async fn review_failed_covers_denied_and_suspected_only() {
    let (m, rx) = with_receiver("").await;
    let approved = m
        .token(
            DEV,
            json!({"clientId": "c", "dummyStatus": "APPROVED", "reviewFailed": true}),
        )
        .await;
    let first = rx.wait_for(1).await[0].json();
    assert_eq!(
        first["final"], true,
        "APPROVED is not reviewed: one final webhook"
    );
    assert_eq!(first["status"]["manualFace"], "FACE_MATCH");
    assert_eq!(
        status_of(&m, DEV, &approved["scanRef"]).await["status"],
        "APPROVED"
    );
    for dummy in ["DENIED", "SUSPECTED"] {
        let t = m
            .token(
                DEV,
                json!({"clientId": "c", "dummyStatus": dummy, "reviewFailed": true}),
            )
            .await;
        let hook = m
            .wait_journal(Filter {
                scan_ref: t["scanRef"].as_str().map(String::from),
                settled: true,
                ..Filter::default()
            })
            .await;
        assert!(!hook.is_final, "{dummy}: the auto webhook waits for review");
        assert_eq!(
            status_of(&m, DEV, &t["scanRef"]).await["status"],
            "REVIEWING",
            "{dummy}"
        );
    }
}

#[tokio::test]
async fn the_partner_default_applies_when_the_token_sends_no_switch() {
    let receiver = Receiver::start().await;
    let toml = format!(
        "listen = '127.0.0.1:0'\n[webhooks]\nretry_delay_ms = 20\n[[partners]]\napi_key = 'r-key'\napi_secret = 'r-secret'\nwebhook_url = '{}'\nreview_successful = true\n",
        receiver.url
    );
    let m = Mock::start(Setup::toml(&toml)).await;
    let auth = ("r-key", "r-secret");
    let reviewed = m
        .token(auth, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    assert_eq!(
        status_of(&m, auth, &reviewed["scanRef"]).await["status"],
        "REVIEWING"
    );
    let not_reviewed = m
        .token(
            auth,
            json!({"clientId": "c", "dummyStatus": "APPROVED", "reviewSuccessful": false}),
        )
        .await;
    assert_eq!(
        status_of(&m, auth, &not_reviewed["scanRef"]).await["status"],
        "APPROVED",
        "the token's switch wins over the partner's default"
    );
    let got = receiver.wait_for(2).await;
    let finals: Vec<bool> = got.iter().map(|r| r.json()["final"] == true).collect();
    assert_eq!(finals.iter().filter(|f| **f).count(), 1, "{finals:?}");
}

#[tokio::test]
async fn finishing_on_the_control_api_follows_the_review_switches() {
    let (m, rx) = with_receiver("").await;
    let t = m
        .token(DEV, json!({"clientId": "c", "reviewFailed": true}))
        .await;
    let (code, body) = m
        .cpost(
            &format!(
                "/_mock/verifications/{}/finish",
                t["scanRef"].as_str().unwrap()
            ),
            json!({"outcome": "deny", "lastAttempt": true}),
        )
        .await;
    assert!(code.is_success(), "{code} {body}");
    let auto = rx.wait_for(1).await[0].json();
    assert_eq!(auto["final"], false);
    assert_eq!(auto["status"]["overall"], "DENIED");
    assert_eq!(
        status_of(&m, DEV, &t["scanRef"]).await["status"],
        "REVIEWING"
    );
    review(&m, DEV, &t["scanRef"]).await;
    assert_eq!(rx.wait_for(2).await[1].json()["final"], true);
}

#[tokio::test]
async fn a_failing_receivers_answer_is_kept_with_the_attempt() {
    let m = Mock::start(config("", "[webhooks]\nretries = 0\n")).await;
    let inbox = m.url("/_mock/inbox/failing");
    let (s, _) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "path": "/_mock/inbox/failing", "times": 0,
                "action": {"type": "status", "status": 500}}),
        )
        .await;
    assert_eq!(s, 201);
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "dummyStatus": "APPROVED", "callbackUrl": inbox}),
        )
        .await;
    let r = m.wait_journal(in_state(DeliveryState::Failed)).await;
    assert_eq!(r.scan_ref, t["scanRef"].as_str().unwrap());
    let attempt = &r.attempts[0];
    assert_eq!(attempt.status, Some(500));
    let answer = attempt.answer.as_deref().expect("the start of the answer");
    assert!(answer.contains("Injected fault: HTTP 500"), "{answer}");
    let (_, dashboard) = m.cget("/_mock/dashboard/data").await;
    assert_eq!(
        dashboard["webhooks"]["items"][0]["attempts"][0]["answer"],
        answer
    );
}

#[tokio::test]
async fn reformat_json_sends_the_same_value_in_other_bytes_signed_over_them() {
    let (m, rx) = with_receiver("").await;
    let (s, _) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "webhook", "action": {"type": "reformat_json"}}),
        )
        .await;
    assert_eq!(s, 201);
    m.token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let got = &rx.wait_for(1).await[0];
    let sig = got.header("idenfy-signature").unwrap();
    // The raw bytes verify; the same value written back compactly does not.
    assert_eq!(hmac_hex(DEV_SIGNING_KEY, &got.body), sig);
    let value: Value = serde_json::from_slice(&got.body).unwrap();
    let rewritten = serde_json::to_vec(&value).unwrap();
    assert_ne!(rewritten, got.body.to_vec());
    assert_ne!(hmac_hex(DEV_SIGNING_KEY, &rewritten), sig);
    assert_eq!(value["final"], true);
}

//! What a result carries beyond its status: a document-only session
//! (`tokenType: DOCUMENT`) has no selfie, and the canned document agrees
//! with the result (an approved document has not expired, a name mismatch
//! reads a different name).

use crate::helpers::*;
use serde_json::{json, Value};

async fn with_receiver() -> (Mock, Receiver) {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    (m, rx)
}

/// The webhook about `scan_ref` the receiver got `nth` (0 = first).
async fn webhook_of(rx: &Receiver, scan_ref: &Value, nth: usize) -> Value {
    eventually("the webhook", || {
        rx.received()
            .iter()
            .map(Received::json)
            .filter(|w| &w["scanRef"] == scan_ref)
            .nth(nth)
    })
    .await
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// Fraud tags about the selfie: never sent without one.
const SELFIE_TAGS: &[&str] = &[
    "FACE_IN_BLACKLIST",
    "FACE_BLACKLISTED",
    "DUPLICATE_FACE",
    "FACE_SUSPECTED",
];

/// A result without a selfie: no face check, no FACE image, no selfie tag,
/// in the webhook and in `/api/v2/full`, `/files`.
async fn assert_no_selfie(m: &Mock, hook: &Value) {
    let what = hook.to_string();
    assert_eq!(hook["status"]["autoFace"], "FACE_NOT_CHECKED", "{what}");
    assert_eq!(hook["status"]["manualFace"], "FACE_NOT_CHECKED", "{what}");
    assert_eq!(keys(&hook["fileUrls"]), ["BACK", "FRONT"], "{what}");
    for tag in hook["status"]["fraudTags"].as_array().unwrap() {
        assert!(!SELFIE_TAGS.contains(&tag.as_str().unwrap()), "{what}");
    }
    let sr = json!({"scanRef": hook["scanRef"]});
    let (_, full) = m.post("/api/v2/full", DEV, sr.clone()).await;
    assert_eq!(full["status"], hook["status"]);
    assert_eq!(keys(&full["fileUrls"]), ["BACK", "FRONT"]);
    let (_, files) = m.post("/api/v2/files", DEV, sr).await;
    assert_eq!(keys(&files), ["BACK", "FRONT"]);
    // The selfie's URL, made from a signed one, opens nothing.
    let front = files["FRONT"].as_str().unwrap();
    assert_eq!(m.http.get(front).send().await.unwrap().status(), 200);
    let face = front.replace("front.png", "face.png");
    assert_eq!(m.http.get(&face).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_document_token_has_no_selfie_in_its_dummy_results() {
    let (m, rx) = with_receiver().await;
    for (dummy, document) in [
        ("APPROVED", "DOC_VALIDATED"),
        // The canned DENIED fails on the face: without one, the document carries it.
        ("DENIED", "DOC_FACE_NOT_FOUND"),
        ("SUSPECTED", "DOC_VALIDATED"),
    ] {
        let t = m
            .token(
                DEV,
                json!({"clientId": "c", "tokenType": "DOCUMENT", "dummyStatus": dummy}),
            )
            .await;
        let hook = webhook_of(&rx, &t["scanRef"], 0).await;
        assert_eq!(hook["status"]["overall"], dummy, "{hook}");
        assert_eq!(hook["status"]["autoDocument"], document, "{hook}");
        assert_no_selfie(&m, &hook).await;
        let (_, data) = m
            .post("/api/v2/data", DEV, json!({"scanRef": t["scanRef"]}))
            .await;
        assert_eq!(data["docFirstName"], hook["data"]["docFirstName"]);
    }
    // An identification token keeps its selfie.
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let hook = webhook_of(&rx, &t["scanRef"], 0).await;
    assert_eq!(keys(&hook["fileUrls"]), ["BACK", "FACE", "FRONT"]);
    assert_eq!(hook["status"]["autoFace"], "FACE_MATCH");
}

#[tokio::test]
async fn a_document_token_finished_on_the_page_or_reviewed_has_no_selfie() {
    let (m, rx) = with_receiver().await;
    let document_token = || m.token(DEV, json!({"clientId": "c", "tokenType": "DOCUMENT"}));
    // The page's own form: approve.
    let t = document_token().await;
    let page = m
        .get(&format!(
            "/ui/?authToken={}",
            t["authToken"].as_str().unwrap()
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("DOCUMENT") && !page.contains("id=\"deny-face\""));
    let resp = m
        .http
        .post(m.url("/ui/finish"))
        .header("Accept", "application/json")
        .form(&[
            ("authToken", t["authToken"].as_str().unwrap()),
            ("outcome", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let hook = webhook_of(&rx, &t["scanRef"], 0).await;
    assert_eq!(hook["status"]["overall"], "APPROVED");
    assert_no_selfie(&m, &hook).await;
    // The control API's finish, with a face failure and a selfie tag.
    for (outcome, overall, document, tags) in [
        (
            json!({"outcome": "deny", "face": "FACE_MISMATCH", "lastAttempt": true}),
            "DENIED",
            "DOC_FACE_NOT_FOUND",
            json!([]),
        ),
        (
            json!({"outcome": "deny", "face": "FACE_MATCH", "document": "DOC_EXPIRED",
                "lastAttempt": true}),
            "DENIED",
            "DOC_EXPIRED",
            json!([]),
        ),
        (
            json!({"outcome": "suspect", "tag": "DUPLICATE_FACE"}),
            "SUSPECTED",
            "DOC_VALIDATED",
            json!(["DUPLICATE_DOC_FACE"]),
        ),
    ] {
        let t = document_token().await;
        let sr = t["scanRef"].as_str().unwrap();
        let (s, body) = m
            .cpost(&format!("/_mock/verifications/{sr}/finish"), outcome)
            .await;
        assert_eq!(s, 200, "{body}");
        let hook = webhook_of(&rx, &t["scanRef"], 0).await;
        assert_eq!(hook["status"]["overall"], overall, "{hook}");
        assert_eq!(hook["status"]["autoDocument"], document, "{hook}");
        assert_eq!(hook["status"]["fraudTags"], tags, "{hook}");
        assert_no_selfie(&m, &hook).await;
    }
    // A manual result (add-dummy-status): the face sent is not checked, the
    // document decides.
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "tokenType": "DOCUMENT", "dummyStatus": "DENIED"}),
        )
        .await;
    webhook_of(&rx, &t["scanRef"], 0).await;
    let (s, _) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": t["scanRef"], "manualFaceMatchResult": "FACE_MISMATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!(s, 200);
    let manual = webhook_of(&rx, &t["scanRef"], 1).await;
    assert_eq!(manual["status"]["overall"], "DENIED", "{manual}");
    assert_eq!(manual["status"]["manualDocument"], "DOC_FACE_NOT_FOUND");
    assert_no_selfie(&m, &manual).await;
    let (s, _) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": t["scanRef"], "manualFaceMatchResult": "FACE_MATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!(s, 200);
    let manual = webhook_of(&rx, &t["scanRef"], 2).await;
    assert_eq!(manual["status"]["overall"], "APPROVED", "{manual}");
    assert_no_selfie(&m, &manual).await;
}

/// Today on the mock's clock, `YYYY-MM-DD`.
async fn today(m: &Mock) -> String {
    let (_, clock) = m.cget("/_mock/clock").await;
    let secs = clock["now"].as_i64().unwrap();
    // Days to a civil date (the same arithmetic every date library does).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[tokio::test]
async fn an_approved_dummys_document_has_not_expired_on_the_mocks_clock() {
    let (m, rx) = with_receiver().await;
    // Now, and with the clock moved past the seed example's 2030-12-20.
    for advance in [0, 6 * 365 * 86_400] {
        let (s, _) = m
            .cpost("/_mock/clock/advance", json!({"seconds": advance}))
            .await;
        assert_eq!(s, 200);
        let t = m
            .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
            .await;
        let hook = webhook_of(&rx, &t["scanRef"], 0).await;
        let today = today(&m).await;
        let expiry = hook["data"]["docExpiry"].as_str().unwrap();
        let issue = hook["data"]["docDateOfIssue"].as_str().unwrap();
        assert!(expiry > today.as_str(), "expires {expiry}, today {today}");
        assert!(issue < today.as_str(), "issued {issue}, today {today}");
        let (_, data) = m
            .post("/api/v2/data", DEV, json!({"scanRef": t["scanRef"]}))
            .await;
        assert_eq!(data["docExpiry"], expiry);
    }
}

#[tokio::test]
async fn a_suspected_name_mismatch_reads_another_name_from_the_document() {
    let (m, rx) = with_receiver().await;
    // The canned SUSPECTED result's tag is NAME.
    for (sent, first, last) in [
        (
            json!({"firstName": "John Tom", "lastName": "Smith"}),
            "JOHN TOM",
            "SMITH",
        ),
        (json!({}), "JOHN", "DOE"),
    ] {
        let mut body = json!({"clientId": "c", "dummyStatus": "SUSPECTED"});
        for (k, v) in sent.as_object().unwrap() {
            body[k] = v.clone();
        }
        let t = m.token(DEV, body).await;
        let hook = webhook_of(&rx, &t["scanRef"], 0).await;
        assert_eq!(hook["status"]["mismatchTags"], json!(["NAME"]));
        let data = &hook["data"];
        let doc_first = data["docFirstName"].as_str().unwrap();
        assert_ne!(doc_first, first, "{data}");
        assert!(!doc_first.is_empty());
        // NAME is the first name: the surname matches.
        assert_eq!(data["docLastName"], last, "{data}");
        assert_eq!(data["fullName"], format!("{doc_first} {last}"));
        let (_, read) = m
            .post("/api/v2/data", DEV, json!({"scanRef": t["scanRef"]}))
            .await;
        assert_eq!(read["docFirstName"], doc_first);
    }
    // An approved one reads the names as sent.
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "firstName": "John", "lastName": "Smith", "dummyStatus": "APPROVED"}),
        )
        .await;
    let hook = webhook_of(&rx, &t["scanRef"], 0).await;
    assert_eq!(
        (&hook["data"]["docFirstName"], &hook["data"]["docLastName"]),
        (&json!("JOHN"), &json!("SMITH"))
    );
}

//! The served OpenAPI 3.1 documents describe what the server really answers:
//! real responses are validated against the schema documented for their path,
//! method and status.

use crate::helpers::*;
use serde_json::{json, Value};

/// `~` and `/` escaped for a JSON pointer segment.
fn segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[track_caller]
fn assert_valid(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let pointer = format!(
        "/paths/{}/{method}/responses/{status}/content/application~1json/schema",
        segment(path)
    );
    assert!(
        doc.pointer(&pointer).is_some(),
        "{method} {path} documents {status}"
    );
    // The document is the root resource, so its #/components refs resolve.
    let mut root = doc.clone();
    let uri_fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = json!(format!("#{uri_fragment}"));
    let validator = jsonschema::validator_for(&root).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:#?}\nbody: {body}"
    );
}

#[tokio::test]
async fn both_documents_are_openapi_3_1() {
    let m = Mock::plain().await;
    for doc in ["/_mock/openapi/idenfy.json", "/_mock/openapi/control.json"] {
        let (s, d) = m.cget(doc).await;
        assert_eq!(s, 200);
        assert_eq!(d["openapi"], "3.1.0");
        assert!(d["paths"].as_object().unwrap().len() >= 7, "{doc}");
    }
}

#[tokio::test]
async fn idenfy_api_responses_validate_against_the_served_document() {
    let m = Mock::plain().await;
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;

    let full = json!({"clientId": "c", "firstName": "Ann", "lastName": "Lee", "sex": "F",
        "country": "lt", "documents": ["PASSPORT"], "generateDigitString": true,
        "additionalSteps": {"ALL": {}}, "additionalData": {}, "dummyStatus": "SUSPECTED"});
    let (s, token) = m.post("/api/v2/token", DEV, full).await;
    assert_valid(&doc, "/api/v2/token", "post", s.as_u16(), &token);
    let (s, plain) = m
        .post("/api/v2/token", DEV, json!({"clientId": "plain"}))
        .await;
    assert_valid(&doc, "/api/v2/token", "post", s.as_u16(), &plain);

    let sr = json!({"scanRef": token["scanRef"]});
    for (path, body) in [
        ("/api/v2/status", &sr),
        ("/api/v2/data", &sr),
        ("/api/v2/files", &sr),
        ("/api/v2/full", &sr),
        ("/api/v2/generate-pdf", &sr),
    ] {
        let (s, answer) = m.post(path, DEV, body.clone()).await;
        assert_valid(&doc, path, "post", s.as_u16(), &answer);
    }
    let active = json!({"scanRef": plain["scanRef"]});
    for path in [
        "/api/v2/status",
        "/api/v2/data",
        "/api/v2/files",
        "/api/v2/full",
        "/api/v2/generate-pdf",
    ] {
        let (s, answer) = m.post(path, DEV, active.clone()).await;
        assert_valid(&doc, path, "post", s.as_u16(), &answer);
    }
    // An expired verification whose data was deleted.
    let expired = m
        .token(DEV, json!({"clientId": "e", "dummyStatus": "EXPIRED"}))
        .await;
    let sr = json!({"scanRef": expired["scanRef"]});
    m.post("/api/v2/delete", DEV, sr.clone()).await;
    for path in ["/api/v2/status", "/api/v2/full"] {
        let (s, answer) = m.post(path, DEV, sr.clone()).await;
        assert_valid(&doc, path, "post", s.as_u16(), &answer);
    }
    // Errors: the four-key envelope under each documented status.
    let cases = [
        m.post(
            "/api/v2/token",
            ("dev-key", "wrong"),
            json!({"clientId": "c"}),
        )
        .await,
        m.post("/api/v2/token", DEV, json!({"clientId": 1})).await,
        m.post("/api/v2/token", BROKE, json!({"clientId": "c"}))
            .await,
        m.post(
            "/api/v2/token",
            TEST,
            json!({"clientId": "c", "dummyStatus": "DENIED"}),
        )
        .await,
    ];
    for (s, body) in cases {
        assert_valid(&doc, "/api/v2/token", "post", s.as_u16(), &body);
    }
    let (s, body) = m
        .post("/api/v2/status", DEV, json!({"scanRef": "nope"}))
        .await;
    assert_valid(&doc, "/api/v2/status", "post", s.as_u16(), &body);
    let (s, body) = m
        .post_raw("/api/v2/data", Some(DEV), Some("text/plain"), b"x".to_vec())
        .await;
    assert_valid(&doc, "/api/v2/data", "post", s.as_u16(), &body);
    for (path, body) in [
        ("/api/v2/full", json!({"scanRef": "nope"})),
        ("/api/v2/generate-pdf", json!({"scanRef": "nope"})),
        (
            "/api/v2/generate-pdf",
            json!({"scanRef": token["scanRef"], "language": "xx"}),
        ),
    ] {
        let (s, answer) = m.post(path, DEV, body).await;
        assert_valid(&doc, path, "post", s.as_u16(), &answer);
    }
}

#[tokio::test]
async fn control_api_responses_validate_against_the_served_document() {
    let m = Mock::plain().await;
    let (_, doc) = m.cget("/_mock/openapi/control.json").await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let sr = t["scanRef"].as_str().unwrap();
    let active = m.token(DEV, json!({"clientId": "a"})).await;
    for path in [
        "/_mock/health",
        "/_mock/verifications",
        "/_mock/webhooks",
        "/_mock/clock",
        "/_mock/faults",
        "/_mock/scenarios",
        "/_mock/snapshot",
        "/_mock/inbox",
    ] {
        let (s, body) = m.cget(path).await;
        assert_valid(&doc, path, "get", s.as_u16(), &body);
    }
    // A known verification (200) and an unknown one (404).
    for id in [sr.to_string(), "unknown".to_string()] {
        let (s, body) = m.cget(&format!("/_mock/verifications/{id}")).await;
        let path = "/_mock/verifications/{scan_ref}";
        assert_valid(&doc, path, "get", s.as_u16(), &body);
    }
    let (s, body) = m.cget("/_mock/webhooks/1").await;
    assert_valid(&doc, "/_mock/webhooks/{id}", "get", s.as_u16(), &body);
    let (s, body) = m
        .cget("/_mock/webhooks/wait?state=any&timeoutMs=1000")
        .await;
    assert_valid(&doc, "/_mock/webhooks/wait", "get", s.as_u16(), &body);
    let (s, body) = m.cget("/_mock/webhooks/wait?timeoutMs=10").await;
    assert_valid(&doc, "/_mock/webhooks/wait", "get", s.as_u16(), &body);
    let (s, body) = m
        .cpost(
            &format!(
                "/_mock/verifications/{}/finish",
                active["scanRef"].as_str().unwrap()
            ),
            json!({"outcome": "suspect"}),
        )
        .await;
    assert_valid(
        &doc,
        "/_mock/verifications/{scan_ref}/finish",
        "post",
        s.as_u16(),
        &body,
    );
    let (s, body) = m.cpost("/_mock/webhooks/1/replay", json!({})).await;
    assert_valid(
        &doc,
        "/_mock/webhooks/{id}/replay",
        "post",
        s.as_u16(),
        &body,
    );
    let (s, body) = m.cpost("/_mock/clock/advance", json!({"seconds": 5})).await;
    assert_valid(&doc, "/_mock/clock/advance", "post", s.as_u16(), &body);
    let (s, body) = m
        .cpost("/_mock/faults", json!({"target": "webhook", "event": "IDENTIFICATION_EXPIRED", "action": {"type": "delay", "ms": 5}}))
        .await;
    assert_valid(&doc, "/_mock/faults", "post", s.as_u16(), &body);
    let (s, body) = m
        .cpost(
            "/_mock/faults",
            json!({"target": "api", "action": {"type": "reorder"}}),
        )
        .await;
    assert_valid(&doc, "/_mock/faults", "post", s.as_u16(), &body);
    let (s, body) = m.cpost("/_mock/inbox/docs", json!({"a": 1})).await;
    assert_valid(&doc, "/_mock/inbox/{name}", "post", s.as_u16(), &body);
    let (s, body) = m.cget("/_mock/inbox/docs").await;
    assert_valid(&doc, "/_mock/inbox/{name}", "get", s.as_u16(), &body);
    let (_, snap) = m.cget("/_mock/snapshot").await;
    let (s, body) = m.cpost("/_mock/snapshot", snap).await;
    assert_valid(&doc, "/_mock/snapshot", "post", s.as_u16(), &body);
    let (s, body) = m.cpost("/_mock/reset", json!({"partner": "dev-key"})).await;
    assert_valid(&doc, "/_mock/reset", "post", s.as_u16(), &body);
}

#[tokio::test]
async fn the_validation_catches_a_wrong_type() {
    let m = Mock::plain().await;
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;
    let (_, mut token) = m.post("/api/v2/token", DEV, json!({"clientId": "c"})).await;
    token["expiryTime"] = json!("3600");
    let outcome =
        std::panic::catch_unwind(|| assert_valid(&doc, "/api/v2/token", "post", 201, &token));
    assert!(outcome.is_err(), "a string expiryTime must not validate");
}

#[tokio::test]
async fn aml_blocks_document_only_results_and_unverified_answers_validate() {
    let setup = Setup::toml(
        "listen = '127.0.0.1:0'\n[[partners]]\napi_key = 'dev-key'\n\
         api_secret = 'dev-secret'\naml_screening = true\n",
    );
    let m = Mock::start(setup).await;
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;
    for body in [
        json!({"clientId": "c", "dummyStatus": "APPROVED", "firstName": "Manfred", "lastName": "Weber"}),
        json!({"clientId": "c", "dummyStatus": "APPROVED", "firstName": "GoPayments"}),
        json!({"clientId": "c", "dummyStatus": "DENIED", "firstName": "Cliff", "lastName": "Hazard"}),
        json!({"clientId": "c", "dummyStatus": "APPROVED", "firstName": "Ann"}),
        json!({"clientId": "c", "dummyStatus": "DENIED", "tokenType": "DOCUMENT"}),
    ] {
        let t = m.token(DEV, body).await;
        let sr = json!({"scanRef": t["scanRef"]});
        for path in [
            "/api/v2/full",
            "/api/v2/files",
            "/api/v2/data",
            "/api/v2/status",
        ] {
            let (s, answer) = m.post(path, DEV, sr.clone()).await;
            assert_valid(&doc, path, "post", s.as_u16(), &answer);
        }
    }
    let (_, control) = m.cget("/_mock/openapi/control.json").await;
    let t = m.token(DEV, json!({"clientId": "c"})).await;
    let path = "/_mock/verifications/{scan_ref}/finish";
    let (s, body) = m
        .cpost(
            &format!(
                "/_mock/verifications/{}/finish",
                t["scanRef"].as_str().unwrap()
            ),
            json!({"outcome": "unverified"}),
        )
        .await;
    assert_eq!(body["message"]["manualStatus"], Value::Null, "{body}");
    assert_valid(&control, path, "post", s.as_u16(), &body);
}

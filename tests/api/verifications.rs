//! The status each dummyStatus reaches, add-dummy-status outcomes, the read
//! endpoints, delete rules and partner isolation.

use crate::helpers::*;
use serde_json::{json, Value};

async fn status(m: &Mock, auth: (&str, &str), scan_ref: &str) -> Value {
    let (s, body) = m
        .post("/api/v2/status", auth, json!({"scanRef": scan_ref}))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

async fn dummy(m: &Mock, dummy_status: &str) -> String {
    let r = m
        .token(DEV, json!({"clientId": "c", "firstName": "Ann", "lastName": "Lee", "dummyStatus": dummy_status}))
        .await;
    r["scanRef"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_dummy_status_reaches_its_state() {
    let m = Mock::plain().await;
    let cases = [
        (
            "APPROVED",
            json!({"status": "APPROVED", "autoFace": "FACE_MATCH", "autoDocument": "DOC_VALIDATED",
            "manualFace": "FACE_MATCH", "manualDocument": "DOC_VALIDATED", "fraudTags": [], "mismatchTags": []}),
        ),
        (
            "DENIED",
            json!({"status": "DENIED", "autoFace": "FACE_MISMATCH", "autoDocument": "DOC_VALIDATED",
            "manualFace": "FACE_MISMATCH", "manualDocument": "DOC_VALIDATED", "fraudTags": [], "mismatchTags": []}),
        ),
        (
            "SUSPECTED",
            json!({"status": "SUSPECTED", "autoFace": "FACE_MATCH", "autoDocument": "DOC_VALIDATED",
            "manualFace": "FACE_MATCH", "manualDocument": "DOC_VALIDATED", "fraudTags": [], "mismatchTags": ["NAME"]}),
        ),
        (
            "EXPIRED",
            json!({"status": "EXPIRED", "autoFace": null, "autoDocument": null,
            "manualFace": null, "manualDocument": null, "fraudTags": [], "mismatchTags": []}),
        ),
        (
            "ACTIVE",
            json!({"status": "ACTIVE", "autoFace": null, "autoDocument": null,
            "manualFace": null, "manualDocument": null, "fraudTags": [], "mismatchTags": []}),
        ),
    ];
    for (dummy_status, mut expected) in cases {
        let scan_ref = dummy(&m, dummy_status).await;
        expected["scanRef"] = json!(scan_ref);
        expected["clientId"] = json!("c");
        assert_eq!(status(&m, DEV, &scan_ref).await, expected, "{dummy_status}");
    }
}

#[tokio::test]
async fn without_manual_simulation_results_wait_for_review_with_null_manual_results() {
    let m = Mock::start(config("", "[dummy]\nsimulate_manual_review = false")).await;
    let scan_ref = dummy(&m, "APPROVED").await;
    let s = status(&m, DEV, &scan_ref).await;
    assert_eq!(s["status"], "REVIEWING");
    assert_eq!(s["autoFace"], "FACE_MATCH");
    assert!(s["manualFace"].is_null() && s["manualDocument"].is_null());
}

#[tokio::test]
async fn canned_results_are_configurable() {
    let extra = "[dummy.results.DENIED]\nauto_face = 'FACE_MATCH'\nauto_document = 'DOC_EXPIRED'";
    let m = Mock::start(config("", extra)).await;
    let s = status(&m, DEV, &dummy(&m, "DENIED").await).await;
    assert_eq!(s["status"], "DENIED");
    assert_eq!(s["autoDocument"], "DOC_EXPIRED");
}

fn review(face: &str, doc: &str, scan_ref: &str) -> Value {
    json!({"scanRef": scan_ref, "manualFaceMatchResult": face, "manualDocumentValidity": doc})
}

#[tokio::test]
async fn a_reviewer_approving_a_suspected_result_clears_its_tags() {
    let m = Mock::plain().await;
    let scan_ref = dummy(&m, "SUSPECTED").await;
    let (s, body) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            review("FACE_MATCH", "DOC_VALIDATED", &scan_ref),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body),
        (200, Value::Null),
        "200 with an empty body"
    );
    let st = status(&m, DEV, &scan_ref).await;
    assert_eq!(st["status"], "APPROVED");
    assert_eq!(st["mismatchTags"], json!([]));
    assert_eq!(st["autoFace"], "FACE_MATCH");
}

#[tokio::test]
async fn any_review_but_face_match_and_doc_validated_denies() {
    let m = Mock::plain().await;
    let scan_ref = dummy(&m, "SUSPECTED").await;
    for (face, doc) in [
        ("FACE_MISMATCH", "DOC_VALIDATED"),
        ("FACE_MATCH", "DOC_FAKE"),
        ("NO_FACE_FOUND", "MRZ_NOT_FOUND"),
    ] {
        let (s, _) = m
            .post(
                "/api/v2/add-dummy-status",
                DEV,
                review(face, doc, &scan_ref),
            )
            .await;
        assert_eq!(s, 200);
        let st = status(&m, DEV, &scan_ref).await;
        assert_eq!(st["status"], "DENIED", "{face} {doc}");
        assert_eq!(st["manualFace"], face);
        assert_eq!(st["manualDocument"], doc);
    }
}

#[tokio::test]
async fn on_a_token_without_a_result_the_review_alone_decides() {
    let m = Mock::plain().await;
    let fresh = m.token(DEV, json!({"clientId": "c"})).await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            review("FACE_MATCH", "DOC_VALIDATED", &fresh),
        )
        .await;
    assert_eq!(s, 200);
    let st = status(&m, DEV, &fresh).await;
    assert_eq!(st["status"], "APPROVED");
    assert!(st["autoFace"].is_null());
}

#[tokio::test]
async fn a_bad_review_value_names_its_field() {
    let m = Mock::plain().await;
    let fresh = m.token(DEV, json!({"clientId": "c"})).await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            review("MATCH", "DOC_VALIDATED", &fresh),
        )
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "'manualFaceMatchResult' must be one of",
    );
    let got = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            review("FACE_MATCH", "VALID", &fresh),
        )
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "'manualDocumentValidity' must be one of",
    );
}

#[tokio::test]
async fn data_and_files_follow_the_result() {
    let m = Mock::plain().await;
    let active = m.token(DEV, json!({"clientId": "c"})).await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, data) = m
        .post("/api/v2/data", DEV, json!({"scanRef": active}))
        .await;
    assert_eq!(data["scanRef"], json!(active));
    assert_eq!(data["clientId"], "c");
    assert!(data["docFirstName"].is_null() && data["fullName"].is_null());
    let (_, files) = m
        .post("/api/v2/files", DEV, json!({"scanRef": active}))
        .await;
    assert_eq!(files, json!({}));

    let approved = dummy(&m, "APPROVED").await;
    let (_, data) = m
        .post("/api/v2/data", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!(data["docFirstName"], "ANN");
    assert_eq!(data["docLastName"], "LEE");
    assert_eq!(data["fullName"], "ANN LEE");
    assert_eq!(data["docType"], "ID_CARD");
    assert!(data["duplicateFaces"].is_null());
    let (_, files) = m
        .post("/api/v2/files", DEV, json!({"scanRef": approved}))
        .await;
    let files = files.as_object().unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["BACK", "FACE", "FRONT"]);
    for url in files.values() {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&m.server.uri()), "{url}");
        let resp = m.http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "image/png");
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // The signature is the only secret: a changed one, or a changed
        // expiry, finds nothing.
        let (head, name) = url.rsplit_once('/').unwrap();
        let (head, sig) = head.rsplit_once('/').unwrap();
        let (head, expires) = head.rsplit_once('/').unwrap();
        let forged = format!("{head}/{expires}/{}/{name}", "0".repeat(sig.len()));
        assert_eq!(m.http.get(&forged).send().await.unwrap().status(), 404);
        let later: i64 = expires.parse::<i64>().unwrap() + 86_400;
        let extended = format!("{head}/{later}/{sig}/{name}");
        assert_eq!(m.http.get(&extended).send().await.unwrap().status(), 404);
    }
    // An hour after they were issued (on the mock's clock) they answer 403;
    // /files issues fresh ones.
    let (s, _) = m
        .cpost("/_mock/clock/advance", json!({"seconds": 3601}))
        .await;
    assert_eq!(s, 200);
    let old = files["FRONT"].as_str().unwrap();
    let got = parse(m.http.get(old).send().await.unwrap()).await;
    assert_error(&got, 403, "FORBIDDEN", "expired");
    let (_, fresh) = m
        .post("/api/v2/files", DEV, json!({"scanRef": approved}))
        .await;
    let fresh = fresh["FRONT"].as_str().unwrap();
    assert_ne!(fresh, old);
    assert_eq!(m.http.get(fresh).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn delete_rules() {
    let m = Mock::plain().await;
    let active = m.token(DEV, json!({"clientId": "c"})).await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = m
        .post("/api/v2/delete", DEV, json!({"scanRef": active}))
        .await;
    assert_error(&got, 400, "PARTNER_ERROR", "Token has not expired yet.");

    let approved = dummy(&m, "APPROVED").await;
    let (s, body) = m
        .post("/api/v2/delete", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!((s.as_u16(), body), (200, Value::Null));
    assert_eq!(status(&m, DEV, &approved).await["status"], "DELETED");
    let (_, data) = m
        .post("/api/v2/data", DEV, json!({"scanRef": approved}))
        .await;
    assert!(
        data["docFirstName"].is_null(),
        "personal data is gone: {data}"
    );
    let (_, files) = m
        .post("/api/v2/files", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!(files, json!({}));
    // Deleting again is harmless; a manual review of deleted data is refused.
    let (s, _) = m
        .post("/api/v2/delete", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!(s, 200);
    let got = m
        .post("/api/v2/add-dummy-status", DEV,
            json!({"scanRef": approved, "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}))
        .await;
    assert_error(&got, 400, "BAD_VALUE", "'scanRef'");

    let expired = dummy(&m, "EXPIRED").await;
    m.post("/api/v2/delete", DEV, json!({"scanRef": expired}))
        .await;
    assert_eq!(status(&m, DEV, &expired).await["status"], "EXPIRED-DELETED");
}

/// `/api/v2/full` answers only statuses of iDenfy's OpenAPI
/// `IdentificationStatusEnum`: an expired verification whose data was
/// deleted is `DELETED` there, while `/api/v2/status` keeps the prose's
/// `EXPIRED-DELETED`.
#[tokio::test]
async fn full_of_an_expired_deleted_verification_is_deleted() {
    let m = Mock::plain().await;
    let expired = dummy(&m, "EXPIRED").await;
    let (_, before) = m
        .post("/api/v2/full", DEV, json!({"scanRef": expired}))
        .await;
    assert_eq!(before["status"]["overall"], "EXPIRED", "{before}");
    let (s, _) = m
        .post("/api/v2/delete", DEV, json!({"scanRef": expired}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(status(&m, DEV, &expired).await["status"], "EXPIRED-DELETED");
    let (s, full) = m
        .post("/api/v2/full", DEV, json!({"scanRef": expired}))
        .await;
    assert_eq!(s, 200, "{full}");
    assert_eq!(full["status"]["overall"], "DELETED", "{full}");
    assert_eq!(full["final"], false);
    assert_eq!(full["scanRef"], expired.as_str());
    assert!(full["data"]["docFirstName"].is_null(), "{full}");
    assert_eq!(full["fileUrls"], json!({}));
    // A deleted result is DELETED everywhere, as before.
    let approved = dummy(&m, "APPROVED").await;
    m.post("/api/v2/delete", DEV, json!({"scanRef": approved}))
        .await;
    let (_, full) = m
        .post("/api/v2/full", DEV, json!({"scanRef": approved}))
        .await;
    assert_eq!(full["status"]["overall"], "DELETED", "{full}");
    // The document says so: EXPIRED-DELETED is not among /full's values.
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;
    let overall = &doc["components"]["schemas"]["StatusBlock"]["properties"]["overall"];
    let values = overall["enum"].as_array().expect("an enum of statuses");
    assert!(values.contains(&json!("DELETED")), "{overall}");
    assert!(!values.contains(&json!("EXPIRED-DELETED")), "{overall}");
}

#[tokio::test]
async fn partners_see_only_their_own_verifications() {
    let m = Mock::plain().await;
    let mine = dummy(&m, "APPROVED").await;
    let unknown = m
        .post(
            "/api/v2/status",
            DEV2,
            json!({"scanRef": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    for path in [
        "/api/v2/status",
        "/api/v2/data",
        "/api/v2/files",
        "/api/v2/delete",
    ] {
        let got = m.post(path, DEV2, json!({"scanRef": mine})).await;
        assert_error(&got, 404, "NOT_FOUND", &mine);
        assert_eq!(got.0, unknown.0);
    }
    let got = m
        .post("/api/v2/add-dummy-status", DEV2,
            json!({"scanRef": mine, "manualFaceMatchResult": "FACE_MISMATCH", "manualDocumentValidity": "DOC_VALIDATED"}))
        .await;
    assert_error(&got, 404, "NOT_FOUND", &mine);
    // Untouched for its owner.
    assert_eq!(status(&m, DEV, &mine).await["status"], "APPROVED");
}

/// Every face and document result, and every fraud and mismatch tag, the
/// scenario catalogue lists (the documented values and the OpenAPI
/// additions) is accepted: results by add-dummy-status, tags by finishing a
/// session on the control API; each shows in /api/v2/status.
#[tokio::test]
async fn the_whole_vocabulary_is_accepted_and_produced() {
    let m = Mock::plain().await;
    let (code, catalogue) = m.cget("/_mock/scenarios").await;
    assert_eq!(code, 200);
    let words = |key: &str| -> Vec<String> {
        catalogue[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (faces, docs) = (words("manualFaceResults"), words("manualDocumentResults"));
    assert!(
        faces.iter().any(|f| f == "FACE_GLARED"),
        "FACE_GLARED listed"
    );
    for new in [
        "DOC_GLARED",
        "MRZ_INVALID",
        "NFC_TIMEOUT",
        "DOC_SPOOF_DETECTED",
    ] {
        assert!(docs.iter().any(|d| d == new), "{new} listed");
    }
    let scan_ref = dummy(&m, "APPROVED").await;
    for (face, doc) in faces.iter().zip(docs.iter().cycle()).chain(
        docs.iter()
            .map(|d| (&faces[0], d))
            .collect::<Vec<_>>()
            .into_iter(),
    ) {
        let (code, body) = m
            .post(
                "/api/v2/add-dummy-status",
                DEV,
                json!({"scanRef": scan_ref, "manualFaceMatchResult": face, "manualDocumentValidity": doc}),
            )
            .await;
        assert_eq!(code, 200, "{face} {doc}: {body}");
        let s = status(&m, DEV, &scan_ref).await;
        assert_eq!(
            (&s["manualFace"], &s["manualDocument"]),
            (&json!(face), &json!(doc))
        );
    }
    let (fraud, mismatch) = (words("fraudTags"), words("mismatchTags"));
    assert!(fraud.iter().any(|t| t == "SANCTIONS_FAILED"));
    assert!(mismatch.iter().any(|t| t == "POA_SCREENSHOT_DETECTED"));
    for (tag, list) in fraud
        .iter()
        .map(|t| (t, "fraudTags"))
        .chain(mismatch.iter().map(|t| (t, "mismatchTags")))
    {
        let t = m.token(DEV, json!({"clientId": "c"})).await;
        let path = format!(
            "/_mock/verifications/{}/finish",
            t["scanRef"].as_str().unwrap()
        );
        let (code, body) = m
            .cpost(&path, json!({"outcome": "suspect", "tag": tag}))
            .await;
        assert!(code.is_success(), "{tag}: {code} {body}");
        let s = status(&m, DEV, t["scanRef"].as_str().unwrap()).await;
        assert_eq!(s["status"], "SUSPECTED", "{tag}");
        assert_eq!(s[list], json!([tag]), "{tag}");
    }
}

/// iDenfy tells integrators to expect new tags, so the control API takes any
/// upper-case word as a tag (a fraud tag when it is not a known one).
#[tokio::test]
async fn the_control_api_accepts_any_upper_case_tag() {
    let m = Mock::plain().await;
    let t = m.token(DEV, json!({"clientId": "c"})).await;
    let path = format!(
        "/_mock/verifications/{}/finish",
        t["scanRef"].as_str().unwrap()
    );
    let (code, body) = m
        .cpost(&path, json!({"outcome": "suspect", "tag": "not-upper"}))
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(body.to_string().contains("tag"), "{body}");
    let (code, body) = m
        .cpost(&path, json!({"outcome": "suspect", "tag": "BRAND_NEW_TAG"}))
        .await;
    assert!(code.is_success(), "{code} {body}");
    let s = status(&m, DEV, t["scanRef"].as_str().unwrap()).await;
    assert_eq!(s["status"], "SUSPECTED");
    assert_eq!(s["fraudTags"], json!(["BRAND_NEW_TAG"]));
    assert_eq!(s["mismatchTags"], json!([]));
}

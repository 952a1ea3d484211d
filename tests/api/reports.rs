//! `/api/v2/full` (the webhook-shaped result, `final` false) and
//! `/api/v2/generate-pdf` (a base64 PDF report that parses), over HTTP.

use crate::helpers::*;
use base64::Engine as _;
use serde_json::{json, Value};

async fn dummy(m: &Mock, body: Value) -> String {
    let r = m.token(DEV, body).await;
    r["scanRef"].as_str().unwrap().to_owned()
}

/// The decoded PDF of a 200 answer, checked for its header and trailer.
fn pdf_of(got: &(reqwest::StatusCode, Value)) -> Vec<u8> {
    assert_eq!(got.0, 200, "{}", got.1);
    let text = got.1.as_str().expect("a JSON string of base64");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64");
    assert!(pdf.starts_with(b"%PDF-"), "PDF header");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(32)..]).into_owned();
    assert!(tail.trim_end().ends_with("%%EOF"), "PDF trailer: {tail:?}");
    assert!(pdf.len() < 64 * 1024, "bounded: {} bytes", pdf.len());
    pdf
}

/// The text of the PDF's one page, as a PDF parser reads it.
fn page_text(pdf: &[u8]) -> (lopdf::Document, String) {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    assert_eq!(doc.get_pages().len(), 1, "one page");
    let text = doc.extract_text(&[1]).expect("text extracts");
    (doc, text)
}

fn image_count(doc: &lopdf::Document) -> usize {
    doc.objects
        .values()
        .filter(|o| {
            o.as_stream()
                .ok()
                .and_then(|s| s.dict.get(b"Subtype").ok())
                .and_then(|t| t.as_name().ok())
                == Some(b"Image".as_slice())
        })
        .count()
}

#[tokio::test]
async fn full_is_the_webhook_shape_with_final_false() {
    let m = Mock::plain().await;
    let sr = dummy(
        &m,
        json!({"clientId": "c-full", "firstName": "Ann", "lastName": "Lee", "dummyStatus": "APPROVED"}),
    )
    .await;
    let (s, full) = m.post("/api/v2/full", DEV, json!({"scanRef": sr})).await;
    assert_eq!(s, 200, "{full}");
    assert_eq!(full["final"], false);
    assert_eq!(full["scanRef"], sr.as_str());
    assert_eq!(full["clientId"], "c-full");
    assert_eq!(full["status"]["overall"], "APPROVED");
    assert_eq!(full["status"]["autoFace"], "FACE_MATCH");
    // The same data as /data, the same status as /status.
    let (_, data) = m.post("/api/v2/data", DEV, json!({"scanRef": sr})).await;
    assert_eq!(full["data"]["docFirstName"], data["docFirstName"]);
    assert_eq!(full["data"]["docFirstName"], "ANN");
    for key in [
        "platform",
        "fileUrls",
        "additionalStepPdfUrls",
        "AML",
        "LID",
        "externalRef",
        "startTime",
        "finishTime",
        "clientIpCountry",
    ] {
        assert!(full.get(key).is_some(), "{key} in {full}");
    }
    // Its file URLs are live ones.
    let face = full["fileUrls"]["FACE"].as_str().unwrap();
    let resp = reqwest::get(face).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "image/png"
    );

    // Still ACTIVE: the shape is the same, with nothing found yet.
    let active = dummy(&m, json!({"clientId": "c-active"})).await;
    let (s, full) = m
        .post("/api/v2/full", DEV, json!({"scanRef": active}))
        .await;
    assert_eq!(s, 200, "{full}");
    assert_eq!(full["final"], false);
    assert_eq!(full["status"]["overall"], "ACTIVE");
    assert_eq!(full["fileUrls"], json!({}));
    assert_eq!(full["data"]["docFirstName"], Value::Null);
}

#[tokio::test]
async fn generate_pdf_is_a_real_report() {
    let m = Mock::plain().await;
    let sr = dummy(
        &m,
        json!({"clientId": "client-(pdf)\\x", "firstName": "Jonas", "lastName": "Žemaitis",
            "dummyStatus": "SUSPECTED"}),
    )
    .await;
    let got = m
        .post("/api/v2/generate-pdf", DEV, json!({"scanRef": sr}))
        .await;
    let pdf = pdf_of(&got);
    let (doc, text) = page_text(&pdf);
    for part in [
        sr.as_str(),
        "client-(pdf)\\x",
        "SUSPECTED",
        "FACE_MATCH",
        // The canned SUSPECTED result is a NAME mismatch: the document reads
        // the first name one letter short.
        "JONS",
        "Identity verification report",
        "Times (UTC)",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert_eq!(image_count(&doc), 3, "FRONT, BACK and FACE");

    // Lithuanian labels; no photos when asked not to.
    let got = m
        .post(
            "/api/v2/generate-pdf",
            DEV,
            json!({"scanRef": sr, "language": "lt", "includeMainStepFiles": false,
                "includeAdditionalStepFiles": false}),
        )
        .await;
    let (doc, text) = page_text(&pdf_of(&got));
    assert!(text.contains("Dokumento duomenys"), "{text}");
    assert!(text.contains(sr.as_str()), "{text}");
    assert_eq!(image_count(&doc), 0);

    // An ACTIVE verification has a report too, without data or photos.
    let active = dummy(&m, json!({"clientId": "c-active"})).await;
    let got = m
        .post("/api/v2/generate-pdf", DEV, json!({"scanRef": active}))
        .await;
    let (doc, text) = page_text(&pdf_of(&got));
    assert!(text.contains("ACTIVE"), "{text}");
    assert_eq!(image_count(&doc), 0);
}

#[tokio::test]
async fn generate_pdf_checks_each_field() {
    let m = Mock::plain().await;
    let sr = dummy(&m, json!({"clientId": "c", "dummyStatus": "APPROVED"})).await;
    for (body, field) in [
        (json!({}), "scanRef"),
        (json!({"scanRef": 5}), "scanRef"),
        (json!({"scanRef": sr, "language": "de"}), "language"),
        (
            json!({"scanRef": sr, "includeMainStepFiles": "no"}),
            "includeMainStepFiles",
        ),
        (
            json!({"scanRef": sr, "includeAdditionalStepFiles": 1}),
            "includeAdditionalStepFiles",
        ),
    ] {
        let got = m.post("/api/v2/generate-pdf", DEV, body.clone()).await;
        assert_eq!(got.0, 400, "{body}: {}", got.1);
        assert!(
            got.1["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            got.1
        );
    }
}

#[tokio::test]
async fn unknown_and_foreign_scan_refs_are_not_found() {
    let m = Mock::plain().await;
    let mine = dummy(&m, json!({"clientId": "c", "dummyStatus": "APPROVED"})).await;
    for path in ["/api/v2/full", "/api/v2/generate-pdf"] {
        let unknown = m
            .post(
                path,
                DEV,
                json!({"scanRef": "00000000-0000-4000-8000-000000000000"}),
            )
            .await;
        assert_error(&unknown, 404, "NOT_FOUND", "00000000");
        let foreign = m.post(path, DEV2, json!({"scanRef": mine})).await;
        assert_error(&foreign, 404, "NOT_FOUND", &mine);
        assert_eq!(
            foreign.1["identifier"], unknown.1["identifier"],
            "{path}: a foreign scanRef looks unknown"
        );
        // Bad credentials are refused first.
        let got = m
            .post(path, ("dev-key", "wrong"), json!({"scanRef": mine}))
            .await;
        assert_eq!(got.0, 401, "{path}");
    }
}

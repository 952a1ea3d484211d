//! Every error answer (credentials, funds, fields, unknown ids), the order of
//! the checks, and the protocol errors, over HTTP against the real server.

use crate::helpers::*;
use serde_json::json;

const TOKEN: &str = "/api/v2/token";

#[tokio::test]
async fn bad_credentials_are_401_unauthorized() {
    let m = Mock::plain().await;
    let body = serde_json::to_vec(&json!({"clientId": "c"})).unwrap();
    let cases: Vec<Option<(&str, &str)>> = vec![
        None,
        Some(("dev-key", "wrong")),
        Some(("nobody", "dev-secret")),
        Some(("dev-key", "")),
    ];
    for auth in cases {
        let got = m
            .post_raw(TOKEN, auth, Some("application/json"), body.clone())
            .await;
        assert_error(
            &got,
            401,
            "UNAUTHORIZED",
            "Invalid authorization credentials",
        );
    }
    // Malformed headers: wrong scheme, bad base64, no colon.
    for header in ["Bearer abc", "Basic !!!", "Basic ZGV2LWtleQ==", "Basic"] {
        let resp = m
            .http
            .post(m.url(TOKEN))
            .header("Authorization", header)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(resp.headers().contains_key("www-authenticate"));
        let got = parse(resp).await;
        assert_error(
            &got,
            401,
            "UNAUTHORIZED",
            "Invalid authorization credentials",
        );
    }
}

#[tokio::test]
async fn the_secret_is_never_echoed() {
    let m = Mock::plain().await;
    let (_, body) = m
        .post(
            TOKEN,
            ("dev-key", "a-very-secret-guess"),
            json!({"clientId": "c"}),
        )
        .await;
    assert!(!body.to_string().contains("a-very-secret-guess"));
    let (_, body) = m.post(TOKEN, DEV, json!({"clientId": 5})).await;
    assert!(!body.to_string().contains(DEV.1));
}

#[tokio::test]
async fn inactive_partner_is_403() {
    let m = Mock::plain().await;
    let got = m.post(TOKEN, INACTIVE, json!({"clientId": "c"})).await;
    assert_error(&got, 403, "PERMISSIONS_ERROR", "Partner inactive");
    let got = m
        .post("/api/v2/status", INACTIVE, json!({"scanRef": "x"}))
        .await;
    assert_error(&got, 403, "PERMISSIONS_ERROR", "Partner inactive");
}

#[tokio::test]
async fn dummy_features_are_dev_only() {
    let m = Mock::plain().await;
    let dummy = json!({"clientId": "c", "dummyStatus": "APPROVED"});
    for who in [TEST, PROD] {
        let got = m.post(TOKEN, who, dummy.clone()).await;
        assert_error(
            &got,
            403,
            "PERMISSIONS_ERROR",
            "This endpoint is not available for TESTING/PRODUCTION partners.",
        );
        let got = m
            .post(
                "/api/v2/add-dummy-status",
                who,
                json!({"scanRef": "x", "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
            )
            .await;
        assert_error(
            &got,
            403,
            "PERMISSIONS_ERROR",
            "This endpoint is not available for TESTING/PRODUCTION partners.",
        );
    }
    let got = m.post(TOKEN, DEMO, dummy).await;
    assert_error(
        &got,
        403,
        "PERMISSIONS_ERROR",
        "This endpoint is not available for DEMO partners.",
    );
    // Without dummyStatus a TEST partner creates tokens normally.
    let (status, _) = m.post(TOKEN, TEST, json!({"clientId": "c"})).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn no_funds_is_402() {
    let m = Mock::plain().await;
    let got = m.post(TOKEN, BROKE, json!({"clientId": "c"})).await;
    assert_error(
        &got,
        402,
        "PARTNER_CONTRACT_ERROR",
        "Action not allowed due to lack of funds or exceeded limit.",
    );
}

#[tokio::test]
async fn credits_used_up_is_400_and_only_successes_use_credits() {
    let m = Mock::plain().await;
    // A refused request uses no credit.
    let (status, _) = m.post(TOKEN, LIMITED, json!({"clientId": 1})).await;
    assert_eq!(status, 400);
    for _ in 0..2 {
        m.token(LIMITED, json!({"clientId": "c"})).await;
    }
    let got = m.post(TOKEN, LIMITED, json!({"clientId": "c"})).await;
    assert_error(
        &got,
        400,
        "PERMISSIONS_ERROR",
        "Partner reached token limit.",
    );
}

#[tokio::test]
async fn bad_json_is_json_error() {
    let m = Mock::plain().await;
    let ct = Some("application/json");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"clientId\":".to_vec(), "not valid JSON"),
        (b"[1,2]".to_vec(), "must be a JSON object"),
        (b"\"text\"".to_vec(), "must be a JSON object"),
        (b"".to_vec(), "empty"),
        (deep.into_bytes(), "not valid JSON"),
    ];
    for (body, part) in cases {
        let got = m.post_raw(TOKEN, Some(DEV), ct, body).await;
        assert_error(&got, 400, "JSON_ERROR", part);
    }
}

/// A body that is not UTF-8 is iDenfy's `ENCODING_ERROR` (400) on every
/// endpoint that takes JSON, after the partner checks and before the JSON
/// is looked at; the message says where the first bad byte is.
#[tokio::test]
async fn a_body_that_is_not_utf8_is_encoding_error() {
    let m = Mock::plain().await;
    let ct = Some("application/json");
    for path in [
        TOKEN,
        "/api/v2/add-dummy-status",
        "/api/v2/status",
        "/api/v2/data",
        "/api/v2/files",
        "/api/v2/delete",
        "/api/v2/full",
        "/api/v2/generate-pdf",
    ] {
        for (body, offset) in [
            (&b"{\"clientId\":\"\xff\xfe\"}"[..], 13),
            (b"{\"scanRef\":\"caf\xe9\"}", 15),
            // Latin-1 sent as if it were UTF-8, and not JSON either.
            (b"\xc3(", 0),
        ] {
            let got = m.post_raw(path, Some(DEV), ct, body.to_vec()).await;
            assert_error(&got, 400, "ENCODING_ERROR", "valid UTF-8");
            assert_error(&got, 400, "ENCODING_ERROR", &format!("offset {offset}"));
        }
    }
    // Valid UTF-8 that is not JSON stays a JSON_ERROR.
    let got = m
        .post_raw(TOKEN, Some(DEV), ct, "{\"clientId\": café}".into())
        .await;
    assert_error(&got, 400, "JSON_ERROR", "not valid JSON");
    // The partner checks come first (no funds: 402).
    let got = m
        .post_raw(TOKEN, Some(BROKE), ct, b"{\"clientId\":\"\xff\"}".to_vec())
        .await;
    assert_error(&got, 402, "PARTNER_CONTRACT_ERROR", "funds");
}

#[tokio::test]
async fn missing_required_field_names_it() {
    let m = Mock::plain().await;
    let got = m.post(TOKEN, DEV, json!({"firstName": "Ann"})).await;
    assert_error(&got, 400, "MISSING_VALUE", "'clientId'");
    let got = m.post("/api/v2/status", DEV, json!({})).await;
    assert_error(&got, 400, "MISSING_VALUE", "'scanRef'");
    let got = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": "x", "manualFaceMatchResult": "FACE_MATCH"}),
        )
        .await;
    assert_error(&got, 400, "MISSING_VALUE", "'manualDocumentValidity'");
}

#[tokio::test]
async fn bad_value_names_field_and_rule() {
    let m = Mock::plain().await;
    let got = m
        .post(TOKEN, DEV, json!({"clientId": "c", "country": "XX"}))
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "Field 'country' must be a valid ISO 3166-1 alpha-2 code.",
    );
    let got = m
        .post(TOKEN, DEV, json!({"clientId": "c", "expiryTime": "3600"}))
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "Field 'expiryTime' must be an integer.",
    );
}

#[tokio::test]
async fn unknown_scan_ref_is_404_naming_it() {
    let m = Mock::plain().await;
    for path in [
        "/api/v2/status",
        "/api/v2/data",
        "/api/v2/files",
        "/api/v2/delete",
    ] {
        let got = m.post(path, DEV, json!({"scanRef": "no-such-ref"})).await;
        assert_error(&got, 404, "NOT_FOUND", "'no-such-ref'");
    }
    let got = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": "no-such-ref", "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_error(&got, 404, "NOT_FOUND", "'no-such-ref'");
}

/// Credentials are checked before the method, as Django REST framework
/// (behind iDenfy) does: a wrong method on an API endpoint without (or
/// with wrong) credentials is 401; with valid ones, 405 naming the method.
#[tokio::test]
async fn wrong_method_is_401_without_credentials_and_405_with_them() {
    let m = Mock::plain().await;
    let paths = [
        TOKEN,
        "/api/v2/add-dummy-status",
        "/api/v2/status",
        "/api/v2/data",
        "/api/v2/files",
        "/api/v2/delete",
        "/api/v2/full",
        "/api/v2/generate-pdf",
    ];
    for path in paths {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let send = |auth: Option<(&str, &str)>| {
                let mut req = m.http.request(method.clone(), m.url(path));
                if let Some((key, secret)) = auth {
                    req = req.basic_auth(key, Some(secret));
                }
                req.send()
            };
            let got = parse(send(None).await.unwrap()).await;
            assert_error(
                &got,
                401,
                "UNAUTHORIZED",
                "Invalid authorization credentials",
            );
            let got = parse(send(Some(("dev-key", "wrong"))).await.unwrap()).await;
            assert_error(
                &got,
                401,
                "UNAUTHORIZED",
                "Invalid authorization credentials",
            );
            let got = parse(send(Some(INACTIVE)).await.unwrap()).await;
            assert_error(&got, 403, "PERMISSIONS_ERROR", "Partner inactive");
            let got = parse(send(Some(DEV)).await.unwrap()).await;
            assert_error(&got, 405, "METHOD_NOT_ALLOWED", &format!("'{method}'"));
        }
    }
    // Over the rate limit it is 429, as for any call of the partner's.
    for expected in [405, 405, 405, 429] {
        let resp = m
            .http
            .get(m.url("/api/v2/status"))
            .basic_auth(THROTTLED.0, Some(THROTTLED.1))
            .send()
            .await
            .unwrap();
        assert_eq!(parse(resp).await.0, expected);
    }
    // The redirect is a browser's GET, without Basic credentials: a wrong
    // method there is 405 as before.
    let resp = m.http.post(m.url("/api/v2/redirect")).send().await.unwrap();
    assert_error(&parse(resp).await, 405, "METHOD_NOT_ALLOWED", "POST");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let m = Mock::plain().await;
    let body = br#"{"clientId":"c"}"#.to_vec();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let got = m.post_raw(TOKEN, Some(DEV), ct, body.clone()).await;
        assert_error(&got, 415, "ENCODING_ERROR", "application/json");
    }
    // Parameters and +json types are fine.
    let (s, _) = m
        .post_raw(
            TOKEN,
            Some(DEV),
            Some("application/json; charset=utf-8"),
            body.clone(),
        )
        .await;
    assert_eq!(s, 201);
}

#[tokio::test]
async fn body_over_1_mib_is_413() {
    let m = Mock::plain().await;
    let big = format!(
        "{{\"clientId\":\"c\",\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    let got = m
        .post_raw(TOKEN, Some(DEV), Some("application/json"), big.into_bytes())
        .await;
    assert_error(&got, 413, "BAD_VALUE", "1048576");
    // Just under the limit is accepted (unknown keys are ignored).
    let ok = format!(
        "{{\"clientId\":\"c\",\"pad\":\"{}\"}}",
        "x".repeat(1000 * 1000)
    );
    let (s, _) = m
        .post_raw(TOKEN, Some(DEV), Some("application/json"), ok.into_bytes())
        .await;
    assert_eq!(s, 201);
}

#[tokio::test]
async fn rate_limit_is_429_when_configured() {
    let m = Mock::plain().await;
    for _ in 0..3 {
        let (s, _) = m
            .post("/api/v2/status", THROTTLED, json!({"scanRef": "x"}))
            .await;
        assert_eq!(s, 404);
    }
    let got = m
        .post("/api/v2/status", THROTTLED, json!({"scanRef": "x"}))
        .await;
    assert_error(&got, 429, "TOO_MANY_REQUESTS", "limit");
    // Other partners are not limited.
    let (s, _) = m.post("/api/v2/status", DEV, json!({"scanRef": "x"})).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn unknown_path_is_404_envelope() {
    let m = Mock::plain().await;
    let got = parse(m.get("/api/v2/nothing-here").await).await;
    assert_error(&got, 404, "NOT_FOUND", "/api/v2/nothing-here");
}

#[tokio::test]
async fn checks_run_in_idenfys_order() {
    let m = Mock::plain().await;
    // 1 before 2: an inactive partner with a wrong secret is unauthorized.
    let got = m
        .post(TOKEN, ("inactive-key", "nope"), json!({"clientId": "c"}))
        .await;
    assert_error(&got, 401, "UNAUTHORIZED", "Invalid");
    // 3 before 6/7/8: a TEST partner asking for a dummy with bad fields.
    let got = m
        .post(
            TOKEN,
            TEST,
            json!({"dummyStatus": "APPROVED", "country": 5}),
        )
        .await;
    assert_error(&got, 403, "PERMISSIONS_ERROR", "TESTING/PRODUCTION");
    // 4 before 6: no funds and a broken body.
    let got = m
        .post_raw(
            TOKEN,
            Some(BROKE),
            Some("application/json"),
            b"{oops".to_vec(),
        )
        .await;
    assert_error(&got, 402, "PARTNER_CONTRACT_ERROR", "funds");
    // 6 before 7: broken JSON without clientId.
    let got = m
        .post_raw(TOKEN, Some(DEV), Some("application/json"), b"{".to_vec())
        .await;
    assert_error(&got, 400, "JSON_ERROR", "JSON");
    // 7 before 8: missing clientId and a bad country.
    let got = m.post(TOKEN, DEV, json!({"country": "XX"})).await;
    assert_error(&got, 400, "MISSING_VALUE", "clientId");
    // 3 before 9: add-dummy-status by TEST for an unknown scanRef.
    let got = m
        .post("/api/v2/add-dummy-status", TEST, json!({"scanRef": "zzz"}))
        .await;
    assert_error(&got, 403, "PERMISSIONS_ERROR", "TESTING/PRODUCTION");
}

#[tokio::test]
async fn callback_url_refused_when_partner_may_not_override() {
    let m = Mock::plain().await;
    let got = m
        .post(
            TOKEN,
            NO_CALLBACK,
            json!({"clientId": "c", "callbackUrl": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_error(&got, 403, "PERMISSIONS_ERROR", "callback url");
}

#[tokio::test]
async fn integration_slips_get_a_hint_not_only_a_status() {
    let m = Mock::plain().await;
    let resp = m
        .http
        .get(m.url("/api/v2/status"))
        .basic_auth(DEV.0, Some(DEV.1))
        .send()
        .await
        .unwrap();
    let got = parse(resp).await;
    assert_error(
        &got,
        405,
        "METHOD_NOT_ALLOWED",
        "POST with a JSON body {\"scanRef\"",
    );
    let got = m
        .post("/api/v2/dummy-manual-status", DEV, json!({"scanRef": "x"}))
        .await;
    assert_error(
        &got,
        404,
        "NOT_FOUND",
        "the nearest iDenfy endpoint is /api/v2/add-dummy-status",
    );
}

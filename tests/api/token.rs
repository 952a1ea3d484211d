//! `POST /api/v2/token`: the seed example, defaults and explicit nulls, every
//! validation rule, id uniqueness.

use std::collections::HashSet;

use crate::helpers::*;
use serde_json::{json, Value};

const TOKEN: &str = "/api/v2/token";

fn seed_request() -> Value {
    json!({
        "clientId": "100000",
        "firstName": "John Tom",
        "lastName": "Smith",
        "successUrl": "https://www.idenfy.com/success",
        "errorUrl": "https://www.idenfy.com/error",
        "unverifiedUrl": "https://www.idenfy.com/unverified",
        "locale": "en",
        "showInstructions": true,
        "expiryTime": 30,
        "sessionLength": 600,
        "country": "lt",
        "documents": ["PASSPORT", "ID_CARD"],
        "dateOfBirth": "1990-12-20",
        "dateOfExpiry": "2030-12-20",
        "dateOfIssue": "2020-12-20",
        "nationality": "lt",
        "personalNumber": "123456789",
        "documentNumber": "123456",
        "sex": "M",
        "address": "Vilnius, Lithuania",
        "tokenType": "IDENTIFICATION",
        "externalRef": "reference",
        "dummyStatus": "APPROVED"
    })
}

/// Every key of a token response, and nothing else.
const RESPONSE_KEYS: &[&str] = &[
    "message",
    "authToken",
    "scanRef",
    "clientId",
    "firstName",
    "lastName",
    "successUrl",
    "errorUrl",
    "unverifiedUrl",
    "callbackUrl",
    "locale",
    "showInstructions",
    "country",
    "expiryTime",
    "sessionLength",
    "documents",
    "dateOfBirth",
    "dateOfExpiry",
    "dateOfIssue",
    "nationality",
    "personalNumber",
    "documentNumber",
    "sex",
    "address",
    "tokenType",
    "externalRef",
    "generateDigitString",
    "utilityBill",
    "additionalSteps",
    "additionalData",
    "questionnaire",
    "videoCallQuestions",
    "personScanRef",
    "digitString",
    "redirectUrl",
    "allowedDocuments",
];

fn assert_keys(body: &Value) {
    let keys: HashSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = RESPONSE_KEYS.iter().copied().collect();
    assert_eq!(keys, expected, "response keys");
}

#[tokio::test]
async fn seed_example_full_response() {
    let m = Mock::plain().await;
    let r = m.token(DEV, seed_request()).await;
    assert_keys(&r);
    let auth = r["authToken"].as_str().unwrap().to_owned();
    let scan_ref = r["scanRef"].as_str().unwrap().to_owned();
    let digits = r["digitString"].as_str().unwrap().to_owned();
    assert!(auth.len() == 40 && auth.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        uuid::Uuid::parse_str(&scan_ref).unwrap().to_string(),
        scan_ref
    );
    let expected = json!({
        "message": "Dummy token and verification created successfully",
        "authToken": auth,
        "scanRef": scan_ref,
        "clientId": "100000",
        "firstName": "JOHN TOM",
        "lastName": "SMITH",
        "successUrl": "https://www.idenfy.com/success",
        "errorUrl": "https://www.idenfy.com/error",
        "unverifiedUrl": "https://www.idenfy.com/unverified",
        "callbackUrl": null,
        "locale": "en",
        "showInstructions": true,
        "country": "lt",
        "expiryTime": 30,
        "sessionLength": 600,
        "documents": ["PASSPORT", "ID_CARD"],
        "dateOfBirth": "1990-12-20",
        "dateOfExpiry": "2030-12-20",
        "dateOfIssue": "2020-12-20",
        "nationality": "lt",
        "personalNumber": "123456789",
        "documentNumber": "123456",
        "sex": "M",
        "address": "Vilnius, Lithuania",
        "tokenType": "IDENTIFICATION",
        "externalRef": "reference",
        "generateDigitString": false,
        "utilityBill": false,
        "additionalSteps": null,
        "additionalData": null,
        "questionnaire": null,
        "videoCallQuestions": [],
        "personScanRef": "100000",
        "digitString": digits,
        "redirectUrl": format!("{}/api/v2/redirect?authToken={auth}", m.server.uri()),
        "allowedDocuments": {"LT": ["PASSPORT", "ID_CARD"]},
    });
    assert_eq!(r, expected);
}

#[tokio::test]
async fn defaults_and_explicit_nulls() {
    let m = Mock::plain().await;
    let r = m.token(DEV, json!({"clientId": "only-id"})).await;
    assert_keys(&r);
    assert_eq!(r["message"], "Token created successfully");
    for key in [
        "firstName",
        "lastName",
        "successUrl",
        "errorUrl",
        "unverifiedUrl",
        "callbackUrl",
        "country",
        "dateOfBirth",
        "dateOfExpiry",
        "dateOfIssue",
        "nationality",
        "personalNumber",
        "documentNumber",
        "sex",
        "address",
        "externalRef",
        "additionalSteps",
        "additionalData",
        "questionnaire",
        "digitString",
    ] {
        assert!(r[key].is_null(), "{key} should be an explicit null");
    }
    assert_eq!(r["locale"], "en");
    assert_eq!(r["showInstructions"], true);
    assert_eq!(r["expiryTime"], 3600);
    assert_eq!(r["sessionLength"], 600);
    assert_eq!(r["tokenType"], "IDENTIFICATION");
    assert_eq!(
        r["documents"],
        json!(["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE"])
    );
    assert_eq!(
        r["allowedDocuments"],
        json!({"ALL": ["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE"]})
    );
    assert_eq!(r["videoCallQuestions"], json!([]));
    assert_eq!(r["personScanRef"], "only-id");
    // Explicit nulls in the request count as not given.
    let r = m
        .token(
            DEV,
            json!({"clientId": "c", "firstName": null, "expiryTime": null}),
        )
        .await;
    assert!(r["firstName"].is_null());
    assert_eq!(r["expiryTime"], 3600);
}

#[tokio::test]
async fn optional_fields_are_echoed() {
    let m = Mock::plain().await;
    let r = m
        .token(
            DEV,
            json!({
                "personScanRef": "legacy", "generateDigitString": true, "locale": "lt",
                "showInstructions": false, "tokenType": "DOCUMENT", "sessionLength": 60,
                "expiryTime": 0, "questionnaire": "q-1", "videoCallQuestions": ["a?", "b?"],
                "additionalSteps": {"ALL": {"UTILITY_BILL": {"type": "DOCUMENT"}}},
                "additionalData": {"UTILITY_BILL": {"address": "x"}},
                "callbackUrl": "http://127.0.0.1:9/hook", "firstName": "Jūratė", "lastName": "O'Brien-Smith Jr.",
                "nationality": "De", "unknownKey": 1
            }),
        )
        .await;
    assert_eq!(r["clientId"], "legacy");
    assert_eq!(r["personScanRef"], "legacy");
    assert_eq!(r["digitString"].as_str().unwrap().len(), 8);
    assert_eq!(r["generateDigitString"], true);
    assert_eq!(r["locale"], "lt");
    assert_eq!(r["showInstructions"], false);
    assert_eq!(r["tokenType"], "DOCUMENT");
    assert_eq!(r["sessionLength"], 60);
    assert_eq!(r["expiryTime"], 0);
    assert_eq!(r["questionnaire"], "q-1");
    assert_eq!(r["videoCallQuestions"], json!(["a?", "b?"]));
    assert_eq!(
        r["additionalSteps"]["ALL"]["UTILITY_BILL"]["type"],
        "DOCUMENT"
    );
    assert_eq!(r["additionalData"]["UTILITY_BILL"]["address"], "x");
    assert_eq!(r["callbackUrl"], "http://127.0.0.1:9/hook");
    assert_eq!(r["firstName"], "JŪRATĖ");
    assert_eq!(r["lastName"], "O'BRIEN-SMITH JR.");
    assert_eq!(r["nationality"], "De");
    assert!(r.get("unknownKey").is_none());
    assert!(r.get("dummyStatus").is_none());
}

/// (field, bad value, part of the message)
fn bad_values() -> Vec<(&'static str, Value, &'static str)> {
    let long = |n: usize| Value::String("a".repeat(n));
    vec![
        ("clientId", json!(12), "must be a string"),
        ("clientId", json!(""), "1 to 100 printable ASCII"),
        ("clientId", long(101), "1 to 100 printable ASCII"),
        ("clientId", json!("naïve"), "1 to 100 printable ASCII"),
        ("firstName", json!(""), "1 to 100 characters"),
        ("firstName", long(101), "1 to 100 characters"),
        ("firstName", json!("John2"), "no digits or any of"),
        ("firstName", json!("J@hn"), "no digits or any of"),
        ("lastName", json!("Smith_"), "no digits or any of"),
        ("lastName", json!(["Smith"]), "must be a string"),
        ("dateOfBirth", json!("1990-02-30"), "real calendar date"),
        ("dateOfBirth", json!("20-12-1990"), "YYYY-MM-DD"),
        ("dateOfExpiry", json!("2030/12/20"), "YYYY-MM-DD"),
        ("dateOfIssue", json!(20201220), "must be a string"),
        ("sex", json!("X"), "one of: M, F"),
        ("sex", json!("male"), "one of: M, F"),
        ("nationality", json!("LTU"), "ISO 3166-1 alpha-2"),
        ("country", json!("XX"), "ISO 3166-1 alpha-2"),
        ("personalNumber", json!(""), "1 to 50 characters"),
        ("personalNumber", long(51), "1 to 50 characters"),
        ("documentNumber", long(51), "1 to 50 characters"),
        ("address", long(256), "at most 255 characters"),
        (
            "documents",
            json!(["PASSPORT", "LIBRARY_CARD"]),
            "may only contain",
        ),
        ("documents", json!("PASSPORT"), "array of strings"),
        ("documents", json!([1]), "array of strings"),
        ("locale", json!("x"), "language tag"),
        ("locale", json!("english"), "language tag"),
        ("showInstructions", json!("true"), "boolean"),
        ("showInstructions", json!(1), "boolean"),
        ("expiryTime", json!("3600"), "must be an integer"),
        ("expiryTime", json!(30.5), "must be an integer"),
        ("expiryTime", json!(-1), "between 0 and 2592000"),
        ("expiryTime", json!(2_592_001), "between 0 and 2592000"),
        ("sessionLength", json!(59), "between 60 and 3600"),
        ("sessionLength", json!(3601), "between 60 and 3600"),
        ("successUrl", json!("ftp://example.com/ok"), "http(s) URL"),
        ("errorUrl", json!("htt"), "http(s) URL"),
        (
            "unverifiedUrl",
            Value::String(format!("https://e.com/{}", "a".repeat(2040))),
            "http(s) URL",
        ),
        ("callbackUrl", json!("not a url"), "http(s) URL"),
        ("tokenType", json!("SELFIE"), "must be one of"),
        ("externalRef", long(41), "at most 40 characters"),
        ("generateDigitString", json!("yes"), "boolean"),
        ("utilityBill", json!(0), "boolean"),
        ("additionalSteps", json!([]), "JSON object"),
        ("additionalData", json!("x"), "JSON object"),
        ("questionnaire", json!(5), "must be a string"),
        ("videoCallQuestions", json!("q"), "array of strings"),
        ("dummyStatus", json!("PENDING"), "must be one of"),
    ]
}

#[tokio::test]
async fn every_rule_refuses_a_bad_value_naming_the_field() {
    let m = Mock::plain().await;
    for (field, value, part) in bad_values() {
        let mut body = json!({"clientId": "c"});
        body[field] = value.clone();
        let got = m.post(TOKEN, DEV, body).await;
        assert_eq!(got.0, 400, "{field}={value}: {}", got.1);
        assert_eq!(got.1["identifier"], "BAD_VALUE", "{field}={value}");
        let message = got.1["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}: {message}"
        );
        assert!(
            message.contains(part),
            "{field}={value}: {message:?} lacks {part:?}"
        );
    }
}

#[tokio::test]
async fn field_combinations() {
    let m = Mock::plain().await;
    let got = m
        .post(
            TOKEN,
            DEV,
            json!({"clientId": "c", "utilityBill": true, "additionalSteps": {}}),
        )
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "'utilityBill' cannot be used together with 'additionalSteps'",
    );
    let got = m
        .post(TOKEN, DEV, json!({"clientId": "c", "additionalData": {}}))
        .await;
    assert_error(
        &got,
        400,
        "BAD_VALUE",
        "'additionalData' can only be used together with 'additionalSteps'",
    );
}

#[tokio::test]
async fn ids_are_unique_over_1000_tokens() {
    let m = Mock::plain().await;
    let mut scan_refs = HashSet::new();
    let mut auth_tokens = HashSet::new();
    for i in 0..1000 {
        let r = m.token(DEV, json!({"clientId": format!("c{i}")})).await;
        assert!(scan_refs.insert(r["scanRef"].as_str().unwrap().to_owned()));
        assert!(auth_tokens.insert(r["authToken"].as_str().unwrap().to_owned()));
    }
    assert_eq!(scan_refs.len(), 1000);
    assert_eq!(auth_tokens.len(), 1000);
}

#[tokio::test]
async fn seeded_ids_repeat_across_runs() {
    let first = Mock::start(config("", "seed = 42")).await;
    let second = Mock::start(config("", "seed = 42")).await;
    let a = first
        .token(DEV, json!({"clientId": "c", "generateDigitString": true}))
        .await;
    let b = second
        .token(DEV, json!({"clientId": "c", "generateDigitString": true}))
        .await;
    for key in ["scanRef", "authToken", "digitString"] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

/// What iDenfy accepts is not refused: any language tag, nationality ALL,
/// Kosovo, the OpenAPI document types, names with `&` and `’`.
#[tokio::test]
async fn lenient_where_idenfy_is_lenient() {
    let m = Mock::plain().await;
    let (s, r) = m
        .post(
            TOKEN,
            DEV,
            json!({"clientId": "lenient", "locale": "ko", "nationality": "ALL", "country": "XK",
                "documents": ["WORK_PERMIT", "SOCIAL_SECURITY_CARD", "BANK_ID_SE"],
                "firstName": "Tom & Jerry", "lastName": "O’Brien", "dummyStatus": "APPROVED"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["locale"], "ko");
    assert_eq!(r["nationality"], "ALL");
    assert_eq!(r["country"], "XK");
    assert_eq!(r["firstName"], "TOM & JERRY");
    assert_eq!(r["lastName"], "O’BRIEN");
    assert_eq!(
        r["allowedDocuments"],
        json!({"XK": ["WORK_PERMIT", "SOCIAL_SECURITY_CARD", "BANK_ID_SE"]})
    );
    // The webhook names no nationality of its own for ALL.
    let sr = r["scanRef"].as_str().unwrap();
    let (_, hook) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={sr}&timeoutMs=10000"
        ))
        .await;
    let body: Value = serde_json::from_str(hook["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["docNationality"], "XK");
    assert_eq!(body["data"]["docType"], "WORK_PERMIT");
    // A locale the page does not translate shows the page (in English).
    let (_, t) = m
        .post(TOKEN, DEV, json!({"clientId": "page", "locale": "pt-BR"}))
        .await;
    let redirect = t["redirectUrl"].as_str().unwrap();
    let page = m.get(&redirect[redirect.find("/api/").unwrap()..]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"locale\">pt-BR<"), "{html}");
    // country as an array of codes: echoed as sent, an allowedDocuments
    // entry each.
    let (s, r) = m
        .post(
            TOKEN,
            DEV,
            json!({"clientId": "locked", "country": ["lt", "LV"], "documents": ["PASSPORT"]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["country"], json!(["lt", "LV"]));
    assert_eq!(
        r["allowedDocuments"],
        json!({"LT": ["PASSPORT"], "LV": ["PASSPORT"]})
    );
    // Still refused: what is not a language tag.
    let got = m
        .post(TOKEN, DEV, json!({"clientId": "c", "locale": "en US"}))
        .await;
    assert_error(&got, 400, "BAD_VALUE", "'locale'");
}

/// Feature switches are type-checked and echoed only when sent.
#[tokio::test]
async fn feature_switches_are_checked_and_echoed_when_sent() {
    let m = Mock::plain().await;
    let r = m
        .token(
            DEV,
            json!({"clientId": "s", "checkLiveness": true, "ageLimit": 18,
                "faceMatchingThresholdModifier": 0.25,
                "riskAssessmentProfile": "3f1c1f4e-2f55-4b1e-9d4a-5c2f0b7f9e10",
                "registryCentersCountries": ["LT"]}),
        )
        .await;
    assert_eq!(r["checkLiveness"], true);
    assert_eq!(r["ageLimit"], 18);
    assert_eq!(r["faceMatchingThresholdModifier"], 0.25);
    assert_eq!(
        r["riskAssessmentProfile"],
        "3f1c1f4e-2f55-4b1e-9d4a-5c2f0b7f9e10"
    );
    assert_eq!(r["registryCentersCountries"], json!(["LT"]));
    let plain = m.token(DEV, json!({"clientId": "p"})).await;
    for key in ["checkLiveness", "ageLimit", "theme", "reviewFailed"] {
        assert!(plain.get(key).is_none(), "{key} is echoed only when sent");
    }
    for (body, field) in [
        (json!({"clientId": "c", "checkAml": "true"}), "checkAml"),
        (json!({"clientId": "c", "ageMax": -1}), "ageMax"),
        (json!({"clientId": "c", "theme": "dark"}), "theme"),
    ] {
        let got = m.post(TOKEN, DEV, body).await;
        assert_error(&got, 400, "BAD_VALUE", &format!("'{field}'"));
    }
    // They are in the OpenAPI document's request schema.
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;
    let props = &doc["components"]["schemas"]["TokenRequestBody"]["properties"];
    assert_eq!(props["checkLiveness"]["type"], json!(["boolean", "null"]));
    assert_eq!(props["theme"]["format"], "uuid");
}

/// The OpenAPI token request's bank and bank card switches.
const BANK_SWITCHES: [&str; 6] = [
    "verifyBank",
    "verifyBankAccounts",
    "verifyBankBalances",
    "verifyBankTransactions",
    "bankCardVerification",
    "bankCardPdfUpload",
];

/// The six bank and bank card switches are booleans like the other
/// switches: echoed as sent (only when sent), a wrong type refused naming
/// the field with the message the other boolean switches get.
#[tokio::test]
async fn bank_and_card_switches_are_checked_and_echoed_when_sent() {
    let m = Mock::plain().await;
    let mut body = json!({"clientId": "bank"});
    for (i, name) in BANK_SWITCHES.iter().enumerate() {
        body[*name] = json!(i % 2 == 0);
    }
    let r = m.token(DEV, body).await;
    for (i, name) in BANK_SWITCHES.iter().enumerate() {
        assert_eq!(r[*name], json!(i % 2 == 0), "{name} echoed as sent: {r}");
    }
    let plain = m.token(DEV, json!({"clientId": "p"})).await;
    for name in BANK_SWITCHES {
        assert!(plain.get(name).is_none(), "{name} is echoed only when sent");
    }
    let (_, other) = m
        .post(TOKEN, DEV, json!({"clientId": "c", "checkAml": "true"}))
        .await;
    let other = other["message"].as_str().unwrap().replace("checkAml", "{}");
    for name in BANK_SWITCHES {
        for wrong in [json!("true"), json!(1), json!([true]), json!({})] {
            let got = m
                .post(TOKEN, DEV, json!({"clientId": "c", name: wrong}))
                .await;
            assert_error(&got, 400, "BAD_VALUE", &format!("'{name}'"));
            assert_eq!(got.1["message"], other.replace("{}", name), "{wrong}");
        }
    }
    // Documented beside the other switches, in the request and in the
    // request the 201 echoes.
    let (_, doc) = m.cget("/_mock/openapi/idenfy.json").await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["TokenResponse"]["allOf"][0]["$ref"],
        "#/components/schemas/TokenRequest"
    );
    for name in BANK_SWITCHES {
        for schema in ["TokenRequestBody", "TokenRequest"] {
            assert_eq!(
                schemas[schema]["properties"][name]["type"],
                json!(["boolean", "null"]),
                "{schema}.{name}"
            );
        }
    }
}

/// `nationality` is echoed as sent, as in the seed example (`"lt"` stays
/// `"lt"`), although a newer documentation page says it is upper-cased.
#[tokio::test]
async fn nationality_is_echoed_as_sent() {
    let m = Mock::plain().await;
    for sent in ["lt", "Lt", "LT", "ALL"] {
        let r = m
            .token(DEV, json!({"clientId": "n", "nationality": sent}))
            .await;
        assert_eq!(r["nationality"], sent);
    }
}

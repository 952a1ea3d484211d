//! Property tests: whatever body arrives — arbitrary JSON shaped like the
//! real requests, or arbitrary bytes — no endpoint answers 5xx or panics, and
//! every `/api/v2` error carries the four-key envelope.

use std::sync::OnceLock;

use crate::helpers::*;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// One server for all cases, on its own runtime.
fn mock() -> &'static (tokio::runtime::Runtime, Mock) {
    static MOCK: OnceLock<(tokio::runtime::Runtime, Mock)> = OnceLock::new();
    MOCK.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let m = rt.block_on(Mock::start(config("", "[store]\nmax_verifications = 5000")));
        (rt, m)
    })
}

const FIELDS: &[&str] = &[
    "clientId",
    "personScanRef",
    "firstName",
    "lastName",
    "dateOfBirth",
    "dateOfExpiry",
    "dateOfIssue",
    "sex",
    "nationality",
    "country",
    "personalNumber",
    "documentNumber",
    "address",
    "documents",
    "locale",
    "showInstructions",
    "expiryTime",
    "sessionLength",
    "successUrl",
    "errorUrl",
    "unverifiedUrl",
    "callbackUrl",
    "tokenType",
    "externalRef",
    "generateDigitString",
    "utilityBill",
    "additionalSteps",
    "additionalData",
    "questionnaire",
    "videoCallQuestions",
    "dummyStatus",
    "scanRef",
    "manualFaceMatchResult",
    "manualDocumentValidity",
];

const WORDS: &[&str] = &[
    "APPROVED",
    "DENIED",
    "SUSPECTED",
    "EXPIRED",
    "ACTIVE",
    "FACE_MATCH",
    "DOC_VALIDATED",
    "FACE_MISMATCH",
    "lt",
    "LT",
    "xx",
    "2020-02-30",
    "1990-12-20",
    "M",
    "F",
    "PASSPORT",
    "ID_CARD",
    "https://app.test/ok",
    "http://127.0.0.1:9/x",
    "",
    " ",
    "😀",
    "a\u{0}b",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,60}".prop_map(Value::String),
        prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects keyed like the real requests, with arbitrary values.
fn request_like() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(FIELDS), json(), 0..12).prop_map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<_, _>>(),
        )
    })
}

/// Every route of the emulated API, as the router has them.
const API: [&str; 8] = idenfy_mock::internals::API_PATHS;

const CONTROL: &[&str] = &[
    "/_mock/reset",
    "/_mock/clock/advance",
    "/_mock/clock/set",
    "/_mock/snapshot",
    "/_mock/inbox/p",
    "/_mock/verifications/x/finish",
];

fn check_api(body: Vec<u8>) -> Result<(), TestCaseError> {
    let (rt, m) = mock();
    for path in API {
        let (status, answer) =
            rt.block_on(m.post_raw(path, Some(DEV), Some("application/json"), body.clone()));
        prop_assert!(status.as_u16() < 500, "{path} answered {status}: {answer}");
        if !status.is_success() {
            prop_assert_eq!(
                answer.as_object().map(|o| o.len()),
                Some(4),
                "{} envelope: {}",
                path,
                answer
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn request_shaped_json_never_yields_5xx(body in request_like()) {
        check_api(serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn any_json_never_yields_5xx(body in json()) {
        check_api(serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn any_bytes_never_yield_5xx(body in prop::collection::vec(any::<u8>(), 0..300)) {
        check_api(body)?;
    }

    #[test]
    fn control_and_page_never_yield_5xx(body in json(), form in ".{0,80}") {
        let (rt, m) = mock();
        for path in CONTROL {
            let (status, answer) = rt.block_on(m.cpost(path, body.clone()));
            prop_assert!(status.as_u16() < 500, "{} answered {}: {}", path, status, answer);
        }
        let resp = rt.block_on(
            m.http.post(m.url("/ui/finish"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form.clone())
                .send(),
        ).unwrap();
        prop_assert!(resp.status().as_u16() < 500, "/ui/finish answered {}", resp.status());
        let resp = rt.block_on(m.http.get(m.url(&format!("/ui/?authToken={form}"))).send()).unwrap();
        prop_assert!(resp.status().as_u16() < 500);
    }
}

//! `idenfy-mock probe`: send a fixed, harmless sequence of DEV requests to an
//! iDenfy-compatible server and to an in-process mock configured with the same
//! credentials, and report where the answers differ in shape.
//!
//! Comparison rules (plain functions, unit-tested below):
//! - the status codes must be equal;
//! - an object key present on one side only is a difference (`missing` /
//!   `extra`), at every depth; arrays are compared element by element up to
//!   the shorter length;
//! - JSON types must be equal, except that `null` on either side against a
//!   value is not a difference (optional data the other side happens to have);
//! - enum-like strings must be equal: a string whose reference value is an
//!   UPPER_SNAKE word (`APPROVED`, `FACE_MATCH`, `EXPIRED-DELETED`), or any
//!   string under a key named `status`, `overall`, `errorCode`, `type`. Other
//!   strings (scanRef, authToken, times, URLs, names, messages) are not
//!   compared, nor identifiers that happen to be upper case (under a key
//!   named `uid`, `resourceId` or `id`: an AML check's ids).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One answer: the status code and the body (`Value::Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// A shape difference at `path` within step `step`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub step: String,
    pub path: String,
    pub what: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.step, self.path, self.what)
    }
}

/// Whether a reference string is vendor vocabulary: UPPER_SNAKE (letters,
/// digits, `_`, `-`), starting with a letter, at least two characters.
pub fn is_enum_word(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

const ENUM_KEYS: &[&str] = &["status", "overall", "errorCode", "type"];

/// Keys whose strings are identifiers, never vocabulary.
const ID_KEYS: &[&str] = &["uid", "resourceId", "id"];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compares two answers of the same step.
pub fn compare_answers(step: &str, mock: &Answer, target: &Answer) -> Vec<Difference> {
    let mut out = Vec::new();
    if mock.status != target.status {
        out.push(Difference {
            step: step.into(),
            path: "HTTP status".into(),
            what: format!("mock {}, target {}", mock.status, target.status),
        });
        // Different outcomes have different bodies: one line says it all.
        return out;
    }
    compare_values(step, "$", None, &mock.body, &target.body, &mut out);
    out
}

/// Compares `target` against the reference `mock` at `path`; `key` is the
/// object key holding them, if any.
pub fn compare_values(
    step: &str,
    path: &str,
    key: Option<&str>,
    mock: &Value,
    target: &Value,
    out: &mut Vec<Difference>,
) {
    let mut diff = |path: &str, what: String| {
        out.push(Difference {
            step: step.into(),
            path: path.into(),
            what,
        })
    };
    match (mock, target) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(m), Value::Object(t)) => {
            for (k, mv) in m {
                let p = format!("{path}.{k}");
                match t.get(k) {
                    Some(tv) => compare_values(step, &p, Some(k), mv, tv, out),
                    None => out.push(Difference {
                        step: step.into(),
                        path: p,
                        what: "missing in target".into(),
                    }),
                }
            }
            for k in t.keys().filter(|k| !m.contains_key(*k)) {
                out.push(Difference {
                    step: step.into(),
                    path: format!("{path}.{k}"),
                    what: "extra in target".into(),
                });
            }
        }
        (Value::Array(m), Value::Array(t)) => {
            for (i, (mv, tv)) in m.iter().zip(t).enumerate() {
                compare_values(step, &format!("{path}[{i}]"), None, mv, tv, out);
            }
        }
        (Value::String(m), Value::String(t)) => {
            let id = key.is_some_and(|k| ID_KEYS.contains(&k));
            let enum_like = !id && (is_enum_word(m) || key.is_some_and(|k| ENUM_KEYS.contains(&k)));
            if enum_like && m != t {
                diff(path, format!("mock {m:?}, target {t:?}"));
            }
        }
        (m, t) if type_name(m) != type_name(t) => diff(
            path,
            format!("mock {}, target {}", type_name(m), type_name(t)),
        ),
        _ => {}
    }
}

/// One request of the sequence.
struct Step {
    name: &'static str,
    method: reqwest::Method,
    path: &'static str,
    auth: Auth,
    body: Body,
}

/// The credentials a step sends.
#[derive(Clone, Copy)]
enum Auth {
    /// The ones given on the command line.
    Given,
    /// A wrong key and secret.
    Wrong,
    /// No `Authorization` header.
    Without,
}

enum Body {
    Json(Value),
    /// `{"scanRef": <the scanRef this server returned in step N>}` plus fields.
    WithScanRef(&'static str, Value),
    /// These bytes as they are (sent as `application/json`).
    Raw(&'static [u8]),
}

/// A `POST` with the given credentials.
fn post(name: &'static str, path: &'static str, body: Body) -> Step {
    Step {
        name,
        method: reqwest::Method::POST,
        path,
        auth: Auth::Given,
        body,
    }
}

fn sequence() -> Vec<Step> {
    let j = Body::Json;
    vec![
        post(
            "token/approved",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe", "dummyStatus": "APPROVED"})),
        ),
        post(
            "token/plain",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe"})),
        ),
        post(
            "token/optional-fields",
            "/api/v2/token",
            j(
                json!({"clientId": "idenfy-mock-probe", "firstName": "Probe",
                "lastName": "Check", "locale": "en", "expiryTime": 600,
                "sessionLength": 600, "dummyStatus": "DENIED"}),
            ),
        ),
        // The OpenAPI token request's bank and bank card switches (off):
        // known fields, echoed when sent.
        post(
            "token/bank-switches",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe", "verifyBank": false,
                "verifyBankAccounts": false, "verifyBankBalances": false,
                "verifyBankTransactions": false, "bankCardVerification": false,
                "bankCardPdfUpload": false})),
        ),
        Step {
            auth: Auth::Wrong,
            ..post(
                "token/wrong-credentials",
                "/api/v2/token",
                j(json!({"clientId": "idenfy-mock-probe"})),
            )
        },
        post(
            "token/bad-type",
            "/api/v2/token",
            j(json!({"clientId": 42})),
        ),
        post(
            "token/bad-dummy-status",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe", "dummyStatus": "NOT_A_STATUS"})),
        ),
        // A body that is not UTF-8 (Latin-1 "é"): ENCODING_ERROR.
        post(
            "token/not-utf8",
            "/api/v2/token",
            Body::Raw(b"{\"clientId\": \"idenfy-mock-probe-\xe9\"}"),
        ),
        // A wrong method: credentials are checked first (401), then the
        // method (405).
        Step {
            method: reqwest::Method::GET,
            auth: Auth::Without,
            ..post(
                "status/wrong-method-without-credentials",
                "/api/v2/status",
                Body::Raw(b""),
            )
        },
        Step {
            method: reqwest::Method::GET,
            ..post("status/wrong-method", "/api/v2/status", Body::Raw(b""))
        },
        post(
            "token/for-manual",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe"})),
        ),
        post(
            "add-dummy-status",
            "/api/v2/add-dummy-status",
            Body::WithScanRef(
                "token/for-manual",
                json!({
                "manualFaceMatchResult": "FACE_MATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
            ),
        ),
        post(
            "status/approved",
            "/api/v2/status",
            Body::WithScanRef("token/approved", json!({})),
        ),
        post(
            "status/manual",
            "/api/v2/status",
            Body::WithScanRef("token/for-manual", json!({})),
        ),
        post(
            "data/approved",
            "/api/v2/data",
            Body::WithScanRef("token/approved", json!({})),
        ),
        // An expired verification whose data is deleted: which status /full
        // answers for it.
        post(
            "token/expired",
            "/api/v2/token",
            j(json!({"clientId": "idenfy-mock-probe", "dummyStatus": "EXPIRED"})),
        ),
        post(
            "delete/expired",
            "/api/v2/delete",
            Body::WithScanRef("token/expired", json!({})),
        ),
        post(
            "full/expired-deleted",
            "/api/v2/full",
            Body::WithScanRef("token/expired", json!({})),
        ),
        post(
            "full/approved",
            "/api/v2/full",
            Body::WithScanRef("token/approved", json!({})),
        ),
        // Document scan only: no selfie, so no FACE file and no face match.
        post(
            "token/document",
            "/api/v2/token",
            j(
                json!({"clientId": "idenfy-mock-probe", "tokenType": "DOCUMENT",
                "dummyStatus": "APPROVED"}),
            ),
        ),
        post(
            "full/document",
            "/api/v2/full",
            Body::WithScanRef("token/document", json!({})),
        ),
        post(
            "files/document",
            "/api/v2/files",
            Body::WithScanRef("token/document", json!({})),
        ),
        // iDenfy's DEV AML dummy person: the AML blocks, with
        // `--aml-screening` (else both sides send null).
        post(
            "token/aml-person",
            "/api/v2/token",
            j(
                json!({"clientId": "idenfy-mock-probe", "firstName": "Manfred",
                "lastName": "Weber", "dummyStatus": "APPROVED"}),
            ),
        ),
        post(
            "full/aml-person",
            "/api/v2/full",
            Body::WithScanRef("token/aml-person", json!({})),
        ),
    ]
}

/// Where and as whom to probe.
pub struct Target<'a> {
    pub base_url: &'a str,
    pub api_key: &'a str,
    pub api_secret: &'a str,
}

/// A server answering one request: a connection error is `Err`.
async fn send(
    client: &reqwest::Client,
    target: &Target<'_>,
    step: &Step,
    answers: &[(&'static str, Answer)],
) -> Result<Answer, String> {
    let body = match &step.body {
        Body::Json(v) => v.to_string().into_bytes(),
        Body::WithScanRef(from, extra) => {
            let scan_ref = answers
                .iter()
                .find(|(n, _)| n == from)
                .and_then(|(_, a)| a.body.get("scanRef").cloned())
                .unwrap_or(Value::String("no-scan-ref".into()));
            let mut v = extra.clone();
            if let Some(o) = v.as_object_mut() {
                o.insert("scanRef".into(), scan_ref);
            }
            v.to_string().into_bytes()
        }
        Body::Raw(bytes) => bytes.to_vec(),
    };
    let url = format!("{}{}", target.base_url.trim_end_matches('/'), step.path);
    let mut request = client
        .request(step.method.clone(), &url)
        .header("Content-Type", "application/json")
        .body(body);
    request = match step.auth {
        Auth::Given => request.basic_auth(target.api_key, Some(target.api_secret)),
        Auth::Wrong => request.basic_auth("idenfy-mock-probe-wrong-key", Some("wrong-secret")),
        Auth::Without => request,
    };
    let response = request
        .send()
        .await
        // Without the URL's credentials, if any: reqwest's error may hold the URL.
        .map_err(|e| format!("{}: {}", step.path, e.without_url()))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("{}: {}", step.path, e.without_url()))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer { status, body })
}

/// Runs the sequence against both servers. `Err` on a connection error or
/// when `deadline` passes.
pub async fn run(
    reference: &Target<'_>,
    target: &Target<'_>,
    per_request: Duration,
    deadline: Duration,
) -> Result<Vec<Difference>, String> {
    let client = reqwest::Client::builder()
        .timeout(per_request)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut mock_answers = Vec::new();
    let mut target_answers = Vec::new();
    let mut out = Vec::new();
    for step in sequence() {
        if started.elapsed() > deadline {
            return Err(format!("the probe's deadline of {deadline:?} passed"));
        }
        let m = send(&client, reference, &step, &mock_answers)
            .await
            .map_err(|e| format!("the reference mock failed: {e}"))?;
        let t = send(&client, target, &step, &target_answers).await?;
        out.extend(compare_answers(step.name, &m, &t));
        mock_answers.push((step.name, m));
        target_answers.push((step.name, t));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diffs(m: Value, t: Value) -> Vec<String> {
        let a = |body| Answer { status: 200, body };
        compare_answers("s", &a(m), &a(t))
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn enum_words_are_upper_snake() {
        for w in ["APPROVED", "FACE_MATCH", "EXPIRED-DELETED", "DOC_V2"] {
            assert!(is_enum_word(w), "{w}");
        }
        for w in [
            "A",
            "Approved",
            "abc",
            "2FA",
            "2026-12-02T10:00:00Z",
            "",
            "scan ref",
        ] {
            assert!(!is_enum_word(w), "{w}");
        }
    }

    #[test]
    fn identical_and_natural_differences_are_not_reported() {
        let m = json!({"scanRef": "a1", "authToken": "x", "n": 1, "ok": true, "tags": ["A"]});
        let t = json!({"scanRef": "b2", "authToken": "y", "n": 2, "ok": false, "tags": ["A", "B"]});
        assert!(diffs(m, t).is_empty());
    }

    #[test]
    fn keys_types_and_enums_are_reported_at_every_depth() {
        let m = json!({"status": {"overall": "APPROVED", "autoFace": "FACE_MATCH", "gone": 1},
            "n": 1, "list": [{"x": "a"}]});
        let t = json!({"status": {"overall": "APROVED", "autoFace": "FACE_MATCH", "new": 1},
            "n": "1", "list": [{"x": 1}]});
        // serde_json orders object keys alphabetically.
        assert_eq!(
            diffs(m, t),
            [
                "s: $.list[0].x: mock string, target number",
                "s: $.n: mock number, target string",
                "s: $.status.gone: missing in target",
                "s: $.status.overall: mock \"APPROVED\", target \"APROVED\"",
                "s: $.status.new: extra in target",
            ]
        );
    }

    #[test]
    fn upper_case_identifiers_are_not_vocabulary() {
        let m = json!({"AML": [{"uid": "OHT8GR5ESRF5XROWE5ZGCC49A", "serviceName": "AML_NEWS"}],
            "amlCheck": {"id": "A1", "amlCheck": [{"resourceId": "R1"}]}});
        let t = json!({"AML": [{"uid": "ZZT8GR5ESRF5XROWE5ZGCC49B", "serviceName": "AML_NEWS"}],
            "amlCheck": {"id": "B2", "amlCheck": [{"resourceId": "S2"}]}});
        assert!(diffs(m, t).is_empty());
    }

    #[test]
    fn null_against_a_value_is_not_a_type_difference() {
        assert!(diffs(json!({"a": null, "b": "x"}), json!({"a": "x", "b": null})).is_empty());
    }

    #[test]
    fn enum_keys_compare_any_string_and_a_status_code_says_it_all() {
        assert_eq!(
            diffs(json!({"type": "Start"}), json!({"type": "start"})),
            ["s: $.type: mock \"Start\", target \"start\""]
        );
        let d = compare_answers(
            "s",
            &Answer {
                status: 201,
                body: json!({"a": 1}),
            },
            &Answer {
                status: 200,
                body: json!({}),
            },
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].to_string(), "s: HTTP status: mock 201, target 200");
    }
}

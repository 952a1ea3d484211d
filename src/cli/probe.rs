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
    path: &'static str,
    /// Wrong credentials instead of the given ones.
    wrong_auth: bool,
    body: Body,
}

enum Body {
    Json(Value),
    /// `{"scanRef": <the scanRef this server returned in step N>}` plus fields.
    WithScanRef(&'static str, Value),
}

fn sequence() -> Vec<Step> {
    let j = Body::Json;
    vec![
        Step {
            name: "token/approved",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe", "dummyStatus": "APPROVED"})),
        },
        Step {
            name: "token/plain",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe"})),
        },
        Step {
            name: "token/optional-fields",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(
                json!({"clientId": "idenfy-mock-probe", "firstName": "Probe",
                "lastName": "Check", "locale": "en", "expiryTime": 600,
                "sessionLength": 600, "dummyStatus": "DENIED"}),
            ),
        },
        Step {
            name: "token/wrong-credentials",
            path: "/api/v2/token",
            wrong_auth: true,
            body: j(json!({"clientId": "idenfy-mock-probe"})),
        },
        Step {
            name: "token/bad-type",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": 42})),
        },
        Step {
            name: "token/bad-dummy-status",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe", "dummyStatus": "NOT_A_STATUS"})),
        },
        Step {
            name: "token/for-manual",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe"})),
        },
        Step {
            name: "add-dummy-status",
            path: "/api/v2/add-dummy-status",
            wrong_auth: false,
            body: Body::WithScanRef(
                "token/for-manual",
                json!({
                "manualFaceMatchResult": "FACE_MATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
            ),
        },
        Step {
            name: "status/approved",
            path: "/api/v2/status",
            wrong_auth: false,
            body: Body::WithScanRef("token/approved", json!({})),
        },
        Step {
            name: "status/manual",
            path: "/api/v2/status",
            wrong_auth: false,
            body: Body::WithScanRef("token/for-manual", json!({})),
        },
        Step {
            name: "data/approved",
            path: "/api/v2/data",
            wrong_auth: false,
            body: Body::WithScanRef("token/approved", json!({})),
        },
        Step {
            name: "full/approved",
            path: "/api/v2/full",
            wrong_auth: false,
            body: Body::WithScanRef("token/approved", json!({})),
        },
        // Document scan only: no selfie, so no FACE file and no face match.
        Step {
            name: "token/document",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe", "tokenType": "DOCUMENT",
                "dummyStatus": "APPROVED"})),
        },
        Step {
            name: "full/document",
            path: "/api/v2/full",
            wrong_auth: false,
            body: Body::WithScanRef("token/document", json!({})),
        },
        Step {
            name: "files/document",
            path: "/api/v2/files",
            wrong_auth: false,
            body: Body::WithScanRef("token/document", json!({})),
        },
        // iDenfy's DEV AML dummy person: the AML blocks, with
        // `--aml-screening` (else both sides send null).
        Step {
            name: "token/aml-person",
            path: "/api/v2/token",
            wrong_auth: false,
            body: j(json!({"clientId": "idenfy-mock-probe", "firstName": "Manfred",
                "lastName": "Weber", "dummyStatus": "APPROVED"})),
        },
        Step {
            name: "full/aml-person",
            path: "/api/v2/full",
            wrong_auth: false,
            body: Body::WithScanRef("token/aml-person", json!({})),
        },
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
        Body::Json(v) => v.clone(),
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
            v
        }
    };
    let (key, secret) = if step.wrong_auth {
        ("idenfy-mock-probe-wrong-key", "wrong-secret")
    } else {
        (target.api_key, target.api_secret)
    };
    let url = format!("{}{}", target.base_url.trim_end_matches('/'), step.path);
    let response = client
        .post(&url)
        .basic_auth(key, Some(secret))
        .header("Content-Type", "application/json")
        .body(body.to_string())
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

//! `idenfy-mock probe`, the real binary: against a mock it finds nothing;
//! against a server that deviates from the mock in known ways it reports
//! each deviation, and nothing else.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers::{config, Mock, DEV};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_idenfy-mock");

/// Runs `idenfy-mock probe` against `base_url` as the DEV partner; returns
/// the exit code and stdout. Gives up after 60 s.
async fn probe(base_url: &str) -> (i32, String) {
    probe_with(base_url, &[]).await
}

/// [`probe`] with further arguments.
async fn probe_with(base_url: &str, args: &[&str]) -> (i32, String) {
    let child = tokio::process::Command::new(BIN)
        .args(["probe", "--base-url", base_url, "--timeout", "5"])
        .args(["--api-key", DEV.0, "--api-secret", DEV.1])
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the probe ends within 60 s")
        .expect("the probe's output is read");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains(DEV.1) && !stderr.contains(DEV.1),
        "the secret is never printed"
    );
    (out.status.code().unwrap_or(-1), stdout)
}

#[tokio::test]
async fn probe_finds_no_difference_between_the_mock_and_itself() {
    let server = Mock::start(config("", "")).await.server;
    let (code, stdout) = probe(&server.uri()).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("probe: no differences from the mock"),
        "{stdout}"
    );
}

/// A proxy in front of a real mock that changes its answers in six known
/// ways: the token answer loses `expiryTime` and gains `extraKey`, wrong
/// credentials get 403 instead of 401, `/api/v2/status` spells `APPROVED` as `APROVED`,
/// `/api/v2/data` gives `clientId` as a number, a wrong method gets 405
/// before the credentials are checked, and `/api/v2/full` says
/// `EXPIRED-DELETED` where the mock says `DELETED`.
async fn deviant(
    State(inner): State<(reqwest::Client, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, base) = inner;
    let method_was_get = method == Method::GET;
    let mut request = client
        .request(method, format!("{base}{}", uri.path()))
        .body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let Ok(answer) = request.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut status =
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    match (uri.path(), status.as_u16()) {
        ("/api/v2/token", 201) => {
            if let Some(o) = json.as_object_mut() {
                o.remove("expiryTime");
                o.insert("extraKey".into(), Value::Bool(true));
            }
        }
        ("/api/v2/token", 401) => status = StatusCode::FORBIDDEN,
        ("/api/v2/status", 200) if json["status"] == "APPROVED" => {
            json["status"] = "APROVED".into()
        }
        ("/api/v2/data", 200) => json["clientId"] = 42.into(),
        ("/api/v2/status", 401) if method_was_get => status = StatusCode::METHOD_NOT_ALLOWED,
        ("/api/v2/full", 200) if json["status"]["overall"] == "DELETED" => {
            json["status"]["overall"] = "EXPIRED-DELETED".into()
        }
        _ => {}
    }
    (status, axum::Json(json)).into_response()
}

#[tokio::test]
async fn probe_reports_each_deviation_of_a_deviant_server_and_nothing_else() {
    let inner = Mock::start(config("", "")).await.server;
    let app = Router::new()
        .fallback(deviant)
        .with_state((reqwest::Client::new(), inner.uri()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (code, stdout) = probe(&format!("http://{addr}")).await;
    assert_eq!(code, 1, "{stdout}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.pop(),
        Some("probe: 22 difference(s) from the mock"),
        "{stdout}"
    );
    let mut expected = Vec::new();
    for step in [
        "token/approved",
        "token/plain",
        "token/optional-fields",
        "token/bank-switches",
        "token/for-manual",
        "token/expired",
        "token/document",
        "token/aml-person",
    ] {
        expected.push(format!("{step}: $.expiryTime: missing in target"));
        expected.push(format!("{step}: $.extraKey: extra in target"));
    }
    expected.push("token/wrong-credentials: HTTP status: mock 401, target 403".into());
    for step in ["status/approved", "status/manual"] {
        expected.push(format!(
            r#"{step}: $.status: mock "APPROVED", target "APROVED""#
        ));
    }
    expected.push("data/approved: $.clientId: mock string, target number".into());
    expected
        .push("status/wrong-method-without-credentials: HTTP status: mock 401, target 405".into());
    expected.push(
        r#"full/expired-deleted: $.status.overall: mock "DELETED", target "EXPIRED-DELETED""#
            .into(),
    );
    lines.sort_unstable();
    expected.sort_unstable();
    assert_eq!(lines, expected, "{stdout}");
}

/// A proxy in front of a mock that screens (AML) and changes two things: a
/// FACE image for every result (also without a selfie), and the v3 AML
/// block's status of a hit reads `NO_FLAGS`.
async fn selfie_and_aml_deviant(
    State(inner): State<(reqwest::Client, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, base) = inner;
    let mut request = client
        .request(method, format!("{base}{}", uri.path()))
        .body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let Ok(answer) = request.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let face = Value::String("https://files.test/face.png".into());
    match uri.path() {
        "/api/v2/files" if json.get("FRONT").is_some() => json["FACE"] = face,
        "/api/v2/full" => {
            if json["fileUrls"].get("FRONT").is_some() {
                json["fileUrls"]["FACE"] = face;
            }
            if json["amlCheck"]["overallStatus"] == "FLAGS_FOUND" {
                json["amlCheck"]["overallStatus"] = "NO_FLAGS".into();
            }
        }
        _ => {}
    }
    (status, axum::Json(json)).into_response()
}

#[tokio::test]
async fn probe_compares_document_only_results_and_aml_blocks_when_asked() {
    let screening = "[[partners]]\napi_key = 'dev-key'\napi_secret = 'dev-secret'\n\
                     aml_screening = true\n";
    let inner = Mock::start(crate::helpers::Setup::toml(&format!(
        "listen = '127.0.0.1:0'\n{screening}"
    )))
    .await
    .server;
    let app = Router::new()
        .fallback(selfie_and_aml_deviant)
        .with_state((reqwest::Client::new(), inner.uri()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let target = format!("http://{addr}");

    let selfie = [
        "files/document: $.FACE: extra in target",
        "full/document: $.fileUrls.FACE: extra in target",
    ];
    // Without --aml-screening the reference does not screen: the dummy
    // person's result differs (a hint to pass it), the blocks are not compared.
    let (code, stdout) = probe(&target).await;
    assert_eq!(code, 1, "{stdout}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.pop(),
        Some("probe: 3 difference(s) from the mock"),
        "{stdout}"
    );
    lines.sort_unstable();
    let mut expected = selfie.to_vec();
    expected.push(r#"full/aml-person: $.status.overall: mock "APPROVED", target "SUSPECTED""#);
    expected.sort_unstable();
    assert_eq!(lines, expected, "{stdout}");
    // With it, the hit's v3 status too.
    let (code, stdout) = probe_with(&target, &["--aml-screening"]).await;
    assert_eq!(code, 1, "{stdout}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.pop(),
        Some("probe: 3 difference(s) from the mock"),
        "{stdout}"
    );
    lines.sort_unstable();
    let mut expected = selfie.to_vec();
    expected.push(
        r#"full/aml-person: $.amlCheck.overallStatus: mock "FLAGS_FOUND", target "NO_FLAGS""#,
    );
    expected.sort_unstable();
    assert_eq!(lines, expected, "{stdout}");
}

//! The ceiling: a bare axum server answering `POST /api/v2/token` with a fixed
//! 201 body after Basic auth and JSON parsing, as little as an iDenfy stand-in
//! can do. The benchmark passes it a 201 body captured from idenfy-mock for
//! the same request, so both servers send the same bytes.
//!
//!     reference 127.0.0.1:PORT [BODY_FILE]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use base64::Engine as _;

const KEY_SECRET: &str = "idenfy-mock-key:idenfy-mock-secret";

/// About the size and shape of a plain token response, when no file is given.
const BODY: &str = r#"{"message":"Token created successfully","authToken":"0123456789abcdefghijABCDEFGHIJ0123456789","scanRef":"00000000-0000-4000-8000-000000000000","clientId":"bench","firstName":null,"lastName":null,"successUrl":null,"errorUrl":null,"unverifiedUrl":null,"callbackUrl":null,"locale":"en","showInstructions":true,"country":null,"expiryTime":3600,"sessionLength":600,"documents":["ID_CARD","PASSPORT","RESIDENCE_PERMIT","DRIVER_LICENSE"],"dateOfBirth":null,"dateOfExpiry":null,"dateOfIssue":null,"nationality":null,"personalNumber":null,"documentNumber":null,"sex":null,"address":null,"tokenType":"IDENTIFICATION","externalRef":null,"generateDigitString":false,"utilityBill":false,"additionalSteps":null,"additionalData":null,"questionnaire":null,"videoCallQuestions":[],"personScanRef":"bench","digitString":null,"redirectUrl":"http://127.0.0.1:8080/api/v2/redirect?authToken=0123456789abcdefghijABCDEFGHIJ0123456789","allowedDocuments":{"ALL":["ID_CARD","PASSPORT","RESIDENCE_PERMIT","DRIVER_LICENSE"]}}"#;

async fn token(State(answer): State<Bytes>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .is_some_and(|d| d == KEY_SECRET.as_bytes());
    if !authorized {
        return (StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) if v.get("clientId").is_some_and(|c| c.is_string()) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            answer,
        )
            .into_response(),
        _ => (StatusCode::BAD_REQUEST, "{}").into_response(),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9099".into());
    let answer = match args.next() {
        Some(path) => Bytes::from(std::fs::read(&path).expect("read the body file")),
        None => Bytes::from_static(BODY.as_bytes()),
    };
    let app = Router::new()
        .route("/api/v2/token", post(token))
        .with_state(answer);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

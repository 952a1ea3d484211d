//! The ceiling: a bare axum server answering `POST /api/v2/token` with a fixed
//! body after Basic auth and JSON parsing, as little as an iDenfy stand-in can
//! do. Also `POST /hook` (a webhook receiver that counts) and `GET /hits`.
//!
//!     reference 127.0.0.1:PORT

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;

const KEY_SECRET: &str = "idenfy-mock-key:idenfy-mock-secret";

/// About the size and shape of a real token response.
const BODY: &str = r#"{"message":"Token created successfully","authToken":"0123456789abcdefghijABCDEFGHIJ0123456789","scanRef":"00000000-0000-4000-8000-000000000000","clientId":"bench","firstName":null,"lastName":null,"successUrl":null,"errorUrl":null,"unverifiedUrl":null,"callbackUrl":null,"locale":"en","showInstructions":true,"country":null,"expiryTime":3600,"sessionLength":600,"documents":["ID_CARD","PASSPORT","RESIDENCE_PERMIT","DRIVER_LICENSE"],"dateOfBirth":null,"dateOfExpiry":null,"dateOfIssue":null,"nationality":null,"personalNumber":null,"documentNumber":null,"sex":null,"address":null,"tokenType":"IDENTIFICATION","externalRef":null,"generateDigitString":false,"utilityBill":false,"additionalSteps":null,"additionalData":null,"questionnaire":null,"videoCallQuestions":[],"personScanRef":"bench","digitString":null,"redirectUrl":"http://127.0.0.1:8080/api/v2/redirect?authToken=0123456789abcdefghijABCDEFGHIJ0123456789","allowedDocuments":{"ALL":["ID_CARD","PASSPORT","RESIDENCE_PERMIT","DRIVER_LICENSE"]}}"#;

async fn token(headers: HeaderMap, body: Bytes) -> impl IntoResponse {
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
            BODY,
        )
            .into_response(),
        _ => (StatusCode::BAD_REQUEST, "{}").into_response(),
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9099".into());
    let hits = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/api/v2/token", post(token))
        .route(
            "/hook",
            post(|State(h): State<Arc<AtomicU64>>| async move {
                h.fetch_add(1, Ordering::Relaxed);
                StatusCode::OK
            }),
        )
        .route(
            "/hits",
            get(|State(h): State<Arc<AtomicU64>>| async move { h.load(Ordering::Relaxed).to_string() }),
        )
        .with_state(hits);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

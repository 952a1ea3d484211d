//! The delivery ceiling: the bare reference (Basic auth, JSON parsing, a
//! fixed 201 body) that also does the second exchange of the seed workload.
//! For every token it answers it POSTs one webhook to a receiver, in the
//! background (the 201 is not held for it), through one pooled reqwest
//! client with at most 64 deliveries in flight. The webhook is a fixed body
//! captured from idenfy-mock with its `Content-Type` and `Idenfy-Signature`,
//! so both servers send the same bytes both ways; nothing is signed,
//! journaled or retried.
//!
//!     two_exchange 127.0.0.1:PORT BODY_FILE WEBHOOK_FILE WEBHOOK_URL CONTENT_TYPE SIGNATURE

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use tokio::sync::Semaphore;

const KEY_SECRET: &str = "idenfy-mock-key:idenfy-mock-secret";
/// Deliveries in flight at most, as a pooled client with a bounded queue.
const IN_FLIGHT: usize = 64;

struct Shared {
    answer: Bytes,
    webhook: Bytes,
    url: String,
    content_type: HeaderValue,
    signature: HeaderValue,
    client: reqwest::Client,
    permits: Semaphore,
}

/// One webhook, once a permit is free; the answer's body is read so the
/// connection goes back to the pool.
async fn deliver(s: Arc<Shared>) {
    let Ok(_permit) = s.permits.acquire().await else {
        return;
    };
    let sent = s
        .client
        .post(&s.url)
        .header(header::CONTENT_TYPE, s.content_type.clone())
        .header("Idenfy-Signature", s.signature.clone())
        .body(s.webhook.clone())
        .send()
        .await;
    if let Ok(r) = sent {
        let _ = r.bytes().await;
    }
}

async fn token(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
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
        Ok(v) if v.get("clientId").is_some_and(|c| c.is_string()) => {
            tokio::spawn(deliver(s.clone()));
            (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                s.answer.clone(),
            )
                .into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "{}").into_response(),
    }
}

fn usage() -> ! {
    eprintln!("usage: two_exchange ADDR BODY_FILE WEBHOOK_FILE WEBHOOK_URL CONTENT_TYPE SIGNATURE");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, body_file, webhook_file, url, content_type, signature] = args.as_slice() else {
        usage()
    };
    let read = |path: &str| {
        Bytes::from(std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("two_exchange: {path}: {e}");
            std::process::exit(2)
        }))
    };
    let value = |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| usage());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let shared = Arc::new(Shared {
        answer: read(body_file),
        webhook: read(webhook_file),
        url: url.clone(),
        content_type: value(content_type),
        signature: value(signature),
        client,
        permits: Semaphore::new(IN_FLIGHT),
    });
    let app = Router::new()
        .route("/api/v2/token", post(token))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

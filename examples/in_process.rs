//! Start idenfy-mock inside a program, create a dummy token the way an
//! application would, and read the signed webhook the mock delivered to a
//! receiver of our own.
//!
//!     cargo run --example in_process

use std::time::Duration;

use axum::routing::post;
use axum::Router;
use idenfy_mock::{MockServer, PartnerConfig, WebhookFilter};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // A receiver standing in for the application's webhook endpoint.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let address = listener.local_addr().expect("its address");
    let hook = format!("http://{address}/idenfy/webhook");
    tokio::spawn(async move {
        let app = Router::new().route("/idenfy/webhook", post(|| async { "ok" }));
        axum::serve(listener, app)
            .await
            .expect("the receiver serves");
    });

    let mock = MockServer::builder()
        .partner(
            PartnerConfig::new("app-key", "app-secret")
                .with_signing_key("app-signing-key")
                .with_webhook_url(hook),
        )
        .start()
        .await;
    println!("iDenfy mock at {}", mock.uri());

    let created = reqwest::Client::new()
        .post(format!("{}/api/v2/token", mock.uri()))
        .basic_auth("app-key", Some("app-secret"))
        .header("Content-Type", "application/json")
        .body(r#"{"clientId": "user-1", "firstName": "Ada", "lastName": "Lovelace", "dummyStatus": "APPROVED"}"#)
        .send()
        .await
        .expect("the mock answers");
    println!("POST /api/v2/token → {}", created.status());

    let webhook = mock
        .wait_for_delivered(WebhookFilter::default(), Duration::from_secs(10))
        .await
        .expect("the webhook is delivered");
    println!(
        "{} delivered after {} attempt(s), signature {}",
        webhook.event.as_str(),
        webhook.attempts.len(),
        webhook.header("Idenfy-Signature").unwrap_or("-"),
    );
    println!("{}", String::from_utf8_lossy(&webhook.body));
}

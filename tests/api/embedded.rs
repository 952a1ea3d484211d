//! A Rust user's test, written against the public `MockServer` API only.

use std::time::Duration;

use idenfy_mock::{MockServer, PartnerConfig, WebhookFilter};

#[tokio::test]
async fn a_rust_user_starts_the_mock_in_process_and_sees_the_webhook() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(body);
                    "ok"
                }
            }),
        );
        axum::serve(listener, app).await.unwrap();
    });

    let mock = MockServer::builder()
        .partner(
            PartnerConfig::new("k", "s")
                .with_signing_key("sig")
                .with_webhook_url(hook),
        )
        .partner(PartnerConfig::new("t", "s").with_environment(idenfy_mock::Environment::Test))
        .seed(1)
        .start()
        .await;
    let http = reqwest::Client::new();
    // A dummy DENIED token, as partner `key`; the answer's status.
    let dummy_token = |key: &'static str| {
        http.post(format!("{}/api/v2/token", mock.uri()))
            .basic_auth(key, Some("s"))
            .header("Content-Type", "application/json")
            .body(r#"{"clientId": "u", "dummyStatus": "DENIED"}"#)
            .send()
    };
    assert_eq!(dummy_token("k").await.unwrap().status(), 201);

    let delivered = mock
        .wait_for_delivered(WebhookFilter::default(), Duration::from_secs(10))
        .await
        .expect("delivered");
    let received = rx.recv().await.expect("the receiver got it");
    assert_eq!(received.as_bytes(), &delivered.body[..]);
    assert!(idenfy_mock::verify_signature(
        b"sig",
        &delivered.body,
        delivered.header("Idenfy-Signature").unwrap()
    ));

    // The TEST partner is refused dummies, as on the real service.
    assert_eq!(dummy_token("t").await.unwrap().status(), 403);
    assert_eq!(mock.webhooks().len(), 1);

    // Dropping the mock shuts it down.
    let uri = mock.uri();
    drop(mock);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if http
            .get(format!("{uri}/_mock/health"))
            .send()
            .await
            .is_err()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still serving after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! Delivery under a CI-like load, over HTTP on the real server with real
//! receivers: many long-polls at once, a stuck receiver next to a healthy
//! one, huge answers, the page after a timed-out final
//! webhook, pending webhooks across a snapshot, and the waiter cap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::*;
use axum::routing::post;
use axum::Router;
use idenfy_mock::{DeliveryState, WebhookFilter as Filter, WebhookRecord};
use serde_json::{json, Value};

/// A receiver that accepts connections and never answers; counts them.
struct Stuck {
    url: String,
    accepted: Arc<AtomicUsize>,
}

impl Stuck {
    async fn start() -> Stuck {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            // Held open (never read, never answered) until the test ends.
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(socket);
            }
        });
        Stuck { url, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A receiver answering 200 with `size` bytes of body.
async fn answering_with(size: usize) -> String {
    let body = Arc::new(vec![b'x'; size]);
    let app = Router::new().route(
        "/hook",
        post(move || {
            let body = body.clone();
            async move { (*body).clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

/// POSTs the page's form; returns the Location header.
async fn finish(m: &Mock, token: &str, outcome: &str) -> Option<String> {
    let (status, location) = finish_page(m, token, &[("outcome", outcome)]).await;
    assert_eq!(status, 303);
    location
}

fn records(m: &Mock, filter: Filter) -> Vec<WebhookRecord> {
    m.server.webhooks_matching(&filter)
}

fn scan_ref(t: &Value) -> String {
    t["scanRef"].as_str().unwrap().to_owned()
}

async fn dummy_to(m: &Mock, auth: (&str, &str), callback: Option<&str>) -> String {
    let mut body = json!({"clientId": "c", "dummyStatus": "APPROVED"});
    if let Some(url) = callback {
        body["callbackUrl"] = json!(url);
    }
    scan_ref(&m.token(auth, body).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_long_polls_are_each_answered_with_their_own_webhook() {
    let rx = Receiver::start().await;
    let m = Arc::new(Mock::start(config(&rx.url, "")).await);
    let mut tokens = Vec::new();
    for i in 0..200 {
        let t = m.token(DEV, json!({"clientId": format!("c{i}")})).await;
        tokens.push((t["authToken"].as_str().unwrap().to_owned(), scan_ref(&t)));
    }
    let mut polls = Vec::new();
    for (_, s) in &tokens {
        let (m, s) = (m.clone(), s.clone());
        polls.push(tokio::spawn(async move {
            m.cget(&format!("/_mock/webhooks/wait?scanRef={s}&timeoutMs=30000"))
                .await
        }));
    }
    // One waiter on no scanRef: any verification's CANCELLED webhook (leave unverified).
    let m2 = m.clone();
    let expired_poll = tokio::spawn(async move {
        m2.cget("/_mock/webhooks/wait?event=IDENTIFICATION_CANCELLED&state=any&timeoutMs=30000")
            .await
    });
    m.stats_until("201 registered waiters", |s| {
        s["webhooks"]["waiters"] == 201
    })
    .await;

    for (token, _) in &tokens {
        finish(&m, token, "approve").await;
    }
    for (poll, (_, s)) in polls.into_iter().zip(&tokens) {
        let (status, hook) = poll.await.unwrap();
        assert_eq!(status, 200, "{hook}");
        assert_eq!(
            hook["scanRef"],
            s.as_str(),
            "each poll gets its own webhook"
        );
        assert_eq!(hook["state"], "delivered");
    }
    assert_eq!(rx.received().len(), 200);
    assert!(
        !expired_poll.is_finished(),
        "200 AUTO_FINISHED webhooks do not answer a wait for CANCELLED"
    );
    assert_eq!(m.stats().await["webhooks"]["waiters"], 1);

    let late = m.token(DEV, json!({"clientId": "late"})).await;
    finish(&m, late["authToken"].as_str().unwrap(), "unverified").await;
    let (status, hook) = expired_poll.await.unwrap();
    assert_eq!(status, 200, "{hook}");
    assert_eq!(hook["scanRef"], late["scanRef"]);
    assert_eq!(hook["event"], "IDENTIFICATION_CANCELLED");
    assert_eq!(
        m.stats().await["webhooks"]["waiters"],
        0,
        "answered waiters are gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_target_does_not_delay_another_targets_webhook() {
    let stuck = Stuck::start().await;
    let rx = Receiver::start().await;
    // Fewer global permits than stuck webhooks: without a per-target limit
    // the stuck target would hold all of them for the whole timeout.
    let m = Mock::start(config(
        &rx.url,
        "[webhooks]\ntimeout_secs = 2\nretries = 0\nmax_in_flight = 16\nmax_in_flight_per_target = 8",
    ))
    .await;
    let mut stuck_refs = Vec::new();
    for _ in 0..50 {
        stuck_refs.push(dummy_to(&m, DEV, Some(&stuck.url)).await);
    }
    eventually("the stuck target holding its 8 connections", || {
        (stuck.accepted() >= 8).then_some(())
    })
    .await;
    let started = Instant::now();
    let other = dummy_to(&m, DEV2, None).await;
    let delivered = m
        .server
        .wait_for_delivered(Filter::for_scan_ref(other.clone()), Duration::from_secs(10))
        .await
        .expect("the other target's webhook is delivered");
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "delivered in {took:?}, not after the stuck ones' 2 s timeout"
    );
    assert_eq!(delivered.attempts.len(), 1);
    assert_eq!(stuck.accepted(), 8, "the stuck target got only its share");
    let stuck_pending = records(&m, in_state(DeliveryState::Pending))
        .into_iter()
        .filter(|r| stuck_refs.contains(&r.scan_ref))
        .count();
    assert_eq!(stuck_pending, 50, "none of the stuck ones timed out yet");
}

#[tokio::test]
async fn a_huge_receiver_answer_does_not_break_delivery() {
    let url = answering_with(10 * 1024 * 1024).await;
    let m = Mock::start(config(&url, "")).await;
    for _ in 0..2 {
        let s = dummy_to(&m, DEV, None).await;
        let r = m
            .server
            .wait_for_delivered(Filter::for_scan_ref(s), Duration::from_secs(10))
            .await
            .expect("delivered");
        assert_eq!(r.attempts.len(), 1);
        assert_eq!(r.attempts[0].status, Some(200));
    }
}

#[tokio::test]
async fn a_final_webhook_that_times_out_sends_the_user_to_the_error_url() {
    let stuck = Stuck::start().await;
    let m = Mock::start(config(
        "",
        "[webhooks]\ntimeout_secs = 1\nretries = 1\nretry_delay_ms = 10",
    ))
    .await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "callbackUrl": stuck.url,
                "successUrl": "https://app.test/ok", "errorUrl": "https://app.test/error"}),
        )
        .await;
    let location = finish(&m, t["authToken"].as_str().unwrap(), "approve").await;
    assert_eq!(location.as_deref(), Some("https://app.test/error"));
    let r = &records(&m, Filter::default())[0];
    assert_eq!(r.state, DeliveryState::Failed);
    assert_eq!(r.attempts.len(), 2, "both attempts timed out first");
    assert!(r.attempts.iter().all(|a| a.error.is_some()));
}

#[tokio::test]
async fn a_webhook_pending_in_a_snapshot_is_delivered_after_restore() {
    let rx = Receiver::start().await;
    // Held back long enough to be pending when the snapshot is taken.
    let a = Mock::start(config(&rx.url, "[webhooks]\ndelay_ms = 60000")).await;
    let s = dummy_to(&a, DEV, None).await;
    let (status, snap) = a.cget("/_mock/snapshot").await;
    assert_eq!(status, 200);
    assert_eq!(snap["webhooks"][0]["state"], "pending", "{snap}");

    let b = Mock::start(config(&rx.url, "")).await;
    let (status, restored) = b.cpost("/_mock/snapshot", snap).await;
    assert_eq!(status, 200, "{restored}");
    let (status, hook) = b
        .cget(&format!("/_mock/webhooks/wait?scanRef={s}&timeoutMs=10000"))
        .await;
    assert_eq!(status, 200, "{hook}");
    assert_eq!(hook["state"], "delivered");
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].json()["scanRef"], s.as_str());
    assert_eq!(
        records(&b, Filter::default()).len(),
        1,
        "delivered as the same entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_past_the_cap_get_503_and_shutdown_answers_open_ones() {
    let m = Mock::start(config("", "[webhooks]\nmax_waiters = 2")).await;
    let open: Vec<_> = (0..2)
        .map(|i| {
            let (http, url) = (
                m.http.clone(),
                m.url(&format!(
                    "/_mock/webhooks/wait?scanRef=none-{i}&timeoutMs=30000"
                )),
            );
            tokio::spawn(async move { parse(http.get(url).send().await.expect("sent")).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while m.stats().await["webhooks"]["waiters"] != 2 {
        assert!(Instant::now() < deadline, "two waiters within 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, body) = m
        .cget("/_mock/webhooks/wait?scanRef=third&timeoutMs=30000")
        .await;
    assert_eq!(status, 503);
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["status"], 503);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("too many waiters"),
        "{body}"
    );
    // Shutdown: open waits are answered at once.
    let started = Instant::now();
    m.server.shutdown(Duration::from_secs(1)).await;
    for poll in open {
        let (status, body) = poll.await.unwrap();
        assert_eq!(status, 503);
        assert_eq!(body["message"], "the server is shutting down");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

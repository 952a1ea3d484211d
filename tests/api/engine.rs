//! The delivery engine's races and bounds, on the real binary (issue 29):
//! stuck receivers next to a healthy one, a reset or an import while
//! webhooks are queued, a final webhook behind a backlog, pending records
//! the journal must keep, webhooks a `reorder` fault holds back, and the
//! backpressure a full queue puts on the requests that would add to it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::Notify;

const AUTH: (&str, &str) = ("idenfy-mock-key", "idenfy-mock-secret");

/// The binary on a free port with `toml` over its embedded defaults.
struct Bin {
    proc: Proc,
    api: Api,
}

/// Its HTTP side, to share with tasks.
#[derive(Clone)]
struct Api {
    base: String,
    http: reqwest::Client,
}

impl std::ops::Deref for Bin {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Bin {
    fn start(name: &str, toml: &str) -> Bin {
        let dir =
            std::env::temp_dir().join(format!("idenfy-mock-engine-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.toml");
        std::fs::write(&config, toml).unwrap();
        let proc = Proc::spawn(&["--config", config.to_str().unwrap()]);
        let base = format!("http://{}", proc.address());
        // Read at start only: nothing is left behind in the temp folder.
        std::fs::remove_dir_all(&dir).ok();
        Bin {
            proc,
            api: Api {
                base,
                http: reqwest::Client::new(),
            },
        }
    }
}

impl Api {
    /// POSTs a token; the status and body.
    async fn token(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/v2/token", self.base))
            .basic_auth(AUTH.0, Some(AUTH.1))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A dummy token whose result webhook goes to `hook`; its scanRef.
    async fn dummy(&self, hook: &str) -> String {
        let (status, t) = self
            .token(json!({"clientId": "c", "dummyStatus": "APPROVED", "callbackUrl": hook}))
            .await;
        assert_eq!(status, 201, "{t}");
        t["scanRef"].as_str().unwrap().to_owned()
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn control_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The journal's records of `scan_ref`, oldest first.
    async fn records(&self, scan_ref: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/_mock/webhooks?scanRef={scan_ref}&state=any"))
            .await;
        page["items"].as_array().unwrap().clone()
    }

    /// Polls the journal until `scan_ref` has a record in `state` (10 s).
    async fn until_state(&self, scan_ref: &str, state: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let records = self.records(scan_ref).await;
            if let Some(r) = records.iter().find(|r| r["state"] == state) {
                return r.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {state} record of {scan_ref}: {records:#?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A receiver that accepts connections and never answers; counts them.
struct Hole {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Hole {
    async fn start() -> Hole {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(socket);
            }
        });
        Hole { port, accepted }
    }

    fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/hook", self.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct GateState {
    open: AtomicBool,
    opened: Notify,
    /// Each webhook's (scanRef, Idenfy-Event-Type) in the order they arrived.
    got: Mutex<Vec<(String, String)>>,
    /// Requests that reached the receiver, answered or not yet.
    arrived: AtomicUsize,
    /// Each answer waits this long once the gate is open.
    delay_ms: AtomicUsize,
}

/// A receiver that holds every request until it is opened, then answers
/// 200 (after `delay_ms`); records what it got in order.
struct Gate {
    url: String,
    state: Arc<GateState>,
}

impl Gate {
    async fn start(open: bool, delay_ms: usize) -> Gate {
        let state = Arc::new(GateState::default());
        state.open.store(open, Ordering::SeqCst);
        state.delay_ms.store(delay_ms, Ordering::SeqCst);
        let app = Router::new()
            .route("/hook", post(gated))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Gate { url, state }
    }

    fn open(&self) {
        self.state.open.store(true, Ordering::SeqCst);
        self.state.opened.notify_waiters();
    }

    fn got(&self) -> Vec<(String, String)> {
        self.state.got.lock().unwrap().clone()
    }

    fn arrived(&self) -> usize {
        self.state.arrived.load(Ordering::SeqCst)
    }

    /// Polls until `n` webhooks were answered (20 s).
    async fn until_got(&self, n: usize) -> Vec<(String, String)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} webhooks, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn gated(
    State(state): State<Arc<GateState>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> &'static str {
    state.arrived.fetch_add(1, Ordering::SeqCst);
    loop {
        let opened = state.opened.notified();
        tokio::pin!(opened);
        opened.as_mut().enable();
        if state.open.load(Ordering::SeqCst) {
            break;
        }
        opened.await;
    }
    let ms = state.delay_ms.load(Ordering::SeqCst);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    let scan_ref = v["scanRef"].as_str().unwrap_or_default().to_owned();
    let event = headers
        .get("idenfy-event-type")
        .and_then(|e| e.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state.got.lock().unwrap().push((scan_ref, event));
    "ok"
}

/// Polls `check` (async) until it holds or `secs` pass.
async fn until(what: &str, secs: u64, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// Point 3: two stuck receivers, and one receiver under two names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_receivers_leave_a_healthy_one_its_permits_and_one_receiver_counts_once() {
    let (a, b) = (Hole::start().await, Hole::start().await);
    let healthy = Gate::start(true, 0).await;
    // Defaults: 64 in flight, 32 per target. A stuck attempt times out only
    // after 20 s.
    let m = Bin::start("stuck", "[webhooks]\ntimeout_secs = 20\nretries = 0\n");
    for _ in 0..40 {
        m.dummy(&a.url("127.0.0.1")).await;
        m.dummy(&a.url("localhost")).await;
        m.dummy(&b.url("127.0.0.1")).await;
    }
    until("both stuck receivers holding their share", 10, async || {
        a.accepted() >= 32 && b.accepted() >= 32
    })
    .await;
    let started = Instant::now();
    let s = m.dummy(&healthy.url).await;
    m.until_state(&s, "delivered").await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the healthy receiver's webhook took {took:?}"
    );
    assert_eq!(
        a.accepted(),
        32,
        "127.0.0.1 and localhost are one receiver: 32 attempts at once, not 64"
    );
    assert_eq!(b.accepted(), 32);
}

// Point 3, "whatever number of targets are stuck": more stuck attempts than
// there are places for slow ones (four per active place) are given up, not
// left holding the active places.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_stuck_receivers_than_slow_places_still_leave_a_healthy_one_served() {
    let mut holes = Vec::new();
    for _ in 0..5 {
        holes.push(Hole::start().await);
    }
    let healthy = Gate::start(true, 0).await;
    // 2 active places and 8 for slow attempts; 2 per receiver: four stuck
    // receivers fill the slow places, a fifth would hold both active ones
    // for the whole 20 s timeout.
    let m = Bin::start(
        "many-stuck",
        "[webhooks]\ntimeout_secs = 20\nretries = 0\nmax_in_flight = 2\n\
         max_in_flight_per_target = 2\n",
    );
    let mut stuck = Vec::new();
    for hole in &holes {
        for _ in 0..2 {
            stuck.push(m.dummy(&hole.url("127.0.0.1")).await);
        }
    }
    until("every stuck receiver reached twice", 10, async || {
        holes.iter().all(|h| h.accepted() >= 2)
    })
    .await;
    let started = Instant::now();
    let s = m.dummy(&healthy.url).await;
    m.until_state(&s, "delivered").await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the healthy receiver's webhook took {took:?}"
    );
    // The attempts given up say why, in the journal.
    let mut given_up = 0;
    for scan_ref in &stuck {
        for r in m.records(scan_ref).await {
            let errors = r["attempts"].as_array().cloned().unwrap_or_default();
            given_up += errors
                .iter()
                .filter(|a| {
                    a["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("places for slow receivers"))
                })
                .count();
        }
    }
    assert!(
        given_up >= 1,
        "no attempt was given up for want of a slow place"
    );
}

// Point 3: a reset cancels what was queued before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_cancels_the_webhooks_queued_before_it() {
    let gate = Gate::start(false, 0).await;
    let m = Bin::start(
        "reset",
        "[webhooks]\nretries = 0\nmax_in_flight_per_target = 1\n",
    );
    for _ in 0..6 {
        m.dummy(&gate.url).await;
    }
    // One attempt reached the receiver; five wait behind it.
    until("the first attempt", 10, async || gate.arrived() == 1).await;
    let (status, _) = m.control_post("/_mock/reset", json!({})).await;
    assert_eq!(status, 200);
    gate.open();
    let after = m.dummy(&gate.url).await;
    m.until_state(&after, "delivered").await;
    let got: Vec<String> = gate.got().into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        got.len(),
        2,
        "only the attempt under way at the reset and the new token's webhook: {got:?}"
    );
    assert_eq!(got[1], after);
}

// Point 3: an import fences the jobs queued before it, and keeps what is
// created while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_fences_earlier_jobs_and_keeps_tokens_made_meanwhile() {
    // A snapshot from another run: 300 verifications whose webhooks went
    // nowhere (journal ids 1..=300, settled).
    let seed = Bin::start("import-seed", "[webhooks]\nretries = 0\n");
    for _ in 0..300 {
        let (status, _) = seed
            .token(json!({"clientId": "seed", "dummyStatus": "DENIED"}))
            .await;
        assert_eq!(status, 201);
    }
    let snapshot = seed.get("/_mock/snapshot").await;
    let seeded: Vec<Value> = snapshot["webhooks"].as_array().unwrap().clone();
    assert_eq!(seeded.len(), 300);

    let gate = Gate::start(false, 0).await;
    let m = Bin::start(
        "import",
        "[webhooks]\nretries = 0\nmax_in_flight_per_target = 1\n",
    );
    // Ids 1..=5 here too: one attempt under way, four queued.
    for _ in 0..5 {
        m.dummy(&gate.url).await;
    }
    until("the first attempt", 10, async || gate.arrived() == 1).await;
    // Tokens made before, while and after the import runs.
    let imported = Arc::new(AtomicBool::new(false));
    let made = {
        let (http, base, imported) = (m.http.clone(), m.base.clone(), imported.clone());
        tokio::spawn(async move {
            let mut made = Vec::new();
            let mut after = 0;
            for i in 0.. {
                if imported.load(Ordering::SeqCst) {
                    after += 1;
                    if after > 10 {
                        break;
                    }
                }
                let r = http
                    .post(format!("{base}/api/v2/token"))
                    .basic_auth(AUTH.0, Some(AUTH.1))
                    .json(&json!({"clientId": format!("during-{i}"), "dummyStatus": "APPROVED"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.unwrap();
                made.push(v["scanRef"].as_str().unwrap().to_owned());
            }
            made
        })
    };
    let (status, body) = m.control_post("/_mock/snapshot", snapshot).await;
    assert_eq!(status, 200, "{body}");
    imported.store(true, Ordering::SeqCst);
    let made = made.await.unwrap();
    gate.open();
    let after = m.dummy(&gate.url).await;
    m.until_state(&after, "delivered").await;

    // The restored records are as the snapshot had them: no job of this
    // run settled them or added an attempt.
    for r in &seeded {
        let id = r["id"].as_u64().unwrap();
        let now = m.get(&format!("/_mock/webhooks/{id}")).await;
        assert_eq!(now["scanRef"], r["scanRef"], "record {id}");
        assert_eq!(now["state"], r["state"], "record {id}");
        assert_eq!(now["attempts"], r["attempts"], "record {id}");
    }
    // Each token made while the import ran is kept whole (its verification
    // and its journal entry) when it came after the import began, or gone
    // whole when it came before: never one without the other.
    let mut kept = 0;
    for s in &made {
        let records = m.records(s).await.len();
        let v = m
            .http
            .get(format!("{}/_mock/verifications/{s}", m.base))
            .send()
            .await
            .unwrap()
            .status();
        match (v.as_u16(), records) {
            (200, 1) => kept += 1,
            (404, 0) => {}
            other => panic!(
                "{s}: verification {} with {} journal entries",
                other.0, other.1
            ),
        }
    }
    assert!(kept >= 10, "{kept} of {} kept", made.len());
    // The jobs queued before the import sent nothing after it.
    let got: Vec<String> = gate.got().into_iter().map(|(s, _)| s).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], after);
}

// Point 3: the page waits for a final webhook stuck behind a backlog, and
// past its cap says "still processing" instead of guessing success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_webhook_behind_a_backlog_is_not_guessed_delivered() {
    let hole = Hole::start().await;
    // Each attempt times out after 1 s; the page's cap is 2 × 1 + 10 = 12 s,
    // and 15 webhooks wait ahead of the final one, one at a time.
    let m = Bin::start(
        "backlog",
        "[webhooks]\ntimeout_secs = 1\nretries = 0\nmax_in_flight_per_target = 1\n",
    );
    for _ in 0..15 {
        m.dummy(&hole.url("127.0.0.1")).await;
    }
    let (status, t) = m
        .token(
            json!({"clientId": "page", "callbackUrl": hole.url("127.0.0.1"),
            "successUrl": "https://app.test/ok", "errorUrl": "https://app.test/error"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let page = no_redirects()
        .post(format!("{}/ui/finish", m.base))
        .form(&[
            ("authToken", t["authToken"].as_str().unwrap()),
            ("outcome", "approve"),
        ])
        .send()
        .await
        .unwrap();
    let location = page
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_ne!(
        location.as_deref(),
        Some("https://app.test/ok"),
        "sent to successUrl while the final webhook was still pending"
    );
    assert_eq!(page.status(), 202);
    let html = page.text().await.unwrap();
    assert!(html.contains("Still processing"), "{html}");
    let records = m.records(t["scanRef"].as_str().unwrap()).await;
    assert_eq!(records[0]["state"], "pending");
}

// Point 3: a full queue makes requests wait, then refuses them (429 with
// iDenfy's body) before anything is made; no pending record is evicted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_with_429_before_anything_is_made_and_evicts_nothing() {
    let hole = Hole::start().await;
    let m = Bin::start(
        "full",
        "[webhooks]\ntimeout_secs = 30\nretries = 0\njournal_capacity = 20\nmax_pending = 20\n\
         max_pending_per_target = 20\n",
    );
    let mut refs = Vec::new();
    for _ in 0..20 {
        refs.push(m.dummy(&hole.url("127.0.0.1")).await);
    }
    let before = m.get("/_mock/stats").await;
    let started = Instant::now();
    let (status, body) = m
        .token(json!({"clientId": "over", "dummyStatus": "APPROVED",
            "callbackUrl": hole.url("127.0.0.1")}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "it waited for room first"
    );
    assert_eq!(body["identifier"], "TOO_MANY_REQUESTS", "{body}");
    assert_eq!(body["severity"], "NOT_SEVERE", "{body}");
    assert!(body["message"].as_str().unwrap().contains("webhooks"));
    let after = m.get("/_mock/stats").await;
    assert_eq!(
        after["verifications"]["stored"], before["verifications"]["stored"],
        "nothing created"
    );
    let page = m.get("/_mock/webhooks?state=any&limit=100").await;
    assert_eq!(
        page["total"], 20,
        "nothing journaled for it, nothing evicted"
    );
    let pending = m.get("/_mock/webhooks?state=pending&limit=100").await;
    assert_eq!(pending["total"], 20);
    assert_eq!(after["webhooks"]["pending"], 20);
    assert_eq!(after["webhooks"]["dropped"], 0);
}

// Point 3: webhooks a `reorder` fault holds back count as pending, are
// released when the fault ends, and go out in the shutdown drain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_webhooks_count_as_pending_and_are_released() {
    let gate = Gate::start(true, 0).await;
    let mut m = Bin::start(
        "reorder",
        &format!("[webhooks]\nretries = 0\nurl = \"{}\"\n", gate.url),
    );
    let (status, _) = m
        .control_post(
            "/_mock/faults",
            json!({"target": "webhook", "times": 0, "action": {"type": "reorder"}}),
        )
        .await;
    assert_eq!(status, 201);
    let mut refs = Vec::new();
    for _ in 0..3 {
        let (status, t) = m
            .token(json!({"clientId": "c", "dummyStatus": "APPROVED"}))
            .await;
        assert_eq!(status, 201);
        refs.push(t["scanRef"].as_str().unwrap().to_owned());
    }
    let stats = m.get("/_mock/stats").await;
    assert_eq!(stats["webhooks"]["held"], 3, "{stats}");
    assert_eq!(stats["webhooks"]["pending"], 3, "held ones are pending");
    // The fault ends: they go out.
    let r = m
        .http
        .delete(format!("{}/_mock/faults", m.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for s in &refs {
        m.until_state(s, "delivered").await;
    }
    assert_eq!(m.get("/_mock/stats").await["webhooks"]["held"], 0);

    // Held at shutdown: sent in the drain.
    let (status, _) = m
        .control_post(
            "/_mock/faults",
            json!({"target": "webhook", "action": {"type": "reorder"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, t) = m
        .token(json!({"clientId": "last", "dummyStatus": "APPROVED"}))
        .await;
    assert_eq!(status, 201);
    let last = t["scanRef"].as_str().unwrap().to_owned();
    m.proc.signal("TERM");
    let (code, printed) = m.proc.exit();
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        gate.got().iter().any(|(s, _)| *s == last),
        "the held webhook went out in the drain"
    );
}

// Done when: a burst beyond max_pending to one slow receiver gets every
// token answered, every webhook delivered, each verification's in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_bound_waits_and_every_webhook_arrives_in_order() {
    let slow = Gate::start(true, 20).await;
    let bin = Bin::start(
        "burst",
        "[webhooks]\nretries = 0\nmax_pending_per_target = 4\nmax_in_flight_per_target = 2\n",
    );
    let m = bin.api.clone();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (m, url) = (m.clone(), slow.url.clone());
        tasks.push(tokio::spawn(async move {
            let mut refs = Vec::new();
            for i in 0..5 {
                let (status, t) = m
                    .token(
                        json!({"clientId": format!("b{worker}-{i}"), "dummyStatus": "SUSPECTED",
                        "callbackUrl": url}),
                    )
                    .await;
                assert_eq!(status, 201, "{t}");
                let s = t["scanRef"].as_str().unwrap().to_owned();
                let r = m
                    .http
                    .post(format!("{}/api/v2/add-dummy-status", m.base))
                    .basic_auth(AUTH.0, Some(AUTH.1))
                    .json(&json!({"scanRef": s, "manualFaceMatchResult": "FACE_MATCH",
                        "manualDocumentValidity": "DOC_VALIDATED"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                refs.push(s);
            }
            refs
        }));
    }
    let mut refs = Vec::new();
    for t in tasks {
        refs.extend(t.await.unwrap());
    }
    let got = slow.until_got(80).await;
    assert_eq!(got.len(), 80);
    for s in &refs {
        let order: Vec<&str> = got
            .iter()
            .filter(|(r, _)| r == s)
            .map(|(_, e)| e.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "IDENTIFICATION_AUTO_FINISHED",
                "IDENTIFICATION_MANUAL_FINISHED"
            ],
            "{s}"
        );
    }
    // The receiver sees the last webhook before the mock has read its
    // answer, so the counters settle a moment later.
    until("nothing pending or waiting", 10, async || {
        let stats = m.get("/_mock/stats").await;
        stats["webhooks"]["pending"] == 0 && stats["webhooks"]["waiting"] == 0
    })
    .await;
}

// Done when: a stuck target's backpressure does not slow tokens whose
// webhooks go elsewhere, and a replay to it waits like a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_targets_backpressure_leaves_other_targets_alone() {
    let hole = Hole::start().await;
    let healthy = Gate::start(true, 0).await;
    let bin = Bin::start(
        "isolated",
        "[webhooks]\ntimeout_secs = 30\nretries = 0\nmax_pending_per_target = 3\n\
         enqueue_wait_ms = 3000\n",
    );
    let m = bin.api.clone();
    let mut stuck = Vec::new();
    for _ in 0..3 {
        stuck.push(m.dummy(&hole.url("127.0.0.1")).await);
    }
    let waiting = {
        let (m, url) = (m.clone(), hole.url("localhost"));
        tokio::spawn(async move {
            m.token(json!({"clientId": "w", "dummyStatus": "APPROVED", "callbackUrl": url}))
                .await
        })
    };
    until("a request waiting for room", 10, async || {
        m.get("/_mock/stats").await["webhooks"]["waiting"] == 1
    })
    .await;
    for _ in 0..10 {
        let started = Instant::now();
        let s = m.dummy(&healthy.url).await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "a token to another target took {:?}",
            started.elapsed()
        );
        m.until_state(&s, "delivered").await;
    }
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["identifier"], "TOO_MANY_REQUESTS");
    // A replay to the full target waits and is refused the same way.
    let id = m.records(&stuck[0]).await[0]["id"].as_u64().unwrap();
    let (status, body) = m
        .control_post(&format!("/_mock/webhooks/{id}/replay"), json!({}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(m.get("/_mock/stats").await["webhooks"]["waiting"], 0);
}

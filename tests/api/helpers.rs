//! Test harness: the real server on a random loopback port, a real webhook
//! receiver (a small axum server), and polling with a deadline instead of sleeps.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use idenfy_mock::{DeliveryState, EventType, MockServer, WebhookFilter as Filter, WebhookRecord};
use serde_json::Value;
use tokio::sync::Notify;

pub const DEV: (&str, &str) = ("dev-key", "dev-secret");
pub const DEV_SIGNING_KEY: &str = "dev-signing-key";
pub const DEV2: (&str, &str) = ("dev2-key", "dev2-secret");
pub const TEST: (&str, &str) = ("test-key", "test-secret");
pub const PROD: (&str, &str) = ("prod-key", "prod-secret");
pub const DEMO: (&str, &str) = ("demo-key", "demo-secret");
pub const INACTIVE: (&str, &str) = ("inactive-key", "inactive-secret");
pub const BROKE: (&str, &str) = ("broke-key", "broke-secret");
pub const LIMITED: (&str, &str) = ("limited-key", "limited-secret");
pub const NO_CALLBACK: (&str, &str) = ("nocb-key", "nocb-secret");
pub const THROTTLED: (&str, &str) = ("throttled-key", "throttled-secret");
pub const UNSIGNED: (&str, &str) = ("unsigned-key", "unsigned-secret");

/// Partners for every check the API makes. `{hook}` is the receiver's URL
/// (or empty).
fn partners_toml(hook: &str) -> String {
    format!(
        r#"
[[partners]]
api_key = "dev-key"
api_secret = "dev-secret"
signing_key = "dev-signing-key"
webhook_url = "{hook}"
[[partners]]
api_key = "dev2-key"
api_secret = "dev2-secret"
signing_key = "dev2-signing-key"
webhook_url = "{hook}"
[[partners]]
api_key = "test-key"
api_secret = "test-secret"
environment = "TEST"
[[partners]]
api_key = "prod-key"
api_secret = "prod-secret"
environment = "PROD"
[[partners]]
api_key = "demo-key"
api_secret = "demo-secret"
environment = "DEMO"
[[partners]]
api_key = "inactive-key"
api_secret = "inactive-secret"
active = false
[[partners]]
api_key = "broke-key"
api_secret = "broke-secret"
funds = false
[[partners]]
api_key = "limited-key"
api_secret = "limited-secret"
credits = 2
[[partners]]
api_key = "nocb-key"
api_secret = "nocb-secret"
allow_callback_url = false
webhook_url = "{hook}"
[[partners]]
api_key = "throttled-key"
api_secret = "throttled-secret"
rate_limit_per_hour = 3
[[partners]]
api_key = "unsigned-key"
api_secret = "unsigned-secret"
webhook_url = "{hook}"
"#
    )
}

/// A configuration, as TOML layers over the embedded defaults.
pub struct Setup {
    layers: Vec<String>,
}

impl Setup {
    /// Exactly `toml` over the embedded defaults (no test partners).
    pub fn toml(toml: &str) -> Setup {
        Setup {
            layers: vec![toml.to_owned()],
        }
    }
}

/// A config on a free loopback port with the test partners; `extra` is TOML
/// merged on top.
pub fn config(hook: &str, extra: &str) -> Setup {
    let base = format!(
        "listen = '127.0.0.1:0'\n[webhooks]\nretry_delay_ms = 20\ntimeout_secs = 2\n{}",
        partners_toml(hook)
    );
    Setup {
        layers: vec![base, extra.to_owned()],
    }
}

/// A client that does not follow redirects, to read a `Location` header.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// POSTs the verification page's form for `token`; the status and the
/// `Location` header.
pub async fn finish_page(m: &Mock, token: &str, fields: &[(&str, &str)]) -> (u16, Option<String>) {
    let mut form = vec![("authToken", token)];
    form.extend_from_slice(fields);
    let resp = no_redirects()
        .post(m.url("/ui/finish"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (resp.status().as_u16(), location)
}

pub struct Mock {
    pub server: MockServer,
    pub http: reqwest::Client,
}

impl Mock {
    pub async fn start(setup: Setup) -> Mock {
        let builder = setup
            .layers
            .into_iter()
            .fold(MockServer::builder(), |b, layer| b.toml(layer));
        Mock {
            server: builder.start().await,
            http: reqwest::Client::new(),
        }
    }

    /// With the test partners and no webhook receiver.
    pub async fn plain() -> Mock {
        Self::start(config("", "")).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    /// POSTs `body` as JSON with Basic auth; returns the status and the
    /// parsed body (`Value::Null` for an empty one).
    pub async fn post(&self, path: &str, auth: (&str, &str), body: Value) -> (StatusCode, Value) {
        self.post_raw(
            path,
            Some(auth),
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        auth: Option<(&str, &str)>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).body(body);
        if let Some((k, s)) = auth {
            req = req.basic_auth(k, Some(s));
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let resp = req.send().await.expect("request sent");
        parse(resp).await
    }

    /// Waits (up to 10 s) for a webhook matching `filter` to settle (or to
    /// be in the state it names).
    pub async fn wait_journal(&self, filter: Filter) -> WebhookRecord {
        self.server
            .wait_for_webhook(filter, Duration::from_secs(10))
            .await
            .expect("a matching webhook within 10 s")
    }

    /// Polls `GET /_mock/stats` until `check` holds, for up to 10 s.
    pub async fn stats_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let stats = self.stats().await;
            if check(&stats) {
                return stats;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {stats}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// `GET /_mock/stats`: what is stored, with its bounds.
    pub async fn stats(&self) -> Value {
        let (status, stats) = self.cget("/_mock/stats").await;
        assert_eq!(status, StatusCode::OK, "{stats}");
        stats
    }

    /// GET a control-API path; returns status and JSON.
    pub async fn cget(&self, path: &str) -> (StatusCode, Value) {
        parse(self.get(path).await).await
    }

    /// POST JSON to a control-API path (no Basic auth).
    pub async fn cpost(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .await
            .expect("request sent");
        parse(resp).await
    }

    /// DELETE a control-API path.
    pub async fn cdelete(&self, path: &str) -> StatusCode {
        let resp = self
            .http
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent");
        StatusCode::from_u16(resp.status().as_u16()).unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a token for `auth`; panics unless 201.
    pub async fn token(&self, auth: (&str, &str), body: Value) -> Value {
        let (status, json) = self.post("/api/v2/token", auth, body).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json
    }
}

pub async fn parse(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let bytes = resp.bytes().await.expect("body read");
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, json)
}

/// Asserts iDenfy's four-key error envelope.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, identifier: &str, message_part: &str) {
    let (s, body) = got;
    assert_eq!(s.as_u16(), status, "status for {body}");
    let obj = body
        .as_object()
        .unwrap_or_else(|| panic!("envelope is an object: {body}"));
    assert_eq!(obj.len(), 4, "exactly four keys: {body}");
    assert_eq!(body["identifier"], identifier, "{body}");
    assert_eq!(body["documentation"], "https://documentation.idenfy.com");
    assert_eq!(body["severity"], "NOT_SEVERE");
    let message = body["message"].as_str().expect("message is a string");
    assert!(
        message.contains(message_part),
        "message {message:?} should contain {message_part:?}"
    );
}

/// A journal filter on the delivery state alone.
pub fn in_state(state: DeliveryState) -> Filter {
    Filter::any().in_state(state)
}

/// A journal filter on the event alone.
pub fn of_event(event: EventType) -> Filter {
    Filter::any().event(event)
}

/// One webhook as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// Answer 500 to this many requests before accepting.
    fail_first: AtomicUsize,
    /// Every request, accepted or not.
    hits: AtomicUsize,
    /// Milliseconds to wait before answering the first request.
    first_delay_ms: AtomicUsize,
    changed: Notify,
}

/// A webhook receiver on a random loopback port.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, state }
    }

    /// The next `n` requests get 500.
    pub fn fail_next(&self, n: usize) {
        self.state.fail_first.store(n, Ordering::SeqCst);
    }

    /// The first request is answered only after `ms` milliseconds.
    pub fn delay_first(&self, ms: usize) {
        self.state.first_delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until at least `n` webhooks were accepted.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let changed = self.state.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("expected {n} webhooks within 10 s, got {}", got.len());
            }
        }
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let hit = state.hits.fetch_add(1, Ordering::SeqCst);
    if hit == 0 {
        let ms = state.first_delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        }
    }
    let failing = state
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        state.changed.notify_waiters();
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    state
        .received
        .lock()
        .unwrap()
        .push(Received { headers, body });
    state.changed.notify_waiters();
    StatusCode::OK
}

/// Polls `check` until it returns `Some` or 10 s pass.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The `idenfy-mock` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_idenfy-mock");

/// The binary [`Proc`] runs: [`BIN`], or `IDENFY_MOCK_TEST_BIN` to run the
/// black-box tests against another build (to see a new test fail on the
/// code before a fix).
fn bin() -> String {
    std::env::var("IDENFY_MOCK_TEST_BIN").unwrap_or_else(|_| BIN.to_owned())
}

/// The binary with `args`; its stdout and stderr are read on threads into one
/// channel of lines.
pub struct Proc {
    pub child: Child,
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Proc {
    pub fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new(bin())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(line);
            }
        });
        Proc { child, lines }
    }

    /// The address from the "listening on" line; panics with what was
    /// printed if the process exits or prints nothing like it within 10 s.
    pub fn address(&self) -> String {
        self.after("listening on ")
    }

    /// The first word after `marker` in the next line that has it; panics
    /// with what was printed if none comes within 10 s.
    pub fn after(&self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if let Some(rest) = line.split(marker).nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
            seen.push(line);
        }
        panic!("no {marker:?} line within 10 s; printed {seen:#?}");
    }

    /// Waits for the exit (panics after 15 s) and returns its code and
    /// everything printed.
    pub fn exit(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!("still running 15 s later");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut printed = String::new();
        // The pipes close with the process; collect what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            printed.push_str(&line);
            printed.push('\n');
        }
        (status.code(), printed)
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }
}

/// A test that fails half-way leaves no server behind.
impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

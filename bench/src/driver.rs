//! Drives a build of idenfy-mock and the reference server.
//!
//!     driver bench            the benchmark table (bench.rs)
//!     driver load [N]         the load and fault test, default N = 10000 (load.rs)
//!
//! Run from the repository root; `bench/run` and `bench/load` build both
//! packages and say which idenfy-mock binary to drive (`BENCH_MOCK`, default
//! `target/release/idenfy-mock`). The references are the `reference` and
//! `two_exchange` binaries beside this one, so all come from the same
//! profile. Everything listens on 127.0.0.1; every phase is bounded in count
//! and time and stops by itself.

mod bench;
mod load;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::serve::ListenerExt as _;
use axum::Router;
use serde_json::{json, Value};

pub const KEY: &str = "idenfy-mock-key";
pub const SECRET: &str = "idenfy-mock-secret";

pub type Result<T> = std::result::Result<T, String>;

/// The receiver takes webhooks up to this size: axum's default body limit,
/// as when it took its body through the `Bytes` extractor.
const RECEIVER_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The idenfy-mock binary the benchmark drives.
pub fn mock_bin() -> String {
    std::env::var("BENCH_MOCK").unwrap_or_else(|_| "target/release/idenfy-mock".into())
}

fn reference_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("reference")
}

fn two_exchange_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("two_exchange")
}

/// A child process, killed on drop.
pub struct Proc {
    child: Child,
    pub base: String,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size, KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident set size of a process, KiB (0 once it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A file in the temporary directory, named for this run.
pub fn temp_file(name: &str, contents: &str) -> Result<String> {
    let path =
        std::env::temp_dir().join(format!("idenfy-mock-bench-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).map_err(|e| e.to_string())?;
    Ok(path.display().to_string())
}

/// An earlier idenfy-mock binary to measure beside it (`BENCH_BEFORE`), for
/// before/after rows from one run.
pub fn before_bin() -> Option<String> {
    std::env::var("BENCH_BEFORE").ok().filter(|s| !s.is_empty())
}

pub fn spawn_mock(config: Option<&str>, extra: &[&str]) -> Result<Proc> {
    spawn_mock_bin(&mock_bin(), config, extra)
}

/// [`spawn_mock`] with another binary.
pub fn spawn_mock_bin(bin: &str, config: Option<&str>, extra: &[&str]) -> Result<Proc> {
    let bin = bin.to_owned();
    let port = free_port();
    // A refused configuration exits at once with a message; say it here
    // instead of timing out on a server that never started.
    let mut check = Command::new(&bin);
    check.args(extra).arg("--check-config");
    if let Some(c) = config {
        check.arg("--config").arg(c);
    }
    let checked = check
        .output()
        .map_err(|e| format!("cannot start {bin} (build it first): {e}"))?;
    if !checked.status.success() {
        return Err(format!(
            "{bin} refused its configuration: {}",
            String::from_utf8_lossy(&checked.stderr).trim()
        ));
    }
    let mut cmd = Command::new(&bin);
    cmd.arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let child = cmd
        .env(
            "RUST_LOG",
            std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {bin} (build it first): {e}"))?;
    Ok(Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// The reference server, answering every token creation with the contents of
/// `body_file` (a 201 captured from the mock, so both send the same bytes).
pub fn spawn_reference(body_file: Option<&str>) -> Result<Proc> {
    let bin = reference_bin();
    let port = free_port();
    let child = Command::new(&bin)
        .arg(format!("127.0.0.1:{port}"))
        .args(body_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {} (build it first): {e}", bin.display()))?;
    Ok(Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// The two-exchange reference: answers every token creation with the
/// contents of `body_file` and, in the background, POSTs the contents of
/// `hook_file` (a webhook captured from the mock) to `hook_url` with the
/// captured `Content-Type` and `Idenfy-Signature`, at most 64 in flight
/// through one pooled client.
pub fn spawn_two_exchange(
    body_file: &str,
    hook_file: &str,
    hook_url: &str,
    sample: &WebhookSample,
) -> Result<Proc> {
    let bin = two_exchange_bin();
    let port = free_port();
    let child = Command::new(&bin)
        .arg(format!("127.0.0.1:{port}"))
        .args([body_file, hook_file, hook_url])
        .arg(&sample.content_type)
        .arg(&sample.signature)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {} (build it first): {e}", bin.display()))?;
    Ok(Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// Creates a token; the answer's status and body text.
pub async fn post_token_raw(
    http: &reqwest::Client,
    base: &str,
    body: String,
) -> Result<(u16, String)> {
    let r = http
        .post(format!("{base}/api/v2/token"))
        .basic_auth(KEY, Some(SECRET))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| e.to_string())?;
    Ok((status, text))
}

/// Creates a token that must be accepted; its 201 body.
pub async fn post_token(http: &reqwest::Client, base: &str, body: &Value) -> Result<Value> {
    let (status, text) = post_token_raw(http, base, body.to_string()).await?;
    if status != 201 {
        return Err(format!(
            "token creation answered {status}: {}",
            cut(&text, 300)
        ));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// At most `n` bytes of `s`, for error messages.
pub fn cut(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Polls until the server creates a token; returns the time from `since`.
pub async fn until_first_201(
    http: &reqwest::Client,
    base: &str,
    since: Instant,
) -> Result<Duration> {
    let deadline = since + Duration::from_secs(10);
    loop {
        if post_token(http, base, &json!({"clientId": "first"}))
            .await
            .is_ok()
        {
            return Ok(since.elapsed());
        }
        if Instant::now() > deadline {
            return Err(format!("{base} did not answer within 10 s"));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// Sends `n` token creations from `workers` concurrent clients; counts the
/// answers per status, with 0 for a request that got no answer.
pub async fn create_many(
    base: &str,
    n: usize,
    workers: usize,
    body: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<HashMap<u16, u64>> {
    let http = http();
    let next = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, next, body, base) = (http.clone(), next.clone(), body.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut statuses: HashMap<u16, u64> = HashMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    return Ok::<_, String>(statuses);
                }
                let status = post_token_raw(&http, &base, body(i))
                    .await
                    .map_or(0, |(s, _)| s);
                *statuses.entry(status).or_default() += 1;
            }
        }));
    }
    let mut all = HashMap::new();
    for t in tasks {
        for (s, c) in t.await.map_err(|e| e.to_string())?? {
            *all.entry(s).or_default() += c;
        }
    }
    Ok(all)
}

pub async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value> {
    let r = http.get(url).send().await.map_err(|e| e.to_string())?;
    let text = r.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}: {}", cut(&text, 300)))
}

/// A webhook as the receiver got it: the body and the two headers the
/// two-exchange reference sends with its copy.
#[derive(Clone, Debug)]
pub struct WebhookSample {
    pub body: Bytes,
    pub content_type: String,
    pub signature: String,
}

/// The webhook receiver the benchmark points the mock at: answers 200 to any
/// POST, counts them and the TCP connections it accepts, and while `record`
/// is on notes when the first webhook of each scanRef arrived (bounded: only
/// the latency phase turns it on). While `keep_samples` is on it keeps the
/// first `MAX_SAMPLES` webhooks it gets.
#[derive(Default)]
pub struct Receiver {
    pub hits: AtomicU64,
    pub connections: AtomicU64,
    pub record: AtomicBool,
    pub arrivals: Mutex<HashMap<String, Instant>>,
    pub keep_samples: AtomicBool,
    pub samples: Mutex<Vec<WebhookSample>>,
}

/// Webhooks the receiver keeps while `keep_samples` is on.
const MAX_SAMPLES: usize = 16;

impl Receiver {
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// TCP connections accepted since the last reset.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.hits.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Relaxed);
        self.record.store(false, Ordering::Relaxed);
        if let Ok(mut a) = self.arrivals.lock() {
            a.clear();
        }
    }

    pub fn arrival(&self, scan_ref: &str) -> Option<Instant> {
        self.arrivals
            .lock()
            .ok()
            .and_then(|a| a.get(scan_ref).copied())
    }
}

async fn receive(State(r): State<Arc<Receiver>>, request: Request) -> StatusCode {
    let now = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, RECEIVER_BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE;
    };
    r.hits.fetch_add(1, Ordering::Relaxed);
    if r.keep_samples.load(Ordering::Relaxed) {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if let Ok(mut s) = r.samples.lock() {
            if s.len() < MAX_SAMPLES {
                s.push(WebhookSample {
                    body: body.clone(),
                    content_type: header("content-type"),
                    signature: header("idenfy-signature"),
                });
            }
        }
    }
    if r.record.load(Ordering::Relaxed) {
        let scan_ref = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["scanRef"].as_str().map(str::to_owned));
        if let (Some(s), Ok(mut a)) = (scan_ref, r.arrivals.lock()) {
            a.entry(s).or_insert(now);
        }
    }
    StatusCode::OK
}

/// Starts the receiver on a free loopback port; its URL for `--webhook-url`.
pub async fn start_receiver() -> Result<(Arc<Receiver>, String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let state = Arc::new(Receiver::default());
    let app = Router::new().fallback(receive).with_state(state.clone());
    let counted = state.clone();
    let listener = listener.tap_io(move |_| {
        counted.connections.fetch_add(1, Ordering::Relaxed);
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((state, format!("http://127.0.0.1:{port}/hook"), task))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("load") => {
            load::load(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000)).await
        }
        // The seed workload's wrk script, for bench/instructions.
        Some("seed-lua") => {
            print!("{}", bench::seed_lua_script());
            Ok(true)
        }
        // The receiver alone, for profiling the mock by hand: prints its URL,
        // serves for SECS (default 120), then prints what it received.
        Some("receiver") => {
            let secs = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(120);
            match start_receiver().await {
                Ok((r, url, _task)) => {
                    println!("{url}");
                    // A line a second, so it can be stopped at any time.
                    for _ in 0..secs {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        println!("webhooks {} connections {}", r.hits(), r.connections());
                    }
                    Ok(true)
                }
                Err(e) => Err(e),
            }
        }
        _ => bench::bench().await,
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("driver: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

//! Drives the release build of idenfy-mock and the reference server.
//!
//!     driver bench            the benchmark table (wrk for throughput and latency)
//!     driver load [N]         the load and fault test (default N = 10000)
//!
//! Run from the repository root, after `cargo build --release` of both
//! packages (`bench/run` and `bench/load` do that). Everything listens on
//! 127.0.0.1; every phase is bounded in time and stops by itself.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

const MOCK: &str = "target/release/idenfy-mock";
const REFERENCE: &str = "bench/target/release/reference";
const KEY: &str = "idenfy-mock-key";
const SECRET: &str = "idenfy-mock-secret";

type Result<T> = std::result::Result<T, String>;

/// A child process, killed on drop.
struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size, KiB.
    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn config_file(name: &str, toml: &str) -> Result<String> {
    let path = std::env::temp_dir().join(format!("idenfy-mock-bench-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, toml).map_err(|e| e.to_string())?;
    Ok(path.display().to_string())
}

fn spawn_mock(config: Option<&str>, extra: &[&str]) -> Result<Proc> {
    let port = free_port();
    let mut cmd = Command::new(MOCK);
    cmd.arg("--listen").arg(format!("127.0.0.1:{port}")).args(extra);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let child = cmd
        .env("RUST_LOG", std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {MOCK} (build it first): {e}"))?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}") })
}

fn spawn_reference() -> Result<Proc> {
    let port = free_port();
    let child = Command::new(REFERENCE)
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {REFERENCE} (build it first): {e}"))?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}") })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(128).build().unwrap_or_default()
}

async fn post_token(http: &reqwest::Client, base: &str, body: &Value) -> Result<Value> {
    let r = http
        .post(format!("{base}/api/v2/token"))
        .basic_auth(KEY, Some(SECRET))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("token creation answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Polls until the server creates a token; returns the time from `since`.
async fn until_first_201(http: &reqwest::Client, base: &str, since: Instant) -> Result<Duration> {
    let deadline = since + Duration::from_secs(10);
    loop {
        if post_token(http, base, &json!({"clientId": "first"})).await.is_ok() {
            return Ok(since.elapsed());
        }
        if Instant::now() > deadline {
            return Err(format!("{base} did not answer within 10 s"));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn lua(path: &str, body: &str) -> Result<String> {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    let script = format!(
        "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Basic {auth}\"\n"
    );
    let file = std::env::temp_dir().join(format!("idenfy-mock-bench-{}-{path}.lua", std::process::id()));
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    Ok(file.display().to_string())
}

fn wrk(url: &str, script: &str, connections: u32, secs: u32) -> Result<Wrk> {
    let threads = connections.min(2);
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{secs}s"), "--latency", "-s", script, url])
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let find = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).or_else(|| l.split(':').nth(1)))
            .map(|s| s.trim().to_owned())
    };
    let ms = |v: &str| -> f64 {
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
        let n: f64 = num.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => f64::NAN,
        }
    };
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("wrk printed no rate:\n{text}"))?;
    let non_2xx = text
        .lines()
        .find(|l| l.trim_start().starts_with("Non-2xx"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Wrk {
        rps,
        p50_ms: find("50%").map_or(f64::NAN, |v| ms(&v)),
        p99_ms: find("99%").map_or(f64::NAN, |v| ms(&v)),
        non_2xx,
    })
}

async fn create_many(base: &str, n: usize, workers: usize, body: impl Fn(usize) -> Value + Send + Sync + 'static) -> Result<()> {
    let http = http();
    let next = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, next, body, base) = (http.clone(), next.clone(), body.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    return Ok::<(), String>(());
                }
                post_token(&http, &base, &body(i)).await?;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value> {
    let r = http.get(url).send().await.map_err(|e| e.to_string())?;
    let text = r.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}: {text}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Row {
    metric: String,
    mock: String,
    reference: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

fn row(metric: &str, mock: String, reference: String, ratio: String, target: &str, met: Option<bool>) -> Row {
    Row { metric: metric.into(), mock, reference, ratio, target: target.into(), met }
}

async fn bench() -> Result<bool> {
    let http = http();
    let secs: u32 = std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let big = config_file("big", "[store]\nmax_verifications = 5000000\n[webhooks]\njournal_capacity = 200000\n")?;
    let mut rows = Vec::new();

    // Start-up: process start to the first 201, median of 10.
    let mut mock_start = Vec::new();
    let mut ref_start = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let m = spawn_mock(None, &[])?;
        mock_start.push(until_first_201(&http, &m.base, t).await?.as_secs_f64() * 1000.0);
        let t = Instant::now();
        let r = spawn_reference()?;
        ref_start.push(until_first_201(&http, &r.base, t).await?.as_secs_f64() * 1000.0);
    }
    let (ms, rs) = (median(mock_start), median(ref_start));
    rows.push(row("start to first 201 (median of 10)", format!("{ms:.1} ms"), format!("{rs:.1} ms"), format!("{:.2}×", ms / rs), "≤ 20 ms", Some(ms <= 20.0)));

    // Throughput and latency with the default configuration (store capped at
    // 100,000, evicting the oldest): BENCH_UNBOUNDED=1 lifts the cap instead.
    let unbounded = std::env::var_os("BENCH_UNBOUNDED").is_some();
    let mock = spawn_mock(unbounded.then_some(big.as_str()), &[])?;
    let reference = spawn_reference()?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    until_first_201(&http, &reference.base, Instant::now()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_mock, idle_ref) = (mock.rss_kib(), reference.rss_kib());
    rows.push(row("idle RSS", format!("{:.1} MB", idle_mock as f64 / 1024.0), format!("{:.1} MB", idle_ref as f64 / 1024.0),
        format!("{:.2}×", idle_mock as f64 / idle_ref as f64), "< 10 MB", Some(idle_mock < 10 * 1024)));

    let token = lua("token", r#"{"clientId":"bench-user","firstName":"John","lastName":"Smith"}"#)?;
    for conns in [1u32, 64] {
        let r = wrk(&format!("{}/api/v2/token", reference.base), &token, conns, secs)?;
        let m = wrk(&format!("{}/api/v2/token", mock.base), &token, conns, secs)?;
        if m.non_2xx > 0 || r.non_2xx > 0 {
            return Err(format!("token creation had non-2xx answers: mock {}, reference {}", m.non_2xx, r.non_2xx));
        }
        let ratio = m.rps / r.rps;
        let target = if conns == 64 { "≥ 0.8× reference" } else { "" };
        rows.push(row(&format!("token creation, c={conns}: req/s"), format!("{:.0}", m.rps), format!("{:.0}", r.rps),
            format!("{ratio:.2}×"), target, (conns == 64).then_some(ratio >= 0.8)));
        rows.push(row(&format!("token creation, c={conns}: p50"), format!("{:.2} ms", m.p50_ms), format!("{:.2} ms", r.p50_ms),
            format!("{:.2}×", m.p50_ms / r.p50_ms), "", None));
        let p99_ratio = m.p99_ms / r.p99_ms;
        rows.push(row(&format!("token creation, c={conns}: p99"), format!("{:.2} ms", m.p99_ms), format!("{:.2} ms", r.p99_ms),
            format!("{p99_ratio:.2}×"), if conns == 64 { "≤ 2× reference" } else { "" }, (conns == 64).then_some(p99_ratio <= 2.0)));
    }
    let ref_rps_64 = wrk(&format!("{}/api/v2/token", reference.base), &token, 64, secs)?.rps;

    let sr = post_token(&http, &mock.base, &json!({"clientId": "reads", "dummyStatus": "APPROVED"})).await?["scanRef"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let status = lua("status", &format!(r#"{{"scanRef":"{sr}"}}"#))?;
    let s = wrk(&format!("{}/api/v2/status", mock.base), &status, 64, secs)?;
    rows.push(row("status, c=64: req/s", format!("{:.0}", s.rps), format!("({ref_rps_64:.0} token)"), format!("{:.2}×", s.rps / ref_rps_64), "", None));
    let manual = lua("manual", &format!(r#"{{"scanRef":"{sr}","manualFaceMatchResult":"FACE_MATCH","manualDocumentValidity":"DOC_VALIDATED"}}"#))?;
    let a = wrk(&format!("{}/api/v2/add-dummy-status", mock.base), &manual, 64, secs)?;
    rows.push(row("add-dummy-status, c=64: req/s", format!("{:.0}", a.rps), format!("({ref_rps_64:.0} token)"), format!("{:.2}×", a.rps / ref_rps_64), "", None));
    if s.non_2xx > 0 || a.non_2xx > 0 {
        return Err("status or add-dummy-status had non-2xx answers".into());
    }
    drop(mock);

    // Memory per stored verification.
    let mock = spawn_mock(Some(&big), &[])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let before = mock.rss_kib();
    create_many(&mock.base, 100_000, 32, |i| json!({"clientId": format!("user-{i}"), "firstName": "John", "lastName": "Smith"})).await?;
    let after = mock.rss_kib();
    let per = (after.saturating_sub(before) as f64 * 1024.0) / 100_000.0;
    rows.push(row("RSS growth per stored verification (100,000 tokens)", format!("{per:.0} B"), String::new(), String::new(),
        "≤ 1.5 KB", Some(per <= 1536.0)));
    drop(mock);

    // Webhook deliveries while tokens are created at full speed.
    let receiver = spawn_reference()?;
    until_first_201(&http, &receiver.base, Instant::now()).await?;
    let hook = format!("{}/hook", receiver.base);
    let mock = spawn_mock(Some(&big), &["--webhook-url", &hook])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let n: u64 = 30_000;
    let t0 = Instant::now();
    create_many(&mock.base, n as usize, 64, |i| json!({"clientId": format!("hook-{i}"), "dummyStatus": "APPROVED"})).await?;
    let deadline = t0 + Duration::from_secs(120);
    let hits = loop {
        let hits: u64 = http
            .get(format!("{}/hits", receiver.base))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?
            .parse()
            .unwrap_or(0);
        if hits >= n || Instant::now() > deadline {
            break hits;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let elapsed = t0.elapsed().as_secs_f64();
    // The receiver answers before the mock records the attempt: wait until
    // nothing is pending before reading the journal.
    loop {
        let h = get_json(&http, &format!("{}/_mock/health", mock.base)).await?;
        if h["webhooksPending"].as_u64() == Some(0) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered = get_json(&http, &format!("{}/_mock/webhooks?state=delivered&limit=1", mock.base)).await?["total"].as_u64().unwrap_or(0);
    let rate = n as f64 / elapsed;
    let lost = n.saturating_sub(delivered.min(hits));
    rows.push(row(&format!("webhook deliveries/s ({n} dummy tokens, created at full speed)"), format!("{rate:.0}/s"), String::new(), String::new(),
        "≥ 5,000/s, none lost", Some(rate >= 5000.0 && lost == 0)));
    rows.push(row("webhooks lost (journal delivered vs receiver hits)", format!("{lost} ({delivered} delivered, {hits} received)"), String::new(), String::new(), "0", Some(lost == 0)));

    println!("| metric | idenfy-mock | reference | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    let mut all = true;
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => {
                all = false;
                "**no**"
            }
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {} |", r.metric, r.mock, r.reference, r.ratio, r.target, met);
    }
    Ok(all)
}

/// The receiver of the load test: fails ~20% of attempts at random, records
/// the accepted ones per scanRef in arrival order, and can go down.
#[derive(Default)]
struct Flaky {
    accepted: Mutex<HashMap<String, Vec<String>>>,
    attempts: AtomicU64,
    failed: AtomicU64,
}

async fn flaky(State(f): State<Arc<Flaky>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    f.attempts.fetch_add(1, Ordering::Relaxed);
    if rand::random_range(0..100) < 20 {
        f.failed.fetch_add(1, Ordering::Relaxed);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let event = headers.get("idenfy-event-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let scan_ref = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["scanRef"].as_str().map(str::to_owned)).unwrap_or_default();
    if let Ok(mut a) = f.accepted.lock() {
        a.entry(scan_ref).or_default().push(event);
    }
    StatusCode::OK
}

async fn serve_flaky(port: u16, f: Arc<Flaky>, stop: Arc<tokio::sync::Notify>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let app = Router::new().route("/hook", post(flaky)).with_state(f);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.notified().await })
        .await
        .map_err(|e| e.to_string())
}

async fn load(n: usize) -> Result<bool> {
    let http = http();
    let port = free_port();
    let flaky_state = Arc::new(Flaky::default());
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut server = tokio::spawn(serve_flaky(port, flaky_state.clone(), stop.clone()));
    let config = config_file(
        "load",
        &format!("[store]\nmax_verifications = {}\n[webhooks]\njournal_capacity = {}\nretries = 12\nretry_delay_ms = 100\nbackoff_factor = 1.5\n", n * 2, n * 4),
    )?;
    let hook = format!("http://127.0.0.1:{port}/hook");
    let mock = spawn_mock(Some(&config), &["--webhook-url", &hook])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let idle = mock.rss_kib();

    // Probe the API throughout; sample memory.
    let running = Arc::new(AtomicBool::new(true));
    let worst_ms = Arc::new(AtomicU64::new(0));
    let peak_kib = Arc::new(AtomicU64::new(idle));
    let probe = {
        let (running, worst, peak, base, http) = (running.clone(), worst_ms.clone(), peak_kib.clone(), mock.base.clone(), http.clone());
        let pid = mock.pid();
        tokio::spawn(async move {
            let mut errors = 0u64;
            while running.load(Ordering::Relaxed) {
                let t = Instant::now();
                if http.get(format!("{base}/_mock/health")).timeout(Duration::from_secs(5)).send().await.is_err() {
                    errors += 1;
                }
                worst.fetch_max(t.elapsed().as_millis() as u64, Ordering::Relaxed);
                let rss = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()
                    .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
                    .unwrap_or(0);
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            errors
        })
    };

    let t0 = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (http, next, base) = (http.clone(), next.clone(), mock.base.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    return Ok::<(), String>(());
                }
                let t = post_token(&http, &base, &json!({"clientId": format!("load-{i}"), "dummyStatus": "SUSPECTED"})).await?;
                let r = http
                    .post(format!("{base}/api/v2/add-dummy-status"))
                    .basic_auth(KEY, Some(SECRET))
                    .header("Content-Type", "application/json")
                    .body(json!({"scanRef": t["scanRef"], "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}).to_string())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if r.status() != 200 {
                    return Err(format!("add-dummy-status answered {}", r.status()));
                }
            }
        }));
    }
    // Mid-run, the receiver is down for one second.
    while (next.load(Ordering::Relaxed) as usize) < n / 2 && t0.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.notify_waiters();
    let _ = (&mut server).await;
    let down_at = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let server = tokio::spawn(serve_flaky(port, flaky_state.clone(), stop.clone()));
    for w in workers {
        w.await.map_err(|e| e.to_string())??;
    }
    let created_in = t0.elapsed();

    // Every webhook settles.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let h = get_json(&http, &format!("{}/_mock/health", mock.base)).await?;
        if h["webhooksPending"].as_u64() == Some(0) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("webhooks still pending after 180 s: {h}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let settled_in = t0.elapsed();
    running.store(false, Ordering::Relaxed);
    let probe_errors = probe.await.map_err(|e| e.to_string())?;
    server.abort();

    let mut states: HashMap<String, u64> = HashMap::new();
    let mut offset = 0;
    loop {
        let page = get_json(&http, &format!("{}/_mock/webhooks?offset={offset}&limit=1000", mock.base)).await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for r in &items {
            *states.entry(r["state"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        }
        offset += items.len();
        if items.is_empty() {
            break;
        }
    }
    let total: u64 = states.values().sum();
    let delivered = states.get("delivered").copied().unwrap_or(0);
    let accepted = flaky_state.accepted.lock().map(|a| a.clone()).unwrap_or_default();
    let out_of_order = accepted
        .values()
        .filter(|events| {
            let last_auto = events.iter().rposition(|e| e == "IDENTIFICATION_AUTO_FINISHED");
            let first_manual = events.iter().position(|e| e == "IDENTIFICATION_MANUAL_FINISHED");
            !matches!((last_auto, first_manual), (Some(a), Some(m)) if a < m)
        })
        .count();
    let peak_mb = peak_kib.load(Ordering::Relaxed) as f64 / 1024.0;
    let worst = worst_ms.load(Ordering::Relaxed);
    println!("load and fault test: {n} verifications, {} webhooks", 2 * n);
    println!("  receiver: {} attempts, {} failed at random (20%), down 1 s at {:.1} s", flaky_state.attempts.load(Ordering::Relaxed), flaky_state.failed.load(Ordering::Relaxed), down_at.as_secs_f64());
    println!("  created in {:.1} s, every webhook settled after {:.1} s", created_in.as_secs_f64(), settled_in.as_secs_f64());
    println!("  journal: {total} webhooks, states {states:?}");
    println!("  receiver accepted webhooks of {} verifications; out of order: {out_of_order}", accepted.len());
    println!("  API: worst health-probe latency {worst} ms, probe errors {probe_errors}");
    println!("  memory: idle {:.1} MB, peak {peak_mb:.1} MB", idle as f64 / 1024.0);
    let bound_mb = 64.0 + n as f64 * 8.0 / 1024.0; // generous: 8 KiB per verification with its two journaled webhooks
    let checks = [
        ("every webhook journaled", total == 2 * n as u64),
        ("every webhook delivered", delivered == 2 * n as u64),
        ("receiver got every verification", accepted.len() == n),
        ("per-verification order held", out_of_order == 0),
        ("API responsive (worst < 1000 ms, no errors)", worst < 1000 && probe_errors == 0),
        ("memory bounded", peak_mb < bound_mb),
    ];
    let failed = checks.iter().filter(|(_, ok)| !ok).count();
    for (name, ok) in checks {
        println!("  {} {name}", if ok { "ok  " } else { "FAIL" });
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    Ok(failed == 0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("load") => load(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000)).await,
        _ => bench().await,
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

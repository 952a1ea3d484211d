//! The benchmark table: what a CI run does to the mock, measured.
//!
//! The headline is the seed workload: the README's seed request (a dummy
//! token, `dummyStatus: APPROVED`), whose webhook the mock produces, signs,
//! journals and delivers to a receiver in this process. The reference server
//! answers the same request with the same 201 bytes and does nothing else.
//! Then: the seed workload over HTTPS and new TLS connections, the seed
//! workload with delivery against the two-exchange reference (the same 201
//! plus the same webhook POSTed to the receiver), plain tokens, the seed
//! workload beside long-polling waiters, webhook latency while another
//! target is stuck, memory per stored verification, peak memory under
//! adversarial bodies, start-up and idle memory, and the test helpers'
//! start-to-ready times (bench/helpers-start, bench/helpers-start-go-php).
//!
//! Throughput runs use wrk (one run per server, `BENCH_SECS` long, default
//! 10; the 0- and 1,000-waiter runs three times each, alternating); memory
//! is VmRSS from /proc. Progress goes to stderr, the Markdown
//! table to stdout. Returns whether every target was met.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    before_bin, create_many, cut, free_port, get_json, http, post_token, rss_kib, spawn_mock,
    spawn_mock_bin, spawn_reference, spawn_two_exchange, start_receiver, temp_file,
    until_first_201, Proc, Receiver, Result, WebhookSample, KEY, SECRET,
};

/// Rounds of the 0- and 1,000-waiter runs, alternating (see the waiters rows).
const WAITER_ROUNDS: usize = 3;
/// Waiters' long-poll, the longest the mock allows.
const WAIT_MS: u64 = 60_000;
/// Webhooks sent to the stuck target before the latency is measured.
const STUCK_WEBHOOKS: usize = 500;
/// Rate of the seed workload whose webhook latency is measured (tokens/s).
const PACED_RATE: u64 = 500;
/// How long the latency phase waits for late webhooks after its last token.
const LATE_WAIT: Duration = Duration::from_secs(5);
/// How long a throughput run waits for the backlog of webhooks afterwards.
const DRAIN_WAIT: Duration = Duration::from_secs(30);
/// Verifications created to measure memory per stored one.
const SEED_STORED: usize = 20_000;
const MAX_STORED: usize = 500;
/// Adversarial phase: token bodies and inbox posts, each just under the
/// default 1 MiB body limit.
const ADVERSARIAL_BODIES: usize = 1_000;
const INBOX_POSTS: usize = 300;
const INBOXES: usize = 30;
const NEAR_LIMIT: usize = 1_040_000;
/// The benchmark stops a mock that grows past this, to protect the machine.
const RSS_KILL_KIB: u64 = 1024 * 1024;
/// wrk's answer timeout in the delivery rows: past the mock's longest wait
/// for room in its queue (`webhooks.enqueue_wait_ms`, 5 s) before a 429.
const DELIVERY_WRK_TIMEOUT: &str = "10s";
/// Runs of each test helper's start-to-ready time, and how long one helper
/// script may take in all.
const HELPER_RUNS: u32 = 10;
const HELPER_WAIT: Duration = Duration::from_secs(300);
/// Each helper: its script, its line there, and the line of the bare binary
/// timed by the same script.
const HELPERS: [(&str, &str, &str); 4] = [
    (
        "bench/helpers-start",
        "Python IdenfyMock().start()",
        "bare binary (no helper)",
    ),
    (
        "bench/helpers-start",
        "Node startIdenfyMock()",
        "bare binary (no helper)",
    ),
    (
        "bench/helpers-start-go-php",
        "go (idenfymock.Launch)",
        "bare binary",
    ),
    (
        "bench/helpers-start-go-php",
        "php (IdenfyMock::start)",
        "bare binary",
    ),
];

struct Row {
    metric: String,
    mock: String,
    reference: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

fn row(
    metric: &str,
    mock: String,
    reference: String,
    ratio: String,
    target: &str,
    met: Option<bool>,
) -> Row {
    Row {
        metric: metric.into(),
        mock,
        reference,
        ratio,
        target: target.into(),
        met,
    }
}

fn progress(what: &str) {
    eprintln!("bench: {what}");
}

/// The README's seed example: the contract's canonical dummy-token request.
fn seed_body(client_id: &str) -> Value {
    json!({
        "clientId": client_id, "firstName": "John Tom", "lastName": "Smith",
        "successUrl": "https://www.idenfy.com/success", "errorUrl": "https://www.idenfy.com/error",
        "unverifiedUrl": "https://www.idenfy.com/unverified", "locale": "en",
        "showInstructions": true, "expiryTime": 30, "sessionLength": 600, "country": "lt",
        "documents": ["PASSPORT", "ID_CARD"], "dateOfBirth": "1990-12-20",
        "dateOfExpiry": "2030-12-20", "dateOfIssue": "2020-12-20", "nationality": "lt",
        "personalNumber": "123456789", "documentNumber": "123456", "sex": "M",
        "address": "Vilnius, Lithuania", "tokenType": "IDENTIFICATION",
        "externalRef": "reference", "dummyStatus": "APPROVED"
    })
}

const DOCUMENTS: [&str; 19] = [
    "ID_CARD",
    "PASSPORT",
    "RESIDENCE_PERMIT",
    "DRIVER_LICENSE",
    "OTHER",
    "AADHAAR",
    "PAN_CARD",
    "VISA",
    "BORDER_CROSSING",
    "ASYLUM",
    "NATIONAL_PASSPORT",
    "INTERNATIONAL_PASSPORT",
    "VOTER_CARD",
    "OLD_ID_CARD",
    "TRAVEL_CARD",
    "PHOTO_CARD",
    "MILITARY_CARD",
    "PROOF_OF_AGE_CARD",
    "DIPLOMATIC_ID",
];

/// `text` repeated to exactly `len` characters (ASCII).
fn repeat_to(text: &str, len: usize) -> String {
    text.chars().cycle().take(len).collect()
}

/// `prefix` padded with `x` to exactly `len` characters.
fn pad(prefix: &str, len: usize) -> String {
    let mut s = prefix.to_owned();
    while s.len() < len {
        s.push('x');
    }
    s
}

/// The seed request with every field at its stated maximum, in the shape
/// that costs a naive store the most per byte: the two free JSON objects
/// (16 KiB each) hold thousands of tiny values. Still a valid request.
fn max_body(client_id: &str, callback: &str) -> Value {
    let name = repeat_to("Johnathan", 100);
    let url = |page: &str| pad(&format!("https://www.idenfy.com/{page}?p="), 2048);
    // {"ALL":[0,0,…]} and {"k0000":0,…}, each about 16,000 bytes of JSON.
    let steps = json!({"ALL": vec![0; 7_990]});
    let data: serde_json::Map<String, Value> =
        (0..1_599).map(|i| (format!("k{i:04}"), json!(0))).collect();
    json!({
        "clientId": pad(client_id, 100), "firstName": name, "lastName": name,
        "successUrl": url("success"), "errorUrl": url("error"), "unverifiedUrl": url("unverified"),
        "callbackUrl": pad(&format!("{callback}?p="), 2048),
        "locale": "en", "showInstructions": true, "expiryTime": 30, "sessionLength": 600, "country": "lt",
        "documents": DOCUMENTS.iter().cycle().take(50).collect::<Vec<_>>(),
        "dateOfBirth": "1990-12-20", "dateOfExpiry": "2030-12-20", "dateOfIssue": "2020-12-20",
        "nationality": "lt", "personalNumber": repeat_to("1234567890", 50),
        "documentNumber": repeat_to("1234567890", 50), "sex": "M",
        "address": repeat_to("Vilnius, Lithuania, ", 255), "tokenType": "IDENTIFICATION",
        "externalRef": repeat_to("reference-", 40), "generateDigitString": true,
        "additionalSteps": steps, "additionalData": data,
        "questionnaire": repeat_to("questionnaire-key-", 100),
        "videoCallQuestions": (0..20).map(|_| repeat_to("What is the name on your document? ", 500)).collect::<Vec<_>>(),
        "dummyStatus": "APPROVED"
    })
}

/// `head`, then `item` separated by commas until the text is about `size`
/// bytes, then `tail`.
fn fill(head: &str, item: &str, tail: &str, size: usize) -> String {
    let mut s = String::with_capacity(size + 64);
    s.push_str(head);
    let mut first = true;
    while s.len() + item.len() + 1 + tail.len() < size {
        if !first {
            s.push(',');
        }
        s.push_str(item);
        first = false;
    }
    s.push_str(tail);
    s
}

/// Adversarial token bodies just under the 1 MiB limit, four shapes in turn:
/// free objects full of tiny values, a huge list of one-letter questions, an
/// unknown key with half a million numbers, and a huge document list.
fn adversarial(i: usize) -> String {
    let head = format!(r#"{{"clientId":"adv-{i}","dummyStatus":"APPROVED","#);
    match i % 4 {
        0 => {
            let steps = fill(
                &format!(r#"{head}"additionalSteps":{{"a":["#),
                "0",
                "]},",
                NEAR_LIMIT / 2,
            );
            let mut key = 0;
            let mut s = steps;
            s.push_str(r#""additionalData":{"#);
            while s.len() < NEAR_LIMIT - 16 {
                if key > 0 {
                    s.push(',');
                }
                s.push_str(&format!(r#""k{key}":0"#));
                key += 1;
            }
            s.push_str("}}");
            s
        }
        1 => fill(
            &format!(r#"{head}"videoCallQuestions":["#),
            r#""a""#,
            "]}",
            NEAR_LIMIT,
        ),
        2 => fill(
            &format!(r#"{head}"unknownPadding":["#),
            "0",
            "]}",
            NEAR_LIMIT,
        ),
        _ => fill(
            &format!(r#"{head}"documents":["#),
            r#""PASSPORT""#,
            "]}",
            NEAR_LIMIT,
        ),
    }
}

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
    socket_errors: Option<String>,
    /// The run's length as wrk measured it, seconds.
    secs: f64,
    /// Answers per status, from a script made by `lua_counting` (empty
    /// with any other script).
    statuses: std::collections::BTreeMap<u16, u64>,
}

impl Wrk {
    /// What went wrong in the run, for the table; empty when nothing did.
    /// Only 2xx answers and no socket errors.
    fn clean(&self) -> bool {
        self.non_2xx == 0 && self.socket_errors.is_none()
    }

    fn trouble(&self) -> String {
        let mut t = Vec::new();
        if self.non_2xx > 0 {
            t.push(format!("{} non-2xx", self.non_2xx));
        }
        if let Some(e) = &self.socket_errors {
            t.push(format!("socket errors: {e}"));
        }
        if t.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.join(", "))
        }
    }

    /// Answers with `status` (from a counting script).
    fn status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// The answers other than 201, and socket errors, for the table (a 429
    /// is the mock's backpressure, reported, not a failure); empty when
    /// every answer was a 201.
    fn answers(&self) -> String {
        let mut t: Vec<String> = self
            .statuses
            .iter()
            .filter(|(code, _)| **code != 201)
            .map(|(code, n)| format!("{n}×{code}"))
            .collect();
        if let Some(e) = &self.socket_errors {
            t.push(format!("socket errors: {e}"));
        }
        if t.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.join(", "))
        }
    }

    /// Whether every answer was a 201 or a 429 and no socket failed.
    fn only_201_or_429(&self) -> bool {
        self.socket_errors.is_none() && self.statuses.keys().all(|c| matches!(c, 201 | 429))
    }
}

/// The wrk script lines that POST `body` with the default partner's
/// credentials.
/// The wrk script of the seed workload (the driver's `seed-lua`, for
/// bench/instructions).
pub fn seed_lua_script() -> String {
    lua_request(&seed_body("100000").to_string())
}

fn lua_request(body: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    format!(
        "wrk.method = \"POST\"\nwrk.body = [==[{body}]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Basic {auth}\"\n"
    )
}

/// A wrk script that POSTs `body` with the default partner's credentials.
fn lua(name: &str, body: &str) -> Result<String> {
    temp_file(&format!("{name}.lua"), &lua_request(body))
}

/// The same, also counting the answers per status: each thread counts in
/// `response`, and `done` prints one `status CODE COUNT` line per status
/// (read by `wrk_with`). wrk then reads every answer's headers and body,
/// which costs it some CPU: used only where both servers of a row get it.
fn lua_counting(name: &str, body: &str) -> Result<String> {
    let script = format!(
        "{}{}",
        lua_request(body),
        r#"local threads = {}
function setup(thread) table.insert(threads, thread) end
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do all[code] = (all[code] or 0) + n end
  end
  for code, n in pairs(all) do io.write(string.format("status %d %d\n", code, n)) end
end
"#
    );
    temp_file(&format!("{name}.lua"), &script)
}

/// Runs wrk without blocking this runtime (the receiver and the waiters live
/// in it).
async fn wrk(url: &str, script: &str, connections: u32, secs: u32) -> Result<Wrk> {
    wrk_with(url, script, connections, secs, &[]).await
}

/// `wrk` with more options (`--timeout`, `-H`) before the URL.
async fn wrk_with(
    url: &str,
    script: &str,
    connections: u32,
    secs: u32,
    extra: &[&str],
) -> Result<Wrk> {
    let threads = connections.min(2);
    let (threads, connections, duration) = (
        threads.to_string(),
        connections.to_string(),
        format!("{secs}s"),
    );
    let mut args = vec![
        "-t",
        &threads,
        "-c",
        &connections,
        "-d",
        &duration,
        "--latency",
        "-s",
        script,
    ];
    args.extend_from_slice(extra);
    args.push(url);
    let out = tokio::process::Command::new("wrk")
        .args(&args)
        .output()
        .await
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let find = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(|s| s.trim().to_owned())
    };
    let ms = |v: &str| -> f64 {
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
        let n: f64 = num.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            "m" => n * 60_000.0,
            _ => f64::NAN,
        }
    };
    let rps = find("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            format!(
                "wrk printed no rate:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let summary = text.lines().find(|l| l.contains(" requests in "));
    let requests = summary
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // "  46819 requests in 2.01s, 50.23MB read"
    let run_secs = summary
        .and_then(|l| l.split_whitespace().nth(3))
        .map_or(f64::NAN, |v| ms(v.trim_end_matches(',')) / 1000.0);
    let statuses = text
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("status ")?.split_whitespace();
            Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect();
    let non_2xx = text
        .lines()
        .find(|l| l.trim_start().starts_with("Non-2xx"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket_errors = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|s| s.trim().to_owned());
    Ok(Wrk {
        rps,
        p50_ms: find("50%").map_or(f64::NAN, |v| ms(&v)),
        p99_ms: find("99%").map_or(f64::NAN, |v| ms(&v)),
        requests,
        non_2xx,
        socket_errors,
        secs: run_secs,
        statuses,
    })
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}×", a / b)
}

/// Waits until the receiver has `n` webhooks or `DRAIN_WAIT` passed; how
/// long it took, or `None` when some are still missing.
async fn drain(receiver: &Receiver, n: u64) -> Option<Duration> {
    let t = Instant::now();
    while receiver.hits() < n {
        if t.elapsed() > DRAIN_WAIT {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Some(t.elapsed())
}

/// The delivery row of a throughput run: the backlog must reach the receiver.
///
/// At c=1 delivery keeps up and every webhook must arrive. At c=64 the flood
/// outruns delivery on the same two cores, and past `max_pending` the mock
/// refuses more as "queue full" (journaled failed, by design), so the row
/// only reports.
fn delivery_row(
    label: &str,
    created: u64,
    during: u64,
    drained: Option<Duration>,
    final_hits: u64,
    required: bool,
) -> Row {
    let (text, met) = match drained {
        Some(d) => (
            format!(
                "{during} of {created} during the run, all {:.1} s later",
                d.as_secs_f64()
            ),
            true,
        ),
        None => (
            format!(
                "{during} during, {final_hits} of {created} {} s later{}",
                DRAIN_WAIT.as_secs(),
                if required {
                    ""
                } else {
                    "; the rest refused as queue full past max_pending"
                }
            ),
            false,
        ),
    };
    let target = if required {
        format!("all within {} s", DRAIN_WAIT.as_secs())
    } else {
        String::new()
    };
    row(
        label,
        text,
        String::new(),
        String::new(),
        &target,
        required.then_some(met),
    )
}

/// A random UUID-shaped scanRef that no verification has.
fn random_scan_ref() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        rand::random::<u32>(),
        rand::random::<u16>(),
        rand::random::<u16>() & 0xfff,
        rand::random::<u16>() & 0xfff,
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

/// Reads one HTTP/1.1 response with a Content-Length; its status.
async fn read_response(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err("response head too long".into());
        }
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("response without content-length")?;
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// What the waiters saw.
#[derive(Default)]
struct WaiterCounts {
    /// Waiters whose first long-poll is written to the socket.
    started: AtomicU64,
    /// Answers (200 or 408); each is followed by a new long-poll.
    answered: AtomicU64,
    /// Other answers and broken connections (the waiter reconnects).
    errors: AtomicU64,
}

/// A CI test's long-poll for a webhook that does not come (a scanRef no
/// verification has), on its own keep-alive connection, repeated whenever
/// answered. Raw HTTP, so that "started" means the request is on the wire.
async fn waiter(addr: String, counts: Arc<WaiterCounts>) {
    let request = format!(
        "GET /_mock/webhooks/wait?scanRef={}&timeoutMs={WAIT_MS} HTTP/1.1\r\nHost: {addr}\r\n\r\n",
        random_scan_ref()
    );
    let mut first = true;
    let mut buf = Vec::with_capacity(4096);
    loop {
        let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else {
            counts.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        loop {
            if s.write_all(request.as_bytes()).await.is_err() {
                break;
            }
            if first {
                counts.started.fetch_add(1, Ordering::Relaxed);
                first = false;
            }
            match read_response(&mut s, &mut buf).await {
                Ok(200 | 408) => counts.answered.fetch_add(1, Ordering::Relaxed),
                Ok(_) => counts.errors.fetch_add(1, Ordering::Relaxed),
                Err(_) => {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One run of the seed workload beside `n` waiters, on a fresh mock.
struct WaitersRun {
    wrk: Wrk,
    n: usize,
    answered: u64,
    errors: u64,
}

impl WaitersRun {
    /// What its waiters saw, for the row (nothing with none).
    fn seen(&self) -> String {
        if self.n == 0 {
            return String::new();
        }
        format!(
            "; waiters answered {}, errors {}",
            self.answered, self.errors
        )
    }
}

async fn waiters_run(
    http: &reqwest::Client,
    hook: &str,
    seed_lua: &str,
    n: usize,
    secs: u32,
) -> Result<WaitersRun> {
    let mock = spawn_mock(None, &["--webhook-url", hook])?;
    until_first_201(http, &mock.base, Instant::now()).await?;
    let (tasks, counts) = start_waiters(&mock.base, n).await?;
    let wrk = wrk(&format!("{}/api/v2/token", mock.base), seed_lua, 64, secs).await?;
    for t in &tasks {
        t.abort();
    }
    drop(mock);
    Ok(WaitersRun {
        wrk,
        n,
        answered: counts.answered.load(Ordering::Relaxed),
        errors: counts.errors.load(Ordering::Relaxed),
    })
}

/// Starts `n` waiters and returns once each has its long-poll on the wire
/// and the mock has answered a request sent after them all.
async fn start_waiters(
    base: &str,
    n: usize,
) -> Result<(Vec<tokio::task::JoinHandle<()>>, Arc<WaiterCounts>)> {
    let counts = Arc::new(WaiterCounts::default());
    let addr = base.trim_start_matches("http://").to_owned();
    let tasks: Vec<_> = (0..n)
        .map(|_| tokio::spawn(waiter(addr.clone(), counts.clone())))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while (counts.started.load(Ordering::Relaxed) as usize) < n {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {n} waiters connected",
                counts.started.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    get_json(&http(), &format!("{base}/_mock/health")).await?;
    Ok((tasks, counts))
}

/// A webhook target that accepts connections and never answers. Holds at
/// most 10,000 of them; they close when the task is aborted.
async fn start_stuck_target() -> Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            if held.len() < 10_000 {
                held.push(s);
            }
        }
    });
    Ok((format!("http://127.0.0.1:{port}/hook"), task))
}

/// The seed workload at a steady `PACED_RATE` for `secs`, each token's own
/// clientId: the scanRef of each and when its 201 arrived. At most 64 in
/// flight; a tick with none free is skipped (and counted).
async fn paced_seed(base: &str, secs: u32) -> (Vec<(String, Instant)>, u64) {
    let http = http();
    let created = Arc::new(Mutex::new(Vec::new()));
    let permits = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / PACED_RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let end = Instant::now() + Duration::from_secs(u64::from(secs));
    let (mut tasks, mut skipped) = (Vec::new(), 0u64);
    let mut i = 0usize;
    while Instant::now() < end {
        tick.tick().await;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            skipped += 1;
            continue;
        };
        let (http, base, created) = (http.clone(), base.to_owned(), created.clone());
        let body = seed_body(&format!("seed-{i}"));
        i += 1;
        tasks.push(tokio::spawn(async move {
            if let Ok(v) = post_token(&http, &base, &body).await {
                let at = Instant::now();
                if let (Some(s), Ok(mut c)) = (v["scanRef"].as_str(), created.lock()) {
                    c.push((s.to_owned(), at));
                }
            }
            drop(permit);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let created = created.lock().map(|c| c.clone()).unwrap_or_default();
    (created, skipped)
}

/// Webhook latency (201 to arrival) of the paced seed workload; a webhook
/// that did not arrive counts as infinitely late.
async fn webhook_latency(base: &str, receiver: &Receiver, secs: u32) -> (Vec<f64>, u64) {
    receiver.reset();
    receiver.record.store(true, Ordering::Relaxed);
    let (created, skipped) = paced_seed(base, secs).await;
    let t = Instant::now();
    while t.elapsed() < LATE_WAIT && created.iter().any(|(s, _)| receiver.arrival(s).is_none()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    receiver.record.store(false, Ordering::Relaxed);
    let mut ms: Vec<f64> = created
        .iter()
        .map(|(s, at)| {
            receiver.arrival(s).map_or(f64::INFINITY, |r| {
                r.saturating_duration_since(*at).as_secs_f64() * 1000.0
            })
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms, skipped)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::INFINITY;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn latency_text(ms: &[f64], skipped: u64) -> String {
    let fmt = |v: f64| {
        if v.is_finite() {
            format!("{v:.1} ms")
        } else {
            format!("> {} s", LATE_WAIT.as_secs())
        }
    };
    let missing = ms.iter().filter(|v| !v.is_finite()).count();
    let mut t = format!(
        "p50 {}, p99 {} ({} webhooks",
        fmt(percentile(ms, 0.5)),
        fmt(percentile(ms, 0.99)),
        ms.len()
    );
    if missing > 0 {
        t.push_str(&format!(", {missing} not delivered"));
    }
    if skipped > 0 {
        t.push_str(&format!(", {skipped} ticks skipped"));
    }
    t.push(')');
    t
}

/// RSS growth per verification after creating `n` with `body`, once no
/// webhook is pending. Err when the mock refuses the body.
async fn rss_per_verification(
    n: usize,
    workers: usize,
    extra: &[&str],
    body: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<f64> {
    let http = http();
    let mock = spawn_mock(None, extra)?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let (status, text) = crate::post_token_raw(&http, &mock.base, body(0)).await?;
    if status != 201 {
        return Err(format!("{status}: {}", cut(&text, 200)));
    }
    let before = mock.rss_kib();
    let statuses = create_many(&mock.base, n, workers, body).await?;
    if statuses.get(&201).copied().unwrap_or(0) != n as u64 {
        return Err(format!("not all accepted: {statuses:?}"));
    }
    let deadline = Instant::now() + DRAIN_WAIT;
    while Instant::now() < deadline {
        let h = get_json(&http, &format!("{}/_mock/health", mock.base)).await?;
        if h["webhooksPending"].as_u64() == Some(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(mock.rss_kib().saturating_sub(before) as f64 * 1024.0 / n as f64)
}

/// Peak RSS while adversarial bodies and inbox posts arrive together, with
/// the default configuration (plus a webhook target). Stops the mock if it
/// passes `RSS_KILL_KIB`.
async fn adversarial_peak(hook: &str) -> Result<(u64, bool, HashMap<u16, u64>, HashMap<u16, u64>)> {
    let http = http();
    let mock = spawn_mock(None, &["--webhook-url", hook])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let pid = mock.pid();
    let (peak, running, killed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(true)),
        Arc::new(AtomicBool::new(false)),
    );
    let sampler = {
        let (peak, running, killed) = (peak.clone(), running.clone(), killed.clone());
        tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let rss = rss_kib(pid);
                peak.fetch_max(rss, Ordering::Relaxed);
                if rss > RSS_KILL_KIB {
                    // Our own child, by its PID.
                    let _ = std::process::Command::new("kill")
                        .arg("-9")
                        .arg(pid.to_string())
                        .status();
                    killed.store(true, Ordering::Relaxed);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let tokens = create_many(&mock.base, ADVERSARIAL_BODIES, 64, adversarial);
    let inbox = {
        let (http, base) = (http.clone(), mock.base.clone());
        let next = Arc::new(AtomicU64::new(0));
        let body = Arc::new(format!(
            r#"{{"scanRef":"adversarial","pad":"{}"}}"#,
            "x".repeat(NEAR_LIMIT - 40)
        ));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (http, base, next, body) =
                    (http.clone(), base.clone(), next.clone(), body.clone());
                tokio::spawn(async move {
                    let mut statuses: HashMap<u16, u64> = HashMap::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        if i >= INBOX_POSTS {
                            return statuses;
                        }
                        let r = http
                            .post(format!("{base}/_mock/inbox/adversarial-{}", i % INBOXES))
                            .header("Content-Type", "application/json")
                            .body(body.to_string())
                            .send()
                            .await;
                        let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
                        *statuses.entry(status).or_default() += 1;
                    }
                })
            })
            .collect();
        async move {
            let mut all = HashMap::new();
            for t in tasks {
                for (s, c) in t.await.unwrap_or_default() {
                    *all.entry(s).or_default() += c;
                }
            }
            all
        }
    };
    let (tokens, inbox) = tokio::join!(tokens, inbox);
    // Deliveries of what was accepted go on a little longer.
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let killed = killed.load(Ordering::Relaxed);
    Ok((peak.load(Ordering::Relaxed), killed, tokens?, inbox))
}

/// A folder in the temporary directory, named for this run, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self> {
        let path =
            std::env::temp_dir().join(format!("idenfy-mock-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The mock's webhook for the seed request (the one the seed rows deliver),
/// as the receiver gets it: what the two-exchange reference sends.
async fn capture_webhook(receiver: &Receiver, hook: &str) -> Result<WebhookSample> {
    let http = http();
    let mock = spawn_mock(None, &["--webhook-url", hook])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    if let Ok(mut s) = receiver.samples.lock() {
        s.clear();
    }
    receiver.keep_samples.store(true, Ordering::Relaxed);
    let found = async {
        let created = post_token(&http, &mock.base, &seed_body("100000")).await?;
        let scan_ref = created["scanRef"]
            .as_str()
            .ok_or("the seed 201 has no scanRef")?
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let sample = receiver.samples.lock().ok().and_then(|s| {
                s.iter()
                    .find(|w| {
                        w.body
                            .windows(scan_ref.len())
                            .any(|b| b == scan_ref.as_bytes())
                    })
                    .cloned()
            });
            if let Some(w) = sample {
                return Ok(w);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the seed webhook for {scan_ref} did not arrive within 5 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    .await;
    receiver.keep_samples.store(false, Ordering::Relaxed);
    if let Ok(mut s) = receiver.samples.lock() {
        s.clear();
    }
    found
}

/// idenfy-mock serving HTTPS beside plain HTTP, the seed rows' webhook
/// target, its TLS folder `dir`; the HTTPS base URL.
async fn spawn_https_mock(hook: &str, dir: &str) -> Result<(Proc, String)> {
    let listen = format!("127.0.0.1:{}", free_port());
    let mock = spawn_mock(
        None,
        &[
            "--webhook-url",
            hook,
            "--tls-listen",
            &listen,
            "--tls-dir",
            dir,
        ],
    )?;
    until_first_201(&http(), &mock.base, Instant::now()).await?;
    tokio::net::TcpStream::connect(&listen)
        .await
        .map_err(|e| format!("the HTTPS listener {listen}: {e}"))?;
    Ok((mock, format!("https://{listen}")))
}

/// One run of the delivery rows: the seed workload through wrk, then the
/// drain until the receiver has one webhook per 201 wrk saw.
struct Delivered {
    w: Wrk,
    /// 201 answers wrk received.
    answered: u64,
    /// Webhooks the receiver got from the start of the run to the end of
    /// the drain (it can exceed `answered` by the requests wrk left in
    /// flight when it stopped, which the server still answers).
    delivered: u64,
    run: Duration,
    drain: Duration,
    /// Whether the receiver had one webhook per 201 before `DRAIN_WAIT`.
    drained: bool,
    /// TCP connections the receiver accepted during the run and the drain.
    connections: u64,
}

impl Delivered {
    fn answered_per_sec(&self) -> f64 {
        let secs = if self.w.secs > 0.0 {
            self.w.secs
        } else {
            self.run.as_secs_f64()
        };
        self.answered as f64 / secs
    }

    fn delivered_per_sec(&self) -> f64 {
        self.delivered as f64 / (self.run + self.drain).as_secs_f64()
    }

    fn never(&self) -> u64 {
        self.answered.saturating_sub(self.delivered)
    }

    fn answered_text(&self) -> String {
        format!("{:.0}{}", self.answered_per_sec(), self.w.answers())
    }

    fn delivered_text(&self) -> String {
        format!(
            "{:.0} ({} in {:.1} s + {:.1} s drain{})",
            self.delivered_per_sec(),
            self.delivered,
            self.run.as_secs_f64(),
            self.drain.as_secs_f64(),
            if self.drained {
                String::new()
            } else {
                format!(", stopped at {} s", DRAIN_WAIT.as_secs())
            }
        )
    }

    fn never_text(&self) -> String {
        if self.answered == 0 {
            return "0 of 0".into();
        }
        format!(
            "{} of {} ({:.0} %)",
            self.never(),
            self.answered,
            self.never() as f64 * 100.0 / self.answered as f64
        )
    }
}

async fn delivery_run(
    receiver: &Receiver,
    base: &str,
    script: &str,
    connections: u32,
    secs: u32,
) -> Result<Delivered> {
    receiver.reset();
    let start = Instant::now();
    let w = wrk_with(
        &format!("{base}/api/v2/token"),
        script,
        connections,
        secs,
        &["--timeout", DELIVERY_WRK_TIMEOUT],
    )
    .await?;
    let run = start.elapsed();
    if w.statuses.values().sum::<u64>() != w.requests {
        return Err(format!(
            "wrk counted {} answers but {:?} by status",
            w.requests, w.statuses
        ));
    }
    let answered = w.status(201);
    let drained = drain(receiver, answered).await.is_some();
    Ok(Delivered {
        answered,
        delivered: receiver.hits(),
        run,
        drain: start.elapsed().saturating_sub(run),
        drained,
        connections: receiver.connections(),
        w,
    })
}

/// What a helper script printed for one helper.
enum HelperLine {
    Times {
        median: f64,
        min: f64,
        max: f64,
    },
    /// "not installed (…)" or "failed: …".
    Text(String),
}

/// The line of `label` in a helper script's output.
fn helper_line(out: &str, label: &str) -> Option<HelperLine> {
    let rest = out.lines().find_map(|l| {
        l.strip_prefix(label)
            .filter(|r| r.starts_with(char::is_whitespace))
            .map(str::trim)
    })?;
    let w: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| w.get(i).and_then(|v| v.parse::<f64>().ok());
    match (w.first(), num(1), num(4), num(6)) {
        (Some(&"median"), Some(median), Some(min), Some(max)) => {
            Some(HelperLine::Times { median, min, max })
        }
        _ => Some(HelperLine::Text(rest.replace('|', "\\|"))),
    }
}

/// Runs a helper script (`runs` runs per helper) in its own process group,
/// for at most `HELPER_WAIT`; then kills that group, so nothing it started
/// outlives it. Its stdout and stderr, and whether it was stopped.
async fn run_helper_script(script: &str, runs: u32) -> Result<(String, String, bool)> {
    let mut child = tokio::process::Command::new(script)
        .arg(runs.to_string())
        .env("IDENFY_MOCK_BIN", crate::mock_bin())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    let group = child.id();
    let read = |pipe: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>>| {
        tokio::spawn(async move {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes).await;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read(child.stdout.take().map(|p| Box::new(p) as _));
    let err = read(child.stderr.take().map(|p| Box::new(p) as _));
    let stopped = tokio::time::timeout(HELPER_WAIT, child.wait())
        .await
        .is_err();
    if let Some(pgid) = group {
        // Our own child's process group, by its id.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(std::process::Stdio::null())
            .status();
    }
    let _ = child.wait().await;
    let collect = |t: tokio::task::JoinHandle<String>| async move {
        tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or_default()
    };
    Ok((collect(out).await, collect(err).await, stopped))
}

/// One row per test helper: start to ready, median of `HELPER_RUNS`, with
/// the bare binary timed by the same script beside it.
async fn helper_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for script in ["bench/helpers-start", "bench/helpers-start-go-php"] {
        progress(&format!("test helpers: {script}"));
        let ran = run_helper_script(script, HELPER_RUNS).await;
        for (_, label, bare) in HELPERS.iter().filter(|h| h.0 == script) {
            let metric = format!("helper start to ready: {label} (median of {HELPER_RUNS})");
            let target = "≤ 100 ms";
            let (out, err, stopped) = match &ran {
                Ok(r) => r,
                Err(e) => {
                    rows.push(row(
                        &metric,
                        e.clone(),
                        String::new(),
                        String::new(),
                        target,
                        Some(false),
                    ));
                    continue;
                }
            };
            let bare = match helper_line(out, bare) {
                Some(HelperLine::Times { median, .. }) => Some(median),
                _ => None,
            };
            rows.push(match helper_line(out, label) {
                Some(HelperLine::Times { median, min, max }) => row(
                    &metric,
                    format!("{median:.1} ms (min {min:.1}, max {max:.1})"),
                    bare.map_or_else(String::new, |b| format!("{b:.1} ms bare binary")),
                    bare.map_or_else(String::new, |b| ratio(median, b)),
                    target,
                    Some(median <= 100.0),
                ),
                Some(HelperLine::Text(t)) if t.starts_with("not installed") => {
                    row(&metric, t, String::new(), String::new(), target, None)
                }
                Some(HelperLine::Text(t)) => row(
                    &metric,
                    t,
                    String::new(),
                    String::new(),
                    target,
                    Some(false),
                ),
                None => {
                    let why = err
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .map_or("no output", str::trim);
                    let text = if *stopped {
                        format!(
                            "no result: {script} stopped after {} s",
                            HELPER_WAIT.as_secs()
                        )
                    } else {
                        format!("no result: {}", cut(why, 200).replace('|', "\\|"))
                    };
                    row(
                        &metric,
                        text,
                        String::new(),
                        String::new(),
                        target,
                        Some(false),
                    )
                }
            });
        }
    }
    rows
}

fn statuses_text(s: &HashMap<u16, u64>) -> String {
    let mut v: Vec<_> = s.iter().collect();
    v.sort();
    v.iter()
        .map(|(k, n)| {
            if **k == 0 {
                format!("{n} unanswered")
            } else {
                format!("{n}×{k}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub async fn bench() -> Result<bool> {
    let http = http();
    let secs: u32 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut rows = Vec::new();
    let (receiver, hook, _receiver_task) = start_receiver().await?;

    // The 201 bodies the reference sends: the mock's own answers.
    let capture = spawn_mock(None, &[])?;
    until_first_201(&http, &capture.base, Instant::now()).await?;
    let seed_answer = crate::post_token_raw(&http, &capture.base, seed_body("100000").to_string())
        .await?
        .1;
    let plain_answer = crate::post_token_raw(
        &http,
        &capture.base,
        json!({"clientId": "bench-user"}).to_string(),
    )
    .await?
    .1;
    drop(capture);
    let seed_file = temp_file("seed-201.json", &seed_answer)?;
    let plain_file = temp_file("plain-201.json", &plain_answer)?;
    let seed_lua = lua("seed", &seed_body("100000").to_string())?;
    let plain_lua = lua("plain", &json!({"clientId": "bench-user"}).to_string())?;
    // The webhook the two-exchange reference sends: the mock's own for the
    // seed request.
    let hook_sample = capture_webhook(&receiver, &hook).await?;
    let hook_file = temp_file(
        "seed-webhook.json",
        std::str::from_utf8(&hook_sample.body).map_err(|e| format!("the seed webhook: {e}"))?,
    )?;
    let seed_counting_lua = lua_counting("seed-counting", &seed_body("100000").to_string())?;

    // Headline: the seed workload against the reference.
    let reference = spawn_reference(Some(&seed_file))?;
    until_first_201(&http, &reference.base, Instant::now()).await?;
    let mut headline_reference = f64::NAN;
    let mut headline_mock = f64::NAN;
    for conns in [1u32, 64] {
        progress(&format!("seed workload, c={conns}"));
        let r = wrk(
            &format!("{}/api/v2/token", reference.base),
            &seed_lua,
            conns,
            secs,
        )
        .await?;
        let mock = spawn_mock(None, &["--webhook-url", &hook])?;
        until_first_201(&http, &mock.base, Instant::now()).await?;
        receiver.reset();
        let m = wrk(
            &format!("{}/api/v2/token", mock.base),
            &seed_lua,
            conns,
            secs,
        )
        .await?;
        let during = receiver.hits();
        headline_reference = r.rps;
        headline_mock = m.rps;
        let drained = drain(&receiver, m.requests).await;
        let clean = m.non_2xx == 0 && m.socket_errors.is_none();
        let (target, met) = if conns == 64 {
            ("≥ 0.5× reference", Some(clean && m.rps / r.rps >= 0.5))
        } else {
            ("", (!clean).then_some(false))
        };
        rows.push(row(
            &format!("**seed workload, c={conns}: req/s**"),
            format!("{:.0}{}", m.rps, m.trouble()),
            format!("{:.0}{}", r.rps, r.trouble()),
            ratio(m.rps, r.rps),
            target,
            met,
        ));
        rows.push(row(
            &format!("seed workload, c={conns}: p50 / p99"),
            format!("{:.2} / {:.2} ms", m.p50_ms, m.p99_ms),
            format!("{:.2} / {:.2} ms", r.p50_ms, r.p99_ms),
            format!("p99 {}", ratio(m.p99_ms, r.p99_ms)),
            "",
            None,
        ));
        rows.push(delivery_row(
            &format!("seed workload, c={conns}: webhooks delivered"),
            m.requests,
            during,
            drained,
            receiver.hits(),
            conns == 1,
        ));
        if let Some(before) = before_bin() {
            let mock = spawn_mock_bin(&before, None, &["--webhook-url", &hook])?;
            until_first_201(&http, &mock.base, Instant::now()).await?;
            let b = wrk(
                &format!("{}/api/v2/token", mock.base),
                &seed_lua,
                conns,
                secs,
            )
            .await?;
            drop(mock);
            rows.push(row(
                &format!("seed workload, c={conns}: req/s, **before** (`BENCH_BEFORE`)"),
                format!("{:.0}{}", b.rps, b.trouble()),
                format!("{:.0}", r.rps),
                format!(
                    "{}; after/before {}",
                    ratio(b.rps, r.rps),
                    ratio(m.rps, b.rps)
                ),
                "",
                None,
            ));
        }
    }
    // What delivery costs: the same run with no webhook target (each webhook
    // is still produced, signed and journaled, as undeliverable).
    progress("seed workload, c=64, no webhook target");
    let mock = spawn_mock(None, &[])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let m = wrk(&format!("{}/api/v2/token", mock.base), &seed_lua, 64, secs).await?;
    drop(mock);
    rows.push(row(
        "seed workload, c=64, no webhook target (for comparison)",
        format!("{:.0}{}", m.rps, m.trouble()),
        format!("({:.0} above)", headline_reference),
        ratio(m.rps, headline_reference),
        "",
        None,
    ));
    drop(reference);

    // The seed workload over HTTPS with keep-alive, against the plain-HTTP
    // c=64 row above; then new TLS connections per second (one token per
    // connection). One TLS folder (local CA) for both, removed afterwards.
    let tls_dir = TempDir::new("tls")?;
    progress("seed workload over HTTPS, c=64");
    let (mock, https) = spawn_https_mock(&hook, &tls_dir.path()).await?;
    let m = wrk(&format!("{https}/api/v2/token"), &seed_lua, 64, secs).await?;
    drop(mock);
    let clean = m.non_2xx == 0 && m.socket_errors.is_none();
    rows.push(row(
        "seed workload over HTTPS (keep-alive), c=64: req/s",
        format!("{:.0}{}", m.rps, m.trouble()),
        format!("({headline_mock:.0} plain HTTP above)"),
        ratio(m.rps, headline_mock),
        "≥ 0.7× plain HTTP",
        Some(clean && m.rps / headline_mock >= 0.7),
    ));
    progress("new TLS connections, c=64");
    let (mock, https) = spawn_https_mock(&hook, &tls_dir.path()).await?;
    let m = wrk_with(
        &format!("{https}/api/v2/token"),
        &seed_lua,
        64,
        secs,
        &["-H", "Connection: close"],
    )
    .await?;
    drop(mock);
    drop(tls_dir);
    let clean = m.non_2xx == 0 && m.socket_errors.is_none();
    rows.push(row(
        "new TLS connections/s, c=64 (a seed token on each, Connection: close)",
        format!("{:.0}{}", m.rps, m.trouble()),
        String::new(),
        String::new(),
        "",
        (!clean).then_some(false),
    ));

    // Delivery: the seed workload with each token's webhook delivered to
    // the receiver, against the two-exchange reference (the same 201, and
    // the same webhook bytes POSTed through one pooled client, 64 in
    // flight). Deliveries count from the start of the run until the
    // receiver has one per 201 or DRAIN_WAIT passed.
    for conns in [1u32, 64] {
        progress(&format!("seed workload with delivery, c={conns}"));
        let reference = spawn_two_exchange(&seed_file, &hook_file, &hook, &hook_sample)?;
        receiver.reset();
        until_first_201(&http, &reference.base, Instant::now()).await?;
        // The first token's webhook lands before the count starts.
        let _ = tokio::time::timeout(Duration::from_secs(2), drain(&receiver, 1)).await;
        let r = delivery_run(&receiver, &reference.base, &seed_counting_lua, conns, secs).await?;
        drop(reference);
        let mock = spawn_mock(None, &["--webhook-url", &hook])?;
        until_first_201(&http, &mock.base, Instant::now()).await?;
        let m = delivery_run(&receiver, &mock.base, &seed_counting_lua, conns, secs).await?;
        drop(mock);
        let before = match before_bin() {
            Some(bin) => {
                let mock = spawn_mock_bin(&bin, None, &["--webhook-url", &hook])?;
                until_first_201(&http, &mock.base, Instant::now()).await?;
                let b =
                    delivery_run(&receiver, &mock.base, &seed_counting_lua, conns, secs).await?;
                drop(mock);
                Some(b)
            }
            None => None,
        };
        let clean = m.w.only_201_or_429() && r.w.only_201_or_429();
        rows.push(row(
            &format!("seed with delivery, c={conns}: tokens answered/s (201)"),
            m.answered_text(),
            r.answered_text(),
            ratio(m.answered_per_sec(), r.answered_per_sec()),
            "",
            (!clean).then_some(false),
        ));
        rows.push(row(
            &format!("seed with delivery, c={conns}: webhooks delivered/s, including the drain"),
            m.delivered_text(),
            r.delivered_text(),
            ratio(m.delivered_per_sec(), r.delivered_per_sec()),
            "≥ 0.8× two-exchange reference",
            Some(m.delivered_per_sec() >= 0.8 * r.delivered_per_sec()),
        ));
        rows.push(row(
            &format!("seed with delivery, c={conns}: tokens whose webhook never arrived"),
            m.never_text(),
            r.never_text(),
            String::new(),
            if conns == 64 { "0" } else { "" },
            (conns == 64).then_some(m.never() == 0 && m.answered > 0),
        ));
        if let Some(b) = &before {
            rows.push(row(
                &format!(
                    "seed with delivery, c={conns}: webhooks delivered/s, **before** (`BENCH_BEFORE`)"
                ),
                b.delivered_text(),
                r.delivered_text(),
                ratio(b.delivered_per_sec(), r.delivered_per_sec()),
                "",
                None,
            ));
            rows.push(row(
                &format!("seed with delivery, c={conns}: never arrived, **before**"),
                b.never_text(),
                r.never_text(),
                String::new(),
                "",
                None,
            ));
        }
        if conns == 64 {
            rows.push(row(
                "seed with delivery, c=64: receiver connections opened",
                format!("{} for {} webhooks", m.connections, m.delivered),
                format!("{} for {} webhooks", r.connections, r.delivered),
                String::new(),
                "",
                None,
            ));
        }
    }

    progress("plain tokens, c=64");
    let reference = spawn_reference(Some(&plain_file))?;
    until_first_201(&http, &reference.base, Instant::now()).await?;
    let r = wrk(
        &format!("{}/api/v2/token", reference.base),
        &plain_lua,
        64,
        secs,
    )
    .await?;
    drop(reference);
    let mock = spawn_mock(None, &[])?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    let m = wrk(&format!("{}/api/v2/token", mock.base), &plain_lua, 64, secs).await?;
    drop(mock);
    let clean = m.non_2xx == 0 && m.socket_errors.is_none();
    rows.push(row(
        "plain tokens, c=64: req/s",
        format!("{:.0}{}", m.rps, m.trouble()),
        format!("{:.0}{}", r.rps, r.trouble()),
        ratio(m.rps, r.rps),
        "≥ 0.55× reference",
        Some(clean && m.rps / r.rps >= 0.55),
    ));

    // The seed workload beside long-polling waiters, each count on a fresh
    // mock. The machine's rate moves by up to ±20 % between runs, more than
    // the waiters cost, so 0 and 1,000 waiters are measured WAITER_ROUNDS
    // times, alternating; the 1,000 row's ratio is the median of each
    // round's 1,000 / 0. 100 waiters run once, in the first round.
    let mut none_runs = Vec::new();
    let mut thousand_runs = Vec::new();
    let mut hundred = None;
    for round in 1..=WAITER_ROUNDS {
        let counts: &[usize] = if round == 1 {
            &[0, 100, 1000]
        } else {
            &[0, 1000]
        };
        for &n in counts {
            progress(&format!(
                "seed workload, c=64, {n} waiters (round {round} of {WAITER_ROUNDS})"
            ));
            let run = waiters_run(&http, &hook, &seed_lua, n, secs).await?;
            match n {
                0 => none_runs.push(run),
                100 => hundred = Some(run),
                _ => thousand_runs.push(run),
            }
        }
    }
    let median_rps = |runs: &[WaitersRun]| median(runs.iter().map(|r| r.wrk.rps).collect());
    let no_waiters = median_rps(&none_runs);
    let round_ratios: Vec<f64> = none_runs
        .iter()
        .zip(&thousand_runs)
        .map(|(none, thousand)| thousand.wrk.rps / none.wrk.rps)
        .collect();
    let thousand_ratio = median(round_ratios.clone());
    let all_clean = |runs: &[WaitersRun]| runs.iter().all(|r| r.wrk.clean());
    rows.push(row(
        &format!("seed workload, c=64, 0 waiters: req/s (median of {WAITER_ROUNDS})"),
        format!("{no_waiters:.0}"),
        String::new(),
        "1.00×".into(),
        "",
        (!all_clean(&none_runs)).then_some(false),
    ));
    if let (Some(run), Some(first_none)) = (&hundred, none_runs.first()) {
        rows.push(row(
            "seed workload, c=64, 100 waiters: req/s (one run, beside round 1's 0)",
            format!("{:.0}{}{}", run.wrk.rps, run.wrk.trouble(), run.seen()),
            String::new(),
            ratio(run.wrk.rps, first_none.wrk.rps),
            "",
            (!run.wrk.clean()).then_some(false),
        ));
    }
    let shown: Vec<String> = round_ratios.iter().map(|r| format!("{r:.2}")).collect();
    rows.push(row(
        &format!("seed workload, c=64, 1000 waiters: req/s (median of {WAITER_ROUNDS})"),
        format!(
            "{:.0}; each round's 1,000 / 0: {}{}",
            median_rps(&thousand_runs),
            shown.join(", "),
            thousand_runs
                .first()
                .map(WaitersRun::seen)
                .unwrap_or_default()
        ),
        String::new(),
        format!("{thousand_ratio:.2}× (median)"),
        "≥ 0.8× 0 waiters",
        Some(all_clean(&thousand_runs) && thousand_ratio >= 0.8),
    ));

    // Webhook latency of the seed workload, without and with a stuck target.
    for stuck in [false, true] {
        progress(&format!(
            "webhook latency at {PACED_RATE}/s, stuck target: {stuck}"
        ));
        let mock = spawn_mock(None, &["--webhook-url", &hook])?;
        until_first_201(&http, &mock.base, Instant::now()).await?;
        let stuck_target = if stuck {
            let (url, task) = start_stuck_target().await?;
            let statuses = create_many(&mock.base, STUCK_WEBHOOKS, 32, move |i| {
                let mut b = seed_body(&format!("stuck-{i}"));
                b["callbackUrl"] = json!(url);
                b.to_string()
            })
            .await?;
            if statuses.get(&201).copied().unwrap_or(0) != STUCK_WEBHOOKS as u64 {
                return Err(format!("tokens for the stuck target: {statuses:?}"));
            }
            Some(task)
        } else {
            None
        };
        let (ms, skipped) = webhook_latency(&mock.base, &receiver, secs).await;
        if let Some(t) = stuck_target {
            t.abort();
        }
        drop(mock);
        let p99 = percentile(&ms, 0.99);
        let (label, target, met) = if stuck {
            (format!("seed webhook latency, 201 to receipt, {STUCK_WEBHOOKS} webhooks stuck on another target"), "p99 ≤ 50 ms", Some(p99 <= 50.0))
        } else {
            (
                "seed webhook latency, 201 to receipt, no stuck target".to_owned(),
                "",
                None,
            )
        };
        rows.push(row(
            &label,
            latency_text(&ms, skipped),
            String::new(),
            String::new(),
            target,
            met,
        ));
    }

    progress("memory per stored verification");
    let seed_len = seed_body("seed-00000").to_string().len();
    let per_seed = rss_per_verification(SEED_STORED, 32, &[], |i| {
        seed_body(&format!("seed-{i:05}")).to_string()
    })
    .await;
    rows.push(match per_seed {
        Ok(b) => row(
            &format!("RSS per stored seed-sized verification ({SEED_STORED}, {seed_len} B body)"),
            format!("{b:.0} B"),
            String::new(),
            format!("{:.1}× body", b / seed_len as f64),
            "",
            None,
        ),
        Err(e) => row(
            "RSS per stored seed-sized verification",
            format!("refused: {e}"),
            String::new(),
            String::new(),
            "accepted",
            Some(false),
        ),
    });
    let max_hook = hook.clone();
    let max_len = max_body("max-00000", &hook).to_string().len();
    let per_max = rss_per_verification(MAX_STORED, 16, &[], move |i| {
        max_body(&format!("max-{i:05}"), &max_hook).to_string()
    })
    .await;
    rows.push(match per_max {
        Ok(b) => row(
            &format!("RSS per stored maximum-sized verification ({MAX_STORED}, {max_len} B body)"),
            format!("{:.1} KB", b / 1024.0),
            String::new(),
            format!("{:.1}× body", b / max_len as f64),
            "",
            None,
        ),
        Err(e) => row(
            "RSS per stored maximum-sized verification",
            format!("refused: {e}"),
            String::new(),
            String::new(),
            "accepted",
            Some(false),
        ),
    });

    progress("adversarial bodies and inbox posts");
    let (peak, killed, tokens, inbox) = adversarial_peak(&hook).await?;
    let peak_mib = peak as f64 / 1024.0;
    let peak_text = if killed {
        format!("> {} MiB (stopped)", RSS_KILL_KIB / 1024)
    } else {
        format!("{peak_mib:.0} MiB")
    };
    rows.push(row(&format!("peak RSS: {ADVERSARIAL_BODIES} ~1 MiB token bodies at c=64 + {INBOX_POSTS} ~1 MiB inbox posts"),
        format!("{peak_text} (tokens {}; inbox {})", statuses_text(&tokens), statuses_text(&inbox)), String::new(), String::new(),
        "≤ 320 MiB", Some(!killed && peak_mib <= 320.0)));

    // Start-up: process start to the first 201, median of 10; then idle memory.
    progress("start-up and idle memory");
    let (mut mock_start, mut ref_start) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let m = spawn_mock(None, &[])?;
        mock_start.push(until_first_201(&http, &m.base, t).await?.as_secs_f64() * 1000.0);
        let t = Instant::now();
        let r = spawn_reference(None)?;
        ref_start.push(until_first_201(&http, &r.base, t).await?.as_secs_f64() * 1000.0);
    }
    let (ms, rs) = (median(mock_start), median(ref_start));
    rows.push(row(
        "start to first 201 (median of 10)",
        format!("{ms:.1} ms"),
        format!("{rs:.1} ms"),
        ratio(ms, rs),
        "≤ 20 ms",
        Some(ms <= 20.0),
    ));
    let mock = spawn_mock(None, &[])?;
    let reference = spawn_reference(None)?;
    until_first_201(&http, &mock.base, Instant::now()).await?;
    until_first_201(&http, &reference.base, Instant::now()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_mock, idle_ref) = (mock.rss_kib(), reference.rss_kib());
    rows.push(row(
        "idle RSS",
        format!("{:.1} MB", idle_mock as f64 / 1024.0),
        format!("{:.1} MB", idle_ref as f64 / 1024.0),
        ratio(idle_mock as f64, idle_ref as f64),
        "≤ 10 MB",
        Some(idle_mock <= 10 * 1024),
    ));

    // The test helpers (Python, Node, Go, PHP): start to ready.
    drop(mock);
    drop(reference);
    rows.extend(helper_rows().await);

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
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.metric, r.mock, r.reference, r.ratio, r.target, met
        );
    }
    Ok(all)
}

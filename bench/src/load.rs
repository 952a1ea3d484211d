//! The load and fault test: N verifications, each with two webhooks, while
//! the receiver fails 20% of attempts at random and is down for one second
//! mid-run. Checks that every webhook is delivered as the journal says,
//! per-verification order, bounded memory and a responsive API.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::{
    free_port, get_json, http, post_token, rss_kib, spawn_mock, temp_file, until_first_201, Result,
    KEY, SECRET,
};

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
    let event = headers
        .get("idenfy-event-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let scan_ref = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["scanRef"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Ok(mut a) = f.accepted.lock() {
        a.entry(scan_ref).or_default().push(event);
    }
    StatusCode::OK
}

async fn serve_flaky(port: u16, f: Arc<Flaky>, stop: Arc<tokio::sync::Notify>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let app = Router::new().route("/hook", post(flaky)).with_state(f);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.notified().await })
        .await
        .map_err(|e| e.to_string())
}

pub async fn load(n: usize) -> Result<bool> {
    let http = http();
    let port = free_port();
    let flaky_state = Arc::new(Flaky::default());
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut server = tokio::spawn(serve_flaky(port, flaky_state.clone(), stop.clone()));
    let config = temp_file(
        "load.toml",
        &format!("[store]\nmax_verifications = {}\n[webhooks]\njournal_capacity = {j}\nmax_pending = {j}\nmax_pending_per_target = {j}\nretries = 12\nretry_delay_ms = 100\nbackoff_factor = 1.5\n", n * 2, j = n * 4),
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
        let (running, worst, peak, base, http) = (
            running.clone(),
            worst_ms.clone(),
            peak_kib.clone(),
            mock.base.clone(),
            http.clone(),
        );
        let pid = mock.pid();
        tokio::spawn(async move {
            let mut errors = 0u64;
            while running.load(Ordering::Relaxed) {
                let t = Instant::now();
                if http
                    .get(format!("{base}/_mock/health"))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .is_err()
                {
                    errors += 1;
                }
                worst.fetch_max(t.elapsed().as_millis() as u64, Ordering::Relaxed);
                let rss = rss_kib(pid);
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
    while (next.load(Ordering::Relaxed) as usize) < n / 2 && t0.elapsed() < Duration::from_secs(120)
    {
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
        let page = get_json(
            &http,
            &format!("{}/_mock/webhooks?offset={offset}&limit=1000", mock.base),
        )
        .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for r in &items {
            *states
                .entry(r["state"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        offset += items.len();
        if items.is_empty() {
            break;
        }
    }
    let total: u64 = states.values().sum();
    let delivered = states.get("delivered").copied().unwrap_or(0);
    let accepted = flaky_state
        .accepted
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    let out_of_order = accepted
        .values()
        .filter(|events| {
            let last_auto = events
                .iter()
                .rposition(|e| e == "IDENTIFICATION_AUTO_FINISHED");
            let first_manual = events
                .iter()
                .position(|e| e == "IDENTIFICATION_MANUAL_FINISHED");
            !matches!((last_auto, first_manual), (Some(a), Some(m)) if a < m)
        })
        .count();
    let peak_mb = peak_kib.load(Ordering::Relaxed) as f64 / 1024.0;
    let worst = worst_ms.load(Ordering::Relaxed);
    println!("load and fault test: {n} verifications, {} webhooks", 2 * n);
    println!(
        "  receiver: {} attempts, {} failed at random (20%), down 1 s at {:.1} s",
        flaky_state.attempts.load(Ordering::Relaxed),
        flaky_state.failed.load(Ordering::Relaxed),
        down_at.as_secs_f64()
    );
    println!(
        "  created in {:.1} s, every webhook settled after {:.1} s",
        created_in.as_secs_f64(),
        settled_in.as_secs_f64()
    );
    println!("  journal: {total} webhooks, states {states:?}");
    println!(
        "  receiver accepted webhooks of {} verifications; out of order: {out_of_order}",
        accepted.len()
    );
    println!("  API: worst health-probe latency {worst} ms, probe errors {probe_errors}");
    println!(
        "  memory: idle {:.1} MB, peak {peak_mb:.1} MB",
        idle as f64 / 1024.0
    );
    let bound_mb = 64.0 + n as f64 * 8.0 / 1024.0; // generous: 8 KiB per verification with its two journaled webhooks
    let checks = [
        ("every webhook journaled", total == 2 * n as u64),
        ("every webhook delivered", delivered == 2 * n as u64),
        ("receiver got every verification", accepted.len() == n),
        ("per-verification order held", out_of_order == 0),
        (
            "API responsive (worst < 1000 ms, no errors)",
            worst < 1000 && probe_errors == 0,
        ),
        ("memory bounded", peak_mb < bound_mb),
    ];
    let failed = checks.iter().filter(|(_, ok)| !ok).count();
    for (name, ok) in checks {
        println!("  {} {name}", if ok { "ok  " } else { "FAIL" });
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    Ok(failed == 0)
}

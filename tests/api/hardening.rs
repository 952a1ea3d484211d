//! Hardening over HTTP: cross-site control requests, the Host check (DNS
//! rebinding), clock bounds, body limits with JSON 413s on every surface,
//! the inbox's byte cap, and a large snapshot round trip.

use crate::helpers::*;
use serde_json::{json, Value};

/// The control API's error shape: exactly `message` and `status`.
#[track_caller]
fn assert_control_error(got: &(reqwest::StatusCode, Value), status: u16, message_part: &str) {
    let (s, body) = got;
    assert_eq!(s.as_u16(), status, "{body}");
    let obj = body
        .as_object()
        .unwrap_or_else(|| panic!("JSON object: {body}"));
    assert_eq!(obj.len(), 2, "{body}");
    assert_eq!(body["status"], status);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(message_part),
        "{message:?} has {message_part:?}"
    );
}

async fn post_with(
    m: &Mock,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (reqwest::StatusCode, Value) {
    let mut req = m.http.post(m.url(path)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    parse(req.send().await.expect("request sent")).await
}

/// POSTs `chunks` with chunked transfer encoding (no Content-Length) and
/// DEV's credentials; returns the whole answer.
async fn chunked_post(m: &Mock, path: &str, chunks: &[&[u8]]) -> String {
    use base64::Engine as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(m.server.address())
        .await
        .unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", DEV.0, DEV.1));
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n\
Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in chunks {
        request.extend(format!("{:x}\r\n", chunk.len()).bytes());
        request.extend_from_slice(chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = tcp.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn control_posts_a_cross_site_page_could_send_are_refused() {
    let m = Mock::plain().await;
    m.token(DEV, json!({"clientId": "kept"})).await;
    // A form post or a simple fetch: no custom header, a "simple" type.
    for (headers, status) in [
        (&[][..], 403),
        (&[("Content-Type", "text/plain")][..], 415),
        (
            &[("Content-Type", "application/x-www-form-urlencoded")][..],
            415,
        ),
    ] {
        let got = post_with(&m, "/_mock/reset", headers, "{}").await;
        assert_control_error(&got, status, "X-Idenfy-Mock: 1");
        assert!(
            got.1["message"]
                .as_str()
                .unwrap()
                .contains("Content-Type: application/json"),
            "{}",
            got.1
        );
    }
    let (_, list) = m.cget("/_mock/verifications").await;
    assert_eq!(list["total"], 1, "nothing was reset");
    let got = post_with(
        &m,
        "/_mock/webhooks/1/replay",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "",
    )
    .await;
    assert_control_error(&got, 415, "X-Idenfy-Mock");

    // The ways a tool (or the dashboard's script) sends them.
    let (s, _) = post_with(&m, "/_mock/reset", &[("X-Idenfy-Mock", "1")], "").await;
    assert_eq!(s, 200);
    let (s, _) = post_with(
        &m,
        "/_mock/reset",
        &[("Content-Type", "application/json")],
        "",
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = m.cpost("/_mock/clock/advance", json!({"seconds": 1})).await;
    assert_eq!(s, 200);
    // Deletes always need a CORS preflight; reads change nothing; the inbox
    // takes webhooks of any type.
    assert_eq!(m.cdelete("/_mock/faults").await, 204);
    let (s, _) = post_with(
        &m,
        "/_mock/inbox/ci",
        &[("Content-Type", "text/plain")],
        "hi",
    )
    .await;
    assert_eq!(s, 200);
    let html = m.get("/_mock/").await.text().await.unwrap();
    assert!(
        html.contains("'X-Idenfy-Mock':'1'"),
        "the dashboard sends the header"
    );
}

#[tokio::test]
async fn a_loopback_listener_refuses_foreign_host_names() {
    let m = Mock::plain().await;
    let port = m.server.address().port();
    let with_host = |path: &str, host: String| {
        let req = m.http.get(m.url(path)).header("Host", host);
        async move { parse(req.send().await.unwrap()).await }
    };
    for host in ["evil.test".to_owned(), format!("rebind.evil.test:{port}")] {
        let got = with_host("/_mock/snapshot", host.clone()).await;
        assert_control_error(&got, 403, "DNS rebinding");
        let got = with_host("/api/v2/token", host.clone()).await;
        assert_error(&got, 403, "PERMISSIONS_ERROR", "public_url");
        let got = with_host("/ui/?authToken=x", host).await;
        assert_eq!(got.0, 403);
    }
    for host in [
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("127.0.0.1:{port}"),
        "127.0.0.2".to_owned(),
        format!("[::1]:{port}"),
    ] {
        let (s, body) = with_host("/_mock/health", host.clone()).await;
        assert_eq!(s, 200, "{host}: {body}");
    }
    // The configured public_url's host is served too.
    let named = Mock::start(config("", "public_url = 'http://mock.test:8080'")).await;
    let ask = |host: &'static str| {
        named
            .http
            .get(format!("http://{}/_mock/health", named.server.address()))
            .header("Host", host)
            .send()
    };
    assert_eq!(ask("mock.test:8080").await.unwrap().status(), 200);
    assert_eq!(ask("other.test:8080").await.unwrap().status(), 403);
}

#[tokio::test]
async fn the_clock_stays_between_1970_and_3000() {
    let m = Mock::plain().await;
    let (_, before) = m.cget("/_mock/clock").await;
    let now = before["now"].as_i64().unwrap();
    for seconds in [-now - 1, 32_503_680_000 - now + 10, i64::MIN, i64::MAX] {
        let got = m
            .cpost("/_mock/clock/advance", json!({ "seconds": seconds }))
            .await;
        assert_control_error(&got, 400, "seconds");
        assert!(got.1["message"].as_str().unwrap().contains("1970"));
    }
    for bad in [-1, 32_503_680_001i64] {
        let got = m.cpost("/_mock/clock/set", json!({ "now": bad })).await;
        assert_control_error(&got, 400, "now must be");
    }
    let (_, after) = m.cget("/_mock/clock").await;
    assert_eq!(after["offsetMs"], 0, "refused moves change nothing");
    let (s, at) = m
        .cpost("/_mock/clock/advance", json!({"seconds": -now}))
        .await;
    assert_eq!(s, 200);
    assert!(at["now"].as_i64().unwrap() < 5, "{at}");
    let (s, at) = m
        .cpost("/_mock/clock/set", json!({"now": 32_503_680_000i64}))
        .await;
    assert_eq!(s, 200, "{at}");
}

#[tokio::test]
async fn every_413_is_json_in_its_surface_shape() {
    let m = Mock::start(config("", "body_limit_bytes = 4096")).await;
    let big = format!("{{\"clientId\": \"{}\"}}", "x".repeat(8000));
    // The emulated API: the four-key envelope, declared or streamed length.
    let got = m
        .post_raw(
            "/api/v2/token",
            Some(DEV),
            Some("application/json"),
            big.clone().into_bytes(),
        )
        .await;
    assert_error(&got, 413, "BAD_VALUE", "4096");
    let got = chunked_post(&m, "/api/v2/token", &[&[b' '; 3000], &[b' '; 3000]]).await;
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    let body: Value = serde_json::from_str(got.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["identifier"], "BAD_VALUE", "{body}");
    // The control API: {"message", "status"}, for JSON routes, raw-body
    // routes and the inbox alike.
    let json_ct = [("Content-Type", "application/json")];
    let got = post_with(&m, "/_mock/clock/advance", &json_ct, big.clone()).await;
    assert_control_error(&got, 413, "larger");
    let got = post_with(&m, "/_mock/reset", &json_ct, big.clone()).await;
    assert_control_error(&got, 413, "larger");
    let got = post_with(&m, "/_mock/inbox/ci", &json_ct, big.clone()).await;
    assert_control_error(&got, 413, "4096");
    let (_, inboxes) = m.cget("/_mock/inbox").await;
    assert_eq!(inboxes, json!([]), "nothing was kept");
    // A snapshot restore has its own limit.
    let small = Mock::start(config("", "[server]\nsnapshot_limit_mib = 1")).await;
    let got = post_with(&small, "/_mock/snapshot", &json_ct, vec![b' '; 2 << 20]).await;
    assert_control_error(&got, 413, "larger");
}

#[tokio::test]
async fn the_inboxes_together_keep_at_most_32_mib() {
    let m = Mock::plain().await;
    let limit = 1 << 20; // body_limit_bytes' default
    let body = vec![b'x'; limit];
    let (s, first) = m
        .post_raw("/_mock/inbox/first", None, Some("text/plain"), body.clone())
        .await;
    assert_eq!(s, 200, "{first}");
    for i in 0..40 {
        let name = format!("/_mock/inbox/bulk-{}", i % 3);
        let (s, _) = m
            .post_raw(&name, None, Some("text/plain"), body.clone())
            .await;
        assert_eq!(s, 200);
    }
    let inbox = &m.stats().await["inbox"];
    assert_eq!(inbox["maxBytes"], 32 << 20);
    assert!(inbox["bytes"].as_u64().unwrap() <= 32 << 20, "{inbox}");
    let (_, inboxes) = m.cget("/_mock/inbox").await;
    let counts: Vec<(String, u64)> = inboxes
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert!((28..=32).contains(&total), "{counts:?}");
    // The oldest message went first, and its inbox, left empty, with it.
    assert!(
        !counts.iter().any(|(name, _)| name == "first"),
        "the oldest message went first: {counts:?}"
    );
    // The newest one is kept.
    let (_, newest) = m.cget("/_mock/inbox/bulk-0").await;
    let ids: Vec<u64> = newest["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|msg| msg["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.last(), Some(&41), "{ids:?}");
}

#[tokio::test]
async fn a_5_mb_snapshot_restores_whole() {
    let m = Mock::plain().await;
    // Long (but valid) redirect URLs make each verification a few KB.
    let url = |kind: &str| format!("https://app.test/{kind}?pad={}", "p".repeat(1000));
    let (success, error, unverified) = (url("success"), url("error"), url("unverified"));
    let create = |from: usize, to: usize| {
        let (m, success, error, unverified) = (&m, &success, &error, &unverified);
        futures_util::future::join_all((from..to).map(move |i| {
            m.token(
                DEV,
                json!({"clientId": format!("client-{i}"), "successUrl": success,
                    "errorUrl": error, "unverifiedUrl": unverified}),
            )
        }))
    };
    // Measure one verification's share, then make enough for over 5 MB.
    create(0, 100).await;
    let size = |snap: &Value| serde_json::to_vec(snap).unwrap().len();
    let per = size(&m.cget("/_mock/snapshot").await.1) / 100;
    let needed = 5_000_000 / per + 100;
    for start in (100..needed).step_by(500) {
        create(start, (start + 500).min(needed)).await;
    }
    let (s, snapshot) = m.cget("/_mock/snapshot").await;
    assert_eq!(s, 200);
    assert!(size(&snapshot) > 5_000_000, "{}", size(&snapshot));
    let other = Mock::plain().await;
    let (s, restored) = other.cpost("/_mock/snapshot", snapshot.clone()).await;
    assert_eq!(s, 200, "{restored}");
    assert_eq!(restored["verifications"], needed);
    let (_, again) = other.cget("/_mock/snapshot").await;
    assert_eq!(again["verifications"], snapshot["verifications"]);
}

#[tokio::test]
async fn idle_connections_close_but_a_long_poll_in_flight_is_not_idle() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::{timeout, Duration, Instant};
    let m = Mock::start(config(
        "",
        "[server]\nidle_timeout_secs = 1\nheader_read_timeout_secs = 1",
    ))
    .await;
    let request = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    // Reads until the connection closes; what arrived, and when it closed.
    async fn until_closed(tcp: &mut tokio::net::TcpStream) -> (String, Instant) {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    return (String::from_utf8_lossy(&got).into_owned(), Instant::now())
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    }
    let started = Instant::now();
    let mut kept_alive = tokio::net::TcpStream::connect(m.server.address())
        .await
        .unwrap();
    kept_alive
        .write_all(request("/_mock/health").as_bytes())
        .await
        .unwrap();
    let mut long_poll = tokio::net::TcpStream::connect(m.server.address())
        .await
        .unwrap();
    long_poll
        .write_all(request("/_mock/webhooks/wait?scanRef=none&timeoutMs=2500").as_bytes())
        .await
        .unwrap();
    let (answer, closed) = timeout(Duration::from_secs(10), until_closed(&mut kept_alive))
        .await
        .expect("the idle connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        closed - started >= Duration::from_secs(1),
        "kept for the idle timeout"
    );
    // Quiet for 2.5 s, longer than the idle timeout, but in flight.
    let mut buf = [0u8; 12];
    timeout(Duration::from_secs(10), long_poll.read_exact(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    assert_eq!(&buf, b"HTTP/1.1 408");
    assert!(started.elapsed() >= Duration::from_millis(2500));
}

//! HTTPS and the drop-in, on the real binary: the local CA kept across
//! restarts, iDenfy's own URLs, connections that go wrong affecting only
//! themselves, and a damaged TLS folder named at start.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{Proc, BIN};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idenfy-mock-tls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client that trusts only the CA in `dir`, with `names` resolved to `at`.
fn trusting(dir: &Path, names: &[&str], at: std::net::SocketAddr) -> reqwest::blocking::Client {
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let mut b = reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for name in names {
        b = b.resolve(name, at);
    }
    b.build().unwrap()
}

/// The binary with HTTPS on a free port and its TLS folder in `dir`;
/// the plain and the HTTPS address.
fn start(dir: &Path, extra: &[&str]) -> (Proc, String, std::net::SocketAddr) {
    let mut args = vec![
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let p = Proc::spawn(&args);
    let plain = p.address();
    let tls: std::net::SocketAddr = p.after("HTTPS listening on ").parse().unwrap();
    (p, plain, tls)
}

#[test]
fn https_serves_the_same_api_and_a_restart_keeps_the_same_ca() {
    let dir = scratch("restart");
    let (mut p, plain, tls) = start(&dir, &[]);
    let pem = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let client = trusting(&dir, &["localhost"], tls);
    // The CA on both listeners, without the admin token it would need.
    let served = reqwest::blocking::get(format!("http://{plain}/_mock/ca.pem"))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(served, pem);
    let https = format!("https://localhost:{}", tls.port());
    let served = client.get(format!("{https}/_mock/ca.pem")).send().unwrap();
    assert_eq!(served.text().unwrap(), pem);
    let created = client
        .post(format!("{https}/api/v2/token"))
        .basic_auth("idenfy-mock-key", Some("idenfy-mock-secret"))
        .json(&json!({"clientId": "tls"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    // A client that does not trust the CA is refused at the handshake.
    let stranger = reqwest::blocking::Client::builder()
        .resolve("localhost", tls)
        .build()
        .unwrap();
    let refused = stranger.get(format!("{https}/_mock/health")).send();
    assert!(refused.is_err(), "{refused:?}");
    // The keys stay private and are never served.
    assert!(!served_contains(&client, &https, "PRIVATE KEY"));
    p.signal("TERM");
    assert_eq!(p.exit().0, Some(0));

    let (mut again, _, tls) = start(&dir, &[]);
    let client = trusting(&dir, &["localhost"], tls);
    let health = client
        .get(format!("https://localhost:{}/_mock/health", tls.port()))
        .send()
        .unwrap();
    assert_eq!(
        health.status(),
        200,
        "the old CA still verifies the new start"
    );
    assert_eq!(std::fs::read_to_string(dir.join("ca.pem")).unwrap(), pem);
    again.signal("TERM");
    assert_eq!(again.exit().0, Some(0));
    let printed = Command::new(BIN)
        .args(["ca", "--tls-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(String::from_utf8_lossy(&printed.stdout), pem);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether anything the control API shows has `text`.
fn served_contains(client: &reqwest::blocking::Client, base: &str, text: &str) -> bool {
    ["/_mock/ca.pem", "/_mock/snapshot", "/_mock/stats"]
        .iter()
        .filter_map(|p| client.get(format!("{base}{p}")).send().ok())
        .filter_map(|r| r.text().ok())
        .any(|t| t.contains(text))
}

#[test]
fn the_drop_in_answers_as_ivs_idenfy_com_with_its_urls() {
    let dir = scratch("drop-in");
    let (mut p, _plain, tls) = start(&dir, &["--drop-in"]);
    let client = trusting(&dir, &["ivs.idenfy.com", "ui.idenfy.com"], tls);
    let base = format!("https://ivs.idenfy.com:{}", tls.port());
    let created: Value = client
        .post(format!("{base}/api/v2/token"))
        .basic_auth("idenfy-mock-key", Some("idenfy-mock-secret"))
        .json(&json!({"clientId": "drop-in", "dummyStatus": "APPROVED"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = created["authToken"].as_str().unwrap();
    assert_eq!(
        created["redirectUrl"],
        format!("https://ivs.idenfy.com/api/v2/redirect?authToken={token}")
    );
    // The redirect leads to the page, over HTTPS on the same host.
    let redirect = client
        .get(format!("{base}/api/v2/redirect?authToken={token}"))
        .send()
        .unwrap();
    assert_eq!(redirect.status(), 303);
    let page = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(page.starts_with("/ui/?authToken="), "{page}");
    let shown = client.get(format!("{base}{page}")).send().unwrap();
    assert!(shown.status().is_client_error() || shown.status().is_success());
    assert!(shown.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // The webhook's file URLs name the same host.
    let hook: Value = client
        .get(format!(
            "https://ui.idenfy.com:{}/_mock/webhooks/wait?scanRef={}&timeoutMs=10000",
            tls.port(),
            created["scanRef"].as_str().unwrap()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let body: Value = serde_json::from_str(hook["body"].as_str().unwrap()).unwrap();
    let front = body["fileUrls"]["FRONT"].as_str().unwrap();
    assert!(front.starts_with("https://ivs.idenfy.com/"), "{front}");
    p.signal("TERM");
    assert_eq!(p.exit().0, Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads until the peer closes or 5 s pass; what came.
fn until_closed(mut tcp: TcpStream) -> (Vec<u8>, Duration) {
    let began = Instant::now();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let _ = tcp.read_to_end(&mut got);
    (got, began.elapsed())
}

#[test]
fn bad_connections_to_the_https_port_affect_only_themselves() {
    let dir = scratch("bad");
    let config = dir.join("config.toml");
    std::fs::write(&config, "[server]\nheader_read_timeout_secs = 1\n").unwrap();
    let (mut p, _plain, tls) = start(&dir, &["--config", config.to_str().unwrap()]);
    // Plain HTTP on the HTTPS port: told to use https.
    let mut plain = TcpStream::connect(tls).unwrap();
    write!(
        plain,
        "GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    let (answer, _) = until_closed(plain);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("https://"),
        "{answer}"
    );
    // A broken handshake and a stalled one: closed, the second by the timeout.
    let mut broken = TcpStream::connect(tls).unwrap();
    broken.write_all(&[22, 3, 1, 0, 5, 1, 2, 3, 4, 5]).unwrap();
    let stalled = TcpStream::connect(tls).unwrap();
    let (_, took) = until_closed(broken);
    assert!(took < Duration::from_secs(5));
    let (_, took) = until_closed(stalled);
    assert!(took < Duration::from_secs(4), "{took:?}");
    // A name the certificate does not have fails at the client only; no
    // name at all (an IP address) is served.
    let client = trusting(&dir, &["evil.test"], tls);
    assert!(client
        .get(format!("https://evil.test:{}/_mock/health", tls.port()))
        .send()
        .is_err());
    let by_ip = trusting(&dir, &[], tls)
        .get(format!("https://127.0.0.1:{}/_mock/health", tls.port()))
        .send()
        .unwrap();
    assert_eq!(by_ip.status(), 200);
    p.signal("TERM");
    let (code, printed) = p.exit();
    assert_eq!(code, Some(0));
    assert!(
        printed.contains("plain HTTP on the HTTPS port"),
        "{printed}"
    );
    assert!(printed.contains("TLS handshake failed"), "{printed}");
    assert!(
        printed.contains("TLS handshake not done within"),
        "{printed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_tls_folder_stops_start_up_naming_the_file() {
    let dir = scratch("damaged");
    std::fs::write(dir.join("ca.pem"), "-----BEGIN CERTIFICATE-----\nbroken\n").unwrap();
    std::fs::write(dir.join("ca.key"), "not a key").unwrap();
    let mut p = Proc::spawn(&[
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-dir",
        dir.to_str().unwrap(),
    ]);
    let (code, printed) = p.exit();
    assert_ne!(code, Some(0), "{printed}");
    assert!(printed.contains("ca.key"), "{printed}");
    assert!(!printed.contains("listening on"), "{printed}");
    let _ = std::fs::remove_dir_all(&dir);
}

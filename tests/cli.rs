//! The `idenfy-mock` binary: flags, configuration errors, and a graceful exit
//! on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};

use base64::Engine as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_idenfy-mock");

#[test]
fn help_and_version() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--listen",
        "--public-url",
        "--webhook-url",
        "--seed",
        "IDENFY_MOCK_API_KEY",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

#[test]
fn a_bad_config_stops_start_up_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("idenfy-mock-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[webhooks]\nretries = \"many\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("webhooks.retries"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let out = Command::new(BIN)
        .args(["--config", "no/such.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.toml"));

    let out = Command::new(BIN)
        .args(["--listen", "not-an-address", "--check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'listen'"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigterm_exits_zero_after_a_graceful_shutdown() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = loop {
        assert!(Instant::now() < deadline, "no 'listening on' line");
        let line = lines.next().expect("output").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // One log line per request: method, path, status, latency, the API key —
    // never the secret, and plain text when not on a terminal.
    let mut probe = std::net::TcpStream::connect(&addr).expect("server accepts connections");
    let secret = "not-the-right-secret";
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("idenfy-mock-key:{secret}"));
    write!(
        probe,
        "POST /api/v2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut answer = String::new();
    probe.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let line = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("/api/v2/token"))
        .expect("a log line for the request");
    for part in [
        "method=POST",
        "status=401",
        "latency_us=",
        "partner=\"idenfy-mock-key\"",
    ] {
        assert!(line.contains(part), "{part} in {line:?}");
    }
    assert!(
        !line.contains(secret) && !line.contains('\u{1b}'),
        "{line:?}"
    );
    // SIGTERM ends it with status 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(exit.code(), Some(0));
}

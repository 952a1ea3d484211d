//! The `idenfy-mock` binary: flags, configuration errors, a graceful exit on
//! SIGTERM that no client can hold up, and connection bounds.

use std::io::{BufRead, BufReader, Read, Write};

use base64::Engine as _;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_idenfy-mock");

/// The binary on a free loopback port with `env` set, its log read on a
/// thread so that every wait for a line has a deadline.
struct Logged {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    addr: String,
    /// The lines up to and including the "listening on" one.
    head: Vec<String>,
}

impl Logged {
    fn start(env: &[(&str, &str)]) -> Logged {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut logged = Logged {
            child,
            lines,
            addr: String::new(),
            head: Vec::new(),
        };
        logged.head = logged.lines_until("listening on ");
        logged.addr = logged.head[logged.head.len() - 1]
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an address after 'listening on'")
            .to_owned();
        logged
    }

    /// The lines up to and including the next one containing `what`;
    /// panics after 10 s.
    fn lines_until(&self, what: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(what);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => panic!("no log line with {what:?} within 10 s; saw {seen:?}"),
            }
        }
    }

    fn next_matching(&self, what: &str) -> String {
        self.lines_until(what).pop().unwrap_or_default()
    }
}

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
        "IDENFY_MOCK_SEED",
        "IDENFY_MOCK_ADMIN_TOKEN",
        "API base URL  http://127.0.0.1:8080",
        "API key       idenfy-mock-key",
        "API secret    idenfy-mock-secret",
        "signing key   idenfy-mock-signing-key",
        "dashboard     http://127.0.0.1:8080/_mock/",
        "webhooks      no target: journaled only",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}:\n{help}");
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--listen: 'not-an-address' is not an address"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigterm_exits_zero_after_a_graceful_shutdown() {
    let mut m = Logged::start(&[]);
    let addr = m.addr.clone();
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
    let line = m.next_matching("/api/v2/token");
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
    terminate(&mut m.child, Duration::from_secs(10));
}

/// The binary started with `toml` as its --config file, under `ulimit -n
/// nofile` when given. Returns the child and the address it listens on.
fn start(name: &str, toml: &str, nofile: Option<u32>) -> (Child, String) {
    let dir = std::env::temp_dir().join(format!("idenfy-mock-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(&file, toml).unwrap();
    let mut command = match nofile {
        // The shell lowers its own limit, then becomes the mock.
        Some(n) => {
            let mut c = Command::new("sh");
            c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), BIN]);
            c
        }
        None => Command::new(BIN),
    };
    let mut child = command
        .arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("a 'listening on' line").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // The config is read at start only: nothing is left in the temp folder.
    std::fs::remove_dir_all(&dir).ok();
    // Keep reading the log so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// Sends SIGTERM and returns how long the process took to exit (panics
/// after `limit`), asserting exit status 0.
fn terminate(child: &mut Child, limit: Duration) -> Duration {
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if sent.elapsed() > limit {
            child.kill().ok();
            panic!("still running {limit:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(exit.code(), Some(0));
    sent.elapsed()
}

/// One request on a fresh connection; the whole answer.
fn get(addr: &str, path: &str, timeout: Duration) -> std::io::Result<String> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(timeout))?;
    write!(
        tcp,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)?;
    Ok(answer)
}

/// Grace 2 s, and a header-read timeout far longer than the test, so that
/// only shutdown can end the connections below.
const GRACE_2S: &str =
    "[webhooks]\nshutdown_grace_secs = 2\n[server]\nheader_read_timeout_secs = 300\n";

#[test]
fn a_half_sent_request_does_not_hold_up_shutdown() {
    let (mut child, addr) = start("half-sent", GRACE_2S, None);
    let mut half = TcpStream::connect(&addr).unwrap();
    write!(
        half,
        "GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    )
    .unwrap();
    // An idle kept-alive connection too.
    let mut idle = TcpStream::connect(&addr).unwrap();
    write!(
        idle,
        "GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let took = terminate(&mut child, Duration::from_secs(3));
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The half-sent request was dropped, not answered.
    half.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut rest = Vec::new();
    let _ = half.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[test]
fn an_open_long_poll_is_answered_at_once_on_sigterm() {
    let (mut child, addr) = start("long-poll", GRACE_2S, None);
    let mut poll = TcpStream::connect(&addr).unwrap();
    write!(
        poll,
        "GET /_mock/webhooks/wait?scanRef=none&timeoutMs=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    // Requests on later connections are answered: the long-poll, accepted
    // before them, is being served.
    for _ in 0..2 {
        let answer = get(&addr, "/_mock/health", Duration::from_secs(5)).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    poll.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let sent = Instant::now();
    let took = terminate(&mut child, Duration::from_secs(3));
    let mut answer = String::new();
    poll.read_to_string(&mut answer).unwrap();
    assert!(sent.elapsed() < Duration::from_secs(3));
    assert!(answer.starts_with("HTTP/1.1 "), "{answer:?}");
    assert!(answer.contains("\"status\""), "a JSON answer: {answer:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn idle_sockets_beyond_the_descriptor_limit_do_not_lock_clients_out() {
    // nofile=1024, as in many CI containers; 1,100 sockets that send nothing.
    let (mut child, addr) = start(
        "idle-sockets",
        "[server]\nheader_read_timeout_secs = 1\n",
        Some(1024),
    );
    let idle: Vec<TcpStream> = (0..1100)
        .map(|i| {
            TcpStream::connect(&addr)
                .unwrap_or_else(|e| panic!("socket {i} (the test needs ulimit -n > 1200): {e}"))
        })
        .collect();
    // After the header-read timeout the silent ones are closed and a real
    // client is served.
    let answer = get(&addr, "/_mock/health", Duration::from_secs(10)).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut first = &idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        first.read(&mut buf).unwrap(),
        0,
        "a silent socket is closed"
    );
    drop(idle);
    terminate(&mut child, Duration::from_secs(7));
}

/// A receiver on its own port: while `answer` is false it accepts and never
/// answers (a stuck app); once true, it answers 200 and sends on each body.
struct Switchable {
    url: String,
    answer: std::sync::Arc<std::sync::atomic::AtomicBool>,
    bodies: std::sync::mpsc::Receiver<String>,
}

impl Switchable {
    fn start() -> Switchable {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let answer = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, bodies) = std::sync::mpsc::channel();
        let switch = answer.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if !switch.load(Ordering::SeqCst) {
                    held.push(stream);
                    continue;
                }
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_ok() {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
                }
            }
        });
        Switchable {
            url,
            answer,
            bodies,
        }
    }
}

/// One request with a JSON body on a fresh connection; the answer's status
/// line and body.
fn post_json(addr: &str, path: &str, auth: Option<&str>, body: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = auth.map_or(String::new(), |a| {
        format!(
            "Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(a)
        )
    });
    write!(
        tcp,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn the_state_file_survives_a_restart_and_its_pending_webhooks_are_delivered() {
    let dir = std::env::temp_dir().join(format!("idenfy-mock-cli-{}-state", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let receiver = Switchable::start();
    let toml = format!(
        "[state]\nfile = {:?}\n[webhooks]\ntimeout_secs = 30\nretries = 0\nshutdown_grace_secs = 1\n",
        state.display().to_string()
    );
    // First run: the webhook is stuck at the receiver when SIGTERM comes.
    let (mut child, addr) = start("state-1", &toml, None);
    let (status, body) = post_json(
        &addr,
        "/api/v2/token",
        Some("idenfy-mock-key:idenfy-mock-secret"),
        &format!(
            r#"{{"clientId":"kept","dummyStatus":"APPROVED","callbackUrl":"{}"}}"#,
            receiver.url
        ),
    );
    assert!(status.contains(" 201 "), "{status} {body}");
    let scan_ref = body
        .split("\"scanRef\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a scanRef")
        .to_owned();
    terminate(&mut child, Duration::from_secs(3));
    let saved = std::fs::read_to_string(&state).expect("state saved on shutdown");
    assert!(saved.contains(&scan_ref) && saved.contains("\"pending\""));

    // Second run: the verification is back and its webhook goes out.
    receiver
        .answer
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut child, addr) = start("state-2", &toml, None);
    let detail = get(
        &addr,
        &format!("/_mock/verifications/{scan_ref}"),
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(detail.starts_with("HTTP/1.1 200"), "{detail}");
    let delivered = receiver
        .bodies
        .recv_timeout(Duration::from_secs(10))
        .expect("the pending webhook delivered after the restart");
    assert!(delivered.contains(&scan_ref), "{delivered}");
    terminate(&mut child, Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CI run's parallel tests each long-poll for their webhook: 1,100 open
/// long-polls (more than a soft limit of 1,024 descriptors would allow) and
/// the server still answers a new client at once.
#[test]
fn more_than_a_thousand_open_long_polls_leave_room_for_other_clients() {
    let (mut child, addr) = start("many-polls", "", None);
    let polls: Vec<TcpStream> = (0..1100)
        .map(|i| {
            let mut tcp = TcpStream::connect(&addr).unwrap();
            write!(
                tcp,
                "GET /_mock/webhooks/wait?scanRef=none-{i}&timeoutMs=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            .unwrap();
            tcp
        })
        .collect();
    let answer = get(&addr, "/_mock/health", Duration::from_secs(5)).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
    drop(polls);
    terminate(&mut child, Duration::from_secs(10));
}

#[test]
fn a_default_start_says_where_and_how_waits_settle_and_lists_by_creation() {
    let mut m = Logged::start(&[("IDENFY_MOCK_SEED", "7")]);
    let addr = m.addr.clone();
    let banner = m.lines_until("  webhooks ");
    let url = format!("http://{addr}");
    let text = banner.join("\n");
    for line in [
        format!("  API base URL  {url}"),
        "  API key       idenfy-mock-key".into(),
        "  API secret    idenfy-mock-secret".into(),
        "  signing key   idenfy-mock-signing-key".into(),
        format!("  dashboard     {url}/_mock/"),
        format!("  OpenAPI       {url}/_mock/openapi/idenfy.json"),
        "  webhooks      no target: journaled only".into(),
    ] {
        assert!(text.contains(&line), "{line:?} in\n{text}");
    }

    // Verifications are listed oldest first, by creation.
    let mut created = Vec::new();
    for i in 0..5 {
        let (status, body) = post_json(
            &addr,
            "/api/v2/token",
            Some("idenfy-mock-key:idenfy-mock-secret"),
            &format!(r#"{{"clientId":"order-{i}","dummyStatus":"APPROVED"}}"#),
        );
        assert!(status.contains("201"), "{status} {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        created.push(v["scanRef"].as_str().unwrap().to_owned());
    }
    let answer = get(&addr, "/_mock/verifications", Duration::from_secs(10)).unwrap();
    let list: serde_json::Value =
        serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    let listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["scanRef"].as_str().unwrap())
        .collect();
    assert_eq!(listed, created);

    // With no target the webhook settles as undeliverable, and the default
    // wait answers with it.
    let answer = get(
        &addr,
        &format!(
            "/_mock/webhooks/wait?scanRef={}&timeoutMs=10000",
            created[4]
        ),
        Duration::from_secs(15),
    )
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""state":"undeliverable""#), "{answer}");

    // A second server on the same address names it and the way out.
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {addr}")) && err.contains("--listen"),
        "{err}"
    );
    terminate(&mut m.child, Duration::from_secs(10));
}

#[test]
fn an_unknown_token_field_is_logged_with_the_field_it_meant() {
    let mut m = Logged::start(&[]);
    let addr = m.addr.clone();
    let (status, body) = post_json(
        &addr,
        "/api/v2/token",
        Some("idenfy-mock-key:idenfy-mock-secret"),
        r#"{"clientId":"typo","dumyStatus":"APPROVED","x\u001b[31m":1}"#,
    );
    assert!(status.contains("201"), "{status} {body}");
    let line = m.next_matching("unknown field 'dumyStatus'");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("did you mean 'dummyStatus'?"), "{line}");
    // A key with control characters is logged escaped.
    let line = m.next_matching("unknown field 'x");
    assert!(!line.contains('\u{1b}'), "{line:?}");
    terminate(&mut m.child, Duration::from_secs(10));
}

/// The bank and bank card switches are known fields: no "unknown field"
/// line names them (a later request's typo marks the end of the first's lines).
#[test]
fn the_bank_and_card_switches_are_not_logged_as_unknown_fields() {
    let mut m = Logged::start(&[]);
    let addr = m.addr.clone();
    let switches = [
        "verifyBank",
        "verifyBankAccounts",
        "verifyBankBalances",
        "verifyBankTransactions",
        "bankCardVerification",
        "bankCardPdfUpload",
    ];
    let body = switches.iter().fold(
        r#"{"clientId":"bank","verifyBnak":true"#.to_owned(),
        |body, name| format!(r#"{body},"{name}":true"#),
    ) + "}";
    let (status, answer) = post_json(
        &addr,
        "/api/v2/token",
        Some("idenfy-mock-key:idenfy-mock-secret"),
        &body,
    );
    assert!(status.contains("201"), "{status} {answer}");
    let (status, answer) = post_json(
        &addr,
        "/api/v2/token",
        Some("idenfy-mock-key:idenfy-mock-secret"),
        r#"{"clientId":"end","endOfTheFirstRequest":1}"#,
    );
    assert!(status.contains("201"), "{status} {answer}");
    let lines = m.lines_until("unknown field 'endOfTheFirstRequest'");
    let unknown: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("unknown field"))
        .collect();
    // The one real typo is named, with the switch it was near; no switch is
    // called unknown.
    assert_eq!(unknown.len(), 2, "{unknown:#?}");
    assert!(
        unknown[0].contains("unknown field 'verifyBnak' ignored; did you mean 'verifyBank'?"),
        "{unknown:#?}"
    );
    for name in switches {
        assert!(
            !unknown
                .iter()
                .any(|l| l.contains(&format!("unknown field '{name}'"))),
            "{name}: {unknown:#?}"
        );
    }
    terminate(&mut m.child, Duration::from_secs(10));
}

#[test]
fn the_healthcheck_subcommand_passes_on_a_served_health_endpoint_only() {
    let mut m = Logged::start(&[]);
    let run = |url: String| {
        Command::new(BIN)
            .args(["healthcheck", "--url", &url])
            .output()
            .expect("the binary runs")
    };
    let ok = run(format!("http://{}/_mock/health", m.addr));
    assert!(ok.status.success(), "{ok:?}");
    let missing = run(format!("http://{}/nope", m.addr));
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("404"),
        "{missing:?}"
    );
    let _ = m.child.kill();
    let _ = m.child.wait();
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_configured_webhook_url_aimed_at_the_control_api_stops_start_up() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--webhook-url",
            &format!("http://localhost:{port}/_mock/reset"),
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("still serving 10 s later: the start was not refused");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_ne!(status.code(), Some(0));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("webhooks.url") && err.contains("control API"),
        "{err}"
    );
}

#[test]
fn log_lines_escape_line_and_paragraph_separators() {
    let mut m = Logged::start(&[]);
    let addr = m.addr.clone();
    let (status, body) = post_json(
        &addr,
        "/api/v2/token",
        Some("idenfy-mock-key:idenfy-mock-secret"),
        "{\"clientId\":\"c\",\"a\u{2028}forged\u{2029}b\":1}",
    );
    assert!(status.contains(" 201 "), "{status} {body}");
    let line = m.next_matching("unknown field");
    assert!(
        line.contains("a\\u{2028}forged\\u{2029}b"),
        "escaped: {line:?}"
    );
    assert!(
        !line.contains('\u{2028}') && !line.contains('\u{2029}'),
        "{line:?}"
    );
    terminate(&mut m.child, Duration::from_secs(10));
}

/// With `IDENFY_MOCK_EXIT_WITH_PARENT=1` (what the test helpers set) the
/// mock stops when its standard input closes, and a SIGTERM while the pipe
/// is still open stops it as promptly as without the variable.
#[test]
fn exit_with_parent_stops_on_stdin_end_and_on_sigterm_with_stdin_open() {
    let wait_exit = |child: &mut Child, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: still running after 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let start = || {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .env("IDENFY_MOCK_EXIT_WITH_PARENT", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("listening on") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "no 'listening on'");
        }
        // Keep reading so the log never blocks the server.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        child
    };
    // The parent goes away: its end of the pipe closes.
    let mut child = start();
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, "stdin closed").success());
    // SIGTERM while the pipe is open.
    let mut child = start();
    let started = Instant::now();
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert!(wait_exit(&mut child, "SIGTERM with stdin open").success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    drop(child.stdin.take());
}

//! The state file on the real binary: it is checked at start-up, a failed
//! final save is an error, and no kill or signal at any moment of a save
//! leaves a file that does not load or loses an accepted webhook.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::Proc;

const AUTH: (&str, &str) = ("idenfy-mock-key", "idenfy-mock-secret");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "idenfy-mock-statefile-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[test]
fn a_state_file_in_a_directory_that_cannot_be_written_stops_start_up() {
    let dir = scratch("unwritable");
    // A regular file where the directory should be (root may write into a
    // read-only directory, but never into a file).
    let not_a_dir = dir.join("plain-file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    for path in [
        dir.join("missing").join("state.json"),
        not_a_dir.join("state.json"),
    ] {
        let mut p = Proc::spawn(&["--state-file", path.to_str().unwrap()]);
        let (code, printed) = p.exit();
        assert_ne!(code, Some(0), "{printed}");
        assert!(
            printed.contains(&path.display().to_string()) && printed.contains("not writable"),
            "the message names the path: {printed}"
        );
        assert!(!printed.contains("listening on"), "{printed}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_final_save_is_an_error_and_a_non_zero_exit() {
    let dir = scratch("final-save");
    let state = dir.join("state.json");
    let mut p = Proc::spawn(&["--state-file", state.to_str().unwrap()]);
    p.address();
    // The directory goes away while the server runs.
    std::fs::remove_dir_all(&dir).unwrap();
    p.signal("TERM");
    let (code, printed) = p.exit();
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        printed.contains("ERROR") && printed.contains("cannot save the state file"),
        "{printed}"
    );
}

/// A loopback port that accepts connections and never answers: webhooks to
/// it stay pending.
fn black_hole() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    (listener, url)
}

/// Creates `n` dummy tokens whose webhooks go to `hook`; their scanRefs.
fn create(client: &reqwest::blocking::Client, addr: &str, hook: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let r = client
                .post(format!("http://{addr}/api/v2/token"))
                .basic_auth(AUTH.0, Some(AUTH.1))
                .json(&serde_json::json!({
                    "clientId": format!("state-{i}"),
                    "dummyStatus": "APPROVED",
                    "callbackUrl": hook,
                    "firstName": "A".repeat(100),
                }))
                .send()
                .unwrap();
            let status = r.status();
            let v: Value = r.json().unwrap();
            assert_eq!(status, 201, "{v}");
            v["scanRef"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Every scanRef whose webhook the state file holds.
fn journaled(state: &Path) -> std::collections::HashSet<String> {
    let text = std::fs::read_to_string(state).unwrap();
    let snap: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the state file is not JSON ({e}): {} bytes", text.len()));
    snap["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["scanRef"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (polling, 5 s at most) until a save is writing: its temporary file
/// is in the directory.
fn wait_for_a_save(dir: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let writing = std::fs::read_dir(dir).unwrap().flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.contains("state.json") && name.contains("tmp-")
        });
        if writing {
            return true;
        }
        std::thread::yield_now();
    }
    false
}

/// SIGKILL and SIGTERM at moments chosen inside periodic saves, with the
/// state shrinking (a reset) or growing (a restored seed) between saves:
/// every file left behind loads, and after a SIGTERM every webhook accepted
/// before the signal is back after the restart.
#[test]
fn kills_and_signals_in_the_middle_of_saves_always_leave_a_loadable_file() {
    let dir = scratch("faults");
    let state = dir.join("state.json");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[state]\nsave_every_secs = 1\n[webhooks]\ntimeout_secs = 60\nretries = 0\nshutdown_grace_secs = 0\nmax_pending_per_target = 10000\n",
    )
    .unwrap();
    let (_hole, hook) = black_hole();
    let client = http();
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
    ];

    // A seed big enough that a save takes a while: 1,500 verifications.
    let mut p = Proc::spawn(&args);
    let addr = p.address();
    create(&client, &addr, &hook, 1500);
    let seed = client
        .get(format!("http://{addr}/_mock/snapshot"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    p.signal("TERM");
    assert_eq!(p.exit().0, Some(0));

    let mut rng_state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    let mut random = move |below: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state % below
    };
    let mut expected: Vec<String> = Vec::new();
    let rounds = 16;
    for round in 0..rounds {
        let mut p = Proc::spawn(&args);
        // It starts: the file left by the previous round loads.
        let addr = p.address();
        if !expected.is_empty() {
            let kept = journaled(&state);
            let lost: Vec<_> = expected.iter().filter(|s| !kept.contains(*s)).collect();
            assert!(lost.is_empty(), "round {round}: webhooks lost: {lost:?}");
        }
        // Grow to the seed, and wait until a periodic save is writing it.
        let r = client
            .post(format!("http://{addr}/_mock/snapshot"))
            .header("Content-Type", "application/json")
            .body(seed.clone())
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{:?}", r.text());
        let mut accepted = create(&client, &addr, &hook, 5);
        assert!(
            wait_for_a_save(&dir),
            "round {round}: no periodic save seen"
        );
        if round % 2 == 0 {
            // Shrink while it writes: the shutdown save is far smaller than
            // the periodic one still being written.
            let r = client
                .post(format!("http://{addr}/_mock/reset"))
                .header("X-Idenfy-Mock", "1")
                .send()
                .unwrap();
            assert!(r.status().is_success(), "{:?}", r.text());
            accepted = create(&client, &addr, &hook, 2);
        }
        std::thread::sleep(Duration::from_micros(random(20_000)));
        let kill = round % 4 == 1;
        p.signal(if kill { "KILL" } else { "TERM" });
        let (code, printed) = p.exit();
        if kill {
            // What was saved last is kept; later changes may be lost.
            expected.clear();
        } else {
            assert_eq!(code, Some(0), "round {round}: {printed}");
            expected = accepted;
        }
        // Whatever happened, the file is a whole snapshot.
        journaled(&state);
    }
    let mut p = Proc::spawn(&args);
    p.address();
    p.signal("TERM");
    assert_eq!(p.exit().0, Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sighup_and_sigquit_drain_and_save_like_sigterm() {
    let dir = scratch("hup-quit");
    let state = dir.join("state.json");
    let (_hole, hook) = black_hole();
    for signal in ["HUP", "QUIT"] {
        let mut p = Proc::spawn(&["--state-file", state.to_str().unwrap()]);
        let addr = p.address();
        let made = create(&http(), &addr, &hook, 1);
        p.signal(signal);
        let (code, printed) = p.exit();
        assert_eq!(code, Some(0), "SIG{signal}: {printed}");
        assert!(
            printed.contains(&format!("SIG{signal} received")),
            "{printed}"
        );
        assert!(printed.contains("state saved to"), "{printed}");
        assert!(journaled(&state).contains(&made[0]), "SIG{signal}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

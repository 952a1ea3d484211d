//! End to end in a real headless Chromium (Debian's chromium + chromium-driver):
//! the redirect flow to the partner's successUrl with the signed webhook
//! arriving, and the page inside an iframe posting its message to the parent.
//!
//! Ignored by a plain `cargo test` because it needs the browser;
//! `scripts/test` installs it and runs these with `--include-ignored`.
//! `UPDATE_SCREENSHOTS=1` rewrites docs/verification-page.png.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The browser and its driver: `CHROMIUM` and `CHROMEDRIVER` when set
/// (scripts/test sets them from PATH), else Debian's paths.
fn tool(var: &str, debian: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| debian.to_owned())
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(tool("CHROMEDRIVER", "/usr/bin/chromedriver"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (apt-get install chromium-driver)");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await {
            if r.status().is_success() {
                return driver;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn browser(driver: &Driver) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": tool("CHROMIUM", "/usr/bin/chromium"),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=760,900"]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    // reqwest and hyper-rustls bring different crypto providers; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("TLS set-up")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// The partner's app: a success page and a page that embeds the mock.
async fn partner_app() -> String {
    let app = Router::new()
        .route("/success", get(|| async { Html("<h1 id=\"thanks\">Thanks, verified</h1>") }))
        .route(
            "/embed",
            get(|axum::extract::RawQuery(q): axum::extract::RawQuery| async move {
                let src = q.unwrap_or_default().trim_start_matches("src=").to_owned();
                let src = url::form_urlencoded::parse(format!("s={src}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                Html(format!(
                    "<!DOCTYPE html><html><body><iframe id=\"idenfy\" src=\"{src}\" style=\"width:700px;height:800px\"></iframe>\
<pre id=\"messages\"></pre><script>window.addEventListener('message',function(e){{\
var d=e.data;document.getElementById('messages').textContent+=\
(typeof d)+' '+(typeof d==='string'?d:JSON.stringify(d));}});</script></body></html>"
                ))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

async fn poll<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; scripts/test installs them and runs it"]
async fn approve_in_a_real_browser_lands_on_success_url_with_a_signed_webhook() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let app = partner_app().await;
    let t = m
        .token(DEV, json!({"clientId": "browser-user", "firstName": "Jūratė", "lastName": "Smith",
            "country": "lt", "documents": ["PASSPORT", "ID_CARD"], "successUrl": format!("{app}/success")}))
        .await;
    let driver = start_driver().await;
    let c = browser(&driver).await;
    c.goto(t["redirectUrl"].as_str().unwrap()).await.unwrap();
    let client = c
        .wait()
        .for_element(Locator::Id("client-id"))
        .await
        .unwrap();
    assert_eq!(client.text().await.unwrap(), "browser-user");
    assert_eq!(
        c.find(Locator::Id("first-name"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "JŪRATĖ"
    );
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let png = c.screenshot().await.unwrap();
        std::fs::create_dir_all("docs").unwrap();
        std::fs::write("docs/verification-page.png", png).unwrap();
    }
    c.find(Locator::Id("approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = poll("the success page", || async {
        let url = c.current_url().await.ok()?;
        url.as_str()
            .starts_with(&format!("{app}/success"))
            .then_some(url)
    })
    .await;
    assert_eq!(landed.path(), "/success");
    let thanks = c.wait().for_element(Locator::Id("thanks")).await.unwrap();
    assert_eq!(thanks.text().await.unwrap(), "Thanks, verified");

    let hook = &rx.wait_for(1).await[0];
    let body = hook.json();
    assert_eq!(body["scanRef"], t["scanRef"]);
    assert_eq!(body["status"]["overall"], "APPROVED");
    assert!(idenfy_mock::webhook::sign::verify(
        DEV_SIGNING_KEY.as_bytes(),
        &hook.body,
        &hook.header("idenfy-signature").unwrap()
    ));
    c.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; scripts/test installs them and runs it"]
async fn the_page_in_an_iframe_posts_its_result_to_the_parent_in_both_forms() {
    // (config, the type the parent sees, the status value)
    for (extra, kind, status) in [
        ("", "object", "failed"),
        (
            "[ui]\niframe_message = 'json'\niframe_case = 'upper'",
            "string",
            "FAILED",
        ),
    ] {
        iframe_posts(extra, kind, status).await;
    }
}

async fn iframe_posts(extra: &str, kind: &str, status: &str) {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, extra)).await;
    let app = partner_app().await;
    let t = m.token(DEV, json!({"clientId": "iframe-user"})).await;
    let ui = format!(
        "{}/ui/?authToken={}&lang=en",
        m.server.url(),
        t["authToken"].as_str().unwrap()
    );
    let embed: String = url::form_urlencoded::byte_serialize(ui.as_bytes()).collect();
    let driver = start_driver().await;
    let c = browser(&driver).await;
    c.goto(&format!("{app}/embed?src={embed}")).await.unwrap();
    c.wait().for_element(Locator::Id("idenfy")).await.unwrap();
    c.enter_frame(0).await.unwrap();
    let deny = c.wait().for_element(Locator::Id("deny")).await.unwrap();
    c.find(Locator::Css("#deny-face option[value='FACE_TOO_BLURRY']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    deny.click().await.unwrap();
    c.wait().for_element(Locator::Id("finished")).await.unwrap();
    c.enter_parent_frame().await.unwrap();
    let text = poll("the iframe message", || async {
        let t = c
            .find(Locator::Id("messages"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (!t.is_empty()).then_some(t)
    })
    .await;
    let (seen, data) = text.split_once(' ').expect("type and data");
    assert_eq!(seen, kind, "{text}");
    let message: Value = serde_json::from_str(data).expect("the message as JSON");
    assert_eq!(
        message,
        json!({"status": status, "manualStatus": status, "autoSuspected": false, "manualSuspected": false})
    );
    // The parent page stayed where it was: no redirect inside or outside the frame.
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&format!("{app}/embed")));
    let hook = &rx.wait_for(1).await[0];
    assert_eq!(hook.json()["status"]["autoFace"], "FACE_TOO_BLURRY");
    c.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; scripts/test installs them and runs it"]
async fn the_dashboard_shows_webhooks_and_finishes_a_session_from_the_browser() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let approved = m
        .token(DEV, json!({"clientId": "alice", "dummyStatus": "APPROVED"}))
        .await;
    m.token(DEV, json!({"clientId": "bob", "dummyStatus": "SUSPECTED"}))
        .await;
    let waiting = m.token(DEV, json!({"clientId": "carol"})).await;
    rx.wait_for(2).await;
    let driver = start_driver().await;
    let c = browser(&driver).await;
    c.set_window_size(1280, 760).await.unwrap();
    c.goto(&m.url("/_mock/")).await.unwrap();
    c.wait().for_element(Locator::Id("webhooks")).await.unwrap();
    let row = c
        .find(Locator::Css(&format!(
            "tr.verification[data-scan-ref='{}']",
            approved["scanRef"].as_str().unwrap()
        )))
        .await
        .unwrap();
    assert!(row.text().await.unwrap().contains("APPROVED"));
    let hooks = c
        .find(Locator::Id("webhooks"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        hooks.contains("delivered") && hooks.contains("valid"),
        "{hooks}"
    );
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all("docs").unwrap();
        std::fs::write("docs/dashboard.png", c.screenshot().await.unwrap()).unwrap();
    }
    let waiting_ref = waiting["scanRef"].as_str().unwrap().to_owned();
    c.find(Locator::Css(&format!(
        "tr.verification[data-scan-ref='{waiting_ref}'] button.finish-approve"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    poll("the finished row", || async {
        let row = c
            .find(Locator::Css(&format!(
                "tr.verification[data-scan-ref='{waiting_ref}']"
            )))
            .await
            .ok()?;
        row.text().await.ok()?.contains("APPROVED").then_some(())
    })
    .await;
    let (_, st) = m
        .post("/api/v2/status", DEV, json!({"scanRef": waiting_ref}))
        .await;
    assert_eq!(st["status"], "APPROVED");
    assert_eq!(rx.wait_for(3).await[2].json()["clientId"], "carol");
    c.close().await.unwrap();
}

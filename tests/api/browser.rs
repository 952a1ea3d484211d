//! End to end in a real headless Chromium (Debian's chromium + chromium-driver):
//! the redirect flow to the partner's successUrl with the signed webhook
//! arriving, and the page inside an iframe posting its message to the parent.
//!
//! Ignored by a plain `cargo test` because it needs the browser;
//! `scripts/test` installs it and runs these with `--include-ignored`.
//! `UPDATE_SCREENSHOTS=1` rewrites docs/verification-page.png, docs/dashboard.png
//! and docs/dashboard-inbox.png.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::*;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
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
    assert!(idenfy_mock::verify_signature(
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
        m.server.uri(),
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
    // The first of two attempts failed: the page comes back for a retry.
    c.wait().for_element(Locator::Id("retry")).await.unwrap();
    c.find(Locator::Css("#deny-face option[value='FACE_TOO_BLURRY']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("deny"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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

async fn text_of(c: &Client, css: &str) -> Option<String> {
    c.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; scripts/test installs them and runs it"]
async fn the_dashboard_updates_live_filters_and_shows_the_inbox() {
    let rx = Receiver::start().await;
    let m = Mock::start(config(&rx.url, "")).await;
    let approved = m
        .token(DEV, json!({"clientId": "alice", "dummyStatus": "APPROVED"}))
        .await;
    m.token(DEV, json!({"clientId": "bob", "dummyStatus": "SUSPECTED"}))
        .await;
    let waiting = m.token(DEV, json!({"clientId": "carol"})).await;
    rx.wait_for(2).await;
    // The inbox: one signed webhook (via callbackUrl) and one unsigned post.
    m.token(
        DEV,
        json!({"clientId": "dave", "dummyStatus": "DENIED",
        "callbackUrl": m.url("/_mock/inbox/ci")}),
    )
    .await;
    let (s, _) = m
        .cpost(
            "/_mock/inbox/ci",
            json!({"scanRef": "forged", "final": true}),
        )
        .await;
    assert_eq!(s, 200);
    let driver = start_driver().await;
    let c = browser(&driver).await;
    c.set_window_size(1280, 1200).await.unwrap();
    c.goto(&m.url("/_mock/")).await.unwrap();
    let approved_ref = approved["scanRef"].as_str().unwrap().to_owned();
    let row_css = format!("tr.verification[data-scan-ref='{approved_ref}']");
    let row = poll("the verification rows", || async {
        text_of(&c, &row_css).await
    })
    .await;
    assert!(row.contains("APPROVED") && row.contains("alice"), "{row}");
    assert!(row.contains(" ago"), "relative times: {row}");
    let datetime = c
        .find(Locator::Css(&format!("{row_css} time")))
        .await
        .unwrap()
        .attr("datetime")
        .await
        .unwrap()
        .unwrap();
    assert!(
        datetime.ends_with('Z') && datetime.contains('T'),
        "{datetime}"
    );
    let inbox = poll("both inbox messages", || async {
        let t = text_of(&c, "#inbox table").await?;
        (t.contains("missing") && t.contains("valid")).then_some(t)
    })
    .await;
    assert!(
        inbox.contains("by dev-key") && inbox.contains("forged"),
        "{inbox}"
    );
    // Polled: a live update may replace the element between find and read.
    let hooks = poll("the delivered, validly signed webhooks", || async {
        let t = text_of(&c, "#webhooks").await?;
        (t.contains("delivered") && t.contains("valid")).then_some(t)
    })
    .await;
    assert!(hooks.contains("delivered"), "{hooks}");

    // Open the first webhook's body; it is the exact text, re-indented.
    let first = c
        .find(Locator::Css("#webhooks tr.webhook[data-id='1']"))
        .await
        .unwrap();
    assert!(first.text().await.unwrap().contains("#1"));
    c.find(Locator::Css("#webhooks tbody[data-key='w:1'] summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = poll("the open body", || async {
        let t = text_of(&c, "#webhooks tbody[data-key='w:1'] pre.body").await?;
        (!t.is_empty()).then_some(t)
    })
    .await;
    let (_, exact) = m.cget("/_mock/webhooks/1").await;
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(
        squeeze(&shown),
        squeeze(exact["body"].as_str().unwrap()),
        "order and bytes as sent"
    );
    assert!(
        shown.lines().count() > 20 && shown.starts_with("{\n  \"final\": "),
        "{shown}"
    );
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all("docs").unwrap();
        std::fs::write("docs/dashboard.png", c.screenshot().await.unwrap()).unwrap();
        // The inbox is below the fold: its own picture. Polled, as a live
        // update may replace the element between find and screenshot.
        let inbox_png = poll("a screenshot of the inbox", || async {
            c.find(Locator::Css("#inbox"))
                .await
                .ok()?
                .screenshot()
                .await
                .ok()
        })
        .await;
        std::fs::write("docs/dashboard-inbox.png", inbox_png).unwrap();
        // Back to the top, where the rest of the test clicks.
        c.execute("window.scrollTo(0, 0); return null;", vec![])
            .await
            .unwrap();
    }

    // A live update: no reload (the marker survives), the open body stays open.
    c.execute("window.__marker = 42; return null;", vec![])
        .await
        .unwrap();
    let waiting_ref = waiting["scanRef"].as_str().unwrap().to_owned();
    // Polled: a live update may replace the button between find and click.
    let approve = format!("tr.verification[data-scan-ref='{waiting_ref}'] button.finish-approve");
    poll("a click on the approve button", || async {
        c.find(Locator::Css(&approve))
            .await
            .ok()?
            .click()
            .await
            .ok()
    })
    .await;
    poll("the finished row", || async {
        let t = text_of(
            &c,
            &format!("tr.verification[data-scan-ref='{waiting_ref}']"),
        )
        .await?;
        t.contains("APPROVED").then_some(())
    })
    .await;
    assert_eq!(rx.wait_for(3).await[2].json()["clientId"], "carol");
    poll("carol's webhook row", || async {
        let t = text_of(&c, "#webhooks table").await?;
        t.contains("carol").then_some(())
    })
    .await;
    let kept = c
        .execute(
            "return [window.__marker, document.querySelector(\"tbody[data-key='w:1'] details\").open];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        kept,
        json!([42, true]),
        "no reload; the open row stayed open"
    );
    let (_, st) = m
        .post("/api/v2/status", DEV, json!({"scanRef": waiting_ref}))
        .await;
    assert_eq!(st["status"], "APPROVED");

    // Filters come from the URL and go into it.
    c.goto(&m.url("/_mock/?clientId=bob&state=delivered"))
        .await
        .unwrap();
    let only = poll("bob's rows only", || async {
        let t = text_of(&c, "#verifications table").await?;
        (t.contains("bob") && !t.contains("alice")).then_some(t)
    })
    .await;
    assert!(!only.contains("carol"), "{only}");
    let value = c
        .find(Locator::Css("[data-filter='clientId']"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("bob"));
    c.find(Locator::Css("[data-filter='clientId']"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    c.find(Locator::Css("[data-filter='clientId']"))
        .await
        .unwrap()
        .send_keys("ali")
        .await
        .unwrap();
    poll("the URL and rows follow the filter", || async {
        let url = c.current_url().await.ok()?;
        let t = text_of(&c, "#verifications table").await?;
        (url.query() == Some("clientId=ali&state=delivered")
            && t.contains("alice")
            && !t.contains("bob"))
        .then_some(())
    })
    .await;
    c.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; scripts/test installs them and runs it"]
async fn the_dashboard_works_with_the_admin_token_in_its_url() {
    let m = Mock::start(config("", "[control]\nadmin_token = 'sesame'")).await;
    m.token(DEV, json!({"clientId": "tokened"})).await;
    let driver = start_driver().await;
    let c = browser(&driver).await;
    c.goto(&m.url("/_mock/?token=sesame")).await.unwrap();
    let rows = poll("the rows", || async {
        let t = text_of(&c, "#verifications table").await?;
        t.contains("tokened").then_some(t)
    })
    .await;
    assert!(rows.contains("ACTIVE"), "{rows}");
    let live = text_of(&c, "#live").await.unwrap();
    assert!(live.starts_with("live"), "{live}");
    c.close().await.unwrap();
}

//! Webhook subscriptions per event, end to end with real
//! receivers: only subscribed events are sent, each subscription with its
//! own URL, signing key and extra headers; the legacy `IDENTIFICATION`
//! subscription receives every result event; `callbackUrl` still wins.

use crate::helpers::*;
use hmac::{Hmac, Mac};
use idenfy_mock::internals::Config;
use serde_json::{json, Value};
use sha2::Sha256;

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One DEV partner (`dev-key`) with the subscriptions in `subs` (TOML).
fn partner(subs: &str) -> String {
    format!(
        "[[partners]]\napi_key = 'dev-key'\napi_secret = 'dev-secret'\n\
         signing_key = 'partner-key'\n{subs}"
    )
}

async fn manual_review(m: &Mock, scan_ref: &Value) {
    let (s, body) = m
        .post(
            "/api/v2/add-dummy-status",
            DEV,
            json!({"scanRef": scan_ref, "manualFaceMatchResult": "FACE_MATCH",
                "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// Long-polls the control API for a settled webhook of `scan_ref` and `event`.
async fn wait_settled(m: &Mock, scan_ref: &Value, event: &str) -> Value {
    let (s, r) = m
        .cget(&format!(
            "/_mock/webhooks/wait?scanRef={}&event={event}&timeoutMs=10000",
            scan_ref.as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200, "{r}");
    r
}

#[tokio::test]
async fn an_event_nobody_subscribed_to_is_journaled_and_never_sent() {
    let rx = Receiver::start().await;
    let subs = format!(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION_AUTO_FINISHED']\nurl = '{}'\n",
        rx.url
    );
    let m = Mock::start(config("", &partner(&subs))).await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    let got = rx.wait_for(1).await;
    assert_eq!(
        got[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_AUTO_FINISHED")
    );
    manual_review(&m, &t["scanRef"]).await;
    // The wait returns for it: not subscribed counts as settled.
    let r = wait_settled(&m, &t["scanRef"], "IDENTIFICATION_MANUAL_FINISHED").await;
    assert_eq!(r["state"], "not_subscribed", "{r}");
    assert_eq!(r["target"], Value::Null);
    assert!(r["attempts"].as_array().unwrap().is_empty());
    assert_eq!(r["subscription"], Value::Null);
    // The state filter of the journal views knows it too.
    let (s, page) = m.cget("/_mock/webhooks?state=not_subscribed").await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    // Deliveries of a verification are in order and nothing is queued for
    // the manual event: the receiver got the automatic one alone.
    let (_, all) = m.cget("/_mock/webhooks?state=pending").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(0), "{all}");
    assert_eq!(rx.hits(), 1);
    // The Rust wait returns for it as well.
    let rec = m
        .server
        .wait_for_webhook(
            idenfy_mock::WebhookFilter::any().event(idenfy_mock::EventType::ManualFinished),
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(rec.state, idenfy_mock::DeliveryState::NotSubscribed);
}

/// Partner `DEV` with two subscriptions (a: AUTO_FINISHED, key-a, with an
/// Authorization header; b: AUTO and MANUAL_FINISHED, key-b) and an
/// approved verification reviewed by hand: three copies, all delivered.
async fn two_subscribers() -> (Mock, Receiver, Receiver, String) {
    let (a, b) = (Receiver::start().await, Receiver::start().await);
    let subs = format!(
        r#"
[[partners.subscriptions]]
events = ["IDENTIFICATION_AUTO_FINISHED"]
url = "{}"
signing_key = "key-a"
headers = {{ "X-Receiver" = "a", "Authorization" = "Bearer secret-a" }}
[[partners.subscriptions]]
events = ["IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"]
url = "{}"
signing_key = "key-b"
headers = {{ "X-Receiver" = "b" }}
"#,
        a.url, b.url
    );
    let m = Mock::start(config("", &partner(&subs))).await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    manual_review(&m, &t["scanRef"]).await;
    b.wait_for(2).await;
    a.wait_for(1).await;
    let scan_ref = t["scanRef"].as_str().unwrap().to_owned();
    (m, a, b, scan_ref)
}

#[tokio::test]
async fn each_subscription_gets_its_events_with_its_own_key_and_headers() {
    let (_m, a, b, _) = two_subscribers().await;
    let got_b = b.wait_for(2).await;
    let got_a = a.wait_for(1).await;
    for (got, key, name) in [(&got_a, "key-a", "a"), (&got_b, "key-b", "b")] {
        for h in got.iter() {
            assert_eq!(
                h.header("idenfy-signature"),
                Some(hmac_hex(key, &h.body)),
                "receiver {name} gets its own signature"
            );
            assert_eq!(h.header("x-receiver").as_deref(), Some(name));
            assert_eq!(
                h.header("content-type").as_deref(),
                Some("application/json")
            );
        }
    }
    assert_eq!(
        got_a[0].header("authorization").as_deref(),
        Some("Bearer secret-a")
    );
    assert_eq!(got_b[0].header("authorization"), None, "no headers of a");
    let events: Vec<_> = got_b
        .iter()
        .map(|h| h.header("idenfy-event-type").unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "IDENTIFICATION_AUTO_FINISHED",
            "IDENTIFICATION_MANUAL_FINISHED"
        ]
    );
    assert_eq!(got_a.len(), 1, "a did not subscribe to MANUAL_FINISHED");
}

#[tokio::test]
async fn each_copy_is_journaled_with_extra_header_values_hidden() {
    let (m, _a, _b, scan_ref) = two_subscribers().await;
    let (_, page) = m.cget(&format!("/_mock/webhooks?scanRef={scan_ref}")).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    let subs_of: Vec<_> = items.iter().map(|r| r["subscription"].clone()).collect();
    assert_eq!(subs_of, [json!(0), json!(1), json!(1)]);
    let text = page.to_string();
    assert!(
        !text.contains("secret-a") && !text.contains("key-a"),
        "{text}"
    );
    assert!(text.contains("[redacted]"), "{text}");
}

#[tokio::test]
async fn a_replayed_copy_carries_the_real_header_values_again() {
    let (m, a, _b, scan_ref) = two_subscribers().await;
    let (_, page) = m.cget(&format!("/_mock/webhooks?scanRef={scan_ref}")).await;
    let items = page["items"].as_array().unwrap();
    let id = items[0]["id"].as_u64().unwrap();
    let (s, _) = m
        .cpost(&format!("/_mock/webhooks/{id}/replay"), json!({}))
        .await;
    assert_eq!(s, 201);
    let again = a.wait_for(2).await;
    assert_eq!(
        again[1].header("authorization").as_deref(),
        Some("Bearer secret-a")
    );
    assert_eq!(again[1].body, again[0].body);
}

#[tokio::test]
async fn the_legacy_identification_subscription_receives_every_result_event() {
    let rx = Receiver::start().await;
    let subs = format!(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nurl = '{}'\n",
        rx.url
    );
    let m = Mock::start(config("", &partner(&subs))).await;
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "APPROVED"}))
        .await;
    rx.wait_for(1).await;
    manual_review(&m, &t["scanRef"]).await;
    rx.wait_for(2).await;
    m.token(DEV, json!({"clientId": "e", "dummyStatus": "EXPIRED"}))
        .await;
    let got = rx.wait_for(3).await;
    let statuses: Vec<_> = got
        .iter()
        .map(|h| h.json()["status"]["overall"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("APPROVED"), json!("APPROVED"), json!("EXPIRED")]
    );
    for h in &got {
        assert_eq!(
            h.header("idenfy-event-type").as_deref(),
            Some("IDENTIFICATION")
        );
        // Without a key of its own the subscription signs with the partner's.
        assert_eq!(
            h.header("idenfy-signature"),
            Some(hmac_hex("partner-key", &h.body))
        );
    }
    // The journal keeps the specific event, so filters by event still work.
    let r = wait_settled(&m, &t["scanRef"], "IDENTIFICATION_MANUAL_FINISHED").await;
    assert_eq!(r["state"], "delivered", "{r}");
}

/// What the README's subscription table says is produced: "leave
/// unverified" (a cancel) sends `IDENTIFICATION_CANCELLED` to the
/// subscriptions that list it and to the legacy `IDENTIFICATION` one, and
/// not to one that lists `IDENTIFICATION_EXPIRED` only; a token that runs
/// out sends `IDENTIFICATION_EXPIRED`, not the cancel.
#[tokio::test]
async fn a_cancel_sends_identification_cancelled_to_its_subscribers() {
    let (cancelled, legacy, expired) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let subs = format!(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION_CANCELLED']\nurl = '{}'\n\
         [[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nurl = '{}'\n\
         [[partners.subscriptions]]\nevents = ['IDENTIFICATION_EXPIRED']\nurl = '{}'\n",
        cancelled.url, legacy.url, expired.url
    );
    let m = Mock::start(config("", &partner(&subs))).await;
    let t = m.token(DEV, json!({"clientId": "leaves"})).await;
    let (s, done) = m
        .cpost(
            &format!(
                "/_mock/verifications/{}/finish",
                t["scanRef"].as_str().unwrap()
            ),
            json!({"outcome": "unverified"}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    let got = cancelled.wait_for(1).await;
    assert_eq!(
        got[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_CANCELLED")
    );
    let body = got[0].json();
    assert_eq!(body["scanRef"], t["scanRef"]);
    assert_eq!(body["final"], true);
    assert_eq!(body["status"]["overall"], "EXPIRED");
    let got = legacy.wait_for(1).await;
    assert_eq!(
        got[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION")
    );
    // The journal: one copy per subscriber of the cancel, none for the
    // subscription to IDENTIFICATION_EXPIRED.
    let r = wait_settled(&m, &t["scanRef"], "IDENTIFICATION_CANCELLED").await;
    assert_eq!(r["state"], "delivered", "{r}");
    assert_eq!(
        copies(&m, &t["scanRef"], "IDENTIFICATION_CANCELLED").await,
        [0, 1]
    );

    // A token that runs out is an expiry, not a cancel.
    let e = m
        .token(DEV, json!({"clientId": "late", "dummyStatus": "EXPIRED"}))
        .await;
    let got = expired.wait_for(1).await;
    assert_eq!(
        got[0].header("idenfy-event-type").as_deref(),
        Some("IDENTIFICATION_EXPIRED")
    );
    assert_eq!(got[0].json()["scanRef"], e["scanRef"]);
    legacy.wait_for(2).await;
    wait_settled(&m, &e["scanRef"], "IDENTIFICATION_EXPIRED").await;
    assert_eq!(
        copies(&m, &e["scanRef"], "IDENTIFICATION_EXPIRED").await,
        [1, 2]
    );
}

/// The subscriptions (their indexes) the journal has a copy of `scan_ref`'s
/// webhooks for, each of them `event`.
async fn copies(m: &Mock, scan_ref: &Value, event: &str) -> Vec<u64> {
    let (_, page) = m
        .cget(&format!(
            "/_mock/webhooks?scanRef={}",
            scan_ref.as_str().unwrap()
        ))
        .await;
    let mut subscriptions: Vec<u64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["event"], event, "{r}");
            r["subscription"].as_u64().unwrap()
        })
        .collect();
    subscriptions.sort_unstable();
    subscriptions
}

#[tokio::test]
async fn callback_url_overrides_the_subscription_url() {
    let (sub_rx, cb_rx) = (Receiver::start().await, Receiver::start().await);
    let subs = format!(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION_AUTO_FINISHED']\nurl = '{}'\n\
         signing_key = 'sub-key'\nheaders = {{ X-Sub = 'yes' }}\n",
        sub_rx.url
    );
    let m = Mock::start(config("", &partner(&subs))).await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "callbackUrl": cb_rx.url, "dummyStatus": "APPROVED"}),
        )
        .await;
    let got = cb_rx.wait_for(1).await;
    assert_eq!(got[0].header("x-sub").as_deref(), Some("yes"));
    assert_eq!(
        got[0].header("idenfy-signature"),
        Some(hmac_hex("sub-key", &got[0].body))
    );
    let r = wait_settled(&m, &t["scanRef"], "IDENTIFICATION_AUTO_FINISHED").await;
    assert_eq!(r["target"], json!(cb_rx.url));
    assert_eq!(sub_rx.hits(), 0);
}

#[test]
fn config_errors_name_the_key() {
    let bad = |subs: &str| {
        Config::from_toml(&partner(subs), "f.toml")
            .expect_err("refused")
            .0
    };
    let e = bad("[[partners.subscriptions]]\nevents = ['IDENTIFICATION_DONE']\n");
    assert!(
        e.contains("partners") && e.contains("events") && e.contains("IDENTIFICATION_DONE"),
        "{e}"
    );
    let e = bad("[[partners.subscriptions]]\nevents = []\n");
    assert!(e.contains("'partners[0].subscriptions[0].events'"), "{e}");
    let e = bad("[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nurl = 'ftp://x'\n");
    assert!(e.contains("'partners[0].subscriptions[0].url'"), "{e}");
    let e = bad("[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\n\
         [[partners.subscriptions]]\nevents = ['IDENTIFICATION']\n\
         headers = { Idenfy-Signature = 'x' }\n");
    assert!(
        e.contains("'partners[0].subscriptions[1].headers'") && e.contains("Idenfy-Signature"),
        "{e}"
    );
    let e = bad(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nheaders = { content-type = 'text/plain' }\n",
    );
    assert!(e.contains("cannot be overridden"), "{e}");
    let e = bad(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nheaders = { 'Bad Name' = 'v' }\n",
    );
    assert!(e.contains("is not a header name"), "{e}");
    let e = bad(
        "[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nheaders = { X-Token = \"top\\nsecret\" }\n",
    );
    assert!(
        e.contains("X-Token") && !e.contains("secret"),
        "the value is not echoed: {e}"
    );
    let many = "[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\n".repeat(33);
    let e = bad(&many);
    assert!(e.contains("'partners[0].subscriptions': at most 32"), "{e}");
    let e = bad("[[partners.subscriptions]]\nevents = ['IDENTIFICATION']\nsecret = 'x'\n");
    assert!(e.contains("secret"), "unknown keys are refused: {e}");
}

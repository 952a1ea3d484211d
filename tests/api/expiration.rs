//! `DOCUMENT_EXPIRATION` webhooks driven by the mock's clock, over HTTP on
//! the real server with a real receiver (issue 30, point 9).

use crate::helpers::*;
use serde_json::{json, Value};

const EXP: (&str, &str) = ("exp-key", "exp-secret");
const DAY: i64 = 86_400;

/// A partner subscribed to results and, separately, to document expiry;
/// the DEV test partner is not subscribed to the latter.
fn setup(hook: &str) -> Setup {
    config(
        hook,
        &format!(
            r#"
[[partners]]
api_key = "exp-key"
api_secret = "exp-secret"
signing_key = "exp-signing-key"
webhook_url = "{hook}"
[[partners.subscriptions]]
events = ["IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"]
[[partners.subscriptions]]
events = ["DOCUMENT_EXPIRATION"]
signing_key = "exp-notice-key"
[[partners]]
api_key = "dev-key"
api_secret = "dev-secret"
signing_key = "dev-signing-key"
webhook_url = "{hook}"
"#
        ),
    )
}

async fn now(m: &Mock) -> i64 {
    m.cget("/_mock/clock").await.1["now"].as_i64().unwrap()
}

async fn set_clock(m: &Mock, at: i64) {
    let (s, body) = m.cpost("/_mock/clock/set", json!({"now": at})).await;
    assert_eq!(s, 200, "{body}");
}

/// `YYYY-MM-DD` of the UTC day `secs` falls in, and that day's start.
fn date_of(secs: i64) -> (String, i64) {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
    let d = t.date();
    (
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        d.midnight().assume_utc().unix_timestamp(),
    )
}

/// The DOCUMENT_EXPIRATION notices the receiver got for `scan_ref`.
fn notices(rx: &Receiver, scan_ref: &str) -> Vec<Received> {
    rx.received()
        .into_iter()
        .filter(|r| r.header("idenfy-event-type").as_deref() == Some("DOCUMENT_EXPIRATION"))
        .filter(|r| r.json()["scanRef"] == scan_ref)
        .collect()
}

async fn until_notices(rx: &Receiver, scan_ref: &str, n: usize) -> Vec<Received> {
    eventually(&format!("{n} notices for {scan_ref}"), || {
        let got = notices(rx, scan_ref);
        (got.len() >= n).then_some(got)
    })
    .await
}

async fn approved(m: &Mock, auth: (&str, &str), extra: Value) -> String {
    let mut body = json!({"clientId": "holder", "dummyStatus": "APPROVED"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    m.token(auth, body).await["scanRef"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_threshold_is_sent_once_signed_and_journaled_as_the_clock_passes_it() {
    let rx = Receiver::start().await;
    let m = Mock::start(setup(&rx.url)).await;
    let (date, expiry) = date_of(now(&m).await + 40 * DAY);
    let s = approved(&m, EXP, json!({"dateOfExpiry": date})).await;
    let plain = approved(&m, DEV, json!({"dateOfExpiry": date})).await;
    rx.wait_for(2).await;

    let steps = [
        (expiry - 30 * DAY - 1, None),
        (expiry - 30 * DAY, Some("DOCUMENT_EXPIRES_WITHIN_30_DAYS")),
        (expiry - 8 * DAY, None),
        (expiry - 7 * DAY, Some("DOCUMENT_EXPIRES_WITHIN_7_DAYS")),
        (expiry - DAY, Some("DOCUMENT_EXPIRES_WITHIN_1_DAY")),
        (expiry, Some("DOCUMENT_EXPIRED")),
        (expiry + 30 * DAY, None),
    ];
    let mut sent = 0;
    for (at, threshold) in steps {
        set_clock(&m, at).await;
        // Nothing due (None): whatever came by mistake shows in the count below.
        if let Some(t) = threshold {
            sent += 1;
            let got = until_notices(&rx, &s, sent).await;
            let notice = &got[sent - 1];
            assert_eq!(
                notice.json(),
                json!({"scanRef": s, "clientId": "holder",
                    "expirationThreshold": t, "documentExpiration": date})
            );
            let sig = notice.header("idenfy-signature").unwrap();
            assert!(idenfy_mock::verify_signature(
                b"exp-notice-key",
                &notice.body,
                &sig
            ));
        }
    }
    // A later notice of another verification proves the sweeper ran past
    // every step: still exactly four for `s`.
    let (late_date, late_expiry) = date_of(now(&m).await + 10 * DAY);
    let late = approved(&m, EXP, json!({"dateOfExpiry": late_date})).await;
    set_clock(&m, late_expiry - 7 * DAY).await;
    until_notices(&rx, &late, 1).await;
    assert_eq!(notices(&rx, &s).len(), 4);
    let (status, journal) = m
        .cget(&format!(
            "/_mock/webhooks?scanRef={s}&event=DOCUMENT_EXPIRATION&state=any"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(journal["total"], 4, "each journaled");
    assert!(
        notices(&rx, &plain).is_empty(),
        "a partner not subscribed gets none"
    );
}

#[tokio::test]
async fn a_jump_past_every_threshold_sends_only_the_latest() {
    let rx = Receiver::start().await;
    let m = Mock::start(setup(&rx.url)).await;
    let (date, expiry) = date_of(now(&m).await + 40 * DAY);
    let s = approved(&m, EXP, json!({"dateOfExpiry": date})).await;
    // Without dateOfExpiry the canned document's expiry is watched.
    let canned = approved(&m, EXP, json!({})).await;
    let results = rx.wait_for(2).await;
    let canned_expiry = results
        .iter()
        .map(|r| r.json())
        .find(|b| b["scanRef"] == canned.as_str())
        .unwrap()["data"]["docExpiry"]
        .as_str()
        .unwrap()
        .to_owned();
    set_clock(&m, expiry + 2 * DAY).await;
    let got = until_notices(&rx, &s, 1).await;
    assert_eq!(got[0].json()["expirationThreshold"], "DOCUMENT_EXPIRED");
    let canned_day = time::Date::parse(
        &canned_expiry,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .unwrap()
    .midnight()
    .assume_utc()
    .unix_timestamp();
    set_clock(&m, canned_day + DAY).await;
    let got = until_notices(&rx, &canned, 1).await;
    assert_eq!(got[0].json()["documentExpiration"], canned_expiry.as_str());
    assert_eq!(got[0].json()["expirationThreshold"], "DOCUMENT_EXPIRED");
    // Only the latest: one notice each, and the journal agrees.
    for scan_ref in [&s, &canned] {
        let (_, journal) = m
            .cget(&format!(
                "/_mock/webhooks?scanRef={scan_ref}&event=DOCUMENT_EXPIRATION&state=any"
            ))
            .await;
        assert_eq!(journal["total"], 1, "{scan_ref}");
    }
}

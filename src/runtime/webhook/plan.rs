//! What a webhook's copies send, decided before anything is journaled:
//! one signed body per route, the `final: false` copy a `non_final_first`
//! fault adds, and which of the other injected faults apply. A plain
//! function of the webhook and the faults taken for it.

use std::time::Duration;

use bytes::Bytes;

use super::{sign, Outgoing, Route};
use crate::domain::status::EventType;
use crate::runtime::faults::FaultAction;

/// What the journal shows instead of an extra header's value: such headers
/// often carry the receiver's credentials.
pub const REDACTED: &str = "[redacted]";

/// A webhook made and signed, with the faults that apply to it, ready for
/// [`Webhooks::commit`].
pub struct Planned {
    pub(super) out: Outgoing,
    pub(super) delay: Duration,
    /// One per route, in the partner's subscription order.
    pub(super) copies: Vec<Copy>,
    pub(super) drop: bool,
    pub(super) reorder: bool,
    pub(super) duplicate: bool,
}

/// The bodies one route sends.
pub(super) struct Copy {
    pub(super) route: Route,
    /// A `final: false` copy sent first (the `non_final_first` fault).
    pub(super) early: Option<Signed>,
    pub(super) main: Signed,
}

/// One body with the headers it is sent with, and those the journal shows.
pub(super) struct Signed {
    pub(super) body: Bytes,
    pub(super) headers: Vec<(String, String)>,
    pub(super) shown: Vec<(String, String)>,
    pub(super) is_final: bool,
}

impl Signed {
    pub(super) fn new(
        body: Vec<u8>,
        is_final: bool,
        event_header: EventType,
        signing_key: Option<&str>,
        extra: &[(String, String)],
    ) -> Signed {
        let body = Bytes::from(body);
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "Idenfy-Event-Type".to_string(),
                event_header.as_str().to_string(),
            ),
        ];
        if let Some(key) = signing_key {
            headers.push((
                "Idenfy-Signature".to_string(),
                sign::signature(key.as_bytes(), &body),
            ));
        }
        let mut shown = headers.clone();
        for (name, value) in extra {
            headers.push((name.clone(), value.clone()));
            shown.push((name.clone(), REDACTED.to_string()));
        }
        Signed {
            body,
            headers,
            shown,
            is_final,
        }
    }
}

impl Planned {
    /// Whether the webhook is the verification's final one.
    pub fn is_final(&self) -> bool {
        self.out.is_final
    }
}

/// `out` made and signed with the injected fault `actions` taken for it.
pub fn plan(out: Outgoing, actions: &[FaultAction]) -> Planned {
    let has = |a: FaultAction| actions.contains(&a);
    let extra_delay: u64 = actions
        .iter()
        .map(|a| match a {
            FaultAction::Delay { ms } => *ms,
            _ => 0,
        })
        .sum();
    let copies = out
        .routes
        .iter()
        .map(|route| {
            let signing_key = if has(FaultAction::NoSignature) {
                None
            } else if has(FaultAction::BadSignature) {
                Some(WRONG_KEY.to_string())
            } else {
                route.signing_key.clone().filter(|k| !k.is_empty())
            };
            let reformat = has(FaultAction::ReformatJson);
            let signed = |body: Vec<u8>, is_final: bool| {
                Signed::new(
                    if reformat { reformatted(body) } else { body },
                    is_final,
                    route.event_header,
                    signing_key.as_deref(),
                    &route.extra_headers,
                )
            };
            let early = out
                .body_not_final
                .as_ref()
                .filter(|_| has(FaultAction::NonFinalFirst) && out.is_final)
                .map(|body| signed(body.clone(), false));
            Copy {
                route: route.clone(),
                early,
                main: signed(out.body.clone(), out.is_final),
            }
        })
        .collect();
    Planned {
        delay: out.delay + Duration::from_millis(extra_delay),
        copies,
        drop: has(FaultAction::Drop),
        reorder: has(FaultAction::Reorder),
        duplicate: has(FaultAction::Duplicate),
        out,
    }
}

/// The same JSON value in other bytes: keys sorted, two-space indents (the
/// `reformat_json` fault). A body that is not JSON stays as it is.
fn reformatted(body: Vec<u8>) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) => serde_json::to_vec_pretty(&value).unwrap_or(body),
        Err(_) => body,
    }
}

/// The key a `bad_signature` fault signs with.
const WRONG_KEY: &str = "not-the-partner-signing-key";

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(s: &'a Signed, name: &str) -> Option<&'a str> {
        s.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn outgoing() -> Outgoing {
        Outgoing {
            scan_ref: "s".into(),
            partner_key: "k".into(),
            event: EventType::AutoFinished,
            is_final: true,
            routes: vec![Route {
                target: Some("http://127.0.0.1:9/h".into()),
                signing_key: Some("key".into()),
                event_header: EventType::AutoFinished,
                extra_headers: vec![("X-Token".into(), "secret".into())],
                subscription: None,
            }],
            body: br#"{"final":true}"#.to_vec(),
            body_not_final: Some(br#"{"final":false}"#.to_vec()),
            delay: Duration::from_millis(5),
        }
    }

    #[test]
    fn a_plain_webhook_is_signed_and_its_extra_header_values_hidden() {
        let p = plan(outgoing(), &[]);
        let main = &p.copies[0].main;
        let want = sign::signature(b"key", br#"{"final":true}"#);
        assert_eq!(header(main, "Idenfy-Signature"), Some(want.as_str()));
        assert_eq!(header(main, "X-Token"), Some("secret"));
        assert!(main.shown.contains(&("X-Token".into(), REDACTED.into())));
        assert!(p.copies[0].early.is_none() && !p.drop && !p.reorder && !p.duplicate);
        assert_eq!(p.delay, Duration::from_millis(5));
    }

    #[test]
    fn reformat_json_sends_the_same_value_in_other_bytes_signed_over_them() {
        let mut out = outgoing();
        out.body = br#"{"final":true,"a":1}"#.to_vec();
        let p = plan(out, &[FaultAction::ReformatJson]);
        let main = &p.copies[0].main;
        assert_ne!(&main.body[..], br#"{"final":true,"a":1}"#);
        let value: serde_json::Value = serde_json::from_slice(&main.body).unwrap();
        assert_eq!(value, serde_json::json!({"final": true, "a": 1}));
        let want = sign::signature(b"key", &main.body);
        assert_eq!(header(main, "Idenfy-Signature"), Some(want.as_str()));
    }

    #[test]
    fn faults_change_the_signature_the_copies_and_the_delay() {
        let p = plan(outgoing(), &[FaultAction::NoSignature]);
        assert_eq!(header(&p.copies[0].main, "Idenfy-Signature"), None);
        let p = plan(outgoing(), &[FaultAction::BadSignature]);
        let wrong = sign::signature(WRONG_KEY.as_bytes(), br#"{"final":true}"#);
        assert_eq!(
            header(&p.copies[0].main, "Idenfy-Signature"),
            Some(wrong.as_str())
        );
        let p = plan(
            outgoing(),
            &[
                FaultAction::NonFinalFirst,
                FaultAction::Delay { ms: 20 },
                FaultAction::Drop,
            ],
        );
        let early = p.copies[0].early.as_ref().expect("a non-final copy");
        assert_eq!(&early.body[..], br#"{"final":false}"#);
        assert!(!early.is_final && p.drop);
        assert_eq!(p.delay, Duration::from_millis(25));
    }
}

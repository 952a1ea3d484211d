//! Where a webhook goes: the routes of an event for a partner (its
//! subscriptions, or the one default target), and the target precedence.

use crate::config::{PartnerConfig, SubscriptionConfig};
use crate::domain::status::EventType;
use crate::domain::url::HttpUrl;

/// Where one copy of a webhook goes, and how it is signed and labelled.
#[derive(Debug, Clone)]
pub struct Route {
    /// `None` records it as undeliverable.
    pub target: Option<String>,
    /// `None` or empty: sent without `Idenfy-Signature`.
    pub signing_key: Option<String>,
    /// Its `Idenfy-Event-Type`: the event, or `IDENTIFICATION` when the
    /// legacy all-in-one subscription is what it is sent for.
    pub event_header: EventType,
    /// The subscription's extra headers (name, value); the journal shows
    /// their values as [`REDACTED`](super::REDACTED).
    pub extra_headers: Vec<(String, String)>,
    /// The index of the subscription in the partner's list.
    pub subscription: Option<usize>,
}

/// A subscription's extra headers as (name, value) pairs.
pub(super) fn extra_headers(s: &SubscriptionConfig) -> Vec<(String, String)> {
    s.headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Where the webhooks of `event` go for `partner` (README: Webhooks, "Where it goes"):
/// - without subscriptions, one copy to the token's `callbackUrl` → the
///   partner's `webhook_url` → the global URL, signed with the partner's key;
/// - with them, one copy per subscription that lists the event (sent as that
///   event) or the legacy `IDENTIFICATION` (sent as `IDENTIFICATION`), to
///   the `callbackUrl` → the subscription's `url` → the partner's
///   `webhook_url` → the global URL, signed with the subscription's key
///   (else the partner's), with its extra headers. None: nobody subscribed.
pub fn routes(
    partner: &PartnerConfig,
    callback_url: Option<&str>,
    global_url: Option<&HttpUrl>,
    event: EventType,
) -> Vec<Route> {
    // Document-expiration notices are not results: only a subscription
    // that names them gets them (as iDenfy's dashboard sets each kind of
    // notification up on its own).
    let result = event != EventType::DocumentExpiration;
    if partner.subscriptions.is_empty() {
        if !result {
            return Vec::new();
        }
        return vec![Route {
            target: target(callback_url, partner.webhook_url.as_ref(), global_url),
            signing_key: partner.signing_key.clone(),
            event_header: event,
            extra_headers: Vec::new(),
            subscription: None,
        }];
    }
    partner
        .subscriptions
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let event_header = if s.events.contains(&event) {
                event
            } else if result && s.events.contains(&EventType::Identification) {
                EventType::Identification
            } else {
                return None;
            };
            let url = s.url.as_ref().or(partner.webhook_url.as_ref());
            Some(Route {
                target: target(callback_url, url, global_url),
                signing_key: s
                    .signing_key
                    .clone()
                    .or_else(|| partner.signing_key.clone()),
                event_header,
                extra_headers: extra_headers(s),
                subscription: Some(i),
            })
        })
        .collect()
}

/// Where a verification's webhooks go: the token's `callbackUrl` (already
/// refused at token creation when the partner may not set one) → the partner's
/// `webhook_url` → the global `[webhooks].url`; `None` when none is set.
pub fn target(
    callback_url: Option<&str>,
    partner_url: Option<&HttpUrl>,
    global_url: Option<&HttpUrl>,
) -> Option<String> {
    callback_url
        .or(partner_url.map(HttpUrl::as_str))
        .or(global_url.map(HttpUrl::as_str))
        .map(str::to_owned)
}

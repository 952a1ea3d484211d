//! A journal entry: the webhook as sent, its delivery attempts and state,
//! the filter that finds it, and what it costs in bytes.

use bytes::Bytes;
use serde::Serialize;

use crate::domain::status::EventType;

crate::domain::wire_enum!(
    /// Where a journaled webhook stands.
    DeliveryState {
        /// Queued or being attempted.
        Pending = "pending",
        /// A 2xx answer was received.
        Delivered = "delivered",
        /// Every attempt failed.
        Failed = "failed",
        /// There was nowhere to send it (no callbackUrl, partner or global URL).
        Undeliverable = "undeliverable",
        /// Not sent on purpose: an injected `drop` fault.
        Dropped = "dropped",
        /// Not sent: the partner lists subscriptions and none of them has
        /// this event.
        NotSubscribed = "not_subscribed",
    }
);

impl DeliveryState {
    /// Where a newly produced webhook starts: pending when it has somewhere
    /// to go, undeliverable when it has not.
    pub fn initial(target: Option<&str>) -> DeliveryState {
        if target.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Undeliverable
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Unix milliseconds (mock clock) when the attempt started.
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, when it did (timeout, refused connection, non-2xx).
    pub error: Option<String>,
    pub latency_ms: u64,
    /// The start of the receiver's answer, when it was not 2xx (at most
    /// [`ANSWER_SHOWN`] bytes): what the app said went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// How much of a failing receiver's answer an attempt keeps.
pub const ANSWER_SHOWN: usize = 512;

/// A produced webhook.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    pub id: u64,
    pub scan_ref: String,
    /// The partner's API key (never its secret).
    pub partner: String,
    pub event: EventType,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub target: Option<String>,
    /// Header name and value pairs, in the order sent.
    #[schema(value_type = Vec<Vec<String>>)]
    pub headers: Vec<(String, String)>,
    /// The exact body sent (JSON text).
    #[serde(serialize_with = "body_as_text", deserialize_with = "body_from_text")]
    #[schema(value_type = String)]
    pub body: Bytes,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    /// Unix milliseconds (mock clock) when it was produced.
    pub created_at_ms: i64,
    /// The journal id this is a replay or fault-made copy of.
    #[serde(default)]
    pub copy_of: Option<u64>,
    /// Which of the partner's subscriptions it was sent for (its index in
    /// the partner's `subscriptions` list); `null` without subscriptions.
    #[serde(default)]
    pub subscription: Option<usize>,
}

fn body_as_text<S: serde::Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(body))
}

fn body_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Bytes::from)
}

impl WebhookRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which records a query wants; `None` fields match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub scan_ref: Option<String>,
    pub event: Option<EventType>,
    pub state: Option<DeliveryState>,
    /// Only webhooks that have settled: in any state but `pending`.
    pub settled: bool,
}

impl Filter {
    /// Every webhook (the same as `Filter::default()`).
    pub fn any() -> Filter {
        Filter::default()
    }

    /// The webhooks of one verification.
    pub fn for_scan_ref(scan_ref: impl Into<String>) -> Filter {
        Filter {
            scan_ref: Some(scan_ref.into()),
            ..Filter::default()
        }
    }

    /// Only webhooks of this event type.
    pub fn event(self, event: EventType) -> Filter {
        Filter {
            event: Some(event),
            ..self
        }
    }

    /// Only webhooks in this delivery state.
    pub fn in_state(self, state: DeliveryState) -> Filter {
        Filter {
            state: Some(state),
            ..self
        }
    }

    /// Whether `r` matches.
    pub fn matches(&self, r: &WebhookRecord) -> bool {
        self.scan_ref.as_ref().is_none_or(|s| *s == r.scan_ref)
            && self.event.is_none_or(|e| e == r.event)
            && self.state.is_none_or(|s| s == r.state)
            && !(self.settled && r.state == DeliveryState::Pending)
    }

    /// What a wait waits for: the state the filter names, or else a settled
    /// webhook (delivered, failed, undeliverable, dropped or not subscribed). The REST wait
    /// and [`crate::MockServer::wait_for_webhook`] both use it.
    pub fn for_wait(self) -> Filter {
        Filter {
            settled: self.settled || self.state.is_none(),
            ..self
        }
    }
}

/// Bytes a record holds, counted conservatively: its heap data plus a fixed
/// overhead for the struct, its map node and its scanRef index entry.
pub fn record_bytes(r: &WebhookRecord) -> usize {
    const OVERHEAD: usize = 256;
    let string = std::mem::size_of::<String>();
    let headers: usize = r
        .headers
        .iter()
        .map(|(k, v)| 2 * string + k.len() + v.len())
        .sum();
    let attempts: usize = r.attempts.iter().map(attempt_bytes).sum();
    OVERHEAD
        + std::mem::size_of::<WebhookRecord>()
        // The scanRef is held by the record and as the index's key.
        + 2 * r.scan_ref.len()
        + r.partner.len()
        + r.target.as_ref().map_or(0, String::len)
        + r.body.len()
        + headers
        + attempts
}

pub(super) fn attempt_bytes(a: &Attempt) -> usize {
    std::mem::size_of::<Attempt>()
        + a.error.as_ref().map_or(0, String::len)
        + a.answer.as_ref().map_or(0, String::len)
}

//! Result webhooks: what is sent (payload, signature), where, and the record of
//! it (journal). Handlers produce webhooks through [`Webhooks::emit`] and know
//! nothing of delivery.

pub mod delivery;
pub mod journal;
pub mod payload;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::clock::Clock;
use crate::domain::status::EventType;
use delivery::{Engine, Job};
use journal::{DeliveryState, Journal, WebhookRecord};

/// A webhook about to be produced.
pub struct Outgoing {
    pub scan_ref: String,
    pub partner_key: String,
    pub event: EventType,
    pub is_final: bool,
    /// Where to send it; `None` records it as undeliverable.
    pub target: Option<String>,
    /// `None`: sent without `Idenfy-Signature`.
    pub signing_key: Option<String>,
    pub body: Vec<u8>,
    /// Wait before the first attempt.
    pub delay: Duration,
}

pub struct Webhooks {
    pub journal: Arc<Journal>,
    pub engine: Engine,
    clock: Arc<Clock>,
}

impl Webhooks {
    pub fn new(journal: Arc<Journal>, engine: Engine, clock: Arc<Clock>) -> Webhooks {
        Webhooks {
            journal,
            engine,
            clock,
        }
    }

    /// Journals the webhook and queues it for delivery; returns its journal id.
    /// Call it while the verification is locked, so a verification's webhooks
    /// are queued in the order they were produced.
    pub fn emit(&self, out: Outgoing) -> u64 {
        let body = Bytes::from(out.body);
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "Idenfy-Event-Type".to_string(),
                out.event.as_str().to_string(),
            ),
        ];
        if let Some(key) = out.signing_key.as_deref().filter(|k| !k.is_empty()) {
            headers.push((
                "Idenfy-Signature".to_string(),
                sign::signature(key.as_bytes(), &body),
            ));
        }
        let state = if out.target.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Undeliverable
        };
        let id = self.journal.push(WebhookRecord {
            id: 0,
            scan_ref: out.scan_ref.clone(),
            partner: out.partner_key,
            event: out.event,
            is_final: out.is_final,
            target: out.target.clone(),
            headers: headers.clone(),
            body: body.clone(),
            state,
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
        });
        match out.target {
            Some(target) => self.engine.enqueue(Job {
                journal_id: id,
                scan_ref: out.scan_ref,
                target,
                headers,
                body,
                is_final: out.is_final,
                delay: out.delay,
            }),
            None => tracing::info!(scan_ref = %out.scan_ref, event = out.event.as_str(),
                "webhook recorded as undeliverable: no callbackUrl, partner webhook_url or [webhooks].url"),
        }
        id
    }
}

/// Where a verification's webhooks go: the token's `callbackUrl` (already
/// refused at token creation when the partner may not set one) → the partner's
/// `webhook_url` → the global `[webhooks].url`; `None` when all are empty.
pub fn target(callback_url: Option<&str>, partner_url: &str, global_url: &str) -> Option<String> {
    callback_url
        .filter(|u| !u.is_empty())
        .or(Some(partner_url).filter(|u| !u.is_empty()))
        .or(Some(global_url).filter(|u| !u.is_empty()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_precedence() {
        assert_eq!(target(Some("c"), "p", "g").as_deref(), Some("c"));
        assert_eq!(target(None, "p", "g").as_deref(), Some("p"));
        assert_eq!(target(None, "", "g").as_deref(), Some("g"));
        assert_eq!(target(Some(""), "", ""), None);
    }
}

//! Result webhooks: what is sent (payload, signature), where, and the record of
//! it (journal). Handlers produce webhooks through [`Webhooks::emit`] and know
//! nothing of delivery.

pub mod delivery;
pub mod journal;
pub mod payload;
pub mod sign;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::clock::Clock;
use crate::domain::status::EventType;
use crate::faults::{FaultAction, Faults};
use crate::logsafe::escape_for_log;
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

/// A webhook made and signed, with the faults that apply to it, ready for
/// [`Webhooks::commit`].
pub struct Planned {
    out: Outgoing,
    delay: Duration,
    /// A `final: false` copy sent first (the `non_final_first` fault).
    early: Option<Signed>,
    main: Signed,
    drop: bool,
    reorder: bool,
    duplicate: bool,
}

/// One body with the headers it is sent with.
struct Signed {
    body: Bytes,
    headers: Vec<(String, String)>,
    is_final: bool,
}

impl Signed {
    fn new(body: Vec<u8>, is_final: bool, event: EventType, signing_key: Option<&str>) -> Signed {
        let body = Bytes::from(body);
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Idenfy-Event-Type".to_string(), event.as_str().to_string()),
        ];
        if let Some(key) = signing_key {
            headers.push((
                "Idenfy-Signature".to_string(),
                sign::signature(key.as_bytes(), &body),
            ));
        }
        Signed {
            body,
            headers,
            is_final,
        }
    }
}

pub struct Webhooks {
    pub journal: Arc<Journal>,
    pub engine: Engine,
    clock: Arc<Clock>,
    faults: Arc<Faults>,
    /// Webhooks held back by a `reorder` fault, by scanRef, until that
    /// verification's next webhook has been queued.
    held: Mutex<HashMap<String, Vec<Job>>>,
}

impl Webhooks {
    pub fn new(
        journal: Arc<Journal>,
        engine: Engine,
        clock: Arc<Clock>,
        faults: Arc<Faults>,
    ) -> Webhooks {
        Webhooks {
            journal,
            engine,
            clock,
            faults,
            held: Mutex::new(HashMap::new()),
        }
    }

    /// Journals the webhook and queues it for delivery, applying any injected
    /// webhook faults; returns the journal id of the webhook itself.
    /// Call it while the verification is locked, so a verification's webhooks
    /// are queued in the order they were produced.
    pub fn emit(&self, out: Outgoing) -> u64 {
        self.commit(self.plan(out))
    }

    /// The first half of [`emit`](Self::emit), which needs no lock: applies
    /// the injected faults, makes and signs the bodies. The order of a
    /// verification's webhooks is fixed by [`commit`](Self::commit) alone.
    pub fn plan(&self, out: Outgoing) -> Planned {
        let actions = self.faults.take_webhook(out.event, &out.partner_key);
        let has = |a: FaultAction| actions.contains(&a);
        let extra_delay: u64 = actions
            .iter()
            .map(|a| match a {
                FaultAction::Delay { ms } => *ms,
                _ => 0,
            })
            .sum();
        let signing_key = if has(FaultAction::NoSignature) {
            None
        } else if has(FaultAction::BadSignature) {
            Some(WRONG_KEY.to_string())
        } else {
            out.signing_key.clone().filter(|k| !k.is_empty())
        };
        let signed = |body: Vec<u8>, is_final: bool| {
            Signed::new(body, is_final, out.event, signing_key.as_deref())
        };
        let early = (has(FaultAction::NonFinalFirst) && out.is_final)
            .then(|| as_non_final(&out.body))
            .flatten()
            .map(|body| signed(body, false));
        let main = signed(out.body.clone(), out.is_final);
        Planned {
            delay: out.delay + Duration::from_millis(extra_delay),
            early,
            main,
            drop: has(FaultAction::Drop),
            reorder: has(FaultAction::Reorder),
            duplicate: has(FaultAction::Duplicate),
            out,
        }
    }

    /// The second half of [`emit`](Self::emit): journals the planned
    /// webhooks and queues them. Call it while the verification is locked.
    pub fn commit(&self, p: Planned) -> u64 {
        let out = &p.out;
        let mut queue = Vec::new();
        if let Some(early) = &p.early {
            queue.push(self.record(out, early, None));
        }
        let main = self.record(out, &p.main, None);
        let id = main.0;
        if p.drop {
            self.journal.settle(id, DeliveryState::Dropped);
        } else if p.reorder {
            if let Some(job) = Self::job(&main, &out.scan_ref, out.target.clone(), p.delay) {
                self.lock_held()
                    .entry(out.scan_ref.clone())
                    .or_default()
                    .push(job);
            }
        } else {
            queue.push(main.clone());
        }
        if p.duplicate && !p.drop {
            queue.push(self.record(out, &p.main, Some(id)));
        }
        for entry in &queue {
            if let Some(job) = Self::job(entry, &out.scan_ref, out.target.clone(), p.delay) {
                self.engine.enqueue(job);
            }
        }
        if !p.reorder {
            let held = self.lock_held().remove(&out.scan_ref);
            for job in held.into_iter().flatten() {
                self.engine.enqueue(job);
            }
        }
        if out.target.is_none() {
            tracing::info!(scan_ref = %escape_for_log(&out.scan_ref), event = out.event.as_str(),
                "webhook recorded as undeliverable: no callbackUrl, partner webhook_url or [webhooks].url");
        }
        id
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Job>>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Journals one webhook; returns (id, job parts) for queueing.
    fn record(
        &self,
        out: &Outgoing,
        signed: &Signed,
        copy_of: Option<u64>,
    ) -> (u64, Bytes, Vec<(String, String)>, bool) {
        let id = self.journal.push(WebhookRecord {
            id: 0,
            scan_ref: out.scan_ref.clone(),
            partner: out.partner_key.clone(),
            event: out.event,
            is_final: signed.is_final,
            target: out.target.clone(),
            headers: signed.headers.clone(),
            body: signed.body.clone(),
            state: DeliveryState::initial(out.target.as_deref()),
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
            copy_of,
        });
        (
            id,
            signed.body.clone(),
            signed.headers.clone(),
            signed.is_final,
        )
    }

    fn job(
        entry: &(u64, Bytes, Vec<(String, String)>, bool),
        scan_ref: &str,
        target: Option<String>,
        delay: Duration,
    ) -> Option<Job> {
        let (id, body, headers, is_final) = entry.clone();
        Some(Job {
            journal_id: id,
            scan_ref: scan_ref.to_owned(),
            target: target?,
            headers,
            body,
            is_final,
            delay,
        })
    }

    /// Sends journal entry `id` again, as a new entry with the same target,
    /// headers and body; returns the new id.
    pub fn replay(&self, id: u64) -> Option<u64> {
        let r = self.journal.get(id)?;
        let new_id = self.journal.push(WebhookRecord {
            id: 0,
            state: DeliveryState::initial(r.target.as_deref()),
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
            copy_of: Some(id),
            ..r.clone()
        });
        if let Some(job) = Job::resend(new_id, r) {
            self.engine.enqueue(job);
        }
        Some(new_id)
    }

    /// Queues again the records a snapshot restore found pending (oldest
    /// first, so each verification keeps its order): they were never
    /// delivered before the snapshot was taken.
    pub fn resume(&self, pending: Vec<WebhookRecord>) {
        for r in pending {
            if let Some(job) = Job::resend(r.id, r) {
                self.engine.enqueue(job);
            }
        }
    }

    /// Forgets held-back webhooks (a reset).
    pub fn clear_held(&self, keep: impl Fn(&str) -> bool) {
        self.lock_held().retain(|scan_ref, _| keep(scan_ref));
    }
}

/// The key a `bad_signature` fault signs with.
const WRONG_KEY: &str = "not-the-partner-signing-key";

/// The payload with `"final": false` (the payload always opens with `final`).
fn as_non_final(body: &[u8]) -> Option<Vec<u8>> {
    let rest = body.strip_prefix(br#"{"final":true"#)?;
    let mut out = br#"{"final":false"#.to_vec();
    out.extend_from_slice(rest);
    Some(out)
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
    fn non_final_copy() {
        assert_eq!(
            as_non_final(br#"{"final":true,"a":1}"#).unwrap(),
            br#"{"final":false,"a":1}"#
        );
        assert!(as_non_final(b"{}").is_none());
    }

    #[test]
    fn target_precedence() {
        assert_eq!(target(Some("c"), "p", "g").as_deref(), Some("c"));
        assert_eq!(target(None, "p", "g").as_deref(), Some("p"));
        assert_eq!(target(None, "", "g").as_deref(), Some("g"));
        assert_eq!(target(Some(""), "", ""), None);
    }
}

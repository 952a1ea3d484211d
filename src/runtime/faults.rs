//! Faults injected on purpose by tests: each scoped (API path or webhook
//! event, and partner), counted (the next N matches, or every one) and
//! listable. The API middleware and webhook emission consult this registry;
//! with no fault registered they pay one atomic load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::status::EventType;
use crate::runtime::sync::{Guard, Ordered, Rank};

/// Where a fault applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaultTarget {
    /// Calls to `/api/v2/*` (and to the inbox's receiving end, `/_mock/inbox/{name}`).
    Api,
    /// Webhooks the mock produces.
    Webhook,
}

/// What happens when a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultAction {
    /// API: answer with this HTTP status (and the error envelope).
    Status { status: u16 },
    /// API: answer late; webhook: deliver late.
    Delay { ms: u64 },
    /// API: drop the connection without an answer; webhook: never send it
    /// (journaled as `dropped`).
    Drop,
    /// Webhook: deliver it twice.
    Duplicate,
    /// Webhook: hold it back and deliver it after the verification's next one.
    Reorder,
    /// Webhook: send a signature made with a wrong key.
    BadSignature,
    /// Webhook: send no `Idenfy-Signature` header.
    NoSignature,
    /// Webhook: before a final webhook, send a copy with `"final": false`.
    NonFinalFirst,
}

impl FaultAction {
    /// One of each action (parameters are placeholders), in documentation
    /// order: the scenario catalogue lists their names from here.
    const EACH: [FaultAction; 8] = [
        FaultAction::Status { status: 500 },
        FaultAction::Delay { ms: 0 },
        FaultAction::Drop,
        FaultAction::Duplicate,
        FaultAction::Reorder,
        FaultAction::BadSignature,
        FaultAction::NoSignature,
        FaultAction::NonFinalFirst,
    ];

    /// The action's `type`, as serde spells it on the wire (the one
    /// spelling: read back from the serialised action).
    fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v["type"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The names of the actions a fault on `target` can take.
    pub fn names_for(target: FaultTarget) -> Vec<String> {
        Self::EACH
            .into_iter()
            .filter(|a| a.applies_to(target))
            .map(FaultAction::name)
            .collect()
    }

    fn applies_to(self, target: FaultTarget) -> bool {
        match self {
            FaultAction::Delay { .. } | FaultAction::Drop => true,
            FaultAction::Status { .. } => target == FaultTarget::Api,
            _ => target == FaultTarget::Webhook,
        }
    }
}

/// A fault as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    pub target: FaultTarget,
    /// API faults: the exact path (e.g. `/api/v2/token`); omitted = every path.
    #[serde(default)]
    pub path: Option<String>,
    /// Webhook faults: the event; omitted = every event.
    #[serde(default)]
    pub event: Option<EventType>,
    /// The partner's API key; omitted = every partner.
    #[serde(default)]
    pub partner: Option<String>,
    /// How many matches it fires for (default 1); 0 = every match until cleared.
    #[serde(default = "one")]
    pub times: u32,
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

/// A registered fault and how it has fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matches left; `null` = unlimited.
    pub remaining: Option<u32>,
    pub fired: u32,
}

pub struct Faults {
    list: Ordered<Vec<Fault>>,
    any: AtomicBool,
    next_id: AtomicU64,
}

impl Faults {
    pub fn new() -> Faults {
        Faults {
            list: Ordered::new(Rank::Faults, Vec::new()),
            any: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> Guard<'_, Vec<Fault>> {
        self.list.lock()
    }

    /// Registers a fault; the message says why one is refused.
    pub fn add(&self, spec: FaultSpec) -> Result<Fault, String> {
        if !spec.action.applies_to(spec.target) {
            return Err(format!(
                "action '{}' does not apply to {} faults",
                serde_json::to_value(spec.action)
                    .ok()
                    .and_then(|v| v["type"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
                if spec.target == FaultTarget::Api {
                    "api"
                } else {
                    "webhook"
                }
            ));
        }
        if let FaultAction::Status { status } = spec.action {
            if !(400..=599).contains(&status) {
                return Err("status must be 400..=599".into());
            }
        }
        if let FaultAction::Delay { ms } = spec.action {
            if ms > 120_000 {
                return Err("delay ms must be at most 120000".into());
            }
        }
        if spec.target == FaultTarget::Api && spec.event.is_some() {
            return Err("'event' scopes webhook faults; use 'path' for api faults".into());
        }
        if spec.target == FaultTarget::Webhook && spec.path.is_some() {
            return Err("'path' scopes api faults; use 'event' for webhook faults".into());
        }
        let fault = Fault {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            remaining: (spec.times > 0).then_some(spec.times),
            spec,
            fired: 0,
        };
        self.lock().push(fault.clone());
        self.any.store(true, Ordering::Release);
        Ok(fault)
    }

    /// Whether any fault was registered since the last clear (one atomic load).
    pub fn is_active(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
        self.any.store(false, Ordering::Release);
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|f| f.id != id);
        before != list.len()
    }

    /// Fires every live fault matching; returns their actions in order.
    fn take(&self, matches: impl Fn(&FaultSpec) -> bool) -> Vec<FaultAction> {
        if !self.any.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for f in self.lock().iter_mut() {
            if f.remaining == Some(0) || !matches(&f.spec) {
                continue;
            }
            if let Some(n) = f.remaining.as_mut() {
                *n -= 1;
            }
            f.fired += 1;
            out.push(f.spec.action);
        }
        out
    }

    /// The first API fault for a call to `path` by `partner` (an API key, if any).
    pub fn take_api(&self, path: &str, partner: Option<&str>) -> Option<FaultAction> {
        self.take(|s| {
            s.target == FaultTarget::Api
                && s.path.as_deref().is_none_or(|p| p == path)
                && s.partner.as_deref().is_none_or(|p| Some(p) == partner)
        })
        .into_iter()
        .next()
    }

    /// Every webhook fault for `event` of `partner`.
    pub fn take_webhook(&self, event: EventType, partner: &str) -> Vec<FaultAction> {
        self.take(|s| {
            s.target == FaultTarget::Webhook
                && s.event.is_none_or(|e| e == event)
                && s.partner.as_deref().is_none_or(|p| p == partner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_is_listed_once_under_its_serde_name() {
        let names: Vec<String> = FaultAction::EACH
            .into_iter()
            .map(FaultAction::name)
            .collect();
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        assert!(names.iter().all(|n| !n.is_empty()), "{names:?}");
        assert_eq!(
            FaultAction::names_for(FaultTarget::Api),
            ["status", "delay", "drop"]
        );
        assert_eq!(FaultAction::names_for(FaultTarget::Webhook).len(), 7);
    }

    fn spec(target: FaultTarget, action: FaultAction, times: u32) -> FaultSpec {
        FaultSpec {
            target,
            path: None,
            event: None,
            partner: None,
            times,
            action,
        }
    }

    #[test]
    fn counted_and_scoped() {
        let f = Faults::new();
        let mut s = spec(FaultTarget::Api, FaultAction::Status { status: 503 }, 2);
        s.path = Some("/api/v2/token".into());
        s.partner = Some("k".into());
        f.add(s).unwrap();
        assert_eq!(f.take_api("/api/v2/status", Some("k")), None);
        assert_eq!(f.take_api("/api/v2/token", Some("other")), None);
        assert!(f.take_api("/api/v2/token", Some("k")).is_some());
        assert!(f.take_api("/api/v2/token", Some("k")).is_some());
        assert_eq!(f.take_api("/api/v2/token", Some("k")), None);
        let listed = &f.list()[0];
        assert_eq!((listed.remaining, listed.fired), (Some(0), 2));
    }

    #[test]
    fn actions_must_fit_the_target() {
        let f = Faults::new();
        assert!(f
            .add(spec(FaultTarget::Api, FaultAction::Duplicate, 1))
            .is_err());
        assert!(f
            .add(spec(
                FaultTarget::Webhook,
                FaultAction::Status { status: 500 },
                1
            ))
            .is_err());
        assert!(f
            .add(spec(
                FaultTarget::Api,
                FaultAction::Status { status: 200 },
                1
            ))
            .is_err());
        let unlimited = f
            .add(spec(FaultTarget::Webhook, FaultAction::NoSignature, 0))
            .unwrap();
        assert_eq!(unlimited.remaining, None);
        for _ in 0..5 {
            assert_eq!(
                f.take_webhook(EventType::AutoFinished, "k"),
                vec![FaultAction::NoSignature]
            );
        }
        f.clear();
        assert!(f.take_webhook(EventType::AutoFinished, "k").is_empty());
    }
}

//! Faults injected on purpose by tests: each scoped (API path or webhook
//! event, and partner), counted (the next N matches, or every one) and
//! listable, and bounded in number. The API middleware and webhook making
//! consult this registry; with no live fault they pay one atomic load.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Webhook: send the same JSON value in other bytes (keys sorted,
    /// indented), signed over those bytes: a receiver that verifies a
    /// re-serialised body instead of the raw bytes fails, as with iDenfy.
    ReformatJson,
}

impl FaultAction {
    /// One of each action (parameters are placeholders), in documentation
    /// order: the scenario catalogue lists their names from here.
    const EACH: [FaultAction; 9] = [
        FaultAction::Status { status: 500 },
        FaultAction::Delay { ms: 0 },
        FaultAction::Drop,
        FaultAction::Duplicate,
        FaultAction::Reorder,
        FaultAction::BadSignature,
        FaultAction::NoSignature,
        FaultAction::NonFinalFirst,
        FaultAction::ReformatJson,
    ];

    /// The action's `type`, as serde spells it on the wire (the one
    /// spelling: read back from the serialised action).
    pub fn name(self) -> String {
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

/// The registered faults, and an index by scope so a lookup reads only the
/// faults that could match it, however many are registered.
pub struct Faults {
    registry: Ordered<Registry>,
    /// Whether any live fault is registered: with none, a lookup is one
    /// atomic load.
    any: AtomicBool,
    max: usize,
}

#[derive(Default)]
struct Registry {
    /// Every fault, live or used up, by id (oldest first).
    all: BTreeMap<u64, Fault>,
    /// Live API faults by path (`None`: every path).
    api: HashMap<Option<String>, BTreeSet<u64>>,
    /// Live webhook faults by event (`None`: every event).
    webhook: HashMap<Option<EventType>, BTreeSet<u64>>,
    next_id: u64,
}

/// Why a fault was not registered.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The spec does not make sense; the message says why.
    Invalid(String),
    /// The registry holds its maximum of live faults.
    Full(usize),
}

impl Registry {
    fn index(&mut self, id: u64, spec: &FaultSpec) {
        match spec.target {
            FaultTarget::Api => self.api.entry(spec.path.clone()).or_default().insert(id),
            FaultTarget::Webhook => self.webhook.entry(spec.event).or_default().insert(id),
        };
    }

    fn unindex(&mut self, id: u64, spec: &FaultSpec) {
        match spec.target {
            FaultTarget::Api => remove_from(&mut self.api, &spec.path, id),
            FaultTarget::Webhook => remove_from(&mut self.webhook, &spec.event, id),
        }
    }

    fn live(&self) -> bool {
        !self.api.is_empty() || !self.webhook.is_empty()
    }

    /// Fires the live faults among `ids` (in id order) that `matches`
    /// accepts, at most `limit` of them; their actions. A fault that is
    /// used up leaves the index and stays listed.
    fn fire(
        &mut self,
        mut ids: Vec<u64>,
        matches: impl Fn(&FaultSpec) -> bool,
        limit: usize,
    ) -> Vec<FaultAction> {
        ids.sort_unstable();
        let mut out = Vec::new();
        for id in ids {
            if out.len() == limit {
                break;
            }
            let Some(f) = self.all.get_mut(&id) else {
                continue;
            };
            if !matches(&f.spec) {
                continue;
            }
            f.fired += 1;
            out.push(f.spec.action);
            if let Some(n) = f.remaining.as_mut() {
                *n -= 1;
                if *n == 0 {
                    let spec = f.spec.clone();
                    self.unindex(id, &spec);
                }
            }
        }
        out
    }
}

fn remove_from<K: std::hash::Hash + Eq + Clone>(
    index: &mut HashMap<K, BTreeSet<u64>>,
    key: &K,
    id: u64,
) {
    if let Some(ids) = index.get_mut(key) {
        ids.remove(&id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

impl Faults {
    /// A registry holding at most `max` live faults (`[control].max_faults`);
    /// used-up ones stay listed while there is room.
    pub fn new(max: usize) -> Faults {
        Faults {
            registry: Ordered::new(Rank::Faults, Registry::default()),
            any: AtomicBool::new(false),
            max,
        }
    }

    fn lock(&self) -> Guard<'_, Registry> {
        self.registry.lock()
    }

    /// Registers a fault, or says why not.
    pub fn add(&self, spec: FaultSpec) -> Result<Fault, Refused> {
        if !spec.action.applies_to(spec.target) {
            return Err(Refused::Invalid(format!(
                "action '{}' does not apply to {} faults",
                spec.action.name(),
                if spec.target == FaultTarget::Api {
                    "api"
                } else {
                    "webhook"
                }
            )));
        }
        let invalid = |m: &str| Err(Refused::Invalid(m.to_owned()));
        if let FaultAction::Status { status } = spec.action {
            if !(400..=599).contains(&status) {
                return invalid("status must be 400..=599");
            }
        }
        if let FaultAction::Delay { ms } = spec.action {
            if ms > 120_000 {
                return invalid("delay ms must be at most 120000");
            }
        }
        if spec.target == FaultTarget::Api && spec.event.is_some() {
            return invalid("'event' scopes webhook faults; use 'path' for api faults");
        }
        if spec.target == FaultTarget::Webhook && spec.path.is_some() {
            return invalid("'path' scopes api faults; use 'event' for webhook faults");
        }
        let mut r = self.lock();
        if r.all.len() >= self.max {
            // Make room by forgetting the oldest used-up fault, if any.
            let used_up = r
                .all
                .iter()
                .find(|(_, f)| f.remaining == Some(0))
                .map(|(&id, _)| id);
            match used_up {
                Some(id) => {
                    r.all.remove(&id);
                }
                None => return Err(Refused::Full(self.max)),
            }
        }
        r.next_id += 1;
        let fault = Fault {
            id: r.next_id,
            remaining: (spec.times > 0).then_some(spec.times),
            spec,
            fired: 0,
        };
        r.index(fault.id, &fault.spec);
        r.all.insert(fault.id, fault.clone());
        self.any.store(true, Ordering::Release);
        Ok(fault)
    }

    /// Whether any live fault is registered (one atomic load).
    pub fn is_active(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().all.values().cloned().collect()
    }

    pub fn clear(&self) {
        let mut r = self.lock();
        let next_id = r.next_id;
        *r = Registry {
            next_id,
            ..Registry::default()
        };
        self.any.store(false, Ordering::Release);
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut r = self.lock();
        let Some(f) = r.all.remove(&id) else {
            return false;
        };
        r.unindex(id, &f.spec);
        self.any.store(r.live(), Ordering::Release);
        true
    }

    /// The first API fault for a call to `path` by `partner` (an API key, if any).
    pub fn take_api(&self, path: &str, partner: Option<&str>) -> Option<FaultAction> {
        if !self.is_active() {
            return None;
        }
        let mut r = self.lock();
        let ids = [Some(path.to_owned()), None]
            .iter()
            .flat_map(|key| r.api.get(key).into_iter().flatten().copied())
            .collect();
        let fired = r.fire(
            ids,
            |s| s.partner.as_deref().is_none_or(|p| Some(p) == partner),
            1,
        );
        self.any.store(r.live(), Ordering::Release);
        fired.into_iter().next()
    }

    /// Every webhook fault for `event` of `partner`.
    pub fn take_webhook(&self, event: EventType, partner: &str) -> Vec<FaultAction> {
        if !self.is_active() {
            return Vec::new();
        }
        let mut r = self.lock();
        let ids = [Some(event), None]
            .iter()
            .flat_map(|key| r.webhook.get(key).into_iter().flatten().copied())
            .collect();
        let fired = r.fire(
            ids,
            |s| s.partner.as_deref().is_none_or(|p| p == partner),
            usize::MAX,
        );
        self.any.store(r.live(), Ordering::Release);
        fired
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
        assert_eq!(FaultAction::names_for(FaultTarget::Webhook).len(), 8);
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
        let f = Faults::new(1000);
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
        let f = Faults::new(1000);
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

#[cfg(test)]
mod bounds {
    use super::*;

    fn api(times: u32) -> FaultSpec {
        FaultSpec {
            target: FaultTarget::Api,
            path: Some("/api/v2/token".into()),
            event: None,
            partner: None,
            times,
            action: FaultAction::Status { status: 503 },
        }
    }

    #[test]
    fn at_the_bound_a_used_up_fault_makes_room_and_a_live_one_does_not() {
        let f = Faults::new(2);
        f.add(api(1)).unwrap();
        f.add(api(0)).unwrap();
        assert_eq!(f.add(api(1)), Err(Refused::Full(2)));
        assert!(f.take_api("/api/v2/token", None).is_some());
        // The first is used up: it gives its place to the new one.
        let third = f.add(api(1)).unwrap();
        assert_eq!(
            f.list().iter().map(|x| x.id).collect::<Vec<_>>(),
            [2, third.id]
        );
        f.clear();
        assert!(!f.is_active() && f.list().is_empty());
    }
}

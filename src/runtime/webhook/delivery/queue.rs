//! What is pending, in total and by target, and the places in it: a
//! webhook takes a [`Ticket`] before it exists (a request that would make
//! one waits for room, see [`Queue::reserve`]), keeps it while queued, held
//! back or attempted, and gives it back when it settles.
//!
//! A target is a receiver: scheme, resolved address and port, so that one
//! receiver reached under two names (`localhost`, `127.0.0.1`) counts once.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Notify, Semaphore};

use crate::runtime::sync::{Guard, Ordered, Rank};

/// What is pending, in total and by target, under one lock.
pub struct Queue {
    max_pending: usize,
    max_pending_per_target: usize,
    per_target_in_flight: usize,
    state: Ordered<Pending>,
    /// Woken when nothing is pending any more (the shutdown drain).
    pub(super) idle: Notify,
    /// Resolved target keys.
    keys: Ordered<Keys>,
}

/// Resolved target keys by URL authority (`http://localhost:3000`), and by
/// whole URL once its authority is resolved, so a URL seen before is not
/// parsed again (each webhook asks for its key more than once).
#[derive(Default)]
struct Keys {
    by_authority: HashMap<String, Arc<str>>,
    by_url: HashMap<String, Arc<str>>,
}

/// Entries each map of [`Keys`] holds at most; past it, it starts over.
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
pub(super) struct Pending {
    pub(super) total: usize,
    /// Only targets with something pending: the map stays as small as the
    /// set of targets in use.
    targets: HashMap<Arc<str>, TargetSlot>,
    /// Requests waiting for room, oldest first. A ticket given back is
    /// handed on to the first of them it lets fit, and only that request is
    /// woken: a queue full under load would otherwise wake every waiting
    /// request for each settled webhook, all but one to find no room.
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
}

struct Waiter {
    id: u64,
    keys: Vec<Arc<str>>,
    grant: oneshot::Sender<Vec<Ticket>>,
}

struct TargetSlot {
    pending: usize,
    /// The target's in-flight attempts (`max_in_flight_per_target`).
    permits: Arc<Semaphore>,
}

/// A webhook's place in the queue, for one target: given back when dropped.
pub struct Ticket {
    queue: Arc<Queue>,
    target: Arc<str>,
    permits: Arc<Semaphore>,
}

impl Ticket {
    /// The target's in-flight permits.
    pub(super) fn permits(&self) -> &Semaphore {
        &self.permits
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.queue.release(&self.target);
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ticket({})", self.target)
    }
}

/// The tickets a step took before making its webhook, by target key.
#[derive(Debug, Default)]
pub struct Reservation {
    tickets: Vec<Ticket>,
}

impl Reservation {
    /// Nothing reserved: every copy is counted in as it is queued (for the
    /// mock's own steps, which no request waits on: expiry, a restore).
    pub fn none() -> Reservation {
        Reservation::default()
    }

    /// A ticket for `key`, if one was reserved.
    pub fn take(&mut self, key: &str) -> Option<Ticket> {
        let at = self.tickets.iter().position(|t| &*t.target == key)?;
        Some(self.tickets.swap_remove(at))
    }
}

/// No room came within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub waited: Duration,
}

impl Queue {
    /// At most `max_pending` webhooks in total and `max_pending_per_target`
    /// per target; each target's attempts share `per_target_in_flight`
    /// permits.
    pub fn new(
        max_pending: usize,
        max_pending_per_target: usize,
        per_target_in_flight: usize,
    ) -> Queue {
        Queue {
            max_pending,
            max_pending_per_target,
            per_target_in_flight,
            state: Ordered::new(Rank::Queue, Pending::default()),
            idle: Notify::new(),
            keys: Ordered::new(Rank::Keys, Keys::default()),
        }
    }

    pub(super) fn lock(&self) -> Guard<'_, Pending> {
        self.state.lock()
    }

    /// Webhooks pending (queued, held back or being attempted).
    pub fn pending(&self) -> usize {
        self.lock().total
    }

    /// Requests waiting for room.
    pub fn waiting(&self) -> usize {
        self.lock().waiters.len()
    }

    /// The target key of `url`: its scheme, its host's address once
    /// [`resolve`](Self::resolve) has looked it up (else its host as
    /// written), and its port.
    pub fn key(&self, url: &str) -> Arc<str> {
        if let Some(key) = self.keys.lock().by_url.get(url) {
            return key.clone();
        }
        let Some((scheme, host, port)) = parts(url) else {
            return Arc::from(url);
        };
        let authority = format!("{scheme}://{host}:{port}");
        let mut keys = self.keys.lock();
        let Some(key) = keys.by_authority.get(&authority).cloned() else {
            // Not resolved (yet): not remembered, so a later resolve counts.
            return Arc::from(authority);
        };
        if keys.by_url.len() >= MAX_KEYS {
            keys.by_url.clear();
        }
        keys.by_url.insert(url.to_owned(), key.clone());
        key
    }

    /// Looks up `url`'s host (once; a second of patience) so that its key
    /// names the address the name resolves to.
    pub async fn resolve(&self, url: &str) {
        if self.keys.lock().by_url.contains_key(url) {
            return;
        }
        let Some((scheme, host, port)) = parts(url) else {
            return;
        };
        let authority = format!("{scheme}://{host}:{port}");
        if self.keys.lock().by_authority.contains_key(&authority) {
            return;
        }
        let looked_up = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
        )
        .await;
        // IPv4 first, so `localhost` and `127.0.0.1` meet.
        let addr = match looked_up {
            Ok(Ok(addrs)) => {
                let all: Vec<_> = addrs.collect();
                all.iter().find(|a| a.is_ipv4()).or(all.first()).copied()
            }
            _ => None,
        };
        let key: Arc<str> = match addr {
            Some(addr) => Arc::from(format!("{scheme}://{addr}")),
            None => Arc::from(authority.as_str()),
        };
        let mut keys = self.keys.lock();
        // A bound: the map holds one entry per receiver name in use. The
        // URLs go with it, so none keeps a key that is not in it.
        if keys.by_authority.len() >= MAX_KEYS {
            keys.by_authority.clear();
            keys.by_url.clear();
        }
        keys.by_authority.insert(authority, key);
    }

    /// Tickets for one webhook to each of `keys`, waiting up to `wait` for
    /// room (the total and each target's pending bounds); none are taken
    /// unless all fit. A waiting request is handed its tickets by the
    /// release that makes room for it.
    pub async fn reserve(
        self: &Arc<Self>,
        keys: &[Arc<str>],
        wait: Duration,
    ) -> Result<Reservation, Busy> {
        if keys.is_empty() {
            return Ok(Reservation::none());
        }
        let began = tokio::time::Instant::now();
        let (id, mut granted) = {
            let mut p = self.lock();
            if self.fits(&p, keys) {
                let tickets = keys.iter().map(|key| self.count_in(&mut p, key)).collect();
                return Ok(Reservation { tickets });
            }
            let (grant, granted) = oneshot::channel();
            let id = p.next_waiter;
            p.next_waiter += 1;
            p.waiters.push_back(Waiter {
                id,
                keys: keys.to_vec(),
                grant,
            });
            (id, granted)
        };
        // Withdraws the request when it stops waiting, however it stops.
        let _withdraw = Withdraw { queue: self, id };
        match tokio::time::timeout_at(began + wait, &mut granted).await {
            Ok(Ok(tickets)) => Ok(Reservation { tickets }),
            // Timed out; a grant that came meanwhile is taken after all.
            _ => match granted.try_recv() {
                Ok(tickets) => Ok(Reservation { tickets }),
                Err(_) => Err(Busy {
                    waited: began.elapsed(),
                }),
            },
        }
    }

    /// Whether one webhook to each of `keys` fits in the bounds now.
    fn fits(&self, p: &Pending, keys: &[Arc<str>]) -> bool {
        if p.total + keys.len() > self.max_pending {
            return false;
        }
        keys.iter().all(|key| {
            let wanted = keys.iter().filter(|k| *k == key).count();
            let has = p.targets.get(key).map_or(0, |s| s.pending);
            has + wanted <= self.max_pending_per_target
        })
    }

    /// Hands tickets to the waiting requests that fit now, oldest first
    /// (one whose target is full does not hold up the others). Returns the
    /// tickets of requests that stopped waiting meanwhile, to be dropped
    /// once the lock is released.
    fn grant(self: &Arc<Self>, p: &mut Pending) -> Vec<Ticket> {
        let mut unclaimed = Vec::new();
        let mut i = 0;
        while i < p.waiters.len() && p.total < self.max_pending {
            if p.waiters[i].grant.is_closed() {
                p.waiters.remove(i);
                continue;
            }
            if !self.fits(p, &p.waiters[i].keys) {
                i += 1;
                continue;
            }
            let Some(w) = p.waiters.remove(i) else { break };
            let tickets = w.keys.iter().map(|key| self.count_in(p, key)).collect();
            if let Err(tickets) = w.grant.send(tickets) {
                unclaimed.extend(tickets);
            }
        }
        unclaimed
    }

    /// A ticket for `key` whatever the bounds say: for what no request
    /// waits on (an expiry, a restored or extra copy), which the number of
    /// verifications bounds.
    pub fn force(self: &Arc<Self>, key: &Arc<str>) -> Ticket {
        let mut p = self.lock();
        self.count_in(&mut p, key)
    }

    fn count_in(self: &Arc<Self>, p: &mut Pending, key: &Arc<str>) -> Ticket {
        let per_target_in_flight = self.per_target_in_flight;
        let slot = p.targets.entry(key.clone()).or_insert_with(|| TargetSlot {
            pending: 0,
            permits: Arc::new(Semaphore::new(per_target_in_flight)),
        });
        slot.pending += 1;
        let permits = slot.permits.clone();
        p.total += 1;
        Ticket {
            queue: self.clone(),
            target: key.clone(),
            permits,
        }
    }

    fn release(self: &Arc<Self>, key: &str) {
        let mut p = self.lock();
        if let Some(slot) = p.targets.get_mut(key) {
            slot.pending -= 1;
            if slot.pending == 0 {
                p.targets.remove(key);
            }
        }
        p.total = p.total.saturating_sub(1);
        let unclaimed = self.grant(&mut p);
        let idle = p.total == 0;
        drop(p);
        // Given back in turn (not under the lock): room for the next ones.
        drop(unclaimed);
        if idle {
            self.idle.notify_waiters();
        }
    }
}

/// Takes a waiting request off the list when it stops waiting.
struct Withdraw<'a> {
    queue: &'a Arc<Queue>,
    id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        let mut p = self.queue.lock();
        if let Some(at) = p.waiters.iter().position(|w| w.id == self.id) {
            p.waiters.remove(at);
        }
    }
}

/// Scheme, host (lower case, IPv6 in brackets) and port of `url`.
fn parts(url: &str) -> Option<(String, String, u16)> {
    let u = url::Url::parse(url).ok()?;
    let host = match u.host()? {
        url::Host::Domain(d) => d.to_ascii_lowercase(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => format!("[{ip}]"),
    };
    Some((u.scheme().to_owned(), host, u.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(total: usize, per_target: usize) -> Arc<Queue> {
        Arc::new(Queue::new(total, per_target, 2))
    }

    fn keys(list: &[&str]) -> Vec<Arc<str>> {
        list.iter().map(|k| Arc::from(*k)).collect()
    }

    #[tokio::test]
    async fn pending_is_bounded_per_target_and_in_total_and_a_request_waits_for_room() {
        let q = queue(3, 2);
        let none = Duration::ZERO;
        let a = q.reserve(&keys(&["a", "a"]), none).await.unwrap();
        assert!(q.reserve(&keys(&["a"]), none).await.is_err(), "per target");
        let b = q.reserve(&keys(&["b"]), none).await.unwrap();
        assert!(q.reserve(&keys(&["c"]), none).await.is_err(), "in total");
        assert_eq!(q.pending(), 3);
        // A waiting request gets the room a settled webhook gives back.
        let waiter = {
            let q = q.clone();
            tokio::spawn(async move { q.reserve(&keys(&["c"]), Duration::from_secs(10)).await })
        };
        while q.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        drop(b);
        let c = waiter.await.unwrap().expect("room came");
        assert_eq!(q.pending(), 3);
        drop((a, c));
        let p = q.lock();
        assert_eq!(p.total, 0);
        assert!(p.targets.is_empty(), "idle targets are forgotten");
    }

    #[tokio::test]
    async fn room_is_handed_to_the_oldest_waiter_it_fits_and_a_full_target_holds_up_no_one() {
        let q = queue(3, 2);
        let none = Duration::ZERO;
        let long = Duration::from_secs(10);
        let mut a = q.reserve(&keys(&["a", "a"]), none).await.unwrap();
        let b = q.reserve(&keys(&["b"]), none).await.unwrap();
        let wait = |list: &'static [&'static str]| {
            let q = q.clone();
            tokio::spawn(async move { q.reserve(&keys(list), long).await })
        };
        // Two wait for target a (full), then one for c (the total is full).
        let for_a1 = wait(&["a"]);
        while q.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        let for_a2 = wait(&["a"]);
        while q.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        let for_c = wait(&["c"]);
        while q.waiting() < 3 {
            tokio::task::yield_now().await;
        }
        // b settles: room in total, not for a; c gets it, the others wait.
        drop(b);
        let c = for_c.await.unwrap().expect("c fits");
        assert_eq!((q.waiting(), q.pending()), (2, 3));
        // One of a's settles: the oldest waiter for a gets it, only it.
        let a_kept = a.tickets.pop();
        drop(a);
        let a1 = for_a1.await.unwrap().expect("the oldest first");
        assert_eq!((q.waiting(), q.pending()), (1, 3));
        // A waiter that gives up leaves the list.
        for_a2.abort();
        let _ = for_a2.await;
        assert_eq!(q.waiting(), 0);
        drop((a1, c));
        assert_eq!(q.pending(), 1);
        drop(a_kept);
        assert_eq!(q.pending(), 0);
    }

    #[tokio::test]
    async fn forced_tickets_count_past_the_bound_and_keys_follow_resolution() {
        let q = queue(1, 1);
        let key = q.key("http://LOCALHOST:3000/hook");
        assert_eq!(&*key, "http://localhost:3000");
        q.resolve("http://localhost:3000/x").await;
        let resolved = q.key("http://localhost:3000/hook");
        assert!(&*resolved == "http://127.0.0.1:3000", "{resolved}");
        // Asked again, the URL is answered from memory, the same key.
        let again = q.key("http://localhost:3000/hook");
        assert!(Arc::ptr_eq(&again, &resolved));
        assert_eq!(q.keys.lock().by_url.len(), 1);
        let first = q.force(&resolved);
        let second = q.force(&resolved);
        assert_eq!(q.pending(), 2);
        assert!(std::ptr::eq(first.permits(), second.permits()));
    }
}

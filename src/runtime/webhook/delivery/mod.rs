//! Delivery off the request path.
//!
//! Each verification has a lane: its webhooks go out one after another, the
//! next only when the previous one is delivered or given up, while lanes run
//! concurrently (one task per lane with work). Each webhook is attempted once
//! plus `retries` times, with a growing delay; every attempt is journaled.
//!
//! Bounds, so one bad receiver cannot hurt the others or the process:
//! - a webhook holds a [`Ticket`] from before it is made until it settles:
//!   at most `max_pending` in total and `max_pending_per_target` per target
//!   (see [`Queue`]); a request that would make one past them waits for room
//!   and, past `enqueue_wait_ms`, is refused (429) before anything is made;
//! - an attempt holds a permit of its target (`max_in_flight_per_target`)
//!   and one of the `max_in_flight` active ones. A receiver that has not
//!   answered after [`SLOW_AFTER`] gives its active permit back and waits on
//!   one of the slow ones (four times as many); when none is free, the
//!   attempt is given up (a failed attempt, retried as any other). So stuck
//!   receivers, however many, leave active permits for the others;
//! - a receiver's answer is read up to `max_response_bytes`, then dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::journal::{Attempt, DeliveryState, Journal, WebhookRecord, ANSWER_SHOWN};
use crate::config::WebhookConfig;
use crate::domain::escape::escape_for_log;
use crate::runtime::clock::Clock;
use crate::runtime::sync::{Ordered, Rank, Wake};

mod queue;

pub use queue::{Busy, Queue, Reservation, Ticket};

/// How long an attempt may wait for its answer before it counts as slow
/// and gives its active permit to other receivers.
pub const SLOW_AFTER: Duration = Duration::from_millis(250);

/// Told whether a verification's final webhook was delivered (`true`) or
/// given up on (`false`). Called before the webhook is settled in the
/// journal, so whoever waits for the settle sees the verification updated.
pub type FinalOutcome = Arc<dyn Fn(&str, bool) + Send + Sync>;

/// A webhook to deliver, with its place in the queue.
#[derive(Debug)]
pub struct Job {
    pub journal_id: u64,
    /// The journal record's epoch: a reset or restore that replaced it
    /// makes the job stale, and it is dropped unsent.
    pub epoch: u64,
    pub scan_ref: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub is_final: bool,
    /// Wait before the first attempt.
    pub delay: Duration,
    pub ticket: Ticket,
}

impl Job {
    /// The job that sends journaled record `r` (a replay, or a restored
    /// pending one) at once; `None` without a target.
    pub fn resend(r: WebhookRecord, epoch: u64, ticket: Ticket) -> Option<Job> {
        Some(Job {
            journal_id: r.id,
            epoch,
            scan_ref: r.scan_ref,
            target: r.target?,
            headers: r.headers,
            body: r.body,
            is_final: r.is_final,
            delay: Duration::ZERO,
            ticket,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub retries: u32,
    pub retry_delay: Duration,
    pub backoff_factor: f64,
    pub max_in_flight: usize,
    pub max_in_flight_per_target: usize,
    pub max_pending: usize,
    pub max_pending_per_target: usize,
    pub max_response_bytes: usize,
}

impl From<&WebhookConfig> for Settings {
    fn from(c: &WebhookConfig) -> Settings {
        Settings {
            timeout: Duration::from_secs(c.timeout_secs.get()),
            retries: c.retries,
            retry_delay: Duration::from_millis(c.retry_delay_ms),
            backoff_factor: c.backoff_factor,
            max_in_flight: c.max_in_flight.get(),
            max_in_flight_per_target: c.max_in_flight_per_target.get(),
            max_pending: c.max_pending.get(),
            max_pending_per_target: c.max_pending_per_target.get(),
            max_response_bytes: c.max_response_bytes,
        }
    }
}

/// Handle to the delivery engine (cheap to clone: it is shared).
#[derive(Clone)]
pub struct Engine {
    worker: Arc<Worker>,
}

struct Worker {
    settings: Settings,
    client: reqwest::Client,
    journal: Arc<Journal>,
    clock: Arc<Clock>,
    on_final: FinalOutcome,
    active: Semaphore,
    slow: Semaphore,
    queue: Arc<Queue>,
    /// Each verification's webhooks waiting behind the one being delivered;
    /// a scanRef is here exactly while its lane has a task.
    lanes: Ordered<HashMap<String, VecDeque<Job>>>,
}

impl Engine {
    /// The engine, delivering on the current Tokio runtime.
    pub fn start(
        settings: Settings,
        journal: Arc<Journal>,
        clock: Arc<Clock>,
        on_final: FinalOutcome,
    ) -> Engine {
        let queue = Arc::new(Queue::new(
            settings.max_pending,
            settings.max_pending_per_target,
            settings.max_in_flight_per_target,
        ));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("idenfy-mock/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(settings.max_in_flight_per_target)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Engine {
            worker: Arc::new(Worker {
                active: Semaphore::new(settings.max_in_flight),
                slow: Semaphore::new(settings.max_in_flight.saturating_mul(4)),
                settings,
                client,
                journal,
                clock,
                on_final,
                queue,
                lanes: Ordered::new(Rank::Lanes, HashMap::new()),
            }),
        }
    }

    /// Another handle to the same engine.
    pub fn handle(&self) -> Engine {
        self.clone()
    }

    /// The pending bounds and the tickets.
    pub fn queue(&self) -> &Arc<Queue> {
        &self.worker.queue
    }

    /// Queues a webhook behind the verification's earlier ones.
    pub fn enqueue(&self, job: Job) {
        let mut lanes = self.worker.lanes.lock();
        if let Some(lane) = lanes.get_mut(&job.scan_ref) {
            lane.push_back(job);
            return;
        }
        lanes.insert(job.scan_ref.clone(), VecDeque::new());
        drop(lanes);
        tokio::spawn(self.worker.clone().run_lane(job));
    }

    /// Webhooks pending (queued, held back or being attempted).
    pub fn pending(&self) -> usize {
        self.worker.queue.pending()
    }

    /// Waits until nothing is pending or `grace` passes; returns how many
    /// webhooks were still pending.
    pub async fn drain(&self, grace: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let wake = Wake::on(&[&self.worker.queue.idle]);
            if self.pending() == 0 {
                return 0;
            }
            if !wake.until(deadline).await {
                return self.pending();
            }
        }
    }
}

impl Worker {
    /// Delivers `job`, then the lane's next ones, until the lane is empty.
    async fn run_lane(self: Arc<Self>, mut job: Job) {
        loop {
            let scan_ref = job.scan_ref.clone();
            self.deliver(job).await;
            let mut lanes = self.lanes.lock();
            match lanes.get_mut(&scan_ref).and_then(VecDeque::pop_front) {
                Some(next) => job = next,
                None => {
                    lanes.remove(&scan_ref);
                    return;
                }
            }
        }
    }

    async fn deliver(&self, job: Job) {
        if !job.delay.is_zero() {
            tokio::time::sleep(job.delay).await;
        }
        let mut delay = self.settings.retry_delay;
        let mut delivered = false;
        for attempt in 0..=self.settings.retries {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay = delay.mul_f64(self.settings.backoff_factor);
            }
            // A reset or restore since the webhook was queued: not sent.
            let Some(outcome) = self.attempt(&job).await else {
                return;
            };
            let ok = outcome.error.is_none();
            if ok {
                delivered = true;
                if job.is_final {
                    (self.on_final)(&job.scan_ref, true);
                }
                self.journal.record_attempt(
                    job.journal_id,
                    job.epoch,
                    outcome,
                    Some(DeliveryState::Delivered),
                );
                break;
            }
            self.journal
                .record_attempt(job.journal_id, job.epoch, outcome, None);
        }
        if !delivered {
            tracing::warn!(scan_ref = %escape_for_log(&job.scan_ref), target = %escape_for_log(&job.target), id = job.journal_id,
                "webhook given up after {} attempts", self.settings.retries + 1);
            // The verification learns the outcome first: the page waiting
            // for this settle reads it right after being woken.
            if job.is_final {
                (self.on_final)(&job.scan_ref, false);
            }
            self.journal
                .settle(job.journal_id, job.epoch, DeliveryState::Failed);
        }
        // The ticket goes with the job: room for a waiting request.
    }

    /// One attempt; `None` when the webhook's record went (a reset or a
    /// restore) while it waited for its permits: it is not sent.
    async fn attempt(&self, job: &Job) -> Option<Attempt> {
        // Neither semaphore is ever closed, so acquiring only waits. The
        // target's permit first: waiting for it holds no active permit.
        let _target_permit = job.ticket.permits().acquire().await;
        let mut active = self.active.acquire().await.ok();
        if !self.journal.is_live(job.journal_id, job.epoch) {
            return None;
        }
        let at_ms = self.clock.now_ms();
        let started = Instant::now();
        let mut request = self
            .client
            .post(&job.target)
            .timeout(self.settings.timeout)
            .body(job.body.clone());
        for (name, value) in &job.headers {
            request = request.header(name, value);
        }
        let send = request.send();
        tokio::pin!(send);
        let mut slow = None;
        let result = tokio::select! {
            result = &mut send => Some(result),
            () = tokio::time::sleep(SLOW_AFTER) => {
                // Slow: wait on a slow permit and leave the active one to
                // receivers that answer. With every slow place taken, the
                // attempt is given up (a failed attempt, retried as any
                // other): keeping the active place would let enough stuck
                // receivers starve the healthy ones.
                match self.slow.try_acquire() {
                    Ok(permit) => {
                        slow = Some(permit);
                        active = None;
                        Some(send.await)
                    }
                    Err(_) => None,
                }
            }
        };
        let mut answer = None;
        let Some(result) = result else {
            return Some(Attempt {
                at_ms,
                status: None,
                error: Some(format!(
                    "no answer within {} ms while all {} places for slow receivers were taken: \
                     given up so that receivers that answer keep theirs",
                    SLOW_AFTER.as_millis(),
                    self.settings.max_in_flight.saturating_mul(4)
                )),
                latency_ms: started.elapsed().as_millis() as u64,
                answer,
            });
        };
        let (status, error) = match result {
            Ok(mut response) => {
                let status = response.status();
                // Read a bounded part of the answer (so a small one lets the
                // connection be reused), then drop the rest unread; keep the
                // start of a failing one.
                let mut read = 0;
                let mut start = Vec::new();
                while read < self.settings.max_response_bytes {
                    match response.chunk().await {
                        Ok(Some(chunk)) => {
                            read += chunk.len();
                            if !status.is_success() {
                                let room = ANSWER_SHOWN.saturating_sub(start.len());
                                start.extend_from_slice(&chunk[..chunk.len().min(room)]);
                            }
                        }
                        _ => break,
                    }
                }
                if status.is_success() {
                    (Some(status.as_u16()), None)
                } else {
                    answer = Some(String::from_utf8_lossy(&start).into_owned());
                    (
                        Some(status.as_u16()),
                        Some(format!("receiver answered {status}")),
                    )
                }
            }
            Err(e) if e.is_timeout() => (
                None,
                Some(format!(
                    "no answer within {} s",
                    self.settings.timeout.as_secs_f64()
                )),
            ),
            Err(e) if e.is_connect() => (None, Some(format!("cannot connect: {}", root_cause(&e)))),
            Err(e) => (None, Some(format!("request failed: {}", root_cause(&e)))),
        };
        drop((active, slow));
        Some(Attempt {
            at_ms,
            status,
            error,
            latency_ms: started.elapsed().as_millis() as u64,
            answer,
        })
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

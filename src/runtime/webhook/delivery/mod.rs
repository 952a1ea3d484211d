//! Delivery off the request path.
//!
//! One dispatcher task owns the ordering: a verification's next webhook is
//! started only when its previous one is delivered or given up, while
//! different verifications deliver concurrently. Each webhook is attempted
//! once plus `retries` times, with a growing delay; every attempt is journaled.
//!
//! Bounds, so one bad receiver cannot hurt the others or the process:
//! - an attempt holds a permit of its target (scheme, host and port;
//!   `max_in_flight_per_target`) and then one of the global `max_in_flight`.
//!   The target's permit is taken first, so a stuck target holds at most its
//!   own share of the global permits and other targets keep flowing;
//! - at most `max_pending` webhooks are queued or in flight, and at most
//!   `max_pending_per_target` per target. One over is not queued: it is
//!   journaled `failed` with the reason ("queue full"), never silently lost;
//! - a receiver's answer is read up to `max_response_bytes`, then dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, Semaphore};

use super::journal::{Attempt, DeliveryState, Journal, WebhookRecord, ANSWER_SHOWN};
use crate::config::WebhookConfig;
use crate::domain::escape::escape_for_log;
use crate::runtime::clock::Clock;
use crate::runtime::sync::Wake;

mod queue;

use queue::Queue;

/// Told whether a verification's final webhook was delivered (`true`) or
/// given up on (`false`). Called before the webhook is settled in the
/// journal, so whoever waits for the settle sees the verification updated.
pub type FinalOutcome = Arc<dyn Fn(&str, bool) + Send + Sync>;

/// A webhook to deliver.
#[derive(Debug, Clone)]
pub struct Job {
    pub journal_id: u64,
    pub scan_ref: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub is_final: bool,
    /// Wait before the first attempt.
    pub delay: Duration,
}

impl Job {
    /// The job that sends journaled record `r` (a replay, or a restored
    /// pending one) as entry `journal_id`, at once; `None` without a target.
    pub fn resend(journal_id: u64, r: WebhookRecord) -> Option<Job> {
        Some(Job {
            journal_id,
            scan_ref: r.scan_ref,
            target: r.target?,
            headers: r.headers,
            body: r.body,
            is_final: r.is_final,
            delay: Duration::ZERO,
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

/// A job accepted into the queue, with its target's permits.
struct Queued {
    job: Job,
    target: String,
    target_permits: Arc<Semaphore>,
}

enum Msg {
    Job(Queued),
    /// Not queued (a pending bound was reached): journal it as failed.
    Refused(Job, String),
    Done(String),
}

/// Handle to the delivery engine.
pub struct Engine {
    tx: mpsc::UnboundedSender<Msg>,
    queue: Arc<Queue>,
}

struct Worker {
    settings: Settings,
    client: reqwest::Client,
    journal: Arc<Journal>,
    clock: Arc<Clock>,
    on_final: FinalOutcome,
    permits: Arc<Semaphore>,
    queue: Arc<Queue>,
    tx: mpsc::UnboundedSender<Msg>,
}

impl Engine {
    /// Starts the dispatcher on the current Tokio runtime.
    pub fn start(
        settings: Settings,
        journal: Arc<Journal>,
        clock: Arc<Clock>,
        on_final: FinalOutcome,
    ) -> Engine {
        let (tx, rx) = mpsc::unbounded_channel();
        let queue = Arc::new(Queue::new(
            settings.max_pending,
            settings.max_pending_per_target,
            settings.max_in_flight_per_target,
        ));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("idenfy-mock/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let worker = Arc::new(Worker {
            permits: Arc::new(Semaphore::new(settings.max_in_flight)),
            settings,
            client,
            journal,
            clock,
            on_final,
            queue: queue.clone(),
            tx: tx.clone(),
        });
        tokio::spawn(dispatch(worker, rx));
        Engine { tx, queue }
    }

    /// Queues a webhook; it is delivered after the verification's earlier
    /// ones. When a pending bound is reached it is journaled `failed` instead
    /// (shortly after, by the dispatcher, so this never blocks a caller that
    /// holds the verification locked).
    pub fn enqueue(&self, job: Job) {
        let target = target_key(&job.target);
        let msg = match self.queue.admit(&target) {
            Ok(target_permits) => Msg::Job(Queued {
                job,
                target,
                target_permits,
            }),
            Err(reason) => {
                tracing::warn!(scan_ref = %escape_for_log(&job.scan_ref), id = job.journal_id, "webhook not queued: {}", escape_for_log(&reason));
                Msg::Refused(job, reason)
            }
        };
        let admitted = matches!(msg, Msg::Job(_));
        if let Err(mpsc::error::SendError(msg)) = self.tx.send(msg) {
            // The dispatcher is gone (runtime shutting down): nothing will run it.
            if let (true, Msg::Job(q)) = (admitted, msg) {
                self.queue.release(&q.target);
            }
        }
    }

    /// Webhooks queued or being attempted.
    pub fn pending(&self) -> usize {
        self.queue.lock().total
    }

    /// Waits until nothing is pending or `grace` passes; returns how many
    /// webhooks were still pending.
    pub async fn drain(&self, grace: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let wake = Wake::on(&[&self.queue.idle]);
            if self.pending() == 0 {
                return 0;
            }
            if !wake.until(deadline).await {
                return self.pending();
            }
        }
    }
}

/// The part of a target URL that names one receiver: scheme, host and port
/// (`http://host:port`). An unparsable URL is its own key (its attempts fail
/// anyway).
pub fn target_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
            (Some(host), None) => format!("{}://{host}", u.scheme()),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// Owns per-verification order: `busy` holds the scanRefs with a webhook in
/// progress, each with the webhooks waiting behind it.
async fn dispatch(worker: Arc<Worker>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut busy: HashMap<String, VecDeque<Queued>> = HashMap::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Job(q) => match busy.get_mut(&q.job.scan_ref) {
                Some(waiting) => waiting.push_back(q),
                None => {
                    busy.insert(q.job.scan_ref.clone(), VecDeque::new());
                    tokio::spawn(worker.clone().deliver(q));
                }
            },
            Msg::Refused(job, reason) => worker.refuse(job, reason),
            Msg::Done(scan_ref) => {
                let next = busy.get_mut(&scan_ref).and_then(VecDeque::pop_front);
                match next {
                    Some(q) => {
                        tokio::spawn(worker.clone().deliver(q));
                    }
                    None => {
                        busy.remove(&scan_ref);
                    }
                }
            }
        }
    }
}

impl Worker {
    /// A webhook that could not be queued: failed, with the reason as its
    /// one attempt, like any other given-up webhook.
    fn refuse(&self, job: Job, reason: String) {
        self.journal.record_attempt(
            job.journal_id,
            Attempt {
                at_ms: self.clock.now_ms(),
                status: None,
                error: Some(reason),
                latency_ms: 0,
                answer: None,
            },
        );
        if job.is_final {
            (self.on_final)(&job.scan_ref, false);
        }
        self.journal.settle(job.journal_id, DeliveryState::Failed);
    }

    async fn deliver(self: Arc<Self>, q: Queued) {
        let job = &q.job;
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
            let outcome = self.attempt(job, &q.target_permits).await;
            let ok = outcome.error.is_none();
            self.journal.record_attempt(job.journal_id, outcome);
            if ok {
                delivered = true;
                break;
            }
        }
        let state = if delivered {
            DeliveryState::Delivered
        } else {
            tracing::warn!(scan_ref = %escape_for_log(&job.scan_ref), target = %escape_for_log(&job.target), id = job.journal_id,
                "webhook given up after {} attempts", self.settings.retries + 1);
            DeliveryState::Failed
        };
        // The verification learns the outcome first: the page waiting for
        // this settle reads it right after being woken.
        if job.is_final {
            (self.on_final)(&job.scan_ref, delivered);
        }
        self.journal.settle(job.journal_id, state);
        self.queue.release(&q.target);
        let _ = self.tx.send(Msg::Done(q.job.scan_ref));
    }

    async fn attempt(&self, job: &Job, target_permits: &Semaphore) -> Attempt {
        let at_ms = self.clock.now_ms();
        // Neither semaphore is ever closed, so acquiring only waits. The
        // target's permit first: waiting for it holds no global permit.
        let _target_permit = target_permits.acquire().await;
        let _permit = self.permits.acquire().await;
        let started = Instant::now();
        let mut request = self
            .client
            .post(&job.target)
            .timeout(self.settings.timeout)
            .body(job.body.clone());
        for (name, value) in &job.headers {
            request = request.header(name, value);
        }
        let result = request.send().await;
        let mut answer = None;
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
                            let room = ANSWER_SHOWN.saturating_sub(start.len());
                            start.extend_from_slice(&chunk[..chunk.len().min(room)]);
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
        Attempt {
            at_ms,
            status,
            error,
            latency_ms: started.elapsed().as_millis() as u64,
            answer,
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_key_is_scheme_host_port() {
        assert_eq!(
            target_key("http://127.0.0.1:9000/hook?x=1"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            target_key("https://Example.com/a"),
            "https://example.com:443"
        );
        assert_eq!(target_key("http://example.com/b"), "http://example.com:80");
        assert_eq!(target_key("not a url"), "not a url");
    }
}

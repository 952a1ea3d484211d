//! Delivery off the request path.
//!
//! One dispatcher task owns the ordering: a verification's next webhook is
//! started only when its previous one is delivered or given up, while
//! different verifications deliver concurrently (at most `max_in_flight` HTTP
//! requests at once). Each webhook is attempted once plus `retries` times,
//! with a growing delay; every attempt is journaled.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, Notify, Semaphore};

use super::journal::{Attempt, DeliveryState, Journal};
use crate::clock::Clock;
use crate::config::WebhookConfig;

/// Told whether a verification's final webhook was delivered (`true`) or
/// given up on (`false`).
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

#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub retries: u32,
    pub retry_delay: Duration,
    pub backoff_factor: f64,
    pub max_in_flight: usize,
}

impl From<&WebhookConfig> for Settings {
    fn from(c: &WebhookConfig) -> Settings {
        Settings {
            timeout: Duration::from_secs(c.timeout_secs),
            retries: c.retries,
            retry_delay: Duration::from_millis(c.retry_delay_ms),
            backoff_factor: c.backoff_factor,
            max_in_flight: c.max_in_flight,
        }
    }
}

enum Msg {
    Job(Job),
    Done(String),
}

/// Handle to the delivery engine.
pub struct Engine {
    tx: mpsc::UnboundedSender<Msg>,
    pending: Arc<PendingCount>,
}

#[derive(Default)]
struct PendingCount {
    count: AtomicUsize,
    idle: Notify,
}

struct Worker {
    settings: Settings,
    client: reqwest::Client,
    journal: Arc<Journal>,
    clock: Arc<Clock>,
    on_final: FinalOutcome,
    permits: Arc<Semaphore>,
    pending: Arc<PendingCount>,
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
        let pending = Arc::new(PendingCount::default());
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
            pending: pending.clone(),
            tx: tx.clone(),
        });
        tokio::spawn(dispatch(worker, rx));
        Engine { tx, pending }
    }

    /// Queues a webhook; it is delivered after the verification's earlier ones.
    pub fn enqueue(&self, job: Job) {
        self.pending.count.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(Msg::Job(job)).is_err() {
            // The dispatcher is gone (runtime shutting down): nothing will run it.
            self.pending.count.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Webhooks queued or being attempted.
    pub fn pending(&self) -> usize {
        self.pending.count.load(Ordering::Acquire)
    }

    /// Waits until nothing is pending or `grace` passes; returns how many
    /// webhooks were still pending.
    pub async fn drain(&self, grace: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.pending.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            let n = self.pending();
            if n == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.pending();
            }
        }
    }
}

/// Owns per-verification order: `busy` holds the scanRefs with a webhook in
/// progress, each with the webhooks waiting behind it.
async fn dispatch(worker: Arc<Worker>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut busy: HashMap<String, VecDeque<Job>> = HashMap::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Job(job) => match busy.get_mut(&job.scan_ref) {
                Some(waiting) => waiting.push_back(job),
                None => {
                    busy.insert(job.scan_ref.clone(), VecDeque::new());
                    tokio::spawn(worker.clone().deliver(job));
                }
            },
            Msg::Done(scan_ref) => {
                let next = busy.get_mut(&scan_ref).and_then(VecDeque::pop_front);
                match next {
                    Some(job) => {
                        tokio::spawn(worker.clone().deliver(job));
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
    async fn deliver(self: Arc<Self>, job: Job) {
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
            let outcome = self.attempt(&job).await;
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
            tracing::warn!(scan_ref = %job.scan_ref, target = %job.target, id = job.journal_id,
                "webhook given up after {} attempts", self.settings.retries + 1);
            DeliveryState::Failed
        };
        self.journal.settle(job.journal_id, state);
        if job.is_final {
            (self.on_final)(&job.scan_ref, delivered);
        }
        if self.pending.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.pending.idle.notify_waiters();
        }
        let _ = self.tx.send(Msg::Done(job.scan_ref));
    }

    async fn attempt(&self, job: &Job) -> Attempt {
        let at_ms = self.clock.now_ms();
        // The semaphore is never closed, so acquiring only waits.
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
        let (status, error) = match result {
            Ok(response) => {
                let status = response.status();
                // Read the answer so the connection can be reused.
                let _ = response.bytes().await;
                if status.is_success() {
                    (Some(status.as_u16()), None)
                } else {
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

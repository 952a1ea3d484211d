//! Accepting and serving connections, by hand rather than with `axum::serve`,
//! for the bounds it does not have:
//!
//! - at most `max_connections` at once: the accept loop takes a slot (a
//!   semaphore permit) before accepting, so extra clients wait in the
//!   kernel's backlog instead of using up file descriptors;
//! - a header-read timeout: a new connection, or a kept-alive one whose next
//!   request has begun, must deliver a whole request head in time;
//! - an idle timeout: a kept-alive connection with no request in flight and
//!   no bytes moving is closed;
//! - a shutdown that cannot be held up by clients: idle and half-sent
//!   connections are dropped at once, requests in flight get a short window.
//!
//! Each connection has a small [`Activity`] record, updated by its socket
//! wrapper ([`Tracked`]) and by the service (requests in flight), and read by
//! a watchdog in the connection's own task. The rule deciding when to close
//! is the plain function [`verdict`].

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt as _};

use crate::config::ServerConfig;
use crate::runtime::sync::{Guard, Ordered, Rank};

/// How long requests in flight may still take once shutdown has begun.
pub const FINISH_WINDOW: Duration = Duration::from_millis(800);

/// The control API's long-poll, the longest quiet handler but for the
/// verification page's wait for its final webhook (see [`Limits::quiet`]).
pub const LONG_POLL_MAX: Duration = Duration::from_secs(60);

/// Pause after an accept error that is not about one connection (EMFILE,
/// ENFILE, ENOBUFS): retrying at once would spin on the same error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Descriptors kept free of client connections: the listener, the webhook
/// client's sockets (up to `max_in_flight` plus its idle pool), state and
/// log files.
pub const DESCRIPTOR_HEADROOM: u64 = 256;

/// How many connections can be served at once: `configured`, or fewer when
/// the process may open only `nofile` descriptors (each connection is one),
/// so accepting never runs into EMFILE while the webhook client still can
/// open sockets. At least one.
pub fn connection_cap(configured: usize, nofile: Option<u64>) -> usize {
    let Some(nofile) = nofile else {
        return configured;
    };
    let room = usize::try_from(nofile.saturating_sub(DESCRIPTOR_HEADROOM)).unwrap_or(usize::MAX);
    configured.min(room).max(1)
}

/// The soft open-file limit, where the platform has one.
pub fn nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::Resource::NOFILE
            .get()
            .ok()
            .map(|(soft, _hard)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection bounds, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    pub max_connections: usize,
    /// The longest a handler may legitimately go without a byte moving:
    /// the long-poll's minute, or the page's wait for its final webhook to
    /// settle when the webhook settings make that longer. The server sets it.
    pub quiet: Duration,
}

impl From<&ServerConfig> for Limits {
    fn from(c: &ServerConfig) -> Limits {
        Limits {
            header_read: Duration::from_secs(c.header_read_timeout_secs),
            idle: Duration::from_secs(c.idle_timeout_secs),
            max_connections: c.max_connections,
            quiet: LONG_POLL_MAX,
        }
    }
}

/// What the watchdog knows about one connection.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    /// When a byte was last read or written (or a request began or ended).
    pub last_io: Instant,
    /// Requests whose handler has not answered yet.
    pub in_flight: usize,
    /// When the request head now being read began: the connection's accept,
    /// or the first byte after the previous answer. `None` while a request
    /// is in flight or the connection is idle.
    pub head_since: Option<Instant>,
}

impl Activity {
    /// A connection just accepted: its first head is due within the
    /// header-read timeout.
    pub fn new(now: Instant) -> Activity {
        Activity {
            last_io: now,
            in_flight: 0,
            head_since: Some(now),
        }
    }

    fn on_bytes_read(&mut self, now: Instant) {
        self.last_io = now;
        if self.in_flight == 0 && self.head_since.is_none() {
            self.head_since = Some(now);
        }
    }

    fn on_request_start(&mut self, now: Instant) {
        self.last_io = now;
        self.in_flight += 1;
        self.head_since = None;
    }

    fn on_request_end(&mut self, now: Instant) {
        // The answer is about to be written: the idle clock starts afresh.
        self.last_io = now;
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// The watchdog's decision for a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Keep it; look again at this instant.
    Open { recheck_at: Instant },
    /// Close it, for this reason.
    Close(&'static str),
}

/// Whether a connection stays open at `now`:
///
/// - a head being read must be complete `header_read` after it began;
/// - with no request in flight, the connection may be quiet for `idle`;
/// - a request in flight is not idle, but one with no byte moving for
///   longer than `quiet` plus `idle` is stuck and is closed.
pub fn verdict(a: &Activity, now: Instant, limits: &Limits) -> Verdict {
    let (deadline, reason) = if a.in_flight > 0 {
        (
            a.last_io + limits.quiet + limits.idle,
            "request in flight moved no bytes",
        )
    } else if let Some(since) = a.head_since {
        (
            since + limits.header_read,
            "request head not received in time",
        )
    } else {
        (a.last_io + limits.idle, "idle")
    };
    if now >= deadline {
        Verdict::Close(reason)
    } else {
        Verdict::Open {
            recheck_at: deadline,
        }
    }
}

type Shared = Arc<Ordered<Activity>>;

fn lock(a: &Shared) -> Guard<'_, Activity> {
    a.lock()
}

/// A socket that records when bytes move.
struct Tracked<IO> {
    io: IO,
    activity: Shared,
}

impl<IO> Tracked<IO> {
    /// A write that moved bytes counts as activity.
    fn note_written(&self, polled: &Poll<io::Result<usize>>) {
        if matches!(polled, Poll::Ready(Ok(n)) if *n > 0) {
            lock(&self.activity).last_io = Instant::now();
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Tracked<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            lock(&self.activity).on_bytes_read(Instant::now());
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Tracked<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.note_written(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.note_written(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Counts a request as in flight until its handler answers (or is dropped).
struct InFlight(Shared);

impl InFlight {
    fn start(activity: &Shared) -> InFlight {
        lock(activity).on_request_start(Instant::now());
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.0).on_request_end(Instant::now());
    }
}

/// Accepts connections until `stop` turns true (or its sender is dropped),
/// serving each on its own task with `service`, over TLS when `tls` is
/// given. Every connection holds a permit of `slots` until it is closed, so
/// the owner can wait for all of them to end by acquiring every permit.
pub async fn accept_loop<S>(
    listener: TcpListener,
    service: S,
    limits: Limits,
    slots: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut last_warning: Option<Instant> = None;
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = stop.wait_for(|s| *s) => return,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                // Answers are written whole; no reason to let Nagle hold the last segment.
                let _ = stream.set_nodelay(true);
                let (service, stop) = (service.clone(), stop.clone());
                match &tls {
                    None => {
                        tokio::spawn(serve_connection(stream, service, limits, stop, permit));
                    }
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            if let Some(stream) = handshake(stream, acceptor, limits, peer).await {
                                serve_connection(stream, service, limits, stop, permit).await;
                            }
                        });
                    }
                }
            }
            // The client gave up before we accepted: nothing to wait for.
            Err(e) if is_about_one_connection(&e) => {}
            Err(e) => {
                // Out of descriptors or buffers: wait for connections to close.
                let now = Instant::now();
                if last_warning.is_none_or(|t| now - t >= Duration::from_secs(1)) {
                    tracing::warn!("cannot accept connections: {e}; retrying");
                    last_warning = Some(now);
                }
                drop(permit);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

fn is_about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// The TLS handshake of a connection to the HTTPS listener, within the
/// header-read timeout. Whatever goes wrong (plain HTTP, a failed or
/// stalled handshake) ends this connection only, with one log line; plain
/// HTTP gets a one-line answer saying to use https.
async fn handshake(
    stream: TcpStream,
    acceptor: TlsAcceptor,
    limits: Limits,
    peer: std::net::SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    let deadline = Instant::now() + limits.header_read;
    let mut first = [0u8; 1];
    match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
        // A TLS record starts with 22 (handshake); HTTP with a letter.
        Ok(Ok(1)) if first[0] != 22 => {
            tracing::info!(%peer, "plain HTTP on the HTTPS port; answered 400");
            let mut stream = stream;
            let _ = tokio::io::AsyncWriteExt::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n\
This port speaks HTTPS: use an https:// URL.\n",
            )
            .await;
            return None;
        }
        Ok(Ok(0)) | Ok(Err(_)) => return None,
        Ok(Ok(_)) => {}
        Err(_) => {
            tracing::info!(%peer, "TLS handshake not done within {:?}; closed", limits.header_read);
            return None;
        }
    }
    match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            tracing::info!(%peer, "TLS handshake failed: {e}");
            None
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake not done within {:?}; closed", limits.header_read);
            None
        }
    }
}

/// Serves one connection until it ends, the watchdog closes it, or shutdown.
async fn serve_connection<IO, S>(
    stream: IO,
    service: S,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity: Shared = Arc::new(Ordered::new(
        Rank::Connection,
        Activity::new(Instant::now()),
    ));
    let io = TokioIo::new(Tracked {
        io: stream,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let hyper_service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&requests);
        let service = service.clone();
        async move {
            let answer = service.oneshot(request.map(Body::new)).await;
            drop(in_flight);
            answer
        }
    });
    // hyper's own header-read timeout also runs while a kept-alive
    // connection waits for its next request, which would make the idle
    // timeout moot; the watchdog below times both instead.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.header_read_timeout(None);
    let conn = builder.serve_connection(io, hyper_service);
    tokio::pin!(conn);
    let watchdog = tokio::time::sleep(limits.header_read);
    tokio::pin!(watchdog);
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = &mut watchdog => {
                let now = Instant::now();
                match verdict(&lock(&activity), now, &limits) {
                    Verdict::Open { recheck_at } => watchdog.as_mut().reset(recheck_at),
                    Verdict::Close(reason) => {
                        tracing::debug!(reason, "closing a connection");
                        return;
                    }
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    // Shutting down. Idle connections and half-sent heads have nothing worth
    // waiting for; a request in flight may finish and be answered.
    if lock(&activity).in_flight == 0 {
        return;
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(FINISH_WINDOW, conn).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
        max_connections: 1000,
        quiet: LONG_POLL_MAX,
    };

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_connection_cap_leaves_descriptors_for_everything_else() {
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_cap(4096, Some(1024)), 768);
        assert_eq!(connection_cap(500, Some(1024)), 500);
        assert_eq!(connection_cap(4096, Some(100)), 1);
    }

    #[test]
    fn a_new_connection_must_send_its_head_in_time() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        assert_eq!(
            verdict(&a, t0 + secs(9), &LIMITS),
            Verdict::Open {
                recheck_at: t0 + secs(10)
            }
        );
        // Bytes trickling in do not extend the deadline.
        let mut a = a;
        a.on_bytes_read(t0 + secs(9));
        assert_eq!(
            verdict(&a, t0 + secs(10), &LIMITS),
            Verdict::Close("request head not received in time")
        );
    }

    #[test]
    fn a_request_in_flight_is_not_idle() {
        let t0 = Instant::now();
        let mut a = Activity::new(t0);
        a.on_request_start(t0 + secs(1));
        // A 60 s long-poll with no byte moving stays open.
        assert!(matches!(
            verdict(&a, t0 + secs(62), &LIMITS),
            Verdict::Open { .. }
        ));
        // One stuck far longer than any handler waits is closed.
        assert_eq!(
            verdict(&a, t0 + secs(1 + 60 + 60), &LIMITS),
            Verdict::Close("request in flight moved no bytes")
        );
    }

    #[test]
    fn a_longer_quiet_bound_keeps_a_long_page_wait_open() {
        let t0 = Instant::now();
        let mut a = Activity::new(t0);
        a.on_request_start(t0);
        let long = Limits {
            quiet: secs(300),
            ..LIMITS
        };
        assert!(matches!(
            verdict(&a, t0 + secs(200), &long),
            Verdict::Open { .. }
        ));
        assert_eq!(
            verdict(&a, t0 + secs(360), &long),
            Verdict::Close("request in flight moved no bytes")
        );
    }

    #[test]
    fn after_an_answer_the_idle_clock_runs_until_the_next_head_begins() {
        let t0 = Instant::now();
        let mut a = Activity::new(t0);
        a.on_request_start(t0);
        a.on_request_end(t0 + secs(2));
        assert_eq!(a.head_since, None);
        assert_eq!(
            verdict(&a, t0 + secs(30), &LIMITS),
            Verdict::Open {
                recheck_at: t0 + secs(62)
            }
        );
        assert_eq!(verdict(&a, t0 + secs(62), &LIMITS), Verdict::Close("idle"));
        // A next request's first byte starts the header-read clock.
        a.on_bytes_read(t0 + secs(40));
        assert_eq!(a.head_since, Some(t0 + secs(40)));
        assert_eq!(
            verdict(&a, t0 + secs(50), &LIMITS),
            Verdict::Close("request head not received in time")
        );
    }

    #[test]
    fn bytes_read_during_a_request_start_no_head_clock() {
        let t0 = Instant::now();
        let mut a = Activity::new(t0);
        a.on_request_start(t0);
        a.on_bytes_read(t0 + secs(1));
        assert_eq!(a.head_since, None);
        assert_eq!(a.last_io, t0 + secs(1));
    }
}

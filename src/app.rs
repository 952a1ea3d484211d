//! Builds the shared state and the router, serves it, and shuts it down
//! gracefully. The one place the server is started from: `main`, the tests
//! and embedding users all go through [`Server::start`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Method, Uri};
use axum::routing::get;
use axum::{Router, ServiceExt as _};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer as _;

use crate::api::{self, error::ApiError};
use crate::clock::Clock;
use crate::config::Config;
use crate::faults::Faults;
use crate::files;
use crate::guard::GuardLayer;
use crate::ids::Ids;
use crate::partners::Partners;
use crate::store::{Limits, Store};
use crate::webhook::delivery::{Engine, Settings};
use crate::webhook::journal::Journal;
use crate::webhook::Webhooks;

/// Everything a request handler may use.
pub struct App {
    pub config: Config,
    /// Base of redirectUrl and fileUrls, without a trailing slash.
    pub public_url: String,
    pub partners: Partners,
    pub store: Arc<Store>,
    pub clock: Arc<Clock>,
    pub webhooks: Webhooks,
    pub faults: Arc<Faults>,
    pub inbox: crate::control::inbox::Inbox,
    pub ids: Ids,
    pub started: Instant,
}

pub type AppState = Arc<App>;

impl App {
    /// Builds the state and starts the webhook engine (needs a Tokio runtime).
    fn new(config: Config, public_url: String) -> App {
        let clock = Arc::new(Clock::new());
        let store = Arc::new(Store::new(Limits {
            max_verifications: config.store.max_verifications,
            max_bytes: config.store.store_budget_bytes(),
            retention_secs: i64::try_from(config.store.retention_secs).unwrap_or(i64::MAX),
        }));
        let journal = Arc::new(
            Journal::new(
                config.webhooks.journal_capacity,
                config.store.journal_budget_bytes(),
            )
            .with_max_waiters(config.webhooks.max_waiters),
        );
        let faults = Arc::new(Faults::new());
        let on_final_store = store.clone();
        let engine = Engine::start(
            Settings::from(&config.webhooks),
            journal.clone(),
            clock.clone(),
            Arc::new(move |scan_ref: &str, delivered: bool| {
                on_final_store.update_any(scan_ref, |v| v.final_webhook_failed = !delivered);
            }),
        );
        App {
            partners: Partners::new(&config.partners),
            ids: Ids::new(config.seed),
            webhooks: Webhooks::new(journal, engine, clock.clone(), faults.clone()),
            faults,
            inbox: Default::default(),
            store,
            clock,
            public_url,
            config,
            started: Instant::now(),
        }
    }
}

/// The one task that acts on due deadlines (expiry, session end,
/// retention). The store keeps them beside the verifications; this asks it
/// for what is due, sleeps until the next deadline (at most a second), and
/// wakes early when a nearer deadline is filed or the clock is moved.
async fn sweep_timers(app: AppState) {
    loop {
        let added = app.store.changed.notified();
        let moved = app.clock.changed.notified();
        tokio::pin!(added, moved);
        added.as_mut().enable();
        moved.as_mut().enable();
        let now_ms = app.clock.now_ms();
        for (kind, scan_ref) in app.store.take_due(now_ms.div_euclid(1000)) {
            crate::lifecycle::on_timer(&app, kind, &scan_ref);
        }
        let wait_ms = app
            .store
            .next_due()
            .map_or(1000, |at| (at.saturating_mul(1000) - now_ms).clamp(1, 1000));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            _ = added => {}
            _ = moved => {}
        }
    }
}

/// The whole HTTP surface. [`Server::start`] wraps it in the
/// [`guard`](crate::guard) (panics, request log, injected faults).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(crate::ui::router())
        .merge(crate::control::router(state.clone()))
        .route("/files/{scan_ref}/{file_key}/{name}", get(files::serve))
        .fallback(|uri: Uri| async move { ApiError::path_not_found(uri.path()) })
        .method_not_allowed_fallback(|method: Method| async move {
            ApiError::method_not_allowed(method.as_str())
        })
        .with_state(state)
}

/// A state for unit tests: the embedded configuration, nothing listening.
#[cfg(test)]
pub(crate) fn test_state() -> AppState {
    Arc::new(App::new(Config::embedded(), "http://127.0.0.1:1".into()))
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    app: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    sweeper: JoinHandle<()>,
}

impl Server {
    /// Binds `config.listen` (port 0 picks a free port) and serves in the
    /// background on the current Tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(&config.listen).await?;
        let addr = listener.local_addr()?;
        let public_url = public_url(&config.public_url, addr);
        let app: AppState = Arc::new(App::new(config, public_url));
        let (stop, stopped) = oneshot::channel::<()>();
        let service = GuardLayer::new(app.clone()).layer(router(app.clone()));
        let sweeper = tokio::spawn(sweep_timers(app.clone()));
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, service.into_make_service())
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("server stopped: {e}");
            }
        });
        Ok(Server {
            addr,
            app,
            stop: Some(stop),
            task: Some(task),
            sweeper,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The public base URL (`http://127.0.0.1:PORT` unless configured).
    pub fn url(&self) -> &str {
        &self.app.public_url
    }

    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// Stops accepting connections, lets requests in flight finish, then keeps
    /// delivering pending webhooks for up to `grace`. Returns how many
    /// webhooks were still undelivered.
    pub async fn shutdown(mut self, grace: Duration) -> usize {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let left = self.app.webhooks.engine.drain(grace).await;
        if left > 0 {
            for r in self
                .app
                .webhooks
                .journal
                .list(&crate::webhook::journal::Filter {
                    state: Some(crate::webhook::journal::DeliveryState::Pending),
                    ..Default::default()
                })
            {
                tracing::warn!(id = r.id, scan_ref = %r.scan_ref, event = r.event.as_str(),
                    target = r.target.as_deref().unwrap_or("-"), "webhook left undelivered at shutdown");
            }
        }
        left
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.sweeper.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `configured` without a trailing slash, or one derived from the bound address.
pub fn public_url(configured: &str, bound: SocketAddr) -> String {
    if !configured.is_empty() {
        return configured.trim_end_matches('/').to_owned();
    }
    let ip = match bound.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, bound.port()))
}

/// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn run_until_signal(config: Config) -> std::io::Result<()> {
    let grace = Duration::from_secs(config.webhooks.shutdown_grace_secs);
    let server = Server::start(config).await?;
    tracing::info!(
        "idenfy-mock {} listening on {} (public URL {})",
        env!("CARGO_PKG_VERSION"),
        server.addr(),
        server.url()
    );
    shutdown_signal().await;
    tracing::info!(
        "shutting down: finishing requests, then delivering pending webhooks for up to {} s",
        grace.as_secs()
    );
    let left = server.shutdown(grace).await;
    if left > 0 {
        tracing::warn!("{left} webhook(s) left undelivered");
    } else {
        tracing::info!("all webhooks settled; bye");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_derivation() {
        let a: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(public_url("", a), "http://127.0.0.1:8080");
        let b: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(public_url("", b), "http://[::1]:9");
        assert_eq!(public_url("https://mock.test/", a), "https://mock.test");
    }
}

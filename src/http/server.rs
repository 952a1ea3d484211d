//! The server: the router over every surface, [`Server::start`] (bind,
//! restore the state file, start the timer sweep and the accept loop) and its
//! graceful shutdown, the start-up banner, and running until a signal. The one
//! place the server is started from: `main`, the tests and embedding users all
//! go through [`Server::start`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::domain::url::HttpUrl;
use crate::http::api::{self, error::ApiError};
use crate::http::serve::{self, Limits as ServeLimits};
use crate::lifecycle::sweep_timers;
use crate::runtime::app::{App, AppState, Listening};
use crate::snapshot::Keeping;

/// The whole HTTP surface. [`Server::start`] wraps it in the
/// `guard` (panics, request log, injected faults).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(crate::http::ui::router())
        .merge(crate::http::control::router(
            state.clone(),
            openapi_routes(),
        ))
        .fallback(|uri: Uri| async move { not_found(uri.path()) })
        .method_not_allowed_fallback(
            |State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap| async move {
                method_not_allowed(&app, &method, uri.path(), &headers)
            },
        )
        .with_state(state)
}

/// The two OpenAPI documents, served under `/_mock/openapi/` behind the
/// control API's checks (admin token, same-site).
fn openapi_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_mock/openapi/idenfy.json",
            get(crate::http::openapi::idenfy),
        )
        .route(
            "/_mock/openapi/control.json",
            get(crate::http::openapi::control),
        )
}

/// Under `/_mock/` the control API's error shape, elsewhere iDenfy's envelope.
fn not_found(path: &str) -> Response {
    if crate::http::control::owns(path) {
        let shown: String = path.chars().take(200).collect();
        crate::http::control::ControlError::not_found(format!(
            "no control route '{shown}' (see /_mock/openapi/control.json)"
        ))
        .into_response()
    } else {
        let mut endpoints = api::PATHS.to_vec();
        endpoints.push("/api/v2/redirect");
        ApiError::path_not_found(path, &endpoints).into_response()
    }
}

/// Under `/_mock/` the control API's error shape; on iDenfy's Basic-auth
/// endpoints the credentials are checked first (`auth::wrong_method`);
/// elsewhere (the redirect, file URLs) a plain 405 envelope.
fn method_not_allowed(app: &App, method: &Method, path: &str, headers: &HeaderMap) -> Response {
    if crate::http::control::owns(path) {
        crate::http::control::ControlError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            format!("method {method} is not allowed on this control route"),
        )
        .into_response()
    } else if api::PATHS.contains(&path) {
        api::auth::wrong_method(app, headers, method.as_str(), path).into_response()
    } else {
        ApiError::method_not_allowed(method.as_str(), path).into_response()
    }
}

/// The composition root: the shared state with the webhook engine wired to
/// `lifecycle`, which hears how each final webhook settled. The engine gets
/// a weak handle, so the state it belongs to can still be dropped.
fn compose(config: Config, public_url: String, listening: Listening) -> AppState {
    Arc::new_cyclic(|me: &std::sync::Weak<App>| {
        let me = me.clone();
        let on_final = Arc::new(move |scan_ref: &str, delivered: bool| {
            if let Some(app) = me.upgrade() {
                crate::lifecycle::final_webhook_settled(&app, scan_ref, delivered);
            }
        });
        App::new(config, public_url, listening, on_final)
    })
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    app: AppState,
    /// Turns true to stop accepting and close connections.
    stop: watch::Sender<bool>,
    /// One permit per connection slot; a connection holds one while open.
    slots: Arc<Semaphore>,
    max_connections: usize,
    /// The accept loops: plain HTTP, and HTTPS when configured.
    tasks: Vec<JoinHandle<()>>,
    sweeper: JoinHandle<()>,
    /// The state file, when one is configured, and its periodic saves.
    state: Option<Keeping>,
    tls: Option<TlsInfo>,
}

/// Where the HTTPS listener is and the files users trust it with.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub addr: SocketAddr,
    /// The CA certificate (PEM).
    pub ca: std::path::PathBuf,
    /// The same CA as a PKCS#12 truststore for the JVM.
    pub truststore: std::path::PathBuf,
}

/// The HTTPS listener, bound, with what it presents.
struct Https {
    listener: TcpListener,
    addr: SocketAddr,
    tls: crate::http::tls::Tls,
}

impl Https {
    async fn start(at: SocketAddr, server: &crate::config::ServerConfig) -> std::io::Result<Https> {
        let listener = TcpListener::bind(at).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot listen for HTTPS on {at}: {e}; choose another address with \
                     --tls-listen or IDENFY_MOCK_TLS_LISTEN (a port under 1024 needs \
                     privileges: root, CAP_NET_BIND_SERVICE, or \
                     net.ipv4.ip_unprivileged_port_start)"
                ),
            )
        })?;
        let addr = listener.local_addr()?;
        let dir = server.tls_folder();
        let own = server.tls_cert.clone().zip(server.tls_key.clone());
        let names = server.tls_hostnames.clone();
        let tls = tokio::task::spawn_blocking(move || {
            let own = own.as_ref().map(|(c, k)| (c.as_path(), k.as_path()));
            crate::http::tls::Tls::prepare(&dir, &names, own)
        })
        .await
        .map_err(std::io::Error::other)?
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(Https {
            listener,
            addr,
            tls,
        })
    }
}

/// How a shutdown ended.
#[derive(Debug)]
pub struct Stopped {
    /// Webhooks still pending when the grace period ended (saved as pending
    /// in the state file, when there is one).
    pub undelivered: usize,
    /// Why the final save of the state file failed, if it did.
    pub save_failed: Option<String>,
}

impl Server {
    /// Binds `config.listen` (port 0 picks a free port) and serves in the
    /// background on the current Tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(&config.listen).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {}: {e}; choose another address with --listen or \
                     IDENFY_MOCK_LISTEN (port 0 picks a free one)",
                    config.listen
                ),
            )
        })?;
        let addr = listener.local_addr()?;
        let public_url = public_url(config.public_url.as_ref(), addr);
        let mut limits = ServeLimits::from(&config.server);
        let nofile = serve::nofile_limit();
        let cap = serve::connection_cap(limits.max_connections, nofile);
        if cap < limits.max_connections {
            tracing::warn!(
                "serving at most {cap} connections, not {}: the open-file limit is {} (raise `ulimit -n`)",
                limits.max_connections,
                nofile.unwrap_or_default()
            );
            limits.max_connections = cap;
        }
        // The page may wait this long for its final webhook without a byte
        // moving; the watchdog must not take that for a stuck request.
        limits.quiet = limits.quiet.max(crate::http::ui::page_wait(&config));
        let https = match config.server.tls_listen {
            None => None,
            Some(at) => Some(Https::start(at, &config.server).await?),
        };
        let mut listening = Listening {
            addrs: vec![addr],
            hosts: HttpUrl::parse(&public_url)
                .ok()
                .and_then(|u| u.host().map(|h| h.to_string().to_ascii_lowercase()))
                .into_iter()
                .collect(),
            ca_pem: None,
        };
        if let Some(https) = &https {
            listening.addrs.push(https.addr);
            listening.hosts.extend(
                crate::http::tls::NAMES.iter().map(|n| n.to_string()).chain(
                    config
                        .server
                        .tls_hostnames
                        .iter()
                        .map(|n| n.to_ascii_lowercase()),
                ),
            );
            listening.ca_pem = Some(https.tls.ca_pem.clone());
        }
        let app = compose(config, public_url, listening);
        crate::http::own::check_configured_targets(&app).await?;
        // The state file is checked and restored before the first request
        // is accepted.
        let state = Keeping::start(&app)?;
        let (stop, stopped) = watch::channel(false);
        let service = crate::http::guard::around(app.clone(), addr, router(app.clone()));
        let sweeper = tokio::spawn(sweep_timers(app.clone()));
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let mut tasks = vec![tokio::spawn(serve::accept_loop(
            listener,
            service,
            limits,
            slots.clone(),
            stopped.clone(),
            None,
        ))];
        let mut tls = None;
        if let Some(https) = https {
            let service = crate::http::guard::around(app.clone(), https.addr, router(app.clone()));
            tasks.push(tokio::spawn(serve::accept_loop(
                https.listener,
                service,
                limits,
                slots.clone(),
                stopped,
                Some(https.tls.acceptor.clone()),
            )));
            tls = Some(TlsInfo {
                addr: https.addr,
                ca: https.tls.ca_path(),
                truststore: https.tls.truststore_path(),
            });
        }
        Ok(Server {
            addr,
            app,
            stop,
            slots,
            max_connections: limits.max_connections,
            tasks,
            sweeper,
            state,
            tls,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTPS listener and its CA files, when HTTPS is served.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// The public base URL (`http://127.0.0.1:PORT` unless configured).
    pub fn url(&self) -> &str {
        self.app.public_url()
    }

    pub(crate) fn app(&self) -> &AppState {
        &self.app
    }

    /// Stops accepting connections, answers open long-polls at once, drops
    /// idle and half-sent connections, gives requests in flight a short
    /// window ([`serve::FINISH_WINDOW`]), and keeps delivering pending
    /// webhooks until `grace` after the call. Returns how many webhooks were
    /// still undelivered. Whatever clients do, it returns within about
    /// `max(grace, 1 s)`, plus the final save of the state file.
    pub async fn shutdown(mut self, grace: Duration) -> Stopped {
        let began = tokio::time::Instant::now();
        self.app.webhooks().journal().close_waiters();
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
        // Every connection gives its slot back when it ends; each ends within
        // the finish window by itself, the margin covers scheduling.
        let all = u32::try_from(self.max_connections).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(
            serve::FINISH_WINDOW + Duration::from_millis(150),
            self.slots.acquire_many(all),
        )
        .await;
        let left = self
            .app
            .webhooks()
            .drain(grace.saturating_sub(began.elapsed()))
            .await;
        if left > 0 {
            for r in self
                .app
                .webhooks()
                .journal()
                .list(&crate::runtime::webhook::journal::Filter {
                    state: Some(crate::runtime::webhook::journal::DeliveryState::Pending),
                    ..Default::default()
                })
            {
                tracing::warn!(id = r.id, scan_ref = %crate::domain::escape::escape_for_log(&r.scan_ref), event = r.event.as_str(),
                    target = r.target.as_deref().map(crate::domain::escape::escape_for_log).unwrap_or_default().as_ref(), "webhook left undelivered at shutdown");
            }
        }
        let save_failed = match self.state.take() {
            Some(keeping) => keeping.finish(&self.app).await,
            None => None,
        };
        Stopped {
            undelivered: left,
            save_failed,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.sweeper.abort();
        if let Some(keeping) = &self.state {
            keeping.abort();
        }
        let _ = self.stop.send(true);
    }
}

/// `configured` without a trailing slash, or one derived from the bound address.
pub fn public_url(configured: Option<&HttpUrl>, bound: SocketAddr) -> String {
    if let Some(configured) = configured {
        return configured.as_str().trim_end_matches('/').to_owned();
    }
    let ip = match bound.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, bound.port()))
}

/// What start-up prints below the "listening" line (and `--help` shows for
/// the defaults): where to point an app, its credentials, and where webhooks
/// go, a line each. A secret is shown only while it is the embedded default,
/// which the README publishes anyway; one the user set is never echoed.
pub fn banner(config: &Config, url: &str, tls: Option<&TlsInfo>) -> String {
    let embedded = Config::embedded();
    let default = embedded.partners.first();
    let partner = config.partners.first();
    let shown = |value: Option<&str>, default: Option<&str>, empty: &str| match value {
        None | Some("") => empty.to_owned(),
        Some(v) if Some(v) == default => v.to_owned(),
        Some(_) => "(set; not shown)".to_owned(),
    };
    let key = partner.map_or("", |p| p.api_key.as_str());
    let secret = shown(
        partner.map(|p| p.api_secret.as_str()),
        default.map(|p| p.api_secret.as_str()),
        "",
    );
    let signing = shown(
        partner.and_then(|p| p.signing_key.as_deref()),
        default.and_then(|p| p.signing_key.as_deref()),
        "none: webhooks go unsigned",
    );
    let target = partner
        .and_then(|p| p.webhook_url.as_ref())
        .or(config.webhooks.url.as_ref())
        .map_or("", |u| u.as_str());
    let webhooks = if target.is_empty() {
        "no target: journaled only, see the dashboard (set --webhook-url or \
         IDENFY_MOCK_WEBHOOK_URL, or send callbackUrl)"
            .to_owned()
    } else {
        format!("sent to {target}")
    };
    let mut out = format!(
        "  API base URL  {url}   (instead of https://ivs.idenfy.com)\n\
         \x20 API key       {key}\n\
         \x20 API secret    {secret}\n\
         \x20 signing key   {signing}\n\
         \x20 dashboard     {url}/_mock/\n\
         \x20 OpenAPI       {url}/_mock/openapi/idenfy.json, {url}/_mock/openapi/control.json\n\
         \x20 webhooks      {webhooks}\n"
    );
    if config.control.admin_token.is_some() {
        out.push_str("  control API   needs the admin token (set; not shown)\n");
    }
    if let Some(tls) = tls {
        let (ca, p12) = (tls.ca.display(), tls.truststore.display());
        let at = if config.server.drop_in {
            format!(
                "https://ivs.idenfy.com on {} (drop-in: point ivs.idenfy.com here with a hosts \
                 entry or a network alias)",
                tls.addr
            )
        } else {
            format!("https://{}", tls.addr)
        };
        out.push_str(&format!(
            "  HTTPS         {at}\n\
             \x20 CA            {ca} (also GET /_mock/ca.pem)\n\
             \x20 trust the CA  CURL_CA_BUNDLE, SSL_CERT_FILE (Python, Go, Ruby), \
             REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS = {ca}\n\
             \x20               PHP: -d curl.cainfo={ca}; Java: -Djavax.net.ssl.trustStore={p12} \
             -Djavax.net.ssl.trustStorePassword=changeit\n"
        ));
    }
    out
}

/// Runs until SIGTERM, Ctrl-C, SIGHUP or SIGQUIT, then shuts down gracefully.
pub async fn run_until_signal(config: Config) -> std::io::Result<()> {
    let grace = Duration::from_secs(config.webhooks.shutdown_grace_secs);
    // Listen for the signals before saying we are up: a supervisor may send
    // SIGTERM as soon as it sees the "listening" line.
    let signalled = shutdown_signal()?;
    let server = Server::start(config).await?;
    tracing::info!(
        "idenfy-mock {} listening on {} (public URL {})",
        env!("CARGO_PKG_VERSION"),
        server.addr(),
        server.url()
    );
    if let Some(tls) = server.tls() {
        tracing::info!("HTTPS listening on {}", tls.addr);
    }
    print!(
        "{}",
        banner(server.app().config(), server.url(), server.tls())
    );
    let exit_with_parent = server.app().config().exit_with_parent;
    tokio::select! {
        () = signalled => {}
        () = stdin_closed(), if exit_with_parent => {
            tracing::info!("standard input closed (the process that started the mock is gone)");
        }
    }
    tracing::info!(
        "shutting down: answering requests in flight, delivering pending webhooks for up to {} s",
        grace.as_secs()
    );
    let stopped = server.shutdown(grace).await;
    let left = stopped.undelivered;
    if left > 0 {
        tracing::warn!("{left} webhook(s) left undelivered");
    } else {
        tracing::info!("all webhooks settled; bye");
    }
    match stopped.save_failed {
        None => Ok(()),
        Some(why) => Err(std::io::Error::other(why)),
    }
}

/// Resolves when standard input reaches its end or fails: with
/// `IDENFY_MOCK_EXIT_WITH_PARENT=1` a test helper keeps a pipe open on it,
/// which closes when the helper's process dies, however it dies.
/// The read runs on a plain thread, not the runtime's blocking pool: the
/// runtime waits for its blocking tasks when it is dropped, so a read still
/// blocked after a SIGTERM would keep the process from exiting.
async fn stdin_closed() {
    let (done, closed) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
            let _ = done.send(());
        });
    if spawned.is_ok() {
        let _ = closed.await;
    } else {
        // No thread to watch with: never resolve (signals still stop it).
        std::future::pending::<()>().await;
    }
}

/// Resolves on SIGTERM, SIGINT (Ctrl-C), SIGHUP or SIGQUIT: each drains and
/// saves the same way (SIGHUP reloads nothing; a terminal closing or a
/// supervisor's "quit" must not end the mock without its final save). The
/// handlers are installed when this is called, not when it is first awaited.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut quit = signal(SignalKind::quit())?;
    Ok(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
            _ = hangup.recv() => "SIGHUP",
            _ = quit.recv() => "SIGQUIT",
        };
        tracing::info!("{name} received");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_shows_defaults_but_never_a_secret_the_user_set() {
        let mut config = Config::embedded();
        let text = banner(&config, "http://127.0.0.1:8080", None);
        for line in [
            "  API base URL  http://127.0.0.1:8080",
            "  API key       idenfy-mock-key\n",
            "  API secret    idenfy-mock-secret\n",
            "  signing key   idenfy-mock-signing-key\n",
            "  dashboard     http://127.0.0.1:8080/_mock/\n",
            "  OpenAPI       http://127.0.0.1:8080/_mock/openapi/idenfy.json",
            "  webhooks      no target: journaled only",
        ] {
            assert!(text.contains(line), "{line:?} in\n{text}");
        }
        config.partners[0].api_secret = "my-own-secret".into();
        config.partners[0].signing_key = Some("my-own-signing-key".into());
        config.webhooks.url = HttpUrl::parse_optional("http://127.0.0.1:3000/hook").unwrap();
        config.control.admin_token = Some("my-admin-token".into());
        let text = banner(&config, "http://127.0.0.1:8080", None);
        assert!(
            !text.contains("my-own") && !text.contains("my-admin"),
            "{text}"
        );
        assert!(
            text.contains("  API secret    (set; not shown)\n"),
            "{text}"
        );
        assert!(text.contains("  webhooks      sent to http://127.0.0.1:3000/hook\n"));
        assert!(text.contains("admin token"), "{text}");
        config.partners[0].webhook_url =
            HttpUrl::parse_optional("http://127.0.0.1:4000/own").unwrap();
        config.partners[0].signing_key = None;
        let text = banner(&config, "http://127.0.0.1:8080", None);
        assert!(text.contains("sent to http://127.0.0.1:4000/own"), "{text}");
        assert!(text.contains("none: webhooks go unsigned"), "{text}");
    }

    #[test]
    fn public_url_derivation() {
        let a: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(public_url(None, a), "http://127.0.0.1:8080");
        let b: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(public_url(None, b), "http://[::1]:9");
        let configured = HttpUrl::parse("https://mock.test/").unwrap();
        assert_eq!(public_url(Some(&configured), a), "https://mock.test");
    }
}

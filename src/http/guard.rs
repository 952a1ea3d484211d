//! The one layer around every request, wrapping the whole router once:
//!
//! - a handler that panics (a bug) still answers the 500 envelope instead of
//!   dropping the connection;
//! - one log line per request (method, path, status, latency, the partner's
//!   API key — never the secret), skipped entirely when that level is off;
//! - API faults injected through the control API, on the emulated API's
//!   routes and the built-in webhook inbox;
//! - on a loopback listener, requests for a Host that is not loopback (or
//!   the `public_url`'s host) are refused: a DNS-rebinding page cannot read
//!   or change the mock's state;
//! - a 413 answered by a body-size limit anywhere below gets the JSON error
//!   body of its surface instead of axum's plain text.
//!

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::FutureExt;

use crate::http::api::{self, error::ApiError};
use crate::http::control::ControlError;
use crate::runtime::app::AppState;
use crate::runtime::faults::FaultAction;

/// `router` with the guard around every request; `bound` is the listening
/// address: the Host check applies only when it is a loopback address.
pub fn around(app: AppState, bound: SocketAddr, router: Router) -> Router {
    let hosts = Arc::new(HostPolicy::new(
        bound,
        app.public_url(),
        &app.listening().hosts,
    ));
    router.layer(middleware::from_fn_with_state((app, hosts), guard))
}

/// Which `Host` values requests may name.
#[derive(Debug)]
pub struct HostPolicy {
    /// Only on a loopback listener; on 0.0.0.0 (a container) any name may
    /// lead to the mock.
    check: bool,
    /// The configured `public_url`'s host and the TLS names, lower case
    /// (`[::1]` style for IPv6).
    hosts: Vec<String>,
}

impl HostPolicy {
    pub fn new(bound: SocketAddr, public_url: &str, names: &[String]) -> HostPolicy {
        let public = url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        HostPolicy {
            check: bound.ip().is_loopback(),
            hosts: public
                .into_iter()
                .chain(names.iter().map(|n| n.to_ascii_lowercase()))
                .collect(),
        }
    }

    /// Whether a request naming `authority` (the Host header, or the
    /// request target's authority) is served. No Host at all (an HTTP/1.0
    /// tool) is served: browsers always send one.
    pub fn allows(&self, authority: Option<&str>) -> bool {
        let Some(authority) = authority.filter(|_| self.check) else {
            return true;
        };
        // Compared without changing case, so the check allocates nothing
        // on a path every request takes.
        let name = host_name(authority);
        let name = name.strip_suffix('.').unwrap_or(name);
        is_loopback_name(name) || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// The host part of `host[:port]` or `[v6]:port`.
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _port)| host)
}

/// `localhost` (and names under it, which browsers resolve to loopback
/// themselves), any 127.x.y.z and `[::1]`.
/// Any letter case.
fn is_loopback_name(name: &str) -> bool {
    const SUB: &str = ".localhost";
    let under_localhost = name.len() > SUB.len()
        && name.is_char_boundary(name.len() - SUB.len())
        && name[name.len() - SUB.len()..].eq_ignore_ascii_case(SUB);
    name.eq_ignore_ascii_case("localhost")
        || under_localhost
        || name == "[::1]"
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The refusal of a request for a foreign Host, in its surface's shape.
fn misdirected(control: bool) -> Response {
    const WHY: &str =
        "this Host is not served: the mock listens on a loopback address and answers only \
to localhost, 127.x.x.x, [::1] or the host of public_url (a defence against DNS rebinding); \
set public_url to the name you use, or listen on 0.0.0.0";
    if control {
        ControlError::new(StatusCode::FORBIDDEN, WHY).into_response()
    } else {
        ApiError::new(StatusCode::FORBIDDEN, "PERMISSIONS_ERROR", WHY).into_response()
    }
}

/// A 413 from a body-size limit below (axum's extractors answer plain
/// text) gets its surface's JSON error body; JSON 413s pass unchanged.
fn json_413(response: Response, control: bool) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE
        || response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
    {
        return response;
    }
    const WHY: &str = "request body is larger than this route accepts";
    if control {
        ControlError::new(StatusCode::PAYLOAD_TOO_LARGE, WHY).into_response()
    } else {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_VALUE",
            format!("{WHY}."),
        )
        .into_response()
    }
}

/// What the request log line needs, taken before the request is handed on.
struct LogLine {
    started: Instant,
    method: Method,
    path: String,
    partner: Option<String>,
}

async fn guard(
    State((app, hosts)): State<(AppState, Arc<HostPolicy>)>,
    request: Request,
    next: Next,
) -> Response {
    let log =
        tracing::enabled!(target: "idenfy_mock::request", tracing::Level::INFO).then(|| LogLine {
            started: Instant::now(),
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            partner: api::auth::api_key_for_log(request.headers()),
        });
    let control = request.uri().path().starts_with("/_mock");
    let authority = request.uri().authority().map(|a| a.as_str()).or_else(|| {
        request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
    });
    let foreign_host = !hosts.allows(authority);
    let fault = injected_fault(&app, &request);
    let response = match fault {
        _ if foreign_host => misdirected(control),
        None => guarded(|| next.run(request)).await,
        Some(FaultAction::Delay { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            guarded(|| next.run(request)).await
        }
        Some(FaultAction::Status { status }) => injected_status(status).into_response(),
        Some(_) => dropped_connection(),
    };
    let response = json_413(response, control);
    if let Some(line) = log {
        // `path` and `partner` are recorded as strings, which the formatter
        // quotes and escapes: CR/LF cannot start a new line.
        tracing::info!(
            target: "idenfy_mock::request",
            method = %line.method,
            path = line.path,
            status = response.status().as_u16(),
            latency_us = line.started.elapsed().as_micros() as u64,
            partner = line.partner.as_deref().unwrap_or("-"),
        );
    }
    response
}

/// Runs a handler; a panic, while routing or while answering, becomes the
/// 500 envelope.
async fn guarded<F>(call: impl FnOnce() -> F) -> Response
where
    F: Future<Output = Response>,
{
    let answer = match std::panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    match answer {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("a request handler panicked; answered 500 INTERNAL_ERROR");
            ApiError::internal().into_response()
        }
    }
}

/// The fault to apply to this request, if one is set for it. Faults apply
/// to the emulated API's routes and to the inbox's receiving endpoint.
fn injected_fault(app: &AppState, request: &Request) -> Option<FaultAction> {
    if !app.faults().is_active() || request.method() != Method::POST {
        return None;
    }
    let path = request.uri().path();
    let faultable = api::PATHS.contains(&path)
        || path
            .strip_prefix("/_mock/inbox/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    if !faultable {
        return None;
    }
    let partner = api::auth::api_key_for_log(request.headers());
    app.faults().take_api(path, partner.as_deref())
}

/// A body that fails before its first byte makes the server abort the
/// connection: the client sees it dropped, with no answer.
fn dropped_connection() -> Response {
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("injected fault: connection dropped"))
    })))
}

/// The envelope for an injected status, with the identifier iDenfy uses for
/// that status.
fn injected_status(status: u16) -> ApiError {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let identifier = match status {
        401 => "UNAUTHORIZED",
        402 => "PARTNER_CONTRACT_ERROR",
        403 => "PERMISSIONS_ERROR",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "BAD_VALUE",
        415 => "ENCODING_ERROR",
        429 => "TOO_MANY_REQUESTS",
        500..=599 => "INTERNAL_ERROR",
        _ => "BAD_VALUE",
    };
    ApiError::new(code, identifier, format!("Injected fault: HTTP {status}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn answer(router: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let app = crate::runtime::app::test_state();
        let response = around(app, "0.0.0.0:1".parse().unwrap(), router)
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_500_envelope() {
        let router = Router::new().route("/boom", get(|| async { panic!("boom") as &'static str }));
        let (status, json) = answer(router, "/boom").await;
        assert_eq!(status, 500);
        assert_eq!(json["identifier"], "INTERNAL_ERROR");
        assert_eq!(json.as_object().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn other_answers_pass_through() {
        let router = Router::new().route("/ok", get(|| async { "{\"ok\":true}" }));
        let (status, json) = answer(router, "/ok").await;
        assert_eq!(status, 200);
        assert_eq!(json["ok"], true);
    }

    #[test]
    fn host_names_on_a_loopback_listener() {
        let on = |bound: &str, public: &str| HostPolicy::new(bound.parse().unwrap(), public, &[]);
        let p = on("127.0.0.1:8080", "");
        for ok in [
            None,
            Some("localhost"),
            Some("LOCALHOST:8080"),
            Some("localhost.:8080"),
            Some("app.localhost:1"),
            Some("127.0.0.1:8080"),
            Some("127.1.2.3"),
            Some("[::1]:8080"),
            Some("[::1]"),
        ] {
            assert!(p.allows(ok), "{ok:?}");
        }
        for refused in [
            "evil.test",
            "evil.test:8080",
            "localhost.evil.test",
            "127.0.0.1.evil.test",
            "10.0.0.1:8080",
            "[::2]:8080",
            "",
        ] {
            assert!(!p.allows(Some(refused)), "{refused:?}");
        }
        let p = on("127.0.0.1:8080", "https://Mock.Test:9443/");
        assert!(p.allows(Some("mock.test:9443")));
        assert!(p.allows(Some("mock.test")));
        assert!(!p.allows(Some("other.test")));
        // 0.0.0.0 (a container) answers to any name.
        assert!(on("0.0.0.0:8080", "").allows(Some("evil.test")));
        assert!(on("[::]:8080", "").allows(Some("evil.test")));
        assert!(!on("[::1]:8080", "").allows(Some("evil.test")));
        // The TLS names are served too.
        let tls = HostPolicy::new(
            "127.0.0.1:443".parse().unwrap(),
            "https://ivs.idenfy.com",
            &["ui.idenfy.com".into()],
        );
        assert!(tls.allows(Some("ivs.idenfy.com")) && tls.allows(Some("UI.idenfy.com:443")));
        assert!(!tls.allows(Some("evil.test")));
    }

    #[test]
    fn a_plain_413_gets_the_json_shape() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "too big").into_response();
        let api = json_413(plain, false);
        assert_eq!(api.status(), 413);
        assert_eq!(api.headers()[header::CONTENT_TYPE], "application/json");
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "too big").into_response();
        assert_eq!(
            json_413(plain, true).headers()[header::CONTENT_TYPE],
            "application/json"
        );
        let other = (StatusCode::BAD_REQUEST, "no").into_response();
        assert_eq!(
            json_413(other, true).headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }

    #[tokio::test]
    async fn faults_apply_to_the_api_and_the_inbox_only() {
        use crate::runtime::faults::{FaultSpec, FaultTarget};
        let app = crate::runtime::app::test_state();
        app.faults()
            .add(FaultSpec {
                target: FaultTarget::Api,
                path: None,
                event: None,
                partner: None,
                times: 0,
                action: FaultAction::Status { status: 503 },
            })
            .unwrap();
        let fault = |method: Method, path: &str| {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            injected_fault(&app, &request)
        };
        for path in api::PATHS {
            assert!(fault(Method::POST, path).is_some(), "{path}");
        }
        assert!(fault(Method::POST, "/_mock/inbox/ci").is_some());
        assert!(fault(Method::GET, "/_mock/inbox/ci").is_none());
        assert!(fault(Method::POST, "/_mock/faults").is_none());
        assert!(fault(Method::POST, "/_mock/inbox/").is_none());
        assert!(fault(Method::GET, "/api/v2/redirect").is_none());
        assert!(fault(Method::POST, "/api/v2/unknown").is_none());
    }
}

//! The one layer around every request, wrapping the whole router once:
//!
//! - a handler that panics (a bug) still answers the 500 envelope instead of
//!   dropping the connection;
//! - one log line per request (method, path, status, latency, the partner's
//!   API key — never the secret), skipped entirely when that level is off;
//! - API faults injected through the control API, on the emulated API's
//!   routes and the built-in webhook inbox.
//!
//! Hand-written rather than three `from_fn` layers: with nothing to log and
//! no fault set, a request costs one atomic load and one boxed future here.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tower::{Layer, Service};

use crate::api::{self, error::ApiError};
use crate::app::AppState;
use crate::faults::FaultAction;

#[derive(Clone)]
pub struct GuardLayer {
    app: AppState,
}

impl GuardLayer {
    pub fn new(app: AppState) -> GuardLayer {
        GuardLayer { app }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            app: self.app.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    app: AppState,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// What the request log line needs, taken before the request is handed on.
struct LogLine {
    started: Instant,
    method: Method,
    path: String,
    partner: Option<String>,
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxFuture {
        let log =
            tracing::enabled!(target: "idenfy_mock::request", tracing::Level::INFO).then(|| {
                LogLine {
                    started: Instant::now(),
                    method: request.method().clone(),
                    path: request.uri().path().to_owned(),
                    partner: api::auth::api_key_for_log(request.headers()),
                }
            });
        let fault = injected_fault(&self.app, &request);
        // The router was polled ready; a clone would have to be polled again.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let response = match fault {
                None => guarded(|| inner.call(request)).await,
                Some(FaultAction::Delay { ms }) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    guarded(|| inner.call(request)).await
                }
                Some(FaultAction::Status { status }) => injected_status(status).into_response(),
                Some(_) => dropped_connection(),
            };
            if let Some(line) = log {
                tracing::info!(
                    target: "idenfy_mock::request",
                    method = %line.method,
                    path = line.path,
                    status = response.status().as_u16(),
                    latency_us = line.started.elapsed().as_micros() as u64,
                    partner = line.partner.as_deref().unwrap_or("-"),
                );
            }
            Ok(response)
        })
    }
}

/// Runs a handler; a panic, while routing or while answering, becomes the
/// 500 envelope.
async fn guarded<F>(call: impl FnOnce() -> F) -> Response
where
    F: Future<Output = Result<Response, Infallible>>,
{
    let answer = match std::panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    match answer {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::error!("a request handler panicked; answered 500 INTERNAL_ERROR");
            ApiError::internal().into_response()
        }
    }
}

/// The fault to apply to this request, if one is set for it. Faults apply
/// to the emulated API's routes and to the inbox's receiving endpoint.
fn injected_fault(app: &AppState, request: &Request) -> Option<FaultAction> {
    if !app.faults.is_active() || request.method() != Method::POST {
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
    app.faults.take_api(path, partner.as_deref())
}

/// A body that fails before its first byte makes the server abort the
/// connection: the client sees it dropped, with no answer.
fn dropped_connection() -> Response {
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("injected fault: connection dropped"))
    })))
}

/// The envelope for an injected status, with the identifier the contract
/// uses for that status.
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
    use axum::Router;
    use tower::ServiceExt;

    async fn answer(router: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let app = crate::app::test_state();
        let response = GuardLayer::new(app)
            .layer(router)
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

    #[tokio::test]
    async fn faults_apply_to_the_api_and_the_inbox_only() {
        use crate::faults::{FaultSpec, FaultTarget};
        let app = crate::app::test_state();
        app.faults
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

//! The verification journey a browser sees: `GET /api/v2/redirect` →
//! `GET /ui/?authToken=…&lang=xx` (the page; also usable in an iframe) →
//! `POST /ui/finish` → the partner's success/error/unverified URL, or the
//! mock's own `/ui/result` page when the partner set none.

mod page;

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};

use crate::domain::outcome::{IframeMessage, Outcome, UserResult};
use crate::lifecycle::{self, StepError};
use crate::runtime::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/redirect", get(redirect))
        .route("/ui/", get(show))
        .route("/ui", get(show))
        .route("/ui/finish", post(finish))
        .route("/ui/result", get(result_page))
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.as_ref().ok()?.0.get(name).map(String::as_str)
}

/// iDenfy's `redirectUrl`: on to the verification page, in the token's locale.
#[utoipa::path(get, path = "/api/v2/redirect", tag = "idenfy",
    params(("authToken" = String, Query, description = "the token's authToken")),
    responses((status = 303, description = "to /ui/?authToken=…&lang=…")))]
pub async fn redirect(State(app): State<AppState>, params: Params) -> Response {
    let token = param(&params, "authToken").unwrap_or_default();
    let locale = app
        .store()
        .scan_ref_of_token(token)
        .and_then(|s| app.store().read_any(&s, |v| v.request.locale.clone()))
        .unwrap_or_else(|| app.config().defaults.locale.clone());
    Redirect::to(&format!(
        "/ui/?authToken={}&lang={locale}",
        url_encode(token)
    ))
    .into_response()
}

/// The verification page. Opening it starts the session.
async fn show(State(app): State<AppState>, params: Params) -> Response {
    let token = param(&params, "authToken").unwrap_or_default();
    match lifecycle::open_session(&app, token) {
        Ok(v) => {
            let lang = param(&params, "lang").unwrap_or(&v.request.locale);
            let left = v.deadline() - app.clock().now_secs();
            Html(page::session(&v, lang, left, token)).into_response()
        }
        Err(e) => unusable(e),
    }
}

/// A clear 4xx page for a token that cannot be used.
fn unusable(e: StepError) -> Response {
    let (status, title, text) = match e {
        StepError::AlreadyFinished => (
            StatusCode::GONE,
            "Session already finished",
            "This verification link has already been used. Ask for a new one.",
        ),
        StepError::Expired => (
            StatusCode::GONE,
            "Session expired",
            "This verification session has expired. Ask for a new link.",
        ),
        StepError::Busy => (
            StatusCode::TOO_MANY_REQUESTS,
            "Busy",
            "Too many verifications are being processed right now. Try again in a moment.",
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "Session expired",
            "This verification link is not valid or has expired.",
        ),
    };
    (status, Html(page::notice("session-error", title, text))).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FinishForm {
    auth_token: String,
    outcome: String,
    face: Option<String>,
    document: Option<String>,
    tag: Option<String>,
}

/// The form's choice as an outcome; the message names what is wrong.
fn outcome_of(form: &FinishForm) -> Result<Outcome, String> {
    Outcome::from_parts(
        &form.outcome,
        form.face.as_deref(),
        form.document.as_deref(),
        form.tag.as_deref(),
    )
}

/// What a finished session tells the user: the embedded page's fetch and the
/// control API's finish answer with it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinishAnswer {
    pub result: UserResult,
    /// The partner's URL for the result, or the mock's result page.
    pub redirect_url: String,
    pub message: IframeMessage,
}

impl FinishAnswer {
    pub fn of(v: &crate::domain::verification::Verification) -> FinishAnswer {
        let result = UserResult::of(v);
        FinishAnswer {
            result,
            redirect_url: result.url(v).map_or_else(
                || format!("/ui/result?status={}", result.result_page_status()),
                str::to_owned,
            ),
            message: IframeMessage::of(v),
        }
    }
}

/// What the embedded page's fetch gets: the finish answer plus the message
/// to post to the parent window, in the form `[ui]` configures.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageAnswer {
    #[serde(flatten)]
    answer: FinishAnswer,
    post_message: serde_json::Value,
}

/// Finishes the session and sends the browser on — or, for the embedded page
/// (`Accept: application/json`), answers with the iframe message.
async fn finish(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<FinishForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form("the form needs authToken and outcome");
    };
    let outcome = match outcome_of(&form) {
        Ok(o) => o,
        Err(e) => return bad_form(&e),
    };
    let finished = lifecycle::finish_session(&app, &form.auth_token, outcome, false).await;
    let (v, final_webhook) = match finished {
        Ok(lifecycle::Finished::Ended(v, id)) => (v, id),
        Ok(lifecycle::Finished::Retry(v, left)) => return retry(&headers, &v, &form, left),
        Err(e) => return unusable(e),
    };
    // iDenfy sends the user to the error URL when the final webhook could not
    // be delivered, so wait until its delivery has settled (delivered, failed,
    // dropped...). The engine records a failure on the verification before it
    // settles the webhook, so the read below sees it. The bound is only a
    // safety cap; on shutdown the wait is answered at once.
    let wants_json = wants_json(&headers);
    if let Some(id) = final_webhook {
        let state = app
            .webhooks()
            .journal()
            .wait_settled(id, page_wait(app.config()))
            .await;
        if state == Some(crate::runtime::webhook::journal::DeliveryState::Pending) {
            // However late the webhook settles, the page does not guess.
            tracing::warn!(scan_ref = %crate::domain::escape::escape_for_log(&v.scan_ref), id,
                "final webhook still pending when the page stopped waiting; showing 'still processing'");
            return still_processing(wants_json);
        }
    }
    let v = app.store().read_any(&v.scan_ref, Clone::clone).unwrap_or(v);
    let answer = FinishAnswer::of(&v);
    if wants_json {
        let post_message = answer.message.posted(&app.config().ui.iframe());
        return Json(PageAnswer {
            answer,
            post_message,
        })
        .into_response();
    }
    Redirect::to(&answer.redirect_url).into_response()
}

/// Whether the embedded page's fetch asks (`Accept: application/json`).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// A failed attempt with attempts left: back to the page (which shows the
/// attempt count) for another try; the embedded page's fetch gets
/// `{"result": "retry", "attemptsLeft": n}`. No webhook was sent.
fn retry(
    headers: &HeaderMap,
    v: &crate::domain::verification::Verification,
    form: &FinishForm,
    left: u32,
) -> Response {
    if wants_json(headers) {
        return Json(serde_json::json!({
            "result": "retry",
            "attemptsLeft": left,
            "redirectUrl": null,
            "postMessage": null,
        }))
        .into_response();
    }
    Redirect::to(&format!(
        "/ui/?authToken={}&lang={}",
        url_encode(&form.auth_token),
        url_encode(&v.request.locale)
    ))
    .into_response()
}

/// What the page answers when its final webhook has not settled within its
/// wait: 202 and "still processing", never a result it would have to guess.
fn still_processing(wants_json: bool) -> Response {
    if wants_json {
        return (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"result": "processing", "redirectUrl": null, "postMessage": null})),
        )
            .into_response();
    }
    (
        StatusCode::ACCEPTED,
        Html(page::notice(
            "still-processing",
            "Still processing",
            "Your verification is being processed. You can close this page: the result \
             goes to the service that asked for it.",
        )),
    )
        .into_response()
}

/// How long the page waits for its final webhook: `ui.settle_wait_secs`,
/// else [`settle_bound`].
pub(crate) fn page_wait(config: &crate::config::Config) -> Duration {
    match config.ui.settle_wait_secs {
        0 => settle_bound(&config.webhooks),
        secs => Duration::from_secs(secs),
    }
}

/// How long the page waits at most for its final webhook to settle: twice
/// the longest one delivery can take (every attempt timing out, plus the
/// retry waits and the configured delay; twice, for time spent queued behind
/// the verification's earlier webhooks or the target's other deliveries),
/// plus ten seconds, capped at fifteen minutes for absurd settings. A settle
/// normally ends the wait long before.
pub(crate) fn settle_bound(w: &crate::config::WebhookConfig) -> Duration {
    let attempts = f64::from(w.retries) + 1.0;
    let waits_ms = w.retry_delay_ms as f64
        * (0..w.retries.min(1000))
            .map(|i| w.backoff_factor.powi(i as i32))
            .sum::<f64>();
    let one_ms = attempts * w.timeout_secs.get() as f64 * 1000.0 + waits_ms + w.delay_ms as f64;
    let cap_ms = 15.0 * 60.0 * 1000.0;
    let ms = (2.0 * one_ms + 10_000.0).min(cap_ms);
    Duration::from_millis(ms as u64)
}

fn bad_form(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page::notice("form-error", "Cannot finish the session", why)),
    )
        .into_response()
}

/// Where the user lands when the partner gave no URL for the result:
/// `status=success`, `fail` or `unverified`, as on `ui.idenfy.com/result`.
async fn result_page(params: Params) -> Response {
    let status = param(&params, "status")
        .filter(|s| matches!(*s, "success" | "fail" | "unverified"))
        .unwrap_or("unknown");
    let text = match status {
        "success" => "Your identity verification is complete.",
        "fail" => "Your identity could not be verified.",
        "unverified" => "The verification was not completed.",
        _ => "The verification session has ended.",
    };
    Html(page::notice(
        &format!("result-{status}"),
        "Verification finished",
        text,
    ))
    .into_response()
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(outcome: &str, face: Option<&str>, tag: Option<&str>) -> FinishForm {
        FinishForm {
            auth_token: "t".into(),
            outcome: outcome.into(),
            face: face.map(Into::into),
            document: None,
            tag: tag.map(Into::into),
        }
    }

    #[test]
    fn settle_bound_outlasts_every_attempt() {
        let mut w = crate::config::Config::embedded().webhooks;
        w.timeout_secs = std::num::NonZeroU64::new(2).unwrap();
        w.retries = 2;
        w.retry_delay_ms = 100;
        w.backoff_factor = 2.0;
        // 3 attempts x 2 s + 100 + 200 ms of waits = 6.3 s; twice, plus 10 s.
        assert_eq!(settle_bound(&w), Duration::from_millis(22_600));
        w.retries = u32::MAX;
        w.backoff_factor = 10.0;
        assert_eq!(settle_bound(&w), Duration::from_secs(15 * 60));
    }

    #[test]
    fn form_outcomes() {
        assert_eq!(
            outcome_of(&form("approve", None, None)),
            Ok(Outcome::Approve)
        );
        assert!(matches!(
            outcome_of(&form("deny", Some("NO_FACE_FOUND"), None)),
            Ok(Outcome::Deny { .. })
        ));
        assert!(outcome_of(&form("deny", Some("nope"), None)).is_err());
        assert!(matches!(
            outcome_of(&form("suspect", None, Some("VIRTUAL_CAMERA"))),
            Ok(Outcome::Suspect { .. })
        ));
        assert!(outcome_of(&form("explode", None, None)).is_err());
    }
}

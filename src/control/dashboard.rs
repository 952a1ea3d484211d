//! `GET /_mock/`: verifications and webhooks at a glance (status, attempts,
//! pretty body, signature valid?), refreshing itself, with finish and replay
//! buttons. HTML forms, sent by a small script with the `X-Idenfy-Mock`
//! header (a plain cross-site form post to the control API is refused).

use std::collections::HashMap;

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{finish_by_scan_ref, ControlError};
use crate::app::{App, AppState};
use crate::domain::outcome::Outcome;
use crate::ui::escape;
use crate::webhook::journal::{Filter, WebhookRecord};
use crate::webhook::sign;

/// Sends the buttons' forms with the header that marks a deliberate
/// control request, then shows the new state.
const FORM_SCRIPT: &str = "document.querySelectorAll('form').forEach(function(f){\
f.addEventListener('submit',function(e){e.preventDefault();\
fetch(f.action,{method:'POST',body:new URLSearchParams(new FormData(f)),headers:{'X-Idenfy-Mock':'1'}})\
.then(function(){location.reload();});});});";

/// Rows shown per table, newest first.
const ROWS: usize = 100;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f9;color:#1d2b3a}\
header{background:#1e5aa0;color:#fff;padding:10px 20px}header h1{margin:0;font-size:1.2rem}\
section{margin:16px 20px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 4px #0001}\
h2{font-size:1rem;margin:0 0 8px}table{border-collapse:collapse;width:100%;font-size:.85rem}\
td,th{text-align:left;padding:5px 8px;border-bottom:1px solid #e6ebf0;vertical-align:top}\
code{font-size:.8rem}.s{border-radius:4px;padding:1px 6px;color:#fff;font-size:.75rem;white-space:nowrap}\
.APPROVED,.delivered,.valid{background:#1f8a4c}.DENIED,.failed,.invalid{background:#c0392b}\
.SUSPECTED,.pending{background:#d68910}.ACTIVE{background:#2874a6}\
.EXPIRED,.undeliverable,.dropped,.missing,.DELETED{background:#6c7a89}\
form{display:inline}button{font:inherit;font-size:.75rem;padding:2px 8px;margin-right:4px}\
pre{max-height:260px;overflow:auto;background:#f7f9fb;padding:6px;font-size:.75rem}";

fn token_suffix(params: &HashMap<String, String>) -> String {
    params
        .get("token")
        .map(|t| {
            let enc: String = url::form_urlencoded::byte_serialize(t.as_bytes()).collect();
            format!("?token={enc}")
        })
        .unwrap_or_default()
}

fn badge(class: &str) -> String {
    format!("<span class=\"s {0}\">{0}</span>", escape(class))
}

fn signature_state(app: &App, r: &WebhookRecord) -> &'static str {
    let Some(sig) = r.header("Idenfy-Signature") else {
        return "missing";
    };
    let key = app
        .partners
        .by_key(&r.partner)
        .and_then(|id| app.partners.get(id).config.signing_key.clone())
        .unwrap_or_default();
    if !key.is_empty() && sign::verify(key.as_bytes(), &r.body, sig) {
        "valid"
    } else {
        "invalid"
    }
}

pub async fn page(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Html<String> {
    let suffix = token_suffix(&params);
    let mut verifications = Vec::new();
    app.store.for_each(|v| verifications.push(v.clone()));
    verifications.sort_by(|a, b| (b.created_at, &b.scan_ref).cmp(&(a.created_at, &a.scan_ref)));
    let total_verifications = verifications.len();
    let v_rows: String = verifications
        .iter()
        .take(ROWS)
        .map(|v| {
            let actions = if v.status == crate::domain::status::Overall::Active {
                let form = |outcome: &str, label: &str| {
                    format!(
                        "<form method=\"post\" action=\"/_mock/dashboard/finish/{}{suffix}\">\
<input type=\"hidden\" name=\"outcome\" value=\"{outcome}\"><button class=\"finish-{outcome}\">{label}</button></form>",
                        escape(&v.scan_ref)
                    )
                };
                format!("{}{}{}{}", form("approve", "Approve"), form("deny", "Deny"), form("suspect", "Suspect"), form("unverified", "Unverified"))
            } else {
                String::new()
            };
            format!(
                "<tr class=\"verification\" data-scan-ref=\"{sr}\"><td><code>{sr}</code></td><td>{client}</td><td>{partner}</td>\
<td>{status}</td><td>{created}</td><td>{actions}</td></tr>",
                sr = escape(&v.scan_ref),
                client = escape(&v.request.client_id),
                partner = escape(app.partners.get(v.partner).key()),
                status = badge(v.status.as_str()),
                created = v.created_at,
            )
        })
        .collect();
    let mut webhooks = app.webhooks.journal.list(&Filter::default());
    webhooks.reverse();
    let w_rows: String = webhooks
        .iter()
        .take(ROWS)
        .map(|r| {
            let last = r.attempts.last().map_or("—".to_string(), |a| {
                a.status.map_or_else(|| a.error.clone().unwrap_or_default(), |s| s.to_string())
            });
            let pretty = serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| String::from_utf8_lossy(&r.body).into_owned());
            format!(
                "<tr class=\"webhook\" data-id=\"{id}\"><td>{id}</td><td><code>{event}</code>{fin}</td><td><code>{sr}</code></td>\
<td>{state}</td><td>{n} ({last})</td><td>{sig}</td><td>{target}</td>\
<td><form method=\"post\" action=\"/_mock/dashboard/replay/{id}{suffix}\"><button class=\"replay\">Replay</button></form></td></tr>\
<tr><td></td><td colspan=\"7\"><details><summary>body</summary><pre>{body}</pre></details></td></tr>",
                id = r.id,
                event = r.event.as_str(),
                fin = if r.is_final { " final" } else { "" },
                sr = escape(&r.scan_ref),
                state = badge(r.state.as_str()),
                n = r.attempts.len(),
                last = escape(&last),
                sig = badge(signature_state(&app, r)),
                target = escape(r.target.as_deref().unwrap_or("—")),
                body = escape(&pretty),
            )
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"3\">\
<title>idenfy-mock dashboard</title><style>{STYLE}</style></head><body>\
<header><h1>idenfy-mock dashboard</h1></header>\
<section id=\"verifications\"><h2>Verifications ({total_verifications})</h2><table>\
<tr><th>scanRef</th><th>client</th><th>partner</th><th>status</th><th>created (unix)</th><th></th></tr>{v_rows}</table></section>\
<section id=\"webhooks\"><h2>Webhooks ({nw}, {dropped} dropped by the journal cap)</h2><table>\
<tr><th>#</th><th>event</th><th>scanRef</th><th>state</th><th>attempts (last)</th><th>signature</th><th>target</th><th></th></tr>{w_rows}</table></section>\
<script>{FORM_SCRIPT}</script></body></html>",
        nw = webhooks.len(),
        dropped = app.webhooks.journal.dropped(),
    ))
}

pub async fn replay(
    State(app): State<AppState>,
    p: Result<Path<u64>, PathRejection>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Ok(Path(id)) = p else {
        return ControlError::bad_request("bad webhook id").into_response();
    };
    match app.webhooks.replay(id) {
        Some(_) => Redirect::to(&format!("/_mock/{}", token_suffix(&params))).into_response(),
        None => ControlError::not_found(format!("no webhook with id {id}")).into_response(),
    }
}

#[derive(Deserialize)]
pub struct FinishForm {
    outcome: String,
}

pub async fn finish(
    State(app): State<AppState>,
    p: Result<Path<String>, PathRejection>,
    Query(params): Query<HashMap<String, String>>,
    form: Result<Form<FinishForm>, FormRejection>,
) -> Response {
    let (Ok(Path(scan_ref)), Ok(Form(form))) = (p, form) else {
        return ControlError::bad_request("the form needs an outcome").into_response();
    };
    let outcome = match Outcome::from_parts(&form.outcome, None, None, None) {
        Ok(o) => o,
        Err(e) => return ControlError::bad_request(e).into_response(),
    };
    match finish_by_scan_ref(&app, &scan_ref, outcome) {
        Ok(_) => Redirect::to(&format!("/_mock/{}", token_suffix(&params))).into_response(),
        Err(e) => e.into_response(),
    }
}

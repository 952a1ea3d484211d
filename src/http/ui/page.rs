//! Server-rendered HTML of the verification page. Works without JavaScript;
//! the only script turns the forms into a fetch + `postMessage` when the page
//! runs inside an iframe (it posts the server's `postMessage` as it comes, an
//! object or a JSON string, so the form is configured in one place).
//! Controls carry stable ids for browser tests.

use crate::domain::escape::escape_html;
use crate::domain::outcome::OutcomeKind;
use crate::domain::status::{DocumentResult, FaceResult, FraudTag, MismatchTag};
use crate::domain::verification::Verification;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#eef3f8;color:#1d2b3a;margin:0}\
main{max-width:560px;margin:24px auto;background:#fff;border-radius:10px;padding:24px 28px;box-shadow:0 2px 10px #0002}\
h1{font-size:1.35rem;margin:0 0 4px}p.sub{color:#5a6b7d;margin:0 0 18px}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0 0 20px}dt{color:#5a6b7d}dd{margin:0;font-weight:600}\
form{display:flex;gap:8px;align-items:center;flex-wrap:wrap;padding:10px 0;border-top:1px solid #e3e9ef}\
button{font:inherit;padding:7px 14px;border-radius:6px;border:0;cursor:pointer;color:#fff;min-width:120px}\
#approve{background:#1f8a4c}#deny{background:#c0392b}#suspect{background:#d68910}#unverified{background:#6c7a89}\
select{font:inherit;padding:5px}.badge{background:#1e5aa0;color:#fff;border-radius:4px;padding:1px 6px;font-size:.8rem}";

const IFRAME_SCRIPT: &str = "(function(){if(window.parent===window)return;\
document.querySelectorAll('form.finish').forEach(function(f){f.addEventListener('submit',function(e){e.preventDefault();\
fetch(f.action,{method:'POST',body:new URLSearchParams(new FormData(f)),headers:{'Accept':'application/json'}})\
.then(function(r){return r.json();}).then(function(j){if(j.result==='retry'){window.location.reload();return;}\
if(j.postMessage)window.parent.postMessage(j.postMessage,'*');\
var m=document.querySelector('main');m.innerHTML='<h1 id=\"finished\">Verification finished</h1><p id=\"result\"></p>';\
document.getElementById('result').textContent=j.result;});});});})();";

fn layout(lang: &str, title: &str, body: &str) -> String {
    let lang: String = lang
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(7)
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title>\
<style>{STYLE}</style></head><body><main>{body}</main><script>{IFRAME_SCRIPT}</script></body></html>",
        escape_html(title)
    )
}

fn options<'a>(values: impl Iterator<Item = &'a str>, selected: &str) -> String {
    values
        .map(|v| {
            let sel = if v == selected { " selected" } else { "" };
            format!("<option value=\"{v}\"{sel}>{v}</option>")
        })
        .collect()
}

fn finish_form(token: &str, outcome: OutcomeKind, controls: &str, button: &str) -> String {
    let outcome = outcome.as_str();
    format!(
        "<form class=\"finish\" method=\"post\" action=\"/ui/finish\">\
<input type=\"hidden\" name=\"authToken\" value=\"{}\"><input type=\"hidden\" name=\"outcome\" value=\"{outcome}\">\
<button type=\"submit\" id=\"{outcome}\">{button}</button>{controls}</form>",
        escape_html(token)
    )
}

/// The page of an open session.
pub fn session(v: &Verification, lang: &str, seconds_left: i64, token: &str) -> String {
    let r = &v.request;
    let name = |n: &Option<String>| escape_html(n.as_deref().unwrap_or("—"));
    let list: Vec<&str> = r.documents.iter().map(|d| d.as_str()).collect();
    let documents = format!(
        "{}: {}",
        escape_html(&r.allowed_countries().join(", ")),
        list.join(", ")
    );
    let left = seconds_left.max(0);
    let faces = options(FaceResult::ALL.iter().map(|f| f.as_str()), "FACE_MISMATCH");
    // Without a selfie (tokenType DOCUMENT) only the document can fail.
    let (face_select, denied_document) = if v.takes_selfie() {
        (
            format!(
                "<select id=\"deny-face\" name=\"face\" aria-label=\"face result\">{faces}</select>"
            ),
            "DOC_VALIDATED",
        )
    } else {
        (String::new(), "DOC_FACE_NOT_FOUND")
    };
    let docs = options(
        DocumentResult::ALL.iter().map(|d| d.as_str()),
        denied_document,
    );
    let tags = options(
        MismatchTag::ALL
            .iter()
            .map(|t| t.as_str())
            .chain(FraudTag::ALL.iter().map(|t| t.as_str())),
        "NAME",
    );
    let body = format!(
        "<h1>Identity verification <span class=\"badge\">idenfy-mock</span></h1>\
<p class=\"sub\">Choose how this session ends. The result is recorded as iDenfy's automatic one and the webhook is sent.</p>\
<dl id=\"session\" data-scan-ref=\"{scan_ref}\">\
<dt>Client</dt><dd id=\"client-id\">{client}</dd>\
<dt>First name</dt><dd id=\"first-name\">{first}</dd>\
<dt>Last name</dt><dd id=\"last-name\">{last}</dd>\
<dt>Documents</dt><dd id=\"documents\">{documents}</dd>\
<dt>Type</dt><dd id=\"token-type\">{token_type}</dd>\
<dt>Locale</dt><dd id=\"locale\">{locale}</dd>\
<dt>Time left</dt><dd id=\"time-left\" data-seconds=\"{left}\">{min} min {sec:02} s</dd>\
<dt>Attempt</dt><dd id=\"attempt\" data-attempt=\"{attempt}\" data-allowed=\"{allowed}\">{attempt} of {allowed}</dd>\
</dl>{retry}{approve}{deny}{suspect}{unverified}",
        scan_ref = escape_html(&v.scan_ref),
        client = escape_html(&r.client_id),
        first = name(&r.first_name),
        last = name(&r.last_name),
        token_type = r.token_type.as_str(),
        locale = escape_html(lang),
        min = left / 60,
        sec = left % 60,
        attempt = v.attempts_failed + 1,
        allowed = v.attempts_allowed,
        retry = if v.attempts_failed > 0 {
            "<p id=\"retry\" class=\"notice\">The last attempt failed: try again. \
No webhook is sent until the session ends.</p>"
        } else {
            ""
        },
        approve = finish_form(token, OutcomeKind::Approve, "", "Approve"),
        deny = finish_form(
            token,
            OutcomeKind::Deny,
            &format!(
                "{face_select}\
<select id=\"deny-document\" name=\"document\" aria-label=\"document result\">{docs}</select>"
            ),
            "Deny"
        ),
        suspect = finish_form(
            token,
            OutcomeKind::Suspect,
            &format!("<select id=\"suspect-tag\" name=\"tag\" aria-label=\"tag\">{tags}</select>"),
            "Suspect"
        ),
        unverified = finish_form(token, OutcomeKind::Unverified, "", "Leave unverified"),
    );
    layout(lang, "Identity verification", &body)
}

/// A short page with a heading and a sentence; `id` marks it for tests.
pub fn notice(id: &str, title: &str, text: &str) -> String {
    layout(
        "en",
        title,
        &format!(
            "<h1 id=\"{}\">{}</h1><p>{}</p>",
            escape_html(id),
            escape_html(title),
            escape_html(text)
        ),
    )
}

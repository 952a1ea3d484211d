//! What the types alone cannot check, one function per section; each message
//! names the key (and where it was set) and never shows a secret.

use super::{
    Config, ConfigError, ControlConfig, DummyConfig, PartnerConfig, ServerConfig, StoreConfig,
    SubscriptionConfig, WebhookConfig, MAX_EXTRA_HEADERS, MAX_HEADER_NAME, MAX_HEADER_VALUE,
    MAX_MEMORY_BUDGET_MIB, MAX_SUBSCRIPTIONS, MAX_VERIFICATIONS, RESERVED_HEADERS,
};
use crate::domain::status::{DummyStatus, EventType};
use crate::domain::token::{TokenDefaults, LOCALES};
use crate::domain::Environment;

/// Builds the error for a key: `err(key, problem)`.
type Err<'a> = &'a dyn Fn(&str, String) -> ConfigError;

impl Config {
    /// Checks what the types alone cannot; `source` names the layers in messages.
    pub fn validate(&self, source: &str) -> Result<(), ConfigError> {
        self.validate_naming(&|key| format!("{source}: key '{key}'"))
    }

    /// [`Config::validate`], with `name(key)` saying where a bad key was set.
    pub(super) fn validate_naming(&self, name: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let err = |key: &str, problem: String| ConfigError(format!("{}: {problem}", name(key)));
        top_level(self, &err)?;
        server(&self.server, &err)?;
        control(&self.control, &err)?;
        defaults(&self.defaults, &err)?;
        store(&self.store, &err)?;
        webhooks(&self.webhooks, &err)?;
        dummy(&self.dummy, &err)?;
        partners(&self.partners, &err)
    }
}

/// The top-level keys the types leave open: the state file's rhythm, the body limit.
fn top_level(c: &Config, err: Err<'_>) -> Result<(), ConfigError> {
    if !(1..=86_400).contains(&c.state.save_every_secs) {
        return Err(err(
            "state.save_every_secs",
            "must be 1 to 86400 seconds".into(),
        ));
    }
    if c.body_limit_bytes < 1024 {
        return Err(err("body_limit_bytes", "must be at least 1024".into()));
    }
    // The page's wait also stretches its connection's idle allowance: as
    // long as the derived bound's cap, no longer.
    if c.ui.settle_wait_secs > 900 {
        return Err(err(
            "ui.settle_wait_secs",
            "must be 0 (derived from the webhook settings) to 900".into(),
        ));
    }
    Ok(())
}

/// `[control]`: the fault registry's and inbox reads' bounds.
fn control(c: &ControlConfig, err: Err<'_>) -> Result<(), ConfigError> {
    if !(1..=100_000).contains(&c.max_faults) {
        return Err(err("control.max_faults", "must be 1 to 100000".into()));
    }
    if !(1024..=16 << 20).contains(&c.inbox_read_message_bytes) {
        return Err(err(
            "control.inbox_read_message_bytes",
            "must be 1024 to 16777216".into(),
        ));
    }
    if !(c.inbox_read_message_bytes..=64 << 20).contains(&c.inbox_read_bytes) {
        return Err(err(
            "control.inbox_read_bytes",
            "must be at least control.inbox_read_message_bytes and at most 67108864".into(),
        ));
    }
    Ok(())
}

/// `[server]`: connection bounds and timeouts; the TLS names and files.
fn server(s: &ServerConfig, err: Err<'_>) -> Result<(), ConfigError> {
    if s.tls_cert.is_some() != s.tls_key.is_some() {
        return Err(err(
            "server.tls_cert",
            "tls_cert and tls_key go together: set both or neither".into(),
        ));
    }
    if let Some(bad) = s.tls_hostnames.iter().find(|n| {
        n.is_empty()
            || n.len() > 253
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'*'))
    }) {
        return Err(err(
            "server.tls_hostnames",
            format!("'{}' is not a host name or IP address", bad.escape_debug()),
        ));
    }
    if !(1..=3600).contains(&s.header_read_timeout_secs) {
        return Err(err(
            "server.header_read_timeout_secs",
            "must be 1 to 3600".into(),
        ));
    }
    if !(1..=86_400).contains(&s.idle_timeout_secs) {
        return Err(err("server.idle_timeout_secs", "must be 1 to 86400".into()));
    }
    if !(1..=1_000_000).contains(&s.max_connections) {
        return Err(err("server.max_connections", "must be 1 to 1000000".into()));
    }
    if !(1..=4096).contains(&s.snapshot_limit_mib) {
        return Err(err("server.snapshot_limit_mib", "must be 1 to 4096".into()));
    }
    Ok(())
}

/// `[defaults]`: what a token request leaves out.
fn defaults(d: &TokenDefaults, err: Err<'_>) -> Result<(), ConfigError> {
    if d.expiry_time > crate::domain::token::MAX_EXPIRY_TIME {
        return Err(err(
            "defaults.expiry_time",
            "must be 0..=2592000 seconds".into(),
        ));
    }
    if !(60..=3600).contains(&d.session_length) {
        return Err(err(
            "defaults.session_length",
            "must be 60..=3600 seconds".into(),
        ));
    }
    if !LOCALES.contains(&d.locale.as_str()) {
        return Err(err(
            "defaults.locale",
            format!("must be one of: {}", LOCALES.join(" ")),
        ));
    }
    if !(1..=2_592_000).contains(&d.file_url_ttl_secs) {
        return Err(err(
            "defaults.file_url_ttl_secs",
            "must be 1..=2592000 seconds".into(),
        ));
    }
    if !(1..=10).contains(&d.max_attempts) {
        return Err(err("defaults.max_attempts", "must be 1..=10".into()));
    }
    if d.documents.is_empty() {
        return Err(err(
            "defaults.documents",
            "must list at least one document type".into(),
        ));
    }
    Ok(())
}

/// `[store]`: the verification store's bounds.
fn store(store: &StoreConfig, err: Err<'_>) -> Result<(), ConfigError> {
    if !(1..=MAX_VERIFICATIONS).contains(&store.max_verifications) {
        return Err(err(
            "store.max_verifications",
            format!("must be 1 to {}", MAX_VERIFICATIONS),
        ));
    }
    if !(1..=MAX_MEMORY_BUDGET_MIB).contains(&store.memory_budget_mib) {
        return Err(err(
            "store.memory_budget_mib",
            format!("must be 1 to {MAX_MEMORY_BUDGET_MIB}"),
        ));
    }
    if store.retention_secs > 10 * 365 * 86_400 {
        return Err(err(
            "store.retention_secs",
            "must be at most ten years".into(),
        ));
    }
    Ok(())
}

/// `[webhooks]`: the retry rhythm and how the queue and the journal bound
/// each other (the types keep the URL an http(s) URL and the counts positive).
fn webhooks(w: &WebhookConfig, err: Err<'_>) -> Result<(), ConfigError> {
    if !(w.backoff_factor.is_finite() && (1.0..=10.0).contains(&w.backoff_factor)) {
        return Err(err(
            "webhooks.backoff_factor",
            "must be between 1.0 and 10.0".into(),
        ));
    }
    // The journal never drops a pending entry, so its cap bounds memory
    // only when no more can be pending than it holds.
    if w.enqueue_wait_ms > 60_000 {
        return Err(err("webhooks.enqueue_wait_ms", "must be 0 to 60000".into()));
    }
    if w.max_pending > w.journal_capacity {
        return Err(err(
            "webhooks.max_pending",
            format!(
                "must be at most webhooks.journal_capacity ({})",
                w.journal_capacity
            ),
        ));
    }
    Ok(())
}

/// `[dummy.results]`: each canned result gives its own status.
fn dummy(dummy: &DummyConfig, err: Err<'_>) -> Result<(), ConfigError> {
    for (status, canned) in &dummy.results {
        let key = format!("dummy.results.{}", status.as_str());
        let Some(expected) = status.finished_overall() else {
            return Err(err(
                &key,
                "only APPROVED, DENIED and SUSPECTED have canned results".into(),
            ));
        };
        let got = crate::domain::status::overall_of(
            Some(canned.auto_face),
            Some(canned.auto_document),
            !canned.fraud_tags.is_empty() || !canned.mismatch_tags.is_empty(),
        );
        if got != expected {
            return Err(err(
                &key,
                format!(
                    "these results give overall {} by the overall-status rule, not {}",
                    got.as_str(),
                    expected.as_str()
                ),
            ));
        }
    }
    for needed in [
        DummyStatus::Approved,
        DummyStatus::Denied,
        DummyStatus::Suspected,
    ] {
        if !dummy.results.contains_key(&needed) {
            return Err(err(
                &format!("dummy.results.{}", needed.as_str()),
                "is missing".into(),
            ));
        }
    }
    Ok(())
}

/// `[[partners]]`: credentials, URLs, limits and subscriptions.
fn partners(partners: &[PartnerConfig], err: Err<'_>) -> Result<(), ConfigError> {
    if partners.is_empty() {
        return Err(err(
            "partners",
            "at least one [[partners]] entry is needed".into(),
        ));
    }
    let mut keys = std::collections::HashSet::new();
    for (i, p) in partners.iter().enumerate() {
        let key = |field: &str| format!("partners[{i}].{field}");
        if p.api_key.is_empty() || p.api_key.contains(':') {
            return Err(err(
                &key("api_key"),
                "must be non-empty and contain no ':'".into(),
            ));
        }
        if p.api_secret.is_empty() {
            return Err(err(&key("api_secret"), "must be non-empty".into()));
        }
        if !keys.insert(p.api_key.as_str()) {
            return Err(err(
                &key("api_key"),
                format!("'{}' is used by two partners", p.api_key),
            ));
        }
        if p.rate_limit_per_hour == Some(0) {
            return Err(err(
                &key("rate_limit_per_hour"),
                "must be at least 1 (omit it for no limit)".into(),
            ));
        }
        if p.max_attempts.is_some_and(|n| !(1..=10).contains(&n)) {
            return Err(err(
                &key("max_attempts"),
                "must be 1..=10 (omit it for defaults.max_attempts)".into(),
            ));
        }
        if p.aml_screening && p.environment != Environment::Dev {
            return Err(err(
                &key("aml_screening"),
                "screens against iDenfy's DEV dummy entities, so it is for DEV partners only \
                 (this one is not environment = \"DEV\")"
                    .into(),
            ));
        }
        validate_subscriptions(&p.subscriptions, i, &err)?;
    }
    Ok(())
}

/// Checks a partner's (`partners[i]`) subscriptions. Messages name the key
/// and never show a signing key or a header value.
fn validate_subscriptions(
    subs: &[SubscriptionConfig],
    i: usize,
    err: Err<'_>,
) -> Result<(), ConfigError> {
    if subs.len() > MAX_SUBSCRIPTIONS {
        return Err(err(
            &format!("partners[{i}].subscriptions"),
            format!("at most {MAX_SUBSCRIPTIONS} subscriptions"),
        ));
    }
    for (j, s) in subs.iter().enumerate() {
        let key = |field: &str| format!("partners[{i}].subscriptions[{j}].{field}");
        if s.events.is_empty() {
            return Err(err(
                &key("events"),
                format!("must list at least one of: {}", EventType::list()),
            ));
        }
        if s.headers.len() > MAX_EXTRA_HEADERS {
            return Err(err(
                &key("headers"),
                format!("at most {MAX_EXTRA_HEADERS} headers"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (name, value) in &s.headers {
            let shown = crate::domain::escape::escape_for_log(name);
            let lower = name.to_ascii_lowercase();
            if name.len() > MAX_HEADER_NAME
                || axum::http::HeaderName::from_bytes(name.as_bytes()).is_err()
            {
                return Err(err(
                    &key("headers"),
                    format!(
                        "'{shown}' is not a header name (letters, digits and !#$%&'*+-.^_`|~, \
                         at most {MAX_HEADER_NAME} bytes)"
                    ),
                ));
            }
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(err(
                    &key("headers"),
                    format!("'{shown}' is set by the mock itself and cannot be overridden"),
                ));
            }
            if !seen.insert(lower) {
                return Err(err(
                    &key("headers"),
                    format!("'{shown}' is given twice (header names ignore case)"),
                ));
            }
            // The value may be a secret: the message names the header only.
            if value.len() > MAX_HEADER_VALUE || axum::http::HeaderValue::from_str(value).is_err() {
                return Err(err(
                    &key("headers"),
                    format!(
                        "the value of '{shown}' is not a valid header value (visible ASCII, \
                         spaces and tabs, no line breaks, at most {MAX_HEADER_VALUE} bytes)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

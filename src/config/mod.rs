//! Layered configuration: the embedded `config.toml` → `--config PATH` →
//! environment (`IDENFY_MOCK_*`) → command-line flags.
//!
//! Loading never panics: every problem becomes a [`ConfigError`] whose message
//! names where the bad value came from, the key and what is wrong with it, so
//! `main` can print it and exit non-zero.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::num::{NonZeroU64, NonZeroUsize};

use crate::domain::outcome::{IframeCase, IframeMessageForm, IframeSettings};
use crate::domain::status::{DummyStatus, EventType};
use crate::domain::token::TokenDefaults;
use crate::domain::url::HttpUrl;
use crate::domain::verification::AutoResult;
use crate::domain::Environment;

mod load;
mod types;
mod validate;

pub use load::Overrides;

/// The repository's `config.toml`, compiled in so the binary needs no file.
pub const EMBEDDED: &str = include_str!("../../config.toml");

/// Environment variables read on top of the file layers.
pub const ENV_LISTEN: &str = "IDENFY_MOCK_LISTEN";
pub const ENV_PUBLIC_URL: &str = "IDENFY_MOCK_PUBLIC_URL";
pub const ENV_WEBHOOK_URL: &str = "IDENFY_MOCK_WEBHOOK_URL";
pub const ENV_API_KEY: &str = "IDENFY_MOCK_API_KEY";
pub const ENV_API_SECRET: &str = "IDENFY_MOCK_API_SECRET";
pub const ENV_SIGNING_KEY: &str = "IDENFY_MOCK_SIGNING_KEY";
pub const ENV_STATE_FILE: &str = "IDENFY_MOCK_STATE_FILE";
pub const ENV_SEED: &str = "IDENFY_MOCK_SEED";
pub const ENV_ADMIN_TOKEN: &str = "IDENFY_MOCK_ADMIN_TOKEN";
pub const ENV_TLS_LISTEN: &str = "IDENFY_MOCK_TLS_LISTEN";
pub const ENV_TLS_DIR: &str = "IDENFY_MOCK_TLS_DIR";
pub const ENV_DROP_IN: &str = "IDENFY_MOCK_DROP_IN";
/// Set to `1` by a test helper that started the mock: the mock then shuts
/// down when its standard input closes (the helper's process died).
pub const ENV_EXIT_WITH_PARENT: &str = "IDENFY_MOCK_EXIT_WITH_PARENT";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(deserialize_with = "types::listen")]
    pub listen: SocketAddr,
    /// Empty in TOML: derived from the bound address.
    #[serde(default, deserialize_with = "types::optional")]
    pub public_url: Option<HttpUrl>,
    /// Reproducible ids when set.
    #[serde(default)]
    pub seed: Option<u64>,
    pub body_limit_bytes: usize,
    pub defaults: TokenDefaults,
    pub control: ControlConfig,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub webhooks: WebhookConfig,
    pub dummy: DummyConfig,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub state: StateConfig,
    pub partners: Vec<PartnerConfig>,
    /// Shut down when standard input closes (`IDENFY_MOCK_EXIT_WITH_PARENT=1`;
    /// not a file setting).
    #[serde(skip)]
    pub exit_with_parent: bool,
}

/// The verification page (`[ui]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub iframe_message: IframeMessageForm,
    pub iframe_case: IframeCase,
    /// How long the page waits for its final webhook to settle; 0: derived
    /// from the webhook settings.
    pub settle_wait_secs: u64,
}

impl UiConfig {
    /// The iframe message's form and case.
    pub fn iframe(&self) -> IframeSettings {
        IframeSettings {
            iframe_message: self.iframe_message,
            iframe_case: self.iframe_case,
        }
    }
}

/// Keeping state across restarts (see `crate::snapshot`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// The state file; none (empty in TOML): state lives only in memory.
    #[serde(deserialize_with = "types::optional")]
    pub file: Option<std::path::PathBuf>,
    /// Seconds between saves while running (the file is saved on shutdown too).
    pub save_every_secs: u64,
}

impl Default for StateConfig {
    fn default() -> StateConfig {
        StateConfig {
            file: None,
            save_every_secs: 10,
        }
    }
}

/// A sane upper bound for `store.max_verifications`.
pub const MAX_VERIFICATIONS: usize = 10_000_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    /// Bearer token the control API requires; none (empty in TOML): the
    /// control API is open.
    #[serde(default, deserialize_with = "types::optional")]
    pub admin_token: Option<String>,
    /// Injected faults registered at most.
    pub max_faults: usize,
    /// An inbox read shows a message's body up to this many bytes.
    pub inbox_read_message_bytes: usize,
    /// One inbox read answers with at most this many bytes of messages.
    pub inbox_read_bytes: usize,
}

/// Connections and request sizes (see `serve`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// A connection must deliver a whole request head within this many
    /// seconds of its first byte (or of being accepted), or it is closed.
    pub header_read_timeout_secs: u64,
    /// A connection with no request in flight and no bytes moving for this
    /// many seconds is closed.
    pub idle_timeout_secs: u64,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Largest accepted `POST /_mock/snapshot` body, in MiB.
    pub snapshot_limit_mib: usize,
    /// The HTTPS listener's address; none: plain HTTP only.
    #[serde(default, deserialize_with = "types::optional")]
    pub tls_listen: Option<SocketAddr>,
    /// Where the local CA and the server certificate are kept; none: the
    /// per-user default ([`ServerConfig::tls_folder`]).
    #[serde(default, deserialize_with = "types::optional")]
    pub tls_dir: Option<std::path::PathBuf>,
    /// Host names the server certificate covers beyond the built-in ones.
    #[serde(default)]
    pub tls_hostnames: Vec<String>,
    /// A certificate chain and key of the user's own to present (PEM).
    #[serde(default, deserialize_with = "types::optional")]
    pub tls_cert: Option<std::path::PathBuf>,
    #[serde(default, deserialize_with = "types::optional")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Answer as `https://ivs.idenfy.com` (see [`Config::apply_drop_in`]).
    #[serde(default)]
    pub drop_in: bool,
}

/// The public URL the drop-in answers as.
pub const IDENFY_URL: &str = "https://ivs.idenfy.com";

impl ServerConfig {
    /// The TLS folder: `tls_dir`, else `$XDG_DATA_HOME/idenfy-mock/tls`,
    /// else `~/.local/share/idenfy-mock/tls`, else `idenfy-mock-tls` here.
    pub fn tls_folder(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.tls_dir {
            return dir.clone();
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| std::path::PathBuf::from(h).join(".local/share"))
            });
        match data {
            Some(data) => data.join("idenfy-mock").join("tls"),
            None => std::path::PathBuf::from("idenfy-mock-tls"),
        }
    }
}

impl Config {
    /// With `server.drop_in`: HTTPS on port 443 of the listen address
    /// unless `tls_listen` is set, and `public_url` `https://ivs.idenfy.com`
    /// unless set. Called by the loaders after the layers are merged.
    pub fn apply_drop_in(&mut self) {
        if !self.server.drop_in {
            return;
        }
        let ip = self.listen.ip();
        self.server
            .tls_listen
            .get_or_insert(SocketAddr::new(ip, 443));
        if self.public_url.is_none() {
            self.public_url = HttpUrl::parse(IDENFY_URL).ok();
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Seconds a finished verification is kept after its result.
    pub retention_secs: u64,
    /// Verifications kept at most; over it, the oldest settled one goes
    /// first (the oldest active one only when none is settled).
    pub max_verifications: usize,
    /// Approximate memory for stored verifications plus the webhook
    /// journal, half each; over it, the oldest settled data goes first.
    pub memory_budget_mib: usize,
}

/// The largest `store.memory_budget_mib` (64 GiB).
pub const MAX_MEMORY_BUDGET_MIB: usize = 65_536;

impl StoreConfig {
    /// The memory budget in bytes.
    pub fn memory_budget_bytes(&self) -> usize {
        self.memory_budget_mib.saturating_mul(1024 * 1024)
    }

    /// The stored verifications' half of the budget.
    pub fn store_budget_bytes(&self) -> usize {
        self.memory_budget_bytes() / 2
    }

    /// The webhook journal's half of the budget.
    pub fn journal_budget_bytes(&self) -> usize {
        self.memory_budget_bytes() - self.store_budget_bytes()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Empty in TOML: none (webhooks without a target are journaled only).
    #[serde(default, deserialize_with = "types::optional")]
    pub url: Option<HttpUrl>,
    pub timeout_secs: NonZeroU64,
    pub retries: u32,
    pub retry_delay_ms: u64,
    pub backoff_factor: f64,
    pub max_in_flight: NonZeroUsize,
    /// Deliveries running at once to one target (scheme, host and port).
    pub max_in_flight_per_target: NonZeroUsize,
    /// Webhooks queued or being attempted, in total and per target: a
    /// request whose webhook finds either full waits for room up to
    /// `enqueue_wait_ms`, then is answered 429 with nothing created.
    pub max_pending: NonZeroUsize,
    pub max_pending_per_target: NonZeroUsize,
    /// How long a request waits for room in the queue before it is refused.
    pub enqueue_wait_ms: u64,
    /// A receiver's answer is read up to this many bytes, then dropped.
    pub max_response_bytes: usize,
    /// Open webhook waits (long-polls, `wait_for`); more are refused.
    pub max_waiters: NonZeroUsize,
    pub delay_ms: u64,
    pub journal_capacity: NonZeroUsize,
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DummyConfig {
    pub simulate_manual_review: bool,
    pub results: BTreeMap<DummyStatus, AutoResult>,
}

/// A key left out of a `[[partners]]` entry takes its value from
/// [`PartnerConfig::default`], the one place partner defaults are written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartnerConfig {
    pub api_key: String,
    pub api_secret: String,
    pub environment: Environment,
    pub active: bool,
    pub funds: bool,
    /// `None`: unlimited.
    pub credits: Option<u64>,
    /// Empty in TOML: the global `[webhooks].url`.
    #[serde(deserialize_with = "types::optional")]
    pub webhook_url: Option<HttpUrl>,
    /// `None` or empty: webhooks go unsigned.
    pub signing_key: Option<String>,
    pub allow_callback_url: bool,
    /// `None`: no rate limit.
    pub rate_limit_per_hour: Option<u64>,
    /// Whether APPROVED automatic results wait for a manual review when a
    /// token does not send `reviewSuccessful`. `None`: the opposite of
    /// `dummy.simulate_manual_review`.
    pub review_successful: Option<bool>,
    /// The same for DENIED and SUSPECTED results (`reviewFailed`).
    pub review_failed: Option<bool>,
    /// Attempts a verification session gives the user; `None`:
    /// `defaults.max_attempts`.
    pub max_attempts: Option<u32>,
    /// AML screening against iDenfy's DEV dummy entities (`Manfred Weber`,
    /// `GoPayments`, `Cliff Hazard`): the result carries the `AML` and
    /// `amlCheck` blocks, and a match makes it SUSPECTED. DEV partners only;
    /// a token's `checkAml: false` turns it off for that session.
    pub aml_screening: bool,
    /// Webhook subscriptions per event; empty: every webhook
    /// goes to the one target, as without subscriptions.
    pub subscriptions: Vec<SubscriptionConfig>,
}

impl Default for PartnerConfig {
    /// An active, funded DEV partner with unlimited credits, allowed to set
    /// `callbackUrl`, sending unsigned webhooks to the global URL, with no
    /// rate limit. Its empty credentials fail validation: a partner must
    /// name both.
    fn default() -> PartnerConfig {
        PartnerConfig {
            api_key: String::new(),
            api_secret: String::new(),
            environment: Environment::Dev,
            active: true,
            funds: true,
            credits: None,
            webhook_url: None,
            signing_key: None,
            allow_callback_url: true,
            rate_limit_per_hour: None,
            review_successful: None,
            review_failed: None,
            max_attempts: None,
            aml_screening: false,
            subscriptions: Vec::new(),
        }
    }
}

/// One webhook subscription of a partner: which events go where, signed
/// with which key, with which extra headers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// Event types it receives; `IDENTIFICATION` (the legacy all-in-one)
    /// receives every result event.
    pub events: Vec<EventType>,
    /// Where they go; empty: the partner's `webhook_url`, else the global one.
    /// A token's `callbackUrl` overrides it.
    #[serde(default, deserialize_with = "types::optional")]
    pub url: Option<HttpUrl>,
    /// `None`: the partner's `signing_key`; empty: unsigned.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// Extra headers sent with each webhook (name → value).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Subscriptions a partner may list at most.
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// Extra headers one subscription may set at most.
pub const MAX_EXTRA_HEADERS: usize = 32;
/// Longest extra header name and value, in bytes.
pub const MAX_HEADER_NAME: usize = 256;
pub const MAX_HEADER_VALUE: usize = 4096;
/// Headers the mock sets itself, or the HTTP client manages; a subscription
/// may not set them.
pub const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "host",
    "idenfy-signature",
    "idenfy-event-type",
];

/// A configuration that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_test_settings_are_the_embedded_ones() {
        use crate::domain::testing;
        let c = Config::embedded();
        let same = |a: &AutoResult, b: &AutoResult| {
            serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
        };
        assert!(same(
            &c.dummy.results[&DummyStatus::Approved],
            &testing::approved()
        ));
        assert!(same(
            &c.dummy.results[&DummyStatus::Denied],
            &testing::denied()
        ));
        assert!(same(
            &c.dummy.results[&DummyStatus::Suspected],
            &testing::suspected()
        ));
        assert_eq!(
            serde_json::to_value(&c.defaults).unwrap(),
            serde_json::to_value(testing::defaults()).unwrap()
        );
    }

    #[test]
    fn every_canned_result_reaches_its_status() {
        use crate::domain::verification::{ReviewPolicy, Verification};
        let c = Config::embedded();
        // Also without a selfie: the document alone then decides.
        for token_type in ["IDENTIFICATION", "DOCUMENT"] {
            for (status, canned) in &c.dummy.results {
                let body = serde_json::json!({"clientId": "c", "tokenType": token_type});
                let req = crate::domain::token::TokenRequest::parse(
                    &crate::domain::fields::object_of(&body),
                    &c.defaults,
                )
                .unwrap();
                let mut v =
                    Verification::new("s".into(), "t".into(), 0, req, None, "k".into(), 1000);
                assert!(v.finish_automatically(canned, ReviewPolicy::default(), 1001));
                assert_eq!(Some(v.status), status.finished_overall(), "{token_type}");
            }
        }
    }

    #[test]
    fn aml_screening_is_off_by_default_and_for_dev_partners_only() {
        let c = Config::embedded();
        assert!(c.partners.iter().all(|p| !p.aml_screening));
        let on = "[[partners]]\napi_key='a'\napi_secret='b'\naml_screening = true\n";
        assert!(Config::from_toml(on, "f").unwrap().partners[0].aml_screening);
        for env in ["TEST", "PROD", "DEMO"] {
            let e = Config::from_toml(&format!("{on}environment = '{env}'"), "f.toml").unwrap_err();
            assert!(
                e.0.contains("'partners[0].aml_screening'") && e.0.contains("DEV"),
                "{e}"
            );
        }
        let e = Config::from_toml(
            "[[partners]]\napi_key='a'\napi_secret='b'\naml_screening = 'yes'",
            "f",
        )
        .unwrap_err();
        assert!(e.0.contains("aml_screening"), "{e}");
    }

    #[test]
    fn the_pages_settle_wait_is_bounded() {
        assert!(Config::from_toml("[ui]\nsettle_wait_secs = 900", "f").is_ok());
        let e = Config::from_toml("[ui]\nsettle_wait_secs = 901", "f").unwrap_err();
        assert!(
            e.0.contains("'ui.settle_wait_secs'") && e.0.contains("900"),
            "{e}"
        );
    }

    #[test]
    fn embedded_config_is_valid() {
        let c = Config::embedded();
        assert_eq!(c.partners[0].environment, Environment::Dev);
        assert!(c.partners[0].active && c.partners[0].funds);
        assert_eq!(c.webhooks.retries, 3);
    }

    #[test]
    fn file_layer_replaces_partners_and_keeps_other_defaults() {
        let c = Config::from_toml(
            "[[partners]]\napi_key='a'\napi_secret='b'\nenvironment='PROD'\n",
            "test",
        )
        .unwrap();
        assert_eq!(c.partners.len(), 1);
        assert_eq!(c.partners[0].environment, Environment::Prod);
        assert_eq!(c.defaults.expiry_time, 3600);
    }

    #[test]
    fn env_overrides_default_partner_and_flags_win_over_env() {
        let env = vec![
            (ENV_API_KEY.to_string(), "k2".to_string()),
            (ENV_API_SECRET.to_string(), "s2".to_string()),
            (ENV_SIGNING_KEY.to_string(), "sig2".to_string()),
            (ENV_LISTEN.to_string(), "0.0.0.0:9000".to_string()),
        ];
        let flags = Overrides {
            listen: Some("127.0.0.1:0".into()),
            ..Default::default()
        };
        let c = Config::load_with_env(None, &env, &flags).unwrap();
        assert_eq!(c.partners[0].api_key, "k2");
        assert_eq!(c.partners[0].api_secret, "s2");
        assert_eq!(c.partners[0].signing_key.as_deref(), Some("sig2"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:0");
    }

    #[test]
    fn a_bad_value_from_a_flag_or_variable_names_it() {
        let flags = Overrides {
            listen: Some("8080".into()),
            ..Default::default()
        };
        let e = Config::load_with_env(None, &[], &flags).unwrap_err();
        assert_eq!(
            e.0,
            "--listen: '8080' is not an address such as 127.0.0.1:8080 \
             (for port 8080: 127.0.0.1:8080, or 0.0.0.0:8080 in a container)"
        );
        let env = |name: &str, v: &str| vec![(name.to_string(), v.to_string())];
        let e =
            Config::load_with_env(None, &env(ENV_API_KEY, ""), &Overrides::default()).unwrap_err();
        assert_eq!(
            e.0,
            "environment variable IDENFY_MOCK_API_KEY: must be non-empty and contain no ':'"
        );
        let e =
            Config::load_with_env(None, &env(ENV_LISTEN, "x"), &Overrides::default()).unwrap_err();
        assert!(
            e.0.starts_with("environment variable IDENFY_MOCK_LISTEN: 'x'"),
            "{e}"
        );
        // The flag wins over the variable, and so does the blame.
        let e = Config::load_with_env(None, &env(ENV_LISTEN, "127.0.0.1:1"), &flags).unwrap_err();
        assert!(e.0.starts_with("--listen:"), "{e}");
        let e =
            Config::load_with_env(None, &env(ENV_SEED, "abc"), &Overrides::default()).unwrap_err();
        assert!(
            e.0.starts_with("environment variable IDENFY_MOCK_SEED: 'abc'"),
            "{e}"
        );
        // A key nobody typed is still blamed on the layers.
        let e = Config::load_with_env(
            None,
            &env(ENV_WEBHOOK_URL, "ftp://x"),
            &Overrides {
                webhook_url: Some("nope".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.0, "--webhook-url: must be an http(s) URL or empty");
    }

    #[test]
    fn seed_and_admin_token_come_from_the_environment() {
        let env = vec![
            (ENV_SEED.to_string(), "42".to_string()),
            (ENV_ADMIN_TOKEN.to_string(), "t0ken".to_string()),
        ];
        let c = Config::load_with_env(None, &env, &Overrides::default()).unwrap();
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.control.admin_token.as_deref(), Some("t0ken"));
        let flags = Overrides {
            seed: Some(7),
            ..Default::default()
        };
        assert_eq!(
            Config::load_with_env(None, &env, &flags).unwrap().seed,
            Some(7)
        );
    }

    #[test]
    fn bad_values_name_the_source_and_key() {
        let e = Config::from_toml(
            "[[partners]]\napi_key='a'\napi_secret='b'\nenvironment='STAGING'\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(e.0.contains("f.toml") && e.0.contains("partners"), "{e}");
        let e = Config::from_toml("listen = 'nowhere'", "f.toml").unwrap_err();
        assert!(e.0.contains("'listen'"), "{e}");
        let e = Config::from_toml("[webhooks]\nretries = 'many'", "f.toml").unwrap_err();
        assert!(e.0.contains("webhooks.retries"), "{e}");
        for cap in ["0", "10000001"] {
            let e = Config::from_toml(&format!("[store]\nmax_verifications = {cap}"), "f.toml")
                .unwrap_err();
            assert!(
                e.0.contains("'store.max_verifications': must be 1 to 10000000"),
                "{e}"
            );
        }
        for budget in ["0", "65537"] {
            let e = Config::from_toml(&format!("[store]\nmemory_budget_mib = {budget}"), "f.toml")
                .unwrap_err();
            assert!(
                e.0.contains("'store.memory_budget_mib': must be 1 to 65536"),
                "{e}"
            );
        }
        let store = Config::embedded().store;
        assert_eq!(store.memory_budget_mib, 256);
        assert_eq!(store.store_budget_bytes(), 128 << 20);
        assert_eq!(store.journal_budget_bytes(), 128 << 20);
        let e = Config::from_toml("typo_key = 1", "f.toml").unwrap_err();
        assert!(e.0.contains("typo_key"), "{e}");
    }

    #[test]
    fn webhook_bounds_are_checked() {
        let c = Config::embedded();
        assert_eq!(c.webhooks.max_in_flight_per_target.get(), 32);
        assert_eq!(c.webhooks.max_pending.get(), 10_000);
        assert_eq!(c.webhooks.max_pending_per_target.get(), 2000);
        assert_eq!(c.webhooks.max_response_bytes, 65_536);
        assert_eq!(c.webhooks.max_waiters.get(), 10_000);
        let e = Config::from_toml("[webhooks]\njournal_capacity = 100", "f.toml").unwrap_err();
        assert!(
            e.0.contains("webhooks.max_pending") && e.0.contains("journal_capacity (100)"),
            "{e}"
        );
        assert!(
            Config::from_toml("[webhooks]\njournal_capacity = 100\nmax_pending = 100", "f").is_ok()
        );
        let e = Config::from_toml("[webhooks]\nmax_waiters = 0", "f.toml").unwrap_err();
        assert!(e.0.contains("webhooks.max_waiters"), "{e}");
    }

    #[test]
    fn typed_keys_in_a_file_name_the_key_and_the_problem() {
        for (toml, key, problem) in [
            (
                "listen = '8080'",
                "listen",
                "is not an address such as 127.0.0.1:8080",
            ),
            (
                "public_url = 'x'",
                "public_url",
                "must be an http(s) URL or empty",
            ),
            ("[webhooks]\nurl = 'ftp://x'", "webhooks.url", "http(s) URL"),
            (
                "[webhooks]\nmax_in_flight = 0",
                "webhooks.max_in_flight",
                "nonzero",
            ),
            (
                "[webhooks]\ntimeout_secs = 0",
                "webhooks.timeout_secs",
                "nonzero",
            ),
            (
                "[[partners]]\napi_key='a'\napi_secret='b'\nwebhook_url='nope'",
                "partners[0].webhook_url",
                "http(s) URL",
            ),
        ] {
            let e = Config::from_toml(toml, "f.toml").unwrap_err();
            assert!(
                e.0.starts_with(&format!("f.toml: key '{key}': ")) && e.0.contains(problem),
                "{toml}: {e}"
            );
        }
        let c = Config::from_toml("[webhooks]\nurl = 'http://127.0.0.1:9/h'", "f").unwrap();
        assert_eq!(
            c.webhooks.url.as_ref().map(HttpUrl::as_str),
            Some("http://127.0.0.1:9/h")
        );
        assert_eq!(c.public_url, None);
    }

    #[test]
    fn a_partner_entry_takes_what_it_leaves_out_from_the_default() {
        let c = Config::from_toml("[[partners]]\napi_key='a'\napi_secret='b'", "f").unwrap();
        let want = PartnerConfig {
            api_key: "a".into(),
            api_secret: "b".into(),
            ..PartnerConfig::default()
        };
        assert_eq!(c.partners[0], want);
        let e = Config::from_toml("[[partners]]\napi_key='a'", "f").unwrap_err();
        assert_eq!(e.0, "f: key 'partners[0].api_secret': must be non-empty");
    }

    #[test]
    fn server_bounds_are_checked() {
        let c = Config::embedded();
        assert_eq!(c.server.header_read_timeout_secs, 10);
        assert_eq!(c.server.idle_timeout_secs, 60);
        assert_eq!(c.server.max_connections, 4096);
        assert_eq!(c.server.snapshot_limit_mib, 256);
        for (key, bad) in [
            ("header_read_timeout_secs", "0"),
            ("idle_timeout_secs", "0"),
            ("max_connections", "0"),
            ("snapshot_limit_mib", "0"),
            ("snapshot_limit_mib", "4097"),
        ] {
            let e = Config::from_toml(&format!("[server]\n{key} = {bad}"), "f.toml").unwrap_err();
            assert!(e.0.contains(&format!("'server.{key}'")), "{e}");
        }
    }

    #[test]
    fn canned_results_must_match_their_status() {
        let e = Config::from_toml(
            "[dummy.results.APPROVED]\nauto_face='FACE_MISMATCH'\nauto_document='DOC_VALIDATED'\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(
            e.0.contains("dummy.results.APPROVED") && e.0.contains("DENIED"),
            "{e}"
        );
    }

    #[test]
    fn iframe_message_form_is_configurable() {
        let ui = Config::embedded().ui;
        assert_eq!(ui.iframe_message, IframeMessageForm::Object);
        assert_eq!(ui.iframe_case, IframeCase::Lower);
        let ui = Config::from_toml("[ui]\niframe_message = 'json'\niframe_case = 'upper'", "f")
            .unwrap()
            .ui;
        assert_eq!(ui.iframe_message, IframeMessageForm::Json);
        assert_eq!(ui.iframe_case, IframeCase::Upper);
        let e = Config::from_toml("[ui]\niframe_message = 'xml'", "f.toml").unwrap_err();
        assert!(
            e.0.contains("'ui.iframe_message'") && e.0.contains("object") && e.0.contains("json"),
            "{e}"
        );
        let e = Config::from_toml("[ui]\niframe_case = 'title'", "f.toml").unwrap_err();
        assert!(e.0.contains("'ui.iframe_case'"), "{e}");
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let e = Config::load_with_env(
            Some(std::path::Path::new("no/such/file.toml")),
            &[],
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.0.contains("no/such/file.toml"), "{e}");
    }
}

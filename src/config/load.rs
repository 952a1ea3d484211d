//! Loading the layers: the embedded file, `--config PATH`, the environment
//! and the command line, in that order.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::Figment;

use super::{
    types, Config, ConfigError, EMBEDDED, ENV_ADMIN_TOKEN, ENV_API_KEY, ENV_API_SECRET,
    ENV_DROP_IN, ENV_EXIT_WITH_PARENT, ENV_LISTEN, ENV_PUBLIC_URL, ENV_SEED, ENV_SIGNING_KEY,
    ENV_STATE_FILE, ENV_TLS_DIR, ENV_TLS_LISTEN, ENV_WEBHOOK_URL,
};
use crate::domain::url::HttpUrl;

/// Values given on the command line; each `Some` wins over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub webhook_url: Option<String>,
    pub seed: Option<u64>,
    pub state_file: Option<String>,
    pub tls_listen: Option<String>,
    pub tls_dir: Option<String>,
    /// `--drop-in` (never turns it off).
    pub drop_in: bool,
}

impl Config {
    /// The embedded defaults alone.
    pub fn embedded() -> Config {
        // The embedded file is checked by a unit test; failing here is a build defect.
        Self::from_toml(EMBEDDED, "the embedded config.toml")
            .expect("the embedded config.toml is valid")
    }

    /// The embedded defaults with `toml` (a partial configuration) merged on
    /// top; `source` names it in error messages. Reads no environment.
    pub fn from_toml(toml: &str, source: &str) -> Result<Config, ConfigError> {
        Self::from_toml_layers(&[toml], source)
    }

    /// The embedded defaults with each of `layers` merged on top in order
    /// (later layers win, key by key; a `partners` list replaces the whole list).
    pub fn from_toml_layers(layers: &[&str], source: &str) -> Result<Config, ConfigError> {
        let figment = layers
            .iter()
            .fold(Figment::from(Toml::string(EMBEDDED)), |f, layer| {
                f.merge(Toml::string(layer))
            });
        let mut config = extract(figment, source)?;
        config.apply_drop_in();
        config.validate(source)?;
        Ok(config)
    }

    /// Every layer: embedded → `file` → the process environment → `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with_env(file, &env, overrides)
    }

    /// [`Config::load`] with the environment passed in, so it can be tested.
    pub fn load_with_env(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Toml::string(EMBEDDED));
        let source = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "cannot read config file {}: {e}",
                        display_path(path)
                    ))
                })?;
                figment = figment.merge(Toml::string(&text));
                format!("config file {}", display_path(path))
            }
            None => "the embedded config.toml".to_string(),
        };
        let mut config = extract(figment, &source)?;
        let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        // Which keys the environment and the flags set, and by what name, so
        // a bad value is blamed on what the user typed, not on a file.
        let mut typed: Vec<(&str, String)> = Vec::new();
        let mut set = |key: &'static str, by: String| typed.push((key, by));
        let env_name = |name: &str| format!("environment variable {name}");
        // Text settings, each with who set it, in the order they apply.
        let mut texts: Vec<(Setting, String, String)> = Vec::new();
        for (name, setting) in [
            (ENV_LISTEN, Setting::Listen),
            (ENV_PUBLIC_URL, Setting::PublicUrl),
            (ENV_WEBHOOK_URL, Setting::WebhookUrl),
            (ENV_STATE_FILE, Setting::StateFile),
            (ENV_ADMIN_TOKEN, Setting::AdminToken),
            (ENV_TLS_LISTEN, Setting::TlsListen),
            (ENV_TLS_DIR, Setting::TlsDir),
            (ENV_DROP_IN, Setting::DropIn),
        ] {
            if let Some(v) = var(name) {
                texts.push((setting, v, env_name(name)));
            }
        }
        if let Some(v) = var(ENV_SEED) {
            config.seed = Some(v.trim().parse().map_err(|_| {
                ConfigError(format!(
                    "{}: '{v}' is not a whole number from 0 to {}",
                    env_name(ENV_SEED),
                    u64::MAX
                ))
            })?);
        }
        let partner_env = [ENV_API_KEY, ENV_API_SECRET, ENV_SIGNING_KEY];
        if partner_env.iter().any(|n| var(n).is_some()) {
            let Some(first) = config.partners.first_mut() else {
                return Err(ConfigError(format!(
                    "{} is set but {source} has no [[partners]] to apply it to",
                    partner_env.join("/")
                )));
            };
            if let Some(v) = var(ENV_API_KEY) {
                first.api_key = v;
                set("partners[0].api_key", env_name(ENV_API_KEY));
            }
            if let Some(v) = var(ENV_API_SECRET) {
                first.api_secret = v;
                set("partners[0].api_secret", env_name(ENV_API_SECRET));
            }
            if let Some(v) = var(ENV_SIGNING_KEY) {
                first.signing_key = Some(v);
            }
        }
        for (flag, setting, value) in [
            ("--listen", Setting::Listen, &overrides.listen),
            ("--public-url", Setting::PublicUrl, &overrides.public_url),
            ("--webhook-url", Setting::WebhookUrl, &overrides.webhook_url),
            ("--state-file", Setting::StateFile, &overrides.state_file),
            ("--tls-listen", Setting::TlsListen, &overrides.tls_listen),
            ("--tls-dir", Setting::TlsDir, &overrides.tls_dir),
            (
                "--drop-in",
                Setting::DropIn,
                &overrides.drop_in.then(|| "true".to_owned()),
            ),
        ] {
            if let Some(v) = value {
                texts.push((setting, v.clone(), flag.to_owned()));
            }
        }
        // Only the value that wins is parsed: a bad variable that a flag
        // overrides is no error.
        for (i, (setting, value, by)) in texts.iter().enumerate() {
            if texts[i + 1..].iter().any(|(later, ..)| later == setting) {
                continue;
            }
            setting
                .apply(&mut config, value)
                .map_err(|problem| ConfigError(format!("{by}: {problem}")))?;
            set(setting.key(), by.clone());
        }
        if overrides.seed.is_some() {
            config.seed = overrides.seed;
        }
        config.exit_with_parent = var(ENV_EXIT_WITH_PARENT).is_some_and(|v| v == "1");
        config.apply_drop_in();
        let layers = format!("{source} (with environment and flags)");
        config.validate_naming(&|key| match typed.iter().rev().find(|(k, _)| *k == key) {
            Some((_, by)) => by.clone(),
            None => format!("{layers}: key '{key}'"),
        })?;
        Ok(config)
    }
}

/// A setting the environment or a flag can give as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Listen,
    PublicUrl,
    WebhookUrl,
    StateFile,
    AdminToken,
    TlsListen,
    TlsDir,
    DropIn,
}

impl Setting {
    /// Its key in the configuration file.
    fn key(self) -> &'static str {
        match self {
            Setting::Listen => "listen",
            Setting::PublicUrl => "public_url",
            Setting::WebhookUrl => "webhooks.url",
            Setting::StateFile => "state.file",
            Setting::AdminToken => "control.admin_token",
            Setting::TlsListen => "server.tls_listen",
            Setting::TlsDir => "server.tls_dir",
            Setting::DropIn => "server.drop_in",
        }
    }

    /// Sets it in `config` from `text` (empty: none, where none is allowed),
    /// or says what is wrong with the text.
    fn apply(self, config: &mut Config, text: &str) -> Result<(), String> {
        let url = |text: &str| HttpUrl::parse_optional(text).map_err(str::to_owned);
        let given = || Some(text.to_owned()).filter(|t| !t.is_empty());
        match self {
            Setting::Listen => config.listen = types::parse_listen(text)?,
            Setting::PublicUrl => config.public_url = url(text)?,
            Setting::WebhookUrl => config.webhooks.url = url(text)?,
            Setting::StateFile => config.state.file = given().map(PathBuf::from),
            Setting::AdminToken => config.control.admin_token = given(),
            Setting::TlsListen => {
                config.server.tls_listen = match given() {
                    None => None,
                    Some(text) => Some(types::parse_listen(&text)?),
                }
            }
            Setting::TlsDir => config.server.tls_dir = given().map(PathBuf::from),
            Setting::DropIn => {
                config.server.drop_in = match text.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" => true,
                    "" | "0" | "false" | "no" => false,
                    _ => return Err(format!("'{text}' is not true or false")),
                }
            }
        }
        Ok(())
    }
}

fn extract(figment: Figment, source: &str) -> Result<Config, ConfigError> {
    figment.extract::<Config>().map_err(|e| {
        let mut out = String::new();
        for (n, one) in e.into_iter().enumerate() {
            if n > 0 {
                out.push_str("; ");
            }
            let key = if one.path.is_empty() {
                "(top level)".to_string()
            } else {
                key_of(&one.path)
            };
            out.push_str(&format!("{source}: key '{key}': {}", one.kind));
        }
        ConfigError(out)
    })
}

/// A key path as validation spells it: `partners[0].webhook_url`, not
/// figment's `partners.0.webhook_url`.
fn key_of(path: &[String]) -> String {
    let mut key = String::new();
    for part in path {
        if part.parse::<usize>().is_ok() {
            key.push_str(&format!("[{part}]"));
        } else {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(part);
        }
    }
    key
}

fn display_path(path: &Path) -> String {
    PathBuf::from(path).display().to_string()
}

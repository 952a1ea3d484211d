//! The value types a setting is parsed into, so a loaded [`Config`] cannot
//! hold a malformed address or URL: `listen` is a `SocketAddr`, each URL an
//! [`HttpUrl`] (empty in TOML: none), each count that must be positive a
//! `NonZero*` (serde refuses 0 itself). Each parser's message is the one the
//! user sees, after where the value came from.
//!
//! [`Config`]: super::Config

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An absolute `http` or `https` URL with a host (a webhook target, the
/// public base URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

/// What is wrong with a URL setting that is not empty and not an [`HttpUrl`].
pub const NOT_AN_HTTP_URL: &str = "must be an http(s) URL or empty";

impl HttpUrl {
    /// `text` as an optional URL: empty is `None`.
    pub fn parse_optional(text: &str) -> Result<Option<HttpUrl>, &'static str> {
        if text.is_empty() {
            return Ok(None);
        }
        match url::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                Ok(Some(HttpUrl(u)))
            }
            _ => Err(NOT_AN_HTTP_URL),
        }
    }

    /// The URL, normalised (`http://host:1` reads `http://host:1/`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text of an optional URL setting: empty when unset.
pub fn url_text(url: &Option<HttpUrl>) -> &str {
    url.as_ref().map_or("", HttpUrl::as_str)
}

/// `Option<HttpUrl>` as TOML has it: a string, empty for none.
pub mod optional_url {
    use super::*;

    pub fn serialize<S: Serializer>(url: &Option<HttpUrl>, s: S) -> Result<S::Ok, S::Error> {
        url_text(url).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HttpUrl>, D::Error> {
        let text = String::deserialize(d)?;
        HttpUrl::parse_optional(&text).map_err(serde::de::Error::custom)
    }
}

/// `listen` from text, with a hint when only a port was given.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>().map_err(|_| {
        let hint = match text.trim().parse::<u16>() {
            Ok(port) => {
                format!(" (for port {port}: 127.0.0.1:{port}, or 0.0.0.0:{port} in a container)")
            }
            Err(_) => String::new(),
        };
        format!("'{text}' is not an address such as 127.0.0.1:8080{hint}")
    })
}

/// `listen` as TOML has it: a string such as `127.0.0.1:8080`.
pub mod listen {
    use super::*;

    pub fn serialize<S: Serializer>(addr: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
        addr.to_string().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        let text = String::deserialize(d)?;
        parse_listen(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_with_a_host_or_empty() {
        assert_eq!(HttpUrl::parse_optional(""), Ok(None));
        let u = HttpUrl::parse_optional("http://127.0.0.1:3000/hook")
            .unwrap()
            .unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:3000/hook");
        for bad in ["nope", "ftp://x.test/", "http://", "mailto:a@b.test", " "] {
            assert_eq!(HttpUrl::parse_optional(bad), Err(NOT_AN_HTTP_URL), "{bad}");
        }
    }

    #[test]
    fn a_bare_port_gets_a_hint() {
        assert_eq!(
            parse_listen("8080").unwrap_err(),
            "'8080' is not an address such as 127.0.0.1:8080 \
             (for port 8080: 127.0.0.1:8080, or 0.0.0.0:8080 in a container)"
        );
        assert_eq!(
            parse_listen("x").unwrap_err(),
            "'x' is not an address such as 127.0.0.1:8080"
        );
        assert_eq!(parse_listen("[::1]:9").unwrap().port(), 9);
    }
}

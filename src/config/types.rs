//! The value types a setting is parsed into, so a loaded [`Config`] cannot
//! hold a malformed address or URL: `listen` is a `SocketAddr`, each URL an
//! [`HttpUrl`] (empty in TOML: none), each count that must be positive a
//! `NonZero*` (serde refuses 0 itself). Each parser's message is the one the
//! user sees, after where the value came from.
//!
//! [`Config`]: super::Config
//! [`HttpUrl`]: crate::domain::url::HttpUrl

use std::net::SocketAddr;

/// `Option<HttpUrl>` as TOML has it: a string, empty for none.
pub mod optional_url {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::domain::url::HttpUrl;

    pub fn serialize<S: Serializer>(url: &Option<HttpUrl>, s: S) -> Result<S::Ok, S::Error> {
        url.as_ref().map_or("", HttpUrl::as_str).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HttpUrl>, D::Error> {
        let text = String::deserialize(d)?;
        HttpUrl::parse_optional(&text).map_err(serde::de::Error::custom)
    }
}

/// An optional text setting as TOML has it: a string, empty for none.
pub mod optional_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        text.as_deref().unwrap_or("").serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Some(text).filter(|t| !t.is_empty()))
    }
}

/// An optional path setting as TOML has it: a string, empty for none.
pub mod optional_path {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        path.as_deref()
            .map_or(std::borrow::Cow::Borrowed(""), |p| p.to_string_lossy())
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Some(text).filter(|t| !t.is_empty()).map(PathBuf::from))
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
    use std::net::SocketAddr;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::parse_listen;

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

//! The value types a setting is parsed into, so a loaded [`Config`] cannot
//! hold a malformed address or URL: `listen` is a `SocketAddr`, each URL an
//! [`HttpUrl`] (empty in TOML: none), each count that must be positive a
//! `NonZero*` (serde refuses 0 itself). Each parser's message is the one the
//! user sees, after where the value came from.
//!
//! [`Config`]: super::Config
//! [`HttpUrl`]: crate::domain::url::HttpUrl

use std::fmt::Display;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// An optional setting as TOML has it: a string, empty for none; any other
/// text is parsed (an [`HttpUrl`], a path, a token).
pub fn optional<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(serde::de::Error::custom)
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
pub fn listen<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    parse_listen(&String::deserialize(d)?).map_err(serde::de::Error::custom)
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

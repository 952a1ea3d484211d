//! The one URL type of the crate, and its one check.

use std::fmt;

/// An absolute `http` or `https` URL with a host: a webhook target, the
/// public base URL, a redirect or callback URL sent with a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

/// What is wrong with a URL setting that is not empty and not an [`HttpUrl`].
pub const NOT_AN_HTTP_URL: &str = "must be an http(s) URL or empty";

impl HttpUrl {
    /// `text` as an [`HttpUrl`], or why not.
    pub fn parse(text: &str) -> Result<HttpUrl, &'static str> {
        match url::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(HttpUrl(u)),
            _ => Err(NOT_AN_HTTP_URL),
        }
    }

    /// `text` as an optional URL: empty is `None`.
    pub fn parse_optional(text: &str) -> Result<Option<HttpUrl>, &'static str> {
        if text.is_empty() {
            return Ok(None);
        }
        HttpUrl::parse(text).map(Some)
    }

    /// The URL, normalised (`http://host:1` reads `http://host:1/`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as the URL names it.
    pub fn host(&self) -> Option<url::Host<&str>> {
        self.0.host()
    }

    /// The port, explicit or the scheme's.
    pub fn port(&self) -> Option<u16> {
        self.0.port_or_known_default()
    }

    /// The path, `/` at least.
    pub fn path(&self) -> &str {
        self.0.path()
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<HttpUrl, &'static str> {
        HttpUrl::parse(text)
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
            assert_eq!(HttpUrl::parse(bad), Err(NOT_AN_HTTP_URL), "{bad}");
        }
    }
}

//! Making request data safe to put in a log line or a page.
//!
//! A value a client chose (a `callbackUrl`, a path, a header) that reaches a
//! log line with Display formatting (`%value` or `{value}`) could carry CR/LF
//! and so start a forged line of its own, or terminal escape sequences.
//! Wrap such values in [`escape_for_log`]. Fields recorded as plain `&str`
//! (`field = value`) are already quoted and escaped by the log formatter.
//!
//! Text that reaches server-rendered HTML (the verification page, the
//! dashboard) goes through [`escape_html`].

use std::borrow::Cow;

/// `s` with every control character (CR, LF, tab, ESC, DEL, the C1 range,
/// …) and backslash written as an escape (`\r`, `\n`, `\u{1b}`, `\\`).
/// Borrowed when there is nothing to escape, which is the usual case.
pub fn escape_for_log(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters, the backslash, and the line and paragraph separators
/// (U+2028, U+2029), which some log viewers and terminals break lines at.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\\' | '\u{2028}' | '\u{2029}')
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_markup_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "https://app.test/hook?a=1&b=ä";
        assert!(matches!(escape_for_log(s), Cow::Borrowed(_)));
        assert_eq!(escape_for_log(s), s);
    }

    #[test]
    fn line_breaks_and_escapes_cannot_forge_a_line() {
        let forged = "http://x/\r\n2024-01-01 INFO forged\u{1b}[31m\u{7f}\u{85}\t\\";
        let safe = escape_for_log(forged);
        assert!(!safe.chars().any(char::is_control), "{safe}");
        assert_eq!(
            safe,
            "http://x/\\r\\n2024-01-01 INFO forged\\u{1b}[31m\\u{7f}\\u{85}\\t\\\\"
        );
    }
}

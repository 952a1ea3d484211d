//! The messages of the webhook receiver inside the mock (`/_mock/inbox/{name}`,
//! served by `control::inbox`), each with its signature checked against the
//! partners' keys.
//!
//! Bounded three ways: a message is at most `body_limit_bytes`, an inbox
//! keeps its newest [`PER_INBOX`] messages, and all inboxes together hold at
//! most [`TOTAL_BYTES`], the oldest messages (of any inbox) going first; an
//! inbox left empty frees its slot of the [`INBOXES`]. Reads are bounded
//! too: a message is shown as a [`MessageView`] of at most a configured
//! number of body bytes, and a read answers a page of messages of at most a
//! configured size.

use std::collections::{HashMap, VecDeque};

use axum::http::HeaderMap;
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;

use crate::runtime::partners::Partners;
use crate::runtime::sync::{Guard, Ordered, Rank};
use crate::runtime::webhook::sign;

/// Messages kept per inbox, and inboxes kept at most.
pub const PER_INBOX: usize = 1000;
pub const INBOXES: usize = 100;
/// Bytes kept over all inboxes (bodies and headers, see [`InboxMessage::cost`]).
pub const TOTAL_BYTES: usize = 32 << 20;

/// A message as kept: the body as received, byte for byte.
#[derive(Debug, Clone)]
pub struct InboxMessage {
    pub id: u64,
    pub received_at_ms: i64,
    pub event: Option<String>,
    /// `valid` (a partner's signing key verifies it), `invalid`, or `missing`.
    pub signature: &'static str,
    /// The API key of the partner whose signing key verified it.
    pub signed_by: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// The body's `scanRef`, when it is a JSON object with one.
    pub scan_ref: Option<String>,
    /// The body's `clientId`, when it is a JSON object with one.
    pub client_id: Option<String>,
}

/// A message as a read shows it: its body as text when it is text, else as
/// base64, either way cut to the read's per-message bound.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: u64,
    pub received_at_ms: i64,
    pub event: Option<String>,
    /// `valid` (a partner's signing key verifies it), `invalid`, or `missing`.
    pub signature: &'static str,
    /// The API key of the partner whose signing key verified it.
    pub signed_by: Option<String>,
    pub content_type: Option<String>,
    /// The body as received, when it is UTF-8 text without control
    /// characters (but tab, CR, LF): a webhook's JSON. `null` otherwise.
    pub body: Option<String>,
    /// A body that is not such text: base64 of its first bytes.
    pub body_base64: Option<String>,
    /// The body's whole length in bytes.
    pub body_bytes: usize,
    /// Whether `body` or `bodyBase64` shows only the start of the body.
    pub truncated: bool,
    /// The body's `scanRef`, when it is a JSON object with one.
    pub scan_ref: Option<String>,
    /// The body's `clientId`, when it is a JSON object with one.
    pub client_id: Option<String>,
}

impl InboxMessage {
    /// The message as shown, with at most `max_body` bytes of body.
    pub fn view(&self, max_body: usize) -> MessageView {
        use base64::Engine as _;
        let text = std::str::from_utf8(&self.body).ok().filter(|t| {
            !t.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        });
        let (body, body_base64, truncated) = match text {
            Some(t) => {
                let mut end = t.len().min(max_body);
                while !t.is_char_boundary(end) {
                    end -= 1;
                }
                (Some(t[..end].to_owned()), None, end < t.len())
            }
            None => {
                // Base64 grows by a third: the shown text stays within the bound.
                let end = self.body.len().min(max_body / 4 * 3);
                let encoded = base64::engine::general_purpose::STANDARD.encode(&self.body[..end]);
                (None, Some(encoded), end < self.body.len())
            }
        };
        MessageView {
            id: self.id,
            received_at_ms: self.received_at_ms,
            event: self.event.clone(),
            signature: self.signature,
            signed_by: self.signed_by.clone(),
            content_type: self.content_type.clone(),
            body,
            body_base64,
            body_bytes: self.body.len(),
            truncated,
            scan_ref: self.scan_ref.clone(),
            client_id: self.client_id.clone(),
        }
    }
}

/// Inbox reads served at once; more wait (see [`Inbox::reader`]).
pub const READERS: usize = 8;

/// What [`InboxMessage::scan_ref`] and [`InboxMessage::client_id`] are read from.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Refs {
    pub scan_ref: Option<String>,
    pub client_id: Option<String>,
}

impl Refs {
    /// A webhook's scanRef and clientId; none when the body is not a JSON
    /// object or they are not strings.
    pub(crate) fn of(body: &[u8]) -> Refs {
        serde_json::from_slice(body).unwrap_or(Refs {
            scan_ref: None,
            client_id: None,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxSummary {
    pub name: String,
    pub count: usize,
}

/// About what a view takes in a JSON answer: its texts plus room for the
/// keys and numbers.
pub fn view_bytes(v: &MessageView) -> usize {
    let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
    256 + text(&v.body)
        + text(&v.body_base64)
        + text(&v.event)
        + text(&v.signed_by)
        + text(&v.content_type)
        + text(&v.scan_ref)
        + text(&v.client_id)
}

impl InboxMessage {
    /// What a message counts against [`TOTAL_BYTES`]: its text plus a fixed
    /// allowance for the record itself.
    fn cost(&self) -> usize {
        std::mem::size_of::<InboxMessage>()
            + self.body.len()
            + self.event.as_ref().map_or(0, String::len)
            + self.content_type.as_ref().map_or(0, String::len)
            + self.signed_by.as_ref().map_or(0, String::len)
            + self.scan_ref.as_ref().map_or(0, String::len)
            + self.client_id.as_ref().map_or(0, String::len)
    }
}

pub struct Inbox {
    boxes: Ordered<Boxes>,
    readers: tokio::sync::Semaphore,
}

impl Default for Inbox {
    fn default() -> Inbox {
        Inbox {
            boxes: Ordered::new(Rank::Inbox, Boxes::default()),
            readers: tokio::sync::Semaphore::new(READERS),
        }
    }
}

/// One page of an inbox, oldest first.
pub struct Page {
    pub messages: Vec<MessageView>,
    /// The id to read on from (`after`), when the page did not reach the end.
    pub next: Option<u64>,
}

/// The inboxes and their running byte count, under one lock.
#[derive(Default)]
struct Boxes {
    by_name: HashMap<String, VecDeque<InboxMessage>>,
    bytes: usize,
    next_id: u64,
}

impl Boxes {
    /// Drops the oldest message of all inboxes (ids grow with arrival, so it
    /// is the smallest id at the front of any inbox). False if none is left.
    fn drop_oldest(&mut self) -> bool {
        let oldest = self
            .by_name
            .iter()
            .filter_map(|(name, list)| list.front().map(|m| (m.id, name.clone())))
            .min();
        match oldest {
            Some((_, name)) => {
                self.pop_front(&name);
                true
            }
            None => false,
        }
    }

    /// Drops inbox `name`'s oldest message; an inbox left empty frees its
    /// slot.
    fn pop_front(&mut self, name: &str) {
        let Some(list) = self.by_name.get_mut(name) else {
            return;
        };
        if let Some(m) = list.pop_front() {
            self.bytes -= m.cost();
        }
        if list.is_empty() {
            self.by_name.remove(name);
        }
    }
}

impl Inbox {
    fn lock(&self) -> Guard<'_, Boxes> {
        self.boxes.lock()
    }

    pub fn clear_all(&self) {
        let mut boxes = self.lock();
        boxes.by_name.clear();
        boxes.bytes = 0;
    }

    /// Bytes held over all inboxes.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Every inbox with its message count, by name.
    pub fn summaries(&self) -> Vec<InboxSummary> {
        let mut all: Vec<InboxSummary> = self
            .lock()
            .by_name
            .iter()
            .map(|(name, l)| InboxSummary {
                name: name.clone(),
                count: l.len(),
            })
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// The newest `limit` messages `keep` accepts (given the inbox's name),
    /// of inbox `only` or of all, newest first with their inbox's name, and
    /// how many it accepts in all. Only those `limit` are copied.
    pub fn newest(
        &self,
        only: Option<&str>,
        limit: usize,
        mut keep: impl FnMut(&str, &InboxMessage) -> bool,
    ) -> (usize, Vec<(String, InboxMessage)>) {
        let boxes = self.lock();
        let mut hits: Vec<(&str, &InboxMessage)> = boxes
            .by_name
            .iter()
            .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
            .flat_map(|(name, list)| list.iter().map(move |m| (name.as_str(), m)))
            .filter(|(name, m)| keep(name, m))
            .collect();
        let matched = hits.len();
        // Ids grow with arrival over all inboxes.
        hits.sort_unstable_by_key(|h| std::cmp::Reverse(h.1.id));
        hits.truncate(limit);
        let items = hits
            .into_iter()
            .map(|(name, m)| (name.to_owned(), m.clone()))
            .collect();
        (matched, items)
    }

    /// Empties and forgets inbox `name`.
    pub fn remove(&self, name: &str) {
        let mut boxes = self.lock();
        if let Some(list) = boxes.by_name.remove(name) {
            boxes.bytes -= list.iter().map(InboxMessage::cost).sum::<usize>();
        }
    }

    /// Waits (at most `patience`) for one of the [`READERS`] read slots;
    /// `None` when none came free in time.
    pub async fn reader(
        &self,
        patience: std::time::Duration,
    ) -> Option<tokio::sync::SemaphorePermit<'_>> {
        tokio::time::timeout(patience, self.readers.acquire())
            .await
            .ok()?
            .ok()
    }

    /// The messages of inbox `name` after id `after`, oldest first, shown
    /// with at most `max_body` body bytes each, until the views hold
    /// `max_bytes` (at least one message is shown).
    pub fn page(&self, name: &str, after: u64, max_body: usize, max_bytes: usize) -> Page {
        // Bodies are reference-counted: copying them out is cheap, and the
        // views are made without the lock.
        let taken: Vec<InboxMessage> = self
            .lock()
            .by_name
            .get(name)
            .map(|l| l.iter().filter(|m| m.id > after).cloned().collect())
            .unwrap_or_default();
        let mut messages = Vec::new();
        let mut used = 0;
        for m in &taken {
            let view = m.view(max_body);
            let size = view_bytes(&view);
            if !messages.is_empty() && used + size > max_bytes {
                break;
            }
            used += size;
            messages.push(view);
        }
        let next = (messages.len() < taken.len())
            .then(|| messages.last().map(|m| m.id))
            .flatten();
        Page { messages, next }
    }

    /// Stores `message` in inbox `name`; its id. `Err` when `name` would be
    /// a new inbox beyond [`INBOXES`].
    pub fn push(&self, name: &str, mut message: InboxMessage) -> Result<u64, TooManyInboxes> {
        let mut boxes = self.lock();
        if !boxes.by_name.contains_key(name) && boxes.by_name.len() >= INBOXES {
            return Err(TooManyInboxes);
        }
        boxes.next_id += 1;
        message.id = boxes.next_id;
        let id = message.id;
        let cost = message.cost();
        while boxes.bytes + cost > TOTAL_BYTES && boxes.drop_oldest() {}
        boxes.bytes += cost;
        let list = boxes.by_name.entry(name.to_owned()).or_default();
        list.push_back(message);
        if list.len() > PER_INBOX {
            boxes.pop_front(name);
        }
        Ok(id)
    }
}

/// There are [`INBOXES`] inboxes already.
#[derive(Debug)]
pub struct TooManyInboxes;

/// Which partner's signing key (or subscription's key) verifies `body`, if any.
pub fn check_signature(
    partners: &Partners,
    headers: &HeaderMap,
    body: &[u8],
) -> (&'static str, Option<String>) {
    let Some(sig) = headers
        .get("idenfy-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return ("missing", None);
    };
    partners
        .iter()
        .find(|(_, p)| {
            // The partner's key, or one of its subscriptions' keys.
            let subs = p.config.subscriptions.iter();
            std::iter::once(p.config.signing_key.as_deref())
                .chain(subs.map(|s| s.signing_key.as_deref()))
                .flatten()
                .any(|k| !k.is_empty() && sign::verify(k.as_bytes(), body, sig))
        })
        .map_or(("invalid", None), |(_, p)| {
            ("valid", Some(p.key().to_owned()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body_len: usize) -> InboxMessage {
        InboxMessage {
            id: 0,
            received_at_ms: 0,
            event: None,
            signature: "missing",
            signed_by: None,
            content_type: None,
            body: Bytes::from("x".repeat(body_len)),
            scan_ref: None,
            client_id: None,
        }
    }

    #[test]
    fn refs_are_read_from_a_json_object_only() {
        let r = Refs::of(br#"{"final":true,"scanRef":"s1","clientId":"c1","n":[1]}"#);
        assert_eq!(
            (r.scan_ref.as_deref(), r.client_id.as_deref()),
            (Some("s1"), Some("c1"))
        );
        for odd in [&b"not json"[..], b"[1]", br#"{"scanRef":5}"#, b""] {
            let r = Refs::of(odd);
            assert!(r.scan_ref.is_none() && r.client_id.is_none());
        }
    }

    #[test]
    fn newest_spans_inboxes_newest_first() {
        let inbox = Inbox::default();
        for name in ["a", "b", "a", "c"] {
            inbox.push(name, message(1)).unwrap();
        }
        let (matched, items) = inbox.newest(None, 2, |name, _| name != "c");
        assert_eq!(matched, 3);
        let got: Vec<(&str, u64)> = items.iter().map(|(n, m)| (n.as_str(), m.id)).collect();
        assert_eq!(got, vec![("a", 3), ("b", 2)]);
        let (matched, items) = inbox.newest(Some("a"), 10, |_, _| true);
        assert_eq!((matched, items.len()), (2, 2));
        assert_eq!(inbox.summaries().len(), 3);
    }

    #[test]
    fn total_bytes_are_capped_dropping_the_oldest_of_any_inbox() {
        let inbox = Inbox::default();
        let big = TOTAL_BYTES / 4;
        let first = inbox.push("a", message(big)).unwrap();
        for name in ["b", "a", "b", "c"] {
            inbox.push(name, message(big)).unwrap();
        }
        assert!(inbox.bytes() <= TOTAL_BYTES);
        let boxes = inbox.lock();
        let ids: Vec<u64> = boxes.by_name.values().flatten().map(|m| m.id).collect();
        assert!(!ids.contains(&first), "the oldest went first: {ids:?}");
        assert_eq!(ids.len(), 3);
        let counted: usize = boxes
            .by_name
            .values()
            .flatten()
            .map(InboxMessage::cost)
            .sum();
        assert_eq!(boxes.bytes, counted);
    }

    #[test]
    fn per_inbox_count_and_removal_keep_the_byte_count() {
        let inbox = Inbox::default();
        for _ in 0..PER_INBOX + 5 {
            inbox.push("a", message(10)).unwrap();
        }
        inbox.push("b", message(10)).unwrap();
        assert_eq!(inbox.lock().by_name["a"].len(), PER_INBOX);
        assert_eq!(inbox.bytes(), (PER_INBOX + 1) * message(10).cost());
        inbox.remove("a");
        assert_eq!(inbox.bytes(), message(10).cost());
        inbox.clear_all();
        assert_eq!(inbox.bytes(), 0);
    }

    #[test]
    fn a_view_shows_text_as_text_and_anything_else_as_bounded_base64() {
        let mut m = message(0);
        m.body = Bytes::from_static(b"{\"a\":\"\xc3\xa4\"}\n");
        let v = m.view(1024);
        assert_eq!(v.body.as_deref(), Some("{\"a\":\"\u{e4}\"}\n"));
        assert!(v.body_base64.is_none() && !v.truncated);
        m.body = Bytes::from(vec![0u8; 10_000]);
        let v = m.view(1024);
        assert!(v.body.is_none() && v.truncated);
        assert_eq!(v.body_base64.as_ref().map(String::len), Some(1024));
        assert_eq!(v.body_bytes, 10_000);
        // Cut on a character boundary.
        m.body = Bytes::from("ä".repeat(10));
        let v = m.view(5);
        assert_eq!((v.body.as_deref(), v.truncated), (Some("ää"), true));
    }

    #[test]
    fn a_page_stops_at_its_byte_bound_and_says_where_to_go_on() {
        let inbox = Inbox::default();
        for _ in 0..10 {
            inbox.push("a", message(1000)).unwrap();
        }
        let first = inbox.page("a", 0, 1000, 3 * 1300);
        assert_eq!(first.messages.len(), 3);
        assert_eq!(first.next, Some(3));
        let rest = inbox.page("a", 3, 1000, usize::MAX);
        assert_eq!((rest.messages.len(), rest.next), (7, None));
        // One message over the bound is still shown, cut.
        let one = inbox.page("a", 0, 10, 1);
        assert_eq!(one.messages.len(), 1);
        assert!(one.messages[0].truncated);
    }

    #[test]
    fn an_inbox_emptied_by_eviction_frees_its_slot() {
        let inbox = Inbox::default();
        inbox.push("old", message(TOTAL_BYTES / 2)).unwrap();
        inbox.push("new", message(TOTAL_BYTES / 2)).unwrap();
        assert_eq!(
            inbox
                .summaries()
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["new"]
        );
    }
}

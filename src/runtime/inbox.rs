//! The messages of the webhook receiver inside the mock (`/_mock/inbox/{name}`,
//! served by `control::inbox`), each with its signature checked against the
//! partners' keys.
//!
//! Bounded three ways: a message is at most `body_limit_bytes`, an inbox
//! keeps its newest [`PER_INBOX`] messages, and all inboxes together hold at
//! most [`TOTAL_BYTES`], the oldest messages (of any inbox) going first.

use std::collections::{HashMap, VecDeque};

use axum::http::HeaderMap;
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

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    pub id: u64,
    pub received_at_ms: i64,
    pub event: Option<String>,
    /// `valid` (a partner's signing key verifies it), `invalid`, or `missing`.
    pub signature: &'static str,
    /// The API key of the partner whose signing key verified it.
    pub signed_by: Option<String>,
    pub content_type: Option<String>,
    /// The body as received (JSON text).
    pub body: String,
    /// The body's `scanRef`, when it is a JSON object with one.
    pub scan_ref: Option<String>,
    /// The body's `clientId`, when it is a JSON object with one.
    pub client_id: Option<String>,
}

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
}

impl Default for Inbox {
    fn default() -> Inbox {
        Inbox {
            boxes: Ordered::new(Rank::Inbox, Boxes::default()),
        }
    }
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

    fn pop_front(&mut self, name: &str) {
        if let Some(m) = self.by_name.get_mut(name).and_then(VecDeque::pop_front) {
            self.bytes -= m.cost();
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

    /// The messages of inbox `name`, oldest first.
    pub fn messages(&self, name: &str) -> Vec<InboxMessage> {
        self.lock()
            .by_name
            .get(name)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
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
            body: "x".repeat(body_len),
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
}

//! The dashboard's filters: the query as the page's URL carries it, and
//! the same filters typed, with one test per list.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

use super::super::ControlError;
use crate::domain::status::{EventType, Overall};
use crate::domain::verification::Verification;
use crate::domain::Vocabulary;
use crate::runtime::inbox::InboxMessage;
use crate::runtime::webhook::journal::{DeliveryState, WebhookRecord};

/// The dashboard's filters (`GET /_mock/dashboard/data` and the page's URL).
/// `scanRef`, `clientId`: contained, ignoring ASCII case; the rest exact.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DataQuery {
    scan_ref: Option<String>,
    client_id: Option<String>,
    /// A verification's overall status.
    status: Option<String>,
    /// A webhook's (and an inbox message's) event type.
    event: Option<String>,
    /// A webhook's delivery state.
    state: Option<String>,
    /// One inbox by name (all when absent).
    inbox: Option<String>,
}

/// [`DataQuery`] checked: the texts trimmed (empty is no filter) and
/// ASCII-lowercased for the contains-match, the vocabularies parsed.
pub struct Filters {
    scan_ref: Option<String>,
    client_id: Option<String>,
    status: Option<Overall>,
    event: Option<EventType>,
    state: Option<DeliveryState>,
    inbox: Option<String>,
}

impl Filters {
    /// The filters, or a 400 naming the first value outside its vocabulary.
    pub fn parse(q: &DataQuery) -> Result<Filters, ControlError> {
        Ok(Filters {
            scan_ref: given(&q.scan_ref).map(str::to_ascii_lowercase),
            client_id: given(&q.client_id).map(str::to_ascii_lowercase),
            status: one_of("status", &q.status)?,
            event: one_of("event", &q.event)?,
            state: one_of("state", &q.state)?,
            inbox: given(&q.inbox).map(str::to_owned),
        })
    }

    /// Whether a clientId filter is set (webhooks carry no clientId: the
    /// caller then collects the matching verifications' scanRefs).
    pub fn by_client_id(&self) -> bool {
        self.client_id.is_some()
    }

    /// The one inbox asked for, if any.
    pub fn inbox(&self) -> Option<&str> {
        self.inbox.as_deref()
    }

    pub fn client(&self, client_id: &str) -> bool {
        contains(client_id, &self.client_id)
    }

    pub fn verification(&self, v: &Verification) -> bool {
        contains(&v.scan_ref, &self.scan_ref)
            && self.client(&v.request.client_id)
            && self.status.is_none_or(|s| s == v.status)
    }

    /// `clients`: the scanRefs of the verifications the clientId filter
    /// accepts, when it is set.
    pub fn webhook(&self, r: &WebhookRecord, clients: Option<&HashSet<Arc<str>>>) -> bool {
        contains(&r.scan_ref, &self.scan_ref)
            && clients.is_none_or(|c| c.contains(r.scan_ref.as_str()))
            && self.event.is_none_or(|e| e == r.event)
            && self.state.is_none_or(|s| s == r.state)
    }

    pub fn message(&self, m: &InboxMessage) -> bool {
        contains(m.scan_ref.as_deref().unwrap_or_default(), &self.scan_ref)
            && self.client(m.client_id.as_deref().unwrap_or_default())
            && self
                .event
                .is_none_or(|e| m.event.as_deref() == Some(e.as_str()))
    }
}

/// A filter value: trimmed, absent when empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn one_of<T: Vocabulary>(field: &str, v: &Option<String>) -> Result<Option<T>, ControlError> {
    match given(v) {
        None => Ok(None),
        Some(s) => T::from_wire(s).map(Some).ok_or_else(|| {
            ControlError::bad_request(format!("{field} must be one of: {}", T::listed()))
        }),
    }
}

/// Whether `hay` contains `needle` (already ASCII-lowercased), ignoring
/// ASCII case; no needle accepts everything.
fn contains(hay: &str, needle: &Option<String>) -> bool {
    let Some(needle) = needle else {
        return true;
    };
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ignores_ascii_case() {
        assert!(contains("AbC-123", &Some("bc-1".into())));
        assert!(contains("anything", &None));
        assert!(!contains("ab", &Some("abc".into())));
    }

    #[test]
    fn a_value_outside_its_vocabulary_names_the_filter() {
        let q = DataQuery {
            state: Some(" nope ".into()),
            ..DataQuery::default()
        };
        let e = Filters::parse(&q).err().expect("refused");
        assert!(
            e.message.starts_with("state must be one of"),
            "{}",
            e.message
        );
        let q = DataQuery {
            status: Some("  ".into()),
            ..DataQuery::default()
        };
        assert!(Filters::parse(&q).is_ok_and(|f| f.status.is_none()));
    }
}

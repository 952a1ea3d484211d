//! What a stored verification costs in bytes, estimated on the generous side.

use std::mem::size_of;
use std::sync::Arc;

use crate::domain::status::{FraudTagValue, MismatchTagValue};
use crate::domain::token::DocumentType;
use crate::domain::verification::Verification;

use super::*;

/// A heap block of `len` bytes: its length rounded up to the allocator's
/// 16-byte granularity, plus 16 for its bookkeeping. Deliberately generous.
fn heap(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.next_multiple_of(16) + 16
    }
}

fn text(s: &Option<Box<str>>) -> usize {
    s.as_deref().map_or(0, |s| heap(s.len()))
}

/// What keeping `v` costs, approximately and on the generous side: the
/// verification itself, every string, list and JSON text it owns, and its
/// share of the store's maps (each map slot counted twice: hash tables run
/// partly empty and grow by doubling, tree nodes are at least half full).
pub fn approx_size(v: &Verification) -> usize {
    let r = &v.request;
    let books = 2
        * (size_of::<(u64, Entry)>()
            + size_of::<(Arc<str>, u64)>()
            + size_of::<(Box<str>, u64)>()
            + 2 * size_of::<(i64, u64)>())
        + heap(v.auth_token.len());
    let strings = heap(2 * size_of::<usize>() + v.scan_ref.len())
        + heap(v.auth_token.capacity())
        + heap(v.file_key.capacity())
        + v.digit_string.as_ref().map_or(0, |d| heap(d.capacity()))
        + heap(r.client_id.capacity())
        + match &r.locale {
            std::borrow::Cow::Owned(l) => heap(l.capacity()),
            std::borrow::Cow::Borrowed(_) => 0,
        }
        + [
            &r.first_name,
            &r.last_name,
            &r.success_url,
            &r.error_url,
            &r.unverified_url,
            &r.callback_url,
            &r.date_of_birth,
            &r.date_of_expiry,
            &r.date_of_issue,
            &r.nationality,
            &r.personal_number,
            &r.document_number,
            &r.address,
            &r.external_ref,
            &r.questionnaire,
        ]
        .into_iter()
        .map(text)
        .sum::<usize>();
    let lists = match &r.country {
        None => 0,
        Some(crate::domain::token::Country::One(c)) => heap(c.len()),
        Some(crate::domain::token::Country::Many(list)) => {
            heap(list.capacity() * size_of::<Box<str>>())
                + list.iter().map(|c| heap(c.len())).sum::<usize>()
        }
    } + heap(r.documents.capacity() * size_of::<DocumentType>())
        + heap(r.video_call_questions.capacity() * size_of::<String>())
        + r.video_call_questions
            .iter()
            .map(|q| heap(q.capacity()))
            .sum::<usize>()
        + heap(v.fraud_tags.capacity() * size_of::<FraudTagValue>())
        + heap(v.mismatch_tags.capacity() * size_of::<MismatchTagValue>())
        + v.fraud_tags
            .iter()
            .map(FraudTagValue::heap_bytes)
            .sum::<usize>()
        + v.mismatch_tags
            .iter()
            .map(MismatchTagValue::heap_bytes)
            .sum::<usize>();
    let json = [&r.additional_steps, &r.additional_data]
        .into_iter()
        .map(|j| j.as_ref().map_or(0, |j| heap(j.as_str().len())))
        .sum::<usize>();
    // Feature switches: a B-tree node's share, the key, the value (scalars,
    // a UUID string, or a list of country codes).
    let switches = r
        .switches
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => heap(s.len()),
                serde_json::Value::Array(items) => {
                    heap(items.len() * size_of::<serde_json::Value>())
                        + items
                            .iter()
                            .map(|i| i.as_str().map_or(0, |s| heap(s.len())))
                            .sum::<usize>()
                }
                _ => 0,
            };
            2 * size_of::<(String, serde_json::Value)>() + heap(k.len()) + value
        })
        .sum::<usize>();
    heap(size_of::<Verification>()) + books + strings + lists + json + switches
}

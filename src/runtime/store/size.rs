//! What a stored verification costs in bytes, measured rather than
//! estimated field by field, so a new field is counted without anyone
//! remembering to.

use std::mem::size_of;

use crate::domain::verification::Verification;

/// The fixed part of a stored verification: the value itself (boxed), its
/// entry in the ordered map, its scanRef and token index entries and its
/// deadline, each counted twice (maps run partly empty and grow by
/// doubling), plus the allocator's bookkeeping.
const FIXED: usize = size_of::<Verification>() + 2 * (4 * size_of::<(u64, usize)>() + 64) + 64;

/// What keeping `v` costs: [`FIXED`], its identifiers, and the length of its
/// token request's JSON form, which holds every string, list and JSON text
/// the partner sent once, with their quotes and separators standing in for
/// the allocator's rounding. (The rest of a verification, its results and
/// times, is fixed-size: a result changes no size.)
pub fn stored_bytes(v: &Verification) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing into a counter cannot fail, and a verification always serialises.
    let _ = serde_json::to_writer(&mut count, &v.request);
    // Each identifier is its own heap block, rounded up to the allocator's
    // 16-byte granularity; the token is also the index's key.
    let block = |len: usize| len.next_multiple_of(16);
    let ids = block(v.scan_ref.len())
        + 2 * block(v.auth_token.len())
        + block(v.file_key.len())
        + v.digit_string.as_ref().map_or(0, |d| block(d.len()));
    FIXED + ids + block(count.0)
}

//! POST /api/v2/status, data, files, delete ({"scanRef"}) and add-dummy-status.
#![no_main]

use idenfy_mock::internals::{json_object, scan_ref, ManualReview};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = json_object(data) {
        let _ = scan_ref(&map);
        let _ = ManualReview::parse(&map);
    }
});

//! The verification page's and control API's finish: outcome, face, document, tag.
#![no_main]

use idenfy_mock::internals::Outcome;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (o, f, d, t) = (parts.next(), parts.next(), parts.next(), parts.next());
    if let Some(o) = o {
        if let Ok(outcome) = Outcome::from_parts(o, f, d, t) {
            let _ = outcome.auto_result();
        }
    }
});

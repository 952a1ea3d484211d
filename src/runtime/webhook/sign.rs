//! `Idenfy-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes,
//! keyed with the partner's signing key; no prefix, no timestamp.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error branch cannot be taken.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `sig` (hex, any case) is the signature of `body` under `key`,
/// compared in constant time.
pub fn verify(key: &[u8], body: &[u8], sig: &str) -> bool {
    let Ok(raw) = hex::decode(sig.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_checks_key_and_body() {
        let s = signature(b"k", b"{}");
        assert!(verify(b"k", b"{}", &s));
        assert!(verify(b"k", b"{}", &s.to_uppercase()));
        assert!(!verify(b"k2", b"{}", &s));
        assert!(!verify(b"k", b"{ }", &s));
        assert!(!verify(b"k", b"{}", "zz"));
    }
}

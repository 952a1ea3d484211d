//! Random identifiers: scanRef (UUID v4), authToken (40 alphanumerics),
//! digitString (8 digits) and file keys. Seeded, the sequence is reproducible.

use std::sync::Mutex;

use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

pub struct Ids {
    seeded: Option<Mutex<StdRng>>,
}

impl Ids {
    /// `None`: fresh randomness from the OS-seeded thread generator.
    pub fn new(seed: Option<u64>) -> Ids {
        Ids {
            seeded: seed.map(|s| Mutex::new(StdRng::seed_from_u64(s))),
        }
    }

    fn with_rng<R>(&self, f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
        match &self.seeded {
            Some(m) => f(&mut *m.lock().unwrap_or_else(|p| p.into_inner())),
            None => f(&mut rand::rng()),
        }
    }

    /// A lowercase hyphenated UUID v4 whose first 32 bits are `tag` (the
    /// store's slot for it, disguised); the other 90 bits are random.
    pub fn scan_ref(&self, tag: u32) -> std::sync::Arc<str> {
        let mut bytes: [u8; 16] = self.with_rng(|r| {
            let mut b = [0u8; 16];
            r.fill_bytes(&mut b);
            b
        });
        bytes[..4].copy_from_slice(&tag.to_be_bytes());
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        std::sync::Arc::from(
            &*uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut text),
        )
    }

    /// 40 characters of `[A-Za-z0-9]`: `tag` in the first six (base 62),
    /// then 34 random ones (about 202 bits).
    pub fn auth_token(&self, tag: u32) -> String {
        let mut token = String::with_capacity(40);
        let mut digits = [0u8; TAG_DIGITS];
        let mut rest = u64::from(tag);
        for d in digits.iter_mut().rev() {
            *d = BASE62[(rest % 62) as usize];
            rest /= 62;
        }
        token.extend(digits.iter().map(|&b| char::from(b)));
        self.with_rng(|r| Alphanumeric.append_string(r, &mut token, 40 - TAG_DIGITS));
        token
    }

    /// 8 digits.
    pub fn digit_string(&self) -> String {
        self.with_rng(|r| {
            (0..8)
                .map(|_| char::from(b'0' + r.random_range(0..10u8)))
                .collect()
        })
    }

    /// An unguessable URL part (32 alphanumerics).
    pub fn secret(&self) -> String {
        self.with_rng(|r| Alphanumeric.sample_string(r, 32))
    }
}

/// The tag a scanRef made by [`Ids::scan_ref`] carries: its first eight
/// characters as lowercase hex. Any other text may carry one by chance.
pub fn scan_ref_tag(scan_ref: &str) -> Option<u32> {
    let hex = scan_ref.as_bytes().get(..8)?;
    hex.iter().try_fold(0u32, |n, &b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(n << 4 | u32::from(d))
    })
}

/// The tag an authToken made by [`Ids::auth_token`] carries (its first six
/// characters in base 62).
pub fn auth_token_tag(auth_token: &str) -> Option<u32> {
    let digits = auth_token.as_bytes().get(..TAG_DIGITS)?;
    let n = digits.iter().try_fold(0u64, |n, &b| {
        let d = BASE62.iter().position(|&c| c == b)?;
        Some(n * 62 + d as u64)
    })?;
    u32::try_from(n).ok()
}

/// 62⁶ > 2³²: six base-62 digits hold any tag.
const TAG_DIGITS: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ids = Ids::new(None);
        let s = ids.scan_ref(7);
        assert_eq!(uuid::Uuid::parse_str(&s).unwrap().get_version_num(), 4);
        assert_eq!(*s, s.to_lowercase());
        let t = ids.auth_token(7);
        assert!(t.len() == 40 && t.bytes().all(|b| b.is_ascii_alphanumeric()));
        let d = ids.digit_string();
        assert!(d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn tags_come_back() {
        let ids = Ids::new(None);
        for tag in [0, 1, 61, 62, 0xdead_beef, u32::MAX] {
            assert_eq!(scan_ref_tag(&ids.scan_ref(tag)), Some(tag));
            assert_eq!(auth_token_tag(&ids.auth_token(tag)), Some(tag));
        }
        assert_eq!(scan_ref_tag("ABCDEF01-0000"), None);
        assert_eq!(scan_ref_tag("abc"), None);
        assert_eq!(auth_token_tag("zzzzzz"), None); // 62^6 - 1 > u32::MAX
        assert_eq!(auth_token_tag("abc-de"), None);
    }

    #[test]
    fn seeded_is_reproducible() {
        let (a, b) = (Ids::new(Some(7)), Ids::new(Some(7)));
        assert_eq!(a.scan_ref(1), b.scan_ref(1));
        assert_eq!(a.auth_token(1), b.auth_token(1));
        assert_ne!(Ids::new(Some(8)).scan_ref(1), Ids::new(Some(7)).scan_ref(1));
    }
}

//! Random identifiers: scanRef (UUID v4), authToken (40 alphanumerics),
//! digitString (8 digits) and file keys. Seeded, the sequence is reproducible.

use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use crate::runtime::sync::{Ordered, Rank};

pub struct Ids {
    seeded: Option<Ordered<StdRng>>,
}

impl Ids {
    /// `None`: fresh randomness from the OS-seeded thread generator.
    pub fn new(seed: Option<u64>) -> Ids {
        Ids {
            seeded: seed.map(|s| Ordered::new(Rank::Ids, StdRng::seed_from_u64(s))),
        }
    }

    fn with_rng<R>(&self, f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
        match &self.seeded {
            Some(m) => f(&mut *m.lock()),
            None => f(&mut rand::rng()),
        }
    }

    /// A lowercase hyphenated UUID v4 (122 random bits).
    pub fn scan_ref(&self) -> std::sync::Arc<str> {
        let bytes: [u8; 16] = self.with_rng(|r| {
            let mut b = [0u8; 16];
            r.fill_bytes(&mut b);
            b
        });
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        std::sync::Arc::from(
            &*uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut text),
        )
    }

    /// 40 characters of `[A-Za-z0-9]` (about 238 random bits).
    pub fn auth_token(&self) -> String {
        self.with_rng(|r| Alphanumeric.sample_string(r, 40))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ids = Ids::new(None);
        let s = ids.scan_ref();
        assert_eq!(uuid::Uuid::parse_str(&s).unwrap().get_version_num(), 4);
        assert_eq!(*s, s.to_lowercase());
        let t = ids.auth_token();
        assert!(t.len() == 40 && t.bytes().all(|b| b.is_ascii_alphanumeric()));
        let d = ids.digit_string();
        assert!(d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn seeded_is_reproducible() {
        let (a, b) = (Ids::new(Some(7)), Ids::new(Some(7)));
        assert_eq!(a.scan_ref(), b.scan_ref());
        assert_eq!(a.auth_token(), b.auth_token());
        assert_ne!(Ids::new(Some(8)).scan_ref(), Ids::new(Some(7)).scan_ref());
    }
}

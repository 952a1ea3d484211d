//! Document-expiration notices (`DOCUMENT_EXPIRATION` webhooks): the
//! thresholds before an approved verification's document expires, which one
//! is due when the clock passes them, and the notice's body.
//!
//! A threshold is due at 00:00 UTC of the expiry date minus its days (30,
//! 7, 1, then 0: `DOCUMENT_EXPIRED`). Each is sent once; when the clock
//! jumps past several at once, only the latest is sent.

use serde::Serialize;

super::wire_enum!(
    /// iDenfy's `DocumentExpirationEnum`, nearest expiry last.
    ExpirationThreshold {
        Within30Days = "DOCUMENT_EXPIRES_WITHIN_30_DAYS",
        Within7Days = "DOCUMENT_EXPIRES_WITHIN_7_DAYS",
        Within1Day = "DOCUMENT_EXPIRES_WITHIN_1_DAY",
        Expired = "DOCUMENT_EXPIRED",
    }
);

const DAY: i64 = 86_400;

impl ExpirationThreshold {
    /// Days before the expiry date at which it is due.
    pub fn days_before(self) -> i64 {
        match self {
            ExpirationThreshold::Within30Days => 30,
            ExpirationThreshold::Within7Days => 7,
            ExpirationThreshold::Within1Day => 1,
            ExpirationThreshold::Expired => 0,
        }
    }

    /// The Unix second it is due for a document expiring on the day that
    /// starts at `expiry`.
    pub fn due_at(self, expiry: i64) -> i64 {
        expiry - self.days_before() * DAY
    }
}

/// The latest threshold due at `now` that comes after `sent`: the one to
/// send now (those it skips are not sent).
pub fn due(
    expiry: i64,
    sent: Option<ExpirationThreshold>,
    now: i64,
) -> Option<ExpirationThreshold> {
    ExpirationThreshold::ALL
        .iter()
        .copied()
        .rfind(|t| sent.is_none_or(|s| *t > s) && t.due_at(expiry) <= now)
}

/// When the next threshold after `sent` is due.
pub fn next_at(expiry: i64, sent: Option<ExpirationThreshold>) -> Option<i64> {
    ExpirationThreshold::ALL
        .iter()
        .copied()
        .find(|t| sent.is_none_or(|s| *t > s))
        .map(|t| t.due_at(expiry))
}

/// The body of a `DOCUMENT_EXPIRATION` webhook (iDenfy's
/// `DocumentExpirationWebhook`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notice<'a> {
    scan_ref: &'a str,
    client_id: &'a str,
    expiration_threshold: ExpirationThreshold,
    /// The document's expiry date, `YYYY-MM-DD` as the result's `docExpiry`.
    document_expiration: &'a str,
}

/// The notice's JSON bytes for verification `scan_ref` of `client_id`,
/// whose document expires on `date`.
pub fn body(
    scan_ref: &str,
    client_id: &str,
    threshold: ExpirationThreshold,
    date: &str,
) -> Vec<u8> {
    serde_json::to_vec(&Notice {
        scan_ref,
        client_id,
        expiration_threshold: threshold,
        document_expiration: date,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::ExpirationThreshold as T;
    use super::*;
    use crate::domain::calendar::day_start;

    #[test]
    fn thresholds_fall_due_in_order_and_a_jump_sends_only_the_latest() {
        let expiry = day_start("2030-12-20").unwrap();
        assert_eq!(expiry, 1_923_955_200);
        assert_eq!(next_at(expiry, None), Some(expiry - 30 * DAY));
        assert_eq!(due(expiry, None, expiry - 31 * DAY), None);
        assert_eq!(due(expiry, None, expiry - 30 * DAY), Some(T::Within30Days));
        assert_eq!(due(expiry, Some(T::Within30Days), expiry - 8 * DAY), None);
        assert_eq!(
            next_at(expiry, Some(T::Within30Days)),
            Some(expiry - 7 * DAY)
        );
        // A jump past the 7-day and 1-day thresholds: only the 1-day one.
        assert_eq!(
            due(expiry, Some(T::Within30Days), expiry - 3600),
            Some(T::Within1Day)
        );
        assert_eq!(due(expiry, None, expiry + 5 * DAY), Some(T::Expired));
        assert_eq!(next_at(expiry, Some(T::Expired)), None);
        assert_eq!(due(expiry, Some(T::Expired), expiry + 99 * DAY), None);
    }
}

//! Calendar dates and Unix seconds (UTC, with the `time` crate), for the
//! dates the mock writes and reads: the canned document's dates, AML check
//! dates, the report's times, a document's expiry day.

/// A day of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The UTC day that Unix second `secs` falls on (clamped to the years
    /// -9999 to 9999 the `time` crate knows; the mock's clock stays far inside).
    pub fn of_unix(secs: i64) -> Date {
        let at = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
            time::PrimitiveDateTime::MIN.assume_utc()
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        });
        Date {
            year: i64::from(at.year()),
            month: u8::from(at.month()),
            day: at.day(),
        }
    }

    /// `YYYY-MM-DD`, the form of every date iDenfy sends.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// 00:00 UTC of `date` (`YYYY-MM-DD`) as a Unix second; `None` when it is
/// not such a date.
pub fn day_start(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// Unix second `secs` as `YYYY-MM-DD HH:MM:SS`, UTC.
pub fn utc(secs: i64) -> String {
    let rest = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        Date::of_unix(secs).iso(),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_are_utc() {
        assert_eq!(Date::of_unix(0).iso(), "1970-01-01");
        assert_eq!(Date::of_unix(951_782_400).iso(), "2000-02-29");
        assert_eq!(Date::of_unix(-1).iso(), "1969-12-31");
        assert_eq!(utc(1_764_698_400 + 3_661), "2025-12-02 19:01:01");
        assert!(Date::of_unix(0) < Date::of_unix(86_400));
        assert_eq!(day_start("2000-02-29"), Some(951_782_400));
        assert_eq!(day_start("2030-02-30"), None);
        assert_eq!(day_start("20301220"), None);
        assert_eq!(Date::of_unix(i64::MAX).year, 9999);
    }
}

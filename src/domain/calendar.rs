//! Calendar dates from Unix seconds (UTC, proleptic Gregorian), for the
//! dates the mock writes: the canned document's dates, AML check dates, the
//! report's times.

/// A day of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The UTC day that Unix second `secs` falls on.
    pub fn of_unix(secs: i64) -> Date {
        let days = secs.div_euclid(86_400);
        // Civil-from-days, era-based.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Date {
            year: yoe + era * 400 + i64::from(month <= 2),
            // 1..=12 and 1..=31 by construction.
            month: month as u8,
            day: day as u8,
        }
    }

    /// `YYYY-MM-DD`, the form of every date iDenfy sends.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
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
    }
}

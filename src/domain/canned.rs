//! The canned document: what the mock says iDenfy read from the user's
//! document where the partner sent nothing at token creation, made to agree
//! with the result (an approved document has not expired; a name the result
//! says does not match reads differently).

use super::calendar::Date;

pub const FIRST_NAME: &str = "JOHN";
pub const LAST_NAME: &str = "DOE";
pub const DOCUMENT_NUMBER: &str = "123456";
pub const PERSONAL_CODE: &str = "123456789";
pub const DATE_OF_BIRTH: &str = "1990-12-20";

/// The expiry of the seed example, used while it is comfortably ahead.
const SEED_EXPIRY: Date = Date {
    year: 2030,
    month: 12,
    day: 20,
};

/// Years a canned document is valid.
const VALID_YEARS: i64 = 10;

/// The canned document's expiry and issue dates (`YYYY-MM-DD`) for a
/// verification created at Unix second `created_at`; it was issued ten
/// years before it expires. A valid document has the seed example's dates
/// (2020-12-20 to 2030-12-20) while the creation lies after that issue and
/// more than a year before that expiry, else it expires on 20 December five
/// years after the creation: it has not expired when the result comes,
/// whatever the mock's clock says. An `expired` one (the result says
/// DOC_EXPIRED) expired on 20 December of the year before.
pub fn dates(created_at: i64, expired: bool) -> (String, String) {
    let created = Date::of_unix(created_at);
    let seed_issue = Date {
        year: SEED_EXPIRY.year - VALID_YEARS,
        ..SEED_EXPIRY
    };
    let seed_last = Date {
        year: SEED_EXPIRY.year - 1,
        ..SEED_EXPIRY
    };
    let expiry = if expired {
        Date {
            year: created.year - 1,
            ..SEED_EXPIRY
        }
    } else if seed_issue < created && created < seed_last {
        SEED_EXPIRY
    } else {
        Date {
            year: created.year + 5,
            ..SEED_EXPIRY
        }
    };
    let issue = Date {
        year: expiry.year - VALID_YEARS,
        ..expiry
    };
    (expiry.iso(), issue.iso())
}

/// `name` as a document that does not match it reads it: one letter short
/// (`JOHN` → `JON`, the misreading iDenfy's docs give for a NAME mismatch),
/// or a letter longer when it has fewer than three.
pub fn misread(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() < 3 {
        return format!("{name}A");
    }
    let drop = chars.len() - 2;
    chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, c)| *c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix second of midnight UTC on the day `iso` names.
    fn at(iso: &str) -> i64 {
        crate::domain::calendar::day_start(iso).unwrap()
    }

    #[test]
    fn a_valid_document_expires_after_its_creation() {
        // The seed example's dates while they are a year ahead.
        assert_eq!(
            dates(at("2026-12-07"), false),
            ("2030-12-20".into(), "2020-12-20".into())
        );
        assert_eq!(dates(at("2029-12-19"), false).0, "2030-12-20");
        // Later (a clock moved forward): five years on.
        assert_eq!(
            dates(at("2029-12-20"), false),
            ("2034-12-20".into(), "2024-12-20".into())
        );
        assert_eq!(dates(at("2031-01-01"), false).0, "2036-12-20");
        assert_eq!(
            dates(at("2020-12-20"), false),
            ("2025-12-20".into(), "2015-12-20".into())
        );
        for day in [
            "1970-01-01",
            "2020-12-21",
            "2026-12-07",
            "2030-12-21",
            "2100-06-30",
        ] {
            let (expiry, issue) = dates(at(day), false);
            assert!(expiry.as_str() > day && issue.as_str() < day, "{day}");
            let (expiry, issue) = dates(at(day), true);
            assert!(expiry.as_str() < day && issue < expiry, "{day}");
        }
    }

    #[test]
    fn a_misread_name_differs() {
        assert_eq!(misread("JOHN"), "JON");
        assert_eq!(misread("JOHN TOM"), "JOHN TM");
        assert_eq!(misread("ŽYDRŪNAS"), "ŽYDRŪNS");
        assert_eq!(misread("LI"), "LIA");
        assert_eq!(misread("A"), "AA");
        for name in ["JOHN", "O'NEIL", "ÅSA", "李", "ANNE-MARIE"] {
            assert_ne!(misread(name), name);
        }
    }
}

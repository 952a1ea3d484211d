//! The feature switches a token request may carry (iDenfy's OpenAPI token
//! request: `checkLiveness`, `ageLimit`, `theme`, …). Each is checked against
//! its type, a wrong one being `BAD_VALUE` naming it, and echoed in the 201
//! when sent. None changes the canned result.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::is_country_code;
use crate::domain::fields::{FieldError, FieldResult, Fields};

/// What a switch's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    /// A JSON integer from 0 to 150 (ages).
    Age,
    /// Any JSON number.
    Number,
    /// A UUID string.
    Uuid,
    /// An array of country codes.
    Countries,
}

/// Every switch, by its wire name (the one list the parser, the typo check
/// and the OpenAPI document read).
pub const SWITCHES: &[(&str, Kind)] = &[
    ("reviewSuccessful", Kind::Boolean),
    ("reviewFailed", Kind::Boolean),
    ("checkLiveness", Kind::Boolean),
    ("checkAml", Kind::Boolean),
    ("checkLid", Kind::Boolean),
    ("checkIpProxy", Kind::Boolean),
    ("checkFaceBlacklist", Kind::Boolean),
    ("checkDocFaceBlacklist", Kind::Boolean),
    ("checkDuplicateFaces", Kind::Boolean),
    ("checkDuplicateDocFaces", Kind::Boolean),
    ("checkDuplicatePersonalData", Kind::Boolean),
    ("checkPersonBlacklist", Kind::Boolean),
    ("checkCriminal", Kind::Boolean),
    ("checkDriverLicense", Kind::Boolean),
    ("nfcRequired", Kind::Boolean),
    ("nfcOptional", Kind::Boolean),
    ("driverLicenseBack", Kind::Boolean),
    ("autoAmlMonitoring", Kind::Boolean),
    ("verifyEmail", Kind::Boolean),
    ("verifyPhone", Kind::Boolean),
    ("verifyAddress", Kind::Boolean),
    ("allowBsnMasking", Kind::Boolean),
    ("questionnaireRequired", Kind::Boolean),
    // Bank and bank card checks: booleans in the OpenAPI token request and
    // its 201, with no description or default there.
    ("verifyBank", Kind::Boolean),
    ("verifyBankAccounts", Kind::Boolean),
    ("verifyBankBalances", Kind::Boolean),
    ("verifyBankTransactions", Kind::Boolean),
    ("bankCardVerification", Kind::Boolean),
    ("bankCardPdfUpload", Kind::Boolean),
    ("ageLimit", Kind::Age),
    ("ageMax", Kind::Age),
    ("faceMatchingThresholdModifier", Kind::Number),
    ("riskAssessmentProfile", Kind::Uuid),
    ("theme", Kind::Uuid),
    ("registryCentersCountries", Kind::Countries),
];

/// The switches `f` sends (absent and `null` ones left out), each checked,
/// in the table's order.
pub fn parse(f: &Fields) -> FieldResult<BTreeMap<String, Value>> {
    // A body has a few dozen keys and few switches: each key is looked up
    // in the sorted names, rather than each of the many names in the body.
    let by_name = by_name();
    let mut present: Vec<(usize, &str, Kind)> =
        f.0.keys()
            .filter_map(|key| {
                let at = by_name
                    .binary_search_by(|(n, ..)| (*n).cmp(key.as_str()))
                    .ok()?;
                let (name, kind, place) = by_name[at];
                Some((place, name, kind))
            })
            .collect();
    present.sort_unstable_by_key(|&(place, ..)| place);
    let mut sent = BTreeMap::new();
    for (_, name, kind) in present {
        let Some(value) = f.get(name) else {
            continue;
        };
        let ok = match kind {
            Kind::Boolean => f.boolean(name).map(|_| ()),
            Kind::Age => f.integer_in(name, 0..=150).map(|_| ()),
            Kind::Number if value.is_number() => Ok(()),
            Kind::Number => Err(FieldError::bad(name, "must be a number")),
            Kind::Uuid => match f.string(name)? {
                Some(s) if uuid::Uuid::try_parse(s).is_ok() => Ok(()),
                _ => Err(FieldError::bad(name, "must be a UUID string")),
            },
            Kind::Countries => match f.string_array(name) {
                Ok(Some(list)) if list.iter().all(|c| is_country_code(c)) => Ok(()),
                Err(e @ FieldError::Bad(_)) if e.message().contains("at most") => Err(e),
                _ => Err(FieldError::bad(
                    name,
                    "must be an array of ISO 3166-1 alpha-2 codes",
                )),
            },
        };
        ok?;
        sent.insert(name.to_owned(), value.clone());
    }
    Ok(sent)
}

/// [`SWITCHES`] sorted by name, each with its place in the table.
fn by_name() -> &'static [(&'static str, Kind, usize)] {
    static SORTED: OnceLock<Vec<(&'static str, Kind, usize)>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut sorted: Vec<_> = SWITCHES
            .iter()
            .enumerate()
            .map(|(place, &(name, kind))| (name, kind, place))
            .collect();
        sorted.sort_unstable_by_key(|&(name, ..)| name);
        sorted
    })
}

/// What the OpenAPI document says a switch's value is.
pub fn schema_of(kind: Kind) -> Value {
    match kind {
        Kind::Boolean => serde_json::json!({"type": ["boolean", "null"]}),
        Kind::Age => serde_json::json!({"type": ["integer", "null"], "minimum": 0, "maximum": 150}),
        Kind::Number => serde_json::json!({"type": ["number", "null"]}),
        Kind::Uuid => serde_json::json!({"type": ["string", "null"], "format": "uuid"}),
        Kind::Countries => serde_json::json!({
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "maxItems": crate::domain::fields::MAX_ARRAY_ITEMS
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::object_of;
    use serde_json::json;

    fn parsed(v: Value) -> FieldResult<BTreeMap<String, Value>> {
        parse(&Fields(&object_of(&v)))
    }

    #[test]
    fn switches_are_type_checked_and_kept_as_sent() {
        let sent = parsed(json!({"checkLiveness": true, "ageLimit": 18,
            "faceMatchingThresholdModifier": -0.5, "theme": "3f1c1f4e-2f55-4b1e-9d4a-5c2f0b7f9e10",
            "registryCentersCountries": ["lt", "LV"], "reviewFailed": null, "other": 1}))
        .unwrap();
        assert_eq!(
            Value::Object(sent.into_iter().collect()),
            json!({"checkLiveness": true, "ageLimit": 18, "faceMatchingThresholdModifier": -0.5,
                "theme": "3f1c1f4e-2f55-4b1e-9d4a-5c2f0b7f9e10",
                "registryCentersCountries": ["lt", "LV"]})
        );
        assert_eq!(parsed(json!({})).unwrap().len(), 0);
        for (body, field) in [
            (json!({"checkAml": "yes"}), "checkAml"),
            (json!({"ageLimit": 18.5}), "ageLimit"),
            (json!({"ageMax": 151}), "ageMax"),
            (
                json!({"faceMatchingThresholdModifier": "1"}),
                "faceMatchingThresholdModifier",
            ),
            (
                json!({"riskAssessmentProfile": "not-a-uuid"}),
                "riskAssessmentProfile",
            ),
            (json!({"theme": 5}), "theme"),
            (
                json!({"registryCentersCountries": ["XX"]}),
                "registryCentersCountries",
            ),
            (
                json!({"registryCentersCountries": "LT"}),
                "registryCentersCountries",
            ),
        ] {
            match parsed(body.clone()) {
                Err(FieldError::Bad(m)) => assert!(m.contains(&format!("'{field}'")), "{m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_switch_is_documented_once() {
        let mut names: Vec<&str> = SWITCHES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SWITCHES.len());
        for (_, kind) in SWITCHES {
            assert!(schema_of(*kind)["type"].is_array());
        }
    }
}

//! The rules for single values of a token request: limits, countries,
//! language tags, names, dates, URLs.

use serde_json::Value;

use super::{Country, DocumentType, TokenDefaults};
use crate::domain::fields::JsonText;
use crate::domain::fields::{FieldError, FieldResult, Fields};
use crate::domain::url::HttpUrl;

/// Largest `expiryTime` (30 days).
pub const MAX_EXPIRY_TIME: u32 = 2_592_000;

/// Size limits of the free-form fields iDenfy states none for (its own,
/// e.g. 1..100 for names, are checked where each field is read).
pub const MAX_QUESTIONNAIRE_CHARS: usize = 100;
pub const MAX_VIDEO_CALL_QUESTIONS: usize = 20;
pub const MAX_VIDEO_CALL_QUESTION_CHARS: usize = 500;
/// `additionalSteps` and `additionalData`, each, written as compact JSON.
pub const MAX_JSON_OBJECT_BYTES: usize = 16 * 1024;
/// Levels of objects and arrays in them, the field's own object included.
pub const MAX_JSON_DEPTH: usize = 8;

/// `locale` values iDenfy's UI supports.
pub const LOCALES: &[&str] = &[
    "lt", "en", "ru", "pl", "lv", "et", "ro", "it", "de", "fr", "sv", "es", "hu", "ja", "bg", "cs",
    "nl", "pt", "uk", "vi", "sk", "th", "hi", "id",
];

/// ISO 3166-1 alpha-2 codes (officially assigned).
pub(super) const ISO_COUNTRIES: &str =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE \
DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS \
GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW \
KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW \
MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO \
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM \
TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` is an ISO 3166-1 alpha-2 code, or `XK` (Kosovo, which
/// iDenfy accepts), in any letter case.
///
/// [`ISO_COUNTRIES`] is sorted with one space between codes, so code `i`
/// is at bytes `3 * i` and a binary search finds one in eight steps (a
/// token request checks up to three codes).
pub fn is_country_code(code: &str) -> bool {
    let &[a, b] = code.as_bytes() else {
        return false;
    };
    let wanted = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
    if &wanted == b"XK" {
        return true;
    }
    let list = ISO_COUNTRIES.as_bytes();
    let (mut low, mut high) = (0, list.len().div_ceil(3));
    while low < high {
        let mid = (low + high) / 2;
        match list[3 * mid..3 * mid + 2].cmp(&wanted[..]) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A language tag of at most 7 characters: a language of 2 or 3 letters,
/// then optionally `-` or `_` and a region or script of 2 to 4 letters or
/// digits (`ko`, `yue`, `pt-BR`, `zh_Hant`). Nothing else, so the tag can
/// go into the page's URL as it is.
pub fn is_language_tag(s: &str) -> bool {
    let (language, rest) = match s.find(['-', '_']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    s.len() <= 7
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && rest.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

pub(super) fn name(f: &Fields, field: &str) -> FieldResult<Option<String>> {
    let Some(s) = f.string_len(field, 1, 100)? else {
        return Ok(None);
    };
    if !is_person_name(s) {
        return Err(FieldError::bad(
            field,
            format!("must contain a letter, and no digits or any of {NAME_FORBIDDEN}"),
        ));
    }
    Ok(Some(s.to_uppercase()))
}

/// The characters iDenfy's documentation forbids in names (besides digits).
pub const NAME_FORBIDDEN: &str = "~!@#$%^*()_+={}[]|:;\",<>/?";

/// A name as iDenfy documents it: at least one letter, no digits, none of
/// [`NAME_FORBIDDEN`] and no control characters; every other character
/// (letters of any script, `&`, `’`, `` ` ``, `'`, `-`, `.`) is accepted.
pub fn is_person_name(s: &str) -> bool {
    s.chars()
        .all(|c| !c.is_numeric() && !c.is_control() && !NAME_FORBIDDEN.contains(c))
        && s.chars().any(char::is_alphabetic)
}

pub(super) fn date(f: &Fields, field: &str) -> FieldResult<Option<String>> {
    match f.string(field)? {
        None => Ok(None),
        Some(s) if is_calendar_date(s) => Ok(Some(s.to_owned())),
        Some(_) => Err(FieldError::bad(
            field,
            "must be a real calendar date in YYYY-MM-DD format",
        )),
    }
}

/// `YYYY-MM-DD` naming a day that exists (leap years included).
pub fn is_calendar_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}

fn country(f: &Fields, field: &str) -> FieldResult<Option<String>> {
    match f.string(field)? {
        None => Ok(None),
        Some(s) if is_country_code(s) => Ok(Some(s.to_owned())),
        Some(_) => Err(FieldError::bad(
            field,
            "must be a valid ISO 3166-1 alpha-2 code",
        )),
    }
}

/// `country`: one code, or an array of at most [`MAX_ARRAY_ITEMS`] codes
/// (an empty one counts as not given).
pub(super) fn countries(f: &Fields) -> FieldResult<Option<Country>> {
    const RULE: &str = "must be a valid ISO 3166-1 alpha-2 code, or an array of them";
    match f.get("country") {
        Some(Value::Array(_)) => match f.string_array("country") {
            Ok(Some(list)) if list.iter().all(|c| is_country_code(c)) => Ok((!list.is_empty())
                .then(|| Country::Many(list.into_iter().map(str::to_owned).collect()))),
            Err(FieldError::Bad(m)) if m.contains("at most") => Err(FieldError::Bad(m)),
            _ => Err(FieldError::bad("country", RULE)),
        },
        _ => Ok(country(f, "country")?.map(Country::One)),
    }
}

/// `nationality`: a country code, or `ALL` (any case), which sets none; both
/// are kept as sent.
pub(super) fn nationality(f: &Fields) -> FieldResult<Option<String>> {
    match f.string("nationality")? {
        Some(s) if s.eq_ignore_ascii_case("ALL") => Ok(Some(s.to_owned())),
        Some(s) if !is_country_code(s) => Err(FieldError::bad(
            "nationality",
            "must be a valid ISO 3166-1 alpha-2 code (or XK), or ALL",
        )),
        _ => country(f, "nationality"),
    }
}

/// `videoCallQuestions`: at most 20 questions of at most 500 characters.
pub(super) fn video_call_questions(f: &Fields) -> FieldResult<Vec<String>> {
    let too_many = || {
        FieldError::bad(
            "videoCallQuestions",
            format!(
                "may hold at most {MAX_VIDEO_CALL_QUESTIONS} questions of at most \
                 {MAX_VIDEO_CALL_QUESTION_CHARS} characters each"
            ),
        )
    };
    // Counted before the general array limit, so the message is this field's.
    if let Some(Value::Array(items)) = f.get("videoCallQuestions") {
        if items.len() > MAX_VIDEO_CALL_QUESTIONS {
            return Err(too_many());
        }
    }
    let list = f.string_array("videoCallQuestions")?.unwrap_or_default();
    if list
        .iter()
        .any(|q| q.chars().count() > MAX_VIDEO_CALL_QUESTION_CHARS)
    {
        return Err(too_many());
    }
    Ok(list.into_iter().map(str::to_owned).collect())
}

pub(super) const NO_CONTROL_CHARACTERS: &str = "must be an http(s) URL without control characters";

/// Any ASCII control character (CR, LF, TAB, NUL, DEL...). Checked on the
/// raw text: URL parsers silently drop tabs and newlines, which would let a
/// header or log line be forged with what is echoed back.
pub fn has_control_characters(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_control())
}

pub(super) fn redirect_url(f: &Fields, field: &str) -> FieldResult<Option<String>> {
    match f.string(field)? {
        None => Ok(None),
        Some(u) if has_control_characters(u) => Err(FieldError::bad(field, NO_CONTROL_CHARACTERS)),
        Some(u) if (5..=2048).contains(&u.len()) && HttpUrl::parse(u).is_ok() => {
            Ok(Some(u.to_owned()))
        }
        Some(_) => Err(FieldError::bad(
            field,
            "must be an http(s) URL of 5 to 2048 characters",
        )),
    }
}

/// `clientId` (or the legacy `personScanRef`): 1 to 100 printable ASCII
/// characters.
pub(super) fn client_id(f: &Fields) -> FieldResult<String> {
    let (field, id) = match f.string("clientId")? {
        Some(s) => ("clientId", s),
        None => match f.string("personScanRef")? {
            Some(s) => ("personScanRef", s),
            None => return Err(FieldError::missing("clientId")),
        },
    };
    if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(FieldError::bad(
            field,
            "must be 1 to 100 printable ASCII characters",
        ));
    }
    Ok(id.to_owned())
}

/// `documents`: known document types (at most 50, the general array
/// limit); absent or empty: the partner's default list.
pub(super) fn documents(f: &Fields, defaults: &TokenDefaults) -> FieldResult<Vec<DocumentType>> {
    match f.string_array("documents")? {
        None => Ok(defaults.documents.clone()),
        Some(list) if list.is_empty() => Ok(defaults.documents.clone()),
        Some(list) => list
            .into_iter()
            .map(|d| {
                DocumentType::parse(d).ok_or_else(|| {
                    FieldError::bad(
                        "documents",
                        format!("may only contain: {}", DocumentType::list()),
                    )
                })
            })
            .collect(),
    }
}

/// `locale`: any language tag, kept as sent (iDenfy shows English for one
/// it does not support); absent: the partner's default.
pub(super) fn locale(f: &Fields, defaults: &TokenDefaults) -> FieldResult<String> {
    match f.string("locale")? {
        // Config validation keeps the default among LOCALES.
        None => Ok(defaults.locale.clone()),
        Some(l) if is_language_tag(l) => Ok(l.to_owned()),
        Some(_) => Err(FieldError::bad(
            "locale",
            "must be a language tag such as 'en', 'ko' or 'pt-BR' (at most 7 characters)",
        )),
    }
}

/// `callbackUrl`: an http(s) URL of at most 2048 characters.
pub(super) fn callback_url(f: &Fields) -> FieldResult<Option<String>> {
    match f.string("callbackUrl")? {
        None => Ok(None),
        Some(u) if has_control_characters(u) => {
            Err(FieldError::bad("callbackUrl", NO_CONTROL_CHARACTERS))
        }
        Some(u) if u.len() <= 2048 && HttpUrl::parse(u).is_ok() => Ok(Some(u.to_owned())),
        Some(_) => Err(FieldError::bad(
            "callbackUrl",
            "must be an http(s) URL of at most 2048 characters",
        )),
    }
}

/// `additionalSteps` and `additionalData` (bounded JSON objects): the
/// steps exclude `utilityBill`, and the data needs the steps.
pub(super) fn additional_steps(
    f: &Fields,
    utility_bill: bool,
) -> FieldResult<(Option<JsonText>, Option<JsonText>)> {
    let steps = f.object("additionalSteps", MAX_JSON_OBJECT_BYTES, MAX_JSON_DEPTH)?;
    let data = f.object("additionalData", MAX_JSON_OBJECT_BYTES, MAX_JSON_DEPTH)?;
    if utility_bill && steps.is_some() {
        return Err(FieldError::bad(
            "utilityBill",
            "cannot be used together with 'additionalSteps'",
        ));
    }
    if data.is_some() && steps.is_none() {
        return Err(FieldError::bad(
            "additionalData",
            "can only be used together with 'additionalSteps'",
        ));
    }
    Ok((steps, data))
}

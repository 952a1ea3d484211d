//! `POST /api/v2/token` request: parsed once into a typed, normalised value
//! or refused with an error that names the field.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::fields::{FieldError, FieldResult, Fields, JsonText, Object};
use super::settings::{is_http_url, Defaults};
use super::status::DummyStatus;
use super::wire_enum;

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
const ISO_COUNTRIES: &str =
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
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && code.is_ascii()
        && ISO_COUNTRIES
            .split_ascii_whitespace()
            .chain(["XK"])
            .any(|c| c.eq_ignore_ascii_case(code))
}

wire_enum!(
    /// Identity document types.
    DocumentType {
        IdCard = "ID_CARD",
        Passport = "PASSPORT",
        ResidencePermit = "RESIDENCE_PERMIT",
        DriverLicense = "DRIVER_LICENSE",
        Other = "OTHER",
        Aadhaar = "AADHAAR",
        PanCard = "PAN_CARD",
        Visa = "VISA",
        BorderCrossing = "BORDER_CROSSING",
        Asylum = "ASYLUM",
        NationalPassport = "NATIONAL_PASSPORT",
        InternationalPassport = "INTERNATIONAL_PASSPORT",
        VoterCard = "VOTER_CARD",
        OldIdCard = "OLD_ID_CARD",
        TravelCard = "TRAVEL_CARD",
        PhotoCard = "PHOTO_CARD",
        MilitaryCard = "MILITARY_CARD",
        ProofOfAgeCard = "PROOF_OF_AGE_CARD",
        DiplomaticId = "DIPLOMATIC_ID",
        // iDenfy's OpenAPI KycDocumentTypeEnum adds these.
        ProvisionalDriverLicense = "PROVISIONAL_DRIVER_LICENSE",
        AddressCard = "ADDRESS_CARD",
        SmartId = "SMART_ID",
        Clear = "CLEAR",
        OneId = "ONE_ID",
        BankIdSe = "BANK_ID_SE",
        BankIdNo = "BANK_ID_NO",
        BankIdCz = "BANK_ID_CZ",
        Ftn = "FTN",
        MitId = "MIT_ID",
        Verimi = "VERIMI",
        LaWallet = "LA_WALLET",
        SamsungWallet = "SAMSUNG_WALLET",
        MojeIdCz = "MOJE_ID_CZ",
        YotiId = "YOTI_ID",
        SocialSecurityCard = "SOCIAL_SECURITY_CARD",
        WorkPermit = "WORK_PERMIT",
    }
);

wire_enum!(
    /// `tokenType` values.
    TokenType {
        Identification = "IDENTIFICATION",
        Document = "DOCUMENT",
        VideoCall = "VIDEO_CALL",
        VideoCallPhotos = "VIDEO_CALL_PHOTOS",
        VideoCallIdentification = "VIDEO_CALL_IDENTIFICATION",
    }
);

wire_enum!(
    /// `sex` as sent on token creation.
    Sex { Male = "M", Female = "F" }
);

impl Sex {
    /// The spelling the webhook's `docSex` uses.
    pub fn long_name(self) -> &'static str {
        match self {
            Sex::Male => "MALE",
            Sex::Female => "FEMALE",
        }
    }
}

/// A validated token request, normalised as the response echoes it (names
/// uppercased, defaults applied). Field names are the wire names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub client_id: String,
    pub first_name: Option<Box<str>>,
    pub last_name: Option<Box<str>>,
    pub success_url: Option<Box<str>>,
    pub error_url: Option<Box<str>>,
    pub unverified_url: Option<Box<str>>,
    pub callback_url: Option<Box<str>>,
    pub locale: Cow<'static, str>,
    pub show_instructions: bool,
    pub country: Option<Country>,
    pub expiry_time: u32,
    pub session_length: u32,
    pub documents: Vec<DocumentType>,
    pub date_of_birth: Option<Box<str>>,
    pub date_of_expiry: Option<Box<str>>,
    pub date_of_issue: Option<Box<str>>,
    pub nationality: Option<Box<str>>,
    pub personal_number: Option<Box<str>>,
    pub document_number: Option<Box<str>>,
    pub sex: Option<Sex>,
    pub address: Option<Box<str>>,
    pub token_type: TokenType,
    pub external_ref: Option<Box<str>>,
    pub generate_digit_string: bool,
    pub utility_bill: bool,
    /// Kept as compact JSON text (echoed as the same object).
    #[schema(value_type = Option<Object>)]
    pub additional_steps: Option<JsonText>,
    #[schema(value_type = Option<Object>)]
    pub additional_data: Option<JsonText>,
    pub questionnaire: Option<Box<str>>,
    pub video_call_questions: Vec<String>,
    /// DEV only; never echoed.
    #[serde(skip)]
    #[schema(ignore)]
    pub dummy_status: Option<DummyStatus>,
    /// The feature switches sent ([`super::switches`]), echoed as sent.
    #[serde(flatten)]
    #[schema(ignore)]
    pub switches: BTreeMap<String, Value>,
}

impl TokenRequest {
    /// Parses a request body object, applying the partner's `defaults`.
    /// Fields are checked in a fixed order so the same bad body always gets
    /// the same message; unknown keys are ignored.
    pub fn parse(body: &Object, defaults: &Defaults) -> FieldResult<TokenRequest> {
        let f = Fields(body);
        let client_id = match f.string("clientId")? {
            Some(s) => ("clientId", s),
            None => match f.string("personScanRef")? {
                Some(s) => ("personScanRef", s),
                None => return Err(FieldError::missing("clientId")),
            },
        };
        let (id_field, client_id) = client_id;
        if client_id.is_empty()
            || client_id.len() > 100
            || !client_id.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(FieldError::bad(
                id_field,
                "must be 1 to 100 printable ASCII characters",
            ));
        }

        let first_name = name(&f, "firstName")?;
        let last_name = name(&f, "lastName")?;
        let date_of_birth = date(&f, "dateOfBirth")?;
        let date_of_expiry = date(&f, "dateOfExpiry")?;
        let date_of_issue = date(&f, "dateOfIssue")?;
        let sex = f.one_of("sex", Sex::parse, Sex::list)?;
        let nationality = nationality(&f)?;
        let country = countries(&f)?;
        let personal_number = f.string_len("personalNumber", 1, 50)?.map(Box::from);
        let document_number = f.string_len("documentNumber", 1, 50)?.map(Box::from);
        let address = f.string_len("address", 0, 255)?.map(Box::from);

        // At most 50 entries (the general array limit).
        let documents = match f.string_array("documents")? {
            None => defaults.documents.clone(),
            Some(list) if list.is_empty() => defaults.documents.clone(),
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
                .collect::<FieldResult<Vec<_>>>()?,
        };

        let locale =
            match f.string("locale")? {
                // Config validation keeps the default among LOCALES.
                None => known_locale(&defaults.locale)
                    .unwrap_or_else(|| Cow::Owned(defaults.locale.clone())),
                // iDenfy shows English for a locale it does not support, so any
                // language tag is accepted and kept as sent.
                Some(l) if is_language_tag(l) => {
                    known_locale(l).unwrap_or_else(|| Cow::Owned(l.to_owned()))
                }
                Some(_) => return Err(FieldError::bad(
                    "locale",
                    "must be a language tag such as 'en', 'ko' or 'pt-BR' (at most 7 characters)",
                )),
            };
        let show_instructions = f.boolean("showInstructions")?.unwrap_or(true);
        let expiry_time = f
            .integer_in("expiryTime", 0..=i64::from(MAX_EXPIRY_TIME))?
            .map_or(defaults.expiry_time, |v| v as u32);
        let session_length = f
            .integer_in("sessionLength", 60..=3600)?
            .map_or(defaults.session_length, |v| v as u32);

        let success_url = redirect_url(&f, "successUrl")?;
        let error_url = redirect_url(&f, "errorUrl")?;
        let unverified_url = redirect_url(&f, "unverifiedUrl")?;
        let callback_url = match f.string("callbackUrl")? {
            None => None,
            Some(u) if has_control_characters(u) => {
                return Err(FieldError::bad("callbackUrl", NO_CONTROL_CHARACTERS))
            }
            Some(u) if u.len() <= 2048 && is_http_url(u) => Some(Box::from(u)),
            Some(_) => {
                return Err(FieldError::bad(
                    "callbackUrl",
                    "must be an http(s) URL of at most 2048 characters",
                ))
            }
        };

        let token_type = f
            .one_of("tokenType", TokenType::parse, TokenType::list)?
            .unwrap_or(TokenType::Identification);
        let external_ref = f.string_len("externalRef", 0, 40)?.map(Box::from);
        let generate_digit_string = f.boolean("generateDigitString")?.unwrap_or(false);
        let utility_bill = f.boolean("utilityBill")?.unwrap_or(false);
        let additional_steps =
            f.object("additionalSteps", MAX_JSON_OBJECT_BYTES, MAX_JSON_DEPTH)?;
        let additional_data = f.object("additionalData", MAX_JSON_OBJECT_BYTES, MAX_JSON_DEPTH)?;
        if utility_bill && additional_steps.is_some() {
            return Err(FieldError::bad(
                "utilityBill",
                "cannot be used together with 'additionalSteps'",
            ));
        }
        if additional_data.is_some() && additional_steps.is_none() {
            return Err(FieldError::bad(
                "additionalData",
                "can only be used together with 'additionalSteps'",
            ));
        }
        let questionnaire = f
            .string_len("questionnaire", 0, MAX_QUESTIONNAIRE_CHARS)?
            .map(Box::from);
        let video_call_questions = video_call_questions(&f)?;
        let switches = super::switches::parse(&f)?;
        let dummy_status = f.one_of("dummyStatus", DummyStatus::parse, DummyStatus::list)?;

        Ok(TokenRequest {
            client_id: client_id.to_owned(),
            first_name,
            last_name,
            success_url,
            error_url,
            unverified_url,
            callback_url,
            locale,
            show_instructions,
            country,
            expiry_time,
            session_length,
            documents,
            date_of_birth,
            date_of_expiry,
            date_of_issue,
            nationality,
            personal_number,
            document_number,
            sex,
            address,
            token_type,
            external_ref,
            generate_digit_string,
            utility_bill,
            additional_steps,
            additional_data,
            questionnaire,
            video_call_questions,
            dummy_status,
            switches,
        })
    }

    /// `allowedDocuments`: each selected country (uppercased), or `ALL`,
    /// mapped to the document list.
    pub fn allowed_documents(&self) -> AllowedDocuments<'_> {
        AllowedDocuments {
            country: self.country.as_ref(),
            documents: &self.documents,
        }
    }

    /// A boolean feature switch as sent (`reviewSuccessful`, …); `None`
    /// when it was not sent or sent as `null`.
    pub fn switch(&self, name: &str) -> Option<bool> {
        self.switches.get(name).and_then(Value::as_bool)
    }

    /// The country the verification runs in: the first one sent.
    pub fn selected_country(&self) -> Option<&str> {
        self.country.as_ref().and_then(|c| c.codes().next())
    }
}

/// `country` as sent: one code, or a list of them ("lock to these
/// countries"), each kept in the case it was sent in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Country {
    One(Box<str>),
    Many(Vec<Box<str>>),
}

impl Country {
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Country::One(c) => (Some(&**c), &[][..]),
            Country::Many(list) => (None, &list[..]),
        };
        one.into_iter().chain(many.iter().map(|c| &**c))
    }
}

/// `allowedDocuments` of a token: an entry per country, serialised as a
/// JSON object without building a map.
#[derive(Debug, Clone, Copy)]
pub struct AllowedDocuments<'a> {
    country: Option<&'a Country>,
    pub documents: &'a [DocumentType],
}

impl AllowedDocuments<'_> {
    /// The countries uppercased, or `ALL`.
    pub fn keys(&self) -> Vec<String> {
        match self.country {
            Some(c) => c.codes().map(str::to_ascii_uppercase).collect(),
            None => vec!["ALL".into()],
        }
    }
}

impl Serialize for AllowedDocuments<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self.country {
            // One ISO code is two ASCII letters: uppercase it on the stack.
            Some(Country::One(c)) if c.len() == 2 => {
                let upper = [
                    c.as_bytes()[0].to_ascii_uppercase(),
                    c.as_bytes()[1].to_ascii_uppercase(),
                ];
                map.serialize_entry(std::str::from_utf8(&upper).unwrap_or(c), self.documents)?;
            }
            _ => {
                // A country listed twice gets one entry.
                let keys = self.keys();
                let mut seen = std::collections::HashSet::new();
                for key in keys.iter().filter(|k| seen.insert(k.as_str())) {
                    map.serialize_entry(key, self.documents)?;
                }
            }
        }
        map.end()
    }
}

/// Every key a token request may use: the fields the 201 echoes (read from
/// [`TokenRequest`]'s schema, so the list cannot drift), the legacy
/// `personScanRef`, `dummyStatus` and the feature switches.
pub fn known_fields() -> &'static [String] {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        use utoipa::openapi::{schema::Schema, RefOr};
        let mut known: Vec<String> = match <TokenRequest as utoipa::PartialSchema>::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => Vec::new(),
        };
        known.extend(["personScanRef", "dummyStatus"].map(String::from));
        known.extend(super::switches::SWITCHES.iter().map(|(n, _)| n.to_string()));
        // Sorted, so a body's keys are looked up by binary search.
        known.sort_unstable();
        known
    })
}

/// The keys of `body` no token request field has, each with the known
/// field it most likely meant (`dumyStatus` → `dummyStatus`, `clientID` →
/// `clientId`), if one is near.
pub fn unknown_fields(body: &Object) -> Vec<(&str, Option<&'static str>)> {
    let known = known_fields();
    body.keys()
        .filter(|k| known.binary_search_by(|f| f.as_str().cmp(k)).is_err())
        .map(|k| (k.as_str(), closest(k, known)))
        .collect()
}

/// The known field at the smallest edit distance from `key`, ignoring case,
/// if that is at most 2 (or a third of the key's length, for long keys).
fn closest(key: &str, known: &'static [String]) -> Option<&'static str> {
    if key.len() > 64 {
        return None;
    }
    let key = key.to_ascii_lowercase();
    let limit = 2.max(key.chars().count() / 3);
    known
        .iter()
        .map(|f| {
            (
                strsim::damerau_levenshtein(&key, &f.to_ascii_lowercase()),
                f,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f.as_str())
}

/// True when `dummyStatus` is present (and not null) in a raw body: the DEV-only
/// check runs before the body's fields are validated.
pub fn asks_for_dummy(body: &Object) -> bool {
    Fields(body).get("dummyStatus").is_some()
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

/// The supported locale spelled `s`, without allocating.
fn known_locale(s: &str) -> Option<Cow<'static, str>> {
    LOCALES.iter().find(|&&l| l == s).map(|&l| Cow::Borrowed(l))
}

fn name(f: &Fields, field: &str) -> FieldResult<Option<Box<str>>> {
    let Some(s) = f.string_len(field, 1, 100)? else {
        return Ok(None);
    };
    if !is_person_name(s) {
        return Err(FieldError::bad(
            field,
            format!("must contain a letter, and no digits or any of {NAME_FORBIDDEN}"),
        ));
    }
    Ok(Some(s.to_uppercase().into_boxed_str()))
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

fn date(f: &Fields, field: &str) -> FieldResult<Option<Box<str>>> {
    match f.string(field)? {
        None => Ok(None),
        Some(s) if is_calendar_date(s) => Ok(Some(Box::from(s))),
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

fn country(f: &Fields, field: &str) -> FieldResult<Option<Box<str>>> {
    match f.string(field)? {
        None => Ok(None),
        Some(s) if is_country_code(s) => Ok(Some(Box::from(s))),
        Some(_) => Err(FieldError::bad(
            field,
            "must be a valid ISO 3166-1 alpha-2 code",
        )),
    }
}

/// `country`: one code, or an array of at most [`MAX_ARRAY_ITEMS`] codes
/// (an empty one counts as not given).
fn countries(f: &Fields) -> FieldResult<Option<Country>> {
    const RULE: &str = "must be a valid ISO 3166-1 alpha-2 code, or an array of them";
    match f.get("country") {
        Some(Value::Array(_)) => match f.string_array("country") {
            Ok(Some(list)) if list.iter().all(|c| is_country_code(c)) => Ok((!list.is_empty())
                .then(|| Country::Many(list.into_iter().map(Box::from).collect()))),
            Err(FieldError::Bad(m)) if m.contains("at most") => Err(FieldError::Bad(m)),
            _ => Err(FieldError::bad("country", RULE)),
        },
        _ => Ok(country(f, "country")?.map(Country::One)),
    }
}

/// `nationality`: a country code, or `ALL` (any case), which sets none; both
/// are kept as sent.
fn nationality(f: &Fields) -> FieldResult<Option<Box<str>>> {
    match f.string("nationality")? {
        Some(s) if s.eq_ignore_ascii_case("ALL") => Ok(Some(Box::from(s))),
        Some(s) if !is_country_code(s) => Err(FieldError::bad(
            "nationality",
            "must be a valid ISO 3166-1 alpha-2 code (or XK), or ALL",
        )),
        _ => country(f, "nationality"),
    }
}

/// `videoCallQuestions`: at most 20 questions of at most 500 characters.
fn video_call_questions(f: &Fields) -> FieldResult<Vec<String>> {
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

const NO_CONTROL_CHARACTERS: &str = "must be an http(s) URL without control characters";

/// Any ASCII control character (CR, LF, TAB, NUL, DEL...). Checked on the
/// raw text: URL parsers silently drop tabs and newlines, which would let a
/// header or log line be forged with what is echoed back.
pub fn has_control_characters(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_control())
}

fn redirect_url(f: &Fields, field: &str) -> FieldResult<Option<Box<str>>> {
    match f.string(field)? {
        None => Ok(None),
        Some(u) if has_control_characters(u) => Err(FieldError::bad(field, NO_CONTROL_CHARACTERS)),
        Some(u) if (5..=2048).contains(&u.len()) && is_http_url(u) => Ok(Some(Box::from(u))),
        Some(_) => Err(FieldError::bad(
            field,
            "must be an http(s) URL of 5 to 2048 characters",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(v: Value) -> FieldResult<TokenRequest> {
        TokenRequest::parse(
            &crate::domain::fields::object_of(&v),
            &crate::domain::settings::testing::defaults(),
        )
    }

    #[test]
    fn country_list_is_complete() {
        assert_eq!(ISO_COUNTRIES.split_ascii_whitespace().count(), 249);
        assert!(is_country_code("lt") && is_country_code("LT") && is_country_code("Gb"));
        assert!(!is_country_code("XX") && !is_country_code("LTU") && !is_country_code("ŁT"));
    }

    #[test]
    fn dates() {
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("1900-02-29"));
        assert!(is_calendar_date("2000-02-29"));
        assert!(!is_calendar_date("2020-13-01"));
        assert!(!is_calendar_date("2020-1-01"));
        assert!(!is_calendar_date("2020-01-01T00"));
        assert!(!is_calendar_date("+020-01-01"));
        assert!(!is_calendar_date("２０２０-01-01"));
    }

    #[test]
    fn names() {
        assert!(is_person_name("John Tom"));
        assert!(is_person_name("O'Brien-Smith Jr."));
        assert!(is_person_name("Jūratė"));
        assert!(is_person_name("Иван"));
        assert!(!is_person_name("John2"));
        assert!(!is_person_name("a@b"));
        assert!(!is_person_name(" - "));
        // iDenfy forbids only digits and these; everything else is a name.
        assert!(is_person_name("Tom & Jerry"));
        assert!(is_person_name("O’Brien"));
        assert!(is_person_name("d`Artagnan"));
        for c in NAME_FORBIDDEN.chars() {
            assert!(!is_person_name(&format!("Ann{c}")), "{c}");
        }
        assert!(!is_person_name("Ann\u{0}"));
        assert!(!is_person_name("Ann٣"), "digits of any script");
    }

    #[test]
    fn defaults_apply() {
        let t = parse(json!({"clientId": "c"})).unwrap();
        assert_eq!(t.locale, "en");
        assert_eq!(t.expiry_time, 3600);
        assert_eq!(t.session_length, 600);
        assert_eq!(t.documents.len(), 4);
        assert!(t.show_instructions);
        assert_eq!(t.token_type, TokenType::Identification);
        assert_eq!(t.allowed_documents().keys(), ["ALL"]);
        assert_eq!(
            serde_json::to_value(t.allowed_documents()).unwrap(),
            json!({"ALL": ["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE"]})
        );
    }

    #[test]
    fn legacy_person_scan_ref_alias() {
        assert_eq!(parse(json!({"personScanRef": "p"})).unwrap().client_id, "p");
        assert_eq!(parse(json!({})), Err(FieldError::missing("clientId")));
    }

    #[test]
    fn typos_find_the_field_they_meant() {
        let body =
            crate::domain::fields::object_of(&json!({"clientId": "c", "dumyStatus": "APPROVED",
            "clientID": "x", "checkliveness": true, "sucessUrl": "https://a.b", "zzz": 1,
            "checkLiveness": true, "personScanRef": "p"}));
        let mut unknown = unknown_fields(&body);
        unknown.sort();
        assert_eq!(
            unknown,
            [
                ("checkliveness", Some("checkLiveness")),
                ("clientID", Some("clientId")),
                ("dumyStatus", Some("dummyStatus")),
                ("sucessUrl", Some("successUrl")),
                ("zzz", None),
            ]
        );
        for field in [
            "clientId",
            "firstName",
            "videoCallQuestions",
            "allowedDocuments",
        ] {
            assert_eq!(
                known_fields().iter().any(|f| f == field),
                field != "allowedDocuments"
            );
        }
        assert!(unknown_fields(&crate::domain::fields::object_of(
            &json!({"x".repeat(100_000): 1})
        ))[0]
            .1
            .is_none());
    }

    #[test]
    fn lenient_where_idenfy_is_lenient() {
        let t = parse(
            json!({"clientId": "c", "locale": "pt-BR", "nationality": "ALL",
            "country": "xk", "documents": ["WORK_PERMIT", "SOCIAL_SECURITY_CARD"]}),
        )
        .unwrap();
        assert_eq!(t.locale, "pt-BR");
        assert_eq!(t.nationality.as_deref(), Some("ALL"));
        assert_eq!(t.allowed_documents().keys(), ["XK"]);
        assert_eq!(
            t.documents,
            [DocumentType::WorkPermit, DocumentType::SocialSecurityCard]
        );
        for locale in ["ko", "zh", "zh_Hant", "yue-HK", "es-419"] {
            assert!(is_language_tag(locale), "{locale}");
            assert_eq!(
                parse(json!({"clientId": "c", "locale": locale}))
                    .unwrap()
                    .locale,
                locale
            );
        }
        for bad in [
            "e",
            "english",
            "toolong-x",
            "1a",
            "en US",
            "en&x=1",
            "ü",
            "en-",
            "pt-BR-x",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
            assert!(matches!(
                parse(json!({"clientId": "c", "locale": bad})),
                Err(FieldError::Bad(m)) if m.contains("'locale'")
            ));
        }
        assert!(is_country_code("XK") && is_country_code("xk"));
        assert!(parse(json!({"clientId": "c", "nationality": "xk"})).is_ok());
        assert!(matches!(
            parse(json!({"clientId": "c", "nationality": "ALLX"})),
            Err(FieldError::Bad(m)) if m.contains("'nationality'") && m.contains("ALL")
        ));
        assert!(matches!(
            parse(json!({"clientId": "c", "country": "ALL"})),
            Err(FieldError::Bad(m)) if m.contains("'country'")
        ));
        // An array of countries: echoed as sent, an entry each.
        let t = parse(json!({"clientId": "c", "country": ["lt", "LV", "lt"],
            "documents": ["PASSPORT"]}))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap()["country"],
            json!(["lt", "LV", "lt"])
        );
        assert_eq!(t.selected_country(), Some("lt"));
        assert_eq!(
            serde_json::to_value(t.allowed_documents()).unwrap(),
            json!({"LT": ["PASSPORT"], "LV": ["PASSPORT"]})
        );
        assert_eq!(
            parse(json!({"clientId": "c", "country": []}))
                .unwrap()
                .country,
            None
        );
        for bad in [json!(["lt", "XX"]), json!(["lt", 5]), json!([["lt"]])] {
            assert_eq!(
                parse(json!({"clientId": "c", "country": bad})).map(|_| ()),
                Err(FieldError::bad(
                    "country",
                    "must be a valid ISO 3166-1 alpha-2 code, or an array of them"
                ))
            );
        }
        assert!(matches!(
            parse(json!({"clientId": "c", "country": vec!["lt"; 51]})),
            Err(FieldError::Bad(m)) if m.contains("at most 50")
        ));
    }

    #[test]
    fn names_are_uppercased_and_country_echoed_as_sent() {
        let t = parse(json!({"clientId": "c", "firstName": "John Tom", "country": "lt"})).unwrap();
        assert_eq!(t.first_name.as_deref(), Some("JOHN TOM"));
        assert_eq!(t.country, Some(Country::One("lt".into())));
        assert_eq!(t.allowed_documents().keys(), ["LT"]);
        assert_eq!(
            serde_json::to_value(t.allowed_documents()).unwrap()["LT"],
            serde_json::to_value(&t.documents).unwrap()
        );
    }

    #[test]
    fn combinations() {
        assert!(
            parse(json!({"clientId": "c", "utilityBill": true, "additionalSteps": {}})).is_err()
        );
        assert!(parse(json!({"clientId": "c", "additionalData": {}})).is_err());
        assert!(
            parse(json!({"clientId": "c", "additionalData": {}, "additionalSteps": {}})).is_ok()
        );
    }
}

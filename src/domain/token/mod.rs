//! `POST /api/v2/token` request: parsed once into a typed, normalised value
//! or refused with an error that names the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::fields::{FieldResult, Fields, JsonText, Object};
use super::status::DummyStatus;
use super::wire_enum;

pub mod switches;
mod typos;
mod values;

pub use typos::{asks_for_dummy, unknown_fields};
use values::{
    additional_steps, callback_url, client_id, countries, date, documents, locale, name,
    nationality, redirect_url, video_call_questions,
};
pub use values::{is_country_code, LOCALES, MAX_EXPIRY_TIME, MAX_QUESTIONNAIRE_CHARS};

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

impl TokenType {
    /// Whether the session takes a selfie (or a video of the face): every
    /// type but `DOCUMENT` ("document scan only").
    pub fn takes_selfie(self) -> bool {
        self != TokenType::Document
    }
}

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

/// What a token falls back to for what it does not send (`[defaults]`;
/// iDenfy: the partner's dashboard settings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenDefaults {
    pub expiry_time: u32,
    pub session_length: u32,
    pub locale: String,
    pub documents: Vec<DocumentType>,
    /// Seconds a `fileUrls` link of its result works after it is issued
    /// (iDenfy's: an hour).
    #[serde(default = "one_hour")]
    pub file_url_ttl_secs: u64,
    /// Attempts a session gives the user (iDenfy's default: 2): a failed
    /// attempt with attempts left offers a retry and sends no webhook.
    #[serde(default = "two")]
    pub max_attempts: u32,
}

fn one_hour() -> u64 {
    3600
}

fn two() -> u32 {
    2
}

/// A validated token request, normalised as the response echoes it (names
/// uppercased, defaults applied). Field names are the wire names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub client_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub success_url: Option<String>,
    pub error_url: Option<String>,
    pub unverified_url: Option<String>,
    pub callback_url: Option<String>,
    pub locale: String,
    pub show_instructions: bool,
    pub country: Option<Country>,
    pub expiry_time: u32,
    pub session_length: u32,
    pub documents: Vec<DocumentType>,
    pub date_of_birth: Option<String>,
    pub date_of_expiry: Option<String>,
    pub date_of_issue: Option<String>,
    pub nationality: Option<String>,
    pub personal_number: Option<String>,
    pub document_number: Option<String>,
    pub sex: Option<Sex>,
    pub address: Option<String>,
    pub token_type: TokenType,
    pub external_ref: Option<String>,
    pub generate_digit_string: bool,
    pub utility_bill: bool,
    /// Kept as compact JSON text (echoed as the same object).
    #[schema(value_type = Option<Object>)]
    pub additional_steps: Option<JsonText>,
    #[schema(value_type = Option<Object>)]
    pub additional_data: Option<JsonText>,
    pub questionnaire: Option<String>,
    pub video_call_questions: Vec<String>,
    /// `maxAttemptCount` (iDenfy's FAQ, not in kyc.yaml): the attempts this
    /// session gives the user, 1 to 10, over the partner's; echoed when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempt_count: Option<u32>,
    /// DEV only; never echoed.
    #[serde(skip)]
    #[schema(ignore)]
    pub dummy_status: Option<DummyStatus>,
    /// The feature switches sent (see `token::switches`), echoed as sent.
    #[serde(flatten)]
    #[schema(ignore)]
    pub switches: BTreeMap<String, Value>,
}

impl TokenRequest {
    /// Parses a request body object, applying the partner's `defaults`.
    /// Fields are checked in a fixed order so the same bad body always gets
    /// the same message; unknown keys are ignored.
    pub fn parse(body: &Object, defaults: &TokenDefaults) -> FieldResult<TokenRequest> {
        let f = Fields(body);
        let client_id = client_id(&f)?;

        let first_name = name(&f, "firstName")?;
        let last_name = name(&f, "lastName")?;
        let date_of_birth = date(&f, "dateOfBirth")?;
        let date_of_expiry = date(&f, "dateOfExpiry")?;
        let date_of_issue = date(&f, "dateOfIssue")?;
        let sex = f.one_of("sex", Sex::parse, Sex::list)?;
        let nationality = nationality(&f)?;
        let country = countries(&f)?;
        let personal_number = f.string_len("personalNumber", 1, 50)?.map(str::to_owned);
        let document_number = f.string_len("documentNumber", 1, 50)?.map(str::to_owned);
        let address = f.string_len("address", 0, 255)?.map(str::to_owned);

        let documents = documents(&f, defaults)?;
        let locale = locale(&f, defaults)?;
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
        let callback_url = callback_url(&f)?;

        let token_type = f
            .one_of("tokenType", TokenType::parse, TokenType::list)?
            .unwrap_or(TokenType::Identification);
        let external_ref = f.string_len("externalRef", 0, 40)?.map(str::to_owned);
        let generate_digit_string = f.boolean("generateDigitString")?.unwrap_or(false);
        let utility_bill = f.boolean("utilityBill")?.unwrap_or(false);
        let (additional_steps, additional_data) = additional_steps(&f, utility_bill)?;
        let questionnaire = f
            .string_len("questionnaire", 0, MAX_QUESTIONNAIRE_CHARS)?
            .map(str::to_owned);
        let video_call_questions = video_call_questions(&f)?;
        let max_attempt_count = f.integer_in("maxAttemptCount", 1..=10)?.map(|n| n as u32);
        let switches = switches::parse(&f)?;
        let dummy_status = f.one_of("dummyStatus", DummyStatus::parse, DummyStatus::list)?;

        Ok(TokenRequest {
            client_id,
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
            max_attempt_count,
            dummy_status,
            switches,
        })
    }

    /// The countries the user may choose from, uppercased, each once, in
    /// the order sent; `ALL` when none was sent.
    pub fn allowed_countries(&self) -> Vec<String> {
        let Some(country) = &self.country else {
            return vec!["ALL".into()];
        };
        let mut out: Vec<String> = Vec::new();
        for code in country.codes().map(str::to_ascii_uppercase) {
            if !out.contains(&code) {
                out.push(code);
            }
        }
        out
    }

    /// `allowedDocuments`: each allowed country mapped to the document list.
    pub fn allowed_documents(&self) -> BTreeMap<String, Vec<DocumentType>> {
        self.allowed_countries()
            .into_iter()
            .map(|c| (c, self.documents.clone()))
            .collect()
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
    One(String),
    Many(Vec<String>),
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

#[cfg(test)]
mod tests {
    use super::typos::known_fields;
    use super::values::{
        is_calendar_date, is_language_tag, is_person_name, ISO_COUNTRIES, NAME_FORBIDDEN,
    };
    use super::*;
    use crate::domain::fields::FieldError;
    use serde_json::{json, Value};

    fn parse(v: Value) -> FieldResult<TokenRequest> {
        TokenRequest::parse(
            &crate::domain::fields::object_of(&v),
            &crate::domain::testing::defaults(),
        )
    }

    #[test]
    fn country_list_is_complete() {
        assert_eq!(ISO_COUNTRIES.split_ascii_whitespace().count(), 249);
        assert!(is_country_code("lt") && is_country_code("LT") && is_country_code("Gb"));
        assert!(!is_country_code("XX") && !is_country_code("LTU") && !is_country_code("ŁT"));
        // The binary search's layout: sorted, uppercase, one space apart.
        let codes: Vec<&str> = ISO_COUNTRIES.split_ascii_whitespace().collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_COUNTRIES.len(), 3 * codes.len() - 1);
        for (i, code) in codes.iter().enumerate() {
            assert_eq!(&ISO_COUNTRIES[3 * i..3 * i + 2], *code);
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(is_country_code(code) && is_country_code(&code.to_lowercase()));
        }
        assert!(!is_country_code("AA") && !is_country_code("ZZ") && !is_country_code(""));
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
        assert_eq!(t.allowed_countries(), ["ALL"]);
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
        assert_eq!(t.allowed_countries(), ["XK"]);
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
        assert_eq!(t.allowed_countries(), ["LT"]);
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

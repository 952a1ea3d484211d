//! AML screening with iDenfy's DEV dummy entities. iDenfy documents three
//! names that trigger a suspected result in DEV: the person `Manfred Weber`
//! (sanctions/PEP), the company `GoPayments` and the adverse-media subject
//! `Cliff Hazard`; every other name screens clean. With screening on (the
//! partner's `aml_screening`, unless the token sends `checkAml: false`) a
//! finished verification carries the result in both documented forms: the
//! legacy (v2) `AML` array and the v3 `amlCheck` block; a hit adds the fraud
//! tag `AML_SUSPECTION` (so the overall status is SUSPECTED).
//!
//! Names match on the token's `firstName` and `lastName`, ignoring case and
//! the spacing between words: the person and the adverse-media subject when
//! the two together read the name (`Manfred` + `Weber`, or all of it in one
//! field); the company when either field alone, or the two together, read
//! `GoPayments` (a KYC session has no company field, so the company name can
//! only arrive as a name).

use serde::Serialize;
use serde_json::{Map, Value};

use super::token::TokenRequest;

/// A service's verdict (iDenfy's `AmlCheckSuspicionEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AmlSuspicion)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Suspicion {
    Suspected,
    NotSuspected,
}

/// Why a list entry matched (`AmlSuspicionTypeEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AmlSuspicionType)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
// The whole documented vocabulary, for the schema; the mock sends a part.
#[allow(dead_code)]
pub enum SuspicionType {
    Sanction,
    Interpol,
    Peps,
    AdverseMedia,
    Other,
}

/// The v3 block's status (`AmlCheckStatusEnum`): `NO_FLAGS` when nothing
/// was found, `FLAGS_FOUND` on a hit; the others are a reviewer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AmlCheckStatus)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
// The whole documented vocabulary, for the schema; the mock sends a part.
#[allow(dead_code)]
pub enum CheckStatus {
    NotChecked,
    NoFlags,
    FalsePositive,
    TruePositive,
    FlagsFound,
}

/// An article's kind (`AmlArticleTypeEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AmlArticleType)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ArticleType {
    Negative,
}

/// The token switch that turns screening off for one session.
const SWITCH: &str = "checkAml";

/// Where the dummy entities are documented; the canned hits link to it.
const SOURCE: &str = "https://documentation.idenfy.com/aml/dummy-results";

/// A documented DEV dummy entity, found by the screening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// `Manfred Weber`: a politically exposed person on sanctions/PEP lists.
    Person,
    /// `GoPayments`: a company on a sanctions list.
    Company,
    /// `Cliff Hazard`: negative news.
    AdverseMedia,
}

impl Entity {
    /// The name as iDenfy's documentation spells it.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Person => "Manfred Weber",
            Entity::Company => "GoPayments",
            Entity::AdverseMedia => "Cliff Hazard",
        }
    }
}

/// Whether a session of a partner (screening `partner_on`) is screened: the
/// partner's setting, unless the token turned it off with `checkAml: false`
/// (iDenfy enables AML per environment; a token only overrides it).
pub fn screens(partner_on: bool, request: &TokenRequest) -> bool {
    partner_on && request.switch(SWITCH) != Some(false)
}

/// Upper case, words separated by one space.
fn words(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dummy entity these names screen as, if any.
pub fn hit(first: Option<&str>, last: Option<&str>) -> Option<Entity> {
    let full = words(&format!("{} {}", first.unwrap_or(""), last.unwrap_or("")));
    let company = |s: &str| words(s).replace(' ', "") == "GOPAYMENTS";
    if full == "MANFRED WEBER" {
        Some(Entity::Person)
    } else if full == "CLIFF HAZARD" {
        Some(Entity::AdverseMedia)
    } else if [first, last].into_iter().flatten().any(company) || company(&full) {
        Some(Entity::Company)
    } else {
        None
    }
}

/// `FraudStatus` of one service.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlFraudStatus)]
#[serde(rename_all = "camelCase")]
pub struct FraudStatus {
    pub service_suspected: bool,
    pub service_used: bool,
    pub service_found: bool,
    pub check_successful: bool,
    pub overall_status: Suspicion,
}

/// One service's result in the legacy (v2) `AML` array (iDenfy's
/// `AmlResults`, told apart by `serviceName`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlResult)]
#[serde(rename_all = "camelCase")]
pub struct ServiceResult {
    pub status: FraudStatus,
    /// `AML_NAMES_CHECK`, `COMPANY_CHECK` or `AML_NEWS`.
    pub service_name: &'static str,
    pub service_group_type: &'static str,
    pub uid: String,
    pub error_message: Option<String>,
    #[schema(schema_with = entries_schema)]
    pub data: Entries,
}

/// A service's findings: list entries for a name or company check, articles
/// for a news check.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Entries {
    Listed(Vec<Listing>),
    News(Vec<Article>),
}

/// `data`'s schema: an array of either kind (`anyOf`: an empty array is both).
fn entries_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, Schema};
    use utoipa::PartialSchema;
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ArrayBuilder::new().items(Listing::schema()))
            .item(ArrayBuilder::new().items(Article::schema()))
            .build(),
    )
}

/// A list entry (iDenfy's `AmlData` / `CompanyAmlData`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlListing)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub name: Option<String>,
    pub surname: Option<String>,
    pub nationality: Option<String>,
    pub dob: Option<String>,
    // Inline: `data`'s hand-made schema does not collect referenced ones.
    #[schema(inline)]
    pub suspicion: Option<SuspicionType>,
    pub reason: Option<String>,
    pub list_number: Option<String>,
    pub list_name: Option<String>,
    pub score: Option<i64>,
    pub last_update: Option<String>,
    /// Person entries only (`AmlData`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub exit_date: Option<Option<String>>,
    pub is_person: Option<bool>,
    pub is_active: Option<bool>,
    pub linked_document: Option<String>,
    pub pep_level: Option<i64>,
    pub category: Option<String>,
    pub other_information: Option<String>,
    pub check_date: Option<String>,
    pub whitelisted: bool,
}

/// A news article (iDenfy's `AdverseMediaData`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlArticle)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    pub title: Option<String>,
    pub url: Option<String>,
    pub text: Option<String>,
    /// A string, as iDenfy sends it.
    pub score: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ArticleType>,
    pub check_date: String,
    pub publish_date: Option<String>,
}

/// The v3 `amlCheck` block (iDenfy's `AmlCheckV3Webhook`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlCheck)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub id: Option<String>,
    pub overall_status: Option<CheckStatus>,
    #[schema(value_type = Option<Object>)]
    pub status_set_by: Option<Map<String, Value>>,
    pub status_set_at: Option<String>,
    pub adverse_media: Option<Vec<CheckArticle>>,
    pub aml_check: Option<Vec<CheckMatch>>,
}

/// An article of the v3 block (`AmlV3AdverseMediaDataWebhook`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlCheckArticle)]
#[serde(rename_all = "camelCase")]
pub struct CheckArticle {
    pub title: Option<String>,
    pub url: String,
    pub text: Option<String>,
    pub score: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ArticleType>,
    pub publish_date: Option<String>,
}

/// A list match of the v3 block (`AmlV3CheckDataWebhook`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AmlCheckMatch)]
#[serde(rename_all = "camelCase")]
pub struct CheckMatch {
    #[schema(value_type = Option<Vec<Object>>)]
    pub addresses: Option<Vec<Value>>,
    pub dates_of_birth: Option<Vec<String>>,
    pub gender: Option<String>,
    pub nationalities: Option<Vec<String>>,
    #[serde(rename = "match")]
    pub match_kind: &'static str,
    pub former_san_body_ids: Option<Vec<i64>>,
    pub countries: Option<Vec<String>>,
    pub datasets: Vec<&'static str>,
    pub current_san_body_ids: Option<Vec<i64>>,
    pub version: i64,
    pub pep_tier: Option<&'static str>,
    pub score: Option<i64>,
    pub profile_image: Option<String>,
    pub name: Option<String>,
    pub resource_id: String,
}

/// The screening of one verification, in both forms.
pub struct Screening {
    /// The legacy `AML` array: the names check and the news check always,
    /// the company check when the name reads as the dummy company.
    pub v2: Vec<ServiceResult>,
    pub v3: Check,
}

/// The screening result for `hit` of the verification `scan_ref`, checked on
/// `check_date` (`YYYY-MM-DD`).
pub fn screening(hit: Option<Entity>, scan_ref: &str, check_date: &str) -> Screening {
    // Stable per verification and service: the scanRef's hex, upper case.
    let hex: String = scan_ref
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(24)
        .collect();
    let service = |name: &'static str, n: char, found: bool, data: Entries| ServiceResult {
        status: FraudStatus {
            service_suspected: found,
            service_used: true,
            service_found: found,
            check_successful: true,
            overall_status: if found {
                Suspicion::Suspected
            } else {
                Suspicion::NotSuspected
            },
        },
        service_name: name,
        service_group_type: "AML",
        uid: format!("{hex}{n}"),
        error_message: None,
        data,
    };
    let listed = |entity: Entity| -> Vec<Listing> {
        if hit != Some(entity) {
            return Vec::new();
        }
        vec![listing(entity, check_date)]
    };
    let news: Vec<Article> = if hit == Some(Entity::AdverseMedia) {
        vec![article(check_date)]
    } else {
        Vec::new()
    };
    let mut v2 = vec![service(
        "AML_NAMES_CHECK",
        'N',
        hit == Some(Entity::Person),
        Entries::Listed(listed(Entity::Person)),
    )];
    if hit == Some(Entity::Company) {
        v2.push(service(
            "COMPANY_CHECK",
            'C',
            true,
            Entries::Listed(listed(Entity::Company)),
        ));
    }
    v2.push(service(
        "AML_NEWS",
        'M',
        !news.is_empty(),
        Entries::News(news.clone()),
    ));
    let matches: Vec<CheckMatch> = match hit {
        Some(e @ (Entity::Person | Entity::Company)) => vec![check_match(e, &hex)],
        _ => Vec::new(),
    };
    let v3 = Check {
        id: Some(scan_ref.to_owned()),
        overall_status: Some(if hit.is_some() {
            CheckStatus::FlagsFound
        } else {
            CheckStatus::NoFlags
        }),
        status_set_by: None,
        status_set_at: None,
        adverse_media: Some(
            news.into_iter()
                .map(|a| CheckArticle {
                    title: a.title,
                    url: a.url.unwrap_or_else(|| SOURCE.to_owned()),
                    text: a.text,
                    score: a.score,
                    kind: a.kind,
                    publish_date: a.publish_date,
                })
                .collect(),
        ),
        aml_check: Some(matches),
    };
    Screening { v2, v3 }
}

/// The canned list entry of the person or the company.
fn listing(entity: Entity, check_date: &str) -> Listing {
    let person = entity == Entity::Person;
    let (name, surname) = match entity {
        Entity::Person => (Some("MANFRED".to_owned()), Some("WEBER".to_owned())),
        _ => (Some(entity.name().to_uppercase()), None),
    };
    Listing {
        name,
        surname,
        nationality: None,
        dob: None,
        suspicion: Some(if person {
            SuspicionType::Peps
        } else {
            SuspicionType::Sanction
        }),
        reason: Some(format!(
            "iDenfy DEV dummy entity ({}): {}",
            entity.name(),
            if person {
                "politically exposed person"
            } else {
                "sanctioned company"
            }
        )),
        list_number: None,
        list_name: Some(if person {
            "DEV dummy PEP list".to_owned()
        } else {
            "DEV dummy sanctions list".to_owned()
        }),
        score: Some(100),
        last_update: Some(check_date.to_owned()),
        exit_date: person.then_some(None),
        is_person: Some(person),
        is_active: Some(true),
        linked_document: Some(SOURCE.to_owned()),
        pep_level: person.then_some(1),
        category: Some(if person { "PEP" } else { "SANCTIONS" }.to_owned()),
        other_information: None,
        check_date: Some(check_date.to_owned()),
        whitelisted: false,
    }
}

/// The canned article about the adverse-media subject.
fn article(check_date: &str) -> Article {
    Article {
        title: Some("Cliff Hazard: iDenfy DEV dummy adverse-media entity".to_owned()),
        url: Some(SOURCE.to_owned()),
        text: Some(
            "Canned negative news about the DEV dummy subject Cliff Hazard, \
             as iDenfy's DEV environment returns for that name."
                .to_owned(),
        ),
        score: Some("100".to_owned()),
        kind: Some(ArticleType::Negative),
        check_date: check_date.to_owned(),
        publish_date: Some(check_date.to_owned()),
    }
}

/// The canned v3 match of the person or the company.
fn check_match(entity: Entity, hex: &str) -> CheckMatch {
    let person = entity == Entity::Person;
    CheckMatch {
        addresses: None,
        dates_of_birth: None,
        gender: None,
        nationalities: None,
        match_kind: "EXACT",
        former_san_body_ids: None,
        countries: None,
        datasets: vec![if person { "PEP" } else { "SANCTIONS" }],
        current_san_body_ids: None,
        version: 1,
        pep_tier: person.then_some("PEP_TIER_1"),
        score: Some(100),
        profile_image: None,
        name: Some(entity.name().to_owned()),
        resource_id: format!("{hex}{}", if person { 'P' } else { 'C' }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_names_hit_ignoring_case_and_spacing() {
        let h = |f: Option<&str>, l: Option<&str>| hit(f, l);
        assert_eq!(h(Some("MANFRED"), Some("WEBER")), Some(Entity::Person));
        assert_eq!(h(Some("manfred  weber"), None), Some(Entity::Person));
        assert_eq!(h(Some("Cliff"), Some("Hazard")), Some(Entity::AdverseMedia));
        assert_eq!(h(Some("GoPayments"), None), Some(Entity::Company));
        assert_eq!(h(Some("John"), Some("gopayments")), Some(Entity::Company));
        assert_eq!(h(Some("Go"), Some("Payments")), Some(Entity::Company));
        for (f, l) in [
            (Some("Manfred"), Some("Webers")),
            (Some("Manfred"), None),
            (Some("Weber"), Some("Manfred")),
            (Some("John"), Some("Doe")),
            (None, None),
        ] {
            assert_eq!(h(f, l), None, "{f:?} {l:?}");
        }
    }

    #[test]
    fn a_clean_screening_has_no_findings() {
        let s = screening(None, "4c1f-ab", "2026-12-07");
        let names: Vec<&str> = s.v2.iter().map(|r| r.service_name).collect();
        assert_eq!(names, ["AML_NAMES_CHECK", "AML_NEWS"]);
        assert!(s.v2.iter().all(|r| !r.status.service_suspected));
        assert_eq!(s.v3.overall_status, Some(CheckStatus::NoFlags));
        let json = serde_json::to_value(&s.v2).unwrap();
        assert_eq!(json[0]["data"], serde_json::json!([]));
    }

    #[test]
    fn each_entity_is_found_by_its_service() {
        for (entity, service) in [
            (Entity::Person, "AML_NAMES_CHECK"),
            (Entity::Company, "COMPANY_CHECK"),
            (Entity::AdverseMedia, "AML_NEWS"),
        ] {
            let s = screening(Some(entity), "sr", "2026-12-07");
            let suspected: Vec<&str> =
                s.v2.iter()
                    .filter(|r| r.status.service_suspected)
                    .map(|r| r.service_name)
                    .collect();
            assert_eq!(suspected, [service]);
            assert_eq!(s.v3.overall_status, Some(CheckStatus::FlagsFound));
        }
    }
}

//! The result webhook's JSON body (README: Webhooks, "What is sent"), built from a verification.
//! Every key is present; types follow what strict clients decode.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::aml;
use crate::domain::calendar::Date;
use crate::domain::status::{DocumentResult, FaceResult, FraudTagValue, MismatchTagValue, Overall};
use crate::domain::verification::{DocumentData, Verification};

/// Also the body of `/api/v2/full` (with `final` false), hence its schema.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VerificationResult)]
#[serde(rename_all = "camelCase")]
pub struct Payload<'a> {
    #[serde(rename = "final")]
    is_final: bool,
    platform: &'static str,
    status: StatusBlock<'a>,
    data: DocumentData,
    /// FRONT and BACK, and FACE when the session took a selfie; `{}`
    /// before a result.
    file_urls: BTreeMap<&'static str, String>,
    additional_step_pdf_urls: Map<String, Value>,
    /// The legacy (v2) AML results: null unless the partner screens
    /// (`aml_screening`) and there is a result.
    #[serde(rename = "AML")]
    aml: Option<Vec<aml::ServiceResult>>,
    #[serde(rename = "LID")]
    lid: Option<Vec<Value>>,
    scan_ref: &'a str,
    external_ref: Option<&'a str>,
    client_id: &'a str,
    company_id: Option<String>,
    beneficiary_id: Option<String>,
    start_time: i64,
    finish_time: i64,
    client_ip: Option<&'static str>,
    client_ip_country: Option<&'static str>,
    client_location: Option<&'static str>,
    gdc_match: Option<bool>,
    manual_address: Option<String>,
    manual_address_match: bool,
    additional_steps: Option<Value>,
    /// The v3 AML block, beside `AML` (null when it is).
    aml_check: Option<aml::Check>,
    /// The checks and steps below are features the mock does not run; the
    /// OpenAPI `IdentificationWebhook` lists them, so they are present, null.
    #[serde(rename = "CRIMINAL_CHECK")]
    criminal_check: Option<Value>,
    registry_center_check: Option<Value>,
    address_verification: Option<Value>,
    questionnaire_answers: Option<Value>,
    risk_assessment: Option<Value>,
    bank_verification: Option<Value>,
    email_verification: Option<Value>,
    phone_verification: Option<Value>,
    driver_license_check: Option<Value>,
    bank_card_verification: Option<Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct StatusBlock<'a> {
    /// One of iDenfy's OpenAPI `IdentificationStatusEnum` in `/api/v2/full`.
    #[schema(schema_with = documented_overall)]
    overall: Overall,
    fraud_tags: &'a [FraudTagValue],
    mismatch_tags: &'a [MismatchTagValue],
    auto_face: Option<FaceResult>,
    manual_face: Option<FaceResult>,
    auto_document: Option<DocumentResult>,
    manual_document: Option<DocumentResult>,
    /// `VALID` / `INVALID` / `NOT_FOUND` or null; never an object.
    additional_steps: Option<&'static str>,
    suspicion_reasons: Vec<String>,
}

/// The schema of `/api/v2/full`'s `status.overall`: the statuses
/// [`Overall::documented`] answers (no `EXPIRED-DELETED`).
fn documented_overall() -> utoipa::openapi::Object {
    let mut values: Vec<&'static str> = Vec::new();
    for o in Overall::ALL {
        let shown = o.documented().as_str();
        if !values.contains(&shown) {
            values.push(shown);
        }
    }
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

/// The exact bytes of the webhook for `v` in its current state. `file_urls`
/// is the verification's file map (empty when it has no files).
pub fn body(
    v: &Verification,
    is_final: bool,
    file_urls: BTreeMap<&'static str, String>,
) -> Vec<u8> {
    render(v, is_final, v.status, file_urls)
}

/// The body of `/api/v2/full`: the webhook's body as it would be sent now,
/// with `final` always false (as documented) and `status.overall` one of
/// the OpenAPI enum's values ([`Overall::documented`]).
pub fn full(v: &Verification, file_urls: BTreeMap<&'static str, String>) -> Vec<u8> {
    render(v, false, v.status.documented(), file_urls)
}

/// The bytes a webhook body is rendered into at first.
const BODY_CAPACITY: usize = 3 * 1024;

fn render(
    v: &Verification,
    is_final: bool,
    overall: Overall,
    file_urls: BTreeMap<&'static str, String>,
) -> Vec<u8> {
    // A user took part only when there is a result; an expired token has no client.
    let took_part = v.status.is_finished();
    // Screened once there is a result (and its data is not deleted).
    let screening = (v.aml_screening && took_part).then(|| {
        let checked = Date::of_unix(v.finished_at.unwrap_or(v.created_at)).iso();
        aml::screening(v.aml_hit(), &v.scan_ref, &checked)
    });
    let (aml, aml_check) = screening.map_or((None, None), |s| (Some(s.v2), Some(s.v3)));
    let payload = Payload {
        is_final,
        platform: "PC",
        status: StatusBlock {
            overall,
            fraud_tags: &v.fraud_tags,
            mismatch_tags: &v.mismatch_tags,
            auto_face: v.auto_face,
            manual_face: v.manual_face,
            auto_document: v.auto_document,
            manual_document: v.manual_document,
            additional_steps: None,
            suspicion_reasons: Vec::new(),
        },
        data: v.document_data(),
        file_urls,
        additional_step_pdf_urls: Map::new(),
        aml,
        lid: None,
        scan_ref: &v.scan_ref,
        external_ref: v.request.external_ref.as_deref(),
        client_id: &v.request.client_id,
        company_id: None,
        beneficiary_id: None,
        // When the client started: the page opened (a dummy token's session
        // begins with it).
        start_time: v.session_started_at.unwrap_or(v.created_at),
        // When the automatic decision was made: a manual review keeps it.
        finish_time: v.decided_at.or(v.finished_at).unwrap_or(v.created_at),
        client_ip: took_part.then_some("127.0.0.1"),
        client_ip_country: took_part.then_some("LT"),
        client_location: took_part.then_some("Vilnius, Lithuania"),
        gdc_match: None,
        manual_address: None,
        manual_address_match: false,
        additional_steps: None,
        aml_check,
        criminal_check: None,
        registry_center_check: None,
        address_verification: None,
        questionnaire_answers: None,
        risk_assessment: None,
        bank_verification: None,
        email_verification: None,
        phone_verification: None,
        driver_license_check: None,
        bank_card_verification: None,
    };
    // Room for a usual result body (the seed's is 2.3 kB) from the start:
    // growing from serde_json's 128 bytes copied it five times.
    let mut out = Vec::with_capacity(BODY_CAPACITY);
    // Serialising plain structs of strings, numbers and maps cannot fail.
    let _ = serde_json::to_writer(&mut out, &payload);
    out
}

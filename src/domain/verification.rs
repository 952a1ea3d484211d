//! A verification: created by a token, finished by a result (dummy, manual or
//! the verification page), expired by time, deleted on request.

use serde::{Deserialize, Serialize};

use super::expiration::{self, ExpirationThreshold};
use super::status::{
    overall_of, DocumentResult, FaceResult, FraudTag, FraudTagValue, MismatchTag, MismatchTagValue,
    Open, Overall,
};
use super::token::TokenRequest;
use super::{aml, calendar, canned, document_only, PartnerId};

/// Serialized (control API, snapshots) with its wire-style names; the owning
/// partner travels separately, by API key.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Shared with the store's index and the sweeper (one allocation).
    #[schema(value_type = String)]
    pub scan_ref: std::sync::Arc<str>,
    pub auth_token: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub partner: PartnerId,
    // Shared with the token's answer. Never changed in place: deleting the
    // data replaces it, and the store measures a request once, again only
    // when it is replaced (`store::books`).
    #[schema(value_type = TokenRequest)]
    pub request: std::sync::Arc<TokenRequest>,
    pub digit_string: Option<String>,
    /// The unguessable part of this verification's file URLs.
    pub file_key: String,
    pub status: Overall,
    pub auto_face: Option<FaceResult>,
    pub auto_document: Option<DocumentResult>,
    pub manual_face: Option<FaceResult>,
    pub manual_document: Option<DocumentResult>,
    #[serde(default)]
    pub fraud_tags: Vec<FraudTagValue>,
    #[serde(default)]
    pub mismatch_tags: Vec<MismatchTagValue>,
    /// Unix seconds.
    pub created_at: i64,
    /// When the user first opened the verification page.
    pub session_started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Set by webhook delivery: the last final webhook was given up on.
    #[serde(default)]
    pub final_webhook_failed: bool,
    /// The automatic result waits for a manual review (`reviewSuccessful` /
    /// `reviewFailed`): `/api/v2/status` answers `REVIEWING` until it comes.
    #[serde(default)]
    pub review_pending: bool,
    /// When the automatic decision was made (a result, or the expiry): the
    /// webhooks' `finishTime`, which a manual review does not move.
    #[serde(default)]
    pub decided_at: Option<i64>,
    /// Attempts the session gives the user, and how many failed so far.
    #[serde(default = "two")]
    pub attempts_allowed: u32,
    #[serde(default)]
    pub attempts_failed: u32,
    /// The last failed attempt's result, while attempts are left: what a
    /// user who leaves gets when the session runs out.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub failed_attempt: Option<AutoResult>,
    /// The partner subscribed to `DOCUMENT_EXPIRATION` when it was made:
    /// once approved, its document's expiry is watched.
    #[serde(default)]
    pub expiry_watched: bool,
    /// The latest `DOCUMENT_EXPIRATION` threshold sent.
    #[serde(default)]
    pub expiration_notified: Option<ExpirationThreshold>,
    /// Its result is screened against the AML dummy entities ([`aml`]):
    /// the partner's `aml_screening`, unless the token said `checkAml: false`.
    #[serde(default)]
    pub aml_screening: bool,
}

fn two() -> u32 {
    2
}

/// An automatic result: the face and document results and the tags that
/// come with them. A `dummyStatus`'s canned result (`[dummy.results]`) and a
/// page outcome are both one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoResult {
    pub auto_face: FaceResult,
    pub auto_document: DocumentResult,
    #[serde(default)]
    pub fraud_tags: Vec<FraudTagValue>,
    #[serde(default)]
    pub mismatch_tags: Vec<MismatchTagValue>,
}

/// Which automatic results wait for a manual review: iDenfy's per-token
/// switches `reviewSuccessful` and `reviewFailed`, or the partner's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewPolicy {
    /// Review APPROVED results.
    pub successful: bool,
    /// Review DENIED and SUSPECTED results.
    pub failed: bool,
}

impl ReviewPolicy {
    /// Whether an automatic result with this overall status is reviewed.
    pub fn reviews(self, overall: Overall) -> bool {
        match overall {
            Overall::Approved => self.successful,
            Overall::Denied | Overall::Suspected => self.failed,
            _ => false,
        }
    }
}

/// Why a verification cannot be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteError {
    NotExpiredYet,
}

impl Verification {
    pub fn new(
        scan_ref: std::sync::Arc<str>,
        auth_token: String,
        partner: PartnerId,
        request: TokenRequest,
        digit_string: Option<String>,
        file_key: String,
        now: i64,
    ) -> Verification {
        Verification {
            scan_ref,
            auth_token,
            partner,
            request: std::sync::Arc::new(request),
            digit_string,
            file_key,
            status: Overall::Active,
            auto_face: None,
            auto_document: None,
            manual_face: None,
            manual_document: None,
            fraud_tags: Vec::new(),
            mismatch_tags: Vec::new(),
            created_at: now,
            session_started_at: None,
            finished_at: None,
            final_webhook_failed: false,
            review_pending: false,
            decided_at: None,
            attempts_allowed: 2,
            attempts_failed: 0,
            failed_attempt: None,
            expiry_watched: false,
            expiration_notified: None,
            aml_screening: false,
        }
    }

    /// Whether the session took a selfie (every token type but `DOCUMENT`).
    pub fn takes_selfie(&self) -> bool {
        self.request.token_type.takes_selfie()
    }

    /// The AML dummy entity this verification's names screen as, when it is
    /// screened.
    pub fn aml_hit(&self) -> Option<aml::Entity> {
        let r = &self.request;
        self.aml_screening
            .then(|| aml::hit(r.first_name.as_deref(), r.last_name.as_deref()))
            .flatten()
    }

    /// Face and document results as this session can have them: without a
    /// selfie the face is not checked and the document decides alone.
    fn checked(&self, face: FaceResult, document: DocumentResult) -> (FaceResult, DocumentResult) {
        if self.takes_selfie() {
            (face, document)
        } else {
            (document_only::FACE, document_only::document(face, document))
        }
    }

    /// The start of the document's expiry day and the date as written, for
    /// an approved verification whose expiry is watched.
    fn watched_expiry(&self) -> Option<(i64, String)> {
        if !self.expiry_watched || self.status != Overall::Approved || self.review_pending {
            return None;
        }
        let date = self.document_data().doc_expiry?;
        Some((calendar::day_start(&date)?, date))
    }

    /// When the next `DOCUMENT_EXPIRATION` notice is due, if one is to come.
    pub fn next_expiration_at(&self) -> Option<i64> {
        let (expiry, _) = self.watched_expiry()?;
        expiration::next_at(expiry, self.expiration_notified)
    }

    /// The notice due at `now` (the latest threshold passed since the last
    /// one sent) with the document's expiry date.
    pub fn expiration_due(&self, now: i64) -> Option<(ExpirationThreshold, String)> {
        let (expiry, date) = self.watched_expiry()?;
        Some((
            expiration::due(expiry, self.expiration_notified, now)?,
            date,
        ))
    }

    /// Records `result` as a failed attempt when it fails (its overall
    /// status is DENIED) and another attempt is left; returns how many are
    /// left then, or `None` when the result finishes the session.
    pub fn fail_attempt(&mut self, result: &AutoResult) -> Option<u32> {
        // Judged as the session would finish with it: the document alone
        // without a selfie, and an AML hit's tag (SUSPECTED is no failure).
        let mut judged = self.clone();
        judged.finish_automatically(result, ReviewPolicy::default(), self.created_at);
        let fails = judged.status == Overall::Denied;
        let left = self
            .attempts_allowed
            .saturating_sub(self.attempts_failed + 1);
        if !fails || left == 0 {
            return None;
        }
        self.attempts_failed += 1;
        self.failed_attempt = Some(result.clone());
        Some(left)
    }

    /// Records an automatic result. When `review` covers it, the result waits
    /// for a manual review (manual results null, `review_pending`); otherwise
    /// it is final and, as in iDenfy's DEV environment, the manual results
    /// equal the automatic ones. Returns whether the result is final.
    pub fn finish_automatically(
        &mut self,
        result: &AutoResult,
        review: ReviewPolicy,
        now: i64,
    ) -> bool {
        let (face, document) = self.checked(result.auto_face, result.auto_document);
        self.auto_face = Some(face);
        self.auto_document = Some(document);
        self.fraud_tags = result.fraud_tags.clone();
        if !self.takes_selfie() {
            self.fraud_tags = self
                .fraud_tags
                .drain(..)
                .map(document_only::fraud_tag)
                .collect();
        }
        // An AML match is a fraud tag (iDenfy: "a match in the database also
        // triggers SUSPECTED").
        let aml_tag = Open::Known(FraudTag::AmlSuspection);
        if self.aml_hit().is_some() && !self.fraud_tags.contains(&aml_tag) {
            self.fraud_tags.push(aml_tag);
        }
        self.mismatch_tags = result.mismatch_tags.clone();
        self.manual_face = None;
        self.manual_document = None;
        self.status = self.computed_overall();
        self.review_pending = review.reviews(self.status);
        if !self.review_pending {
            self.manual_face = self.auto_face;
            self.manual_document = self.auto_document;
        }
        self.finished_at = Some(now);
        self.decided_at = Some(now);
        self.failed_attempt = None;
        !self.review_pending
    }

    /// The status `/api/v2/status` answers: `REVIEWING` while a manual
    /// review is awaited, else the overall status.
    pub fn reported_status(&self) -> Overall {
        if self.review_pending {
            Overall::Reviewing
        } else {
            self.status
        }
    }

    /// Records a manual review. The reviewer decides: their results replace
    /// the automatic ones and clear the automatic tags, so the outcome is
    /// APPROVED for FACE_MATCH + DOC_VALIDATED and DENIED otherwise.
    pub fn review_manually(&mut self, face: FaceResult, document: DocumentResult, now: i64) {
        let (face, document) = self.checked(face, document);
        self.manual_face = Some(face);
        self.manual_document = Some(document);
        self.review_pending = false;
        self.fraud_tags.clear();
        self.mismatch_tags.clear();
        self.finished_at = Some(now);
        self.status = self.computed_overall();
    }

    /// The token ran out unused.
    pub fn expire(&mut self, now: i64) {
        self.status = Overall::Expired;
        self.finished_at = Some(now);
        self.decided_at = Some(now);
        self.failed_attempt = None;
    }

    /// The overall-status rule applied to this verification's results (the
    /// document alone decides for a session without a selfie).
    pub fn computed_overall(&self) -> Overall {
        let document = self.manual_document.or(self.auto_document);
        let tags = !self.fraud_tags.is_empty() || !self.mismatch_tags.is_empty();
        if self.takes_selfie() {
            overall_of(self.manual_face.or(self.auto_face), document, tags)
        } else {
            document_only::overall(document, tags)
        }
    }

    /// Whether the result carries this mismatch tag.
    fn mismatched(&self, tag: MismatchTag) -> bool {
        self.mismatch_tags.contains(&Open::Known(tag))
    }

    /// Unix second at which an unused token expires.
    pub fn expires_at(&self) -> i64 {
        self.created_at + i64::from(self.request.expiry_time)
    }

    /// Unix second at which an `ACTIVE` verification ends without a result:
    /// the token's expiry until the page is opened (`expiryTime` bounds the
    /// wait for the user to start), then the session's end (`sessionLength`).
    pub fn deadline(&self) -> i64 {
        match self.session_started_at {
            Some(started) => started + i64::from(self.request.session_length),
            None => self.expires_at(),
        }
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.status, Overall::Deleted | Overall::ExpiredDeleted)
    }

    /// Deletes the personal data. Refused while the token is still usable.
    /// Deleting twice is harmless.
    pub fn delete(&mut self) -> Result<(), DeleteError> {
        self.status = match self.status {
            Overall::Active => return Err(DeleteError::NotExpiredYet),
            Overall::Expired | Overall::ExpiredDeleted => Overall::ExpiredDeleted,
            _ => Overall::Deleted,
        };
        // A new request, not one changed in place: the store measures a
        // request again when it is another one (`store::books`).
        self.request = std::sync::Arc::new(TokenRequest {
            first_name: None,
            last_name: None,
            date_of_birth: None,
            date_of_expiry: None,
            date_of_issue: None,
            nationality: None,
            personal_number: None,
            document_number: None,
            sex: None,
            address: None,
            additional_data: None,
            ..TokenRequest::clone(&self.request)
        });
        Ok(())
    }

    /// The document data iDenfy would have read: what the partner sent at
    /// token creation, plausible values elsewhere; all null until a result
    /// exists, and after expiry or deletion.
    pub fn document_data(&self) -> DocumentData {
        if !self.status.is_finished() {
            return DocumentData::default();
        }
        let r = &self.request;
        let mut first = r
            .first_name
            .as_deref()
            .unwrap_or(canned::FIRST_NAME)
            .to_owned();
        let mut last = r
            .last_name
            .as_deref()
            .unwrap_or(canned::LAST_NAME)
            .to_owned();
        // A name mismatch reads the document's name differently from the
        // partner's (or the canned) one: NAME the first name, SURNAME the
        // last, FULL_NAME both.
        let full = self.mismatched(MismatchTag::FullName);
        if full || self.mismatched(MismatchTag::Name) {
            first = canned::misread(&first);
        }
        if full || self.mismatched(MismatchTag::Surname) {
            last = canned::misread(&last);
        }
        // The canned document has expired only when the result says so.
        let expired =
            self.manual_document.or(self.auto_document) == Some(DocumentResult::DocExpired);
        let (expiry, issue) = canned::dates(self.created_at, expired);
        let selected = r
            .selected_country()
            .map_or_else(|| "LT".to_string(), str::to_ascii_uppercase);
        // `ALL` sets no nationality: the document's is the selected country.
        let nationality = r
            .nationality
            .as_deref()
            .filter(|n| !n.eq_ignore_ascii_case("ALL"))
            .map_or_else(|| selected.clone(), str::to_ascii_uppercase);
        DocumentData {
            full_name: Some(format!("{first} {last}")),
            doc_first_name: Some(first),
            doc_last_name: Some(last),
            doc_number: Some(
                r.document_number
                    .as_deref()
                    .unwrap_or(canned::DOCUMENT_NUMBER)
                    .to_owned(),
            ),
            doc_personal_code: Some(
                r.personal_number
                    .as_deref()
                    .unwrap_or(canned::PERSONAL_CODE)
                    .to_owned(),
            ),
            doc_expiry: Some(r.date_of_expiry.clone().unwrap_or(expiry)),
            doc_dob: Some(
                r.date_of_birth
                    .as_deref()
                    .unwrap_or(canned::DATE_OF_BIRTH)
                    .to_owned(),
            ),
            doc_date_of_issue: Some(r.date_of_issue.clone().unwrap_or(issue)),
            doc_type: r.documents.first().map(|d| d.as_str()),
            doc_sex: Some(r.sex.map_or("MALE", |s| s.long_name())),
            doc_nationality: Some(nationality),
            doc_issuing_country: Some(selected.clone()),
            selected_country: Some(selected),
            address: r.address.as_deref().map(str::to_owned),
            manually_data_changed: Some(false),
            ..DocumentData::default()
        }
    }
}

/// The `data` object of webhooks and `/api/v2/data`: every key present,
/// `null` where there is nothing.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentData {
    pub doc_first_name: Option<String>,
    pub doc_last_name: Option<String>,
    pub doc_number: Option<String>,
    pub doc_personal_code: Option<String>,
    pub doc_expiry: Option<String>,
    pub doc_dob: Option<String>,
    pub doc_date_of_issue: Option<String>,
    pub doc_type: Option<&'static str>,
    pub doc_sex: Option<&'static str>,
    pub doc_nationality: Option<String>,
    pub doc_issuing_country: Option<String>,
    pub doc_temporary_address: Option<String>,
    pub doc_birth_name: Option<String>,
    pub birth_place: Option<String>,
    pub authority: Option<String>,
    pub address: Option<String>,
    pub mothers_maiden_name: Option<String>,
    pub driver_license_category: Option<String>,
    pub manually_data_changed: Option<bool>,
    pub full_name: Option<String>,
    pub selected_country: Option<String>,
    pub org_first_name: Option<String>,
    pub org_last_name: Option<String>,
    pub org_nationality: Option<String>,
    pub org_birth_place: Option<String>,
    pub org_authority: Option<String>,
    pub org_address: Option<String>,
    pub org_temporary_address: Option<String>,
    pub org_mothers_maiden_name: Option<String>,
    pub org_patronymic: Option<String>,
    pub org_birth_name: Option<String>,
    pub age_estimate: Option<String>,
    pub client_ip_proxy_risk_level: Option<String>,
    /// `null` when empty, never `[]`.
    pub duplicate_faces: Option<Vec<String>>,
    /// `null` when empty, never `[]`.
    pub duplicate_doc_faces: Option<Vec<String>>,
    pub address_verification: Option<String>,
    pub doc_patronymic: Option<String>,
    /// An object or `null`, never a string (what a step read; the mock runs none).
    #[schema(value_type = Option<Object>)]
    pub additional_data: Option<serde_json::Map<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing;
    use serde_json::json;

    fn verification(body: serde_json::Value) -> Verification {
        let req = TokenRequest::parse(
            &crate::domain::fields::object_of(&body),
            &testing::defaults(),
        )
        .unwrap();
        Verification::new("s".into(), "t".into(), 0, req, None, "k".into(), 1000)
    }

    #[test]
    fn dummy_results_reach_their_status() {
        for (canned, status) in [
            (testing::approved(), Overall::Approved),
            (testing::denied(), Overall::Denied),
            (testing::suspected(), Overall::Suspected),
        ] {
            let mut v = verification(json!({"clientId": "c"}));
            assert!(v.finish_automatically(&canned, ReviewPolicy::default(), 1001));
            assert_eq!(v.status, status);
            assert_eq!(v.reported_status(), v.status);
            assert_eq!(v.manual_face, v.auto_face);
        }
    }

    #[test]
    fn reviewed_results_wait_for_the_manual_one() {
        let (approved, denied) = (&testing::approved(), &testing::denied());
        let only_failed = ReviewPolicy {
            successful: false,
            failed: true,
        };
        let mut v = verification(json!({"clientId": "c"}));
        assert!(v.finish_automatically(approved, only_failed, 1001));
        assert_eq!(v.reported_status(), Overall::Approved);
        let mut v = verification(json!({"clientId": "c"}));
        assert!(!v.finish_automatically(denied, only_failed, 1001));
        assert_eq!(
            (v.status, v.reported_status()),
            (Overall::Denied, Overall::Reviewing)
        );
        assert_eq!((v.manual_face, v.manual_document), (None, None));
        v.review_manually(FaceResult::FaceMatch, DocumentResult::DocValidated, 1002);
        assert_eq!(v.reported_status(), Overall::Approved);
    }

    #[test]
    fn review_policy_by_outcome() {
        let both = ReviewPolicy {
            successful: true,
            failed: true,
        };
        for o in [Overall::Approved, Overall::Denied, Overall::Suspected] {
            assert!(both.reviews(o));
            assert!(!ReviewPolicy::default().reviews(o));
        }
        assert!(!both.reviews(Overall::Expired));
    }

    #[test]
    fn manual_review_decides_and_clears_tags() {
        let mut v = verification(json!({"clientId": "c"}));
        v.finish_automatically(&testing::suspected(), ReviewPolicy::default(), 1001);
        assert_eq!(v.status, Overall::Suspected);
        v.review_manually(FaceResult::FaceMatch, DocumentResult::DocValidated, 1002);
        assert_eq!(v.status, Overall::Approved);
        assert!(v.mismatch_tags.is_empty());
        v.review_manually(FaceResult::FaceMatch, DocumentResult::DocExpired, 1003);
        assert_eq!(v.status, Overall::Denied);
    }

    #[test]
    fn a_document_only_session_has_no_face_check_and_the_document_decides() {
        let finished = |canned: &AutoResult| {
            let mut v = verification(json!({"clientId": "c", "tokenType": "DOCUMENT"}));
            v.finish_automatically(canned, ReviewPolicy::default(), 1001);
            v
        };
        let v = finished(&testing::approved());
        assert_eq!(v.status, Overall::Approved);
        assert_eq!(v.auto_face, Some(FaceResult::FaceNotChecked));
        assert_eq!(v.manual_face, Some(FaceResult::FaceNotChecked));
        // A face failure is carried by the document: still DENIED.
        let v = finished(&testing::denied());
        assert_eq!(v.status, Overall::Denied);
        assert_eq!(v.auto_face, Some(FaceResult::FaceNotChecked));
        assert_eq!(v.auto_document, Some(DocumentResult::DocFaceNotFound));
        // A selfie tag becomes the document portrait's.
        let duplicate = AutoResult {
            fraud_tags: vec![Open::Known(FraudTag::DuplicateFace)],
            ..testing::approved()
        };
        let v = finished(&duplicate);
        assert_eq!(v.status, Overall::Suspected);
        assert_eq!(v.fraud_tags, [Open::Known(FraudTag::DuplicateDocFace)]);
        // A manual review of it: the document decides.
        let mut v = finished(&testing::denied());
        v.review_manually(FaceResult::FaceMismatch, DocumentResult::DocValidated, 1002);
        assert_eq!(v.status, Overall::Denied);
        v.review_manually(FaceResult::FaceMatch, DocumentResult::DocValidated, 1003);
        assert_eq!(
            (v.status, v.manual_face),
            (Overall::Approved, Some(FaceResult::FaceNotChecked))
        );
    }

    #[test]
    fn the_canned_document_agrees_with_the_result() {
        let mut v =
            verification(json!({"clientId": "c", "firstName": "John", "lastName": "Smith"}));
        v.finish_automatically(&testing::suspected(), ReviewPolicy::default(), 1001);
        let d = v.document_data();
        assert_eq!(
            (d.doc_first_name.as_deref(), d.doc_last_name.as_deref()),
            (Some("JON"), Some("SMITH"))
        );
        assert_eq!(d.full_name.as_deref(), Some("JON SMITH"));
        // Created in 1970, approved: the document expires in 1975.
        let mut v = verification(json!({"clientId": "c"}));
        v.finish_automatically(&testing::approved(), ReviewPolicy::default(), 1001);
        assert_eq!(v.document_data().doc_expiry.as_deref(), Some("1975-12-20"));
        v.review_manually(FaceResult::FaceMatch, DocumentResult::DocExpired, 1002);
        assert_eq!(v.document_data().doc_expiry.as_deref(), Some("1969-12-20"));
    }

    #[test]
    fn an_aml_match_is_suspected_only_when_screened() {
        let weber = json!({"clientId": "c", "firstName": "Manfred", "lastName": "Weber"});
        let mut v = verification(weber.clone());
        v.finish_automatically(&testing::approved(), ReviewPolicy::default(), 1001);
        assert_eq!(v.status, Overall::Approved);
        let mut v = verification(weber);
        v.aml_screening = true;
        v.finish_automatically(&testing::approved(), ReviewPolicy::default(), 1001);
        assert_eq!(v.status, Overall::Suspected);
        assert_eq!(v.fraud_tags, [Open::Known(FraudTag::AmlSuspection)]);
        assert_eq!(v.aml_hit(), Some(aml::Entity::Person));
    }

    #[test]
    fn delete_rules() {
        let mut v = verification(json!({"clientId": "c", "firstName": "Ann"}));
        assert_eq!(v.delete(), Err(DeleteError::NotExpiredYet));
        v.expire(5000);
        assert_eq!(v.delete(), Ok(()));
        assert_eq!(v.status, Overall::ExpiredDeleted);
        assert_eq!(v.request.first_name, None);
        assert_eq!(v.delete(), Ok(()));
        assert_eq!(v.status, Overall::ExpiredDeleted);
    }

    #[test]
    fn data_is_filled_from_the_request() {
        let mut v = verification(json!({"clientId": "c", "firstName": "John Tom",
            "lastName": "Smith", "sex": "F", "nationality": "lt", "documents": ["PASSPORT"]}));
        assert_eq!(v.document_data(), DocumentData::default());
        v.finish_automatically(&testing::approved(), ReviewPolicy::default(), 1001);
        let d = v.document_data();
        assert_eq!(d.full_name.as_deref(), Some("JOHN TOM SMITH"));
        assert_eq!(d.doc_sex, Some("FEMALE"));
        assert_eq!(d.doc_nationality.as_deref(), Some("LT"));
        assert_eq!(d.doc_type, Some("PASSPORT"));
        assert_eq!(d.duplicate_faces, None);
        // Nationality ALL sets none: the document's is the selected country.
        let mut v = verification(json!({"clientId": "c", "nationality": "all", "country": "xk"}));
        v.finish_automatically(&testing::approved(), ReviewPolicy::default(), 1001);
        let d = v.document_data();
        assert_eq!(d.doc_nationality.as_deref(), Some("XK"));
        assert_eq!(d.selected_country.as_deref(), Some("XK"));
    }
}

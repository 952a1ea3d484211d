//! The small request bodies: `{"scanRef"}` (status, data, files, delete) and
//! `add-dummy-status`. Parsed here, free of HTTP, so they can be fuzzed.

use super::fields::{FieldError, FieldResult, Fields, Object};
use super::status::{DocumentResult, FaceResult};

/// The `scanRef` of a body, required and a string.
pub fn scan_ref(body: &Object) -> FieldResult<String> {
    Fields(body).required_string("scanRef").map(str::to_owned)
}

/// An `add-dummy-status` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualReview {
    pub scan_ref: String,
    pub face: FaceResult,
    pub document: DocumentResult,
}

impl ManualReview {
    /// Fields in order: `scanRef`, `manualFaceMatchResult`, `manualDocumentValidity`.
    pub fn parse(body: &Object) -> FieldResult<ManualReview> {
        let f = Fields(body);
        let scan_ref = scan_ref(body)?;
        let face = f
            .one_of("manualFaceMatchResult", FaceResult::parse, FaceResult::list)?
            .ok_or_else(|| FieldError::missing("manualFaceMatchResult"))?;
        let document = f
            .one_of(
                "manualDocumentValidity",
                DocumentResult::parse,
                DocumentResult::list,
            )?
            .ok_or_else(|| FieldError::missing("manualDocumentValidity"))?;
        Ok(ManualReview {
            scan_ref,
            face,
            document,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn manual_review() {
        let ok = json!({"scanRef": "s", "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_FAKE"});
        let r = ManualReview::parse(&crate::domain::fields::object_of(&ok)).unwrap();
        assert_eq!(
            (r.face, r.document),
            (FaceResult::FaceMatch, DocumentResult::DocFake)
        );
        let missing = json!({"scanRef": "s", "manualFaceMatchResult": "FACE_MATCH"});
        assert_eq!(
            ManualReview::parse(&crate::domain::fields::object_of(&missing)),
            Err(FieldError::missing("manualDocumentValidity"))
        );
        let bad = json!({"scanRef": 5});
        assert!(matches!(
            ManualReview::parse(&crate::domain::fields::object_of(&bad)),
            Err(FieldError::Bad(_))
        ));
    }
}

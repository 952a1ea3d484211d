//! Results of a session without a selfie (`tokenType: DOCUMENT`, "document
//! scan only"). No face match is run, so the face results read
//! `FACE_NOT_CHECKED` (the only FaceStatusEnum value that says no check ran;
//! `FACE_NOT_ANALYSED` means "denied for another reason"), no selfie tag can
//! arise, and the document decides alone. Every result recorded on such a
//! verification (a dummy's canned one, a page outcome, a manual review) goes
//! through here, so a canned result written for a selfie still reaches the
//! status it names.

use super::status::{DocumentResult, FaceResult, FraudTag, FraudTagValue, Open, Overall};

/// The face result of a session without a selfie.
pub const FACE: FaceResult = FaceResult::FaceNotChecked;

/// The document result once the face result is dropped: a failure given as
/// a face result with a validated document is carried by the nearest
/// document result (a face-match failure becomes `DOC_FACE_NOT_FOUND`, the
/// face on the document being what is left to fail), so a DENIED result stays
/// DENIED. A failing document result is kept as given.
pub fn document(face: FaceResult, document: DocumentResult) -> DocumentResult {
    use DocumentResult as D;
    use FaceResult as F;
    if document != D::DocValidated {
        return document;
    }
    match face {
        F::FaceMatch | F::FaceNotChecked => D::DocValidated,
        F::FaceGlared => D::DocFaceGlared,
        F::FaceTooBlurry => D::DocTooBlurry,
        F::FaceError => D::DocError,
        F::AutoUnverifiable => D::AutoUnverifiable,
        F::FaceNotAnalysed => D::DocNotAnalysed,
        F::FaceMismatch | F::NoFaceFound | F::TooManyFaces | F::FaceUncertain | F::FakeFace => {
            D::DocFaceNotFound
        }
    }
}

/// A fraud tag as a session without a selfie can raise it: a selfie tag
/// becomes its document-portrait counterpart (the face on the document can
/// still be blocklisted, duplicated or suspected); every other tag is kept.
pub fn fraud_tag(tag: FraudTagValue) -> FraudTagValue {
    use FraudTag as T;
    match tag {
        Open::Known(T::FaceInBlacklist) => Open::Known(T::DocFaceInBlacklist),
        Open::Known(T::FaceBlacklisted) => Open::Known(T::DocFaceBlacklisted),
        Open::Known(T::DuplicateFace) => Open::Known(T::DuplicateDocFace),
        // "The selfie face is not genuine": for a document portrait, a
        // substituted portrait.
        Open::Known(T::FaceSuspected) => Open::Known(T::PortraitSubstitution),
        other => other,
    }
}

/// The overall-status rule without a face: any tag → SUSPECTED; else
/// DOC_VALIDATED → APPROVED; else DENIED.
pub fn overall(document: Option<DocumentResult>, has_tags: bool) -> Overall {
    if has_tags {
        Overall::Suspected
    } else if document == Some(DocumentResult::DocValidated) {
        Overall::Approved
    } else {
        Overall::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `tag` is about the selfie (never sent for a session without one).
    fn is_selfie_tag(tag: &FraudTagValue) -> bool {
        matches!(
            tag,
            Open::Known(
                FraudTag::FaceInBlacklist
                    | FraudTag::FaceBlacklisted
                    | FraudTag::DuplicateFace
                    | FraudTag::FaceSuspected
            )
        )
    }

    #[test]
    fn a_face_failure_moves_to_the_document_and_a_document_failure_stays() {
        use DocumentResult as D;
        for face in FaceResult::ALL {
            let d = document(*face, D::DocValidated);
            let passes = matches!(face, FaceResult::FaceMatch | FaceResult::FaceNotChecked);
            assert_eq!(d == D::DocValidated, passes, "{face:?} -> {d:?}");
            assert_eq!(document(*face, D::DocExpired), D::DocExpired);
        }
    }

    #[test]
    fn selfie_tags_become_document_tags() {
        for tag in FraudTag::ALL {
            let mapped = fraud_tag(Open::Known(*tag));
            assert!(!is_selfie_tag(&mapped), "{tag:?} -> {mapped:?}");
            assert_eq!(
                mapped == Open::Known(*tag),
                !is_selfie_tag(&Open::Known(*tag))
            );
        }
        let other = Open::Other("NEW_TAG".into());
        assert_eq!(fraud_tag(other.clone()), other);
    }

    #[test]
    fn the_document_decides_alone() {
        assert_eq!(
            overall(Some(DocumentResult::DocValidated), false),
            Overall::Approved
        );
        assert_eq!(
            overall(Some(DocumentResult::DocValidated), true),
            Overall::Suspected
        );
        assert_eq!(
            overall(Some(DocumentResult::DocFaceNotFound), false),
            Overall::Denied
        );
        assert_eq!(overall(None, false), Overall::Denied);
    }
}

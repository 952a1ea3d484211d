//! The status vocabulary (spelled exactly as iDenfy does) and the rule that
//! turns face and document results into an overall status.

use super::wire_enum;

wire_enum!(
    /// Overall status of a verification.
    Overall {
        Approved = "APPROVED",
        Denied = "DENIED",
        Suspected = "SUSPECTED",
        Reviewing = "REVIEWING",
        Active = "ACTIVE",
        Expired = "EXPIRED",
        ExpiredDeleted = "EXPIRED-DELETED",
        Deleted = "DELETED",
        Archived = "ARCHIVED",
    }
);

impl Overall {
    /// The value iDenfy's OpenAPI `IdentificationStatusEnum` has for this
    /// status. The enum lacks `EXPIRED-DELETED` (a prose-only state: "token
    /// expired and verification data was deleted"); its `DELETED` ("data
    /// was deleted") is what happened last and what the data, all null,
    /// shows. Every other status is in the enum as it is.
    pub fn documented(self) -> Overall {
        match self {
            Overall::ExpiredDeleted => Overall::Deleted,
            other => other,
        }
    }

    /// A result has been reached (the data and files exist).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Overall::Approved | Overall::Denied | Overall::Suspected
        )
    }
}

wire_enum!(
    /// Face match results, automatic or manual: the documented list, then the
    /// OpenAPI additions.
    FaceResult {
        FaceMatch = "FACE_MATCH",
        FaceMismatch = "FACE_MISMATCH",
        NoFaceFound = "NO_FACE_FOUND",
        TooManyFaces = "TOO_MANY_FACES",
        FaceTooBlurry = "FACE_TOO_BLURRY",
        FaceUncertain = "FACE_UNCERTAIN",
        FaceNotAnalysed = "FACE_NOT_ANALYSED",
        FaceNotChecked = "FACE_NOT_CHECKED",
        FaceError = "FACE_ERROR",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
        FakeFace = "FAKE_FACE",
        FaceGlared = "FACE_GLARED",
    }
);

wire_enum!(
    /// Document validity results, automatic or manual: the documented list,
    /// then the OpenAPI additions.
    DocumentResult {
        DocValidated = "DOC_VALIDATED",
        DocInfoMismatch = "DOC_INFO_MISMATCH",
        DocNotFound = "DOC_NOT_FOUND",
        DocNotFullyVisible = "DOC_NOT_FULLY_VISIBLE",
        DocNotSupported = "DOC_NOT_SUPPORTED",
        DocFaceNotFound = "DOC_FACE_NOT_FOUND",
        DocTooBlurry = "DOC_TOO_BLURRY",
        DocFaceGlared = "DOC_FACE_GLARED",
        MrzNotFound = "MRZ_NOT_FOUND",
        MrzOcrReadingError = "MRZ_OCR_READING_ERROR",
        BarcodeNotFound = "BARCODE_NOT_FOUND",
        DocExpired = "DOC_EXPIRED",
        CountryMismatch = "COUNTRY_MISMATCH",
        DocTypeMismatch = "DOC_TYPE_MISMATCH",
        DocDamaged = "DOC_DAMAGED",
        DocFake = "DOC_FAKE",
        DocError = "DOC_ERROR",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
        DocNotAnalysed = "DOC_NOT_ANALYSED",
        DocNameError = "DOC_NAME_ERROR",
        DocSurnameError = "DOC_SURNAME_ERROR",
        DocExpiryError = "DOC_EXPIRY_ERROR",
        DocDobError = "DOC_DOB_ERROR",
        DocPersonalNumberError = "DOC_PERSONAL_NUMBER_ERROR",
        DocNumberError = "DOC_NUMBER_ERROR",
        DocDateOfIssueError = "DOC_DATE_OF_ISSUE_ERROR",
        DocSexError = "DOC_SEX_ERROR",
        DocNationalityError = "DOC_NATIONALITY_ERROR",
        DocGlared = "DOC_GLARED",
        CountryNotSupported = "COUNTRY_NOT_SUPPORTED",
        DocSubtypeMismatch = "DOC_SUBTYPE_MISMATCH",
        DocSideMismatch = "DOC_SIDE_MISMATCH",
        DocPersonalCodeInvalid = "DOC_PERSONAL_CODE_INVALID",
        DocNotAllowed = "DOC_NOT_ALLOWED",
        DocSpoofDetected = "DOC_SPOOF_DETECTED",
        MrzInvalid = "MRZ_INVALID",
        EidFailed = "EID_FAILED",
        NfcInitFailed = "NFC_INIT_FAILED",
        NfcFailed = "NFC_FAILED",
        NfcTimeout = "NFC_TIMEOUT",
    }
);

wire_enum!(
    /// Fraud tags: the documented list, then the OpenAPI additions.
    FraudTag {
        FaceInBlacklist = "FACE_IN_BLACKLIST",
        DocFaceInBlacklist = "DOC_FACE_IN_BLACKLIST",
        DuplicateFace = "DUPLICATE_FACE",
        DuplicateDocFace = "DUPLICATE_DOC_FACE",
        DuplicatePersonalData = "DUPLICATE_PERSONAL_DATA",
        VirtualCamera = "VIRTUAL_CAMERA",
        DocMobilePhoto = "DOC_MOBILE_PHOTO",
        DevToolsOpened = "DEV_TOOLS_OPENED",
        DocPrintSpoofed = "DOC_PRINT_SPOOFED",
        FakePhoto = "FAKE_PHOTO",
        AmlSuspection = "AML_SUSPECTION",
        LidSuspection = "LID_SUSPECTION",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
        DataBlacklisted = "DATA_BLACKLISTED",
        DataInBlacklist = "DATA_IN_BLACKLIST",
        AddressUnverified = "ADDRESS_UNVERIFIED",
        PortraitSubstitution = "PORTRAIT_SUBSTITUTION",
        FaceSuspected = "FACE_SUSPECTED",
        FaceBlacklisted = "FACE_BLACKLISTED",
        DocFaceBlacklisted = "DOC_FACE_BLACKLISTED",
        AmlFailed = "AML_FAILED",
        LidFailed = "LID_FAILED",
        SanctionsSuspection = "SANCTIONS_SUSPECTION",
        SanctionsFailed = "SANCTIONS_FAILED",
        CriminalSuspected = "CRIMINAL_SUSPECTED",
        CriminalCheckFailed = "CRIMINAL_CHECK_FAILED",
        RcFailed = "RC_FAILED",
        DlFailed = "DL_FAILED",
    }
);

wire_enum!(
    /// Mismatch tags: the documented list, then the OpenAPI additions.
    MismatchTag {
        Name = "NAME",
        Surname = "SURNAME",
        DocumentNumber = "DOCUMENT_NUMBER",
        PersonalCode = "PERSONAL_CODE",
        ExpiryDate = "EXPIRY_DATE",
        DateOfBirth = "DATE_OF_BIRTH",
        DateOfIssue = "DATE_OF_ISSUE",
        Nationality = "NATIONALITY",
        Sex = "SEX",
        FullName = "FULL_NAME",
        UnderAge = "UNDER_AGE",
        OverAge = "OVER_AGE",
        DocInfoMismatch = "DOC_INFO_MISMATCH",
        UnknownAge = "UNKNOWN_AGE",
        UtilityAddress = "UTILITY_ADDRESS",
        UtilityName = "UTILITY_NAME",
        ExpiredUtilityBill = "EXPIRED_UTILITY_BILL",
        InvalidAdditionalStep = "INVALID_ADDITIONAL_STEP",
        AdditionalStepNotFound = "ADDITIONAL_STEP_NOT_FOUND",
        AdditionalStepInformationMismatch = "ADDITIONAL_STEP_INFORMATION_MISMATCH",
        ExpiredAdditionalStepInformation = "EXPIRED_ADDITIONAL_STEP_INFORMATION",
        RegistryCenterInfoMismatch = "REGISTRY_CENTER_INFO_MISMATCH",
        DriverLicenseInfoMismatch = "DRIVER_LICENSE_INFO_MISMATCH",
        NotSupportedPoaDocumentType = "NOT_SUPPORTED_POA_DOCUMENT_TYPE",
        NotSupportedPoaDocumentCountry = "NOT_SUPPORTED_POA_DOCUMENT_COUNTRY",
        PoaCountriesMismatch = "POA_COUNTRIES_MISMATCH",
        PoaScreenshotDetected = "POA_SCREENSHOT_DETECTED",
    }
);

wire_enum!(
    /// `dummyStatus` values accepted on token creation in DEV.
    DummyStatus {
        Approved = "APPROVED",
        Denied = "DENIED",
        Suspected = "SUSPECTED",
        Expired = "EXPIRED",
        Active = "ACTIVE",
    }
);

impl DummyStatus {
    /// The overall status a dummy result must reach, for those that finish the
    /// verification with face and document results.
    pub fn finished_overall(self) -> Option<Overall> {
        match self {
            DummyStatus::Approved => Some(Overall::Approved),
            DummyStatus::Denied => Some(Overall::Denied),
            DummyStatus::Suspected => Some(Overall::Suspected),
            DummyStatus::Expired | DummyStatus::Active => None,
        }
    }
}

wire_enum!(
    /// Values of the `Idenfy-Event-Type` webhook header.
    EventType {
        AutoFinished = "IDENTIFICATION_AUTO_FINISHED",
        ManualFinished = "IDENTIFICATION_MANUAL_FINISHED",
        Expired = "IDENTIFICATION_EXPIRED",
        Identification = "IDENTIFICATION",
        Cancelled = "IDENTIFICATION_CANCELLED",
        Resubmitted = "IDENTIFICATION_RESUBMITTED",
        /// Not a result: a notice that an approved verification's document
        /// nears its expiry or has expired (`domain::expiration`).
        DocumentExpiration = "DOCUMENT_EXPIRATION",
    }
);

/// A value of a vocabulary iDenfy tells integrators to expect to grow (the
/// fraud tags): a known one, or another upper-case word a tester gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Open<T> {
    Known(T),
    Other(String),
}

/// Longest tag word accepted outside the vocabulary.
pub const MAX_OPEN_WORD: usize = 64;

/// An upper-case word: `A-Z` first, then `A-Z`, `0-9` or `_`, at most
/// [`MAX_OPEN_WORD`] bytes.
pub fn is_upper_word(s: &str) -> bool {
    s.len() <= MAX_OPEN_WORD
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

impl<T: super::Vocabulary> Open<T> {
    /// A known value, or any other upper-case word.
    pub fn parse(s: &str) -> Option<Open<T>> {
        T::from_wire(s)
            .map(Open::Known)
            .or_else(|| is_upper_word(s).then(|| Open::Other(s.into())))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Open::Known(t) => t.wire(),
            Open::Other(s) => s,
        }
    }
}

impl<T> From<T> for Open<T> {
    fn from(t: T) -> Open<T> {
        Open::Known(t)
    }
}

impl<T: super::Vocabulary> serde::Serialize for Open<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, T: super::Vocabulary> serde::Deserialize<'de> for Open<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Open::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is neither one of: {} nor an upper-case word (A-Z, 0-9, _; at most {MAX_OPEN_WORD})",
                T::listed()
            ))
        })
    }
}

impl<T: super::Vocabulary> utoipa::PartialSchema for Open<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z][A-Z0-9_]*$"))
            .description(Some(format!(
                "One of {}, or another upper-case word (iDenfy adds tags over time)",
                T::listed()
            )))
            .into()
    }
}

impl<T: super::Vocabulary> utoipa::ToSchema for Open<T> {}

/// A fraud tag as stored and sent: any upper-case word is accepted.
pub type FraudTagValue = Open<FraudTag>;
/// A mismatch tag as stored and sent: any upper-case word is accepted.
pub type MismatchTagValue = Open<MismatchTag>;

/// The overall-status rule for a finished verification, given the
/// effective face and document results (manual ?? auto): any fraud or mismatch
/// tag → SUSPECTED; else FACE_MATCH and DOC_VALIDATED → APPROVED; else DENIED.
pub fn overall_of(
    face: Option<FaceResult>,
    document: Option<DocumentResult>,
    has_tags: bool,
) -> Overall {
    if has_tags {
        Overall::Suspected
    } else if face == Some(FaceResult::FaceMatch) && document == Some(DocumentResult::DocValidated)
    {
        Overall::Approved
    } else {
        Overall::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_rule() {
        use DocumentResult::*;
        use FaceResult::*;
        assert_eq!(
            overall_of(Some(FaceMatch), Some(DocValidated), false),
            Overall::Approved
        );
        assert_eq!(
            overall_of(Some(FaceMatch), Some(DocValidated), true),
            Overall::Suspected
        );
        assert_eq!(
            overall_of(Some(FaceMismatch), Some(DocValidated), false),
            Overall::Denied
        );
        assert_eq!(
            overall_of(Some(FaceMatch), Some(DocExpired), false),
            Overall::Denied
        );
        assert_eq!(overall_of(None, None, false), Overall::Denied);
        assert_eq!(
            overall_of(Some(FaceError), Some(DocFake), true),
            Overall::Suspected
        );
    }

    #[test]
    fn open_tags_take_known_values_and_other_upper_case_words() {
        assert_eq!(
            FraudTagValue::parse("VIRTUAL_CAMERA"),
            Some(Open::Known(FraudTag::VirtualCamera))
        );
        assert_eq!(
            FraudTagValue::parse("NEW_TAG_2"),
            Some(Open::Other("NEW_TAG_2".into()))
        );
        for bad in ["", "lower", "2X", "A-B", &"A".repeat(65)] {
            assert_eq!(FraudTagValue::parse(bad), None, "{bad}");
        }
        let v: MismatchTagValue = serde_json::from_str("\"NAME\"").unwrap();
        assert_eq!(v, Open::Known(MismatchTag::Name));
        assert_eq!(
            serde_json::to_string(&Open::<MismatchTag>::Other("X".into())).unwrap(),
            "\"X\""
        );
        assert!(serde_json::from_str::<FraudTagValue>("\"nope\"").is_err());
    }

    #[test]
    fn wire_spellings_round_trip() {
        for o in Overall::ALL {
            assert_eq!(Overall::parse(o.as_str()), Some(*o));
        }
        assert_eq!(Overall::ExpiredDeleted.as_str(), "EXPIRED-DELETED");
        // The OpenAPI enum's values, which `documented` stays within.
        let enum_values = [
            "APPROVED",
            "DENIED",
            "SUSPECTED",
            "REVIEWING",
            "EXPIRED",
            "ACTIVE",
            "DELETED",
            "ARCHIVED",
        ];
        for o in Overall::ALL {
            assert!(enum_values.contains(&o.documented().as_str()), "{o:?}");
            if enum_values.contains(&o.as_str()) {
                assert_eq!(o.documented(), *o);
            }
        }
        assert_eq!(
            serde_json::to_string(&DocumentResult::MrzOcrReadingError).unwrap(),
            "\"MRZ_OCR_READING_ERROR\""
        );
        assert!(serde_json::from_str::<FaceResult>("\"face_match\"").is_err());
    }
}

//! The settings the domain's rules read, as plain types: the partner defaults
//! a token falls back to, the canned automatic results, the iframe message's
//! form. `config` reads them from TOML (and re-exports them); the domain
//! depends on nothing else of the crate.

use serde::{Deserialize, Serialize};

use super::status::{DocumentResult, FaceResult, FraudTagValue, MismatchTagValue};
use super::token::DocumentType;

/// Which partner a verification belongs to: its index in the configuration.
pub type PartnerId = usize;

/// What a token falls back to (`[defaults]`; iDenfy: the partner's dashboard).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub expiry_time: u32,
    pub session_length: u32,
    pub locale: String,
    pub documents: Vec<DocumentType>,
    /// Seconds a `fileUrls` link works after it is issued (iDenfy's: an hour).
    #[serde(default = "one_hour")]
    pub file_url_ttl_secs: u64,
}

fn one_hour() -> u64 {
    3600
}

/// The verification page's iframe message (`[ui]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// What the page in an iframe posts to its parent: the message object
    /// (production front ends read `event.data.status`) or a JSON string
    /// (iDenfy's docs `JSON.parse(event.data)`).
    pub iframe_message: IframeMessageForm,
    /// The case of the message's `status` and `manualStatus` values.
    pub iframe_case: IframeCase,
}

/// How the iframe message travels (`ui.iframe_message`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IframeMessageForm {
    #[default]
    Object,
    Json,
}

/// The case of the iframe message's values (`ui.iframe_case`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IframeCase {
    #[default]
    Lower,
    Upper,
}

/// The automatic result a `dummyStatus` produces.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResult {
    pub auto_face: FaceResult,
    pub auto_document: DocumentResult,
    #[serde(default)]
    pub fraud_tags: Vec<FraudTagValue>,
    #[serde(default)]
    pub mismatch_tags: Vec<MismatchTagValue>,
}

/// An absolute http or https URL with a host.
pub fn is_http_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host().is_some(),
        Err(_) => false,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! The embedded configuration's values, for the domain's unit tests
    //! (`config`'s tests check that they agree with config.toml).
    use super::*;

    pub fn defaults() -> Defaults {
        Defaults {
            expiry_time: 3600,
            session_length: 600,
            locale: "en".into(),
            documents: vec![
                DocumentType::IdCard,
                DocumentType::Passport,
                DocumentType::ResidencePermit,
                DocumentType::DriverLicense,
            ],
            file_url_ttl_secs: 3600,
        }
    }

    pub fn approved() -> CannedResult {
        CannedResult {
            auto_face: FaceResult::FaceMatch,
            auto_document: DocumentResult::DocValidated,
            fraud_tags: vec![],
            mismatch_tags: vec![],
        }
    }

    pub fn denied() -> CannedResult {
        CannedResult {
            auto_face: FaceResult::FaceMismatch,
            ..approved()
        }
    }

    pub fn suspected() -> CannedResult {
        CannedResult {
            mismatch_tags: vec![MismatchTagValue::parse("NAME").expect("a mismatch tag")],
            ..approved()
        }
    }
}

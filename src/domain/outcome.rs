//! What a person (or a test) can do on the verification page, and what the
//! user is told afterwards (redirect target, iframe message).

use serde::Serialize;

use serde::Deserialize;

use super::status::{
    DocumentResult, FaceResult, FraudTag, FraudTagValue, MismatchTag, Open, Overall,
};
use super::verification::{AutoResult, Verification};

/// A fraud or mismatch tag, chosen for a SUSPECTED outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Fraud(FraudTagValue),
    Mismatch(MismatchTag),
}

impl Tag {
    /// A known fraud or mismatch tag; any other upper-case word is taken as
    /// a fraud tag (iDenfy adds tags over time).
    pub fn parse(s: &str) -> Option<Tag> {
        FraudTag::parse(s)
            .map(|t| Tag::Fraud(Open::Known(t)))
            .or_else(|| MismatchTag::parse(s).map(Tag::Mismatch))
            .or_else(|| FraudTagValue::parse(s).map(Tag::Fraud))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Tag::Fraud(t) => t.as_str(),
            Tag::Mismatch(t) => t.as_str(),
        }
    }
}

super::wire_enum!(
    /// The names of the outcomes, as the page's forms, the control API and the
    /// scenario catalogue spell them.
    OutcomeKind {
        Approve = "approve",
        Deny = "deny",
        Suspect = "suspect",
        Unverified = "unverified",
    }
);

/// How a session is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Deny {
        face: FaceResult,
        document: DocumentResult,
    },
    Suspect {
        tag: Tag,
    },
    /// The user leaves without a result ("leave unverified"): a cancel.
    Unverified,
}

impl Outcome {
    /// Reads an outcome from its parts, as the page's forms and the control
    /// API send them: `approve`; `deny` with an optional face and document
    /// result (default FACE_MISMATCH, DOC_VALIDATED); `suspect` with an
    /// optional tag (default NAME); `unverified`. The error names what is wrong.
    pub fn from_parts(
        outcome: &str,
        face: Option<&str>,
        document: Option<&str>,
        tag: Option<&str>,
    ) -> Result<Outcome, String> {
        let kind = OutcomeKind::parse(outcome)
            .ok_or_else(|| format!("outcome must be one of: {}", OutcomeKind::list()))?;
        match kind {
            OutcomeKind::Approve => Ok(Outcome::Approve),
            OutcomeKind::Deny => Ok(Outcome::Deny {
                face: FaceResult::parse(face.unwrap_or("FACE_MISMATCH"))
                    .ok_or_else(|| format!("face must be one of: {}", FaceResult::list()))?,
                document: DocumentResult::parse(document.unwrap_or("DOC_VALIDATED")).ok_or_else(
                    || format!("document must be one of: {}", DocumentResult::list()),
                )?,
            }),
            OutcomeKind::Suspect => Ok(Outcome::Suspect {
                tag: Tag::parse(tag.unwrap_or("NAME")).ok_or_else(|| {
                    format!(
                        "tag must be one of: {}, {}, or another upper-case word (A-Z, 0-9, _)",
                        MismatchTag::list(),
                        FraudTag::list()
                    )
                })?,
            }),
            OutcomeKind::Unverified => Ok(Outcome::Unverified),
        }
    }

    /// The automatic result this outcome records; `None` for `Unverified`.
    pub fn auto_result(self) -> Option<AutoResult> {
        let passed = |fraud_tags, mismatch_tags| AutoResult {
            auto_face: FaceResult::FaceMatch,
            auto_document: DocumentResult::DocValidated,
            fraud_tags,
            mismatch_tags,
        };
        match self {
            Outcome::Approve => Some(passed(vec![], vec![])),
            Outcome::Deny { face, document } => Some(AutoResult {
                auto_face: face,
                auto_document: document,
                fraud_tags: vec![],
                mismatch_tags: vec![],
            }),
            Outcome::Suspect { tag: Tag::Fraud(t) } => Some(passed(vec![t], vec![])),
            Outcome::Suspect {
                tag: Tag::Mismatch(t),
            } => Some(passed(vec![], vec![Open::Known(t)])),
            Outcome::Unverified => None,
        }
    }
}

/// Where the user is sent after the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserResult {
    /// → successUrl
    Approved,
    /// → errorUrl
    Failed,
    /// → unverifiedUrl
    Unverified,
}

impl UserResult {
    /// APPROVED and SUSPECTED count as passed for the user (SUSPECTED is the
    /// partner's call); DENIED fails; no result is unverified. A final webhook
    /// that could not be delivered sends the user to the error URL, as iDenfy does.
    pub fn of(v: &Verification) -> UserResult {
        if v.final_webhook_failed {
            return UserResult::Failed;
        }
        match v.status {
            Overall::Approved | Overall::Suspected => UserResult::Approved,
            Overall::Denied => UserResult::Failed,
            _ => UserResult::Unverified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserResult::Approved => "approved",
            UserResult::Failed => "failed",
            UserResult::Unverified => "unverified",
        }
    }

    /// The `status` of the mock's own result page (`/ui/result?status=…`),
    /// spelled as on `ui.idenfy.com/result`.
    pub fn result_page_status(self) -> &'static str {
        match self {
            UserResult::Approved => "success",
            UserResult::Failed => "fail",
            UserResult::Unverified => "unverified",
        }
    }

    /// The partner's URL for this result, if it set one.
    pub fn url(self, v: &Verification) -> Option<&str> {
        match self {
            UserResult::Approved => v.request.success_url.as_deref(),
            UserResult::Failed => v.request.error_url.as_deref(),
            UserResult::Unverified => v.request.unverified_url.as_deref(),
        }
    }
}

/// The message an embedded page posts to its parent window: by default this
/// object with lower-case values (what production front ends read as
/// `event.data.status`); see [`IframeMessage::posted`] for the other forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IframeMessage {
    pub status: UserResult,
    /// `waiting` while a manual review is pending, `approved` or `failed`
    /// once a manual result exists, `null` when there is neither (the user
    /// left without a result: nothing is waiting for a reviewer).
    #[schema(value_type = Option<String>)]
    pub manual_status: Option<&'static str>,
    pub auto_suspected: bool,
    pub manual_suspected: bool,
}

/// How the verification page in an iframe posts its result to the parent
/// window (`[ui]` in the configuration).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IframeSettings {
    /// What the page posts: the message object (production front ends read
    /// `event.data.status`) or a JSON string (iDenfy's docs
    /// `JSON.parse(event.data)`).
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

impl IframeMessage {
    pub fn of(v: &Verification) -> IframeMessage {
        let has_manual = v.manual_face.is_some() || v.manual_document.is_some();
        // WAITING means the user finished and a reviewer has yet to decide;
        // iDenfy's older iframe docs list `null` beside it for no review.
        let manual_status = match (v.review_pending, has_manual, v.status) {
            (true, _, _) => Some("waiting"),
            (false, false, _) => None,
            (false, true, Overall::Approved | Overall::Suspected) => Some("approved"),
            (false, true, _) => Some("failed"),
        };
        IframeMessage {
            status: UserResult::of(v),
            manual_status,
            auto_suspected: !v.fraud_tags.is_empty() || !v.mismatch_tags.is_empty(),
            manual_suspected: has_manual && v.status == Overall::Suspected,
        }
    }
}

impl IframeMessage {
    /// What the page posts, in the configured form: the object itself or its
    /// JSON text (iDenfy's docs `JSON.parse(event.data)`), with `status` and
    /// `manualStatus` in lower or upper case.
    pub fn posted(&self, ui: &IframeSettings) -> serde_json::Value {
        let case = |s: &str| match ui.iframe_case {
            IframeCase::Lower => s.to_owned(),
            IframeCase::Upper => s.to_ascii_uppercase(),
        };
        let object = serde_json::json!({
            "status": case(self.status.as_str()),
            "manualStatus": self.manual_status.map(case),
            "autoSuspected": self.auto_suspected,
            "manualSuspected": self.manual_suspected,
        });
        match ui.iframe_message {
            IframeMessageForm::Object => object,
            IframeMessageForm::Json => serde_json::Value::String(object.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posted_message_follows_the_configuration() {
        let m = IframeMessage {
            status: UserResult::Approved,
            manual_status: Some("waiting"),
            auto_suspected: false,
            manual_suspected: false,
        };
        let ui = |iframe_message, iframe_case| IframeSettings {
            iframe_message,
            iframe_case,
        };
        let lower = serde_json::json!({"status": "approved", "manualStatus": "waiting",
            "autoSuspected": false, "manualSuspected": false});
        assert_eq!(
            m.posted(&ui(IframeMessageForm::Object, IframeCase::Lower)),
            lower
        );
        let upper = serde_json::json!({"status": "APPROVED", "manualStatus": "WAITING",
            "autoSuspected": false, "manualSuspected": false});
        assert_eq!(
            m.posted(&ui(IframeMessageForm::Object, IframeCase::Upper)),
            upper
        );
        let text = m.posted(&ui(IframeMessageForm::Json, IframeCase::Upper));
        let parsed: serde_json::Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        assert_eq!(parsed, upper);
        // No manual status stays null in either case and form.
        let none = IframeMessage {
            status: UserResult::Unverified,
            manual_status: None,
            ..m
        };
        let posted = none.posted(&ui(IframeMessageForm::Json, IframeCase::Upper));
        let parsed: serde_json::Value = serde_json::from_str(posted.as_str().unwrap()).unwrap();
        assert_eq!(parsed["manualStatus"], serde_json::Value::Null);
        assert_eq!(parsed["status"], "UNVERIFIED");
    }

    #[test]
    fn result_page_statuses_are_idenfys() {
        assert_eq!(UserResult::Approved.result_page_status(), "success");
        assert_eq!(UserResult::Failed.result_page_status(), "fail");
        assert_eq!(UserResult::Unverified.result_page_status(), "unverified");
    }

    #[test]
    fn outcomes_from_parts() {
        assert_eq!(
            Outcome::from_parts("approve", None, None, None),
            Ok(Outcome::Approve)
        );
        assert!(matches!(
            Outcome::from_parts("deny", Some("NO_FACE_FOUND"), None, None),
            Ok(Outcome::Deny {
                face: FaceResult::NoFaceFound,
                document: DocumentResult::DocValidated
            })
        ));
        assert!(Outcome::from_parts("deny", Some("nope"), None, None)
            .unwrap_err()
            .contains("face"));
        assert!(Outcome::from_parts("suspect", None, None, Some("x"))
            .unwrap_err()
            .contains("tag"));
        assert!(Outcome::from_parts("explode", None, None, None).is_err());
    }

    #[test]
    fn tags_parse_from_either_list() {
        assert_eq!(Tag::parse("NAME"), Some(Tag::Mismatch(MismatchTag::Name)));
        assert_eq!(
            Tag::parse("VIRTUAL_CAMERA"),
            Some(Tag::Fraud(Open::Known(FraudTag::VirtualCamera)))
        );
        assert_eq!(
            Tag::parse("BRAND_NEW"),
            Some(Tag::Fraud(Open::Other("BRAND_NEW".into())))
        );
        assert_eq!(Tag::parse("nope"), None);
    }

    #[test]
    fn outcomes_reach_their_status_by_the_rule() {
        use crate::domain::status::overall_of;
        let check = |o: Outcome, expected: Overall| {
            let r = o.auto_result().unwrap();
            let tags = !r.fraud_tags.is_empty() || !r.mismatch_tags.is_empty();
            assert_eq!(
                overall_of(Some(r.auto_face), Some(r.auto_document), tags),
                expected
            );
        };
        check(Outcome::Approve, Overall::Approved);
        check(
            Outcome::Deny {
                face: FaceResult::FaceMismatch,
                document: DocumentResult::DocValidated,
            },
            Overall::Denied,
        );
        check(
            Outcome::Suspect {
                tag: Tag::Mismatch(MismatchTag::Name),
            },
            Overall::Suspected,
        );
        assert!(Outcome::Unverified.auto_result().is_none());
    }
}

//! `/_mock/scenarios`: a machine-readable list of what the mock can produce.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::outcome::OutcomeKind;
use crate::domain::status::{
    DocumentResult, DummyStatus, EventType, FaceResult, FraudTag, MismatchTag, Overall,
};
use crate::runtime::app::AppState;
use crate::runtime::faults::{FaultAction, FaultTarget};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DummyScenario {
    pub dummy_status: DummyStatus,
    pub overall: Overall,
    pub auto_face: Option<FaceResult>,
    pub auto_document: Option<DocumentResult>,
    pub fraud_tags: Vec<crate::domain::status::FraudTagValue>,
    pub mismatch_tags: Vec<crate::domain::status::MismatchTagValue>,
    /// The webhook it sends, if any.
    pub event: Option<EventType>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
}

/// What the mock can produce.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scenarios {
    pub dummy_statuses: Vec<DummyScenario>,
    pub manual_face_results: Vec<FaceResult>,
    pub manual_document_results: Vec<DocumentResult>,
    pub page_outcomes: Vec<OutcomeKind>,
    pub events: Vec<EventType>,
    pub overall_statuses: Vec<Overall>,
    pub fraud_tags: Vec<FraudTag>,
    pub mismatch_tags: Vec<MismatchTag>,
    pub api_fault_actions: Vec<String>,
    pub webhook_fault_actions: Vec<String>,
}

/// A machine-readable list of what the mock can produce.
#[utoipa::path(get, path = "/_mock/scenarios", tag = "control", responses((status = 200, body = Scenarios)))]
pub async fn scenarios(State(app): State<AppState>) -> Json<Scenarios> {
    // The first partner's review defaults decide whether a result is final.
    let review = crate::lifecycle::review_policy(&app, 0, None);
    let dummy_statuses = DummyStatus::ALL
        .iter()
        .map(|&s| {
            let canned = app.config().dummy.results.get(&s);
            let (overall, event, is_final) = match s {
                DummyStatus::Active => (Overall::Active, None, None),
                DummyStatus::Expired => (Overall::Expired, Some(EventType::Expired), Some(true)),
                other => {
                    let overall = other.finished_overall().unwrap_or(Overall::Denied);
                    (
                        overall,
                        Some(EventType::AutoFinished),
                        Some(!review.reviews(overall)),
                    )
                }
            };
            DummyScenario {
                dummy_status: s,
                overall,
                auto_face: canned.map(|c| c.auto_face),
                auto_document: canned.map(|c| c.auto_document),
                fraud_tags: canned.map(|c| c.fraud_tags.clone()).unwrap_or_default(),
                mismatch_tags: canned.map(|c| c.mismatch_tags.clone()).unwrap_or_default(),
                event,
                is_final,
            }
        })
        .collect();
    Json(Scenarios {
        dummy_statuses,
        manual_face_results: FaceResult::ALL.to_vec(),
        manual_document_results: DocumentResult::ALL.to_vec(),
        page_outcomes: OutcomeKind::ALL.to_vec(),
        events: EventType::ALL.to_vec(),
        overall_statuses: Overall::ALL.to_vec(),
        fraud_tags: FraudTag::ALL.to_vec(),
        mismatch_tags: MismatchTag::ALL.to_vec(),
        api_fault_actions: FaultAction::names_for(FaultTarget::Api),
        webhook_fault_actions: FaultAction::names_for(FaultTarget::Webhook),
    })
}

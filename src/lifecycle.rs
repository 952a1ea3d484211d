//! What happens to a verification, and the webhooks each step produces:
//! created (with or without a dummy result), reviewed manually, deleted.
//! The API handlers, the verification page and the control API all go
//! through here, so a step behaves the same whoever triggers it.

use std::time::Duration;

use crate::app::App;
use crate::domain::status::{DocumentResult, DummyStatus, EventType, FaceResult};
use crate::domain::token::TokenRequest;
use crate::domain::verification::{DeleteError, Verification};
use crate::files;
use crate::partners::PartnerId;
use crate::webhook::{self, payload, Outgoing};

/// Creates a verification from a validated token request. A `dummyStatus`
/// finishes it at once with the canned result and queues its webhook.
pub fn create(app: &App, partner: PartnerId, request: TokenRequest) -> Verification {
    let now = app.clock.now_secs();
    let digit_string = (request.generate_digit_string || request.dummy_status.is_some())
        .then(|| app.ids.digit_string());
    let dummy = request.dummy_status;
    let v = Verification::new(
        app.ids.scan_ref(),
        app.ids.auth_token(),
        partner,
        request,
        digit_string,
        app.ids.secret(),
        now,
    );
    app.store.insert_with(v, |v| {
        let delay = Duration::from_millis(app.config.webhooks.delay_ms);
        match dummy {
            None | Some(DummyStatus::Active) => {}
            Some(DummyStatus::Expired) => {
                v.expire(now);
                emit(app, v, EventType::Expired, true, delay);
            }
            Some(status) => {
                let simulate = app.config.dummy.simulate_manual_review;
                // Config validation guarantees a canned result for every finishing status.
                if let Some(canned) = app.config.dummy.results.get(&status) {
                    v.finish_automatically(canned, simulate, now);
                    emit(app, v, EventType::AutoFinished, simulate, delay);
                }
            }
        }
        v.clone()
    })
}

/// Why a step on an existing verification was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// Unknown scanRef, or another partner's.
    NotFound,
    /// The verification's data has been deleted.
    Deleted,
    /// Delete refused: the token can still be used.
    NotExpiredYet,
}

/// Records a manual review (`add-dummy-status`) and sends its final webhook.
pub fn review_manually(
    app: &App,
    partner: PartnerId,
    scan_ref: &str,
    face: FaceResult,
    document: DocumentResult,
) -> Result<(), StepError> {
    let now = app.clock.now_secs();
    app.store
        .update(partner, scan_ref, |v| {
            if v.is_deleted() {
                return Err(StepError::Deleted);
            }
            v.review_manually(face, document, now);
            emit(app, v, EventType::ManualFinished, true, Duration::ZERO);
            Ok(())
        })
        .unwrap_or(Err(StepError::NotFound))
}

/// Deletes a verification's personal data (`/api/v2/delete`).
pub fn delete(app: &App, partner: PartnerId, scan_ref: &str) -> Result<(), StepError> {
    app.store
        .update(partner, scan_ref, |v| {
            v.delete()
                .map_err(|DeleteError::NotExpiredYet| StepError::NotExpiredYet)
        })
        .unwrap_or(Err(StepError::NotFound))
}

/// Produces a webhook about `v` in its current state. Called with `v` locked.
fn emit(app: &App, v: &Verification, event: EventType, is_final: bool, delay: Duration) {
    let partner = &app.partners.get(v.partner).config;
    let body = payload::body(v, is_final, files::urls(v, &app.public_url));
    app.webhooks.emit(Outgoing {
        scan_ref: v.scan_ref.clone(),
        partner_key: partner.api_key.clone(),
        event,
        is_final,
        target: webhook::target(
            v.request.callback_url.as_deref(),
            &partner.webhook_url,
            &app.config.webhooks.url,
        ),
        signing_key: partner.signing_key.clone(),
        body,
        delay,
    });
}

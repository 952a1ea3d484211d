//! Every change to a verification, and the webhooks each step produces:
//! created (with or without a dummy result), opened and finished on the
//! verification page or through the control API, reviewed manually,
//! expired, deleted, purged, told how its final webhook settled, forgotten
//! by a reset. The API handlers, the verification page, the control API, the
//! deadline sweeper and the webhook engine all go through here, so a step
//! behaves the same whoever triggers it.
//!
//! A step's webhook is made one way ([`webhook`]: its body, routes, the
//! injected faults it takes, its signatures) and committed one way
//! ([`Webhooks::commit`](crate::runtime::webhook::Webhooks::commit): journaled
//! and queued) while the verification is locked, inside the store's
//! `insert` or `update`, which fixes its place in the verification's order.
//! A new verification is seen by nobody until it is stored, so its webhook
//! is made before the store is locked; every other step makes it under the
//! lock, from the verification as the step left it.

use std::time::Duration;

use crate::domain::aml;
use crate::domain::expiration::{self, ExpirationThreshold};
use crate::domain::outcome::Outcome;
use crate::domain::payload;
use crate::domain::status::{DocumentResult, DummyStatus, EventType, FaceResult, Overall};
use crate::domain::token::TokenRequest;
use crate::domain::verification::{AutoResult, DeleteError, ReviewPolicy, Verification};
use crate::domain::PartnerId;
use crate::runtime::app::App;
use crate::runtime::faults::FaultAction;
use crate::runtime::files;
use crate::runtime::store::TimerKind;
use crate::runtime::sync::Wake;
use crate::runtime::webhook::delivery::Reservation;
use crate::runtime::webhook::plan::{plan, Planned};
use crate::runtime::webhook::{self, Outgoing};

/// Room in the delivery queue for the webhook that a step on a verification
/// of `partner` (with `callback_url`) produces for `event`: a ticket per
/// target, waiting up to `webhooks.enqueue_wait_ms` for them. Past that the
/// request is refused, before anything is made (backpressure).
pub async fn room(
    app: &App,
    partner: PartnerId,
    callback_url: Option<&str>,
    event: EventType,
) -> Result<Reservation, StepError> {
    let routes = webhook::routes(
        &app.partners().get(partner).config,
        callback_url,
        app.config().webhooks.url.as_ref(),
        event,
    );
    let targets: Vec<&str> = routes.iter().filter_map(|r| r.target.as_deref()).collect();
    let wait = Duration::from_millis(app.config().webhooks.enqueue_wait_ms);
    app.webhooks()
        .reserve(&targets, wait)
        .await
        .map_err(|_| StepError::Busy)
}

/// [`room`] for the webhook a token request makes at once (a finishing or
/// expired `dummyStatus`); none for the others.
pub async fn room_for_token(
    app: &App,
    partner: PartnerId,
    request: &TokenRequest,
) -> Result<Reservation, StepError> {
    let event = match request.dummy_status {
        None | Some(DummyStatus::Active) => return Ok(Reservation::none()),
        Some(DummyStatus::Expired) => EventType::Expired,
        Some(_) => EventType::AutoFinished,
    };
    room(app, partner, request.callback_url.as_deref(), event).await
}

/// Creates a verification from a validated token request. A `dummyStatus`
/// finishes it at once with the canned result and queues its webhook in the
/// `room` taken for it ([`room_for_token`]). Returns the verification as
/// created, for the token response.
pub fn create(
    app: &App,
    partner: PartnerId,
    request: TokenRequest,
    mut room: Reservation,
) -> Verification {
    let now = app.clock().now_secs();
    let digit_string = (request.generate_digit_string || request.dummy_status.is_some())
        .then(|| app.ids().digit_string());
    let dummy = request.dummy_status;
    // Never one a stored verification has (a seeded run restored from a
    // snapshot draws the same sequence again).
    let store = app.store();
    let scan_ref = fresh(|| app.ids().scan_ref(), |s| store.contains(s));
    let auth_token = fresh(
        || app.ids().auth_token(),
        |t| store.scan_ref_of_token(t).is_some(),
    );
    let aml_screening = aml::screens(app.partners().get(partner).config.aml_screening, &request);
    let mut v = Verification::new(
        scan_ref,
        auth_token,
        partner,
        request,
        digit_string,
        app.ids().secret(),
        now,
    );
    let partner_config = &app.partners().get(partner).config;
    v.attempts_allowed = v
        .request
        .max_attempt_count
        .or(partner_config.max_attempts)
        .unwrap_or(app.config().defaults.max_attempts);
    v.expiry_watched = partner_config
        .subscriptions
        .iter()
        .any(|s| s.events.contains(&EventType::DocumentExpiration));
    v.aml_screening = aml_screening;
    let created = v.clone();
    let delay = Duration::from_millis(app.config().webhooks.delay_ms);
    let webhook = match dummy {
        None | Some(DummyStatus::Active) => None,
        Some(DummyStatus::Expired) => Some(expire(app, &mut v, now, delay)),
        // Config validation guarantees a canned result for every finishing status.
        Some(status) => app
            .config()
            .dummy
            .results
            .get(&status)
            .map(|canned| finish_automatically(app, &mut v, canned, now, delay)),
    };
    // The store files its deadline (expiry, or retention once finished).
    app.store().insert(v, |_| {
        if let Some(planned) = webhook {
            app.webhooks().commit(planned, &mut room);
        }
    });
    created
}

/// The first value `draw` gives that is not `taken`.
fn fresh<T: AsRef<str>>(draw: impl Fn() -> T, taken: impl Fn(&str) -> bool) -> T {
    loop {
        let value = draw();
        if !taken(value.as_ref()) {
            return value;
        }
    }
}

/// Why a step on an existing verification was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// Unknown scanRef or authToken, or another partner's.
    NotFound,
    /// The verification's data has been deleted.
    Deleted,
    /// Delete refused: the token can still be used.
    NotExpiredYet,
    /// The session already has a result: a token is used once.
    AlreadyFinished,
    /// The token or its session ran out.
    Expired,
    /// The delivery queue had no room for the step's webhook within
    /// `webhooks.enqueue_wait_ms`: nothing was changed.
    Busy,
}

/// Records a manual review (`add-dummy-status`) and sends its final webhook.
pub async fn review_manually(
    app: &App,
    partner: PartnerId,
    scan_ref: &str,
    face: FaceResult,
    document: DocumentResult,
) -> Result<(), StepError> {
    let callback = app
        .store()
        .read(partner, scan_ref, |v| v.request.callback_url.clone())
        .ok_or(StepError::NotFound)?;
    let mut room = room(app, partner, callback.as_deref(), EventType::ManualFinished).await?;
    let now = app.clock().now_secs();
    app.store()
        .update(partner, scan_ref, |v| {
            if v.is_deleted() {
                return Err(StepError::Deleted);
            }
            v.review_manually(face, document, now);
            let made = webhook(app, v, EventType::ManualFinished, true, Duration::ZERO);
            app.webhooks().commit(made, &mut room);
            Ok(())
        })
        .unwrap_or(Err(StepError::NotFound))
}

/// Deletes a verification's personal data (`/api/v2/delete`).
pub fn delete(app: &App, partner: PartnerId, scan_ref: &str) -> Result<(), StepError> {
    app.store()
        .update(partner, scan_ref, |v| {
            v.delete()
                .map_err(|DeleteError::NotExpiredYet| StepError::NotExpiredYet)
        })
        .unwrap_or(Err(StepError::NotFound))
}

/// The user opens the verification page: the session starts (once) and
/// `sessionLength` bounds it from then on.
pub fn open_session(app: &App, auth_token: &str) -> Result<Verification, StepError> {
    let now = app.clock().now_secs();
    let scan_ref = app
        .store()
        .scan_ref_of_token(auth_token)
        .ok_or(StepError::NotFound)?;
    with_usable_token(app, &scan_ref, now, &mut Reservation::none(), |v, _| {
        if v.session_started_at.is_none() {
            // From now on the session's end is its deadline.
            v.session_started_at = Some(now);
        }
        Ok(v.clone())
    })
}

/// What finishing a session's attempt did.
#[derive(Debug)]
pub enum Finished {
    /// The session ended: the verification, and the journal id of its
    /// final webhook if one was produced.
    Ended(Verification, Option<u64>),
    /// The attempt failed with attempts left: no webhook; the user may try
    /// again (this many attempts are left).
    Retry(Verification, u32),
}

impl Finished {
    pub fn verification(&self) -> &Verification {
        match self {
            Finished::Ended(v, _) | Finished::Retry(v, _) => v,
        }
    }
}

/// The session's attempt ends with `outcome` (the verification page's
/// buttons, or the control API): a failing result with attempts left is
/// recorded as a failed attempt, without a webhook ("no immediate callback
/// when the client failed and has not reached maximum reattempts");
/// otherwise the result is recorded as the automatic one and the webhook
/// goes out as iDenfy's DEV environment sends it. `last_attempt` makes this
/// attempt the last one.
pub async fn finish_session(
    app: &App,
    auth_token: &str,
    outcome: Outcome,
    last_attempt: bool,
) -> Result<Finished, StepError> {
    let scan_ref = app
        .store()
        .scan_ref_of_token(auth_token)
        .ok_or(StepError::NotFound)?;
    let (partner, callback) = app
        .store()
        .read_any(&scan_ref, |v| (v.partner, v.request.callback_url.clone()))
        .ok_or(StepError::NotFound)?;
    let auto = outcome.auto_result();
    let event = if auto.is_some() {
        EventType::AutoFinished
    } else {
        EventType::Cancelled
    };
    let mut room = room(app, partner, callback.as_deref(), event).await?;
    let now = app.clock().now_secs();
    with_usable_token(app, &scan_ref, now, &mut room, |v, room| {
        if let Some(result) = auto.as_ref().filter(|_| !last_attempt) {
            if let Some(left) = v.fail_attempt(result) {
                return Ok(Finished::Retry(v.clone(), left));
            }
        }
        let made = match auto {
            Some(result) => finish_automatically(app, v, &result, now, Duration::ZERO),
            None => cancel(app, v, now),
        };
        let is_final = made.is_final();
        let id = app.webhooks().commit(made, room);
        Ok(Finished::Ended(v.clone(), is_final.then_some(id)))
    })
}

/// [`finish_session`] for the verification `scan_ref` (the control API and
/// the dashboard), whoever owns it.
pub async fn finish_by_scan_ref(
    app: &App,
    scan_ref: &str,
    outcome: Outcome,
    last_attempt: bool,
) -> Result<Finished, StepError> {
    let token = app
        .store()
        .read_any(scan_ref, |v| v.auth_token.clone())
        .ok_or(StepError::NotFound)?;
    finish_session(app, &token, outcome, last_attempt).await
}

/// Runs `f` on the verification `scan_ref` while its token can still be
/// used; expires it first when its deadline has passed.
fn with_usable_token<R>(
    app: &App,
    scan_ref: &str,
    now: i64,
    room: &mut Reservation,
    f: impl FnOnce(&mut Verification, &mut Reservation) -> Result<R, StepError>,
) -> Result<R, StepError> {
    app.store()
        .update_any(scan_ref, |v| match v.status {
            Overall::Active if now >= v.deadline() => {
                let made = run_out(app, v, now);
                app.webhooks().commit(made, room);
                Err(StepError::Expired)
            }
            Overall::Active => f(v, room),
            Overall::Expired | Overall::ExpiredDeleted => Err(StepError::Expired),
            _ => Err(StepError::AlreadyFinished),
        })
        .unwrap_or(Err(StepError::NotFound))
}

/// The webhook engine's word on a final webhook: delivered, or given up on.
/// The verification page then sends the user on accordingly (a final
/// webhook that failed sends them to the error URL, as iDenfy does).
pub fn final_webhook_settled(app: &App, scan_ref: &str, delivered: bool) {
    app.store()
        .update_any(scan_ref, |v| v.final_webhook_failed = !delivered);
}

/// Back to a known state: every partner's verifications with their
/// webhooks (`None`), plus the faults, the inboxes, the clock and every
/// partner's usage; or only one partner's verifications, webhooks and
/// usage. Returns how many verifications went.
pub fn reset(app: &App, partner: Option<PartnerId>) -> usize {
    let removed = forget(app, partner);
    match partner {
        None => {
            app.faults().clear();
            app.inbox().clear_all();
            app.clock().set_offset_ms(0);
            for (_, p) in app.partners().iter() {
                p.reset_usage();
            }
        }
        Some(id) => app.partners().get(id).reset_usage(),
    }
    removed
}

/// Forgets verifications with everything that hangs off them (journal
/// entries, held-back webhooks, deadlines): every partner's (`None`) or one
/// partner's. Returns how many verifications went.
pub fn forget(app: &App, partner: Option<PartnerId>) -> usize {
    let Some(id) = partner else {
        app.webhooks().forget(|_| true, |_| true);
        return app.store().retain(|_| false);
    };
    let key = app.partners().get(id).key();
    let mut gone = std::collections::HashSet::new();
    let removed = app.store().retain(|v| {
        let keep = v.partner != id;
        if !keep {
            gone.insert(v.scan_ref.clone());
        }
        keep
    });
    app.webhooks()
        .forget(|r| r.partner == key, |scan_ref| gone.contains(scan_ref));
    removed
}

/// Forgets every verification and webhook before a restore of a snapshot
/// whose largest webhook id is `max_id`, at one instant (under the store's
/// lock): what is made after it is kept whole, what was made before it
/// goes whole, and no job queued before it touches a restored record.
/// Returns how many verifications went.
pub fn forget_for_restore(app: &App, max_id: u64) -> usize {
    app.store()
        .forget_all_fenced(|| app.webhooks().begin_restore(max_id))
        .0
}

/// Puts back a verification from a snapshot; the store files its deadline.
pub fn restore(app: &App, v: Verification) {
    app.store().insert(v, |_| ());
}

/// A deadline came for `scan_ref`: expire it or purge it if that is due.
fn on_timer(app: &App, kind: TimerKind, scan_ref: &str) {
    let now = app.clock().now_secs();
    match kind {
        TimerKind::Expire => {
            app.store().update_any(scan_ref, |v| {
                if v.status == Overall::Active && now >= v.deadline() {
                    let made = run_out(app, v, now);
                    app.webhooks().commit(made, &mut Reservation::none());
                }
            });
        }
        TimerKind::DocumentExpiration => {
            app.store().update_any(scan_ref, |v| {
                if let Some((threshold, date)) = v.expiration_due(now) {
                    v.expiration_notified = Some(threshold);
                    let made = expiration_notice(app, v, threshold, &date);
                    app.webhooks().commit(made, &mut Reservation::none());
                }
            });
        }
        TimerKind::Purge => {
            let retention = i64::try_from(app.config().store.retention_secs).unwrap_or(i64::MAX);
            app.store().purge_if(scan_ref, |v| {
                v.status != Overall::Active
                    && v.finished_at
                        .is_some_and(|f| f.saturating_add(retention) <= now)
            });
        }
    }
}

/// Records an automatic result on `v`; its webhook, made, not committed:
/// final unless the result waits for a manual review.
fn finish_automatically(
    app: &App,
    v: &mut Verification,
    result: &AutoResult,
    now: i64,
    delay: Duration,
) -> Planned {
    let review = review_policy(app, v.partner, Some(&v.request));
    let is_final = v.finish_automatically(result, review, now);
    webhook(app, v, EventType::AutoFinished, is_final, delay)
}

/// Which automatic results wait for a manual review: the token's
/// `reviewSuccessful` / `reviewFailed` when sent, else the partner's
/// defaults, else the global one (no review when DEV simulates it).
pub fn review_policy(
    app: &App,
    partner: PartnerId,
    request: Option<&TokenRequest>,
) -> ReviewPolicy {
    let partner = &app.partners().get(partner).config;
    let global = !app.config().dummy.simulate_manual_review;
    let sent = |name| request.and_then(|r| r.switch(name));
    ReviewPolicy {
        successful: sent("reviewSuccessful")
            .or(partner.review_successful)
            .unwrap_or(global),
        failed: sent("reviewFailed")
            .or(partner.review_failed)
            .unwrap_or(global),
    }
}

/// The token or its session ran out. A user who left after a failed
/// attempt gets that attempt's result now (iDenfy's "delayed webhook on
/// expiry"; a manual review follows when the partner has one); otherwise
/// the verification is EXPIRED. Its webhook, made.
fn run_out(app: &App, v: &mut Verification, now: i64) -> Planned {
    match v.failed_attempt.take() {
        Some(failed) => finish_automatically(app, v, &failed, now, Duration::ZERO),
        None => expire(app, v, now, Duration::ZERO),
    }
}

/// The token or its session ran out: EXPIRED; its final webhook, made.
fn expire(app: &App, v: &mut Verification, now: i64, delay: Duration) -> Planned {
    v.expire(now);
    webhook(app, v, EventType::Expired, true, delay)
}

/// The user left the page without a result ("leave unverified"): the token
/// is used up and the verification ends `EXPIRED` (iDenfy's only overall
/// status for a session without a result), but the final webhook says why:
/// `IDENTIFICATION_CANCELLED`, not `IDENTIFICATION_EXPIRED`.
fn cancel(app: &App, v: &mut Verification, now: i64) -> Planned {
    v.expire(now);
    webhook(app, v, EventType::Cancelled, true, Duration::ZERO)
}

/// The one way a webhook about `v` in its current state is made: its body,
/// where its copies go, the injected webhook faults it takes (none when
/// nobody subscribed: nothing is sent), and its signatures. Not journaled or
/// queued yet: [`Webhooks::commit`](crate::runtime::webhook::Webhooks::commit)
/// does that.
fn webhook(
    app: &App,
    v: &Verification,
    event: EventType,
    is_final: bool,
    delay: Duration,
) -> Planned {
    let partner = &app.partners().get(v.partner).config;
    let routes = webhook::routes(
        partner,
        v.request.callback_url.as_deref(),
        app.config().webhooks.url.as_ref(),
        event,
    );
    let faults = if routes.is_empty() {
        Vec::new()
    } else {
        app.faults().take_webhook(event, &partner.api_key)
    };
    let file_urls = || files::issued(app, v);
    let out = Outgoing {
        scan_ref: v.scan_ref.to_string(),
        partner_key: partner.api_key.clone(),
        event,
        is_final,
        routes,
        body: payload::body(v, is_final, file_urls()),
        // A `non_final_first` fault sends the same result marked not final first.
        body_not_final: (is_final && faults.contains(&FaultAction::NonFinalFirst))
            .then(|| payload::body(v, false, file_urls())),
        delay,
    };
    plan(out, &faults)
}

/// The `DOCUMENT_EXPIRATION` notice of `v` for `threshold` (its document
/// expires on `date`), made: signed and routed like a result webhook to the
/// partner's subscriptions that list the event (a token's `callbackUrl` is
/// for results, not for it), never final.
fn expiration_notice(
    app: &App,
    v: &Verification,
    threshold: ExpirationThreshold,
    date: &str,
) -> Planned {
    let partner = &app.partners().get(v.partner).config;
    let event = EventType::DocumentExpiration;
    let routes = webhook::routes(partner, None, app.config().webhooks.url.as_ref(), event);
    let faults = if routes.is_empty() {
        Vec::new()
    } else {
        app.faults().take_webhook(event, &partner.api_key)
    };
    let out = Outgoing {
        scan_ref: v.scan_ref.to_string(),
        partner_key: partner.api_key.clone(),
        event,
        is_final: false,
        routes,
        body: expiration::body(&v.scan_ref, &v.request.client_id, threshold, date),
        body_not_final: None,
        delay: Duration::ZERO,
    };
    plan(out, &faults)
}

/// The one task that acts on due deadlines (expiry, session end,
/// retention). The store keeps them beside the verifications; this asks it
/// for what is due, sleeps until the next deadline (at most a second), and
/// wakes early when a nearer deadline is filed or the clock is moved.
pub async fn sweep_timers(app: std::sync::Arc<App>) {
    loop {
        let wake = Wake::on(&[&app.store().changed, &app.clock().changed]);
        let now_ms = app.clock().now_ms();
        for (kind, scan_ref) in app.store().take_due(now_ms.div_euclid(1000)) {
            on_timer(&app, kind, &scan_ref);
        }
        let wait_ms = app
            .store()
            .next_due()
            .map_or(1000, |at| (at.saturating_mul(1000) - now_ms).clamp(1, 1000));
        let next = tokio::time::Instant::now() + Duration::from_millis(wait_ms as u64);
        wake.until(next).await;
    }
}

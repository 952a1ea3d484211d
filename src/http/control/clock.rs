//! `/_mock/clock`: read, advance and set the mock's time.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ControlError, Result};
use super::extract::CJson;
use crate::runtime::app::{App, AppState};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// Unix seconds, as the mock sees them.
    pub now: i64,
    pub now_ms: i64,
    /// Mock time minus real time.
    pub offset_ms: i64,
}

fn clock_view(app: &App) -> Json<ClockView> {
    let now_ms = app.clock().now_ms();
    Json(ClockView {
        now: now_ms.div_euclid(1000),
        now_ms,
        offset_ms: app.clock().offset_ms(),
    })
}

/// The mock's time.
#[utoipa::path(get, path = "/_mock/clock", tag = "control", responses((status = 200, body = ClockView)))]
pub async fn get_clock(State(app): State<AppState>) -> Json<ClockView> {
    clock_view(&app)
}

#[derive(Deserialize, ToSchema)]
pub struct Advance {
    /// Seconds to move forward (negative moves back).
    pub seconds: i64,
}

/// Moves the mock's time; due expiries and purges happen at once.
#[utoipa::path(post, path = "/_mock/clock/advance", tag = "control", request_body = Advance,
    responses((status = 200, body = ClockView), (status = 400, body = ControlError)))]
pub async fn advance_clock(
    State(app): State<AppState>,
    CJson(a): CJson<Advance>,
) -> Result<Json<ClockView>> {
    if !app.clock().try_advance_secs(a.seconds) {
        return Err(ControlError::bad_request(format!(
            "seconds: {} would move the clock outside 1970-01-01 to 3000-01-01 \
(Unix seconds {} to {})",
            a.seconds,
            crate::runtime::clock::MIN_SECS,
            crate::runtime::clock::MAX_SECS
        )));
    }
    Ok(clock_view(&app))
}

#[derive(Deserialize, ToSchema)]
pub struct SetClock {
    /// Unix seconds.
    pub now: i64,
}

/// Sets the mock's time.
#[utoipa::path(post, path = "/_mock/clock/set", tag = "control", request_body = SetClock,
    responses((status = 200, body = ClockView), (status = 400, body = ControlError)))]
pub async fn set_clock(
    State(app): State<AppState>,
    CJson(s): CJson<SetClock>,
) -> Result<Json<ClockView>> {
    if !crate::runtime::clock::in_range(s.now) {
        return Err(ControlError::bad_request(format!(
            "now must be Unix seconds from {} (1970-01-01) to {} (3000-01-01)",
            crate::runtime::clock::MIN_SECS,
            crate::runtime::clock::MAX_SECS
        )));
    }
    app.clock().set_secs(s.now);
    Ok(clock_view(&app))
}

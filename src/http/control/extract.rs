//! The control API's extractors: axum's `Path`, `Query` and `Json`, whose
//! rejections become the control API's own error shape (`ControlError`), so
//! a handler takes its inputs already checked and a bad one answers
//! `{"message": …, "status": 400}` like every other control error.

use axum::extract::{FromRequest, FromRequestParts, Json, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::ControlError;

/// A path parameter.
pub struct CPath<T>(pub T);

/// The query string.
pub struct CQuery<T>(pub T);

/// A JSON body.
pub struct CJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for CPath<T> {
    type Rejection = ControlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ControlError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(CPath(v)),
            Err(e) => Err(ControlError::bad_request(format!(
                "bad path parameter: {}",
                e.body_text()
            ))),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for CQuery<T> {
    type Rejection = ControlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ControlError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(CQuery(v)),
            Err(e) => Err(ControlError::bad_request(format!(
                "bad query: {}",
                e.body_text()
            ))),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CJson<T> {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ControlError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(v)) => Ok(CJson(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ControlError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is larger than this route accepts",
            )),
            Err(e) => Err(ControlError::bad_request(format!(
                "bad JSON body: {}",
                e.body_text()
            ))),
        }
    }
}

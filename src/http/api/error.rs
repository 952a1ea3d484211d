//! The four-key error envelope every failed call answers with (`message`, `identifier`, `documentation`, `severity`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::fields::FieldError;
use crate::domain::Environment;

pub const DOCUMENTATION: &str = "https://documentation.idenfy.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub identifier: &'static str,
    pub message: String,
}

/// The error body of every failed `/api/v2` call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope<'a> {
    /// What went wrong, naming the field where one is at fault.
    pub message: &'a str,
    /// e.g. `UNAUTHORIZED`, `BAD_VALUE`, `MISSING_VALUE`, `NOT_FOUND`.
    pub identifier: &'a str,
    pub documentation: &'a str,
    pub severity: &'a str,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        identifier: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            identifier,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ApiError {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid authorization credentials",
        )
    }

    pub fn partner_inactive() -> ApiError {
        Self::new(
            StatusCode::FORBIDDEN,
            "PERMISSIONS_ERROR",
            "Partner inactive",
        )
    }

    /// A DEV-only dummy feature used by a partner of another environment.
    pub fn dummy_not_available(env: Environment) -> ApiError {
        let who = match env {
            Environment::Demo => "DEMO partners",
            _ => "TESTING/PRODUCTION partners",
        };
        Self::new(
            StatusCode::FORBIDDEN,
            "PERMISSIONS_ERROR",
            format!("This endpoint is not available for {who}."),
        )
    }

    pub fn no_funds() -> ApiError {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "PARTNER_CONTRACT_ERROR",
            "Action not allowed due to lack of funds or exceeded limit.",
        )
    }

    pub fn token_limit() -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "PERMISSIONS_ERROR",
            "Partner reached token limit.",
        )
    }

    pub fn callback_url_not_allowed() -> ApiError {
        Self::new(
            StatusCode::FORBIDDEN,
            "PERMISSIONS_ERROR",
            "You are not allowed to use a custom callback url.",
        )
    }

    pub fn json(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, "JSON_ERROR", message)
    }

    pub fn field(e: FieldError) -> ApiError {
        match e {
            FieldError::Missing(m) => Self::new(StatusCode::BAD_REQUEST, "MISSING_VALUE", m),
            FieldError::Bad(m) => Self::new(StatusCode::BAD_REQUEST, "BAD_VALUE", m),
        }
    }

    pub fn scan_ref_not_found(scan_ref: &str) -> ApiError {
        let shown: String = scan_ref.chars().take(100).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("Verification with scanRef '{shown}' was not found."),
        )
    }

    pub fn not_expired_yet() -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "PARTNER_ERROR",
            "Token has not expired yet.",
        )
    }

    /// An unknown path; under `/api/` the message names the nearest real
    /// endpoint (`/api/v2/dummy-manual-status` → `/api/v2/add-dummy-status`).
    pub fn path_not_found(path: &str, endpoints: &[&str]) -> ApiError {
        let shown: String = path.chars().take(200).collect();
        let nearest = path
            .starts_with("/api/")
            .then(|| {
                endpoints
                    .iter()
                    .min_by_key(|e| strsim::levenshtein(e, &shown))
            })
            .flatten();
        let message = match nearest {
            Some(e) => format!("Path '{shown}' was not found; the nearest iDenfy endpoint is {e}."),
            None => format!("Path '{shown}' was not found."),
        };
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// A file URL past its expiry, as a pre-signed URL answers.
    pub fn file_url_expired(at: i64) -> ApiError {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!(
                "This file URL expired at {at} (Unix time); ask /api/v2/files for a fresh one."
            ),
        )
    }

    /// A method the path does not take; for iDenfy's POST endpoints the
    /// message says what they take (a `GET /api/v2/status` is a common slip).
    pub fn method_not_allowed(method: &str, path: &str) -> ApiError {
        let hint = match path {
            "/api/v2/token" => " /api/v2/token takes POST with the token request as JSON.",
            "/api/v2/redirect" => " /api/v2/redirect takes GET (a browser opens it).",
            p if p.starts_with("/api/v2/") => {
                " iDenfy's endpoints that read or change a verification take POST with a \
                 JSON body {\"scanRef\": \"...\"}."
            }
            _ => "",
        };
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("Method '{method}' is not allowed on this path.{hint}"),
        )
    }

    pub fn unsupported_media_type() -> ApiError {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ENCODING_ERROR",
            "Unsupported Content-Type: send the body as application/json.",
        )
    }

    /// A body that is not UTF-8 text, in iDenfy's words, with where the
    /// first byte that is not is.
    pub fn not_utf8(valid_up_to: usize) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ENCODING_ERROR",
            format!(
                "The request body could not be decoded. Ensure it is valid UTF-8 \
                 (the byte at offset {valid_up_to} is not)."
            ),
        )
    }

    pub fn too_large(limit: usize) -> ApiError {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_VALUE",
            format!("Request body is larger than the limit of {limit} bytes."),
        )
    }

    pub fn too_many_requests() -> ApiError {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Request limit exceeded: too many requests in the last hour.",
        )
    }

    /// The mock's backpressure: its webhook queue stayed full for the whole
    /// wait (`webhooks.enqueue_wait_ms`). iDenfy's rate-limit answer.
    pub fn busy() -> ApiError {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Too many requests: the webhooks this request would send cannot be queued now \
             (webhooks.max_pending or max_pending_per_target); retry with backoff.",
        )
    }

    pub fn internal() -> ApiError {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Unexpected server error.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorEnvelope {
            message: &self.message,
            identifier: self.identifier,
            documentation: DOCUMENTATION,
            severity: "NOT_SEVERE",
        })
        .unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"api\""),
            );
        }
        response
    }
}

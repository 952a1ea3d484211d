//! The images behind `fileUrls`: pre-signed, temporary, no Basic auth, as
//! iDenfy's. The signing and expiry rules are in `crate::runtime::files`.

use crate::runtime::app::AppState;
use crate::runtime::files;

use super::error::ApiError;

/// `GET /files/{scanRef}/{expires}/{signature}/{name}`: the image, a 403
/// envelope once expired, or a 404 envelope.
pub async fn serve(
    axum::extract::State(app): axum::extract::State<AppState>,
    axum::extract::Path((scan_ref, expires, sig, name)): axum::extract::Path<(
        String,
        String,
        String,
        String,
    )>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = app.clock().now_secs();
    let access = app
        .store()
        .read_any(&scan_ref, |v| files::open(v, &expires, &sig, &name, now))
        .unwrap_or(files::Access::NotFound);
    match access {
        files::Access::Image(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/png"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        files::Access::Expired(at) => ApiError::file_url_expired(at).into_response(),
        files::Access::NotFound => {
            ApiError::path_not_found(&format!("/files/{scan_ref}/…/{name}"), &[]).into_response()
        }
    }
}

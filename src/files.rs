//! The document images behind `fileUrls`. Like iDenfy's pre-signed URLs they
//! need no auth: each URL carries the verification's unguessable file key.

use std::collections::BTreeMap;

use subtle::ConstantTimeEq;

use crate::domain::verification::Verification;

/// (fileUrls key, file name, PNG bytes)
const FILES: [(&str, &str, &[u8]); 3] = [
    ("FRONT", "front.png", include_bytes!("../assets/front.png")),
    ("BACK", "back.png", include_bytes!("../assets/back.png")),
    ("FACE", "face.png", include_bytes!("../assets/face.png")),
];

/// The `fileUrls` map: one URL per image once the verification has a result
/// (and its data is not deleted), else empty.
pub fn urls(v: &Verification, public_url: &str) -> BTreeMap<&'static str, String> {
    if !v.status.is_finished() {
        return BTreeMap::new();
    }
    FILES
        .iter()
        .map(|(key, name, _)| {
            (
                *key,
                format!("{public_url}/files/{}/{}/{name}", v.scan_ref, v.file_key),
            )
        })
        .collect()
}

/// The image at `name` when `file_key` is this verification's and it has files.
pub fn image(v: &Verification, file_key: &str, name: &str) -> Option<&'static [u8]> {
    let key_ok: bool = v.file_key.as_bytes().ct_eq(file_key.as_bytes()).into();
    if !key_ok || !v.status.is_finished() {
        return None;
    }
    FILES
        .iter()
        .find(|(_, n, _)| *n == name)
        .map(|(_, _, b)| *b)
}

/// `GET /files/{scanRef}/{fileKey}/{name}`: the image, or a 404 envelope.
pub async fn serve(
    axum::extract::State(app): axum::extract::State<crate::app::AppState>,
    axum::extract::Path((scan_ref, file_key, name)): axum::extract::Path<(String, String, String)>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match app
        .store
        .read_any(&scan_ref, |v| image(v, &file_key, &name))
        .flatten()
    {
        Some(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/png"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        None => crate::api::error::ApiError::path_not_found(&format!("/files/{scan_ref}/…/{name}"))
            .into_response(),
    }
}

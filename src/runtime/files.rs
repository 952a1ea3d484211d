//! The document images behind `fileUrls`. Like iDenfy's pre-signed URLs they
//! need no auth and are temporary: each URL carries its expiry and a
//! signature over the scanRef and that expiry, keyed with the verification's
//! unguessable file key (one signature for the three files: one HMAC per
//! webhook, and a URL opens only that verification's images anyway). A changed URL finds nothing (404);
//! an intact one past its expiry, on the mock's clock, answers 403.

use std::collections::BTreeMap;

use crate::domain::verification::Verification;
use crate::runtime::app::App;
use crate::runtime::webhook::sign;

/// (fileUrls key, file name, PNG bytes)
type File = (&'static str, &'static str, &'static [u8]);

static FILES: [File; 3] = [
    (
        "FRONT",
        "front.png",
        include_bytes!("../../assets/front.png"),
    ),
    ("BACK", "back.png", include_bytes!("../../assets/back.png")),
    ("FACE", "face.png", include_bytes!("../../assets/face.png")),
];

/// The images `v` has: all three, less the selfie (`FACE`) for a session
/// that took none (`tokenType: DOCUMENT`).
fn files_of(v: &Verification) -> impl Iterator<Item = &'static File> {
    let selfie = v.takes_selfie();
    FILES
        .iter()
        .filter(move |(key, _, _)| selfie || *key != "FACE")
}

/// The `fileUrls` map of `v` as `app` issues it now, on its clock, with the
/// configured lifetime.
pub fn issued(app: &App, v: &Verification) -> BTreeMap<&'static str, String> {
    urls(
        v,
        app.public_url(),
        app.clock().now_secs(),
        app.config().defaults.file_url_ttl_secs,
    )
}

/// The `fileUrls` map, issued at `now` (Unix seconds, the mock's clock):
/// one URL per image it has, each working for `ttl_secs`, once the
/// verification has a result (and its data is not deleted), else empty.
pub fn urls(
    v: &Verification,
    public_url: &str,
    now: i64,
    ttl_secs: u64,
) -> BTreeMap<&'static str, String> {
    if !v.status.is_finished() {
        return BTreeMap::new();
    }
    let expires = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
    let sig = signature(v, expires);
    files_of(v)
        .map(|(key, name, _)| {
            (
                *key,
                format!("{public_url}/files/{}/{expires}/{sig}/{name}", v.scan_ref),
            )
        })
        .collect()
}

/// The images behind the `fileUrls` (key, PNG bytes), for the PDF report:
/// the same as `urls` issues, once there is a result, else none.
pub fn images(v: &Verification) -> Vec<(&'static str, &'static [u8])> {
    if !v.status.is_finished() {
        return Vec::new();
    }
    files_of(v).map(|(key, _, bytes)| (*key, *bytes)).collect()
}

fn signed_text(v: &Verification, expires: i64) -> String {
    format!("{}/{expires}", v.scan_ref)
}

fn signature(v: &Verification, expires: i64) -> String {
    sign::signature(v.file_key.as_bytes(), signed_text(v, expires).as_bytes())
}

/// What a file URL's parts open.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    Image(&'static [u8]),
    /// Intact, but its expiry (Unix seconds) has passed.
    Expired(i64),
    NotFound,
}

/// The image a URL names when its signature is this verification's (checked
/// in constant time) and it has files; [`Access::Expired`] after its expiry.
pub fn open(v: &Verification, expires: &str, sig: &str, name: &str, now: i64) -> Access {
    let Ok(expires) = expires.parse::<i64>() else {
        return Access::NotFound;
    };
    let intact = sign::verify(
        v.file_key.as_bytes(),
        signed_text(v, expires).as_bytes(),
        sig,
    );
    let Some(bytes) = files_of(v).find(|(_, n, _)| *n == name).map(|(_, _, b)| *b) else {
        return Access::NotFound;
    };
    match (intact && v.status.is_finished(), now > expires) {
        (false, _) => Access::NotFound,
        (true, true) => Access::Expired(expires),
        (true, false) => Access::Image(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::fields::object_of;
    use crate::domain::status::DummyStatus;
    use crate::domain::token::TokenRequest;
    use serde_json::json;

    fn finished() -> Verification {
        let config = Config::embedded();
        let request =
            TokenRequest::parse(&object_of(&json!({"clientId": "c"})), &config.defaults).unwrap();
        let mut v = Verification::new(
            "sr-1".into(),
            "t".into(),
            0,
            request,
            None,
            "k".repeat(32),
            1000,
        );
        v.finish_automatically(
            &config.dummy.results[&DummyStatus::Approved],
            Default::default(),
            1001,
        );
        v
    }

    fn parts(url: &str) -> (String, String, String) {
        let p: Vec<&str> = url.rsplitn(4, '/').collect();
        (p[2].to_owned(), p[1].to_owned(), p[0].to_owned())
    }

    #[test]
    fn urls_expire_and_cannot_be_altered() {
        let v = finished();
        let urls = urls(&v, "http://m", 5000, 3600);
        assert_eq!(urls.len(), 3);
        let (expires, sig, name) = parts(&urls["FRONT"]);
        assert_eq!((expires.as_str(), name.as_str()), ("8600", "front.png"));
        assert!(matches!(
            open(&v, &expires, &sig, &name, 8600),
            Access::Image(_)
        ));
        assert_eq!(open(&v, &expires, &sig, &name, 8601), Access::Expired(8600));
        // The set's other files open with it; a later expiry, an unknown
        // file or another signature: nothing.
        assert!(matches!(
            open(&v, &expires, &sig, "back.png", 5000),
            Access::Image(_)
        ));
        assert_eq!(open(&v, "9999", &sig, &name, 5000), Access::NotFound);
        assert_eq!(
            open(&v, &expires, &sig, "other.png", 5000),
            Access::NotFound
        );
        assert_eq!(
            open(&v, &expires, &"0".repeat(64), &name, 5000),
            Access::NotFound
        );
        assert_eq!(open(&v, "x", &sig, &name, 5000), Access::NotFound);
    }
}

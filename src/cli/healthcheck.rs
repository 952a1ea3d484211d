//! `idenfy-mock healthcheck`: a GET of the health endpoint, so a container
//! built `FROM scratch` can check itself without a shell or curl.

use std::time::Duration;

/// Succeeds when `url` answers with status 200 within `timeout`.
pub fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let answer = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("no answer from {url}: {e}"))?;
        match answer.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("{url} answered {status}")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_https_url_fails() {
        // The served case is tested on the real binary (tests/cli.rs).
        assert!(probe("http://127.0.0.1:1/", Duration::from_millis(500)).is_err());
        assert!(probe("https://example.test/", Duration::from_millis(500)).is_err());
    }
}

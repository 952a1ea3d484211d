//! Whether a webhook URL leads back to the mock's own control API: a
//! webhook is a JSON POST, so one aimed at `/_mock/reset` would pass the
//! same-site check and wipe every partner's data. Such a `callbackUrl` is
//! refused at token creation, and such a configured webhook URL at start.
//! The built-in receiver, `/_mock/inbox/{name}`, stays a fine target.

use std::net::IpAddr;
use std::time::Duration;

use crate::runtime::app::App;

/// How long a host name of such a URL may take to resolve.
const RESOLVE_PATIENCE: Duration = Duration::from_secs(1);

/// Whether `url` names one of the mock's control routes on the mock itself:
/// a path under `/_mock/` (not an inbox), a port it listens on, and a host
/// that is the mock: a loopback or unspecified address, `localhost`, the
/// public URL's host or a TLS name, or a name that resolves to an address
/// of this machine.
pub async fn is_own_control(app: &App, url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let path = u.path();
    let control = path == "/_mock" || path.starts_with("/_mock/");
    if !control || path.starts_with("/_mock/inbox/") {
        return false;
    }
    let listening = app.listening();
    let Some(port) = u.port_or_known_default() else {
        return false;
    };
    if !listening.addrs.iter().any(|a| a.port() == port) {
        return false;
    }
    match u.host() {
        Some(url::Host::Ipv4(ip)) => is_this_machine(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_this_machine(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost"
                || name.ends_with(".localhost")
                || listening.hosts.contains(&name)
            {
                return true;
            }
            let resolved =
                tokio::time::timeout(RESOLVE_PATIENCE, tokio::net::lookup_host((name, port))).await;
            match resolved {
                Ok(Ok(mut addrs)) => addrs.any(|a| is_this_machine(a.ip())),
                _ => false,
            }
        }
        None => false,
    }
}

/// A loopback or unspecified address, or one of this machine's interfaces
/// (only a local address can be bound).
fn is_this_machine(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || std::net::UdpSocket::bind((ip, 0)).is_ok()
}

/// Refuses a start whose configured webhook URLs (`[webhooks].url`, a
/// partner's `webhook_url`, a subscription's `url`) lead to the control API.
pub async fn check_configured_targets(app: &App) -> std::io::Result<()> {
    let config = app.config();
    let mut urls: Vec<(String, String)> = Vec::new();
    if let Some(u) = &config.webhooks.url {
        urls.push(("webhooks.url".into(), u.to_string()));
    }
    for (i, p) in config.partners.iter().enumerate() {
        if let Some(u) = &p.webhook_url {
            urls.push((format!("partners[{i}].webhook_url"), u.to_string()));
        }
        for (j, s) in p.subscriptions.iter().enumerate() {
            if let Some(u) = &s.url {
                urls.push((
                    format!("partners[{i}].subscriptions[{j}].url"),
                    u.to_string(),
                ));
            }
        }
    }
    for (key, url) in urls {
        if is_own_control(app, &url).await {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{key}: {url} is the mock's own control API; a webhook sent there could \
                     reset or steer the mock (point it at your app, or at /_mock/inbox/{{name}})"
                ),
            ));
        }
    }
    Ok(())
}

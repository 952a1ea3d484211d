//! HTTPS: the local CA and the server certificate the TLS listener presents,
//! kept in the TLS folder so that restarts, and other containers sharing the
//! folder, keep trusting the same CA.
//!
//! The folder holds `ca.pem` (the CA certificate, the one thing users trust),
//! `ca.key` (its key), `server.pem` and `server.key` (the certificate the
//! listener presents, for `ivs.idenfy.com`, `ui.idenfy.com`, `localhost`,
//! `127.0.0.1`, `::1` and the configured names), `server.names` (what it was
//! made for), and `ca.p12` (the CA as a PKCS#12 truststore for the JVM,
//! password `changeit`). Keys are written owner-only and never served,
//! logged or put in a snapshot. A CA of the user's own (`ca.pem` and `ca.key`
//! put in the folder) signs the server certificate instead; a server
//! certificate of the user's own (`[server] tls_cert` and `tls_key`) is
//! presented as it is.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

pub const CA_PEM: &str = "ca.pem";
const CA_KEY: &str = "ca.key";
const SERVER_PEM: &str = "server.pem";
const SERVER_KEY: &str = "server.key";
const SERVER_NAMES: &str = "server.names";
pub const TRUSTSTORE: &str = "ca.p12";
/// The truststore's password (Java's conventional one; it protects nothing
/// secret: the store holds a public certificate).
pub const TRUSTSTORE_PASSWORD: &str = "changeit";

/// The names every server certificate covers.
pub const NAMES: [&str; 5] = [
    "ivs.idenfy.com",
    "ui.idenfy.com",
    "localhost",
    "127.0.0.1",
    "::1",
];

/// A server certificate is made anew when it is older than this, of a
/// validity of [`SERVER_DAYS`] (short enough for every client's limit).
const RENEW_AFTER_DAYS: i64 = 300;
const SERVER_DAYS: i64 = 397;
const CA_YEARS: i64 = 10;

/// What the TLS listener presents, and the CA users trust.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// The CA certificate (PEM), served at `GET /_mock/ca.pem`.
    pub ca_pem: String,
    pub dir: PathBuf,
}

impl Tls {
    /// Where the CA certificate is.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(CA_PEM)
    }

    /// Where the JVM truststore is.
    pub fn truststore_path(&self) -> PathBuf {
        self.dir.join(TRUSTSTORE)
    }

    /// Loads what `dir` holds, making what is missing: the CA (unless one
    /// is there), the truststore, and a server certificate for [`NAMES`]
    /// and `extra` (unless `own` names a certificate and key to present).
    /// Several processes sharing `dir` take turns (a lock file), so they
    /// end up with the same CA. Every problem names the file.
    pub fn prepare(
        dir: &Path,
        extra: &[String],
        own: Option<(&Path, &Path)>,
    ) -> Result<Tls, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the TLS folder {}: {e}", dir.display()))?;
        let lock_path = dir.join(".lock");
        let lock = File::create(&lock_path).map_err(|e| {
            format!(
                "cannot write in the TLS folder ({}): {e}",
                lock_path.display()
            )
        })?;
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        let (chain, key, ca_pem) = match own {
            Some((cert, key)) => {
                let chain = read_chain(cert)?;
                let ca_pem = match std::fs::read_to_string(dir.join(CA_PEM)) {
                    Ok(pem) => pem,
                    Err(_) => pem_of(chain.last().unwrap_or(&chain[0])),
                };
                (chain, read_key(key)?, ca_pem)
            }
            None => {
                let ca = Ca::load_or_make(dir)?;
                let mut names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
                for name in extra {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
                let (chain, key) = server(dir, &ca, &names)?;
                (chain, key, ca.pem)
            }
        };
        let truststore = dir.join(TRUSTSTORE);
        if !truststore.exists() {
            write(&truststore, &java_truststore(&ca_pem)?, false)?;
        }
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the server certificate and key do not go together: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        drop(lock);
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
            dir: dir.to_owned(),
        })
    }
}

/// The CA certificate of the TLS folder `dir` (PEM), made with the folder's
/// certificates if it has none yet (`idenfy-mock ca`).
pub fn ca_pem(dir: &Path, extra: &[String]) -> Result<String, String> {
    Tls::prepare(dir, extra, None).map(|tls| tls.ca_pem)
}

/// The CA: its certificate as users trust it, and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn load_or_make(dir: &Path) -> Result<Ca, String> {
        let (pem_path, key_path) = (dir.join(CA_PEM), dir.join(CA_KEY));
        match (pem_path.exists(), key_path.exists()) {
            (true, true) => {
                let pem = read_text(&pem_path)?;
                let key = KeyPair::from_pem(&read_text(&key_path)?)
                    .map_err(|e| format!("{} is not a private key: {e}", key_path.display()))?;
                let issuer = Issuer::from_ca_cert_pem(&pem, key)
                    .map_err(|e| format!("{} is not a CA certificate: {e}", pem_path.display()))?;
                Ok(Ca { pem, issuer })
            }
            (false, false) => {
                let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| format!("cannot make a key: {e}"))?;
                let mut params = CertificateParams::default();
                params.distinguished_name = rcgen::DistinguishedName::new();
                params
                    .distinguished_name
                    .push(DnType::CommonName, "idenfy-mock local CA (for tests only)");
                params
                    .distinguished_name
                    .push(DnType::OrganizationName, "idenfy-mock");
                params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
                let now = time::OffsetDateTime::now_utc();
                params.not_before = now - time::Duration::days(1);
                params.not_after = now + time::Duration::days(365 * CA_YEARS);
                let pem = params
                    .self_signed(&key)
                    .map_err(|e| format!("cannot make the CA: {e}"))?
                    .pem();
                write(&key_path, key.serialize_pem().as_bytes(), true)?;
                write(&pem_path, pem.as_bytes(), false)?;
                tracing::info!("made a new local CA in {}", pem_path.display());
                let issuer = Issuer::new(params, key);
                Ok(Ca { pem, issuer })
            }
            (true, false) => Err(format!(
                "{} has no {}: put the CA's key beside it, or set [server] tls_cert and tls_key",
                pem_path.display(),
                CA_KEY
            )),
            (false, true) => Err(format!(
                "{} has no {} beside it: remove the key to make a new CA",
                key_path.display(),
                CA_PEM
            )),
        }
    }
}

/// The server certificate for `names`, signed by `ca`: the one in `dir`
/// while it was made for the same names and CA and is not due for renewal,
/// else a new one.
fn server(
    dir: &Path,
    ca: &Ca,
    names: &[String],
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let (pem_path, key_path, names_path) = (
        dir.join(SERVER_PEM),
        dir.join(SERVER_KEY),
        dir.join(SERVER_NAMES),
    );
    let ca_id = {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(ca.pem.as_bytes())[..8])
    };
    let today = time::OffsetDateTime::now_utc().unix_timestamp() / 86_400;
    let made_for = |day: i64| format!("ca {ca_id}\nday {day}\n{}\n", names.join("\n"));
    let current = std::fs::read_to_string(&names_path).ok().and_then(|text| {
        let day: i64 = text.lines().nth(1)?.strip_prefix("day ")?.parse().ok()?;
        (text == made_for(day) && today - day < RENEW_AFTER_DAYS).then_some(())
    });
    if current.is_some() && pem_path.exists() && key_path.exists() {
        return Ok((read_chain(&pem_path)?, read_key(&key_path)?));
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot make a key: {e}"))?;
    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|e| format!("a TLS host name is not a valid name: {e}"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(SERVER_DAYS);
    let cert = params
        .signed_by(&key, &ca.issuer)
        .map_err(|e| format!("cannot sign the server certificate: {e}"))?;
    write(&key_path, key.serialize_pem().as_bytes(), true)?;
    write(&pem_path, cert.pem().as_bytes(), false)?;
    write(&names_path, made_for(today).as_bytes(), false)?;
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| format!("cannot use the new key: {e}"))?,
    ))
}

/// The CA as a PKCS#12 truststore the JVM reads (a trusted certificate
/// entry, with Oracle's trusted-key-usage attribute).
fn java_truststore(ca_pem: &str) -> Result<Vec<u8>, String> {
    let der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .map_err(|e| format!("the CA certificate is not PEM: {e}"))?;
    let cert = p12_keystore::Certificate::from_der(der.as_ref())
        .map_err(|e| format!("the CA certificate cannot go in a truststore: {e}"))?;
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "idenfy-mock-ca",
        p12_keystore::KeyStoreEntry::Certificate(cert),
    );
    store
        .writer(TRUSTSTORE_PASSWORD)
        .write()
        .map_err(|e| format!("cannot write the truststore: {e}"))
}

fn pem_of(cert: &CertificateDer<'_>) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("{} is not a PEM certificate chain: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("{} is not a PEM private key: {e}", path.display()))
}

/// Writes `bytes` to `path` whole (a temporary file renamed over it); a
/// `secret` is readable by its owner only.
fn write(path: &Path, bytes: &[u8], secret: bool) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if secret { 0o600 } else { 0o644 });
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("idenfy-mock-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_same_folder_keeps_its_ca_and_keys_stay_private() {
        let dir = scratch("keep");
        let first = Tls::prepare(&dir, &[], None).unwrap();
        let again = Tls::prepare(&dir, &["mock.test".into()], None).unwrap();
        assert_eq!(first.ca_pem, again.ca_pem, "the CA stays");
        let names = std::fs::read_to_string(dir.join(SERVER_NAMES)).unwrap();
        assert!(
            names.contains("mock.test") && names.contains("ivs.idenfy.com"),
            "{names}"
        );
        #[cfg(unix)]
        for key in [CA_KEY, SERVER_KEY] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{key} is owner-only");
        }
        assert!(dir.join(TRUSTSTORE).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_folder_is_named() {
        let dir = scratch("damaged");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(CA_PEM), "not a certificate").unwrap();
        std::fs::write(dir.join(CA_KEY), "not a key").unwrap();
        let e = Tls::prepare(&dir, &[], None).err().unwrap();
        assert!(e.contains("ca.key"), "{e}");
        std::fs::remove_file(dir.join(CA_KEY)).unwrap();
        let e = Tls::prepare(&dir, &[], None).err().unwrap();
        assert!(e.contains("ca.pem") && e.contains("ca.key"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

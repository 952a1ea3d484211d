//! The `idenfy-mock` command: parse flags, load the layered configuration,
//! serve until SIGTERM/Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use idenfy_mock::internals::{Config, Overrides};

mod cli;

/// mimalloc instead of glibc's allocator: a token allocates a dozen small
/// objects and an eviction frees as many, which glibc's consolidation made
/// a fifth of the CPU time (BENCHMARKS.md). `no_thp` keeps its arenas off
/// transparent huge pages, so idle RSS stays under 10 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A local stand-in for the iDenfy identity-verification API (ivs.idenfy.com):
/// DEV dummy results, signed webhooks, no network.
///
/// Configuration layers, each overriding the one before: the embedded
/// config.toml → --config FILE → environment (IDENFY_MOCK_LISTEN,
/// IDENFY_MOCK_PUBLIC_URL, IDENFY_MOCK_WEBHOOK_URL, IDENFY_MOCK_API_KEY,
/// IDENFY_MOCK_API_SECRET, IDENFY_MOCK_SIGNING_KEY, IDENFY_MOCK_STATE_FILE,
/// IDENFY_MOCK_SEED, IDENFY_MOCK_ADMIN_TOKEN) → these flags.
/// RUST_LOG sets the log level (default: info).
#[derive(Parser, Debug)]
#[command(name = "idenfy-mock", version, about, long_about)]
struct Cli {
    /// A TOML file with the keys to change (see config.toml in the repository).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Base URL for redirectUrl and fileUrls as clients see it.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Global fallback webhook target.
    #[arg(long, value_name = "URL")]
    webhook_url: Option<String>,
    /// Makes authToken, scanRef and digitString sequences reproducible.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Keep state in this file across restarts: restored on start, saved every
    /// [state].save_every_secs and on shutdown (IDENFY_MOCK_STATE_FILE).
    #[arg(long, value_name = "PATH")]
    state_file: Option<String>,
    /// Serve HTTPS too, on this address (IDENFY_MOCK_TLS_LISTEN), with a
    /// certificate from the local CA in --tls-dir.
    #[arg(long, value_name = "ADDR")]
    tls_listen: Option<String>,
    /// Where the local CA and the server certificate are kept
    /// (IDENFY_MOCK_TLS_DIR; default ~/.local/share/idenfy-mock/tls).
    #[arg(long, value_name = "DIR")]
    tls_dir: Option<String>,
    /// Answer as https://ivs.idenfy.com for apps that call it unmodified:
    /// HTTPS on port 443 of the listen address, that public URL, and the
    /// banner says how to trust the CA (IDENFY_MOCK_DROP_IN=true).
    #[arg(long)]
    drop_in: bool,
    /// Load and validate the configuration, report, and exit.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the local CA certificate (PEM) that the HTTPS listener's
    /// certificate chains to, making the CA first if the folder has none.
    /// Trust it in your app (see the README's "Drop-in for ivs.idenfy.com").
    Ca {
        /// The TLS folder (default: --tls-dir, IDENFY_MOCK_TLS_DIR, or
        /// ~/.local/share/idenfy-mock/tls).
        #[arg(long, value_name = "DIR")]
        tls_dir: Option<std::path::PathBuf>,
    },
    /// Ask a running idenfy-mock for its health (GET /_mock/health) and exit 0
    /// if it answers 200, 1 otherwise. For container health checks: needs no
    /// shell or curl. Without --url, uses the configured listen port on 127.0.0.1.
    Healthcheck {
        /// The health endpoint to ask.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Check an iDenfy-compatible server (e.g. your iDenfy DEV account) against
    /// this mock: sends a fixed, harmless set of DEV requests (dummy flows
    /// only) to it and to an in-process mock with the same credentials, and
    /// prints where the answers differ in shape (status codes, keys, types,
    /// enum spellings). Exit 0: no differences; 1: some; 2: usage or
    /// connection error. The secret is never printed.
    Probe {
        /// The server to check, e.g. https://ivs.idenfy.com.
        #[arg(long, value_name = "URL")]
        base_url: String,
        /// Its API key.
        #[arg(long, value_name = "K", env = "IDENFY_API_KEY")]
        api_key: String,
        /// Its API secret.
        #[arg(
            long,
            value_name = "S",
            env = "IDENFY_API_SECRET",
            hide_env_values = true
        )]
        api_secret: String,
        /// Seconds each request may take.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        timeout: u64,
        /// The account has AML screening: the reference mock screens too
        /// (`aml_screening`), so the AML blocks are compared.
        #[arg(long)]
        aml_screening: bool,
    },
}

/// `idenfy-mock probe`: the reference is a mock started here on a loopback
/// port with the user's credentials.
fn probe(
    base_url: &str,
    api_key: &str,
    api_secret: &str,
    timeout: u64,
    aml_screening: bool,
) -> ExitCode {
    if url::Url::parse(base_url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
        eprintln!("idenfy-mock probe: --base-url must be an http:// or https:// URL");
        return ExitCode::from(2);
    }
    if api_key.is_empty() || api_secret.is_empty() {
        eprintln!("idenfy-mock probe: --api-key and --api-secret must not be empty");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idenfy-mock probe: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let per_request = std::time::Duration::from_secs(timeout.clamp(1, 60));
    let result = runtime.block_on(async {
        // The credentials were checked non-empty: the reference always starts.
        let reference = idenfy_mock::MockServer::builder()
            .partner(
                idenfy_mock::PartnerConfig::new(api_key, api_secret)
                    .with_aml_screening(aml_screening),
            )
            .start()
            .await;
        let reference_url = reference.uri();
        let reference = cli::probe::Target {
            base_url: &reference_url,
            api_key,
            api_secret,
        };
        let target = cli::probe::Target {
            base_url,
            api_key,
            api_secret,
        };
        cli::probe::run(&reference, &target, per_request, per_request * 15).await
    });
    match result {
        Ok(diffs) => {
            for d in &diffs {
                println!("{d}");
            }
            if diffs.is_empty() {
                println!("probe: no differences from the mock");
                ExitCode::SUCCESS
            } else {
                println!("probe: {} difference(s) from the mock", diffs.len());
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("idenfy-mock probe: {e}");
            ExitCode::from(2)
        }
    }
}

impl Cli {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            public_url: self.public_url.clone(),
            webhook_url: self.webhook_url.clone(),
            seed: self.seed,
            state_file: self.state_file.clone(),
            tls_listen: self.tls_listen.clone(),
            tls_dir: self.tls_dir.clone(),
            drop_in: self.drop_in,
        }
    }
}

/// The address the server in this container listens on, read from its
/// command line (`/proc/1/cmdline`: the server is PID 1, or is started by an
/// init such as tini): a health check is started without the server's flags,
/// so `--listen` or `--config` given to the server would otherwise be missed
/// and a server on another port reported unhealthy. `None` when PID 1 is not
/// an idenfy-mock server (a health check outside a container).
fn served_listen(cmdline: &[u8]) -> Option<std::net::SocketAddr> {
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let start = args.iter().position(|a| {
        std::path::Path::new(a)
            .file_name()
            .is_some_and(|n| n == "idenfy-mock")
    })?;
    let cli = Cli::try_parse_from(&args[start..]).ok()?;
    if cli.command.is_some() {
        return None;
    }
    Config::load(cli.config.as_deref(), &cli.overrides())
        .ok()
        .map(|c| c.listen)
}

fn main() -> ExitCode {
    // --help ends with what a default start serves, as start-up prints it.
    let defaults =
        idenfy_mock::internals::banner(&Config::embedded(), "http://127.0.0.1:8080", None);
    let matches = Cli::command()
        .after_help(format!("Defaults (embedded config.toml):\n{defaults}"))
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Before logging starts: the reference mock's request log would mix
    // with the report.
    if let Some(Command::Probe {
        base_url,
        api_key,
        api_secret,
        timeout,
        aml_screening,
    }) = &cli.command
    {
        return probe(base_url, api_key, api_secret, *timeout, *aml_screening);
    }
    if let Some(Command::Ca { tls_dir }) = &cli.command {
        // Before logging starts: the certificate alone goes to stdout.
        let config = match Config::load(cli.config.as_deref(), &cli.overrides()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("idenfy-mock: configuration error: {e}");
                return ExitCode::from(2);
            }
        };
        let dir = tls_dir
            .clone()
            .unwrap_or_else(|| config.server.tls_folder());
        return match idenfy_mock::internals::ca_pem(&dir, &config.server.tls_hostnames) {
            Ok(pem) => {
                print!("{pem}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("idenfy-mock ca: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        // Colour only on a terminal: container and CI logs stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let config = match Config::load(cli.config.as_deref(), &cli.overrides()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("idenfy-mock: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Healthcheck { url }) = cli.command {
        let listen = std::fs::read("/proc/1/cmdline")
            .ok()
            .and_then(|cmdline| served_listen(&cmdline))
            .unwrap_or(config.listen);
        let port = listen.port();
        let url = url.unwrap_or_else(|| format!("http://127.0.0.1:{port}/_mock/health"));
        return match cli::healthcheck::probe(&url, std::time::Duration::from_secs(3)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("idenfy-mock healthcheck: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.check_config {
        println!(
            "configuration OK: {} partner(s), listen {}",
            config.partners.len(),
            config.listen
        );
        return ExitCode::SUCCESS;
    }
    // Every connection is a descriptor: take what the hard limit allows (the
    // usual soft limit of 1,024 is below 1,000 long-polls plus the app's own
    // connections). Where this fails, the server serves what the limit allows.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idenfy-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(idenfy_mock::internals::run_until_signal(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idenfy-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_health_check_follows_the_servers_own_listen_flag() {
        let listen = |cmdline: &str| served_listen(cmdline.replace(' ', "\0").as_bytes());
        assert_eq!(
            listen("/idenfy-mock --listen 0.0.0.0:9000 "),
            "0.0.0.0:9000".parse().ok()
        );
        // Started by an init (docker run --init).
        assert_eq!(
            listen("/sbin/docker-init -- /idenfy-mock --listen=0.0.0.0:9001"),
            "0.0.0.0:9001".parse().ok()
        );
        // No flag: the environment and the embedded defaults decide.
        assert!(listen("/idenfy-mock").is_some());
        // Not a server: another program, or idenfy-mock running a subcommand.
        assert_eq!(listen("/sbin/init splash"), None);
        assert_eq!(listen("/idenfy-mock healthcheck"), None);
        assert_eq!(listen("/idenfy-mock --listen nowhere"), None);
    }
}

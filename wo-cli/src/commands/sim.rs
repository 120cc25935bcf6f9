//! `wo azure-sim`: the in-memory Workload Orchestration ARM simulator, served until SIGINT or
//! SIGTERM.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use wo_azure::arm::API_VERSION;
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::{Error, Location, Result};

/// Serve the Workload Orchestration ARM simulator until SIGINT or SIGTERM.
///
/// Microsoft.Edge, api-version 2025-08-01, on 127.0.0.1; prints its URL first. A test tool:
/// it accepts any bearer token unless --token names one.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  wo azure-sim --port 0 > sim.log &          # first line: the URL
  until grep -q serving sim.log; do sleep 0.1; done
  export WO_ARM_URL=$(sed -n 's/.* on //p' sim.log) AZURE_ACCESS_TOKEN=dev
  wo fleet import --env dev --resource-group /subscriptions/s/resourceGroups/rg --dry-run")]
pub struct SimArgs {
    /// The port (0: any free port; the printed URL names the one bound).
    #[arg(long)]
    pub port: u16,
    /// The address to bind: an IP address or `localhost`. Only loopback addresses unless
    /// --allow-remote: the simulator accepts any bearer token.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Serve on a non-loopback address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Polls of a long-running operation that answer `InProgress` before it ends.
    #[arg(long, default_value_t = 1)]
    pub lro_polls: u32,
    /// Time each request takes, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Items per list page.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub page_size: u64,
    /// The only bearer token accepted (default: any non-empty token).
    #[arg(long, env = "WO_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// The address `--host`/`--port` name, refusing a non-loopback one without `--allow-remote`.
fn bind_address(args: &SimArgs) -> Result<SocketAddr> {
    let at = || Location::file("<arguments>").with_key("--host");
    let ip: IpAddr = if args.host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        args.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                Error::invalid(
                    at(),
                    format!(
                        "`{}` is not an IP address (or `localhost`)",
                        args.host.escape_debug()
                    ),
                )
            })?
    };
    if !ip.is_loopback() && !args.allow_remote {
        return Err(Error::invalid(
            at(),
            format!(
                "`{ip}` is not a loopback address, and the simulator has no real authentication \
                 (it accepts any bearer token): bind 127.0.0.1, or pass --allow-remote to serve \
                 it on the network anyway"
            ),
        ));
    }
    Ok(SocketAddr::new(ip, args.port))
}

impl SimArgs {
    /// Serves until SIGINT or SIGTERM; prints the URL on stdout first (flushed, so that a
    /// script can wait for the line).
    pub async fn run(self) -> Result<crate::output::Outcome> {
        serve(&self).await.map(crate::output::Outcome::ok)
    }
}

async fn serve(args: &SimArgs) -> Result<String> {
    let addr = bind_address(args)?;
    let options = SimulatorOptions {
        lro_polls: args.lro_polls,
        page_size: usize::try_from(args.page_size).unwrap_or(usize::MAX),
        token: args.token.clone().filter(|t| !t.is_empty()),
        latency: Duration::from_millis(args.latency_ms),
        ..SimulatorOptions::default()
    };
    let sim = Simulator::start_on(addr, options)
        .await
        .map_err(|source| Error::Io {
            path: format!("binding {addr}"),
            source,
        })?;
    let mut out = std::io::stdout().lock();
    let banner = format!(
        "wo azure-sim: serving Microsoft.Edge api-version {API_VERSION} on {}\n",
        sim.base_url()
    );
    out.write_all(banner.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })?;
    drop(out);
    let signal = stopped().await;
    sim.shutdown().await;
    let signal = signal.map_err(|source| Error::Io {
        path: "<signal handler>".into(),
        source,
    })?;
    crate::console::errln!("wo azure-sim: stopped ({signal})");
    Ok(String::new())
}

/// Waits for SIGINT or SIGTERM (Ctrl-C elsewhere); names the signal.
async fn stopped() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(host: &str, allow_remote: bool) -> SimArgs {
        SimArgs {
            port: 0,
            host: host.into(),
            allow_remote,
            lro_polls: 1,
            latency_ms: 0,
            page_size: 100,
            token: None,
        }
    }

    #[test]
    fn loopback_only_unless_allowed() {
        for ok in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            let a = bind_address(&args(ok, false)).unwrap();
            assert!(a.ip().is_loopback(), "{ok}");
        }
        for remote in ["0.0.0.0", "10.1.2.3", "::"] {
            let e = bind_address(&args(remote, false)).unwrap_err();
            assert!(e.to_string().contains("--allow-remote"), "{e}");
            assert!(bind_address(&args(remote, true)).is_ok(), "{remote}");
        }
        let e = bind_address(&args("example.com", true)).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e}");
    }
}

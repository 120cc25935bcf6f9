//! `wo azure-sim`: the in-memory Workload Orchestration ARM simulator, served until SIGINT or
//! SIGTERM.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken, API_VERSION};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::format::fleet::Fleet;
use wo_core::{Error, Location, Result};

/// The resource group of a `--fleet-file` whose targets name no ARM id.
pub const SIM_RESOURCE_GROUP: &str = "/subscriptions/s/resourceGroups/rg";

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
  wo fleet import --env dev --resource-group /subscriptions/s/resourceGroups/rg --dry-run

  # with a registry beside it (second line: its URL), for wo deploy --registry
  wo azure-sim --port 0 --registry

  # a simulator holding your fleet, installs on berlin-1 failing, asking clients to poll every 50 ms
  wo azure-sim --port 0 --fleet-file platform/fleet.yaml \\
      --fail-install 'berlin-1=ImagePullBackOff: no such image' --poll-ms 50")]
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
    /// Installations on target TARGET fail, their errorDetails saying MESSAGE (default: a
    /// generic failure). Repeatable.
    #[arg(long, value_name = "TARGET[=MESSAGE]", value_parser = parse_fail_install)]
    pub fail_install: Vec<(String, Option<String>)>,
    /// The poll interval asked of clients, in milliseconds: long-running operations and
    /// injected faults answer `retry-after-ms: N` (and `Retry-After` in whole seconds, rounded
    /// up). Default: `Retry-After: 1`.
    #[arg(long, value_name = "N")]
    pub poll_ms: Option<u64>,
    /// Onboard the contexts and targets of this `fleet.yaml` before serving, as `wo fleet
    /// apply` would: in the resource group of the targets' `orchestrator` ids (default
    /// /subscriptions/s/resourceGroups/rg), in the context they name (default: the one named
    /// after the environment).
    // Not `--fleet`: wo keeps that name from meaning anything but the platform repo.
    #[arg(long, value_name = "FILE")]
    pub fleet_file: Option<PathBuf>,
    /// Also serve a container registry (an Azure Container Registry stand-in: the OCI
    /// distribution API, anonymous) on another port of 127.0.0.1, and install charts
    /// from it; prints its URL on a second line (`WO_REGISTRY=http://HOST:PORT/charts`).
    /// Without it, installs pull charts anonymously from any loopback registry the solution
    /// names (e.g. a `docker-registry` you run).
    #[arg(long)]
    pub registry: bool,
}

/// `TARGET` or `TARGET=MESSAGE`, TARGET not empty.
fn parse_fail_install(value: &str) -> std::result::Result<(String, Option<String>), String> {
    let (target, message) = match value.split_once('=') {
        Some((t, m)) => (t.trim(), Some(m.to_string())),
        None => (value.trim(), None),
    };
    if target.is_empty() {
        return Err("give the target: TARGET or TARGET=MESSAGE".into());
    }
    Ok((target.to_string(), message))
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
        retry_after_secs: args
            .poll_ms
            .map_or(SimulatorOptions::default().retry_after_secs, |ms| {
                ms.div_ceil(1000)
            }),
        retry_after_ms: args.poll_ms,
        ..SimulatorOptions::default()
    };
    // Read before binding: a bad file is exit 2 with nothing served.
    let fleet = args.fleet_file.as_deref().map(read_fleet).transpose()?;
    let registry = if args.registry {
        Some(
            wo_azure_sim::Registry::start(wo_azure_sim::RegistryOptions::default())
                .await
                .map_err(|source| Error::Io {
                    path: "binding the registry on 127.0.0.1".into(),
                    source,
                })?,
        )
    } else {
        None
    };
    let options = SimulatorOptions {
        charts: registry.as_ref().map(wo_azure_sim::Registry::chart_source),
        ..options
    };
    let sim = Simulator::start_on(addr, options)
        .await
        .map_err(|source| Error::Io {
            path: format!("binding {addr}"),
            source,
        })?;
    for (target, message) in &args.fail_install {
        match message {
            Some(m) => sim.fail_installs_on_with(target, m),
            None => sim.fail_installs_on(target),
        }
    }
    if let Some(fleet) = &fleet {
        preload(&sim, fleet, options_token(args)).await?;
    }
    let mut out = std::io::stdout().lock();
    let mut banner = format!(
        "wo azure-sim: serving Microsoft.Edge api-version {API_VERSION} on {}\n",
        sim.base_url()
    );
    if let Some(r) = &registry {
        banner.push_str(&format!(
            "wo azure-sim: registry on http://{0} (WO_REGISTRY=http://{0}/charts)\n",
            r.host_port()
        ));
    }
    out.write_all(banner.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })?;
    drop(out);
    let signal = stopped().await;
    sim.shutdown().await;
    if let Some(r) = registry {
        r.shutdown().await;
    }
    let signal = signal.map_err(|source| Error::Io {
        path: "<signal handler>".into(),
        source,
    })?;
    crate::console::errln!("wo azure-sim: stopped ({signal})");
    Ok(String::new())
}

fn options_token(args: &SimArgs) -> &str {
    args.token
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or("wo-azure-sim")
}

/// `--fleet-file`, parsed and checked by wo-core (errors name the file and line).
fn read_fleet(path: &std::path::Path) -> Result<Fleet> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid(
            Location::file(&name).with_key("--fleet-file"),
            format!("cannot read the fleet file: {e}"),
        )
    })?;
    Fleet::parse(&text, &name)
}

/// The resource group the fleet's targets name in their `orchestrator` ids, else
/// [`SIM_RESOURCE_GROUP`].
fn fleet_resource_group(fleet: &Fleet) -> String {
    fleet
        .targets
        .iter()
        .filter_map(|t| t.orchestrator.as_ref())
        .flat_map(|o| [o.id.as_deref(), o.context.as_deref()])
        .flatten()
        .find_map(|id| {
            let rg: Vec<&str> = id.split('/').take(5).collect();
            wo::fleet::resource_group(&rg.join("/")).ok()
        })
        .unwrap_or_else(|| SIM_RESOURCE_GROUP.to_string())
}

/// Onboards `fleet` into the simulator over HTTP, the way `wo fleet apply` does.
async fn preload(sim: &Simulator, fleet: &Fleet, token: &str) -> Result<()> {
    let request = wo::fleet::ApplyRequest {
        environment: fleet.environment.clone(),
        resource_group: fleet_resource_group(fleet),
        ..Default::default()
    };
    let onboarding = wo::fleet::onboarding(&request, fleet)?;
    // Polls at once whatever --poll-ms asks of other clients: the simulator is local.
    let arm = ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new(token.to_string())))
        .http_client(default_http_client()?)
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(10),
            default_interval: Duration::from_millis(2),
            ..LroPolicy::default()
        })
        .build()?;
    let plan = wo_azure::onboard::plan(&arm, fleet, &onboarding).await?;
    wo_azure::onboard::apply(&arm, &plan, &onboarding).await?;
    Ok(())
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
            fail_install: Vec::new(),
            poll_ms: None,
            fleet_file: None,
            registry: false,
        }
    }

    #[test]
    fn fail_install_values() {
        assert_eq!(
            parse_fail_install("b-1=Oops: x=y"),
            Ok(("b-1".into(), Some("Oops: x=y".into())))
        );
        assert_eq!(parse_fail_install("b-1"), Ok(("b-1".into(), None)));
        for bad in ["", "=msg", " =x"] {
            assert!(parse_fail_install(bad).is_err(), "{bad:?}");
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

//! `kapok playout --channel ID`: a remote playout node for one channel (docs/playout-node.md);
//! `kapok playout render`: the engine on the virtual clock, writing a file (docs/playlist.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{load_config, print_json, runtime, Failure};

/// A remote playout node (see docs/playout-node.md).
#[derive(clap::Args)]
pub struct NodeArgs {
    /// The channel's id or slug.
    #[arg(long)]
    channel: Option<String>,
    /// The server's base URL.
    #[arg(long, env = "KAPOK_API", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// A playout_node token of the channel's centre (see `kapok token create`).
    #[arg(long, env = "KAPOK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Outputs, repeatable: udp://HOST:PORT, srt://…, rtmp://…,
    /// icecast://source:PASSWORD@HOST:PORT/MOUNT, file:PATH.ts, hls:DIR
    /// (default: HLS under <data>/hls/<slug>/).
    #[arg(long = "output", value_name = "TARGET")]
    outputs: Vec<String>,
    /// Media cache size in GiB.
    #[arg(long, default_value_t = 20)]
    cache_gib: u64,
    /// A text crawl across the bottom of the picture (TV), e.g. a weather ticker.
    #[arg(long, value_name = "TEXT")]
    crawl: Option<String>,
    /// A filler file aired instead of the slate (repeatable; in rotation).
    #[arg(long = "filler", value_name = "FILE")]
    fillers: Vec<PathBuf>,
    /// Exit with code 3 once every output has been down this many seconds, so a supervisor
    /// restarts the node with its outputs rebuilt (0: never, stay up retrying).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    off_air_exit_after: u64,
    /// The audio codec on air instead of the channel's own: aac or mp2 (TV); aac, mp3 or
    /// opus (radio).
    #[arg(long, value_name = "CODEC")]
    audio_codec: Option<String>,
    /// Serve the channel's Prometheus metrics at http://ADDR/metrics (no authentication:
    /// bind it where only the scraper reaches, e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Serve the node's health and output control at http://ADDR (`GET /health`,
    /// `POST /output/hold|air|release`; no authentication: bind it where only the other node
    /// and the operator reach). A main given this switches its UDP outputs through its output
    /// gate, so that its backup can hold it (docs/playout-node.md, main/backup).
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Run as the backup of the main node whose health endpoint is URL
    /// (e.g. http://10.0.0.1:9470/health): on air in hot standby, its UDP outputs sent only
    /// once it has taken them over (the main dead or stuck), until `POST /output/release`.
    #[arg(long, value_name = "URL", requires = "listen")]
    backup_of: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum PlayoutCommand {
    /// Run the engine on the virtual clock and write the result as MPEG-TS (docs/playlist.md).
    Render {
        #[arg(long, value_name = "PLAYLIST.json")]
        playlist: PathBuf,
        #[arg(long, value_name = "OUT.ts")]
        output: PathBuf,
    },
}

pub fn run_node(config: Option<&Path>, node: NodeArgs) -> Result<ExitCode, Failure> {
    let Some(channel) = node.channel else {
        return Err(Failure { code: 2, message: "playout: give --channel ID (or a subcommand: render)".into() });
    };
    let config = load_config(config)?;
    crate::telemetry::init(config.log_format);
    ingest::allocator::start_giving_back();
    let outputs = node
        .outputs
        .iter()
        .map(|t| t.parse::<playout::OutputTarget>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure { code: 2, message: format!("--output: {e}") })?;
    let audio_codec = node
        .audio_codec
        .as_deref()
        .map(str::parse::<catalog::channel::AudioCodec>)
        .transpose()
        .map_err(|e| Failure { code: 2, message: format!("--audio-codec: {e}") })?;
    let opts = crate::node::NodeOptions {
        api: node.api,
        token: node.token,
        channel,
        data: config.data.join("playout"),
        outputs,
        cache_bytes: node.cache_gib.saturating_mul(1 << 30),
        crawl: node.crawl,
        fillers: node.fillers,
        off_air_exit_after: (node.off_air_exit_after > 0)
            .then(|| std::time::Duration::from_secs(node.off_air_exit_after)),
        audio_codec,
        role: match (&node.backup_of, node.listen) {
            (Some(main), _) => Some(crate::node::backup::Role::Backup { main: main.clone() }),
            (None, Some(_)) => Some(crate::node::backup::Role::Main),
            (None, None) => None,
        },
    };
    let runtime = runtime()?;
    // Bound before going on air, so a port taken is a start-up error, not a silent gap.
    let metrics = node
        .metrics_listen
        .map(|addr| {
            runtime
                .block_on(tokio::net::TcpListener::bind(addr))
                .map_err(|e| Failure { code: 2, message: format!("--metrics-listen: cannot listen on {addr}: {e}") })
        })
        .transpose()?;
    let control = node
        .listen
        .map(|addr| {
            runtime
                .block_on(tokio::net::TcpListener::bind(addr))
                .map_err(|e| Failure { code: 2, message: format!("--listen: cannot listen on {addr}: {e}") })
        })
        .transpose()?;
    let running = crate::node::Node::start(opts).map_err(|e| Failure { code: 1, message: e.to_string() })?;
    if let (Some(listener), Some(switch)) = (control, running.switch()) {
        runtime.spawn(async move {
            if let Err(e) = axum::serve(listener, crate::node::backup::router(switch)).await {
                tracing::error!(error = %e, "control listener failed");
            }
        });
    }
    if let Some(listener) = metrics {
        let channels = crate::metrics::OnAirChannels::default();
        channels.add(running.slug(), running.handle());
        runtime.spawn(async move {
            if let Err(e) =
                web::routes::metrics::serve(listener, std::sync::Arc::new(channels), std::future::pending()).await
            {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
    }
    let gave_up = runtime.block_on(async {
        let watch = async {
            loop {
                if let Some(why) = running.gave_up() {
                    return Some(why);
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        };
        tokio::select! {
            () = crate::shutdown_signal() => None,
            why = watch => why,
        }
    });
    if let Some(why) = gave_up {
        tracing::error!(reason = %why, "playout node giving up: exit 3 for the supervisor to restart it");
        let _ = running.stop();
        return Err(Failure { code: 3, message: format!("playout: {why}") });
    }
    let report = running.stop().map_err(|e| Failure { code: 1, message: e.to_string() })?;
    print_json(&serde_json::json!({ "frames_out": report.frames_out, "samples_out": report.samples_out }))?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(command: PlayoutCommand) -> Result<ExitCode, Failure> {
    let PlayoutCommand::Render { playlist, output } = command;
    crate::telemetry::init(crate::config::LogFormat::Text);
    let report =
        playout::render_playlist_file(&playlist, &output).map_err(|e| Failure { code: 1, message: e.to_string() })?;
    print_json(&report)?;
    Ok(ExitCode::SUCCESS)
}

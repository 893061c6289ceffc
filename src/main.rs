//! The `kapok` binary: parse the command line and configuration, build, run. Everything else
//! lives in the libraries.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "kapok", version, about = "Kapok: media pipeline of the Panzhihua 1+5 broadcast network")]
struct Cli {
    /// Configuration file (default: ./kapok.toml when present). KAPOK_* variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: API and UI (and, in the all-in-one role, worker, scheduler and playout).
    Serve {
        /// `all` (default) or `api` for an API-only node.
        #[arg(long, default_value = "all")]
        role: String,
    },
    /// Run an ingest worker against the configured database and store.
    Worker {
        /// Jobs processed at once (default: the `worker_concurrency` setting, at least 1).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: Option<u16>,
    },
    /// Queue a file for ingest; print the programme as JSON.
    Ingest {
        file: PathBuf,
        /// Producing centre's GB/T 2260 code, e.g. 510421.
        #[arg(long)]
        centre: String,
        #[arg(long)]
        title: String,
        /// Category from the controlled list, e.g. 涉农, 新闻.
        #[arg(long, default_value = "新闻")]
        category: String,
        /// Wait until the programme is ready (exit 0) or failed (exit 1), processing it here
        /// when no other worker does.
        #[arg(long)]
        wait: bool,
    },
    /// Media facts and loudness of a file.
    Probe {
        file: PathBuf,
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for machines (playout nodes, scripts).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Playout: `kapok playout --channel ID --api URL` runs a remote playout node for one
    /// channel; `kapok playout render …` renders a playlist on the virtual clock.
    #[command(args_conflicts_with_subcommands = true)]
    Playout {
        #[command(subcommand)]
        command: Option<PlayoutCommand>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Emergency alert commands.
    Alert {
        #[command(subcommand)]
        command: AlertCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        username: String,
        /// network_admin, centre_admin, editor, scheduler, emergency_operator, viewer, playout_node
        #[arg(long)]
        role: String,
        /// The user's centre (GB/T 2260 code, e.g. 510421).
        #[arg(long)]
        centre: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the secret is printed once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Defaults to the user's role.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        expires_days: Option<u32>,
    },
}

/// A remote playout node (see docs/playout-node.md).
#[derive(clap::Args)]
struct NodeArgs {
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
}

#[derive(Subcommand)]
enum PlayoutCommand {
    /// Run the engine on the virtual clock and write the result as MPEG-TS (docs/playlist.md).
    Render {
        #[arg(long, value_name = "PLAYLIST.json")]
        playlist: PathBuf,
        #[arg(long, value_name = "OUT.ts")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum AlertCommand {
    /// Validate a CAP 1.2, GY/T 385 EBM or JSON alert: reasons as JSON, exit 0 valid, 1 invalid.
    Validate { file: PathBuf },
    /// Submit an alert to a running server (POST /api/alerts); exit 0 when accepted.
    Send {
        file: PathBuf,
        /// The server's base URL.
        #[arg(long, env = "KAPOK_API", default_value = "http://127.0.0.1:8080")]
        api: String,
        /// An API token of an emergency operator (see `kapok token create`).
        #[arg(long, env = "KAPOK_TOKEN", hide_env_values = true)]
        token: String,
    },
}

/// A failure of the command, with the exit code it should produce.
struct Failure {
    code: u8,
    message: String,
}

impl From<web::ConfigError> for Failure {
    fn from(e: web::ConfigError) -> Self {
        Self { code: 2, message: e.to_string() }
    }
}

fn main() -> ExitCode {
    // Before any thread exists: bounded malloc arenas, large buffers given back on free.
    ingest::allocator::bound_allocator();
    let cli = Cli::parse();
    let env: BTreeMap<String, String> = std::env::vars().collect();
    match run(cli, &env) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("kapok: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli, env: &BTreeMap<String, String>) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Serve { role } => {
            let runtime = runtime()?;
            if role != "all" && role != "api" {
                return Err(Failure { code: 2, message: format!("--role: {role:?} is not all or api") });
            }
            let config = web::Config::load(cli.config.as_deref(), env)?;
            web::telemetry::init(config.log_format);
            runtime.block_on(async {
                let shutdown = web::shutdown_signal();
                let app = web::Application::build(&config).await?;
                let password = env.get("KAPOK_ADMIN_PASSWORD").cloned();
                match web::cli::bootstrap_admin(&app.state().store, password).await {
                    Ok(Some(generated)) => eprintln!(
                        "kapok: first run: created user `admin` (network administrator) with password {generated}\n       (shown once; set KAPOK_ADMIN_PASSWORD to choose it)"
                    ),
                    Ok(None) => {}
                    Err(e) => return Err(Failure { code: 2, message: format!("KAPOK_ADMIN_PASSWORD: {e}") }),
                }
                let app = if role == "all" { app.with_in_process_components(&config) } else { app };
                app.run(shutdown).await.map_err(|e| Failure { code: 1, message: format!("server: {e}") })
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Probe { file, json: _ } => {
            let report = ingest::probe::probe_file(&file).map_err(|e| Failure { code: 1, message: e.to_string() })?;
            print_json(&report)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker { concurrency } => {
            let config = web::Config::load(cli.config.as_deref(), env)?;
            web::telemetry::init(config.log_format);
            runtime()?.block_on(async {
                let shutdown = web::shutdown_signal();
                let (store, media) = web::server::connect(&config).await?;
                let watch = web::components::watcher(&config, store.clone(), media.clone());
                // A worker process exists to work: `worker_concurrency = 0` (no worker in the
                // server) means one job at a time here.
                let concurrency = concurrency.map_or(config.worker_concurrency.max(1), usize::from);
                let worker = web::components::ingest_worker(&config, store, media, concurrency);
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                    let _ = rx.wait_for(|v| *v).await;
                };
                let watching = watch.map(|w| tokio::spawn(w.run(until(stopped.clone()))));
                tokio::spawn(async move {
                    shutdown.await;
                    let _ = stop.send(true);
                });
                worker.run(until(stopped)).await;
                if let Some(w) = watching {
                    let _ = w.await;
                }
                Ok::<(), Failure>(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest { file, centre, title, category, wait } => {
            let config = web::Config::load(cli.config.as_deref(), env)?;
            let bad =
                |setting: &str, e: &dyn std::fmt::Display| Failure { code: 2, message: format!("{setting}: {e}") };
            let centre = catalog::ids::CentreCode::parse(&centre).map_err(|e| bad("--centre", &e))?;
            let category = catalog::programme::Category::parse(&category).map_err(|e| bad("--category", &e))?;
            let new = catalog::programme::NewProgramme::new(centre, title, category);
            runtime()?.block_on(async {
                let (store, media) = web::server::connect(&config).await?;
                let actor = catalog::audit::Actor::system("cli");
                let fail = |e: &dyn std::fmt::Display| Failure { code: 1, message: e.to_string() };
                let mut programme =
                    ingest::submit::submit_file(&store, &media, &actor, &file, &new).await.map_err(|e| fail(&e))?;
                if wait {
                    let worker = web::components::ingest_worker(&config, store.clone(), media.clone(), 1);
                    programme =
                        ingest::wait::until_settled(&store, &worker, programme.id).await.map_err(|e| fail(&e))?;
                }
                let view = ingest::wait::programme_json(&store, &programme).await.map_err(|e| fail(&e))?;
                print_json(&view)?;
                let failed = programme.status == catalog::programme::ProgrammeStatus::Failed;
                Ok::<ExitCode, Failure>(if wait && failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
            })
        }
        Command::User { command: UserCommand::Add { username, role, centre, display_name } } => {
            let config = web::Config::load(cli.config.as_deref(), env)?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| Failure { code: 2, message: format!("password on stdin: {e}") })?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            runtime()?.block_on(async {
                let (store, _) = web::server::connect(&config).await?;
                let user = web::cli::user_add(&store, &username, &display_name, &role, &centre, &password)
                    .await
                    .map_err(|e| Failure { code: 1, message: e.to_string() })?;
                print_json(&user)
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command: TokenCommand::Create { user, name, role, expires_days } } => {
            let config = web::Config::load(cli.config.as_deref(), env)?;
            runtime()?.block_on(async {
                let (store, _) = web::server::connect(&config).await?;
                let secret = web::cli::token_create(&store, &user, &name, role.as_deref(), None, expires_days)
                    .await
                    .map_err(|e| Failure { code: 1, message: e.to_string() })?;
                print_json(&serde_json::json!({ "token": secret }))
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Playout { command: None, node } => {
            let Some(channel) = node.channel else {
                return Err(Failure {
                    code: 2,
                    message: "playout: give --channel ID (or a subcommand: render)".into(),
                });
            };
            let config = web::Config::load(cli.config.as_deref(), env)?;
            web::telemetry::init(config.log_format);
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
            let opts = web::playout_node::NodeOptions {
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
            };
            let runtime = runtime()?;
            // Bound before going on air, so a port taken is a start-up error, not a silent gap.
            let metrics = node
                .metrics_listen
                .map(|addr| {
                    runtime.block_on(tokio::net::TcpListener::bind(addr)).map_err(|e| Failure {
                        code: 2,
                        message: format!("--metrics-listen: cannot listen on {addr}: {e}"),
                    })
                })
                .transpose()?;
            let running =
                web::playout_node::Node::start(opts).map_err(|e| Failure { code: 1, message: e.to_string() })?;
            if let Some(listener) = metrics {
                let channels = web::metrics::OnAirChannels::default();
                channels.add(running.slug(), running.handle());
                runtime.spawn(async move {
                    if let Err(e) = web::metrics::serve(listener, channels, std::future::pending()).await {
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
                    () = web::shutdown_signal() => None,
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
        Command::Playout { command: Some(PlayoutCommand::Render { playlist, output }), .. } => {
            web::telemetry::init(web::config::LogFormat::Text);
            let report = playout::render_playlist_file(&playlist, &output)
                .map_err(|e| Failure { code: 1, message: e.to_string() })?;
            print_json(&report)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Alert { command: AlertCommand::Send { file, api, token } } => {
            let bytes = read_limited(&file, 4 * 1024 * 1024)?;
            let url = format!("{}/api/alerts", api.trim_end_matches('/'));
            let content_type =
                if bytes.trim_ascii_start().starts_with(b"<") { "application/xml" } else { "application/json" };
            let response = reqwest::blocking::Client::new()
                .post(&url)
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(bytes)
                .send()
                .map_err(|e| Failure { code: 2, message: format!("{url}: {e}") })?;
            let accepted = response.status() == reqwest::StatusCode::ACCEPTED;
            let body: serde_json::Value =
                response.json().map_err(|e| Failure { code: 2, message: format!("{url}: not a JSON answer: {e}") })?;
            print_json(&body)?;
            Ok(if accepted { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Alert { command: AlertCommand::Validate { file } } => {
            let bytes = read_limited(&file, 4 * 1024 * 1024)?;
            let report = schedules::emergency::validate_document(&bytes);
            print_json(&report)?;
            Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(|e| Failure { code: 1, message: format!("tokio: {e}") })
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure { code: 1, message: format!("json: {e}") })?;
    // A closed pipe (`| head`) is the reader's choice, not a crash.
    match writeln!(std::io::stdout(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure { code: 1, message: format!("stdout: {e}") })
        }
        _ => Ok(()),
    }
}

/// Reads at most `limit` bytes of a file: a larger one is refused before it is read whole.
fn read_limited(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let fail = |e: std::io::Error| Failure { code: 2, message: format!("{}: {e}", path.display()) };
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(fail)?.take(limit + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(Failure { code: 2, message: format!("{}: larger than {limit} bytes", path.display()) });
    }
    Ok(bytes)
}

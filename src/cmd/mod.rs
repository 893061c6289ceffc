//! The command line: one module a subcommand, each building what it needs from the
//! configuration and running it. [`run`] maps every failure to an exit code and one line on
//! standard error: 2 for a bad setting or argument, 1 for a failure of the work, 3 for a
//! playout node giving up for its supervisor to restart it.

mod alert;
mod ingest;
mod playout;
mod probe;
mod serve;
mod user;
mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `kapok`: the media pipeline of the Panzhihua 1+5 broadcast network.
#[derive(Parser)]
#[command(name = "kapok", version, about = "Kapok: media pipeline of the Panzhihua 1+5 broadcast network")]
pub struct Cli {
    /// Configuration file (default: ./kapok.toml when present). KAPOK_* variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: API and UI (and, in the all-in-one role, worker, scheduler and playout).
    Serve(serve::Args),
    /// Run an ingest worker against the configured database and store.
    Worker(worker::Args),
    /// Queue a file for ingest; print the programme as JSON.
    Ingest(ingest::Args),
    /// Media facts and loudness of a file.
    Probe(probe::Args),
    /// User accounts.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// API tokens for machines (playout nodes, scripts).
    Token {
        #[command(subcommand)]
        command: user::TokenCommand,
    },
    /// Playout: `kapok playout --channel ID --api URL` runs a remote playout node for one
    /// channel; `kapok playout render …` renders a playlist on the virtual clock.
    #[command(args_conflicts_with_subcommands = true)]
    Playout {
        #[command(subcommand)]
        command: Option<playout::PlayoutCommand>,
        #[command(flatten)]
        node: Box<playout::NodeArgs>,
    },
    /// Emergency alert commands.
    Alert {
        #[command(subcommand)]
        command: alert::AlertCommand,
    },
    /// Internal: the sandboxed media child that ingest starts (`ingest::media`).
    #[command(name = "__media-child", hide = true)]
    MediaChild {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Internal: the child that decodes a live relay for playout (`playout::input::relay_child`).
    #[command(name = "__relay-child", hide = true)]
    RelayChild {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

/// A failure of a command, with the exit code it should produce.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// A bad setting or argument (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: 2, message: message.into() }
    }

    /// The work failed (exit 1).
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
}

impl From<crate::ConfigError> for Failure {
    fn from(e: crate::ConfigError) -> Self {
        Self::usage(e.to_string())
    }
}

/// Runs the command `cli` names; prints a failure as `kapok: …` and returns its exit code.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("kapok: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve(args) => serve::run(config, args),
        Command::Worker(args) => worker::run(config, args),
        Command::Ingest(args) => ingest::run(config, args),
        Command::Probe(args) => probe::run(args),
        Command::User { command } => user::run_user(config, command),
        Command::Token { command } => user::run_token(config, command),
        Command::Playout { command: None, node } => playout::run_node(config, *node),
        Command::Playout { command: Some(command), .. } => playout::run(command),
        Command::Alert { command } => alert::run(config, command),
        Command::MediaChild { args } => Ok(::ingest::media::child_main(&args)),
        Command::RelayChild { args } => Ok(::playout::input::relay_child::child_main(&args)),
    }
}

/// The configuration: `file` (or ./kapok.toml), then the process's `KAPOK_*` variables.
fn load_config(file: Option<&Path>) -> Result<crate::Config, Failure> {
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    Ok(crate::Config::load(file, &env)?)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(|e| Failure::failed(format!("tokio: {e}")))
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::failed(format!("json: {e}")))?;
    print_text(&text)
}

fn print_text(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    // A closed pipe (`| head`) is the reader's choice, not a crash.
    match writeln!(std::io::stdout(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::failed(format!("stdout: {e}"))),
        _ => Ok(()),
    }
}

/// Reads at most `limit` bytes of a file: a larger one is refused before it is read whole.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let fail = |e: std::io::Error| Failure::usage(format!("{}: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(fail)?.take(limit + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(Failure::usage(format!("{}: larger than {limit} bytes", path.display())));
    }
    Ok(bytes)
}

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
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Failure { code: 1, message: format!("tokio: {e}") })?;
    match cli.command {
        Command::Serve { role } => {
            if role != "all" && role != "api" {
                return Err(Failure { code: 2, message: format!("--role: {role:?} is not all or api") });
            }
            let config = web::Config::load(cli.config.as_deref(), env)?;
            web::telemetry::init(config.log_format);
            runtime.block_on(async {
                let shutdown = web::shutdown_signal();
                let app = web::Application::build(&config).await?;
                app.run(shutdown).await.map_err(|e| Failure { code: 1, message: format!("server: {e}") })
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

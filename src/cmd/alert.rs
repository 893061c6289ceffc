//! `kapok alert validate FILE` and `kapok alert send FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, read_limited, Failure};

/// The largest alert document read.
const MAX_ALERT_BYTES: u64 = 4 * 1024 * 1024;

#[derive(clap::Subcommand)]
pub enum AlertCommand {
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

pub fn run(command: AlertCommand) -> Result<ExitCode, Failure> {
    match command {
        AlertCommand::Validate { file } => {
            let bytes = read_limited(&file, MAX_ALERT_BYTES)?;
            let report = schedules::emergency::validate_document(&bytes);
            print_json(&report)?;
            Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        AlertCommand::Send { file, api, token } => {
            let bytes = read_limited(&file, MAX_ALERT_BYTES)?;
            let url = format!("{}/api/alerts", api.trim_end_matches('/'));
            let content_type =
                if bytes.trim_ascii_start().starts_with(b"<") { "application/xml" } else { "application/json" };
            let response = reqwest::blocking::Client::new()
                .post(&url)
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(bytes)
                .send()
                .map_err(|e| Failure::usage(format!("{url}: {e}")))?;
            let accepted = response.status() == reqwest::StatusCode::ACCEPTED;
            let body: serde_json::Value =
                response.json().map_err(|e| Failure::usage(format!("{url}: not a JSON answer: {e}")))?;
            print_json(&body)?;
            Ok(if accepted { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

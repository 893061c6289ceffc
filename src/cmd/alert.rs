//! `kapok alert validate FILE` and `kapok alert send FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, read_limited, Failure};

/// The largest alert document read.
const MAX_ALERT_BYTES: u64 = 4 * 1024 * 1024;
/// The largest EBD package read (the limit `POST /api/ebd` applies).
const MAX_PACKAGE_BYTES: u64 = schedules::emergency::ebd::vendor::limits::MAX_PACKAGE_BYTES as u64;

#[derive(clap::Subcommand)]
pub enum AlertCommand {
    /// Validate a CAP 1.2, GY/T 385 EBM or JSON alert: the report as JSON on stdout (reasons,
    /// broadcast-policy findings, warnings), a one-line summary on stderr; exit 0 valid, 1
    /// invalid. Policy findings and warnings do not change the exit code. An EBD package
    /// (`EBDT_<EBDID>.tar`) is unpacked: its files, envelope, signature (checked against
    /// `alert_sm2_keys` when configured), the EBM's validation and the EBDResponse code
    /// `POST /api/ebd` would answer.
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

pub fn run(config: Option<&std::path::Path>, command: AlertCommand) -> Result<ExitCode, Failure> {
    match command {
        AlertCommand::Validate { file } => {
            let bytes = read_limited(&file, MAX_PACKAGE_BYTES)?;
            if schedules::emergency::ebd::inspect::looks_like_tar(&bytes) {
                return validate_package(config, &bytes);
            }
            if bytes.len() as u64 > MAX_ALERT_BYTES {
                return Err(Failure::usage(format!("{}: larger than {MAX_ALERT_BYTES} bytes", file.display())));
            }
            let report = schedules::emergency::validate_document(&bytes);
            print_json(&report)?;
            eprintln!("{}", summary(&report));
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

/// `kapok alert validate` on an EBD package: the inspection as JSON, a summary line; exit 0
/// when Kapok would answer 1.
fn validate_package(config: Option<&std::path::Path>, bytes: &[u8]) -> Result<ExitCode, Failure> {
    // The platform's keys, when the configuration has them; a configuration that does not
    // load leaves the signature unchecked (and says why) rather than failing the inspection.
    let keys = match super::load_config(config)
        .map(|c| (c.alerts.sm2_keys.is_empty() && c.alerts.sm2_certs.is_empty(), c.alerts.authority()))
    {
        Ok((true, _)) => Ok(None),
        Ok((false, Ok(a))) => Ok(Some(a.ebd_keys)),
        Ok((false, Err(e))) => Err(e.to_string()),
        Err(e) => Err(e.message),
    };
    let network = schedules::emergency::targeting::Network::panzhihua();
    let found = schedules::emergency::ebd::inspect::inspect(bytes, keys.clone().ok().flatten().as_ref(), &network);
    print_json(&found)?;
    let kind = found.envelope.as_ref().map_or("unreadable", |e| e.kind);
    let signature = match (&found.signature, &keys) {
        (s, _) if s.signer.is_some() => format!("signed by {}", s.signer.as_deref().unwrap_or_default()),
        (s, Err(e)) if !s.checked => format!("signature not checked (configuration: {e})"),
        (s, _) => s.note.clone().unwrap_or_else(|| "signature not checked".into()),
    };
    eprintln!(
        "EBD package ({kind}): {}; {signature}; answer {} ({})",
        if found.valid { "valid" } else { "REFUSED" },
        found.answer.code,
        found.answer.reason
    );
    Ok(if found.valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// One line for a person: validity, then what a broadcaster would do with it.
fn summary(report: &schedules::emergency::ValidationReport) -> String {
    let form = match report.kind {
        schedules::emergency::DocumentKind::Cap => "CAP 1.2",
        schedules::emergency::DocumentKind::Ebm => "GY/T 385 EBM",
        schedules::emergency::DocumentKind::Json => "Kapok JSON alert",
        _ => "document",
    };
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let validity = if report.valid {
        format!("{form}: valid")
    } else {
        format!("{form}: INVALID ({})", count(report.reasons.len(), "reason"))
    };
    let policy = match report.policy.len() {
        0 if report.valid => "broadcast policy: may air".to_string(),
        0 => "broadcast policy: not checked".to_string(),
        n => format!("broadcast policy: refused on air ({})", count(n, "finding")),
    };
    format!("{validity}; {policy}; {}", count(report.warnings.len(), "warning"))
}

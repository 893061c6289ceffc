//! `kapok probe FILE`: media facts and loudness of a file — a summary for a person, or with
//! `--json` the report scripts read (`duration_s`, `format`, `streams[]`, `loudness`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use ingest::probe::{ProbeReport, StreamKind};

use super::{print_json, print_text, Failure};

#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Print the report as JSON (for scripts) instead of a summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let report = ingest::probe::probe_file(&args.file).map_err(Failure::failed)?;
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&summary(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A few lines a person reads: container and duration, one line a stream, the loudness.
fn summary(r: &ProbeReport) -> String {
    let num = |v: Option<f64>, unit: &str| v.map_or_else(|| "?".to_string(), |v| format!("{v:.1} {unit}"));
    let mut out = format!("{}  {}", r.format, num(r.duration_s, "s"));
    for s in &r.streams {
        let codec = s.codec.as_deref().unwrap_or("?");
        let _ = match s.kind {
            StreamKind::Video => write!(
                out,
                "\n#{} video {codec} {}x{} {}{}",
                s.index,
                s.width.unwrap_or(0),
                s.height.unwrap_or(0),
                num(s.fps, "fps"),
                if s.interlaced == Some(true) { " interlaced" } else { "" }
            ),
            StreamKind::Audio => write!(
                out,
                "\n#{} audio {codec} {} Hz {} ch",
                s.index,
                s.sample_rate.unwrap_or(0),
                s.channels.unwrap_or(0)
            ),
            _ => write!(out, "\n#{} {:?} {codec}", s.index, s.kind),
        };
    }
    match &r.loudness {
        Some(l) => {
            let _ = write!(
                out,
                "\nloudness {} integrated, {} true peak, {} range",
                num(l.integrated_lufs, "LUFS"),
                num(l.true_peak_dbtp, "dBTP"),
                num(l.range_lu, "LU")
            );
        }
        None => out.push_str("\nno audio: no loudness"),
    }
    out
}

//! A small driver for the ingest library (used by bench/ingest.sh and for manual checks):
//!
//! ```text
//! cargo run -p ingest --example ingest_cli -- probe FILE
//! cargo run -p ingest --example ingest_cli -- process FILE WORK_DIR
//! ```
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["probe", file] => ingest::probe::probe_file(Path::new(file)).and_then(|r| json(&r)),
        _ => {
            eprintln!("usage: ingest_cli probe FILE");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error ({:?}): {e}", e.kind());
            ExitCode::FAILURE
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ingest::IngestError> {
    serde_json::to_string_pretty(v).map_err(|e| ingest::IngestError::InvalidOptions(e.to_string()))
}

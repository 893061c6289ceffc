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
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["probe", file] => ingest::probe::probe_file(Path::new(file)).and_then(|r| json(&r)),
        ["house", file, dir] => house(Path::new(file), Path::new(dir)),
        ["process", file, dir] => ingest::pipeline::process(
            Path::new(file),
            Path::new(dir),
            &ingest::pipeline::ProcessOptions::default(),
        )
        .and_then(|r| json(&r)),
        _ => {
            eprintln!("usage: ingest_cli probe FILE | house FILE WORK_DIR | process FILE WORK_DIR");
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

fn house(file: &Path, dir: &Path) -> Result<String, ingest::IngestError> {
    let probe = ingest::probe::probe_facts(file)?;
    let kind = ingest::house::kind_for(&probe);
    let out = ingest::house::transcode(
        file,
        &probe,
        kind,
        &ingest::house::HouseSpec::default(),
        &ingest::gain::LoudnessTarget::default(),
        dir,
        &mut |_| {},
    )?;
    json(&out)
}

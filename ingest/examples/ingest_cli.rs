//! A small driver for the ingest library (used by bench/ingest.sh and for manual checks):
//!
//! ```text
//! cargo run -p ingest --example ingest_cli -- probe FILE
//! cargo run -p ingest --example ingest_cli -- process FILE WORK_DIR
//! cargo run --release -p ingest --example ingest_cli -- bench-loudness SECONDS
//! ```
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["probe", file] => ingest::probe::probe_file(Path::new(file)).and_then(|r| json(&r)),
        ["house", file, dir] => house(Path::new(file), Path::new(dir)),
        ["process", file, dir] => {
            ingest::pipeline::process(Path::new(file), Path::new(dir), &ingest::pipeline::ProcessOptions::default())
                .and_then(|r| json(&r))
        }
        ["bench-loudness", secs] => match secs.parse() {
            Ok(n) => bench_loudness(n),
            Err(_) => Err(ingest::IngestError::InvalidOptions("SECONDS must be a number".into())),
        },
        _ => {
            eprintln!(
                "usage: ingest_cli probe FILE | house FILE WORK_DIR | process FILE WORK_DIR | bench-loudness SECONDS"
            );
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

/// Loudness-meter throughput on synthetic 48 kHz stereo (pink-ish noise plus a tone), in
/// multiples of real time, for the mode Kapok uses and for cheaper modes.
fn bench_loudness(seconds: u32) -> Result<String, ingest::IngestError> {
    use ebur128::{EbuR128, Mode};
    let rate = 48_000u32;
    let frames = (rate * seconds) as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut samples = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        let tone = (n as f32 * 2.0 * std::f32::consts::PI * 440.0 / rate as f32).sin();
        samples.push(0.2 * noise + 0.1 * tone);
        samples.push(0.2 * noise - 0.1 * tone);
    }
    let modes = [
        ("I+LRA+TRUE_PEAK (kapok)", Mode::I | Mode::LRA | Mode::TRUE_PEAK),
        ("I+LRA+SAMPLE_PEAK", Mode::I | Mode::LRA | Mode::SAMPLE_PEAK),
        ("I+LRA", Mode::I | Mode::LRA),
        ("TRUE_PEAK only", Mode::TRUE_PEAK),
    ];
    let mut out = serde_json::Map::new();
    out.insert("audio_seconds".into(), seconds.into());
    for (name, mode) in modes {
        let t0 = std::time::Instant::now();
        let mut m = EbuR128::new(2, rate, mode)?;
        // Feed in 100 ms chunks, as the pipe reader does.
        for chunk in samples.chunks(9600) {
            m.add_frames_f32(chunk)?;
        }
        let _ = m.loudness_global();
        let secs = t0.elapsed().as_secs_f64();
        out.insert(name.into(), serde_json::json!({ "wall_s": secs, "x_realtime": f64::from(seconds) / secs }));
    }
    json(&out)
}

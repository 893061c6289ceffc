//! `cargo run --release -p playout --example live -- PLAYLIST.json SECONDS OUT.ts`
//!
//! Puts a playlist on air in real time (system clock) into a `.ts` file for SECONDS, then
//! stops and prints the report as JSON. Used by `bench/playout.sh` to measure CPU per channel.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use playout::{start_realtime, OnAirPlaylist, OutputTarget};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, playlist, seconds, output] = args.as_slice() else {
        eprintln!("usage: live PLAYLIST.json SECONDS OUT.ts");
        return ExitCode::from(2);
    };
    let Ok(seconds) = seconds.parse::<f64>() else {
        eprintln!("SECONDS must be a number");
        return ExitCode::from(2);
    };
    let run = || -> Result<String, Box<dyn std::error::Error>> {
        let playlist = OnAirPlaylist::load(playlist.as_ref())?;
        let channel = start_realtime(playlist, &[OutputTarget::File(PathBuf::from(output))])?;
        std::thread::sleep(Duration::from_secs_f64(seconds));
        Ok(serde_json::to_string_pretty(&channel.stop()?)?)
    };
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

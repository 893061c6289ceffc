//! `cargo run --release -p playout --example render -- PLAYLIST.json OUT.ts`
//!
//! Renders a playlist on the virtual clock and prints the report (as-run, counters, speed)
//! as JSON: the same call `kapok playout render` makes.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, playlist, output] = args.as_slice() else {
        eprintln!("usage: render PLAYLIST.json OUT.ts");
        return ExitCode::from(2);
    };
    match playout::render_playlist_file(Path::new(playlist), Path::new(output)) {
        Ok(report) => match serde_json::to_string_pretty(&report) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

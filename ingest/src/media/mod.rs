//! The media child: the only code of Kapok that parses untrusted media, written on
//! `ffmpeg-next`, run as a separate process (`kapok __media-child …`) that the worker starts
//! under a wall-clock and an address-space limit ([`crate::child`]).
//!
//! A crash, a hang or a runaway allocation in a demuxer or decoder costs this process, never
//! the worker or the server. The child answers with one JSON document on stdout; the parent
//! checks everything in it as untrusted (see [`crate::probe::parse_ffprobe_json`]).
//!
//! Commands (internal, versioned with the binary that runs them):
//! - `facts FILE` — container and streams, in the shape of `ffprobe -show_format
//!   -show_streams -of json`, so the parent's checks are the same whatever produced them;
//! - `measure FILE STREAM CHANNELS RATE [CHANNELS RATE]…` — decodes audio stream `STREAM`
//!   (absolute index) once, converts it to each `CHANNELS` × `RATE` Hz float layout and
//!   measures each (BS.1770 via `ebur128`), answering a list of [`crate::pcm::Measured`];
//! - `measure-filtered FILE STREAM FILTER` — the stream through the FFmpeg audio filter
//!   chain `FILTER` made 48 kHz stereo, measured as it comes out (one [`crate::pcm::Measured`]);
//! - `house JOB_JSON` — one decode of the source makes the house file and, as asked, the QC
//!   detections, the proxy, the poster and the strip ([`crate::house::job`]); progress lines
//!   (`progress 0.25`) precede the answer, a [`crate::house::job::HouseReply`].
//!
//! Failures: exit status 1 with the reason as the last line on stderr (after FFmpeg's own
//! error lines), which the parent turns into an [`crate::IngestError`].

mod audio;
mod encode;
mod facts;
mod house;
mod input;
mod log;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// The hidden command-line word that selects the child mode of a binary (`kapok`).
pub const CHILD_COMMAND: &str = "__media-child";

/// Runs one child command (`args` after [`CHILD_COMMAND`]) and returns the exit code.
pub fn child_main(args: &[OsString]) -> ExitCode {
    ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Error);
    let result = match args {
        [cmd, job] if cmd == "house" => match job.to_str() {
            Some(job) => house::house(job).and_then(|r| reply(&r)),
            None => Err("house: the job is not UTF-8".to_string()),
        },
        [cmd, file, stream, chain] if cmd == "measure-filtered" => match (number(stream), chain.to_str()) {
            (Some(stream), Some(chain)) => {
                audio::measure_filtered(&PathBuf::from(file), stream, chain).and_then(|m| reply(&m))
            }
            _ => Err("measure-filtered: STREAM must be a number and FILTER UTF-8".to_string()),
        },
        [cmd, file] if cmd == "facts" => facts::facts(&PathBuf::from(file)).and_then(|v| reply(&v)),
        [cmd, file, stream, layouts @ ..] if cmd == "measure" && !layouts.is_empty() && layouts.len() % 2 == 0 => {
            let numbers: Option<Vec<u32>> = std::iter::once(stream).chain(layouts).map(number).collect();
            match numbers {
                Some(n) => {
                    let pairs: Vec<(u32, u32)> = n[1..].chunks_exact(2).map(|p| (p[0], p[1])).collect();
                    audio::measure(&PathBuf::from(file), n[0], &pairs).and_then(|m| reply(&m))
                }
                None => Err("measure: STREAM, CHANNELS and RATE must be numbers".to_string()),
            }
        }
        _ => Err(format!("unknown media child command {args:?} (this is an internal mode of kapok)")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            let _ = writeln!(std::io::stderr(), "{reason}");
            ExitCode::FAILURE
        }
    }
}

fn number(s: &OsString) -> Option<u32> {
    s.to_str()?.parse().ok()
}

fn reply(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|e| format!("json: {e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(|e| format!("stdout: {e}"))
}

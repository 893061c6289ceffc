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
//! - `measure FILE STREAM CHANNELS RATE` — decodes audio stream `STREAM` (absolute index),
//!   converts it to `CHANNELS` × `RATE` Hz float and measures it (BS.1770 via `ebur128`),
//!   answering a [`crate::pcm::Measured`].
//!
//! Failures: exit status 1 with the reason as the last line on stderr (after FFmpeg's own
//! error lines), which the parent turns into an [`crate::IngestError`].

mod audio;
mod facts;
mod input;

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
        [cmd, file] if cmd == "facts" => facts::facts(&PathBuf::from(file)).and_then(|v| reply(&v)),
        [cmd, file, stream, channels, rate] if cmd == "measure" => {
            match (number(stream), number(channels), number(rate)) {
                (Some(stream), Some(channels), Some(rate)) => {
                    audio::measure(&PathBuf::from(file), stream, channels, rate).and_then(|m| reply(&m))
                }
                _ => Err("measure: STREAM, CHANNELS and RATE must be numbers".to_string()),
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

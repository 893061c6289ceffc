//! Generated clips and a per-frame colour probe shared by the engine's render and live tests
//! (filler, live, live_source, live_srt): a clip's colour tells which item is on air.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A `secs`-long 320x180@25 clip of one colour with a 500 Hz tone (H.264 + AAC) at
/// `dir/name`; `extra` are further output options (e.g. `-g 5` for short GOPs, `-f mpegts`).
pub fn clip_with(dir: &Path, name: &str, colour: &str, secs: f64, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=c={colour}:s=320x180:r=25:d={secs}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=500:sample_rate=48000:duration={secs}"))
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .args(extra)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// [`clip_with`] with the default options.
pub fn clip(dir: &Path, name: &str, colour: &str, secs: f64) -> PathBuf {
    clip_with(dir, name, colour, secs, &[])
}

/// The colour of the top-left eighth of every video frame of `file`, decoded by FFmpeg.
pub fn colour_names(file: &Path) -> Vec<&'static str> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-vf", "crop=iw/8:ih/8,scale=1:1", "-f", "rawvideo"])
        .args(["-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    out.stdout
        .chunks_exact(3)
        .map(|c| match (c[0] > 128, c[1] > 64, c[2] > 128) {
            (true, false, false) => "red",
            (false, true, false) => "green",
            (false, false, true) => "blue",
            (true, true, false) => "yellow",
            (false, false, false) => "black",
            _ => "?",
        })
        .collect()
}

//! Helpers for the integration tests: generate media with FFmpeg's lavfi sources and check
//! results with ffprobe and FFmpeg's own `ebur128` filter (tools independent of the code
//! under test).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs ffmpeg with `args` (after `-y -v error`), panicking with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-y", "-v", "error"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Generates a file at `dir/name` from lavfi video and audio sources.
pub fn generate(dir: &Path, name: &str, video: Option<&str>, audio: Option<&str>, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args: Vec<&str> = Vec::new();
    if let Some(v) = video {
        args.extend(["-f", "lavfi", "-i", v]);
    }
    if let Some(a) = audio {
        args.extend(["-f", "lavfi", "-i", a]);
    }
    args.extend(extra);
    let o = out.to_str().unwrap().to_string();
    args.push(&o);
    ffmpeg(&args);
    out
}

/// ffprobe's JSON (`-show_format -show_streams`) of `path`.
pub fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The stream of `kind` ("video"/"audio") in ffprobe JSON.
pub fn stream<'a>(probe: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
}

/// Parses a float field that ffprobe prints as a string.
pub fn num(v: &serde_json::Value) -> f64 {
    v.as_str().map(|s| s.parse().unwrap()).or_else(|| v.as_f64()).unwrap()
}

/// Integrated loudness and true peak of `path` according to FFmpeg's `ebur128` filter.
pub fn ffmpeg_loudness(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").expect("ebur128 summary")..];
    let field = |key: &str| -> f64 {
        let rest = &summary[summary.find(key).unwrap() + key.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (field("I:"), field("Peak:"))
}

/// A fresh scratch directory.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

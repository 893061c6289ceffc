//! Helpers of the channel tests: generated clips whose colour tells the second, a playlist
//! file written atomically, and the centre colour of every frame of an output (via ffmpeg).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use playout::timeline::{AudioFormat, ChannelFormat, FrameRate, VideoFormat};

/// Colours the clips use, and black for slate.
pub const PALETTE: [(&str, [u8; 3]); 7] = [
    ("red", [255, 0, 0]),
    ("lime", [0, 255, 0]),
    ("blue", [0, 0, 255]),
    ("yellow", [255, 255, 0]),
    ("white", [255, 255, 255]),
    ("magenta", [255, 0, 255]),
    ("black", [0, 0, 0]),
];

pub fn format() -> ChannelFormat {
    ChannelFormat {
        video: Some(VideoFormat { width: 320, height: 180, fps: FrameRate::new(25, 1).unwrap() }),
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    }
}

/// A 25 fps clip showing each of `colours` for one second, with a tone.
pub fn clip(dir: &Path, name: &str, colours: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut graph = String::new();
    for (i, c) in colours.iter().enumerate() {
        graph.push_str(&format!("color=c={c}:s=320x180:r=25:d=1[v{i}];"));
    }
    for i in 0..colours.len() {
        graph.push_str(&format!("[v{i}]"));
    }
    graph.push_str(&format!("concat=n={}:v=1:a=0[v]", colours.len()));
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", &graph, "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:sample_rate=48000:duration={}", colours.len()))
        .args(["-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Writes a TV playlist starting at `start` to `path` the way an editor should: whole, by rename.
pub fn write_playlist(path: &Path, start: DateTime<Utc>, items: serde_json::Value) {
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "start": rfc3339(start),
        "items": items,
    });
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, json.to_string()).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

/// Sleeps until wall-clock `t`.
pub fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        std::thread::sleep(d);
    }
}

pub fn secs(d: chrono::Duration) -> f64 {
    d.num_nanoseconds().unwrap() as f64 / 1e9
}

/// The palette name of the centre of every frame of `file`, in order.
pub fn frame_colours(file: &Path) -> Vec<&'static str> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-vf", "crop=iw/8:ih/8,scale=1:1"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
        .chunks_exact(3)
        .map(|c| {
            PALETTE
                .iter()
                .min_by_key(|(_, p)| (0..3).map(|i| (i32::from(c[i]) - i32::from(p[i])).pow(2)).sum::<i32>())
                .map(|(name, _)| *name)
                .unwrap()
        })
        .collect()
}

/// Runs of equal colours: (colour, frames).
pub fn runs(colours: &[&'static str]) -> Vec<(&'static str, usize)> {
    let mut runs: Vec<(&'static str, usize)> = Vec::new();
    for c in colours {
        match runs.last_mut() {
            Some((last, n)) if last == c => *n += 1,
            _ => runs.push((c, 1)),
        }
    }
    runs
}

/// Polls `f` every 20 ms until it is true or `limit` passes; how long it took.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if f() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

//! Helpers of the channel tests: generated clips whose colour tells the second, a playlist
//! file written atomically, and the palette colour of every frame of an output (testkit).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use playout::timeline::{AudioFormat, ChannelFormat, FrameRate, VideoFormat};
pub use testkit::frames::runs;
use testkit::frames::{centre_rgb, nearest};
use testkit::media::Clip;

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

/// A 25 fps clip showing each of `colours` for one second, with a 440 Hz tone.
pub fn clip(dir: &Path, name: &str, colours: &[&str]) -> PathBuf {
    Clip::colours(colours).tone(440).shortest().write(&dir.join(name))
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
    centre_rgb(file).into_iter().map(|rgb| nearest(rgb, &PALETTE, None)).collect()
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

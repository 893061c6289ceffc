//! A radio channel (audio only) joining its schedule mid-item: the as-run says where it
//! joined, and the output (checked with ffprobe) holds every sample the engine sent.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::channel_common::*;
use chrono::Utc;
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::timeline::{AudioFormat, ChannelFormat};
use playout::{Outcome, OutputTarget};

#[test]
fn a_radio_channel_joins_mid_item_and_airs_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.m4a");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:sample_rate=44100:duration=6")
        .args(["-c:a", "aac"])
        .arg(&tone)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let start = Utc::now() - chrono::Duration::milliseconds(1200);
    let playlist = dir.path().join("day.json");
    let json = serde_json::json!({
        "format": { "kind": "radio", "sample_rate": 48000, "channels": 2 },
        "start": rfc3339(start),
        "items": [{ "source": tone, "duration": 6.0, "title": "tone" }],
    });
    std::fs::write(&playlist, json.to_string()).unwrap();

    let file = dir.path().join("radio.ts");
    let format = ChannelFormat {
        video: None,
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    };
    let config = ChannelConfig::new("radio", format, vec![OutputTarget::File(file.clone())]);
    let sink = Arc::new(MemoryAsRun::default());
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), sink.clone()).unwrap();
    let epoch = runner.handle().epoch();
    std::thread::sleep(Duration::from_millis(2000));
    let report = runner.stop().unwrap();

    let recs: Vec<_> = sink.records().into_iter().map(|(_, r)| r).collect();
    let tone = recs.iter().find(|r| r.title.as_deref() == Some("tone")).unwrap();
    assert_eq!(tone.outcome, Outcome::Played, "{tone:?}");
    let reason = tone.reason.as_deref().unwrap();
    let into: f64 = reason.split("joined ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((into - secs(epoch - start)).abs() < 0.001, "{reason}");

    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=duration_time", "-of", "csv=p=0"])
        .arg(&file)
        .output()
        .unwrap();
    let seconds: f64 = String::from_utf8_lossy(&probe.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .sum();
    let sent = report.samples_out as f64 / 48_000.0;
    assert!(sent > 1.5, "{sent} s sent");
    assert!((seconds - sent).abs() <= 1024.0 / 48_000.0 * 2.0, "{seconds} s in the file, {sent} s sent");
}

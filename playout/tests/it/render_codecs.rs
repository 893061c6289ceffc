//! Each audio codec a channel can choose (TV: AAC or MP2; radio: AAC, MP3 or Opus), rendered
//! on the virtual clock and checked by ffprobe: the codec, rate and channels on air, and an
//! audio length equal to the playlist's within one video frame (40 ms); and the HLS preview
//! of a channel of another codec, which carries AAC made from it (browsers play AAC).

use std::path::Path;
use std::process::Command;

use playout::timeline::AudioCodec;
use playout::{render_playlist, Engine, EngineConfig, OnAirPlaylist, OutputTarget, VirtualClock};

/// `entries` of stream `stream` of `file`, one line each.
fn probe(file: &Path, stream: &str, entries: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-show_entries", entries, "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Renders two items (1.6 s + 1.4 s = 3 s) of a generated clip in `format` and checks the result.
fn renders(format: serde_json::Value, codec: &str, rate: u32, channels: u32) {
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::media_common::clip(dir.path(), "a.mp4", "red", 2.0);
    let playlist = serde_json::json!({ "format": format, "items": [
        { "source": clip, "duration": 1.6 }, { "source": clip, "in": 0.3, "duration": 1.4 } ] });
    let playlist = OnAirPlaylist::from_json(&playlist.to_string()).unwrap();
    assert_eq!(playlist.format.audio_codec, codec.parse::<AudioCodec>().unwrap());
    let out = dir.path().join("out.ts");
    let report = render_playlist(&playlist, &out).unwrap();
    assert_eq!(report.samples_out, 3 * u64::from(rate));

    // The first program's streams (ffprobe lists them once more per program).
    let audio = probe(&out, "a:0", "stream=codec_name,sample_rate,channels");
    assert_eq!(audio[0], format!("{codec},{rate},{channels}"), "{audio:?}");
    let samples: u64 = probe(&out, "a:0", "frame=nb_samples").iter().map(|n| n.parse::<u64>().unwrap()).sum();
    let seconds = samples as f64 / f64::from(rate);
    assert!((seconds - 3.0).abs() <= 0.040, "{codec}: {samples} samples = {seconds:.4} s, not 3 s ± 1 frame");
    if playlist.format.video.is_some() {
        assert_eq!(report.frames_out, 75);
        assert_eq!(probe(&out, "v:0", "frame=pict_type").len(), 75, "video frames");
    } else {
        assert!(probe(&out, "v", "stream=codec_name").is_empty(), "radio has no video");
    }
}

fn tv(codec: &str) -> serde_json::Value {
    serde_json::json!({ "kind": "tv", "width": 320, "height": 180, "fps": "25/1", "audio_codec": codec })
}

fn radio(codec: &str, rate: u32, channels: u32) -> serde_json::Value {
    serde_json::json!({ "kind": "radio", "sample_rate": rate, "channels": channels, "audio_codec": codec })
}

#[test]
fn tv_channel_airs_mpeg1_layer_ii_in_mpeg_ts() {
    renders(tv("mp2"), "mp2", 48_000, 2);
}

#[test]
fn tv_channel_airs_aac_by_choice_as_by_default() {
    renders(tv("aac"), "aac", 48_000, 2);
}

#[test]
fn radio_channel_airs_mp3() {
    renders(radio("mp3", 44_100, 2), "mp3", 44_100, 2);
}

#[test]
fn mono_radio_channel_airs_mp3() {
    renders(radio("mp3", 48_000, 1), "mp3", 48_000, 1);
}

#[test]
fn radio_channel_airs_opus_at_48_khz() {
    renders(radio("opus", 48_000, 2), "opus", 48_000, 2);
}

/// Renders 3 s of `format` into a file and an HLS directory; the HLS audio's codec and length.
fn hls_audio(format: serde_json::Value) -> (String, f64) {
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::media_common::clip(dir.path(), "a.mp4", "red", 3.0);
    let json = serde_json::json!({ "format": format, "items": [{ "source": clip, "duration": 3.0 }] });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let hls = dir.path().join("hls");
    std::fs::create_dir_all(&hls).unwrap();
    let targets = [OutputTarget::File(dir.path().join("out.ts")), OutputTarget::Hls(hls.clone())];
    let output = playout::output::Output::start(&playlist.format, &targets, false).unwrap();
    let mut engine = Engine::new(playlist.format, output, VirtualClock, EngineConfig::rendering());
    engine.run(&playlist).unwrap();
    assert_eq!(engine.finish().unwrap(), []);
    let index = hls.join("index.m3u8");
    let codec = probe(&index, "a:0", "stream=codec_name").swap_remove(0);
    let samples: u64 = probe(&index, "a:0", "frame=nb_samples").iter().map(|n| n.parse::<u64>().unwrap()).sum();
    (codec, samples as f64 / 48_000.0)
}

#[test]
fn the_hls_preview_of_an_mp2_tv_channel_carries_aac() {
    let (codec, seconds) = hls_audio(tv("mp2"));
    assert_eq!(codec, "aac");
    assert!((seconds - 3.0).abs() <= 0.1, "{seconds} s of preview audio");
}

#[test]
fn the_hls_preview_of_an_opus_radio_channel_carries_aac() {
    let (codec, seconds) = hls_audio(radio("opus", 48_000, 2));
    assert_eq!(codec, "aac");
    assert!((seconds - 3.0).abs() <= 0.1, "{seconds} s of preview audio");
}

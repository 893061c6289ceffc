//! `probe_file` on real generated media, compared with ffprobe and FFmpeg's ebur128.

use crate::common::*;
use ingest::probe::{probe_file, StreamKind};

#[test]
fn probe_reports_interlaced_video_and_audio_facts_and_loudness() {
    let dir = scratch();
    // 1 kHz stereo sine at −23 dBFS (EBU Tech 3341 case 1) in PCM, so the level is exact.
    let f = generate(
        dir.path(),
        "src.mov",
        Some("testsrc2=s=720x576:r=25:d=4"),
        Some("aevalsrc=0.0707946*sin(2*PI*1000*t)|0.0707946*sin(2*PI*1000*t):s=48000:d=4"),
        &[
            "-vf",
            "setfield=tff",
            "-flags",
            "+ildct+ilme",
            "-c:v",
            "libx264",
            "-x264-params",
            "tff=1",
            "-c:a",
            "pcm_s24le",
        ],
    );
    let r = probe_file(&f).unwrap();
    let v = r.video().unwrap();
    assert_eq!((v.width, v.height, v.fps), (Some(720), Some(576), Some(25.0)));
    assert_eq!(v.interlaced, Some(true));
    assert_eq!(v.codec.as_deref(), Some("h264"));
    let a = r.audio().unwrap();
    assert_eq!((a.sample_rate, a.channels, a.kind), (Some(48_000), Some(2), StreamKind::Audio));
    assert!((r.duration_s.unwrap() - 4.0).abs() < 0.05);
    let l = r.loudness.unwrap();
    let lufs = l.integrated_lufs.unwrap();
    assert!((lufs + 23.0).abs() <= 0.1, "{lufs}");
    let (ff_i, _) = ffmpeg_loudness(&f);
    assert!((lufs - ff_i).abs() <= 0.15, "ours {lufs}, ffmpeg {ff_i}");
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["loudness"]["true_peak_dbtp"].as_f64().unwrap() < -22.0);
    assert!(json["streams"][0]["kind"] == "video");
}

#[test]
fn probe_of_video_only_file_has_null_loudness() {
    let dir = scratch();
    let f = generate(dir.path(), "v.mp4", Some("testsrc2=s=320x240:r=25:d=1"), None, &["-c:v", "libx264"]);
    let r = probe_file(&f).unwrap();
    assert!(r.loudness.is_none());
    assert_eq!(serde_json::to_value(&r).unwrap()["loudness"], serde_json::Value::Null);
}

#[test]
fn five_one_source_is_weighted_per_bs1770_tech3341_case6() {
    let dir = scratch();
    // L, R −28 dBFS; C −24; LFE silent; Ls, Rs −30 → −23 LUFS (LFE excluded, surrounds +1.5 dB).
    let (lr, c, s) = (0.039_810_7, 0.063_095_7, 0.031_622_8);
    let tone = |a: f64| format!("{a}*sin(2*PI*1000*t)");
    let expr = format!("aevalsrc={}|{}|{}|0|{}|{}:c=5.1:s=48000:d=10", tone(lr), tone(lr), tone(c), tone(s), tone(s));
    let f = generate(dir.path(), "surround.wav", None, Some(&expr), &["-c:a", "pcm_f32le"]);
    let r = probe_file(&f).unwrap();
    assert_eq!(r.audio().unwrap().channels, Some(6));
    let lufs = r.loudness.unwrap().integrated_lufs.unwrap();
    assert!((lufs + 23.0).abs() <= 0.1, "{lufs}");
}

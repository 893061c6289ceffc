//! The whole ingest of generated clips, outputs checked with ffprobe.

use std::sync::Mutex;

use crate::common::*;
use ingest::house::HouseKind;
use ingest::pipeline::{process, process_with_progress, ProcessOptions, Stage};
use ingest::qc::{Severity, Verdict};

#[test]
fn clip_with_black_freeze_and_silence_is_ingested_with_timed_findings_and_proxies() {
    let dir = scratch();
    // 0–3 s black, 3–7 s picture, 7–10 s frozen last frame; tone 0–2 s, then silence.
    let src = generate(
        dir.path(),
        "src.mp4",
        Some("testsrc2=s=640x360:r=25:d=4"),
        Some("aevalsrc=if(lt(t\\,2)\\,0.1*sin(2*PI*440*t)\\,0):s=48000:d=10"),
        &["-vf", "tpad=start_duration=3:color=black:stop_mode=clone:stop_duration=3", "-c:v", "libx264", "-c:a", "aac"],
    );
    let work = dir.path().join("work");
    let seen = Mutex::new(Vec::new());
    let out = process_with_progress(&src, &work, &ProcessOptions::default(), &mut |stage, pct| {
        seen.lock().unwrap().push((stage, pct));
    })
    .unwrap();

    let seen = seen.into_inner().unwrap();
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "progress never goes back: {seen:?}");
    assert_eq!(seen.last(), Some(&(Stage::Done, 100.0)));
    assert!(seen.iter().any(|(s, _)| *s == Stage::Qc));

    assert_eq!(out.house.kind, HouseKind::Tv);
    let find = |check: &str| {
        out.qc.findings.iter().find(|f| f.check == check).unwrap_or_else(|| panic!("{check}: {:?}", out.qc))
    };
    let black = find("black");
    assert_eq!(black.start_tc.as_deref(), Some("00:00:00:00"));
    assert_eq!(black.end_tc.as_deref(), Some("00:00:03:00"));
    let freeze = find("freeze");
    assert!((freeze.start_s.unwrap() - 7.0).abs() <= 0.1 && (freeze.end_s.unwrap() - 10.0).abs() <= 0.1, "{freeze:?}");
    let silence = find("silence");
    assert!((silence.start_s.unwrap() - 2.0).abs() <= 0.1, "{silence:?}");
    assert_eq!(out.qc.verdict, Verdict::Warn);
    assert!(out.qc.findings.iter().all(|f| f.severity != Severity::Fail), "{:?}", out.qc);

    let house = ffprobe(&out.house.path);
    assert!((num(&house["format"]["duration"]) - 10.0).abs() < 0.05);
    let l = out.house.house_loudness.unwrap().integrated_lufs.unwrap();
    assert!((l + 24.0).abs() < 0.5, "{l}");
    assert!(out.house.source_loudness.is_some() && out.source.loudness.is_some());

    let proxy = ffprobe(&out.proxy.proxy);
    let v = stream(&proxy, "video");
    assert_eq!(
        (v["codec_name"].as_str(), v["height"].as_u64(), v["width"].as_u64()),
        (Some("h264"), Some(540), Some(960))
    );
    let kbps = num(&v["bit_rate"]) / 1000.0;
    assert!((700.0..=1900.0).contains(&kbps), "proxy video {kbps} kb/s");
    let a = stream(&proxy, "audio");
    assert_eq!(a["codec_name"], "aac");
    let poster = ffprobe(&out.proxy.poster);
    assert_eq!(stream(&poster, "video")["height"].as_u64(), Some(540));
    let strip = ffprobe(out.proxy.strip.as_ref().unwrap());
    let s = stream(&strip, "video");
    assert_eq!((s["width"].as_u64(), s["height"].as_u64()), (Some(1920), Some(108)));

    let kinds: Vec<&str> = out.assets().iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["house", "proxy", "poster", "strip"]);
    assert!(out.assets().iter().all(|a| a.path.is_file() && a.path.starts_with(&work)));

    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["qc"]["verdict"], "warn");
    assert!(json["house"]["plan"]["gain_db"].is_number());
}

#[test]
fn audio_only_upload_becomes_a_radio_programme() {
    let dir = scratch();
    let src = generate(dir.path(), "talk.mp3", None, Some("sine=f=300:r=44100:d=4"), &["-c:a", "libmp3lame"]);
    let out = process(&src, &dir.path().join("w"), &ProcessOptions::default()).unwrap();
    assert_eq!(out.house.kind, HouseKind::Radio);
    assert_eq!(stream(&ffprobe(&out.house.path), "audio")["codec_name"], "flac");
    assert_eq!(stream(&ffprobe(&out.proxy.proxy), "audio")["codec_name"], "aac");
    assert!(out.proxy.strip.is_none());
    assert_eq!(out.qc.verdict, Verdict::Pass, "{:?}", out.qc);
}

#[test]
fn damaged_bytes_mid_file_are_ingested_with_a_decode_error_finding() {
    let dir = scratch();
    let src = generate(
        dir.path(),
        "ok.mp4",
        Some("testsrc2=s=640x360:r=25:d=4"),
        Some("sine=d=4"),
        &["-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"],
    );
    let mut bytes = std::fs::read(&src).unwrap();
    let mid = bytes.len() / 2;
    let mut x = 0x9e37_79b9u32;
    for b in &mut bytes[mid..mid + 3000] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let damaged = dir.path().join("damaged.mp4");
    std::fs::write(&damaged, bytes).unwrap();
    let out = process(&damaged, &dir.path().join("w"), &ProcessOptions::default()).unwrap();
    assert!(out.house.decode_error_count > 0);
    let f = out.qc.findings.iter().find(|f| f.check == "decode_errors").expect("decode_errors finding");
    assert_eq!(f.severity, Severity::Warn);
    assert_ne!(out.qc.verdict, Verdict::Pass);
}

#[test]
fn cancelled_ingest_stops_with_a_retryable_error() {
    let dir = scratch();
    let src = generate(dir.path(), "a.wav", None, Some("sine=d=2"), &[]);
    let opts = ProcessOptions::default();
    opts.cancel.cancel();
    let err = process(&src, &dir.path().join("w"), &opts).unwrap_err();
    assert!(matches!(err, ingest::IngestError::Cancelled), "{err}");
    assert!(err.is_retryable());
}

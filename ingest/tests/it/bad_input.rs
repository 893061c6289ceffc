//! Hostile and broken uploads: each gets a clear, non-retryable error — no panic, no hang.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use ingest::pipeline::{process, ProcessOptions};
use ingest::{ErrorKind, IngestError};

/// Runs the whole pipeline on `file`, expecting a bad-media error whose text contains `why`.
fn rejects(file: &Path, why: &str) {
    let work = scratch();
    let t0 = Instant::now();
    let err: IngestError = process(file, work.path(), &ProcessOptions::default()).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(60), "took {:?}", t0.elapsed());
    assert_eq!(err.kind(), ErrorKind::BadMedia, "{err}");
    assert!(err.to_string().contains(why), "error {err:?} should mention {why:?}");
    assert!(!work.path().join("house.mp4").exists() && !work.path().join("house.flac").exists());
}

#[test]
fn zero_byte_file_is_rejected_as_empty() {
    let dir = scratch();
    let f = dir.path().join("empty.mp4");
    std::fs::write(&f, b"").unwrap();
    rejects(&f, "file is empty");
}

#[test]
fn text_renamed_to_mp4_is_not_media() {
    let dir = scratch();
    let f = dir.path().join("notes.mp4");
    std::fs::write(&f, "攀枝花 meeting notes, definitely not a video\n".repeat(50)).unwrap();
    rejects(&f, "not a media file");
}

#[test]
fn truncated_mp4_without_moov_is_not_media() {
    let dir = scratch();
    // Without faststart the moov atom is at the end; keep only the first half.
    let whole = generate(
        dir.path(),
        "whole.mp4",
        Some("testsrc2=s=320x240:r=25:d=3"),
        Some("sine=d=3"),
        &["-c:v", "libx264", "-c:a", "aac"],
    );
    let bytes = std::fs::read(&whole).unwrap();
    let f = dir.path().join("truncated.mp4");
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    rejects(&f, "moov atom not found");
}

#[test]
fn file_with_only_a_data_stream_has_nothing_to_ingest() {
    let dir = scratch();
    let with_tc = generate(
        dir.path(),
        "tc.mov",
        Some("testsrc2=s=320x240:r=25:d=1"),
        None,
        &["-c:v", "libx264", "-timecode", "10:00:00:00"],
    );
    let f = dir.path().join("data-only.mov");
    ffmpeg(&["-i", with_tc.to_str().unwrap(), "-map", "0:d", "-c", "copy", f.to_str().unwrap()]);
    rejects(&f, "no audio or video stream");
}

fn y4m(dir: &Path, w: u32, h: u32) -> std::path::PathBuf {
    let f = dir.join(format!("{w}x{h}.y4m"));
    let mut bytes = format!("YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    bytes.resize(bytes.len() + 64 * 1024, 16u8);
    std::fs::write(&f, bytes).unwrap();
    f
}

#[test]
fn absurd_dimensions_are_refused_by_ffmpeg_or_by_our_limit() {
    let dir = scratch();
    // 100000x100000: FFmpeg itself refuses the picture size.
    rejects(&y4m(dir.path(), 100_000, 100_000), "100000x100000");
    // 10000x10000: FFmpeg would accept it; our 8192 limit does not.
    rejects(&y4m(dir.path(), 10_000, 10_000), "unusable dimensions 10000x10000");
}

/// Rewrites the duration fields of every `mvhd`, `tkhd` and `mdhd` (version 0) box so the
/// header claims `secs` seconds.
fn forge_duration(mp4: &mut [u8], secs: u32) {
    let be = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let find_all = |b: &[u8], tag: &[u8]| -> Vec<usize> {
        b.windows(4).enumerate().filter(|(_, w)| *w == tag).map(|(i, _)| i + 4).collect()
    };
    let mvhd = find_all(mp4, b"mvhd")[0];
    let movie_scale = be(mp4, mvhd + 12);
    for (tag, scale_at, dur_at) in [(b"mvhd", Some(12), 16), (b"mdhd", Some(12), 16), (b"tkhd", None, 20)] {
        for p in find_all(mp4, tag) {
            assert_eq!(mp4[p], 0, "version 0 box");
            let scale = scale_at.map_or(movie_scale, |o| be(mp4, p + o));
            mp4[p + dur_at..p + dur_at + 4].copy_from_slice(&(scale * secs).to_be_bytes());
        }
    }
}

#[test]
fn header_claiming_ten_hours_with_one_second_of_data_is_truncated() {
    let dir = scratch();
    let one = generate(dir.path(), "one.m4a", None, Some("sine=d=1"), &["-c:a", "aac"]);
    let mut bytes = std::fs::read(&one).unwrap();
    forge_duration(&mut bytes, 36_000);
    let f = dir.path().join("ten-hours.m4a");
    std::fs::write(&f, bytes).unwrap();
    rejects(&f, "declares 36000.0 s but its streams hold only 1.0 s");
}

#[test]
fn playlist_pointing_at_other_files_is_not_followed() {
    let dir = scratch();
    let target = generate(dir.path(), "inner.wav", None, Some("sine=d=1"), &[]);
    let f = dir.path().join("upload.m3u8");
    std::fs::write(&f, format!("#EXTM3U\n#EXTINF:1,\n{}\n", target.display())).unwrap();
    rejects(&f, "not a media file");
}

#[test]
fn missing_file_is_an_io_error_that_may_be_retried() {
    let work = scratch();
    let err = process(Path::new("/nonexistent/kapok/upload.mp4"), work.path(), &ProcessOptions::default()).unwrap_err();
    assert!(matches!(err, IngestError::Io { .. }), "{err}");
    assert!(err.is_retryable());
}

//! The media child (`kapok __media-child`, here its stand-in `kapok-media-child`): its facts
//! checked against ffprobe, and the failures it must turn into clear reasons — a corrupt
//! packet (a QC finding, not a failure), a truncated file, a decoder that outgrows its
//! memory limit.

use std::time::Duration;

use crate::common::*;
use ingest::pcm::{measure_stream, Layout};
use ingest::pipeline::{process, ProcessOptions};
use ingest::probe::{probe_facts, StreamKind};
use ingest::qc::Severity;
use ingest::sandbox::Limits;
use ingest::{ErrorKind, IngestError};

/// Every fact the child reports equals ffprobe's for the same file.
fn facts_match_ffprobe(f: &std::path::Path) {
    let ours = probe_facts(f).unwrap();
    let theirs = ffprobe(f);
    assert_eq!(ours.format, theirs["format"]["format_name"].as_str().unwrap());
    assert!((ours.duration_s.unwrap() - num(&theirs["format"]["duration"])).abs() < 1e-3);
    let streams = theirs["streams"].as_array().unwrap();
    assert_eq!(ours.streams.len(), streams.len());
    for (o, t) in ours.streams.iter().zip(streams) {
        assert_eq!(o.codec.as_deref(), t["codec_name"].as_str(), "{f:?}");
        let dur = t.get("duration").map(num);
        assert_eq!(o.duration_s.is_some(), dur.is_some(), "{f:?} stream {}", o.index);
        if let (Some(a), Some(b)) = (o.duration_s, dur) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        match o.kind {
            StreamKind::Video => {
                assert_eq!(o.width, t["width"].as_u64().map(|w| w as u32));
                assert_eq!(o.height, t["height"].as_u64().map(|h| h as u32));
                assert_eq!(o.field_order.as_deref(), t["field_order"].as_str(), "{f:?}");
            }
            StreamKind::Audio => {
                assert_eq!(o.sample_rate.map(|r| r.to_string()).as_deref(), t["sample_rate"].as_str());
                assert_eq!(o.channels, t["channels"].as_u64().map(|c| c as u32));
            }
            _ => {}
        }
    }
}

#[test]
fn the_childs_facts_equal_ffprobes_for_interlaced_no_audio_5_1_and_audio_longer_than_video() {
    let dir = scratch();
    let d = dir.path();
    let interlaced = generate(
        d,
        "i.mp4",
        Some("testsrc2=s=720x576:r=25:d=2"),
        Some("sine=r=48000:d=2"),
        &["-vf", "setsar=16/15", "-flags", "+ildct+ilme", "-c:v", "libx264", "-x264opts", "tff=1", "-c:a", "aac"],
    );
    let no_audio = generate(d, "v.mp4", Some("testsrc2=s=320x240:r=25:d=2"), None, &["-c:v", "libx264"]);
    let five_one =
        generate(d, "51.mov", None, Some("sine=r=48000:d=2,aformat=channel_layouts=5.1"), &["-c:a", "pcm_s24le"]);
    let longer_audio = generate(
        d,
        "long.mkv",
        Some("testsrc2=s=320x240:r=25:d=2"),
        Some("sine=r=48000:d=3"),
        &["-c:v", "libx264", "-c:a", "flac"],
    );
    for f in [&interlaced, &no_audio, &five_one, &longer_audio] {
        facts_match_ffprobe(f);
    }
    assert_eq!(probe_facts(&interlaced).unwrap().video().unwrap().interlaced, Some(true));
    assert_eq!(probe_facts(&five_one).unwrap().audio().unwrap().channels, Some(6));
}

#[test]
fn a_corrupt_packet_in_the_middle_is_a_decode_error_finding_not_a_failure() {
    let dir = scratch();
    let src = generate(
        dir.path(),
        "src.ts",
        Some("testsrc2=s=640x360:r=25:d=6"),
        Some("sine=r=48000:d=6"),
        &["-c:v", "libx264", "-g", "25", "-c:a", "aac"],
    );
    // Scramble the payload (not the 4-byte headers) of 40 TS packets half way through.
    let mut bytes = std::fs::read(&src).unwrap();
    let packets = bytes.len() / 188;
    let mut x: u32 = 7;
    for p in packets / 2..packets / 2 + 40 {
        for b in &mut bytes[p * 188 + 4..(p + 1) * 188] {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
    }
    let bad = dir.path().join("corrupt.ts");
    std::fs::write(&bad, &bytes).unwrap();
    let out = process(&bad, &dir.path().join("work"), &ProcessOptions::default()).unwrap();
    let finding = out.qc.findings.iter().find(|f| f.check == "decode_errors").unwrap_or_else(|| panic!("{:?}", out.qc));
    assert_eq!(finding.severity, Severity::Warn, "{finding:?}");
    let house = ffprobe(&out.house.path);
    assert!((num(&house["format"]["duration"]) - 6.0).abs() < 0.1, "{house}");
}

#[test]
fn a_truncated_file_fails_with_a_clear_reason() {
    let dir = scratch();
    let whole = generate(
        dir.path(),
        "whole.mp4",
        Some("testsrc2=s=320x240:r=25:d=10"),
        Some("sine=r=48000:d=10"),
        &["-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"],
    );
    // The index (moov) is first, so the header still promises 10 s; 60 % of the media is gone.
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 5]).unwrap();
    let work = dir.path().join("work");
    let err = process(&cut, &work, &ProcessOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadMedia, "{err}");
    assert!(err.to_string().contains("truncated or damaged"), "{err}");
    assert!(!work.join("house.mp4").exists());
}

/// An ALAC track whose header asks for 16 M samples a frame: the decoder reserves about
/// 400 MB of buffers before it reads one packet. The production limit for audio decodes
/// (2 GiB) lets that pass, so the test gives the child 512 MiB — enough for its own start and
/// a normal decode, which the same process then runs. (256 MiB was enough for the crate's
/// stand-in child, but not for the whole debug `kapok` binary, which the child lookup picks
/// when it is the newer of the two: it could not map its own libraries.)
#[test]
fn a_decoder_allocating_past_the_memory_limit_is_stopped_with_a_clear_reason_and_the_next_file_measures() {
    let dir = scratch();
    let (good, hostile) = testkit::media::alac_allocating_400_mb(dir.path());

    let limits = Limits { wall: Duration::from_secs(60), address_space: 512 << 20 };
    let stereo = Layout::Native { channels: 2, sample_rate: 48_000 };
    let err = measure_stream(&hostile, 0, stereo, limits).unwrap_err();
    assert!(matches!(err, IngestError::Tool { .. }), "{err}");
    assert!(err.to_string().contains("memory limit of 512 MiB reached"), "{err}");
    assert_eq!(err.kind(), ErrorKind::BadMedia);
    let ok = measure_stream(&good, 0, stereo, limits).unwrap();
    assert!((ok.decoded_s - 2.0).abs() < 0.05, "{ok:?}");
}

#[test]
fn one_decode_measures_the_source_as_it_is_and_as_the_house_chain_sees_it() {
    let dir = scratch();
    let five_one =
        generate(dir.path(), "51.mov", None, Some("sine=r=44100:d=3,aformat=channel_layouts=5.1"), &["-c:a", "aac"]);
    let r = ingest::probe::probe_file(&five_one).unwrap();
    let limits = Limits::for_media(3.0, 1.0, 2);
    let native = measure_stream(&five_one, 0, Layout::Native { channels: 6, sample_rate: 44_100 }, limits).unwrap();
    let house = measure_stream(&five_one, 0, Layout::HouseStereo, limits).unwrap();
    assert_eq!(r.loudness, Some(native.loudness));
    assert_eq!(r.house_chain_loudness, Some(house.loudness));
    // Five equal tones weighted per BS.1770 against their stereo downmix: not the same signal.
    assert_ne!(native.loudness.integrated_lufs, house.loudness.integrated_lufs);
}

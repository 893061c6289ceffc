//! House transcodes of generated media, checked with ffprobe, FFmpeg's ebur128 and GStreamer.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use ingest::gain::LoudnessTarget;
use ingest::house::{self, HouseKind, HouseSpec};
use ingest::probe::probe_facts;

fn make_house(src: &Path, dir: &Path, kind: HouseKind) -> ingest::house::HouseOutcome {
    let p = probe_facts(src).unwrap();
    house::transcode(src, &p, kind, &HouseSpec::default(), &LoudnessTarget::default(), dir, &mut |_| {}).unwrap()
}

fn gst_decodes(pipeline: &str) {
    let out = Command::new("gst-launch-1.0").arg("-q").args(pipeline.split_whitespace()).output().unwrap();
    assert!(
        out.status.success(),
        "gst-launch {pipeline}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn moov_before_mdat(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    let find = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).unwrap();
    find(b"moov") < find(b"mdat")
}

#[test]
fn interlaced_4x3_sd_becomes_pillarboxed_1080p25_h264_high_closed_gop_with_aac_on_target() {
    let dir = scratch();
    // 720x576 interlaced, 4:3 display (SAR 16:15), a −39 dBFS tone made stereo by FFmpeg's
    // upmix (−3 dB per channel): −42 LUFS, so the plan is +18 dB.
    let src = generate(
        dir.path(),
        "sd.mov",
        Some("testsrc2=s=720x576:r=25:d=4"),
        Some("sine=f=1000:r=48000:d=4,volume=-21dB,aformat=channel_layouts=stereo"),
        &[
            "-vf",
            "setsar=16/15,setfield=tff",
            "-flags",
            "+ildct+ilme",
            "-c:v",
            "libx264",
            "-x264-params",
            "tff=1",
            "-c:a",
            "pcm_s16le",
        ],
    );
    let out = make_house(&src, dir.path(), HouseKind::Tv);
    assert_eq!(out.path, dir.path().join("house.mp4"));
    let p = ffprobe(&out.path);
    let v = stream(&p, "video");
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["profile"], "High");
    assert_eq!(v["pix_fmt"], "yuv420p");
    assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(1920), Some(1080)));
    assert_eq!(v["r_frame_rate"], "25/1");
    assert_eq!(v["avg_frame_rate"], "25/1");
    assert_ne!(v["field_order"], "tt");
    let a = stream(&p, "audio");
    assert_eq!((a["codec_name"].as_str(), a["profile"].as_str()), (Some("aac"), Some("LC")));
    assert_eq!((a["sample_rate"].as_str(), a["channels"].as_u64()), (Some("48000"), Some(2)));
    assert!((num(&v["duration"]) - num(&a["duration"])).abs() <= 0.08, "A/V within 2 frames");
    assert!(moov_before_mdat(&out.path), "faststart");

    // Keyframe packets exactly every 25 (a GOP holds 25 packets in decode order) (closed GOP: x264 with +cgop, no scenecut).
    let frames = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries", "packet=flags", "-of", "csv=p=0"])
        .arg(&out.path)
        .output()
        .unwrap();
    let keys: Vec<usize> = String::from_utf8_lossy(&frames.stdout)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with('K'))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, vec![0, 25, 50, 75]);

    // Pillarbox: the 4:3 picture fills 1440 of 1920 columns.
    let crop = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(&out.path)
        .args(["-vf", "cropdetect=limit=24:round=2", "-frames:v", "30", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&crop.stderr);
    assert!(log.contains("crop=1440:1080:240:0"), "{}", log.lines().rev().take(3).collect::<Vec<_>>().join("\n"));

    // Loudness: gain to −24 LKFS, confirmed by FFmpeg's own meter, and by our re-measure.
    let (i, tp) = ffmpeg_loudness(&out.path);
    assert!((i + 24.0).abs() <= 0.5, "house {i} LUFS");
    assert!(tp <= -2.0, "house peak {tp}");
    let ours = out.house_loudness.unwrap().integrated_lufs.unwrap();
    assert!((ours - i).abs() <= 0.2, "ours {ours} vs ffmpeg {i}");
    assert!((out.plan.gain_db - 18.0).abs() < 0.2, "{:?}", out.plan);
    assert!(out.plan.limiter.is_none());

    // The playout engine (GStreamer) demuxes and decodes both streams to the end.
    gst_decodes(&format!(
        "filesrc location={} ! qtdemux name=d d.video_0 ! queue ! h264parse ! avdec_h264 ! fakesink \
         d.audio_0 ! queue ! aacparse ! avdec_aac ! fakesink",
        out.path.display()
    ));
}

#[test]
fn gain_that_would_clip_goes_through_the_true_peak_limiter() {
    let dir = scratch();
    // Quiet tone with full-scale clicks: +~10 dB of gain would push the clicks over 0 dBTP.
    let src = generate(
        dir.path(),
        "peaky.wav",
        None,
        Some("aevalsrc=0.03*sin(2*PI*440*t)+0.9*lt(mod(n\\,24000)\\,3):s=48000:d=6"),
        &["-ac", "2", "-c:a", "pcm_s24le"],
    );
    let out = make_house(&src, dir.path(), HouseKind::Radio);
    assert!(out.plan.limiter.is_some(), "{:?}", out.plan);
    let (i, tp) = ffmpeg_loudness(&out.path);
    assert!(tp <= -2.0 + 0.2, "true peak after limiter {tp} dBTP");
    // The limiter's loudness loss (~1.8 LU on this signal) is made up by the refinement.
    assert!(out.plan.limiter_makeup_db > 0.5, "{:?}", out.plan);
    assert!((i + 24.0).abs() <= 0.5, "limited programme at {i} LUFS");
    let ours = out.house_loudness.unwrap().true_peak_dbtp.unwrap();
    assert!(ours <= -2.0 + 0.2, "re-measured {ours}");
}

#[test]
fn mono_44k1_radio_source_becomes_48k_stereo_24bit_flac_on_target() {
    let dir = scratch();
    let src = generate(dir.path(), "mono.wav", None, Some("sine=f=500:r=44100:d=5"), &["-c:a", "pcm_s16le"]);
    let out = make_house(&src, dir.path(), HouseKind::Radio);
    assert_eq!(out.path, dir.path().join("house.flac"));
    let p = ffprobe(&out.path);
    let a = stream(&p, "audio");
    assert_eq!(a["codec_name"], "flac");
    assert_eq!((a["sample_rate"].as_str(), a["channels"].as_u64()), (Some("48000"), Some(2)));
    assert_eq!(a["bits_per_raw_sample"], "24");
    let (i, _) = ffmpeg_loudness(&out.path);
    assert!((i + 24.0).abs() <= 0.5, "{i}");
    assert!((num(&p["format"]["duration"]) - 5.0).abs() < 0.01);
    gst_decodes(&format!("filesrc location={} ! flacparse ! flacdec ! fakesink", out.path.display()));
}

#[test]
fn video_without_audio_gets_a_silent_stereo_track_of_the_same_length() {
    let dir = scratch();
    let src = generate(dir.path(), "v.mp4", Some("testsrc2=s=1280x720:r=50:d=2"), None, &["-c:v", "libx264"]);
    let out = make_house(&src, dir.path(), HouseKind::Tv);
    let p = ffprobe(&out.path);
    let (v, a) = (stream(&p, "video"), stream(&p, "audio"));
    assert_eq!(v["r_frame_rate"], "25/1");
    assert_eq!(v["nb_frames"], "50");
    assert_eq!(a["channels"].as_u64(), Some(2));
    assert!((num(&v["duration"]) - num(&a["duration"])).abs() <= 0.08);
    assert!(out.house_loudness.unwrap().integrated_lufs.is_none());
}

#[test]
fn matroska_with_audio_longer_than_video_ends_both_streams_together() {
    let dir = scratch();
    // Matroska declares no per-stream duration; the audio runs 1 s past the picture.
    let src = generate(
        dir.path(),
        "long-audio.mkv",
        Some("testsrc2=s=640x360:r=25:d=4"),
        Some("sine=d=5"),
        &["-c:v", "libx264", "-c:a", "aac"],
    );
    let out = make_house(&src, dir.path(), HouseKind::Tv);
    let p = ffprobe(&out.path);
    let (v, a) = (num(&stream(&p, "video")["duration"]), num(&stream(&p, "audio")["duration"]));
    assert!((v - 4.0).abs() <= 0.08, "video {v}");
    assert!((v - a).abs() <= 0.08, "video {v} s, audio {a} s");
    assert!(moov_before_mdat(&out.path), "faststart kept after the cut");
    assert!(!dir.path().join(".house.cut.mp4.part").exists());
}

/// The one-decode child's memory is flat in the programme's length. Each pulled frame used to
/// be moved over the last one without releasing it, so the child kept every 1080p picture it
/// had made (3 MiB each): 1.4 GB for 12 s, the 4 GiB limit a third of the way into a minute.
#[test]
fn the_media_childs_peak_memory_does_not_grow_with_the_programmes_length() {
    let dir = scratch();
    let peak = |secs: u32| {
        let src = generate(
            dir.path(),
            &format!("m{secs}.mp4"),
            Some(&format!("testsrc2=s=320x240:r=25:d={secs}")),
            Some(&format!("sine=f=440:r=48000:d={secs},aformat=channel_layouts=stereo")),
            &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
        );
        let work = dir.path().join(format!("w{secs}"));
        std::fs::create_dir_all(&work).unwrap();
        let p = probe_facts(&src).unwrap();
        let extras = house::Extras { detect: Some(ingest::qc::Thresholds::default()), proxy: true };
        let made = house::make(
            &src,
            &p,
            HouseKind::Tv,
            &HouseSpec::default(),
            &LoudnessTarget::default(),
            &work,
            extras,
            &mut |_| {},
        )
        .unwrap();
        made.child_peak_rss_kib.expect("the child reports its peak memory") / 1024
    };
    let (short, long) = (peak(2), peak(10));
    eprintln!("media child peak memory: 2 s programme {short} MiB, 10 s programme {long} MiB");
    // 200 more 1080p frames kept would be ~600 MiB more.
    assert!(long < short + 100, "2 s: {short} MiB, 10 s: {long} MiB");
}

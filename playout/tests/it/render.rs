//! Renders playlists of generated clips (mixed sizes, rates, channel counts, a clip without
//! audio, a corrupt and a missing file) on the virtual clock and checks the MPEG-TS with
//! ffprobe/ffmpeg: frame and sample counts, continuous timestamps, and the colour and tone
//! of every item at its planned position.

use std::path::{Path, PathBuf};
use std::process::Command;

use playout::{render_playlist, OnAirPlaylist, Outcome};
use testkit::frames::{centre_rgb as centre_colours, nearest};
use testkit::media;

struct Clip {
    name: &'static str,
    video: Option<(&'static str, u32, u32, u32)>, // colour, width, height, fps
    audio: Option<(u32, u32, u32)>,               // tone Hz, rate, channels
    secs: f64,
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("tool runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn make_clip(dir: &Path, clip: &Clip) -> PathBuf {
    let mut spec = match clip.video {
        Some((colour, w, h, fps)) => media::Clip::colour(colour, clip.secs).size(w, h).fps(fps),
        None => media::Clip::audio_only(clip.secs),
    };
    spec = match clip.audio {
        Some((hz, rate, channels)) => spec.tone(hz).sample_rate(rate).channels(channels),
        None => spec.no_audio(),
    };
    spec.write(&dir.join(clip.name))
}

/// The streams of `file` as `index,value` lines of `entry`, each once (ffprobe repeats them per program).
fn streams(file: &Path, entry: &str) -> Vec<String> {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", &format!("stream=index,{entry}"), "-of", "csv=p=0"])
        .arg(file));
    let mut lines: Vec<String> =
        String::from_utf8_lossy(&out).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
    lines.sort();
    lines.dedup();
    lines.into_iter().filter_map(|l| l.split_once(',').map(|(_, v)| v.to_owned())).collect()
}

fn ffprobe_lines(file: &Path, stream: &str, entries: &str) -> Vec<String> {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-show_entries", entries, "-of", "csv=p=0"])
        .arg(file));
    String::from_utf8_lossy(&out).lines().map(str::to_owned).filter(|l| !l.is_empty()).collect()
}

/// Decoded audio, mono, at `rate`.
fn mono_pcm(file: &Path, rate: u32) -> Vec<i16> {
    let out = run(Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-i"]).arg(file).args([
        "-map",
        "0:a:0",
        "-ac",
        "1",
        "-ar",
        &rate.to_string(),
        "-f",
        "s16le",
        "-",
    ]));
    out.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()
}

/// Estimated tone frequency from zero crossings over `pcm[from..to]`, or `None` when silent.
fn tone(pcm: &[i16], rate: u32, from: f64, to: f64) -> Option<f64> {
    let (a, b) = ((from * f64::from(rate)) as usize, ((to * f64::from(rate)) as usize).min(pcm.len()));
    let part = &pcm[a..b];
    let rms = (part.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / part.len() as f64).sqrt();
    if rms < 100.0 {
        return None;
    }
    let crossings = part.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    Some(crossings as f64 / 2.0 / (part.len() as f64 / f64::from(rate)))
}

fn colour_name(rgb: [u8; 3]) -> &'static str {
    const PALETTE: [(&str, [u8; 3]); 8] = [
        ("black", [0, 0, 0]),
        ("red", [255, 0, 0]),
        ("green", [0, 128, 0]),
        ("blue", [0, 0, 255]),
        ("yellow", [255, 255, 0]),
        ("magenta", [255, 0, 255]),
        ("cyan", [0, 255, 255]),
        ("white", [255, 255, 255]),
    ];
    nearest(rgb, &PALETTE, Some(3 * 60 * 60))
}

#[test]
fn tv_playlist_of_mixed_clips_renders_exact_frames_samples_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let clips = [
        Clip { name: "red.mp4", video: Some(("red", 640, 360, 25)), audio: Some((440, 48_000, 2)), secs: 1.5 },
        Clip { name: "green.mkv", video: Some(("green", 1280, 720, 50)), audio: Some((660, 44_100, 1)), secs: 1.5 },
        Clip { name: "blue.mp4", video: Some(("blue", 720, 576, 30)), audio: Some((880, 48_000, 1)), secs: 1.0 },
        Clip { name: "yellow-silent.mp4", video: Some(("yellow", 320, 240, 30)), audio: None, secs: 1.0 },
        Clip { name: "magenta.mp4", video: Some(("magenta", 960, 540, 25)), audio: Some((1100, 44_100, 2)), secs: 2.0 },
        Clip { name: "tone-only.m4a", video: None, audio: Some((1320, 44_100, 1)), secs: 1.0 },
    ];
    let paths: Vec<PathBuf> = clips.iter().map(|c| make_clip(dir.path(), c)).collect();
    let corrupt = dir.path().join("corrupt.mp4");
    std::fs::write(&corrupt, (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<_>>())
        .unwrap();
    let missing = dir.path().join("missing.mp4");

    // (source, in, duration, expected colour, expected tone)
    let plan: Vec<(PathBuf, f64, f64, &str, Option<f64>)> = vec![
        (paths[0].clone(), 0.0, 1.0, "red", Some(440.0)),
        (paths[1].clone(), 0.0, 1.0, "green", Some(660.0)),
        (corrupt, 0.0, 0.6, "black", None),
        (paths[2].clone(), 0.0, 1.0, "blue", Some(880.0)),
        (paths[3].clone(), 0.0, 0.8, "yellow", None),
        (missing, 0.0, 0.4, "black", None),
        (paths[4].clone(), 0.5, 1.0, "magenta", Some(1100.0)),
        (paths[0].clone(), 0.0, 2.0, "red", Some(440.0)), // source 1.5 s: last frame held
        (paths[5].clone(), 0.0, 0.6, "black", Some(1320.0)), // no video track: slate
    ];
    let items: Vec<_> =
        plan.iter().map(|(p, inp, d, ..)| serde_json::json!({ "source": p, "in": inp, "duration": d })).collect();
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 640, "height": 360, "fps": "25/1", "sample_rate": 48000, "channels": 2 },
        "items": items,
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let out = dir.path().join("out.ts");
    let report = render_playlist(&playlist, &out).unwrap();

    // 8.4 s at 25 fps / 48 kHz.
    assert_eq!(report.frames_out, 210);
    assert_eq!(report.samples_out, 403_200);
    let outcomes: Vec<Outcome> = report.as_run.iter().map(|r| r.outcome).collect();
    use Outcome::{Fallback, Played};
    assert_eq!(
        outcomes,
        [Played, Played, Fallback, Played, Fallback, Fallback, Played, Played, Fallback],
        "{:#?}",
        report.as_run
    );
    let reason = |i: usize| report.as_run[i].reason.clone().unwrap_or_default();
    assert!(reason(4).contains("no audio track"), "{}", reason(4));
    assert!(reason(5).contains("not found"), "{}", reason(5));
    assert!(reason(7).contains("last frame held for 12 frames"), "{}", reason(7));
    // Its audio ends 0.5 s early too; a source cut before its end says nothing of the kind.
    assert!(reason(7).contains("audio short: 2"), "{}", reason(7));
    assert!(!reason(0).contains("audio short"), "{}", reason(0));
    assert!(reason(8).contains("no video track"), "{}", reason(8));
    assert_eq!(report.as_run[2].slate_frames, 15);
    assert_eq!(report.as_run[8].slate_frames, 15);
    let starts: Vec<u64> = report.as_run.iter().map(|r| r.start_frame).collect();
    assert_eq!(starts, [0, 25, 50, 65, 90, 110, 120, 145, 195]);

    // Independent check: one H.264 and one AAC stream.
    let mut codecs = streams(&out, "codec_name");
    codecs.sort();
    assert_eq!(codecs, ["aac", "h264"]);

    // Video: 210 frames, PTS exactly one frame (3600 ticks of 90 kHz) apart.
    let pts: Vec<i64> =
        ffprobe_lines(&out, "v:0", "frame=pts").iter().map(|l| l.trim_end_matches(',').parse().unwrap()).collect();
    assert!((pts.len() as i64 - 210).abs() <= 1, "{} video frames", pts.len());
    assert!(pts.windows(2).all(|w| w[1] - w[0] == 3600), "video PTS not continuous: {pts:?}");

    // Broadcast GOP: a key frame every 2 s exactly (no scene-cut I-frames), whatever the cuts.
    let keys: Vec<usize> = ffprobe_lines(&out, "v:0", "frame=key_frame")
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_end_matches(',') == "1")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, [0, 50, 100, 150, 200]);

    // Audio: AAC frames back to back (1024 samples = 1920 ticks) and the sample total.
    let frames = ffprobe_lines(&out, "a:0", "frame=pts,nb_samples");
    let audio: Vec<(i64, i64)> = frames
        .iter()
        .map(|l| {
            let mut f = l.split(',').map(|x| x.parse::<i64>().unwrap());
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    assert!(audio.windows(2).all(|w| (w[1].0 - w[0].0 - w[0].1 * 90_000 / 48_000).abs() <= 1), "audio PTS gap");
    let samples: i64 = audio.iter().map(|a| a.1).sum();
    assert!((samples - 403_200).abs() <= 1024 + 1920, "{samples} audio samples");

    // Each item's first and last frame carry its colour; its middle carries its tone.
    let colours = centre_colours(&out);
    let pcm = mono_pcm(&out, 48_000);
    let bounds = [0usize, 25, 50, 65, 90, 110, 120, 145, 195, 210];
    for (i, (.., colour, hz)) in plan.iter().enumerate() {
        let (first, last) = (bounds[i], bounds[i + 1] - 1);
        assert_eq!(colour_name(colours[first]), *colour, "item {i} first frame {first}: {:?}", colours[first]);
        assert_eq!(colour_name(colours[last]), *colour, "item {i} last frame {last}: {:?}", colours[last]);
        let (t0, t1) = (first as f64 / 25.0 + 0.12, (last + 1) as f64 / 25.0 - 0.12);
        let t1 = if i == 7 { t0 + 1.2 } else { t1 }; // the held part of item 7 is silent
        match (hz, tone(&pcm, 48_000, t0, t1)) {
            (Some(want), Some(got)) => assert!((got / want - 1.0).abs() < 0.05, "item {i}: tone {got} Hz, want {want}"),
            (None, None) => {}
            (want, got) => panic!("item {i}: tone {got:?}, want {want:?}"),
        }
    }
    assert_eq!(tone(&pcm, 48_000, 7.4, 7.7), None, "short audio of item 7 is padded with silence");
}

#[test]
fn radio_playlist_renders_audio_only() {
    let dir = tempfile::tempdir().unwrap();
    let a = make_clip(
        dir.path(),
        &Clip { name: "a.mp4", video: Some(("red", 320, 240, 25)), audio: Some((500, 48_000, 2)), secs: 1.2 },
    );
    let b = make_clip(dir.path(), &Clip { name: "b.mkv", video: None, audio: Some((1000, 22_050, 1)), secs: 1.0 });
    let json = serde_json::json!({
        "format": { "kind": "radio", "sample_rate": 44100, "channels": 2 },
        "items": [
            { "source": a, "duration": 1.0 },
            { "source": dir.path().join("gone.wav"), "duration": 0.5 },
            { "source": b, "in": 0.2, "duration": 0.7 },
        ],
    });
    let out = dir.path().join("radio.ts");
    let report = render_playlist(&OnAirPlaylist::from_json(&json.to_string()).unwrap(), &out).unwrap();
    assert_eq!((report.frames_out, report.samples_out), (0, 97_020));
    assert_eq!(report.as_run[1].outcome, Outcome::Fallback);
    assert_eq!(streams(&out, "codec_type"), ["audio"]);
    // AAC frames back to back across the three items (1024 samples = 2089.8 ticks of 90 kHz).
    let pts: Vec<f64> =
        ffprobe_lines(&out, "a:0", "frame=pts").iter().map(|l| l.trim_end_matches(',').parse().unwrap()).collect();
    assert!(
        pts.windows(2).all(|w| (w[1] - w[0] - 1024.0 * 90_000.0 / 44_100.0).abs() <= 1.0),
        "audio PTS gap: {pts:?}"
    );
    let pcm = mono_pcm(&out, 44_100);
    assert!((pcm.len() as i64 - 97_020).abs() <= 2048 + 1024, "{} samples", pcm.len());
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g / want - 1.0).abs() < 0.05);
    assert!(near(tone(&pcm, 44_100, 0.1, 0.9), 500.0));
    assert_eq!(tone(&pcm, 44_100, 1.1, 1.4), None);
    assert!(near(tone(&pcm, 44_100, 1.6, 2.1), 1000.0));
}

#[test]
fn hard_starts_cut_the_running_item_and_fill_the_gap_before_them() {
    let dir = tempfile::tempdir().unwrap();
    let red = make_clip(
        dir.path(),
        &Clip { name: "r.mp4", video: Some(("red", 320, 180, 25)), audio: Some((440, 48_000, 2)), secs: 1.5 },
    );
    let green = make_clip(
        dir.path(),
        &Clip { name: "g.mp4", video: Some(("green", 320, 180, 25)), audio: Some((660, 48_000, 2)), secs: 1.5 },
    );
    let blue = make_clip(
        dir.path(),
        &Clip { name: "b.mp4", video: Some(("blue", 320, 180, 25)), audio: Some((880, 48_000, 2)), secs: 1.0 },
    );
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "start": "2026-11-26T08:00:00+08:00",
        "items": [
            { "source": red, "duration": 1.0, "title": "red" },
            { "source": green, "duration": 3.0, "title": "green runs long" },
            { "source": blue, "duration": 0.6, "start": "2026-11-26T08:00:02+08:00", "hard": true, "id": "ev-3" },
            { "source": red, "duration": 0.4, "start": "2026-11-26T08:00:03+08:00", "hard": true },
        ],
    });
    let out = dir.path().join("hard.ts");
    let report = render_playlist(&OnAirPlaylist::from_json(&json.to_string()).unwrap(), &out).unwrap();
    let summary: Vec<(Option<usize>, Outcome, u64, u64)> =
        report.as_run.iter().map(|r| (r.item, r.outcome, r.start_frame, r.frames)).collect();
    assert_eq!(
        summary,
        [
            (Some(0), Outcome::Played, 0, 25),
            (Some(1), Outcome::Cut, 25, 25),
            (Some(2), Outcome::Played, 50, 15),
            (None, Outcome::Fallback, 65, 10),
            (Some(3), Outcome::Played, 75, 10),
        ]
    );
    assert_eq!(report.as_run[2].id.as_deref(), Some("ev-3"));
    assert_eq!(report.as_run[2].scheduled_wall.as_deref(), Some("2026-11-26T08:00:02+08:00"));
    assert_eq!(report.frames_out, 85);
    let colours: Vec<&str> = centre_colours(&out).into_iter().map(colour_name).collect();
    assert_eq!(colours.len(), 85);
    for (frame, want) in [
        (24, "red"),
        (25, "green"),
        (49, "green"),
        (50, "blue"),
        (64, "blue"),
        (65, "black"),
        (74, "black"),
        (75, "red"),
        (84, "red"),
    ] {
        assert_eq!(colours[frame], want, "frame {frame}");
    }
}

#[test]
fn ntsc_rate_channel_stays_continuous_across_item_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let a = make_clip(
        dir.path(),
        &Clip { name: "a.mp4", video: Some(("red", 320, 240, 25)), audio: Some((440, 48_000, 2)), secs: 1.0 },
    );
    let b = make_clip(
        dir.path(),
        &Clip { name: "b.mp4", video: Some(("blue", 320, 240, 50)), audio: Some((880, 44_100, 1)), secs: 1.0 },
    );
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 352, "height": 240, "fps": "30000/1001" },
        "items": [
            { "source": a, "duration": 0.7 }, { "source": b, "duration": 0.7 },
            { "source": a, "duration": 0.7 }, { "source": b, "duration": 0.7 },
        ],
    });
    let out = dir.path().join("ntsc.ts");
    let report = render_playlist(&OnAirPlaylist::from_json(&json.to_string()).unwrap(), &out).unwrap();
    // 2.8 s × 29.97 = 83.9 → 84 frames; boundaries at round(0.7·k·29.97) = 21, 42, 63.
    assert_eq!(report.frames_out, 84);
    let starts: Vec<u64> = report.as_run.iter().map(|r| r.start_frame).collect();
    assert_eq!(starts, [0, 21, 42, 63]);
    // Samples follow the frames: round(84 × 1001/30000 × 48000) = 134534.
    assert_eq!(report.samples_out, 134_534);
    let pts: Vec<i64> =
        ffprobe_lines(&out, "v:0", "frame=pts").iter().map(|l| l.trim_end_matches(',').parse().unwrap()).collect();
    assert_eq!(pts.len(), 84);
    assert!(pts.windows(2).all(|w| (w[1] - w[0] - 3003).abs() <= 1), "video PTS not continuous: {pts:?}");
    let colours: Vec<&str> = centre_colours(&out).into_iter().map(colour_name).collect();
    for (frame, want) in [(20, "red"), (21, "blue"), (41, "blue"), (42, "red"), (62, "red"), (63, "blue"), (83, "blue")]
    {
        assert_eq!(colours[frame], want, "frame {frame}");
    }
}

#[test]
fn unwritable_output_is_a_clear_error_and_bad_playlists_name_the_field() {
    let playlist =
        OnAirPlaylist::from_json(r#"{"format":{"kind":"radio"},"items":[{"source":"/nonexistent.wav","duration":1}]}"#)
            .unwrap();
    let err = render_playlist(&playlist, Path::new("/nonexistent-dir/out.ts")).unwrap_err();
    assert!(matches!(err, playout::PlayoutError::OutputPath { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent-dir/out.ts"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(
        &file,
        r#"{"format":{"kind":"tv","width":640,"height":360,"fps":"25"},"items":[{"source":"a","duration":0}]}"#,
    )
    .unwrap();
    let err = playout::render_playlist_file(&file, &dir.path().join("o.ts")).unwrap_err().to_string();
    assert!(err.contains("items[0].duration"), "{err}");
}

//! The `kapok` subcommands that operators and other tools build on, run as a person would.

use std::path::Path;
use std::process::Command;

fn kapok(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kapok")).args(args).output().unwrap()
}

fn ffprobe_count(file: &Path, stream: &str, entry: &str) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", stream, "-show_entries"])
        .arg(format!("stream={entry}"))
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe (install ffmpeg: scripts/setup-debian.sh)");
    // MPEG-TS lists the stream once per program section: take the first value.
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines().map(str::trim).find(|l| !l.is_empty()).and_then(|l| l.trim_end_matches(',').parse().ok()).unwrap_or(0)
}

#[test]
fn playout_render_writes_a_stream_of_exactly_the_playlists_length_even_when_media_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=1"])
        .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=1"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let playlist = dir.path().join("playlist.json");
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 240, "fps": "25/1", "sample_rate": 48000, "channels": 2 },
        "items": [
            { "source": clip.to_str().unwrap(), "in": 0.0, "duration": 1.0 },
            { "source": dir.path().join("missing.mp4").to_str().unwrap(), "in": 0.0, "duration": 1.0 }
        ]
    });
    std::fs::write(&playlist, json.to_string()).unwrap();
    let out_ts = dir.path().join("out.ts");
    let out =
        kapok(&["playout", "render", "--playlist", playlist.to_str().unwrap(), "--output", out_ts.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["frames_out"], 50);
    assert_eq!(report["as_run"].as_array().unwrap().len(), 2);
    assert_eq!(report["as_run"][1]["outcome"], "fallback", "{report}");
    assert_eq!(ffprobe_count(&out_ts, "v:0", "nb_read_frames"), 50, "ffprobe counts every frame");
}

#[test]
fn playout_render_refuses_a_bad_playlist_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let playlist = dir.path().join("bad.json");
    std::fs::write(&playlist, r#"{ "format": { "kind": "tv", "fps": "0/1" }, "items": [] }"#).unwrap();
    let out = kapok(&["playout", "render", "--playlist", playlist.to_str().unwrap(), "--output", "/tmp/never.ts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn alert_validate_exits_zero_for_a_valid_cap_and_one_with_reasons_for_an_invalid_one() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("schedules/tests/fixtures/alerts");
    let mut valid = 0;
    let mut invalid = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".xml") && !name.ends_with(".json") {
            continue;
        }
        let out = kapok(&["alert", "validate", path.to_str().unwrap()]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
        match out.status.code() {
            Some(0) => {
                assert_eq!(report["valid"], true, "{name}");
                valid += 1;
            }
            Some(1) => {
                assert_eq!(report["valid"], false, "{name}");
                assert!(!report["reasons"].as_array().unwrap().is_empty(), "{name}: no reasons");
                invalid += 1;
            }
            other => panic!("{name}: exit {other:?}"),
        }
    }
    assert!(valid >= 3 && invalid >= 5, "valid {valid}, invalid {invalid}");
    let missing = kapok(&["alert", "validate", "/nonexistent.xml"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn alert_validate_reports_broadcast_policy_apart_and_exits_zero_for_valid_cap_with_findings() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("schedules/tests/fixtures/cap_corpus");
    let out = kapok(&["alert", "validate", corpus.join("valid/policy_alert_without_area.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "valid CAP: policy findings do not change the exit code");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["reasons"].as_array().unwrap().len(), 0);
    assert_eq!(report["policy"][0]["path"], "/alert/info/area");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("CAP 1.2: valid; broadcast policy: refused on air (1 finding)"), "{summary}");

    let out =
        kapok(&["alert", "validate", corpus.join("invalid/order_sender_before_identifier.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reasons"][0]["code"], "element_order");
    assert!(String::from_utf8_lossy(&out.stderr).contains("CAP 1.2: INVALID (1 reason)"));
}

#[test]
fn probe_prints_media_facts_and_loudness_as_json_and_refuses_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("tone.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2"])
        .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=2"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let out = kapok(&["probe", clip.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((p["duration_s"].as_f64().unwrap() - 2.0).abs() < 0.1, "{p}");
    assert!(p["format"].is_string(), "{p}");
    assert_eq!(p["streams"].as_array().unwrap().len(), 2);
    assert!(p["loudness"]["integrated_lufs"].is_number());
    assert!(p["loudness"]["true_peak_dbtp"].is_number());
    assert!(p["loudness"]["range_lu"].is_number());

    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(&garbage, vec![0x42u8; 4096]).unwrap();
    let out = kapok(&["probe", garbage.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.is_empty());
}

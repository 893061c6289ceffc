//! Filler programmes instead of the slate, rendered on the virtual clock: a missing file and
//! a gap before a hard start are filled from the channel's filler list in rotation (a filler
//! that does not open is skipped), the as-run says `fallback`, why, and which filler aired;
//! with no usable filler the slate airs as before. Frames checked by decoding with FFmpeg.

use std::path::{Path, PathBuf};

use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, VirtualClock};

use crate::media_common::clip;
use crate::media_common::colour_names;

fn render(playlist: &OnAirPlaylist, fillers: &[PathBuf], out: &Path) -> Vec<playout::AsRunRecord> {
    let output =
        playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.to_owned())], false).unwrap();
    let mut engine = Engine::new(playlist.format, output, VirtualClock, EngineConfig::rendering());
    if !fillers.is_empty() {
        let items: Vec<_> = fillers.iter().map(|f| serde_json::json!({ "source": f, "duration": 3600 })).collect();
        let list = serde_json::json!({ "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" }, "items": items });
        engine.set_fillers(OnAirPlaylist::from_json(&list.to_string()).unwrap().items);
    }
    let records = engine.run(playlist).unwrap();
    engine.finish().unwrap();
    records
}

#[test]
fn missing_media_and_gaps_air_fillers_in_rotation_and_slate_only_without_a_usable_filler() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.mp4", "blue", 1.0);
    let green = clip(dir.path(), "ident-green.mp4", "green", 0.6);
    let yellow = clip(dir.path(), "ident-yellow.mp4", "yellow", 0.6);
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "start": "2026-11-26T08:00:00+08:00",
        "items": [
            { "source": dir.path().join("missing.mp4"), "duration": 2.0, "title": "gone" },
            { "source": blue, "duration": 1.0 },
            { "source": blue, "duration": 1.0, "start": "2026-11-26T08:00:04+08:00", "hard": true },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();

    let out = dir.path().join("fill.ts");
    let broken = dir.path().join("not-there.mp4");
    let records = render(&playlist, &[green.clone(), broken, yellow.clone()], &out);
    let colours = colour_names(&out);
    assert_eq!(colours.len(), 125, "every frame of the schedule");
    // 0..50 the missing item: green 15, yellow 15 (the broken filler skipped), green 15, yellow 5,
    // each filler straight after the one before (no repeated last frame).
    assert!(colours[..15].iter().all(|c| *c == "green"), "{colours:?}");
    assert!(colours[15..30].iter().all(|c| *c == "yellow"), "{colours:?}");
    assert!(colours[30..45].iter().all(|c| *c == "green"), "{colours:?}");
    assert!(colours[45..50].iter().all(|c| *c == "yellow"), "{colours:?}");
    assert!(!colours[..50].contains(&"black"), "no slate while fillers are usable: {colours:?}");
    assert!(colours[50..75].iter().all(|c| *c == "blue"), "{colours:?}");
    // 75..100: the gap before the hard start is filled too.
    assert!(colours[76..99].iter().all(|c| *c == "green" || *c == "yellow"), "{colours:?}");
    assert!(colours[100..].iter().all(|c| *c == "blue"), "{colours:?}");
    let gone = &records[0];
    assert_eq!(gone.outcome, Outcome::Fallback);
    let reason = gone.reason.as_deref().unwrap_or("");
    assert!(reason.contains("not found") || reason.contains("missing"), "{reason}");
    assert!(reason.contains(&format!("filler {}", green.display())), "{reason}");
    assert!(reason.contains(&format!("filler {}", yellow.display())), "{reason}");
    assert_eq!(gone.slate_frames, 0);
    let gap = records.iter().find(|r| r.item.is_none()).expect("the gap's record");
    assert_eq!(gap.outcome, Outcome::Fallback);
    assert!(gap.reason.as_deref().unwrap_or("").contains("filler"), "{gap:?}");

    // Without a usable filler: slate, as before.
    let out = dir.path().join("slate.ts");
    let records = render(&playlist, &[dir.path().join("nothing.mp4")], &out);
    let colours = colour_names(&out);
    assert_eq!(colours.len(), 125);
    assert!(colours[..50].iter().all(|c| *c == "black"), "{colours:?}");
    assert!(records[0].slate_frames >= 49, "{:?}", records[0]);
}

//! A channel following a wall-clock schedule in real time: restart mid-item and rejoin at the
//! right item and offset; hot reload that leaves the item on air untouched; skip; slate when
//! nothing is scheduled. Checked on the output file (the colour of every frame, via ffmpeg)
//! and on the as-run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::channel_common::*;
use chrono::{DateTime, Utc};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::{AsRunRecord, Outcome, OutputTarget};

fn start(
    dir: &std::path::Path,
    playlist: &std::path::Path,
    out: &str,
) -> (ChannelRunner, Arc<MemoryAsRun>, std::path::PathBuf, Duration) {
    let file = dir.join(out);
    let mut config = ChannelConfig::new("test", format(), vec![OutputTarget::File(file.clone())]);
    config.poll = Duration::from_millis(200);
    let sink = Arc::new(MemoryAsRun::default());
    let called = Instant::now();
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(playlist)), sink.clone()).unwrap();
    let handle = runner.handle();
    wait_for(Duration::from_secs(10), || handle.status().frames_out > 0).expect("on air");
    let to_air = called.elapsed();
    (runner, sink, file, to_air)
}

fn records(sink: &MemoryAsRun) -> Vec<AsRunRecord> {
    sink.records().into_iter().map(|(_, r)| r).collect()
}

fn wall(r: &AsRunRecord) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r.actual_wall.as_deref().unwrap()).unwrap().with_timezone(&Utc)
}

#[test]
fn a_restarted_channel_rejoins_the_item_due_now_at_the_right_offset() {
    let dir = tempfile::tempdir().unwrap();
    let steps = clip(dir.path(), "steps.mp4", &["red", "lime", "blue", "yellow", "white", "magenta"]);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(&playlist, t0, serde_json::json!([{ "source": steps, "duration": 6.0, "title": "steps" }]));

    let (first, _, first_file, _) = start(dir.path(), &playlist, "first.ts");
    sleep_until(t0 + chrono::Duration::milliseconds(1200));
    first.stop().unwrap(); // the "crash"
    let (second, sink, file, to_air) = start(dir.path(), &playlist, "second.ts");
    let epoch = second.handle().epoch();
    std::thread::sleep(Duration::from_millis(2500));
    let metrics = second.handle().prometheus();
    assert!(metrics.contains("kapok_playout_output_up{channel=\"test\",target=\"file "), "{metrics}");
    assert!(metrics.contains("kapok_playout_late_frames_total{channel=\"test\"} "), "{metrics}");
    let status = second.handle().status();
    assert_eq!(status.outputs.len(), 1);
    assert!(status.outputs[0].failed.is_none());
    second.stop().unwrap();
    eprintln!("restart: on air {:.3} s after start", to_air.as_secs_f64());
    assert!(to_air < Duration::from_secs(2), "rejoined in {to_air:?}");

    // The first run aired slate until t0, then the programme from its start.
    let first_runs = runs(&frame_colours(&first_file));
    assert_eq!(first_runs[0].0, "black", "{first_runs:?}");
    assert_eq!(first_runs[1].0, "red", "{first_runs:?}");

    // The second joined "steps" where the wall clock was at its first frame.
    let expected = secs(epoch - t0);
    let colours = frame_colours(&file);
    let second_runs = runs(&colours);
    let index = PALETTE.iter().position(|(n, _)| *n == second_runs[0].0).unwrap();
    let measured = (index + 1) as f64 - second_runs[0].1 as f64 / 25.0;
    eprintln!("rejoin: expected in-point {expected:.3} s, measured {measured:.3} s ({second_runs:?})");
    assert!((measured - expected).abs() <= 2.0 / 25.0, "in-point {measured:.3} s, expected {expected:.3} s");
    assert!(second_runs.iter().all(|(c, _)| *c != "black"), "no slate on rejoin: {second_runs:?}");

    let rec = records(&sink).into_iter().find(|r| r.title.as_deref() == Some("steps")).unwrap();
    let scheduled = DateTime::parse_from_rfc3339(rec.scheduled_wall.as_deref().unwrap()).unwrap();
    assert_eq!(scheduled.with_timezone(&Utc), t0);
    let reason = rec.reason.clone().unwrap_or_default();
    let into: f64 = reason.split("joined ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((into - expected).abs() < 0.001, "{reason}");
    assert!((secs(wall(&rec) - epoch)).abs() < 0.001);
}

#[test]
fn a_reload_replaces_what_follows_and_leaves_the_item_on_air_alone() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", &["red"; 3]);
    let green = clip(dir.path(), "green.mp4", &["lime"; 3]);
    let blue = clip(dir.path(), "blue.mp4", &["blue"; 3]);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    let red_item = serde_json::json!({ "source": red, "duration": 3.0, "title": "red" });
    write_playlist(
        &playlist,
        t0,
        serde_json::json!([red_item, { "source": green, "duration": 3.0, "title": "green" }]),
    );
    let (runner, sink, file, _) = start(dir.path(), &playlist, "air.ts");
    sleep_until(t0 + chrono::Duration::seconds(1));
    // While red airs, green is replaced by blue, and red's own entry is renamed: red airs on
    // exactly as it was, the change applies from its end.
    let renamed = serde_json::json!({ "source": red, "duration": 3.0, "title": "red, renamed" });
    write_playlist(&playlist, t0, serde_json::json!([renamed, { "source": blue, "duration": 3.0, "title": "blue" }]));
    sleep_until(t0 + chrono::Duration::milliseconds(7000));
    let report = runner.stop().unwrap();
    assert!(report.failed_targets.is_empty());

    let colours = runs(&frame_colours(&file));
    eprintln!("reload: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, ["black", "red", "blue", "black"], "{colours:?}");
    assert_eq!(colours[1].1, 75, "red aired whole: {colours:?}");
    assert!(colours[2].1.abs_diff(75) <= 1, "blue aired whole: {colours:?}");

    let recs = records(&sink);
    let red = recs.iter().find(|r| r.title.as_deref() == Some("red")).unwrap();
    assert_eq!((red.outcome, red.frames), (Outcome::Played, 75), "{red:?}");
    assert!(!red.reason.as_deref().unwrap_or("").contains("ended early"), "{red:?}");
    assert_eq!(recs.iter().filter(|r| r.title.as_deref() == Some("red")).count(), 1, "red aired once: {recs:?}");
    let blue = recs.iter().find(|r| r.title.as_deref() == Some("blue")).unwrap();
    assert!(secs(wall(blue) - (t0 + chrono::Duration::seconds(3))).abs() <= 0.04, "{blue:?}");
    // The watcher had blue opened before red ended: the switch did not wait for it.
    assert!(!blue.reason.as_deref().unwrap_or("").contains("waited"), "{blue:?}");
    // Before and after the schedule: slate, and the as-run says why.
    let fills: Vec<&AsRunRecord> = recs.iter().filter(|r| r.item.is_none() && r.title.is_none()).collect();
    assert!(fills.iter().any(|r| r.reason.as_deref().unwrap_or("").contains("nothing scheduled")), "{fills:?}");
    assert!(fills.iter().any(|r| r.reason.as_deref().unwrap_or("").contains("playlist ended")), "{fills:?}");
    assert!(fills.iter().all(|r| r.outcome == Outcome::Fallback));
}

#[test]
fn skip_moves_on_at_once_and_the_next_hard_start_keeps_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", &["red"; 4]);
    let green = clip(dir.path(), "green.mp4", &["lime"; 4]);
    let blue = clip(dir.path(), "blue.mp4", &["blue"; 2]);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(
        &playlist,
        t0,
        serde_json::json!([
            { "source": red, "duration": 4.0, "title": "red" },
            { "source": green, "duration": 4.0, "title": "green" },
            { "source": blue, "duration": 2.0, "title": "blue", "hard": true,
              "start": rfc3339(t0 + chrono::Duration::seconds(6)) },
        ]),
    );
    let (runner, sink, file, _) = start(dir.path(), &playlist, "air.ts");
    sleep_until(t0 + chrono::Duration::seconds(1));
    let skipped_at = Utc::now();
    runner.handle().skip();
    sleep_until(t0 + chrono::Duration::milliseconds(8500));
    runner.stop().unwrap();

    let colours = runs(&frame_colours(&file));
    eprintln!("skip: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, ["black", "red", "lime", "black", "blue", "black"], "{colours:?}");
    assert!(colours[2].1.abs_diff(100) <= 1, "green aired whole: {colours:?}");
    assert!(colours[4].1.abs_diff(50) <= 1, "blue aired whole: {colours:?}");

    let recs = records(&sink);
    let red = recs.iter().find(|r| r.title.as_deref() == Some("red")).unwrap();
    assert_eq!(red.outcome, Outcome::Cut);
    assert!(red.reason.as_deref().unwrap().contains("skipped by the operator"), "{red:?}");
    let green = recs.iter().find(|r| r.title.as_deref() == Some("green")).unwrap();
    let late = secs(wall(green) - skipped_at);
    assert!((0.0..0.5).contains(&late), "green on air {late:.3} s after the skip");
    let blue = recs.iter().find(|r| r.title.as_deref() == Some("blue")).unwrap();
    let off = secs(wall(blue) - (t0 + chrono::Duration::seconds(6)));
    assert!(off.abs() <= 0.04, "hard start off by {off:.3} s");
}

#[test]
fn a_schedule_source_outage_keeps_the_loaded_schedule_on_air() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", &["red"; 3]);
    let blue = clip(dir.path(), "blue.mp4", &["blue"; 2]);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(
        &playlist,
        t0,
        serde_json::json!([
            { "source": red, "duration": 3.0, "title": "red" },
            { "source": blue, "duration": 2.0, "title": "blue" },
        ]),
    );
    let (runner, sink, file, _) = start(dir.path(), &playlist, "air.ts");
    sleep_until(t0 + chrono::Duration::milliseconds(500));
    // The source goes away (API down, file gone); then the operator skips, so the channel
    // must rejoin from what it holds.
    std::fs::remove_file(&playlist).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    runner.handle().skip();
    sleep_until(t0 + chrono::Duration::milliseconds(3500));
    runner.stop().unwrap();

    let colours = runs(&frame_colours(&file));
    eprintln!("outage: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, ["black", "red", "blue", "black"], "{colours:?}");
    assert!(colours[2].1.abs_diff(50) <= 1, "blue aired whole after the skip: {colours:?}");
    let recs = records(&sink);
    assert!(recs.iter().any(|r| r.title.as_deref() == Some("blue") && r.outcome == Outcome::Played), "{recs:?}");
}

#[test]
fn an_override_goes_to_air_and_the_channel_rejoins_the_schedule_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", &["red"; 5]);
    let alert = clip(dir.path(), "alert.mp4", &["yellow"; 5]);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(&playlist, t0, serde_json::json!([{ "source": red, "duration": 5.0, "title": "red" }]));
    let (runner, sink, file, _) = start(dir.path(), &playlist, "air.ts");
    sleep_until(t0 + chrono::Duration::seconds(1));
    let handle = runner.handle();
    handle.override_with(playout::playlist::Source::Path(alert));
    wait_for(Duration::from_secs(5), || handle.status().now.as_deref().is_some_and(|n| n.starts_with("override")))
        .expect("override on air");
    std::thread::sleep(Duration::from_millis(1000));
    handle.release(playout::ResumePolicy::RejoinSchedule);
    sleep_until(t0 + chrono::Duration::milliseconds(5500));
    runner.stop().unwrap();

    let colours = runs(&frame_colours(&file));
    eprintln!("override: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, ["black", "red", "yellow", "red", "black"], "{colours:?}");
    // Rejoining the schedule: red's slot still ends at t0 + 5 s, whatever the override took.
    assert!((colours[1].1 + colours[2].1 + colours[3].1).abs_diff(125) <= 1, "{colours:?}");
    let recs = records(&sink);
    let over = recs.iter().find(|r| r.title.as_deref() == Some("override")).unwrap();
    assert!(over.actual_wall.is_some() && over.frames > 0, "{over:?}");
    let red = recs.iter().find(|r| r.title.as_deref() == Some("red")).unwrap();
    assert!(red.reason.as_deref().unwrap().contains("interrupted by an override"), "{red:?}");
}

/// Answers like the catalog and the demo cycle do: a playlist that starts at the item
/// overlapping `from` (earlier items left out), so its first item moves on as time does.
struct FromNow {
    clips: Vec<String>,
    t0: DateTime<Utc>,
    edited: std::sync::atomic::AtomicBool,
}

impl playout::channel::PlaylistSource for FromNow {
    fn published(
        &self,
        _channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<playout::OnAirPlaylist>, playout::channel::SourceError> {
        let first = ((from - self.t0).num_milliseconds().max(0) / 1000) as usize;
        let last = ((until - self.t0).num_milliseconds().max(0) / 1000) as usize + 1;
        let edited = self.edited.load(std::sync::atomic::Ordering::SeqCst);
        let items: Vec<serde_json::Value> = (first..=last)
            .map(|k| {
                let clip = if edited && k > first + 2 { &self.clips[1] } else { &self.clips[k % 2] };
                serde_json::json!({ "source": clip, "duration": 1.0, "title": format!("item {k}") })
            })
            .collect();
        let json = serde_json::json!({
            "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
            "start": rfc3339(self.t0 + chrono::Duration::seconds(first as i64)),
            "items": items,
        });
        Ok(vec![playout::OnAirPlaylist::from_json(&json.to_string())?])
    }
}

#[test]
fn a_source_answering_from_the_item_on_air_is_not_replanned_at_every_boundary() {
    // Both demo channels of `kapok serve` logged "schedule changed" on every poll: their
    // source's first item moves on with time and the merge starts it hard at its time.
    let dir = tempfile::tempdir().unwrap();
    let clips = vec![
        clip(dir.path(), "red.mp4", &["red"]).display().to_string(),
        clip(dir.path(), "blue.mp4", &["blue"]).display().to_string(),
    ];
    let t0 = Utc::now();
    let source = Arc::new(FromNow { clips, t0, edited: false.into() });
    let mut config = ChannelConfig::new("test", format(), vec![OutputTarget::File(dir.path().join("air.ts"))]);
    config.poll = Duration::from_millis(200);
    config.window = Duration::from_secs(60);
    let runner = ChannelRunner::start(config, source.clone(), Arc::new(MemoryAsRun::default())).unwrap();
    let handle = runner.handle();
    // Five item boundaries, 25 polls.
    std::thread::sleep(Duration::from_millis(5200));
    let quiet = handle.replans();
    // An edit ahead is still a change.
    source.edited.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = wait_for(Duration::from_secs(3), || handle.replans() > quiet);
    runner.stop().unwrap();
    assert_eq!(quiet, 0, "replanned {quiet} times over 25 polls of an unchanged schedule");
    assert!(seen.is_some(), "an edit ahead was not seen");
}

//! Overrides on the virtual clock: a generated source goes on air at the requested frame and
//! the schedule resumes as the policy says; checked on the decoded output.

use std::path::{Path, PathBuf};

use playout::playlist::Source;
use playout::timeline::MediaTime;
use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, ResumePolicy, VirtualClock};
use testkit::frames::{primaries as colours, runs};
use testkit::media::Clip;

fn clip(dir: &Path, name: &str, colour: &str, hz: u32, secs: f64) -> PathBuf {
    Clip::colour(colour, secs).tone(hz).write(&dir.join(name))
}

fn secs(s: f64) -> MediaTime {
    MediaTime::from_secs_f64(s).unwrap()
}

fn render_with(
    dir: &Path,
    name: &str,
    control: impl FnOnce(&playout::EngineHandle),
) -> (Vec<playout::AsRunRecord>, Vec<&'static str>) {
    let red = clip(dir, "red.mp4", "red", 440, 2.0);
    let green = clip(dir, "green.mp4", "green", 660, 2.0);
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [ { "source": red, "duration": 2.0 }, { "source": green, "duration": 2.0 } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let out = dir.join(name);
    let output = playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.clone())], false).unwrap();
    let mut engine = Engine::new(playlist.format, output, VirtualClock, EngineConfig::rendering());
    control(&engine.handle());
    let records = engine.run(&playlist).unwrap();
    engine.finish().unwrap();
    (records, colours(&out))
}

#[test]
fn override_airs_at_the_requested_frame_and_the_item_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.mp4", "blue", 880, 3.0);
    let (records, colours) = render_with(dir.path(), "resume.ts", |h| {
        h.override_at(secs(1.0), Source::Path(blue));
        h.release_at(secs(2.0), ResumePolicy::ResumeItem);
    });
    // red 1 s, blue 1 s, the other second of red, then green: the schedule slipped 1 s.
    assert_eq!(runs(&colours), [("red", 25), ("blue", 25), ("red", 25), ("green", 50)]);
    let summary: Vec<(Option<usize>, Outcome, u64)> =
        records.iter().map(|r| (r.item, r.outcome, r.start_frame)).collect();
    assert_eq!(
        summary,
        [(Some(0), Outcome::Interrupted, 0), (None, Outcome::Played, 25), (Some(1), Outcome::Played, 75)]
    );
    assert_eq!(records[1].frames, 25);
    assert_eq!(records[1].title.as_deref(), Some("override"));
    // The interrupted item names what took the air and how it came back.
    let reason = records[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("interrupted by an override (") && reason.contains("blue.mp4)"), "{reason}");
    assert!(reason.contains("resumed after the override"), "{reason}");
    assert_eq!(serde_json::to_value(&records[0]).unwrap()["outcome"], "interrupted");
}

#[test]
fn override_released_to_the_schedule_joins_the_next_item_late() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.mp4", "blue", 880, 3.0);
    let (records, colours) = render_with(dir.path(), "rejoin.ts", |h| {
        h.override_at(secs(1.6), Source::Path(blue));
        h.release_at(secs(2.4), ResumePolicy::RejoinSchedule);
    });
    // The schedule ran on underneath: green is joined 0.4 s in, and the total is unchanged.
    assert_eq!(runs(&colours), [("red", 40), ("blue", 20), ("green", 40)]);
    assert_eq!(records.len(), 3);
    assert_eq!((records[1].item, records[1].start_frame, records[1].frames), (None, 40, 20));
    assert_eq!(records[0].outcome, Outcome::Interrupted, "{:?}", records[0]);
    assert!(records[0].reason.as_deref().unwrap_or("").contains("blue.mp4)"), "{:?}", records[0].reason);
    assert!(records[2].reason.as_deref().unwrap_or("").contains("joined late"), "{:?}", records[2].reason);
}

#[test]
fn an_armed_source_is_taken_by_the_override_and_another_source_is_opened_as_usual() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.mp4", "blue", 880, 3.0);
    let green = clip(dir.path(), "green2.mp4", "green", 990, 3.0);
    // Armed with blue, overridden with blue: the armed input airs, at the same frame as ever.
    let (records, colours) = render_with(dir.path(), "armed.ts", |h| {
        h.arm_override(Source::Path(blue.clone()));
        h.override_at(secs(1.0), Source::Path(blue.clone()));
        h.release_at(secs(2.0), ResumePolicy::ResumeItem);
    });
    assert_eq!(runs(&colours), [("red", 25), ("blue", 25), ("red", 25), ("green", 50)]);
    assert!(records[1].reason.as_deref().unwrap_or("").contains("armed ahead"), "{:?}", records[1]);
    // Armed with green, overridden with blue: blue is opened then and airs; green never does.
    let (records, colours) = render_with(dir.path(), "other.ts", |h| {
        h.arm_override(Source::Path(green));
        h.override_at(secs(1.0), Source::Path(blue));
        h.release_at(secs(2.0), ResumePolicy::ResumeItem);
    });
    assert_eq!(runs(&colours), [("red", 25), ("blue", 25), ("red", 25), ("green", 50)]);
    assert!(!records[1].reason.as_deref().unwrap_or("").contains("armed"), "{:?}", records[1]);
}

/// A real-time clock 50 times slower than the wall: each 100 ms radio step is waited for 5 s,
/// so what the engine does while it waits shows.
struct SlowClock(std::time::Instant);

impl playout::PlayoutClock for SlowClock {
    fn wait_until(&mut self, at: MediaTime) {
        std::thread::sleep(self.remaining(at));
    }
    fn is_live(&self) -> bool {
        true
    }
    fn remaining(&self, at: MediaTime) -> std::time::Duration {
        (self.0 + std::time::Duration::from_nanos(at.unsigned_nanos()) * 50)
            .saturating_duration_since(std::time::Instant::now())
    }
}

/// Silence made in process, as an alert programme is.
struct Silence;

impl playout::input::Generator for Silence {
    fn has_video(&self) -> bool {
        false
    }
    fn pull_video(&mut self) -> playout::input::Pull {
        playout::input::Pull::Eos
    }
    fn pull_audio(&mut self) -> playout::input::Pull {
        playout::input::Pull::Buffer(gstreamer::Buffer::from_mut_slice(vec![0u8; 960 * 4]))
    }
}

/// Issue 16: an emergency override must not wait for the step the engine is waiting for (a
/// radio engine pushes 100 ms at a time), and its first audio goes to the output at once.
/// On a clock that makes each step last 5 s, the override is on air, with 100 ms of it pushed,
/// well within a second of the call (before, the engine took it at the end of the step).
#[test]
fn an_override_made_in_process_is_taken_while_the_engine_waits_and_its_first_audio_goes_out_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let tone = clip(dir.path(), "tone.mp4", "red", 440, 30.0);
    let json = serde_json::json!({
        "format": { "kind": "radio", "sample_rate": 48000, "channels": 2 },
        "items": [ { "source": tone, "duration": 30.0 } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let format = playlist.format;
    let output =
        playout::output::Output::start(&format, &[OutputTarget::File(dir.path().join("out.ts"))], true).unwrap();
    let mut engine = Engine::new(format, output, SlowClock(std::time::Instant::now()), EngineConfig::real_time());
    let handle = engine.handle();
    let run = std::thread::spawn(move || {
        let records = engine.run(&playlist);
        engine.finish().map(|_| records)
    });
    // The first step (0–100 ms) goes at once; the engine then waits 5 s for the next one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while handle.status().samples_out < 4800 {
        assert!(std::time::Instant::now() < deadline, "the channel never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = handle.status().samples_out;
    let made = playout::input::Generated::new("alert:SLOW", format, Box::new(Silence));
    let asked = std::time::Instant::now();
    handle.override_with(made.into_source());
    let on_air = loop {
        let status = handle.status();
        if status.now.as_deref() == Some("override: alert:SLOW") && status.samples_out >= before + 4800 {
            break asked.elapsed();
        }
        assert!(asked.elapsed() < std::time::Duration::from_secs(20), "the override never aired: {status:?}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    handle.release(ResumePolicy::ResumeItem);
    std::thread::sleep(std::time::Duration::from_millis(200));
    handle.stop();
    let records = run.join().unwrap().unwrap().unwrap();
    assert!(on_air < std::time::Duration::from_secs(1), "on air with its first 100 ms pushed after {on_air:?}");
    let ov = records.iter().find(|r| r.title.as_deref() == Some("override")).expect("no override in the as-run");
    assert_eq!(ov.source.as_deref(), Some("alert:SLOW"));
}

//! A live item (MPEG-TS over UDP) that stops sending mid-item, or never sends at all: the
//! engine waits its input timeout, then fills the rest of the slot with slate and silence and
//! goes on to the next item at its time.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::Duration;

use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, VirtualClock};

use crate::media_common::colour_names;

/// A clip with short GOPs, so a live source can be joined mid-stream.
fn clip(dir: &Path, name: &str, colour: &str, secs: f64) -> PathBuf {
    crate::media_common::clip_with(dir, name, colour, secs, &["-g", "5"])
}

/// A 3 s live item from UDP `port`, then 1 s of `blue`, rendered on the virtual clock with
/// `timeout` as the input timeout: the as-run and the colour of every frame (100 expected).
fn render_live_then_blue(
    dir: &Path,
    port: u16,
    blue: &Path,
    timeout: Duration,
) -> (Vec<playout::AsRunRecord>, Vec<&'static str>) {
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [
            { "source": format!("udp://127.0.0.1:{port}"), "kind": "live", "duration": 3.0 },
            { "source": blue, "duration": 1.0 },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let out = dir.join("out.ts");
    let output = playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.clone())], false).unwrap();
    let config = EngineConfig { input_timeout: timeout, ..EngineConfig::rendering() };
    let mut engine = Engine::new(playlist.format, output, VirtualClock, config);
    let records = engine.run(&playlist).unwrap();
    assert_eq!(engine.counters().0, 100);
    engine.finish().unwrap();
    (records, colour_names(&out))
}

#[test]
fn live_source_that_stops_mid_item_is_replaced_by_slate_until_the_next_item() {
    let dir = tempfile::tempdir().unwrap();
    let red_ts = clip(dir.path(), "red.ts", "red", 3.0);
    let blue = clip(dir.path(), "blue.mp4", "blue", 1.0);
    let port = testkit::net::free_port();

    // Send the first ~1 s of the red stream in real time, then go silent.
    let data = std::fs::read(&red_ts).unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500)); // the engine opens the item meanwhile
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let chunks: Vec<&[u8]> = data.chunks(7 * 188).collect();
        let pace = Duration::from_secs_f64(3.0 / chunks.len() as f64);
        for chunk in &chunks[..chunks.len() / 3] {
            socket.send_to(chunk, ("127.0.0.1", port)).unwrap();
            std::thread::sleep(pace);
        }
    });

    let (records, colours) = render_live_then_blue(dir.path(), port, &blue, Duration::from_millis(1500));
    sender.join().unwrap();

    assert_eq!(records[0].outcome, Outcome::Fallback, "{records:#?}");
    assert!(records[0].reason.as_deref().unwrap_or("").contains("stalled"), "{:?}", records[0].reason);
    assert!(records[0].slate_frames >= 40, "{} slate frames", records[0].slate_frames);
    assert_eq!(records[1].outcome, Outcome::Played);
    assert_eq!(colours.len(), 100);
    assert_eq!(colours[2], "red");
    assert!(colours[60..75].iter().all(|c| *c == "black"), "{colours:?}");
    assert!(colours[75..].iter().all(|c| *c == "blue"), "{colours:?}");
}

#[test]
fn in_real_time_a_stalled_live_source_never_stops_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let red_ts = clip(dir.path(), "red.ts", "red", 3.0);
    let port = testkit::net::free_port();
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [ { "source": format!("udp://127.0.0.1:{port}"), "kind": "live", "duration": 6.0, "title": "relay" } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let data = std::fs::read(&red_ts).unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500)); // the engine opens the item meanwhile
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let chunks: Vec<&[u8]> = data.chunks(7 * 188).collect();
        let pace = Duration::from_secs_f64(3.0 / chunks.len() as f64);
        for chunk in &chunks[..chunks.len() / 3] {
            socket.send_to(chunk, ("127.0.0.1", port)).unwrap();
            std::thread::sleep(pace);
        }
    });
    let out = dir.path().join("air.ts");
    let channel = playout::start_realtime(playlist, &[OutputTarget::File(out)]).unwrap();
    let handle = channel.handle().clone();
    let frames = || handle.status().frames_out;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while frames() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // From the first frame, watch 4 s (the source stalls after ~1 s of media) for the longest
    // time the output did not advance: a blocking engine would freeze ~2 s, then burst.
    let (mut last, mut last_change, mut longest) = (frames(), std::time::Instant::now(), Duration::ZERO);
    let watch = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < watch {
        std::thread::sleep(Duration::from_millis(10));
        let now = frames();
        if now != last {
            longest = longest.max(last_change.elapsed());
            (last, last_change) = (now, std::time::Instant::now());
        }
    }
    longest = longest.max(last_change.elapsed());
    sender.join().unwrap();
    let report = channel.stop().unwrap();
    assert!(longest < Duration::from_millis(800), "output froze for {longest:?} while the source stalled");
    let relay = &report.as_run[0];
    assert_eq!(relay.outcome, Outcome::Fallback, "{relay:#?}");
    let reason = relay.reason.as_deref().unwrap_or("");
    assert!(reason.contains("source late") && reason.contains("stalled"), "{reason}");
}

#[test]
fn a_live_source_that_never_sends_airs_slate_for_its_slot_and_the_next_item_is_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.mp4", "blue", 1.0);
    // A port nobody sends to: the relay never connects.
    let port = testkit::net::free_port();
    let (records, colours) = render_live_then_blue(dir.path(), port, &blue, Duration::from_millis(1000));

    assert_eq!(records[0].outcome, Outcome::Fallback, "{records:#?}");
    assert!(records[0].reason.as_deref().unwrap_or("").contains("no stream"), "{:?}", records[0].reason);
    assert_eq!(records[1].outcome, Outcome::Played);
    assert_eq!(records[1].start_frame, 75, "the next item keeps its time");
    assert_eq!(colours.len(), 100);
    assert!(colours[..75].iter().all(|c| *c == "black"), "{colours:?}");
    assert!(colours[75..].iter().all(|c| *c == "blue"), "{colours:?}");
}

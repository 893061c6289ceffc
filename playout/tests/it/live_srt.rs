//! A live SRT relay (the engine calls an `srt-live-transmit` listener fed with a generated TS)
//! that is killed mid-item and restarted: the rest of the item is slate and silence with the
//! reason in the as-run, the output never stops (every frame of the schedule is there, PTS
//! continuous, checked by ffprobe), and the relay is back on air as soon as it returns —
//! within the same item in real time, at the next relay item on the virtual clock.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, VirtualClock};

use crate::media_common::colour_names;
use testkit::net::free_port;

/// A clip with short GOPs in MPEG-TS, so a live source can be joined mid-stream.
fn clip(dir: &Path, name: &str, colour: &str, secs: f64) -> PathBuf {
    crate::media_common::clip_with(dir, name, colour, secs, &["-g", "5", "-f", "mpegts"])
}

/// `srt-live-transmit` relaying UDP on `udp_in` to an SRT listener on `srt_port`.
fn relay(udp_in: u16, srt_port: u16) -> Child {
    Command::new("srt-live-transmit")
        .args(["-q", &format!("udp://127.0.0.1:{udp_in}"), &format!("srt://:{srt_port}?mode=listener")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("srt-live-transmit (srt-tools, scripts/setup-debian.sh)")
}

/// Sends `data` to `port` over UDP, paced as `secs` of media, for at most `for_secs`.
fn send(data: &[u8], port: u16, secs: f64, for_secs: f64) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let chunks: Vec<&[u8]> = data.chunks(7 * 188).collect();
    let pace = Duration::from_secs_f64(secs / chunks.len() as f64);
    let until = Instant::now() + Duration::from_secs_f64(for_secs);
    for chunk in chunks {
        if Instant::now() >= until {
            return;
        }
        let _ = socket.send_to(chunk, ("127.0.0.1", port));
        std::thread::sleep(pace);
    }
}

#[test]
fn an_srt_relay_killed_mid_item_airs_slate_and_the_next_item_is_back_on_the_restarted_relay() {
    let dir = tempfile::tempdir().unwrap();
    let red = std::fs::read(clip(dir.path(), "red.ts", "red", 8.0)).unwrap();
    let green = std::fs::read(clip(dir.path(), "green.ts", "green", 8.0)).unwrap();
    let blue = clip(dir.path(), "blue.ts", "blue", 1.0);
    let (udp_in, srt_port) = (free_port(), free_port());
    let source = format!("srt://127.0.0.1:{srt_port}?mode=caller");
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [
            { "source": source, "kind": "live", "duration": 5.0, "title": "relay 1" },
            { "source": source, "kind": "live", "duration": 3.0, "title": "relay 2" },
            { "source": blue, "duration": 1.0 },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();

    let mut first = relay(udp_in, srt_port);
    let feeder = std::thread::spawn(move || {
        send(&red, udp_in, 8.0, 2.0); // ~2 s of the red stream, then the relay dies
        let _ = first.kill();
        let _ = first.wait();
        std::thread::sleep(Duration::from_secs(1));
        let mut second = relay(udp_in, srt_port);
        send(&green, udp_in, 8.0, 8.0);
        let _ = second.kill();
        let _ = second.wait();
    });

    let out = dir.path().join("out.ts");
    let output = playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.clone())], false).unwrap();
    let config = EngineConfig { input_timeout: Duration::from_millis(1500), ..EngineConfig::rendering() };
    let mut engine = Engine::new(playlist.format, output, VirtualClock, config);
    let records = engine.run(&playlist).unwrap();
    assert_eq!(engine.counters().0, 225, "every frame of the schedule");
    engine.finish().unwrap();
    feeder.join().unwrap();

    assert_eq!(records[0].outcome, Outcome::Fallback, "{records:#?}");
    let reason = records[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("stalled"), "the as-run says why: {records:#?}");
    assert_eq!(records[1].outcome, Outcome::Played, "relay 2 on the restarted relay: {records:#?}");
    assert!(records[0].slate_frames >= 25, "{} slate frames", records[0].slate_frames);
    let colours = colour_names(&out);
    assert_eq!(colours.len(), 225, "ffprobe-independent decode: every frame present");
    assert!(colours[..20].contains(&"red"), "{colours:?}");
    assert!(colours[100..125].iter().all(|c| *c == "black"), "slate before relay 1 ends: {colours:?}");
    assert!(
        colours[150..200].iter().filter(|c| **c == "green").count() >= 40,
        "relay 2 on the restarted relay: {colours:?}"
    );
    assert!(colours[200..].iter().all(|c| *c == "blue"), "{colours:?}");

    // PTS continuous: one frame duration between every pair of frames.
    let pts = video_pts(&out);
    assert_eq!(pts.len(), 225);
    assert!(pts.windows(2).all(|w| w[1] - w[0] == 3600), "a PTS gap in the output");
}

/// The video packets' PTS in `file`, sorted, as ffprobe reads them.
pub(crate) fn video_pts(file: &std::path::Path) -> Vec<i64> {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "json"])
        .arg(file)
        .output()
        .unwrap();
    let probe: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let mut pts: Vec<i64> = probe["packets"].as_array().unwrap().iter().filter_map(|p| p["pts"].as_i64()).collect();
    pts.sort_unstable();
    pts
}

#[test]
fn in_real_time_an_srt_relay_that_comes_back_mid_item_is_back_on_air_within_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let red = std::fs::read(clip(dir.path(), "red.ts", "red", 10.0)).unwrap();
    let green = std::fs::read(clip(dir.path(), "green.ts", "green", 10.0)).unwrap();
    let (udp_in, srt_port) = (free_port(), free_port());
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [ { "source": format!("srt://127.0.0.1:{srt_port}?mode=caller"), "kind": "live", "duration": 10.0,
                     "title": "relay" } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let mut first = relay(udp_in, srt_port);
    let feeder = std::thread::spawn(move || {
        send(&red, udp_in, 10.0, 2.5);
        let _ = first.kill();
        let _ = first.wait();
        std::thread::sleep(Duration::from_millis(1500));
        let mut second = relay(udp_in, srt_port);
        send(&green, udp_in, 10.0, 7.0);
        let _ = second.kill();
        let _ = second.wait();
    });
    let out = dir.path().join("air.ts");
    let channel = playout::start_realtime(playlist, &[OutputTarget::File(out.clone())]).unwrap();
    std::thread::sleep(Duration::from_secs(10));
    let report = channel.stop().unwrap();
    feeder.join().unwrap();

    let relay = &report.as_run[0];
    let reason = relay.reason.as_deref().unwrap_or("");
    assert_eq!(relay.outcome, Outcome::Fallback, "{relay:#?}");
    assert!(reason.contains("stalled") || reason.contains("source late"), "why it dropped: {reason}");
    assert!(reason.contains("live source back"), "the as-run says it came back: {reason}");
    let colours = colour_names(&out);
    assert_eq!(colours.len() as u64, report.frames_out, "every frame the engine aired is in the file");
    // 10 s of wall time, less the channel's start (opening the SRT caller, building the output:
    // 0.3-0.5 s for a debug build on a busy 2-core machine). A relay outage that stopped the
    // output would cost its whole 1.5 s or more; the PTS check below proves there is no gap.
    assert!(report.frames_out >= 230, "the output never stopped: {} frames in 10 s", report.frames_out);
    let pts = video_pts(&out);
    assert_eq!(pts.len() as u64, report.frames_out);
    assert!(pts.windows(2).all(|w| w[1] - w[0] == 3600), "a PTS gap in the output while the relay was down");
    // The channel may open on a few frames of slate while the SRT caller connects (it never waits
    // for a source); the relay is on air within its first second.
    let first_red = colours.iter().position(|c| *c == "red").expect("the relay on air");
    assert!(first_red < 25, "the relay on air after {first_red} frames: {colours:?}");
    let first_black = colours.iter().skip(first_red).position(|c| *c == "black").map(|p| p + first_red);
    let first_black = first_black.expect("slate while the relay is down");
    let back = colours.iter().skip(first_black).position(|c| *c == "green").map(|p| p + first_black);
    let back = back.unwrap_or_else(|| panic!("never back on the relay: {colours:?}"));
    assert!(back < 250, "back on the relay within its 10 s slot (frame {back})");
    assert!(colours[back..250.min(colours.len())].iter().filter(|c| **c == "green").count() > 50, "{colours:?}");
}

//! Live relays are decoded in a child process (issue 19): the child is another process, seen
//! in /proc while the relay airs and gone after; a child killed mid-item (again and again) is
//! a failed live source — slate, the reason in the as-run, calls backing off — while the
//! channel's output never stops; a relay sending garbage harms nothing but its own child.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, VirtualClock};

use crate::media_common::colour_names;

/// A clip with short GOPs in MPEG-TS, so a live source can be joined mid-stream.
fn clip(dir: &Path, name: &str, colour: &str, secs: f64) -> PathBuf {
    crate::media_common::clip_with(dir, name, colour, secs, &["-g", "5", "-f", "mpegts"])
}

/// Sends `data` (`secs` of media) to UDP `port` in real time, over and over, until `stop`.
fn feed(data: Vec<u8>, port: u16, secs: f64, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let chunks: Vec<&[u8]> = data.chunks(7 * 188).collect();
        let pace = Duration::from_secs_f64(secs / chunks.len() as f64);
        while !stop.load(Ordering::SeqCst) {
            for chunk in &chunks {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let _ = socket.send_to(chunk, ("127.0.0.1", port));
                std::thread::sleep(pace);
            }
        }
    })
}

/// The relay children of this process decoding `uri`: pids from /proc (PPid and cmdline),
/// read independently of the code under test.
fn relay_children(uri: &str) -> Vec<u32> {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let ppid = status.lines().find_map(|l| l.strip_prefix("PPid:")).map(str::trim);
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> =
                cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            ppid == Some(me.as_str()) && args.iter().any(|a| a == "__relay-child") && args.iter().any(|a| a == uri)
        })
        .collect()
}

/// True once `pid` is gone or a zombie nobody will run again.
fn gone(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.is_empty() || status.lines().any(|l| l.starts_with("State:") && l.contains('Z'))
}

fn tv_relay(uri: &str, secs: f64) -> OnAirPlaylist {
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [ { "source": uri, "kind": "live", "duration": secs, "title": "relay" } ],
    });
    OnAirPlaylist::from_json(&json.to_string()).unwrap()
}

/// A TV channel airing for `secs` a UDP relay fed 2 s of red, looped, into `air.ts` in `dir`.
struct Relayed {
    uri: String,
    stop: Arc<AtomicBool>,
    sender: std::thread::JoinHandle<()>,
    out: PathBuf,
    channel: playout::RealtimeChannel,
}

fn air_red_relay(dir: &Path, secs: f64) -> Relayed {
    let red = std::fs::read(clip(dir, "red.ts", "red", 2.0)).unwrap();
    let port = testkit::net::free_port();
    let uri = format!("udp://127.0.0.1:{port}");
    let stop = Arc::new(AtomicBool::new(false));
    let sender = feed(red, port, 2.0, stop.clone());
    let out = dir.join("air.ts");
    let channel = playout::start_realtime(tv_relay(&uri, secs), &[OutputTarget::File(out.clone())]).unwrap();
    Relayed { uri, stop, sender, out, channel }
}

#[test]
fn a_relay_is_decoded_in_another_process_that_ends_with_its_item() {
    let dir = tempfile::tempdir().unwrap();
    let Relayed { uri, stop, sender, out, channel } = air_red_relay(dir.path(), 5.0);
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut seen = Vec::new();
    while seen.is_empty() && Instant::now() < deadline {
        seen = relay_children(&uri);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seen.len(), 1, "one relay child while the relay airs: {seen:?}");
    assert_ne!(seen[0], std::process::id(), "the relay is decoded in another process");
    let handle = channel.handle().clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    while handle.status().frames_out < 75 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(relay_children(&uri), seen, "the same child airs the whole item");
    let report = channel.stop().unwrap();
    stop.store(true, Ordering::SeqCst);
    sender.join().unwrap();
    let relay = &report.as_run[0];
    let colours = colour_names(&out);
    assert!(colours.iter().filter(|c| **c == "red").count() >= 50, "the relay aired: {relay:#?} {colours:?}");
    assert_eq!(relay.outcome, Outcome::Played, "{relay:#?}");
    // Stopped with its input: asked to close its source, killed 0.5 s later at the latest.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !gone(seen[0]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(gone(seen[0]), "the relay child {} outlived its input", seen[0]);
}

#[test]
fn a_relay_child_killed_mid_item_leaves_the_channel_on_air_and_calls_back_off() {
    let dir = tempfile::tempdir().unwrap();
    let Relayed { uri, stop, sender, out, channel } = air_red_relay(dir.path(), 9.0);
    let handle = channel.handle().clone();
    // From 2 s on, every relay child of this process is killed as soon as it shows up.
    let killed = Arc::new(AtomicUsize::new(0));
    let (killer_stop, count) = (stop.clone(), killed.clone());
    let killer_uri = uri.clone();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        let mut pids = std::collections::BTreeSet::new();
        while !killer_stop.load(Ordering::SeqCst) {
            for pid in relay_children(&killer_uri) {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                if pids.insert(pid) {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let started = Instant::now();
    while handle.status().frames_out < 225 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = channel.stop().unwrap();
    stop.store(true, Ordering::SeqCst);
    killer.join().unwrap();
    sender.join().unwrap();

    let relay = &report.as_run[0];
    let reason = relay.reason.as_deref().unwrap_or("");
    assert_eq!(relay.outcome, Outcome::Fallback, "{relay:#?}");
    assert!(reason.contains("killed by signal 9"), "the as-run says the child was killed: {reason}");
    assert!(reason.contains("calling again in 1 s") && reason.contains("calling again in 2 s"), "{reason}");
    let children = killed.load(Ordering::SeqCst);
    // Killed at ~2 s, then calls at +0, +1, +3 s (waits 1, 2, 4 s): a handful in 7 s.
    assert!((2..=8).contains(&children), "{children} relay children in 7 s of kills: {reason}");
    let colours = colour_names(&out);
    assert_eq!(colours.len() as u64, report.frames_out, "every frame the engine aired is in the file");
    assert!(report.frames_out >= 225, "the output went on: {} frames", report.frames_out);
    assert!(colours[..75].contains(&"red"), "the relay aired before its child was killed: {colours:?}");
    assert!(colours[125..].iter().filter(|c| **c == "black").count() >= 80, "slate after the kills: {colours:?}");
    let pts = crate::live_srt::video_pts(&out);
    assert!(pts.windows(2).all(|w| w[1] - w[0] == 3600), "a PTS gap in the output while children died");
}

#[test]
fn a_relay_sending_garbage_airs_slate_and_leaves_the_channel_unharmed() {
    let dir = tempfile::tempdir().unwrap();
    let blue = clip(dir.path(), "blue.ts", "blue", 1.0);
    let port = testkit::net::free_port();
    let uri = format!("udp://127.0.0.1:{port}");
    // Bytes no demuxer makes sense of, some with MPEG-TS sync bytes to get past typefinding.
    let mut garbage = vec![0u8; 4 << 20];
    let mut x: u32 = 0x9e37_79b9;
    for (i, b) in garbage.iter_mut().enumerate() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = if i % 188 == 0 { 0x47 } else { x as u8 };
    }
    let stop = Arc::new(AtomicBool::new(false));
    let sender = feed(garbage, port, 4.0, stop.clone());
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [
            { "source": uri, "kind": "live", "duration": 3.0, "title": "garbage" },
            { "source": blue, "duration": 1.0 },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let out = dir.path().join("out.ts");
    let output = playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.clone())], false).unwrap();
    let config = EngineConfig { input_timeout: Duration::from_millis(1500), ..EngineConfig::rendering() };
    let mut engine = Engine::new(playlist.format, output, VirtualClock, config);
    let records = engine.run(&playlist).unwrap();
    assert_eq!(engine.counters().0, 100, "every frame of the schedule");
    engine.finish().unwrap();
    stop.store(true, Ordering::SeqCst);
    sender.join().unwrap();

    assert_eq!(records[0].outcome, Outcome::Fallback, "{records:#?}");
    assert!(records[0].reason.is_some(), "the as-run says why: {records:#?}");
    assert_eq!(records[1].outcome, Outcome::Played, "{records:#?}");
    assert_eq!(records[1].start_frame, 75, "the next item keeps its time");
    let colours = colour_names(&out);
    assert_eq!(colours.len(), 100, "ffmpeg decodes every frame");
    assert!(colours[..75].iter().all(|c| *c == "black"), "{colours:?}");
    assert!(colours[75..].iter().all(|c| *c == "blue"), "{colours:?}");
    // No relay child is left decoding the garbage.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !relay_children(&uri).iter().all(|p| gone(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(relay_children(&uri).iter().all(|p| gone(*p)), "a relay child outlived its input");
}

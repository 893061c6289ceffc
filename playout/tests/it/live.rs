//! Real time on the system clock: one channel into a file, UDP on 127.0.0.1 and HLS at once,
//! plus an HLS target that cannot write: it fails alone and the others carry on.

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use playout::{start_realtime, OnAirPlaylist, Outcome, OutputTarget};

use crate::media_common::clip;

#[test]
fn live_channel_feeds_file_udp_and_hls_in_real_time_and_survives_a_failing_target() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", "red", 1.5);
    let green = clip(dir.path(), "green.mp4", "green", 1.5);
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [
            { "source": red, "duration": 1.5, "title": "red" },
            { "source": dir.path().join("missing.mp4"), "duration": 0.5 },
            { "source": green, "duration": 1.5, "title": "green" },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let port = socket.local_addr().unwrap().port();
    let receiver = std::thread::spawn(move || {
        let mut datagrams = Vec::new();
        let mut buf = [0u8; 2048];
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match socket.recv(&mut buf) {
                Ok(n) => datagrams.push((n, buf[0])),
                Err(_) if !datagrams.is_empty() => break, // the channel stopped
                Err(_) => {}
            }
        }
        datagrams
    });

    let hls = dir.path().join("hls");
    std::fs::create_dir(&hls).unwrap();
    let file = dir.path().join("air.ts");
    let targets = [
        OutputTarget::File(file.clone()),
        OutputTarget::Udp { host: "127.0.0.1".to_owned(), port },
        OutputTarget::Hls(hls.clone()),
        OutputTarget::Hls(dir.path().join("no/such/dir")),
    ];
    let started = Instant::now();
    let channel = start_realtime(playlist, &targets).unwrap();
    // Wait (bounded) for the first item to be on air: opening it may be slow on a busy machine.
    let on_air = Instant::now() + Duration::from_secs(10);
    while channel.handle().status().frames_out == 0 && Instant::now() < on_air {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = channel.handle().status();
    assert_eq!(status.now.as_deref(), Some("red"));
    assert!(status.frames_out > 0);
    assert!(status.prometheus("test").contains("kapok_playout_frames_total{channel=\"test\"}"));
    std::thread::sleep(Duration::from_millis(5000));
    let elapsed = started.elapsed().as_secs_f64();
    let report = channel.stop().unwrap();

    // Real time: never ahead of the wall clock (the 100 ms lead aside).
    assert!((report.frames_out as f64) <= (elapsed + 0.2) * 25.0, "{} frames in {elapsed} s", report.frames_out);
    assert!(report.frames_out >= 100, "{} frames", report.frames_out);
    let outcomes: Vec<_> = report.as_run.iter().map(|r| (r.item, r.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (Some(0), Outcome::Played),
            (Some(1), Outcome::Fallback),
            (Some(2), Outcome::Played),
            (None, Outcome::Fallback)
        ]
    );
    assert_eq!(report.failed_targets.len(), 1, "{:?}", report.failed_targets);
    assert!(report.failed_targets[0].0.contains("no/such/dir"));

    // The file holds every frame.
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames"])
        .args(["-of", "csv=p=0"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: i64 = text.lines().next().unwrap_or("").trim_end_matches(',').parse().expect(&text);
    assert!((frames - report.frames_out as i64).abs() <= 1, "{frames} frames in file, {} sent", report.frames_out);

    // UDP: 7 TS packets a datagram.
    let datagrams = receiver.join().unwrap();
    assert!(datagrams.len() > 100, "{} datagrams", datagrams.len());
    assert!(datagrams.iter().all(|&(n, sync)| n == 7 * 188 && sync == 0x47));

    // HLS: a playlist naming segments that exist.
    let m3u8 = std::fs::read_to_string(hls.join("index.m3u8")).unwrap();
    let segments: Vec<&str> = m3u8.lines().filter(|l| l.ends_with(".ts")).collect();
    assert!(segments.len() >= 2, "{m3u8}");
    assert!(segments.iter().all(|s| hls.join(Path::new(s).file_name().unwrap()).exists()));
}

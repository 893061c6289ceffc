//! URIs are relays only (issue 19): a schedule's `file://` URI or an `http://` URL that is not
//! an HLS playlist never reaches GStreamer, whatever wrote the playlist; a relay that fails is
//! called again with a growing wait, not on every frame.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use playout::{Engine, EngineConfig, OnAirPlaylist, Outcome, OutputTarget, VirtualClock};

use crate::media_common::{clip, colour_names};

#[test]
fn a_file_uri_or_a_plain_http_url_airs_slate_and_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let red = clip(dir.path(), "red.mp4", "red", 1.0);
    let blue = clip(dir.path(), "blue.mp4", "blue", 1.0);
    let file_uri = format!("file://{}", red.display());
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [
            { "source": file_uri, "kind": "live", "duration": 1.0 },
            { "source": format!("file://localhost{}", red.display()), "kind": "live", "duration": 1.0 },
            { "source": file_uri, "duration": 1.0 },
            { "source": "http://127.0.0.1:9/x.mp3", "kind": "live", "duration": 1.0 },
            { "source": blue, "duration": 1.0 },
        ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let out = dir.path().join("out.ts");
    let output = playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.clone())], false).unwrap();
    let config = EngineConfig { input_timeout: Duration::from_millis(500), ..EngineConfig::rendering() };
    let mut engine = Engine::new(playlist.format, output, VirtualClock, config);
    let records = engine.run(&playlist).unwrap();
    engine.finish().unwrap();
    for r in &records[..4] {
        assert_eq!(r.outcome, Outcome::Fallback, "{r:#?}");
        assert!(r.reason.as_deref().unwrap_or("").contains("source refused"), "{:?}", r.reason);
    }
    let colours = colour_names(&out);
    assert_eq!(colours.len(), 125);
    assert!(colours[..100].iter().all(|c| *c == "black"), "the red file aired: {colours:?}");
    assert!(colours[100..].iter().all(|c| *c == "blue"), "{colours:?}");
}

#[test]
fn a_failing_relay_is_called_again_after_a_growing_wait_not_every_frame() {
    // An HLS relay that answers 404 to every request, counting them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" },
        "items": [ { "source": format!("http://127.0.0.1:{port}/live/index.m3u8"), "kind": "live",
                     "duration": 6.0, "title": "relay" } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let channel = playout::start_realtime(playlist, &[OutputTarget::File(dir.path().join("air.ts"))]).unwrap();
    let handle = channel.handle().clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while handle.status().frames_out < 150 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = channel.stop().unwrap();
    let n = calls.load(Ordering::SeqCst);
    eprintln!("relay answering 404: {n} requests in 6 s of air");
    let relay = &report.as_run[0];
    let reason = relay.reason.as_deref().unwrap_or("");
    assert!(n >= 2, "the relay was called {n} times: not even retried ({reason})");
    // Open, then calls at +0, +1, +3 s (waits 1, 2, 4 s): at most a handful in 6 s (was ~150).
    assert!(n <= 8, "the relay was called {n} times in 6 s");
    assert_eq!(relay.outcome, Outcome::Fallback, "{relay:#?}");
    assert!(reason.contains("calling again in 1 s") && reason.contains("calling again in 2 s"), "{reason}");
}

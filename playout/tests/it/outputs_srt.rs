//! MPEG-TS over SRT, both modes, with the receiver vanishing (SIGKILL) and coming back: the
//! file target beside it keeps a continuous stream and the SRT output resumes. Receivers are
//! `srt-live-transmit` (Debian srt-tools); everything is checked with ffprobe.

use std::time::Duration;

use crate::outputs_common::*;
use playout::output::Output;
use playout::{OutputState, OutputTarget};

fn srt_receiver(uri: &str, out: &std::path::Path) -> Receiver {
    Receiver::spawn("srt-live-transmit", &["-q", uri, "file://con"], out)
}

#[test]
fn a_listener_output_serves_a_receiver_that_leaves_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("record.ts");
    let targets = [OutputTarget::File(file.clone()), OutputTarget::Srt { uri: format!("srt://:{port}?mode=listener") }];
    let feeder = Feeder::start(Output::start(&tv(), &targets, true).unwrap(), tv());
    std::thread::sleep(Duration::from_millis(500));

    let caller = format!("srt://127.0.0.1:{port}?mode=caller");
    let (first, second) = (dir.path().join("first.ts"), dir.path().join("second.ts"));
    let r = srt_receiver(&caller, &first);
    std::thread::sleep(Duration::from_secs(4));
    r.kill();
    std::thread::sleep(Duration::from_secs(2));
    let r = srt_receiver(&caller, &second);
    std::thread::sleep(Duration::from_secs(4));
    r.kill();
    let states = feeder.states();
    assert_eq!(states[1].state, OutputState::Up, "{states:?}");
    let (frames, failed) = feeder.finish();
    assert!(failed.is_empty(), "{failed:?}");

    let recorded = packet_times(&file, "v:0");
    assert_eq!(recorded.len() as u64, frames, "the file holds every frame");
    assert_continuous(&recorded, "file target");
    for (name, got) in [("first", &first), ("second", &second)] {
        let n = decoded_frames(got, "v:0");
        // Up to one 2 s GOP passes before the first key frame a receiver can decode.
        assert!(n >= 30, "{name} receiver decoded {n} frames in ~4 s");
    }
}

#[test]
fn a_caller_output_reconnects_with_backoff_when_its_receiver_returns() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("record.ts");
    let (first, second) = (dir.path().join("first.ts"), dir.path().join("second.ts"));
    let listen = format!("srt://:{port}?mode=listener");
    let r = srt_receiver(&listen, &first);
    std::thread::sleep(Duration::from_millis(300));
    let targets = [
        OutputTarget::File(file.clone()),
        OutputTarget::Srt { uri: format!("srt://127.0.0.1:{port}?mode=caller&latency=120") },
    ];
    let feeder = Feeder::start(Output::start(&tv(), &targets, true).unwrap(), tv());
    feeder.wait_for(1, OutputState::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(4));
    r.kill();
    // SRT notices a silent peer after its idle timeout (5 s), then the target retries.
    let down = feeder.wait_for(1, OutputState::Reconnecting, Duration::from_secs(12));
    assert!(down.failed.is_some(), "{down:?}");
    let text = playout::Status { outputs: feeder.states(), ..Default::default() }.prometheus("tv");
    assert!(text.contains("state=\"reconnecting\"} 1"), "{text}");
    std::thread::sleep(Duration::from_secs(2));
    let r = srt_receiver(&listen, &second);
    let up = feeder.wait_for(1, OutputState::Up, Duration::from_secs(20));
    assert!(up.reconnects >= 1, "{up:?}");
    std::thread::sleep(Duration::from_secs(4));
    r.kill();
    let (frames, _) = feeder.finish();

    let recorded = packet_times(&file, "v:0");
    assert_eq!(recorded.len() as u64, frames, "the file holds every frame");
    assert_continuous(&recorded, "file target");
    assert!(decoded_frames(&first, "v:0") >= 30, "first receiver");
    let n = decoded_frames(&second, "v:0");
    assert!(n >= 30, "second receiver decoded {n} frames in ~4 s after the reconnect");
}

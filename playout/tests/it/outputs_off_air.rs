//! A channel whose every output has lost its receiver (RTMP to a closed port, an SRT caller
//! with no listener) keeps its timeline and retries the outputs, and says it is OFF AIR:
//! `Status::off_air_s` and the `kapok_playout_off_air` metric. With one output still up it is
//! not off air.

use std::sync::Arc;
use std::time::Duration;

use crate::channel_common::{rfc3339, wait_for};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::{OutputState, OutputTarget};

fn runner(dir: &std::path::Path, targets: Vec<OutputTarget>) -> ChannelRunner {
    let playlist = dir.join("day.json");
    let json = serde_json::json!({
        "format": { "kind": "radio", "sample_rate": 48000, "channels": 2 },
        "start": rfc3339(chrono::Utc::now()),
        "items": [{ "source": "slate", "duration": 3600.0, "title": "silence" }],
    });
    std::fs::write(&playlist, json.to_string()).unwrap();
    let config = ChannelConfig::new("radio", crate::outputs_common::radio(), targets);
    ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), Arc::new(MemoryAsRun::default())).unwrap()
}

fn gone() -> Vec<OutputTarget> {
    vec![
        OutputTarget::Rtmp { url: format!("rtmp://127.0.0.1:{}/live/radio", crate::outputs_common::free_port()) },
        OutputTarget::Srt { uri: format!("srt://127.0.0.1:{}?mode=caller", crate::outputs_common::free_port()) },
    ]
}

#[test]
fn a_channel_whose_every_output_lost_its_receiver_says_it_is_off_air_and_keeps_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let channel = runner(dir.path(), gone());
    let handle = channel.handle();
    let off = wait_for(Duration::from_secs(20), || handle.status().off_air_s.is_some_and(|s| s > 1.0));
    let status = handle.status();
    assert!(off.is_some(), "not reported off air: {status:?}");
    assert_eq!(status.outputs.len(), 2);
    // A lost target may show `up` for a moment between retries (started, not yet failed).
    let retried = |o: &playout::OutputStatus| o.state == OutputState::Reconnecting || o.reconnects >= 1;
    assert!(status.outputs.iter().all(retried), "{:?}", status.outputs);
    let metrics = handle.prometheus();
    assert!(metrics.contains("kapok_playout_off_air{channel=\"radio\"} 1\n"), "{metrics}");
    let (samples, secs) = (status.samples_out, status.off_air_s.unwrap());
    std::thread::sleep(Duration::from_secs(3));
    let later = handle.status();
    assert!(later.samples_out >= samples + 2 * 48_000, "the timeline runs on: {samples} → {}", later.samples_out);
    assert!(later.off_air_s.unwrap() > secs + 1.0, "the off-air time grows: {secs} → {:?}", later.off_air_s);
    assert!(!channel.is_finished(), "reconnecting outputs do not end the channel");
    let stopped = channel.stop().map(|_| ()).unwrap_err().to_string();
    assert!(stopped.contains("every output target failed"), "{stopped}");
}

#[test]
fn one_output_up_among_lost_ones_is_not_off_air() {
    let dir = tempfile::tempdir().unwrap();
    let mut targets = gone();
    targets.push(OutputTarget::File(dir.path().join("radio.ts")));
    let channel = runner(dir.path(), targets);
    let handle = channel.handle();
    let down = wait_for(Duration::from_secs(20), || {
        handle.status().outputs.iter().filter(|o| o.state == OutputState::Reconnecting).count() == 2
    });
    assert!(down.is_some(), "{:?}", handle.status().outputs);
    std::thread::sleep(Duration::from_secs(3));
    let status = handle.status();
    assert_eq!(status.off_air_s, None, "{status:?}");
    assert!(handle.prometheus().contains("kapok_playout_off_air{channel=\"radio\"} 0\n"));
    channel.stop().unwrap();
}

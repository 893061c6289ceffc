//! A channel's fillers as `kapok serve` configures them from the catalog: a `media://`
//! filler (a house file through the media cache, fetched by the channel's prefetcher) fills
//! a scheduled item whose media is missing; the filler list changed while on air
//! (`ChannelHandle::set_fillers_and_crawl`, a channel edited through the API) takes over
//! without a restart. Frames checked by decoding the output with FFmpeg.

use std::sync::Arc;
use std::time::Duration;

use crate::channel_common::*;
use chrono::Utc;
use playout::cache::{DirFetcher, MediaCache, MediaRef};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::{OnAirPlaylist, OutputTarget};
use sha2::{Digest, Sha256};

fn items(sources: &[String]) -> Vec<playout::playlist::Item> {
    let list: Vec<_> = sources.iter().map(|s| serde_json::json!({ "source": s, "duration": 3600 })).collect();
    let doc =
        serde_json::json!({ "format": { "kind": "tv", "width": 320, "height": 180, "fps": "25/1" }, "items": list });
    OnAirPlaylist::from_json(&doc.to_string()).unwrap().items
}

#[test]
fn a_cached_media_filler_fills_missing_media_and_a_new_filler_list_takes_over_on_air() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join("p")).unwrap();
    let red = clip(&store.join("p"), "red.mp4", &["red"; 2]);
    let red = MediaRef::new("p/red.mp4", &hex::encode(Sha256::digest(std::fs::read(&red).unwrap()))).unwrap();
    let yellow = clip(dir.path(), "yellow.mp4", &["yellow"; 2]);
    // Empty at start: the channel's prefetcher fetches the filler.
    let cache =
        Arc::new(MediaCache::open(dir.path().join("cache"), 50 << 20, Arc::new(DirFetcher::new(&store))).unwrap());

    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    let missing = dir.path().join("never-uploaded.mp4");
    write_playlist(&playlist, t0, serde_json::json!([{ "source": missing, "duration": 8.0, "title": "gone" }]));
    let file = dir.path().join("air.ts");
    let mut config = ChannelConfig::new("fillers", format(), vec![OutputTarget::File(file.clone())]);
    config.poll = Duration::from_millis(200);
    config.cache = Some(cache.clone());
    config.fillers = items(&[red.to_string()]);
    let sink = Arc::new(MemoryAsRun::default());
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), sink.clone()).unwrap();
    sleep_until(t0 + chrono::Duration::milliseconds(4000));
    assert!(cache.get(&red).is_some(), "the filler's media was prefetched");
    runner.handle().set_fillers_and_crawl(items(&[yellow.display().to_string()]), None);
    sleep_until(t0 + chrono::Duration::milliseconds(8000));
    runner.stop().unwrap();

    let colours = runs(&frame_colours(&file));
    eprintln!("fillers: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    let first_red = names.iter().position(|c| *c == "red").expect("the cached filler aired");
    let first_yellow = names.iter().position(|c| *c == "yellow").expect("the new filler aired");
    assert!(first_red < first_yellow, "{colours:?}");
    assert!(!names[first_yellow..].contains(&"red"), "the old list is gone after the change: {colours:?}");
    let yellow_frames: usize = colours.iter().filter(|(c, _)| *c == "yellow").map(|(_, n)| n).sum();
    assert!(yellow_frames >= 50, "the new filler fills the rest of the item: {colours:?}");
    let recs = sink.records();
    let reasons: Vec<String> = recs.iter().filter_map(|(_, r)| r.reason.clone()).collect();
    assert!(reasons.iter().any(|r| r.contains("yellow.mp4")), "{reasons:?}");
}

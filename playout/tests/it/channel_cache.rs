//! A channel airing `media://` items from its local cache through a storage outage: what is
//! cached airs, what is not airs as slate (and the as-run says why), and media that arrives
//! once the store is back goes to air at once, joined where the schedule is.

use std::sync::Arc;
use std::time::Duration;

use crate::channel_common::*;
use chrono::Utc;
use playout::cache::{DirFetcher, MediaCache, MediaRef};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::{AsRunRecord, Outcome, OutputTarget};
use sha2::{Digest, Sha256};

fn media(path: &std::path::Path, key: &str) -> MediaRef {
    MediaRef::new(key, &hex::encode(Sha256::digest(std::fs::read(path).unwrap()))).unwrap()
}

#[test]
fn cached_media_rides_through_a_store_outage_and_missing_media_airs_as_slate_until_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join("p")).unwrap();
    let red = clip(&store.join("p"), "red.mp4", &["red"; 2]);
    let blue = clip(&store.join("p"), "blue.mp4", &["blue"; 2]);
    let (red, blue) = (media(&red, "p/red.mp4"), media(&blue, "p/blue.mp4"));

    // The node cached red earlier; then the store went down.
    let cache =
        Arc::new(MediaCache::open(dir.path().join("cache"), 50 << 20, Arc::new(DirFetcher::new(&store))).unwrap());
    assert_eq!(cache.prefetch(std::slice::from_ref(&red)).fetched, 1);
    let away = dir.path().join("store-down");
    std::fs::rename(&store, &away).unwrap();

    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(
        &playlist,
        t0,
        serde_json::json!([
            { "source": red.to_string(), "duration": 2.0, "title": "red" },
            { "source": blue.to_string(), "duration": 2.0, "title": "blue" },
            { "source": red.to_string(), "duration": 1.0, "title": "red again" },
            { "source": blue.to_string(), "duration": 1.0, "title": "blue again" },
        ]),
    );
    let file = dir.path().join("air.ts");
    let mut config = ChannelConfig::new("cached", format(), vec![OutputTarget::File(file.clone())]);
    config.poll = Duration::from_millis(200);
    config.cache = Some(cache.clone());
    let sink = Arc::new(MemoryAsRun::default());
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), sink.clone()).unwrap();

    // The store comes back half a second into blue's slot.
    sleep_until(t0 + chrono::Duration::milliseconds(2500));
    std::fs::rename(&away, &store).unwrap();
    sleep_until(t0 + chrono::Duration::milliseconds(6500));
    runner.stop().unwrap();

    let colours = runs(&frame_colours(&file));
    eprintln!("cache: {colours:?}");
    let names: Vec<&str> = colours.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, ["black", "red", "black", "blue", "red", "blue", "black"], "{colours:?}");
    assert_eq!(colours[1].1, 50, "{colours:?}");
    assert_eq!(colours[2].1 + colours[3].1, 50, "blue's slot keeps its length: {colours:?}");

    let recs: Vec<AsRunRecord> = sink.records().into_iter().map(|(_, r)| r).collect();
    let titled = |t: &str| recs.iter().filter(|r| r.title.as_deref() == Some(t)).cloned().collect::<Vec<_>>();
    assert_eq!(titled("red")[0].outcome, Outcome::Played);
    let blue = titled("blue");
    assert_eq!(blue.len(), 2, "slate, then the media once it arrived: {blue:?}");
    assert_eq!(blue[0].outcome, Outcome::Fallback);
    assert!(blue[0].reason.as_deref().unwrap().contains("not in the media cache"), "{blue:?}");
    assert_eq!(blue[1].outcome, Outcome::Played);
    assert!(blue[1].reason.as_deref().unwrap().contains("joined"), "{blue:?}");
    assert_eq!(titled("blue again")[0].outcome, Outcome::Played);
    assert!(cache.get(&blue_ref(&store)).is_some());
}

fn blue_ref(store: &std::path::Path) -> MediaRef {
    media(&store.join("p/blue.mp4"), "p/blue.mp4")
}

//! CAP feed polling against feeds served on loopback by the test: new entries' alerts are
//! taken in once (a duplicate entry and a second poll add nothing), a malformed feed and a
//! server that is down are logged and the poller goes on, and unsigned CAP from a feed that
//! requires signatures is refused — nothing stored from any of those.

use super::common;

use std::time::{Duration, Instant};

use axum::routing::get;
use kapok::desk::feed::{run_feeds, FeedSettings, Poller};

fn cap(n: u32) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now().with_timezone(&tz);
    let f = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let path = format!("{}/schedules/tests/fixtures/alerts/cap_flood_extreme_miyi.xml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .replace("2026-07-01T08:30:00+08:00", &f(now))
        .replace("2026-07-01T20:30:00+08:00", &f(now + chrono::Duration::hours(12)))
        .replace("51042141600000_20260701083000_0", &format!("51042141600000_20260701083000_{n}"))
}

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>米易县预警</title>
  <entry><id>urn:pzh:1</id><link type="application/cap+xml" href="/cap/1.xml"/></entry>
  <entry><id>urn:pzh:1-again</id><link type="application/cap+xml" href="/cap/1.xml"/></entry>
</feed>"#;

/// Serves `/feed.atom`, `/bad.atom` and `/cap/1.xml` on loopback; returns the base URL.
async fn feed_server() -> String {
    let one = cap(1);
    let app = axum::Router::new()
        .route("/feed.atom", get(|| async { FEED }))
        .route("/bad.atom", get(|| async { "<feed><entry><id>x</id>" }))
        .route("/cap/1.xml", get(move || async move { one }))
        .route("/moved.atom", get(|| async { axum::response::Redirect::temporary("/feed.atom") }))
        .route(
            "/elsewhere.atom",
            get(|| async { axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A loopback URL where nothing listens.
async fn down_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/feed.atom")
}

async fn stored(app: &common::App) -> usize {
    app.store().alerts_to_restore(chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap().len()
}

both!(a_feed_entry_is_taken_in_once_and_bad_or_missing_feeds_take_in_nothing, |app| {
    let base = feed_server().await;
    let mut poller = Poller::new(app.desk.clone(), app.store().clone(), true);
    let r = poller.poll(&format!("{base}/feed.atom")).await.unwrap();
    assert_eq!((r.new_entries, r.accepted, r.duplicates, r.refused), (2, 1, 1, 0), "{r:?}");
    assert_eq!(stored(&app).await, 1);
    let again = poller.poll(&format!("{base}/feed.atom")).await.unwrap();
    assert_eq!(again.new_entries, 0, "entries already handled are skipped");

    let err = poller.poll(&format!("{base}/bad.atom")).await.unwrap_err();
    assert!(err.contains("not well-formed"), "{err}");
    let err = poller.poll(&down_url().await).await.unwrap_err();
    assert!(!err.is_empty());
    let err = poller.poll(&format!("{base}/missing.atom")).await.unwrap_err();
    assert!(err.contains("404"), "{err}");
    assert_eq!(stored(&app).await, 1, "nothing more from bad feeds");

    // A redirect within the feed's host is followed; one to another host is not (SSRF).
    let moved = poller.poll(&format!("{base}/moved.atom")).await.unwrap();
    assert_eq!(moved.new_entries, 2, "{moved:?}");
    let err = poller.poll(&format!("{base}/elsewhere.atom")).await.unwrap_err();
    assert!(err.contains("307"), "{err}");
});

both!(unsigned_cap_from_a_feed_that_requires_signatures_is_refused, |app| {
    let base = feed_server().await;
    let mut poller = Poller::new(app.desk.clone(), app.store().clone(), false);
    let r = poller.poll(&format!("{base}/feed.atom")).await.unwrap();
    assert_eq!((r.accepted, r.refused), (0, 2), "{r:?}");
    assert_eq!(stored(&app).await, 0);
    assert!(app.desk.alerts().is_empty());
});

both!(the_poller_task_keeps_going_past_a_feed_that_is_down, |app| {
    let base = feed_server().await;
    let settings = FeedSettings {
        urls: vec![down_url().await, format!("{base}/bad.atom"), format!("{base}/feed.atom")],
        interval: Duration::from_millis(200),
        allow_unsigned: true,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_feeds(app.desk.clone(), app.store().clone(), settings, async {
        let _ = stop_rx.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    while stored(&app).await == 0 {
        assert!(Instant::now() < deadline, "the good feed's alert never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more rounds past the down and malformed feeds: still running, nothing more stored.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!task.is_finished());
    assert_eq!(stored(&app).await, 1);
    let _ = stop_tx.send(());
    task.await.unwrap();
});

//! `GET /metrics`: the Prometheus text of the channels on air in the process, through the real
//! router (as `kapok serve` answers it) and through a node's own metrics listener.

use super::common;

use std::sync::Arc;
use std::time::Duration;

use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::timeline::{AudioCodec, AudioFormat, ChannelFormat};
use playout::OutputTarget;

/// A radio channel on air into a file: silence, since its playlist names a missing file.
fn radio(dir: &std::path::Path, slug: &str) -> ChannelRunner {
    let start = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let playlist = dir.join(format!("{slug}.json"));
    let doc = serde_json::json!({ "format": { "kind": "radio" }, "start": start,
        "items": [{ "source": dir.join("missing.wav"), "duration": 60.0 }] });
    std::fs::write(&playlist, doc.to_string()).unwrap();
    let format =
        ChannelFormat { video: None, audio: AudioFormat { rate: 48_000, channels: 2 }, audio_codec: AudioCodec::Aac };
    let config = ChannelConfig::new(slug, format, vec![OutputTarget::File(dir.join(format!("{slug}.ts")))]);
    ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), Arc::new(MemoryAsRun::default())).unwrap()
}

/// The value of the sample `line_start` (metric name and labels) in `text`.
fn value(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_every_channel_on_air_without_a_token_outside_the_api() {
    let app = common::start(catalog::testing::sqlite_store().await).await;
    let empty = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(empty.status(), 200, "no channel on air is an empty exposition, not an error");
    assert_eq!(empty.text().await.unwrap(), "");

    let dir = tempfile::tempdir().unwrap();
    let (fm, am) = (radio(dir.path(), "test-fm"), radio(dir.path(), "test-am"));
    app.on_air.add("test-fm", fm.handle());
    app.on_air.add("test-am", am.handle());
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let r = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = r.text().await.unwrap();
    for slug in ["test-fm", "test-am"] {
        let samples = value(&text, &format!("kapok_playout_samples_total{{channel=\"{slug}\"}}"));
        assert!(samples.is_some_and(|s| s > 24_000.0), "{slug}: {samples:?} in\n{text}");
        assert_eq!(value(&text, &format!("kapok_playout_off_air{{channel=\"{slug}\"}}")), Some(0.0), "{text}");
    }
    assert_eq!(text.matches("# TYPE kapok_playout_samples_total counter\n").count(), 1, "{text}");
    assert!(text.lines().all(|l| l.starts_with('#') || l.starts_with("kapok_playout_")), "{text}");

    let doc: serde_json::Value =
        reqwest::get(format!("{}/api/openapi.json", app.base)).await.unwrap().json().await.unwrap();
    assert!(doc["paths"].get("/metrics").is_none(), "not part of the API");
    assert_eq!(reqwest::get(format!("{}/api/metrics", app.base)).await.unwrap().status(), 404);

    // A remote node's own listener (`kapok playout --metrics-listen`) answers the same text.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn(web::routes::metrics::serve(listener, app.state.on_air.clone(), async move {
        let _ = stopped.await;
    }));
    let r = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let node_text = r.text().await.unwrap();
    assert!(value(&node_text, "kapok_playout_samples_total{channel=\"test-fm\"}").is_some(), "{node_text}");
    let _ = stop.send(());
    node.await.unwrap().unwrap();

    app.on_air.clear();
    tokio::task::spawn_blocking(move || {
        fm.stop().unwrap();
        am.stop().unwrap();
    })
    .await
    .unwrap();
}

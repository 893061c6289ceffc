//! A hostile upload against the memory limit of the media child, through the real worker on
//! both backends: the file whose decoder asks for ~400 MB before reading a packet (an ALAC
//! header claiming 16 M samples a frame) fails with the limit as its reason, and the same
//! worker, still running, takes the next upload to `ready`. The worker's children are capped
//! at 512 MiB here (`ProcessOptions::media_memory_mib`); production limits are 1–4 GiB.

use std::time::{Duration, Instant};

use super::common;

use catalog::audit::Actor;
use catalog::programme::{Category, NewProgramme};
use catalog::user::Role;
use reqwest::Method;
use testkit::media::alac_allocating_400_mb;

async fn settled(app: &common::App, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let p: serde_json::Value = app
            .as_role(Role::Editor, Method::GET, &format!("/api/programmes/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if p["status"] == "ready" || p["status"] == "failed" {
            return p;
        }
        assert!(Instant::now() < deadline, "still {p}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

both!(a_file_that_allocates_past_the_memory_limit_fails_with_that_reason_and_the_worker_goes_on, |app| {
    let dir = tempfile::tempdir().unwrap();
    let (good, hostile) = alac_allocating_400_mb(dir.path());

    let actor = Actor::system("test");
    let submit = |file: std::path::PathBuf, title: &'static str| {
        let (store, media) = (app.state.store.clone(), app.state.media.clone());
        let actor = actor.clone();
        async move {
            let new = NewProgramme::new(common::code(common::OWN), title, Category::News);
            ingest::submit::submit_file(&store, &media, &actor, &file, &new).await.unwrap()
        }
    };
    let bad = submit(hostile, "恶意文件").await;

    let work = tempfile::tempdir().unwrap();
    let mut config = ingest::worker::WorkerConfig::new("test-worker", work.path());
    config.options.media_memory_mib = Some(512);
    let worker = ingest::worker::Worker::new(app.state.store.clone(), app.state.media.clone(), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    let p = settled(&app, &bad.id.to_string()).await;
    assert_eq!(p["status"], "failed", "{p}");
    let reason = p["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("memory limit of 512 MiB reached"), "{p}");
    assert!(!running.is_finished(), "the worker survived the child's death");

    let ok = submit(good, "正常文件").await;
    let p = settled(&app, &ok.id.to_string()).await;
    assert_eq!(p["status"], "ready", "{p}");
    let _ = stop.send(());
    running.await.unwrap();
});

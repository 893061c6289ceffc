//! Watch folders with real files, a real catalog (SQLite and PostgreSQL), a real local store
//! and a real worker: a clip with a sidecar ends ready in `done/`; an empty file, a text file
//! named `.mp4` and a bad sidecar end in `failed/` with their reasons; a watcher restarted
//! while a file's programme is still queued does not submit the file again.

use std::path::Path;
use std::time::{Duration, Instant};

use catalog::media::MediaStore;
use catalog::programme::ProgrammeStatus;
use catalog::testing::TestStore;
use ingest::watch::{WatchSettings, Watcher};
use ingest::worker::{Worker, WorkerConfig};

use crate::common;

async fn wait_for(path: &Path, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn dropped_files_are_ingested_once_stable_and_filed_by_outcome(t: TestStore) {
    let dir = common::scratch();
    let (root, media_dir, work) = (dir.path().join("watch"), dir.path().join("media"), dir.path().join("work"));
    let media = MediaStore::local(&media_dir).unwrap();
    let settings = WatchSettings { settle: Duration::from_millis(600), poll: Duration::from_millis(100) };
    let watcher = Watcher::new(&root, t.store.clone(), media.clone(), settings);
    watcher.prepare().await.unwrap();
    let centre = root.join("510421");
    assert!(centre.is_dir() && root.join("510400").is_dir(), "a folder per centre");

    let clip = common::generate(
        dir.path(),
        "mango.mp4",
        Some("testsrc2=size=320x240:rate=25:duration=1"),
        Some("sine=frequency=440:sample_rate=48000:duration=1"),
        &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"],
    );
    std::fs::write(centre.join("mango.json"), r#"{"title": "攀枝花芒果", "category": "涉农"}"#).unwrap();
    std::fs::rename(&clip, centre.join("mango.mp4")).unwrap();
    std::fs::write(centre.join("empty.mp4"), b"").unwrap();
    std::fs::write(centre.join("notes.mp4"), b"this is not a video at all").unwrap();
    std::fs::write(centre.join("bad.wav"), b"RIFF").unwrap();
    std::fs::write(centre.join("bad.wav.json"), r#"{"category": "farming"}"#).unwrap();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let worker = Worker::new(t.store.clone(), media, WorkerConfig::new("w", &work));
    let w = tokio::spawn(worker.run(until(stopped.clone())));
    let s = tokio::spawn(watcher.run(until(stopped.clone())));

    wait_for(&centre.join("done/mango.mp4"), 300).await;
    assert!(centre.join("done/mango.json").exists(), "the sidecar moves with its file");
    for name in ["empty.mp4", "notes.mp4", "bad.wav"] {
        wait_for(&centre.join(format!("failed/{name}.reason.txt")), 300).await;
        assert!(centre.join("failed").join(name).exists(), "{name} moved to failed/");
    }
    let reason = |n: &str| std::fs::read_to_string(centre.join(format!("failed/{n}.reason.txt"))).unwrap();
    assert!(reason("empty.mp4").contains("empty"), "{}", reason("empty.mp4"));
    assert!(reason("bad.wav").contains("category"), "{}", reason("bad.wav"));
    assert!(!reason("notes.mp4").trim().is_empty());
    let _ = stop.send(true);
    w.await.unwrap();
    s.await.unwrap();

    let all =
        t.store.list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let mango = all.iter().find(|p| p.title == "攀枝花芒果").expect("the sidecar's title");
    assert_eq!(mango.status, ProgrammeStatus::Ready);
    assert_eq!(all.iter().filter(|p| p.title == "攀枝花芒果").count(), 1, "ingested once");
}

mod dropped_files_are_ingested_once_stable_and_filed_by_outcome {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::dropped_files_are_ingested_once_stable_and_filed_by_outcome(catalog::testing::sqlite_store().await)
            .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::dropped_files_are_ingested_once_stable_and_filed_by_outcome(catalog::testing::postgres_store().await)
            .await;
    }
}

async fn titled(t: &TestStore, title: &str) -> Vec<catalog::programme::Programme> {
    let all =
        t.store.list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() }).await.unwrap();
    all.into_iter().filter(|p| p.title == title).collect()
}

async fn a_restarted_watcher_does_not_submit_a_waiting_file_again(t: TestStore) {
    let dir = common::scratch();
    let (root, media_dir, work) = (dir.path().join("watch"), dir.path().join("media"), dir.path().join("work"));
    let media = MediaStore::local(&media_dir).unwrap();
    let settings = WatchSettings { settle: Duration::from_millis(300), poll: Duration::from_millis(100) };
    let mut first = Watcher::new(&root, t.store.clone(), media.clone(), settings.clone());
    first.prepare().await.unwrap();
    let centre = root.join("510421");
    let clip = common::generate(
        dir.path(),
        "restart.mp4",
        Some("testsrc2=size=320x240:rate=25:duration=1"),
        Some("sine=frequency=440:sample_rate=48000:duration=1"),
        &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"],
    );
    std::fs::write(centre.join("restart.json"), r#"{"title": "重启不重复"}"#).unwrap();
    std::fs::rename(&clip, centre.join("restart.mp4")).unwrap();

    // No worker yet: the programme stays queued while the first watcher goes away.
    let deadline = Instant::now() + Duration::from_secs(60);
    while titled(&t, "重启不重复").await.is_empty() {
        assert!(Instant::now() < deadline, "the first watcher never submitted the file");
        first.scan_once(Instant::now()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(first);
    let marker = ingest::watch::marker_path(&centre.join("restart.mp4")).unwrap();
    assert!(marker.exists(), "the submission is remembered beside the file");
    assert_eq!(titled(&t, "重启不重复").await[0].status, ProgrammeStatus::Queued);

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let second = Watcher::new(&root, t.store.clone(), media.clone(), settings);
    let s = tokio::spawn(second.run(until(stopped.clone())));
    // Several settle periods with the file in place and no worker: nothing new is made.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(titled(&t, "重启不重复").await.len(), 1, "the restarted watcher made no second programme");
    let worker = Worker::new(t.store.clone(), media, WorkerConfig::new("w", &work));
    let w = tokio::spawn(worker.run(until(stopped.clone())));
    wait_for(&centre.join("done/restart.mp4"), 300).await;
    let _ = stop.send(true);
    w.await.unwrap();
    s.await.unwrap();
    let made = titled(&t, "重启不重复").await;
    assert_eq!(made.len(), 1, "ingested once");
    assert_eq!(made[0].status, ProgrammeStatus::Ready);
    assert!(!marker.exists(), "the marker goes once the file is filed");
}

mod a_restarted_watcher_does_not_submit_a_waiting_file_again {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_restarted_watcher_does_not_submit_a_waiting_file_again(catalog::testing::sqlite_store().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_restarted_watcher_does_not_submit_a_waiting_file_again(catalog::testing::postgres_store().await).await;
    }
}

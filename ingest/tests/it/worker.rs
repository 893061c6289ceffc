//! The job worker over a real catalog (SQLite and PostgreSQL) and a real local store: running an
//! ingest job again — after it completed, or after a worker died between storing the products
//! and marking the programme ready — ends in the same programme: ready, one source, one asset
//! of each kind, and every recorded digest that of the object actually stored.

use std::time::Duration;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::ids::{CentreCode, ProgrammeId};
use catalog::job::{JobStatus, NewJob};
use catalog::media::{layout, Key, MediaStore};
use catalog::programme::{Category, NewProgramme, Programme, ProgrammeStatus};
use catalog::{both_backends, Store};
use ingest::worker::{Worker, WorkerConfig, JOB_KIND};
use sha2::{Digest, Sha256};

use crate::common;

/// Submits a generated one-second clip for 米易 as `title`.
async fn submitted(store: &Store, media: &MediaStore, dir: &std::path::Path, title: &str) -> Programme {
    let clip = common::generate(
        dir,
        &format!("{title}.mp4"),
        Some("testsrc2=size=320x240:rate=25:duration=1"),
        Some("sine=frequency=440:sample_rate=48000:duration=1"),
        &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"],
    );
    let new =
        NewProgramme::new(CentreCode::parse("510421").unwrap(), title.to_string(), Category::parse("涉农").unwrap());
    ingest::submit::submit_file(store, media, &Actor::system("test"), &clip, &new).await.unwrap()
}

/// The programme's assets as sorted (kind, key), after checking that there is exactly one of
/// each kind and that each recorded digest and size are those of the stored object.
async fn checked_assets(store: &Store, media: &MediaStore, id: ProgrammeId) -> Vec<(String, String)> {
    let assets = store.list_assets(id).await.unwrap();
    let mut kinds: Vec<&str> = assets.iter().map(|a| a.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["house", "poster", "proxy", "source", "thumbnail"], "one asset of each kind");
    for a in &assets {
        let bytes = media.get(&Key::parse(a.key.clone()).unwrap()).await.unwrap().bytes().await.unwrap();
        assert_eq!(a.sha256, hex::encode(Sha256::digest(&bytes)), "{} {}: recorded digest", a.kind.as_str(), a.key);
        assert_eq!(a.size_bytes, bytes.len() as i64, "{} {}: recorded size", a.kind.as_str(), a.key);
    }
    let mut v: Vec<(String, String)> = assets.into_iter().map(|a| (a.kind.as_str().to_string(), a.key)).collect();
    v.sort();
    v
}

/// The payload of the (first) ingest job queued for `id`.
async fn job_payload(store: &Store, id: ProgrammeId) -> serde_json::Value {
    let jobs = store.list_jobs(None, 500).await.unwrap();
    let job = jobs.iter().find(|j| j.payload["programme_id"] == id.to_string()).expect("the programme's job");
    job.payload.clone()
}

async fn an_ingest_job_run_again_after_completing_leaves_the_same_ready_programme(store: Store) {
    let dir = common::scratch();
    let media = MediaStore::local(dir.path().join("media")).unwrap();
    let p = submitted(&store, &media, dir.path(), "重跑").await;
    let worker = Worker::new(store.clone(), media.clone(), WorkerConfig::new("w", dir.path().join("work")));
    assert_eq!(worker.run_one().await.unwrap().unwrap().status, ProgrammeStatus::Ready);
    let first = checked_assets(&store, &media, p.id).await;

    // The same job delivered again (an operator's retry, a duplicate enqueue).
    let again = store.enqueue(&NewJob::new(JOB_KIND, job_payload(&store, p.id).await)).await.unwrap();
    assert_eq!(worker.run_one().await.unwrap().unwrap().status, ProgrammeStatus::Ready);
    assert_eq!(store.get_job(again.id).await.unwrap().status, JobStatus::Done);
    assert_eq!(store.get_programme(p.id).await.unwrap().status, ProgrammeStatus::Ready);
    assert_eq!(checked_assets(&store, &media, p.id).await, first, "same assets, no duplicate rows");
}

async fn a_job_whose_worker_died_after_storing_products_is_finished_by_the_next_worker(store: Store) {
    let dir = common::scratch();
    let media = MediaStore::local(dir.path().join("media")).unwrap();
    let p = submitted(&store, &media, dir.path(), "中断").await;

    // A worker (another FFmpeg build, say) leased the job, stored and recorded its house file,
    // and died before marking the programme ready; its lease runs out.
    let dead = store.lease(JOB_KIND, "dead-worker", Duration::from_millis(1)).await.unwrap().unwrap();
    let actor = Actor::system("ingest");
    store.set_programme_status(&actor, p.id, ProgrammeStatus::Processing, &Default::default()).await.unwrap();
    let house = layout::programme_house(p.id).unwrap();
    let partial = media.put_stream(&house, &b"house file of the attempt that died"[..]).await.unwrap();
    let size = partial.size as i64;
    store.add_asset(p.id, AssetKind::House, house.as_str(), &partial.sha256, size).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let worker = Worker::new(store.clone(), media.clone(), WorkerConfig::new("w", dir.path().join("work")));
    let done = worker.run_one().await.unwrap().expect("the expired lease is taken over");
    assert_eq!(done.status, ProgrammeStatus::Ready);
    let job = store.get_job(dead.job.id).await.unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
    assert_eq!(store.get_programme(p.id).await.unwrap().status, ProgrammeStatus::Ready);
    checked_assets(&store, &media, p.id).await;
    assert!(worker.run_one().await.unwrap().is_none(), "nothing left to run");
}

both_backends!(an_ingest_job_run_again_after_completing_leaves_the_same_ready_programme, |store: Store| async move {
    an_ingest_job_run_again_after_completing_leaves_the_same_ready_programme(store).await;
});
both_backends!(
    a_job_whose_worker_died_after_storing_products_is_finished_by_the_next_worker,
    |store: Store| async move {
        a_job_whose_worker_died_after_storing_products_is_finished_by_the_next_worker(store).await;
    }
);

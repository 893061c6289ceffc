//! The resumable-upload engine against real catalogs (SQLite and PostgreSQL) and a real local
//! media store: segments, interruption, resumption, filing with SHA-256 and de-duplication,
//! cancellation and the sweeper.

use std::time::Duration;

use bytes::Bytes;
use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::ids::CentreCode;
use catalog::media::{layout, MediaStore};
use catalog::programme::{Category, NewProgramme, ProgrammeStatus};
use catalog::testing::TestStore;
use ingest::upload::{UploadError, UploadSettings, Uploads};
use sha2::Digest;

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn new_programme(title: &str) -> NewProgramme {
    NewProgramme::new(CentreCode::parse("510421").unwrap(), title, Category::Agriculture)
}

/// A body of `chunks`, optionally ending in an error (a dropped connection).
fn body(chunks: Vec<Vec<u8>>, fail: bool) -> impl futures::Stream<Item = Result<Bytes, String>> + Unpin + Send {
    let mut items: Vec<Result<Bytes, String>> = chunks.into_iter().map(|c| Ok(Bytes::from(c))).collect();
    if fail {
        items.push(Err("connection reset".into()));
    }
    futures::stream::iter(items)
}

async fn service(t: &TestStore, dir: &tempfile::TempDir, expiry: Duration) -> Uploads {
    service_on(t, MediaStore::local(dir.path()).unwrap(), expiry)
}

fn service_on(t: &TestStore, media: MediaStore, expiry: Duration) -> Uploads {
    let settings = UploadSettings { segment_size: 1000, expiry, max_size: 1 << 20, ..Default::default() };
    Uploads::new(t.store.clone(), media, settings)
}

async fn interrupted_upload_resumes_and_files_the_source_once(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let up = service(&t, &dir, Duration::from_secs(3600)).await;
    resumes_and_files(t, up).await;
}

/// The network deployment's parts: PostgreSQL and an S3 store (moto), segments and all.
#[tokio::test]
async fn on_postgres_and_s3_an_interrupted_upload_resumes_and_files_the_source_once() {
    let server = catalog::media::testing::S3TestServer::start().await.expect("S3 test server");
    let media = MediaStore::open(&server.config("uploads-test")).unwrap();
    let t = catalog::testing::postgres_store().await;
    let up = service_on(&t, media, Duration::from_secs(3600));
    resumes_and_files(t, up).await;
    assert_eq!(server.open_multipart_uploads(catalog::media::testing::BUCKET).await.unwrap(), 0);
}

async fn resumes_and_files(t: TestStore, up: Uploads) {
    let actor = Actor::system("test");
    let file = data(4321);
    let (programme, upload) = up.create(&actor, &new_programme("芒果"), "mango.mp4", file.len() as u64).await.unwrap();
    assert_eq!(programme.status, ProgrammeStatus::Uploading);

    // 2500 bytes arrive in odd chunks, then the connection drops: all 2500 are kept.
    let first = vec![file[..700].to_vec(), file[700..2500].to_vec()];
    let e = up.append(&actor, upload.id, 0, body(first, true)).await.unwrap_err();
    assert!(matches!(e, UploadError::Interrupted(_)), "{e}");
    assert_eq!(t.store.get_upload(upload.id).await.unwrap().received, 2500);
    let stored: Vec<String> = up
        .media
        .list(Some(&layout::upload(upload.id).unwrap()))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key.as_str().rsplit('/').next().unwrap().to_string())
        .collect();
    if up.media.local_path(&layout::upload(upload.id).unwrap()).is_some() {
        // The local store writes each byte once, in place: one data file, no segments.
        assert_eq!(stored, ["data"]);
    } else {
        assert_eq!(stored.len(), 3, "segments of 1000 bytes on S3: {stored:?}");
    }

    // A stale offset is refused and changes nothing.
    let e = up.append(&actor, upload.id, 1000, body(vec![file[1000..1200].to_vec()], false)).await.unwrap_err();
    assert!(matches!(e, UploadError::OffsetMismatch { expected: 2500, got: 1000 }), "{e}");

    let done = up.append(&actor, upload.id, 2500, body(vec![file[2500..].to_vec()], false)).await.unwrap();
    let queued = done.programme.expect("the last byte queues the programme");
    assert_eq!(queued.status, ProgrammeStatus::Queued);
    assert_eq!(done.upload.received, file.len() as i64);
    let source = t.store.list_assets(programme.id).await.unwrap().into_iter().find(|a| a.kind == AssetKind::Source);
    let source = source.expect("a source asset");
    assert_eq!(source.sha256, hex::encode(sha2::Sha256::digest(&file)));
    let stored = up.media.get(&catalog::media::Key::parse(source.key.clone()).unwrap()).await.unwrap();
    assert_eq!(stored.bytes().await.unwrap().to_vec(), file, "the source holds every byte in order");
    assert!(up.media.list(Some(&layout::upload(upload.id).unwrap())).await.unwrap().is_empty(), "segments deleted");

    // The same content again re-uses the stored source.
    let (p2, u2) = up.create(&actor, &new_programme("芒果 again"), "m.mp4", file.len() as u64).await.unwrap();
    up.append(&actor, u2.id, 0, body(vec![file.clone()], false)).await.unwrap();
    let s2 = t.store.list_assets(p2.id).await.unwrap().into_iter().find(|a| a.kind == AssetKind::Source).unwrap();
    assert_eq!(s2.key, source.key);
}

async fn bytes_past_the_length_are_refused_and_an_empty_or_huge_length_creates_nothing(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let up = service(&t, &dir, Duration::from_secs(3600)).await;
    let actor = Actor::system("test");
    let (_, upload) = up.create(&actor, &new_programme("t"), "a.wav", 10).await.unwrap();
    let e = up.append(&actor, upload.id, 0, body(vec![data(15)], false)).await.unwrap_err();
    assert!(matches!(e, UploadError::TooLong { length: 10 }), "{e}");
    let before = t
        .store
        .list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() })
        .await
        .unwrap()
        .len();
    assert!(matches!(up.create(&actor, &new_programme("t"), "a", 0).await, Err(UploadError::Empty)));
    assert!(matches!(up.create(&actor, &new_programme("t"), "a", 2 << 20).await, Err(UploadError::TooLarge { .. })));
    assert!(up.create(&actor, &new_programme(" "), "a", 5).await.is_err(), "no title");
    assert_eq!(
        t.store
            .list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() })
            .await
            .unwrap()
            .len(),
        before,
        "nothing half-made"
    );
}

async fn an_abandoned_upload_is_swept_after_its_expiry_and_a_cancelled_one_fails(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let up = service(&t, &dir, Duration::from_secs(1)).await;
    let actor = Actor::system("test");
    let (programme, upload) = up.create(&actor, &new_programme("半途"), "half.mp4", 5000).await.unwrap();
    up.append(&actor, upload.id, 0, body(vec![data(2100)], false)).await.unwrap();
    assert_eq!(up.sweep_once().await.unwrap(), 0, "not expired yet");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(up.sweep_once().await.unwrap(), 1);
    let p = t.store.get_programme(programme.id).await.unwrap();
    assert_eq!(p.status, ProgrammeStatus::Failed);
    assert!(p.reason.unwrap().contains("abandoned"));
    assert!(t.store.get_upload(upload.id).await.is_err());
    assert!(up.media.list(Some(&layout::upload(upload.id).unwrap())).await.unwrap().is_empty());

    let (p2, u2) = up.create(&actor, &new_programme("取消"), "c.mp4", 5000).await.unwrap();
    up.append(&actor, u2.id, 0, body(vec![data(100)], false)).await.unwrap();
    let cancelled = up.cancel(&actor, u2.id).await.unwrap();
    assert_eq!((cancelled.id, cancelled.status), (p2.id, ProgrammeStatus::Failed));
    assert_eq!(cancelled.reason.as_deref(), Some("upload cancelled"));
    assert!(matches!(up.append(&actor, u2.id, 100, body(vec![], false)).await, Err(UploadError::Catalog(_))));
}

/// The data file of an upload on the local store, as the store lays it out.
fn data_file(up: &Uploads, id: catalog::ids::UploadId) -> std::path::PathBuf {
    up.media.local_path(&layout::upload(id).unwrap().join("data").unwrap()).unwrap()
}

/// A request that wrote bytes but stopped before recording them (the server killed, say) leaves
/// them past the recorded offset: the next request cuts them off and the digest stays right. A
/// data file that lost recorded bytes is refused with a reason, and nothing else breaks.
async fn bytes_left_past_the_offset_are_cut_and_lost_bytes_are_refused(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let up = service(&t, &dir, Duration::from_secs(3600)).await;
    let actor = Actor::system("test");
    let file = data(3000);
    let (programme, upload) = up.create(&actor, &new_programme("断点"), "r.mp4", 3000).await.unwrap();
    up.append(&actor, upload.id, 0, body(vec![file[..1000].to_vec()], false)).await.unwrap();
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(data_file(&up, upload.id)).unwrap();
        f.write_all(&[0xee; 2500]).unwrap(); // past the end of the file: cut, or the size is wrong
    }
    let done = up.append(&actor, upload.id, 1000, body(vec![file[1000..].to_vec()], false)).await.unwrap();
    assert!(done.programme.is_some());
    let source = t.store.list_assets(programme.id).await.unwrap().into_iter().find(|a| a.kind == AssetKind::Source);
    let source = source.unwrap();
    assert_eq!(source.sha256, hex::encode(sha2::Sha256::digest(&file)));
    let stored = up.media.get(&catalog::media::Key::parse(source.key).unwrap()).await.unwrap();
    assert_eq!(stored.bytes().await.unwrap().to_vec(), file);

    let (_, lost) = up.create(&actor, &new_programme("丢失"), "l.mp4", 3000).await.unwrap();
    up.append(&actor, lost.id, 0, body(vec![data(2000)], false)).await.unwrap();
    std::fs::OpenOptions::new().write(true).open(data_file(&up, lost.id)).unwrap().set_len(500).unwrap();
    let e = up.append(&actor, lost.id, 2000, body(vec![data(1000)], false)).await.unwrap_err();
    assert!(e.to_string().contains("fewer than the 2000 recorded"), "{e}");
    assert_eq!(t.store.get_upload(lost.id).await.unwrap().received, 2000, "nothing recorded");
}

/// An upload begun before digests were kept (no digest in its row) goes on as it began: in
/// segments, joined and hashed when the last byte arrives.
async fn an_upload_begun_without_a_digest_is_finished_from_its_segments(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let up = service(&t, &dir, Duration::from_secs(3600)).await;
    let actor = Actor::system("test");
    let file = data(2500);
    let programme = t.store.create_programme(&actor, &new_programme("旧"), ProgrammeStatus::Uploading).await.unwrap();
    let upload = t
        .store
        .create_upload(&catalog::store::NewUpload {
            programme_id: programme.id,
            centre: programme.centre.clone(),
            filename: "old.mp4".into(),
            length: 2500,
            created_by: actor.as_str().to_string(),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
            digest: None,
        })
        .await
        .unwrap();
    up.append(&actor, upload.id, 0, body(vec![file[..1200].to_vec()], false)).await.unwrap();
    let names = up.media.list(Some(&layout::upload(upload.id).unwrap())).await.unwrap();
    assert_eq!(names.len(), 2, "segments, no data file: {names:?}");
    let done = up.append(&actor, upload.id, 1200, body(vec![file[1200..].to_vec()], false)).await.unwrap();
    assert!(done.programme.is_some());
    let source = t.store.list_assets(programme.id).await.unwrap().into_iter().find(|a| a.kind == AssetKind::Source);
    assert_eq!(source.unwrap().sha256, hex::encode(sha2::Sha256::digest(&file)));
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(catalog::testing::sqlite_store().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(catalog::testing::postgres_store().await).await;
            }
        }
    };
}

both!(interrupted_upload_resumes_and_files_the_source_once);
both!(bytes_past_the_length_are_refused_and_an_empty_or_huge_length_creates_nothing);
both!(an_abandoned_upload_is_swept_after_its_expiry_and_a_cancelled_one_fails);
both!(bytes_left_past_the_offset_are_cut_and_lost_bytes_are_refused);
both!(an_upload_begun_without_a_digest_is_finished_from_its_segments);

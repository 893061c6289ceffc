//! One suite of media-store behaviour, run against a local directory and a real
//! S3-compatible server (moto) on loopback, plus what differs between them: health checks,
//! leftovers of failed uploads.

// A failed expectation in a test is the test failing: say what was expected and panic.

use std::io::Write;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use catalog::media::testing::{S3TestServer, BUCKET};
use catalog::media::{layout, Key, MediaError, MediaStore, MediaStoreConfig, PutOutcome, PART_SIZE};
use futures::StreamExt;
use tokio::io::{AsyncRead, ReadBuf};

const MIB: u64 = 1024 * 1024;

/// A deterministic pseudo-random byte stream of `len` bytes, optionally failing (or
/// stalling forever) once `stop_at` bytes have been produced.
struct Generated {
    len: u64,
    produced: u64,
    state: u64,
    stop_at: Option<(u64, Stop)>,
}

#[derive(Clone, Copy)]
enum Stop {
    Fail,
    Stall,
}

impl Generated {
    fn new(len: u64, seed: u64) -> Self {
        Self { len, produced: 0, state: seed | 1, stop_at: None }
    }

    fn stopping(mut self, at: u64, how: Stop) -> Self {
        self.stop_at = Some((at, how));
        self
    }

    fn next_byte(&mut self) -> u8 {
        // xorshift64: cheap, and no two parts of the stream alike.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 24) as u8
    }
}

impl AsyncRead for Generated {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let mut limit = self.len;
        if let Some((at, how)) = self.stop_at {
            if self.produced >= at {
                return match how {
                    Stop::Fail => Poll::Ready(Err(std::io::Error::other("the source broke"))),
                    Stop::Stall => Poll::Pending,
                };
            }
            limit = limit.min(at);
        }
        let n = (limit - self.produced).min(buf.remaining() as u64).min(64 * 1024) as usize;
        let chunk: Vec<u8> = (0..n).map(|_| self.next_byte()).collect();
        buf.put_slice(&chunk);
        self.produced += n as u64;
        Poll::Ready(Ok(()))
    }
}

fn key(text: &str) -> Key {
    Key::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// SHA-256 of `data` by the system's `sha256sum`, independent of the code under test.
fn sha256sum(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils) runs");
    child.stdin.take().expect("stdin piped").write_all(data).expect("write to sha256sum");
    let out = child.wait_with_output().expect("sha256sum finishes");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_owned()
}

async fn read_all(store: &MediaStore, key: &Key) -> Vec<u8> {
    let object = store.get(key).await.expect("get");
    let mut stream = object.into_stream();
    let mut data = Vec::new();
    while let Some(chunk) = stream.next().await {
        data.extend_from_slice(&chunk.expect("chunk"));
    }
    data
}

async fn generated_bytes(len: u64, seed: u64) -> Vec<u8> {
    let mut data = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut Generated::new(len, seed), &mut data).await.expect("generate");
    data
}

/// The behaviour every backend must show.
async fn suite(store: MediaStore) {
    streamed_multipart_put_stores_every_byte_with_its_digest(&store).await;
    short_and_empty_streams_are_stored_whole(&store).await;
    ranged_reads_return_exact_bytes_and_reject_bad_ranges(&store).await;
    head_exists_and_delete_are_idempotent(&store).await;
    list_matches_whole_segments_in_key_order(&store).await;
    copy_duplicates_and_names_a_missing_source(&store).await;
    failed_puts_leave_nothing_visible_and_keep_the_old_object(&store).await;
    reader_is_an_async_read(&store).await;
    invalid_keys_never_reach_the_store();
}

async fn streamed_multipart_put_stores_every_byte_with_its_digest(store: &MediaStore) {
    let len = 20 * MIB + 5; // three parts, the last short
    let k = key("programmes/p1/source/big");
    let outcome = store.put_stream(&k, Generated::new(len, 7)).await.expect("streaming put");
    assert_eq!(outcome.size, len);
    let stored = read_all(store, &k).await;
    assert_eq!(stored.len() as u64, len);
    assert!(stored == generated_bytes(len, 7).await, "stored bytes differ");
    assert_eq!(outcome.sha256, sha256sum(&stored));
    let meta = store.head(&k).await.expect("head").expect("exists");
    assert_eq!(meta.size, len);
    store.delete(&k).await.expect("delete");
}

async fn short_and_empty_streams_are_stored_whole(store: &MediaStore) {
    let k = key("programmes/p1/thumbs/0.jpg");
    let outcome = store.put_stream(&k, &b"not really a jpeg"[..]).await.expect("put");
    assert_eq!(outcome, PutOutcome::of(b"not really a jpeg"));
    assert_eq!(read_all(store, &k).await, b"not really a jpeg");

    let empty = key("uploads/empty");
    let outcome = store.put_stream(&empty, &b""[..]).await.expect("put empty");
    assert_eq!(outcome.size, 0);
    assert_eq!(outcome.sha256, sha256sum(b""));
    assert_eq!(store.head(&empty).await.expect("head").map(|m| m.size), Some(0));

    // Exactly one part: the end is only seen on the next read.
    let exact = key("uploads/exact");
    let outcome = store.put_stream(&exact, Generated::new(PART_SIZE as u64, 3)).await.expect("put one part");
    assert_eq!(outcome.size, PART_SIZE as u64);
    assert_eq!(outcome.sha256, sha256sum(&read_all(store, &exact).await));
    for k in [k, empty, exact] {
        store.delete(&k).await.expect("delete");
    }
}

async fn ranged_reads_return_exact_bytes_and_reject_bad_ranges(store: &MediaStore) {
    let len = 9 * MIB;
    let k = key("programmes/p2/house.mp4");
    store.put_stream(&k, Generated::new(len, 11)).await.expect("put");
    let data = generated_bytes(len, 11).await;
    let across = (PART_SIZE as u64 - 100)..(PART_SIZE as u64 + 100);
    let got = store.get_range(&k, across.clone()).await.expect("range");
    assert_eq!(&got[..], &data[across.start as usize..across.end as usize]);

    let tail = store.get_range(&k, (len - 10)..(len + 1000)).await.expect("tail");
    assert_eq!(&tail[..], &data[(len - 10) as usize..], "a long range is cut at the end");

    match store.get_range(&k, len..(len + 10)).await {
        Err(MediaError::InvalidRange { size, .. }) => assert_eq!(size, Some(len)),
        other => panic!("range past the end: {other:?}"),
    }
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 10..5;
    assert!(matches!(store.get_range(&k, backwards).await, Err(MediaError::InvalidRange { .. })));
    assert!(matches!(store.get_range(&key("programmes/p2/none.mp4"), 0..10).await, Err(MediaError::NotFound { .. })));
    store.delete(&k).await.expect("delete");
}

async fn head_exists_and_delete_are_idempotent(store: &MediaStore) {
    let k = key("programmes/p3/proxy.mp4");
    assert_eq!(store.head(&k).await.expect("head"), None);
    assert!(!store.exists(&k).await.expect("exists"));
    match store.get(&k).await {
        Err(MediaError::NotFound { key }) => assert_eq!(key, k.as_str()),
        other => panic!("get of a missing key: {other:?}"),
    }
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    store.put_bytes(&k, Bytes::from_static(b"proxy")).await.expect("put");
    let meta = store.head(&k).await.expect("head").expect("present");
    assert_eq!(meta.size, 5);
    assert!(meta.last_modified > before, "{meta:?}");
    assert!(store.exists(&k).await.expect("exists"));
    store.delete(&k).await.expect("first delete");
    store.delete(&k).await.expect("second delete of the same key");
    assert!(!store.exists(&k).await.expect("exists"));
}

async fn list_matches_whole_segments_in_key_order(store: &MediaStore) {
    let keys = [
        "programmes/p4/thumbs/1.jpg",
        "programmes/p4/house.mp4",
        "programmes/p4/thumbs/0.jpg",
        "programmes/p40/house.mp4",
    ];
    for text in keys {
        store.put_bytes(&key(text), Bytes::from(text.to_owned())).await.expect("put");
    }
    let listed: Vec<(String, u64)> = store
        .list(Some(&key("programmes/p4")))
        .await
        .expect("list")
        .into_iter()
        .map(|e| (e.key.to_string(), e.meta.size))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("programmes/p4/house.mp4".to_owned(), 23),
            ("programmes/p4/thumbs/0.jpg".to_owned(), 26),
            ("programmes/p4/thumbs/1.jpg".to_owned(), 26),
        ]
    );
    let all = store.list(None).await.expect("list all");
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(store.list(Some(&key("nothing/here"))).await.expect("empty list").is_empty());
    for text in keys {
        store.delete(&key(text)).await.expect("delete");
    }
    assert!(store.list(None).await.expect("list").is_empty());
}

async fn copy_duplicates_and_names_a_missing_source(store: &MediaStore) {
    let from = key("uploads/u1");
    let to = layout::programme_source("p5", &sha256sum(b"source media")).expect("layout");
    store.put_bytes(&from, Bytes::from_static(b"source media")).await.expect("put");
    store.copy(&from, &to).await.expect("copy");
    assert_eq!(read_all(store, &to).await, b"source media");
    assert_eq!(read_all(store, &from).await, b"source media");
    match store.copy(&key("uploads/missing"), &to).await {
        Err(MediaError::NotFound { key }) => assert_eq!(key, "uploads/missing"),
        other => panic!("copy from a missing key: {other:?}"),
    }
    store.delete(&from).await.expect("delete");
    store.delete(&to).await.expect("delete");
}

async fn failed_puts_leave_nothing_visible_and_keep_the_old_object(store: &MediaStore) {
    let k = key("uploads/half");
    let broken = Generated::new(20 * MIB, 5).stopping(12 * MIB, Stop::Fail);
    match store.put_stream(&k, broken).await {
        Err(MediaError::Io { key, source }) => {
            assert_eq!(key, k.as_str());
            assert_eq!(source.to_string(), "the source broke");
        }
        other => panic!("a put whose reader fails: {other:?}"),
    }
    assert_eq!(store.head(&k).await.expect("head"), None);
    assert!(store.list(None).await.expect("list").is_empty());

    // Failing within the first part, and over an existing object.
    store.put_bytes(&k, Bytes::from_static(b"old")).await.expect("put");
    for at in [1000, 12 * MIB] {
        let broken = Generated::new(20 * MIB, 5).stopping(at, Stop::Fail);
        assert!(store.put_stream(&k, broken).await.is_err());
        assert_eq!(read_all(store, &k).await, b"old", "failed at {at}");
    }
    store.delete(&k).await.expect("delete");
}

async fn reader_is_an_async_read(store: &MediaStore) {
    let k = key("uploads/reader");
    store.put_bytes(&k, Bytes::from_static(b"read me")).await.expect("put");
    let object = store.get(&k).await.expect("get");
    assert_eq!(object.meta.size, 7);
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut object.into_reader(), &mut text).await.expect("read");
    assert_eq!(text, "read me");
    store.delete(&k).await.expect("delete");
}

fn invalid_keys_never_reach_the_store() {
    // The store takes only `Key`s, so these are stopped before any request.
    for text in ["../etc/passwd", "/abs", "a//b", "a\u{1}b", ""] {
        assert!(matches!(Key::parse(text), Err(MediaError::InvalidKey { .. })), "{text:?}");
    }
}

/// Files under `dir`, relative, sorted (including staging files the store hides).
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("under").display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn local_directory_store_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("media"); // created by open
    let url = format!("file://{}", root.display());
    let store = MediaStore::open(&MediaStoreConfig::with_url(url)).expect("open");
    store.check().await.expect("healthy");
    suite(store.clone()).await;
    assert_eq!(files_under(&root), Vec::<String>::new(), "no staging files left");

    // An object is a plain file at root/key.
    store.put_bytes(&key("programmes/p9/house.mp4"), Bytes::from_static(b"x")).await.expect("put");
    assert_eq!(files_under(&root), vec!["programmes/p9/house.mp4"]);
}

#[tokio::test]
async fn s3_store_passes_the_suite_and_leaves_no_open_uploads() {
    let server = S3TestServer::start().await.expect("S3 test server");
    let store = MediaStore::open(&server.config("suite")).expect("open");
    store.check().await.expect("healthy");
    suite(store).await;
    assert_eq!(server.open_multipart_uploads(BUCKET).await.expect("uploads"), 0);

    // Keys live under the URL's prefix inside the bucket.
    let scoped = MediaStore::open(&server.config("scoped/deeper")).expect("open");
    scoped.put_bytes(&key("uploads/u1"), Bytes::from_static(b"x")).await.expect("put");
    let root = MediaStore::open(&server.config("")).expect("open");
    let keys: Vec<String> = root.list(None).await.expect("list").into_iter().map(|e| e.key.to_string()).collect();
    assert_eq!(keys, vec!["scoped/deeper/uploads/u1"]);
}

#[tokio::test]
async fn s3_upload_dropped_mid_stream_is_aborted() {
    let server = S3TestServer::start().await.expect("S3 test server");
    let store = MediaStore::open(&server.config("cancel")).expect("open");
    let k = key("uploads/cancelled");
    let stalled = Generated::new(40 * MIB, 9).stopping(20 * MIB, Stop::Stall);
    let put = {
        let (store, k) = (store.clone(), k.clone());
        tokio::spawn(async move { store.put_stream(&k, stalled).await })
    };
    let mut open = 0;
    for _ in 0..100 {
        open = server.open_multipart_uploads(BUCKET).await.expect("uploads");
        if open > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open, 1, "the stalled put should have an open upload");
    put.abort(); // drops the put_stream future mid-upload
    assert!(put.await.is_err_and(|e| e.is_cancelled()));
    for _ in 0..50 {
        open = server.open_multipart_uploads(BUCKET).await.expect("uploads");
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(open, 0, "the dropped upload was not aborted");
    assert!(!store.exists(&k).await.expect("exists"));
}

#[tokio::test]
async fn check_fails_clearly_when_the_s3_server_is_down() {
    let mut server = S3TestServer::start().await.expect("S3 test server");
    let store = MediaStore::open(&server.config("health")).expect("open");
    store.check().await.expect("healthy while running");
    server.stop();
    let started = std::time::Instant::now();
    match store.check().await {
        Err(MediaError::Unavailable { store: name, .. }) => {
            assert!(name.contains("s3://kapok-test/health"), "{name}")
        }
        other => panic!("check against a stopped server: {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(15), "check must fail fast");
}

#[tokio::test]
async fn check_fails_clearly_when_the_bucket_is_missing() {
    let server = S3TestServer::start().await.expect("S3 test server");
    let store = MediaStore::open(&server.config_for_bucket("no-such-bucket", "")).expect("open");
    match store.check().await {
        Err(e @ MediaError::Unavailable { .. }) => {
            assert!(e.to_string().contains("bucket does not exist"), "{e}")
        }
        other => panic!("check against a missing bucket: {other:?}"),
    }
}

#[tokio::test]
async fn check_fails_when_the_local_directory_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("media");
    let store = MediaStore::local(&root).expect("open");
    store.check().await.expect("healthy");
    std::fs::remove_dir(&root).expect("remove");
    assert!(matches!(store.check().await, Err(MediaError::Unavailable { .. })));
}

#[test]
fn opening_an_unsupported_url_names_the_setting() {
    match MediaStore::open(&MediaStoreConfig::with_url("gs://bucket/x")) {
        Err(e @ MediaError::Config { .. }) => {
            let text = e.to_string();
            assert!(text.contains("`url`") && text.contains("unsupported scheme `gs`"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

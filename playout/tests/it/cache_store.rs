//! The media cache against a real directory store: LRU under the cap, checksums on insert and
//! after a restart, damaged files refetched, a store outage leaving the cache intact, and
//! concurrent fetches.

use std::path::Path;
use std::sync::Arc;

use playout::cache::{CacheError, DirFetcher, MediaCache, MediaRef};
use sha2::{Digest, Sha256};

fn put(store: &Path, key: &str, data: &[u8]) -> MediaRef {
    let path = store.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, data).unwrap();
    MediaRef::new(key, &hex::encode(Sha256::digest(data))).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn least_recently_used_media_is_evicted_under_the_cap() {
    let (store, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = put(store.path(), "c/a", &[1; 100]);
    let b = put(store.path(), "c/b", &[2; 100]);
    let c = put(store.path(), "c/c", &[3; 100]);
    let cache = MediaCache::open(dir.path(), 250, Arc::new(DirFetcher::new(store.path()))).unwrap();
    cache.fetch(&a).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    cache.fetch(&b).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(cache.get(&a).is_some(), "a used again: b is now the oldest");
    cache.fetch(&c).unwrap();
    assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
    assert!(cache.get(&b).is_none(), "b was least recently used");
    assert_eq!(cache.usage(), (200, 2));

    // Restart: the index comes back from the directory, last use included.
    drop(cache);
    let cache = MediaCache::open(dir.path(), 250, Arc::new(DirFetcher::new(store.path()))).unwrap();
    assert_eq!(cache.usage(), (200, 2));
    // Shrinking the cap on restart evicts the oldest (a was used before c was fetched).
    drop(cache);
    let cache = MediaCache::open(dir.path(), 150, Arc::new(DirFetcher::new(store.path()))).unwrap();
    assert_eq!(cache.usage(), (100, 1));
    assert!(cache.get(&c).is_some());
}

#[test]
fn wrong_data_is_refused_and_a_damaged_file_is_fetched_again() {
    let (store, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let good = put(store.path(), "a.ts", b"the real programme");
    // The catalog says one thing, the store holds another.
    let lying = MediaRef::new("a.ts", &"0".repeat(64)).unwrap();
    let cache = MediaCache::open(dir.path(), 1 << 20, Arc::new(DirFetcher::new(store.path()))).unwrap();
    assert!(matches!(cache.fetch(&lying), Err(CacheError::Checksum { .. })));
    assert!(files(dir.path()).is_empty(), "nothing kept, no temporary file left: {:?}", files(dir.path()));

    let path = cache.fetch(&good).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"the real programme");
    // Truncated on disk (a crash of some other tool, a full disk): the cheap check catches it.
    std::fs::write(&path, b"the real").unwrap();
    assert!(cache.get(&good).is_none());
    assert_eq!(std::fs::read(cache.fetch(&good).unwrap()).unwrap(), b"the real programme");

    // Same size, different bytes (bit rot) while the node was down: re-hashed at the next
    // prefetch after the restart, removed and fetched again.
    drop(cache);
    std::fs::write(&path, b"the rEal programme").unwrap();
    std::fs::write(dir.path().join(".part-999-1"), b"half a fetch").unwrap();
    let cache = MediaCache::open(dir.path(), 1 << 20, Arc::new(DirFetcher::new(store.path()))).unwrap();
    assert_eq!(files(dir.path()).len(), 1, "the partial fetch was cleared at start");
    let report = cache.prefetch(std::slice::from_ref(&good));
    assert_eq!((report.present, report.fetched), (0, 1), "{report:?}");
    assert_eq!(std::fs::read(cache.get(&good).unwrap()).unwrap(), b"the real programme");
    assert_eq!(cache.prefetch(std::slice::from_ref(&good)).present, 1);
}

#[test]
fn a_store_outage_leaves_what_is_cached_usable() {
    let (store, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = put(store.path(), "a", &[1; 1000]);
    let b = put(store.path(), "b", &[2; 1000]);
    let cache = MediaCache::open(dir.path(), 1 << 20, Arc::new(DirFetcher::new(store.path().join("up")))).unwrap();
    // Nothing reachable yet.
    let report = cache.prefetch(std::slice::from_ref(&a));
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].1.contains("unavailable"), "{report:?}");

    let cache = MediaCache::open(dir.path(), 1 << 20, Arc::new(DirFetcher::new(store.path()))).unwrap();
    assert_eq!(cache.prefetch(std::slice::from_ref(&a)).fetched, 1);
    // The store goes away: b cannot come, a stays.
    let gone = store.path().with_extension("gone");
    std::fs::rename(store.path(), &gone).unwrap();
    let report = cache.prefetch(&[a.clone(), b.clone()]);
    assert_eq!((report.present, report.fetched, report.failed.len()), (1, 0, 1), "{report:?}");
    assert!(cache.get(&a).is_some());
    assert!(matches!(cache.fetch(&b), Err(CacheError::Fetch(_))));
    assert_eq!(files(dir.path()).len(), 1);
    std::fs::rename(&gone, store.path()).unwrap();
    assert!(cache.fetch(&b).is_ok());
}

#[test]
fn prefetch_never_evicts_what_is_needed_sooner() {
    let (store, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let refs: Vec<MediaRef> = (0..4u8).map(|i| put(store.path(), &format!("m{i}"), &[i; 100])).collect();
    let cache = MediaCache::open(dir.path(), 250, Arc::new(DirFetcher::new(store.path()))).unwrap();
    let report = cache.prefetch(&refs);
    assert_eq!(report.fetched, 2);
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert!(cache.get(&refs[0]).is_some() && cache.get(&refs[1]).is_some());
    assert!(matches!(cache.fetch(&put(store.path(), "big", &[9; 300])), Err(CacheError::Full(_))));
}

#[test]
fn concurrent_fetches_agree() {
    let (store, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let refs: Vec<MediaRef> = (0..6u8).map(|i| put(store.path(), &format!("m{i}"), &vec![i; 50_000])).collect();
    let cache = Arc::new(MediaCache::open(dir.path(), 1 << 20, Arc::new(DirFetcher::new(store.path()))).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (cache, refs) = (cache.clone(), refs.clone());
            std::thread::spawn(move || {
                for r in refs.iter().cycle().skip(t).take(6) {
                    let path = cache.fetch(r).unwrap();
                    assert_eq!(std::fs::metadata(path).unwrap().len(), 50_000);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(cache.usage(), (300_000, 6));
    assert_eq!(files(dir.path()).len(), 6);
}

//! The cache directory: files named `<sha256>_<size>`, written to a temporary name and
//! renamed when verified (a crash never leaves a partial file under a real name), the index
//! rebuilt from the directory at start, last use kept in the file's modification time.

use std::collections::{HashMap, HashSet};
use std::fs::{File, FileTimes};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{CacheError, Fetcher, MediaRef};

const TEMP_PREFIX: &str = ".part-";

#[derive(Debug, Clone, Copy)]
struct Meta {
    size: u64,
    used: SystemTime,
    /// Hashed since this process opened the cache (files found at start are not, until the
    /// next prefetch re-hashes them).
    verified: bool,
}

/// A size-capped, checksum-verified local copy of stored media. Safe to share between
/// threads (`Arc<MediaCache>`).
pub struct MediaCache {
    dir: PathBuf,
    cap: u64,
    fetcher: Arc<dyn Fetcher>,
    index: Mutex<HashMap<String, Meta>>,
    temp: AtomicU64,
}

/// What a [`MediaCache::prefetch`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefetchReport {
    /// Already cached and intact.
    pub present: usize,
    /// Fetched now.
    pub fetched: usize,
    /// Could not be fetched, as (key, reason): the store is down, the data was wrong, or the
    /// cache is too small for the window.
    pub failed: Vec<(String, String)>,
}

impl MediaCache {
    /// Opens (creating) the cache in `dir`, capped at `cap_bytes`, fetching through `fetcher`.
    /// The index is rebuilt from the files; leftovers of interrupted fetches and files whose
    /// size does not match their name are removed.
    ///
    /// # Errors
    /// [`CacheError::Io`] when the directory cannot be created or read.
    pub fn open(dir: impl Into<PathBuf>, cap_bytes: u64, fetcher: Arc<dyn Fetcher>) -> Result<MediaCache, CacheError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let mut index = HashMap::new();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            match parse_name(&name) {
                Some((sha, size)) if meta.is_file() && meta.len() == size => {
                    let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    index.insert(sha, Meta { size, used, verified: false });
                }
                _ if meta.is_file() => {
                    tracing::warn!(file = %path.display(), "removing a partial or unknown file from the media cache");
                    std::fs::remove_file(&path)?;
                }
                _ => {}
            }
        }
        let cache = MediaCache { dir, cap: cap_bytes, fetcher, index: Mutex::new(index), temp: AtomicU64::new(0) };
        {
            let mut index = cache.lock();
            cache.make_room(&mut index, 0, &HashSet::new());
        }
        Ok(cache)
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes and files held.
    pub fn usage(&self) -> (u64, usize) {
        let index = self.lock();
        (index.values().map(|m| m.size).sum(), index.len())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Meta>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is safe to reuse.
        self.index.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn path_of(&self, sha: &str, size: u64) -> PathBuf {
        self.dir.join(format!("{sha}_{size}"))
    }

    /// The local file of `media` when it is cached and intact (its size checked: cheap), and
    /// marks it used. A damaged file is removed, so the next fetch replaces it.
    pub fn get(&self, media: &MediaRef) -> Option<PathBuf> {
        let mut index = self.lock();
        let meta = *index.get(media.sha256())?;
        let path = self.path_of(media.sha256(), meta.size);
        let intact = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == meta.size);
        if !intact {
            tracing::warn!(key = media.key(), "cached media damaged or gone: removed, will be fetched again");
            index.remove(media.sha256());
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let now = SystemTime::now();
        index.insert(media.sha256().to_owned(), Meta { used: now, ..meta });
        if let Ok(f) = File::options().write(true).open(&path) {
            let _ = f.set_times(FileTimes::new().set_modified(now));
        }
        Some(path)
    }

    /// The local file of `media`, fetching and verifying it first when it is not cached.
    ///
    /// # Errors
    /// [`CacheError::Fetch`] (store down, not found), [`CacheError::Checksum`] (wrong data,
    /// discarded), [`CacheError::Full`], [`CacheError::Io`]. The cache is unchanged by a failure.
    pub fn fetch(&self, media: &MediaRef) -> Result<PathBuf, CacheError> {
        self.fetch_protecting(media, &HashSet::new())
    }

    fn fetch_protecting(&self, media: &MediaRef, protect: &HashSet<String>) -> Result<PathBuf, CacheError> {
        if let Some(path) = self.get(media) {
            return Ok(path);
        }
        let n = self.temp.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!("{TEMP_PREFIX}{}-{n}", std::process::id()));
        let result = self.download(media, &temp, protect);
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    fn download(&self, media: &MediaRef, temp: &Path, protect: &HashSet<String>) -> Result<PathBuf, CacheError> {
        let mut writer = Hashing { inner: BufWriter::new(File::create(temp)?), hasher: Sha256::new(), bytes: 0 };
        self.fetcher.fetch(media.key(), &mut writer)?;
        let Hashing { inner, hasher, bytes } = writer;
        let file = inner.into_inner().map_err(|e| CacheError::Io(e.into_error()))?;
        file.sync_all()?;
        drop(file);
        let got = hex::encode(hasher.finalize());
        if got != media.sha256() {
            return Err(CacheError::Checksum { key: media.key().to_owned(), expected: media.sha256().to_owned(), got });
        }
        if bytes > self.cap {
            return Err(CacheError::Full(format!("{} is {bytes} bytes, more than the whole cache", media.key())));
        }
        let mut index = self.lock();
        if !self.make_room(&mut index, bytes, protect) {
            return Err(CacheError::Full(format!("{} does not fit without evicting media needed sooner", media.key())));
        }
        let path = self.path_of(media.sha256(), bytes);
        std::fs::rename(temp, &path)?;
        index.insert(media.sha256().to_owned(), Meta { size: bytes, used: SystemTime::now(), verified: true });
        // One line a file is detail: the prefetch that asked for it reports the batch.
        tracing::debug!(key = media.key(), bytes, "media cached");
        Ok(path)
    }

    /// Evicts least recently used files (never those in `protect`) until `incoming` more bytes
    /// fit under the cap; false when that is impossible.
    fn make_room(&self, index: &mut HashMap<String, Meta>, incoming: u64, protect: &HashSet<String>) -> bool {
        let mut total: u64 = index.values().map(|m| m.size).sum();
        while total + incoming > self.cap {
            let victim = index
                .iter()
                .filter(|(sha, _)| !protect.contains(*sha))
                .min_by_key(|(_, m)| m.used)
                .map(|(sha, m)| (sha.clone(), *m));
            let Some((sha, meta)) = victim else { return false };
            let _ = std::fs::remove_file(self.path_of(&sha, meta.size));
            index.remove(&sha);
            total -= meta.size;
            tracing::info!(sha256 = %sha, bytes = meta.size, "evicted from the media cache");
        }
        true
    }

    /// Re-hashes the cached file of `media` in full; a file whose content changed on disk is
    /// removed (the next fetch replaces it). False when it is not (or no longer) cached.
    pub fn verify(&self, media: &MediaRef) -> bool {
        let Some(path) = self.get(media) else { return false };
        let good = File::open(&path)
            .and_then(|mut f| {
                let mut hasher = Sha256::new();
                std::io::copy(&mut f, &mut hasher)?;
                Ok(hex::encode(hasher.finalize()) == media.sha256())
            })
            .unwrap_or(false);
        let mut index = self.lock();
        if good {
            if let Some(meta) = index.get_mut(media.sha256()) {
                meta.verified = true;
            }
        } else {
            tracing::warn!(key = media.key(), "cached media corrupt: removed, will be fetched again");
            index.remove(media.sha256());
            let _ = std::fs::remove_file(&path);
        }
        good
    }

    fn is_verified(&self, media: &MediaRef) -> bool {
        self.lock().get(media.sha256()).is_some_and(|m| m.verified)
    }

    /// Makes sure `media` (the next hours, soonest first) is cached: fetches what is missing,
    /// re-hashes files found on disk at start, never evicts media of this list for later
    /// media of it. Failures are reported, not
    /// fatal: what is cached stays cached.
    pub fn prefetch(&self, media: &[MediaRef]) -> PrefetchReport {
        let mut report = PrefetchReport::default();
        let mut protect = HashSet::new();
        let mut full = false;
        for m in media {
            if protect.contains(m.sha256()) {
                continue;
            }
            let intact = self.get(m).is_some() && (self.is_verified(m) || self.verify(m));
            if intact {
                report.present += 1;
            } else if full {
                report.failed.push((m.key().to_owned(), "cache full".to_owned()));
                continue;
            } else {
                match self.fetch_protecting(m, &protect) {
                    Ok(_) => report.fetched += 1,
                    Err(e) => {
                        full = matches!(e, CacheError::Full(_));
                        report.failed.push((m.key().to_owned(), e.to_string()));
                        continue;
                    }
                }
            }
            protect.insert(m.sha256().to_owned());
        }
        report
    }
}

fn parse_name(name: &str) -> Option<(String, u64)> {
    let (sha, size) = name.split_once('_')?;
    let valid = sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    valid.then_some(())?;
    Some((sha.to_owned(), size.parse().ok()?))
}

/// Hashes and counts what passes through.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

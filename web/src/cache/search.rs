//! A short-lived cache of search answers. Ranking every match of a common word (芒果 in
//! 100,000 programmes matches about 12,000) costs tens of milliseconds; popular searches repeat,
//! so their answers are kept for a few seconds. Entries are per visibility scope (what one
//! centre may see differs from another), dropped after the TTL, and all dropped at once when
//! a programme changes: the cache follows the catalog's change signal
//! ([`catalog::ProgrammeChanges`]), which every programme write through the store moves —
//! the API's and the ingest worker's alike — and [`SearchCache::invalidate`] drops them too.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Entries kept at most; when full the cache is emptied (cheap and good enough for a hot set).
const MAX_ENTRIES: usize = 4096;

#[derive(Debug)]
struct Entry {
    at: Instant,
    generation: u64,
    body: Bytes,
}

/// Cached search answers (serialized JSON), keyed by scope and query.
#[derive(Debug)]
pub struct SearchCache {
    ttl: Duration,
    generation: AtomicU64,
    /// The catalog's programme change counter, added to `generation`.
    changes: Option<catalog::ProgrammeChanges>,
    entries: Mutex<HashMap<String, Entry>>,
    /// One gate per key being computed, so a burst of the same search runs the query once
    /// (the others wait for its answer) instead of stampeding the database.
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl SearchCache {
    /// A cache keeping answers for `ttl` (zero: caching off).
    pub fn new(ttl: Duration) -> Self {
        Self::build(ttl, None)
    }

    /// A cache keeping answers for `ttl` and none across a change `changes` reports.
    pub fn following(ttl: Duration, changes: catalog::ProgrammeChanges) -> Self {
        Self::build(ttl, Some(changes))
    }

    fn build(ttl: Duration, changes: Option<catalog::ProgrammeChanges>) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            changes,
            entries: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// The cached answer for `key`, or the one `compute` makes (given the generation it runs
    /// under), computed once however many callers ask at the same moment.
    ///
    /// # Errors
    /// Whatever `compute` fails with (failures are not cached).
    pub async fn get_or_compute<E, Fut>(&self, key: &str, compute: impl FnOnce() -> Fut) -> Result<Bytes, E>
    where
        Fut: Future<Output = Result<Bytes, E>>,
    {
        if let Some(b) = self.get(key, Instant::now()) {
            return Ok(b);
        }
        if self.ttl.is_zero() {
            return compute().await;
        }
        let gate = {
            let mut m = self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            m.entry(key.to_string()).or_default().clone()
        };
        // While one caller refreshes an expired answer, the others get the stale one (of the
        // current generation only) rather than queueing behind the query.
        let _turn = match gate.try_lock() {
            Ok(turn) => turn,
            Err(_) => match self.get_stale(key) {
                Some(b) => return Ok(b),
                None => gate.lock().await,
            },
        };
        if let Some(b) = self.get(key, Instant::now()) {
            return Ok(b);
        }
        let generation = self.generation();
        let result = compute().await;
        if let Ok(b) = &result {
            self.put(key.to_string(), generation, b.clone(), Instant::now());
        }
        self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
        result
    }

    /// The cached answer for `key`, if fresh.
    pub fn get(&self, key: &str, now: Instant) -> Option<Bytes> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|e| e.generation == generation && now.saturating_duration_since(e.at) < self.ttl)
            .map(|e| e.body.clone())
    }

    /// The answer for `key` of the current generation, however old.
    fn get_stale(&self, key: &str) -> Option<Bytes> {
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|e| e.generation == generation).map(|e| e.body.clone())
    }

    /// Keeps `body` as the answer for `key`, computed under `generation` (read before the query,
    /// so a change that raced the query is not masked).
    pub fn put(&self, key: String, generation: u64, body: Bytes, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { at: now, generation, body });
    }

    /// The current generation, to pass to [`SearchCache::put`].
    pub fn generation(&self) -> u64 {
        // Both counters only grow, so their sum moves whenever either does.
        let catalog = self.changes.as_ref().map_or(0, catalog::ProgrammeChanges::current);
        self.generation.load(Ordering::Acquire).wrapping_add(catalog)
    }

    /// Forgets every answer (a programme changed).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_the_same_search_computes_once() {
        let c = Arc::new(SearchCache::new(Duration::from_secs(5)));
        let runs = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (c, runs) = (c.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_compute::<(), _>("k", || async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(Bytes::from_static(b"x"))
                })
                .await
                .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Bytes::from_static(b"x"));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn answers_expire_and_are_dropped_by_a_change() {
        let c = SearchCache::new(Duration::from_secs(5));
        let t0 = Instant::now();
        let g = c.generation();
        c.put("k".into(), g, Bytes::from_static(b"[]"), t0);
        assert!(c.get("k", t0 + Duration::from_secs(4)).is_some());
        assert!(c.get("k", t0 + Duration::from_secs(5)).is_none(), "expired");
        c.put("k".into(), g, Bytes::from_static(b"[]"), t0);
        c.invalidate();
        assert!(c.get("k", t0).is_none(), "a change drops it");
        // An answer computed before a change is never served after it.
        c.put("k".into(), g, Bytes::from_static(b"[]"), t0);
        assert!(c.get("k", t0).is_none());
        let off = SearchCache::new(Duration::ZERO);
        off.put("k".into(), 0, Bytes::new(), t0);
        assert!(off.get("k", t0).is_none());
    }
}

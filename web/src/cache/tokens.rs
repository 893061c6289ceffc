//! Recent API-token look-ups, so a machine calling many times a second (a playout node, a
//! dashboard, a load generator) costs one catalog query per second instead of one per request.
//!
//! What is kept is the stored token and its user, never a verdict: expiry and revocation are
//! checked on every request against the kept row. An entry lives [`TOKEN_CACHE_TTL`] at most,
//! and every entry is dropped at once when a token is revoked through this process's store
//! ([`catalog::Store::credential_changes`]). A revocation made by another node (or by the CLI)
//! therefore takes effect here within the TTL. Unknown tokens are not kept: a flood of made-up
//! secrets cannot fill the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use catalog::user::ApiToken;

/// How long a looked-up token is trusted without asking the catalog again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);

/// Entries kept at most; when full the cache is emptied.
const MAX_ENTRIES: usize = 4096;

/// A stored token, its user's name and whether that user is disabled.
pub type FoundToken = (ApiToken, String, bool);

#[derive(Debug)]
struct Inner {
    /// The credential change count the entries were read under.
    generation: u64,
    entries: HashMap<String, (Instant, FoundToken)>,
}

/// Token rows by digest, for at most the TTL.
#[derive(Debug)]
pub struct TokenCache {
    ttl: Duration,
    changes: catalog::ProgrammeChanges,
    inner: Mutex<Inner>,
}

impl TokenCache {
    /// A cache keeping rows for `ttl` (zero: off) and none across a change `changes` reports.
    pub fn following(ttl: Duration, changes: catalog::ProgrammeChanges) -> Self {
        let generation = changes.current();
        Self { ttl, changes, inner: Mutex::new(Inner { generation, entries: HashMap::new() }) }
    }

    /// The kept row for `digest`, if it is younger than the TTL and no token changed since.
    pub fn get(&self, digest: &str, now: Instant) -> Option<FoundToken> {
        let mut inner = self.lock();
        let current = self.changes.current();
        if inner.generation != current {
            inner.entries.clear();
            inner.generation = current;
            return None;
        }
        match inner.entries.get(digest) {
            Some((at, found)) if now.duration_since(*at) < self.ttl => Some(found.clone()),
            _ => None,
        }
    }

    /// Keeps `found`, read from the catalog under credential change count `generation` (taken
    /// before the read, so a revocation racing with it is not papered over).
    pub fn put(&self, digest: &str, found: FoundToken, generation: u64, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if generation != inner.generation || generation != self.changes.current() {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(digest.to_string(), (now, found));
    }

    /// The credential change count now (pass it to [`TokenCache::put`]).
    pub fn generation(&self) -> u64 {
        self.changes.current()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::ids::{CentreCode, TokenId, UserId};
    use catalog::user::Role;

    fn found(name: &str) -> FoundToken {
        let token = ApiToken {
            id: TokenId::new(),
            user_id: UserId::new(),
            name: name.into(),
            token_hash: "h".into(),
            role: Role::Viewer,
            centre: CentreCode::parse("510421").unwrap(),
            created_at: chrono::Utc::now(),
            expires_at: None,
            revoked_at: None,
        };
        (token, "viewer".into(), false)
    }

    #[test]
    fn a_row_is_kept_for_the_ttl_and_not_after() {
        let cache = TokenCache::following(Duration::from_secs(1), catalog::ProgrammeChanges::default());
        let t0 = Instant::now();
        assert!(cache.get("d", t0).is_none());
        cache.put("d", found("a"), cache.generation(), t0);
        assert_eq!(cache.get("d", t0 + Duration::from_millis(900)).unwrap().0.name, "a");
        assert!(cache.get("d", t0 + Duration::from_millis(1000)).is_none());
        assert!(cache.get("other", t0).is_none());
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = TokenCache::following(Duration::ZERO, catalog::ProgrammeChanges::default());
        let t0 = Instant::now();
        cache.put("d", found("a"), cache.generation(), t0);
        assert!(cache.get("d", t0).is_none());
    }

    #[test]
    fn a_row_read_under_an_older_generation_is_not_kept() {
        let cache = TokenCache::following(Duration::from_secs(1), catalog::ProgrammeChanges::default());
        let t0 = Instant::now();
        cache.put("d", found("a"), cache.generation() + 1, t0);
        assert!(cache.get("d", t0).is_none());
    }

    #[test]
    fn a_full_cache_starts_again_instead_of_growing() {
        let cache = TokenCache::following(Duration::from_secs(1), catalog::ProgrammeChanges::default());
        let t0 = Instant::now();
        for i in 0..=MAX_ENTRIES {
            cache.put(&format!("d{i}"), found("a"), cache.generation(), t0);
        }
        assert!(cache.lock().entries.len() <= MAX_ENTRIES);
        assert!(cache.get(&format!("d{MAX_ENTRIES}"), t0).is_some());
    }
}

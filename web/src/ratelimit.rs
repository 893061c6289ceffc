//! Login rate limiting with exponential backoff, per username and per client address, in
//! memory. After [`FREE_FAILURES`] failed logins a key is locked for 1 s, then 2 s, 4 s, …
//! up to [`MAX_LOCK`]; a successful login clears the username's record. Time is passed in, so
//! the rules are tested without sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Records idle this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Entries kept at most (older ones are dropped first when full), so a flood of made-up
/// usernames cannot exhaust memory.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// The lock after `failures` failed attempts, if any.
pub fn lock_for(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let secs = 1u64.checked_shl(over.min(20)).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_LOCK))
}

/// Failure counts per key (`user:NAME`, `ip:ADDR`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    records: Mutex<HashMap<String, Record>>,
}

impl LoginLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the caller must still wait before trying any of `keys`, if locked.
    pub fn retry_after(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter()
            .filter_map(|k| records.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Records a failed login against every key.
    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if records.len() >= MAX_ENTRIES {
            records.retain(|_, r| now.saturating_duration_since(r.last) < FORGET_AFTER);
            if records.len() >= MAX_ENTRIES {
                records.clear();
            }
        }
        for k in keys {
            let r = records.entry(k.clone()).or_insert(Record { failures: 0, locked_until: None, last: now });
            if now.saturating_duration_since(r.last) >= FORGET_AFTER {
                r.failures = 0;
            }
            r.failures = r.failures.saturating_add(1);
            r.last = now;
            r.locked_until = lock_for(r.failures).map(|d| now + d);
        }
    }

    /// Clears the record of `key` after a successful login.
    pub fn succeeded(&self, key: &str) {
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        records.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_the_lock_doubles_up_to_fifteen_minutes() {
        let locks: Vec<Option<u64>> = (1..=8).map(|n| lock_for(n).map(|d| d.as_secs())).collect();
        assert_eq!(locks, vec![None, None, None, None, Some(1), Some(2), Some(4), Some(8)]);
        assert_eq!(lock_for(u32::MAX), Some(MAX_LOCK));
    }

    #[test]
    fn a_locked_key_waits_and_success_clears_the_username() {
        let l = LoginLimiter::new();
        let t0 = Instant::now();
        let keys = vec!["user:a".to_string(), "ip:1.2.3.4".to_string()];
        for _ in 0..5 {
            assert_eq!(l.retry_after(&keys, t0), None);
            l.failed(&keys, t0);
        }
        assert_eq!(l.retry_after(&keys, t0), Some(Duration::from_secs(1)));
        assert_eq!(l.retry_after(&keys, t0 + Duration::from_secs(2)), None);
        // Another username from the same address is still held back by the address.
        assert!(l.retry_after(&["user:b".into(), "ip:1.2.3.4".into()], t0).is_some());
        l.succeeded("user:a");
        assert!(l.retry_after(&["user:a".into()], t0).is_none());
    }
}

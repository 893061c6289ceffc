//! Login rate limiting with exponential backoff, per username and per client address, in
//! memory. After [`FREE_FAILURES`] failed logins for a username (or [`FREE_FAILURES_PER_IP`]
//! from one address, which may be a whole office behind NAT) the key is locked for 5 s, then
//! 10 s, 20 s, … up to [`MAX_LOCK`]; a successful login clears the username's record. Time is passed in, so
//! the rules are tested without sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed for a username before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// Failures allowed from one client address before the first lock.
pub const FREE_FAILURES_PER_IP: u32 = 20;
/// The first lock.
pub const FIRST_LOCK: Duration = Duration::from_secs(5);
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

/// The lock after `failures` failed attempts when `free` are allowed, if any.
pub fn lock_for(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    let factor = 1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX);
    Some(FIRST_LOCK.saturating_mul(factor).min(MAX_LOCK))
}

fn free_for(key: &str) -> u32 {
    if key.starts_with("ip:") {
        FREE_FAILURES_PER_IP
    } else {
        FREE_FAILURES
    }
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
            r.locked_until = lock_for(r.failures, free_for(k)).map(|d| now + d);
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
        let locks: Vec<Option<u64>> = (1..=8).map(|n| lock_for(n, 5).map(|d| d.as_secs())).collect();
        assert_eq!(locks, vec![None, None, None, None, Some(5), Some(10), Some(20), Some(40)]);
        assert_eq!(lock_for(u32::MAX, 5), Some(MAX_LOCK));
        assert_eq!(lock_for(19, FREE_FAILURES_PER_IP), None);
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
        assert_eq!(l.retry_after(&keys, t0), Some(FIRST_LOCK));
        assert_eq!(l.retry_after(&keys, t0 + Duration::from_secs(6)), None);
        // The address is not locked yet: another username from it may still try.
        assert!(l.retry_after(&["user:b".into(), "ip:1.2.3.4".into()], t0).is_none());
        for i in 0..15 {
            l.failed(&[format!("user:n{i}"), "ip:1.2.3.4".into()], t0);
        }
        assert!(l.retry_after(&["user:b".into(), "ip:1.2.3.4".into()], t0).is_some(), "20 failures lock the address");
        l.succeeded("user:a");
        assert!(l.retry_after(&["user:a".into()], t0).is_none());
    }
}

//! Login rate limiting, in memory, per username and per client address.
//!
//! An attempt is **reserved** before its password is checked ([`LoginLimiter::reserve`]), and
//! the reservation counts as a failure until the check says otherwise: attempts in flight count
//! against the limit, so sending 40 at once gets no more than the limit checked (it gave 39×401
//! and 1×200 against a limit of 5, since each was checked, then verified, then recorded).
//!
//! - **Per username**: [`FREE_FAILURES`] failures (or attempts in flight), then a lock of 5 s,
//!   10 s, 20 s, … up to [`MAX_LOCK`]; a successful login clears it.
//! - **Per address**: an address may be a whole county behind one NAT, where emergency
//!   operators sign in, so it is never locked. After [`FREE_FAILURES_PER_IP`] failures its
//!   attempts are *spaced*: one every [`IP_SPACING`], each waiting its turn (up to
//!   [`IP_MAX_WAIT`]; beyond that 429 with the wait). A success does not clear an address.
//!   Addresses of trusted networks (setting `login_trusted_networks`) are not limited per
//!   address at all.
//!
//! Time is passed in, so the rules are tested without sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures allowed for a username before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// Failures allowed from one client address before its attempts are spaced.
pub const FREE_FAILURES_PER_IP: u32 = 20;
/// The first lock.
pub const FIRST_LOCK: Duration = Duration::from_secs(5);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// The spacing of attempts from an address past its free failures.
pub const IP_SPACING: Duration = Duration::from_secs(1);
/// The longest an attempt waits for its turn; a later turn is answered 429.
pub const IP_MAX_WAIT: Duration = Duration::from_secs(5);
/// Records idle this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Entries kept at most (older ones are dropped first when full), so a flood of made-up
/// usernames cannot exhaust memory.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    /// Attempts reserved and not yet answered.
    pending: u32,
    locked_until: Option<Instant>,
    /// Per address: the next free turn once attempts are spaced.
    next_turn: Option<Instant>,
    last: Instant,
}

impl Record {
    fn new(now: Instant) -> Self {
        Record { failures: 0, pending: 0, locked_until: None, next_turn: None, last: now }
    }
}

/// The lock after `failures` failed attempts when `free` are allowed, if any.
pub fn lock_for(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    let factor = 1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX);
    Some(FIRST_LOCK.saturating_mul(factor).min(MAX_LOCK))
}

/// Failure counts per key (`user:NAME`, `ip:ADDR`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    records: Mutex<HashMap<String, Record>>,
    /// Networks whose addresses are not limited per address (a county's NAT of operators).
    trusted: Vec<Network>,
}

/// An IP network, `10.1.0.0/16` or `fd00::/8` (a bare address is the one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `ADDR/PREFIX` or `ADDR`.
    ///
    /// # Errors
    /// What is wrong with `text`.
    pub fn parse(text: &str) -> Result<Network, String> {
        let text = text.trim();
        let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
        let addr: std::net::IpAddr = addr.parse().map_err(|_| format!("{text:?} is not an IP network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{text:?}: bad prefix length"))?
        };
        Ok(Network { addr, prefix })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let bits = |a: std::net::IpAddr| match a {
            std::net::IpAddr::V4(v) => (u128::from(u32::from(v)), 32u32),
            std::net::IpAddr::V6(v) => (u128::from(v), 128u32),
        };
        let ((net, width), (ip, ip_width)) = (bits(self.addr), bits(ip));
        if width != ip_width {
            return false;
        }
        let host_bits = width - u32::from(self.prefix);
        host_bits >= width || (net >> host_bits) == (ip >> host_bits)
    }
}

/// A reserved attempt. Resolve it with [`Attempt::succeeded`]; dropped unresolved (a wrong
/// password, an error, a cancelled request) it counts as a failure.
#[derive(Debug)]
pub struct Attempt {
    limiter: Arc<LoginLimiter>,
    user: String,
    ip: Option<String>,
    /// How long to wait for the address's turn before checking the password.
    pub wait: Duration,
    done: bool,
}

impl Attempt {
    /// The password was right: the username's record is cleared.
    pub fn succeeded(mut self) {
        self.done = true;
        let mut records = self.limiter.lock();
        records.remove(&self.user);
        if let Some(ip) = &self.ip {
            if let Some(r) = records.get_mut(ip) {
                r.pending = r.pending.saturating_sub(1);
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let now = Instant::now();
        let mut records = self.limiter.lock();
        for (key, free) in [(Some(&self.user), FREE_FAILURES), (self.ip.as_ref(), FREE_FAILURES_PER_IP)] {
            let Some(r) = key.and_then(|k| records.get_mut(k)) else { continue };
            r.pending = r.pending.saturating_sub(1);
            r.failures = r.failures.saturating_add(1);
            r.last = now;
            if free == FREE_FAILURES {
                r.locked_until = lock_for(r.failures, free).map(|d| now + d);
            }
        }
    }
}

impl LoginLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A limiter that does not limit addresses of `trusted` networks per address (setting
    /// `login_trusted_networks`); their usernames stay limited.
    pub fn trusting(trusted: Vec<Network>) -> Self {
        Self { trusted, ..Self::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves an attempt for `username` from `ip` (`None` when the address is unknown), or
    /// says how long to wait before trying again. The reservation counts until resolved.
    ///
    /// # Errors
    /// The time until the username is free again, or the address's next turn beyond
    /// [`IP_MAX_WAIT`].
    pub fn reserve(self: &Arc<Self>, username: &str, ip: Option<&str>, now: Instant) -> Result<Attempt, Duration> {
        let user = format!("user:{}", username.trim().to_lowercase());
        let trusted = |a: &str| a.parse().is_ok_and(|ip| self.trusted.iter().any(|n| n.contains(ip)));
        let ip = ip.filter(|a| !trusted(a)).map(|a| format!("ip:{a}"));
        let mut records = self.lock();
        if records.len() >= MAX_ENTRIES {
            records.retain(|_, r| r.pending > 0 || now.saturating_duration_since(r.last) < FORGET_AFTER);
        }
        let fresh = |r: &mut Record| {
            if r.pending == 0 && now.saturating_duration_since(r.last) >= FORGET_AFTER {
                *r = Record::new(now);
            }
        };
        let u = records.entry(user.clone()).or_insert_with(|| Record::new(now));
        fresh(u);
        if let Some(until) = u.locked_until.filter(|t| *t > now) {
            return Err(until - now);
        }
        if u.failures.saturating_add(u.pending) >= FREE_FAILURES {
            // Attempts in flight would, if wrong, reach the lock: wait for their answers.
            return Err(
                lock_for(u.failures.saturating_add(u.pending).saturating_add(1), FREE_FAILURES).unwrap_or(FIRST_LOCK)
            );
        }
        let mut wait = Duration::ZERO;
        if let Some(key) = &ip {
            let a = records.entry(key.clone()).or_insert_with(|| Record::new(now));
            fresh(a);
            if a.failures.saturating_add(a.pending) >= FREE_FAILURES_PER_IP {
                let turn = a.next_turn.filter(|t| *t > now).unwrap_or(now);
                wait = turn - now;
                if wait > IP_MAX_WAIT {
                    return Err(wait);
                }
                a.next_turn = Some(turn + IP_SPACING);
            }
            a.pending += 1;
            a.last = now;
        }
        let u = records.entry(user.clone()).or_insert_with(|| Record::new(now));
        u.pending += 1;
        u.last = now;
        Ok(Attempt { limiter: self.clone(), user, ip, wait, done: false })
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
    }

    #[test]
    fn a_trusted_network_is_not_limited_per_address_but_its_usernames_are() {
        let nets = vec![Network::parse("10.20.0.0/16").unwrap(), Network::parse("fd00::/8").unwrap()];
        assert!(nets[0].contains("10.20.3.4".parse().unwrap()) && !nets[0].contains("10.21.0.1".parse().unwrap()));
        assert!(nets[1].contains("fd12::1".parse().unwrap()) && !nets[1].contains("10.20.3.4".parse().unwrap()));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(Network::parse("10.0.0.0/33").is_err() && Network::parse("county").is_err());
        let l = Arc::new(LoginLimiter::trusting(nets));
        let t0 = Instant::now();
        for i in 0..100 {
            let a = l.reserve(&format!("u{i}"), Some("10.20.3.4"), t0).unwrap();
            assert_eq!(a.wait, Duration::ZERO, "attempt {i} from a trusted network was slowed");
        }
        for _ in 0..FREE_FAILURES {
            drop(l.reserve("same", Some("10.20.3.4"), t0).unwrap());
        }
        assert!(l.reserve("same", Some("10.20.3.4"), Instant::now()).is_err(), "the username is still limited");
    }

    #[test]
    fn attempts_in_flight_count_so_a_burst_gets_no_more_than_the_limit() {
        let l = Arc::new(LoginLimiter::new());
        let now = Instant::now();
        let held: Vec<_> = (0..40).filter_map(|_| l.reserve("a", Some("1.2.3.4"), now).ok()).collect();
        assert_eq!(held.len(), FREE_FAILURES as usize, "only the limit is checked at once");
        drop(held); // all wrong
        assert!(l.reserve("A ", None, Instant::now()).is_err(), "locked after five failures");
    }

    #[test]
    fn a_success_clears_the_username_and_an_address_is_spaced_never_locked() {
        let l = Arc::new(LoginLimiter::new());
        let t0 = Instant::now();
        l.reserve("a", Some("ip"), t0).unwrap().succeeded();
        for i in 0..FREE_FAILURES_PER_IP {
            let a = l.reserve(&format!("n{i}"), Some("ip"), t0).unwrap();
            assert_eq!(a.wait, Duration::ZERO);
        }
        // Past the free failures (20 wrong ones in flight), attempts from the address wait their turn…
        let waits: Vec<_> = (0..6).map(|i| l.reserve(&format!("m{i}"), Some("ip"), t0).map(|a| a.wait)).collect();
        assert_eq!(waits[0], Ok(Duration::ZERO));
        assert_eq!(waits[5], Ok(Duration::from_secs(5)));
        // …and past the longest wait are told when to come back: never a 15-minute lock.
        let later = l.reserve("m9", Some("ip"), t0).unwrap_err();
        assert!(later <= Duration::from_secs(6), "{later:?}");
        // Another address is not slowed at all.
        assert_eq!(l.reserve("b", Some("other"), t0).unwrap().wait, Duration::ZERO);
    }
}

//! The clock the engine paces its pushes by: virtual (as fast as the CPU allows) or the
//! system clock (real time). The engine code is the same for both.

use std::time::{Duration, Instant};

use crate::timeline::MediaTime;

/// Paces the engine's output along the channel timeline.
pub trait PlayoutClock: Send {
    /// Blocks until the channel may emit the buffer at timeline time `at`.
    fn wait_until(&mut self, at: MediaTime);
    /// True when outputs run in real time (live sources and syncing sinks).
    fn is_live(&self) -> bool;
    /// How long [`PlayoutClock::wait_until`] would block for `at` now (zero: not at all), so
    /// the engine can wait on its commands meanwhile instead.
    fn remaining(&self, _at: MediaTime) -> Duration {
        Duration::ZERO
    }
}

/// No waiting: render as fast as possible (tests, `kapok playout render`).
#[derive(Debug, Default, Clone, Copy)]
pub struct VirtualClock;

impl PlayoutClock for VirtualClock {
    fn wait_until(&mut self, _at: MediaTime) {}
    fn is_live(&self) -> bool {
        false
    }
}

/// Real time: timeline zero is the first call; each push waits until its wall time less a
/// small lead (so encoders and sinks have the buffer before it is due).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    anchor: Option<Instant>,
    lead: Duration,
}

impl SystemClock {
    /// A system clock that releases buffers `lead` ahead of their due time.
    pub fn new(lead: Duration) -> Self {
        SystemClock { anchor: None, lead }
    }

    /// A system clock whose timeline zero is `zero` (not the first push): a channel that joins
    /// its schedule at `zero` stays locked to it however long its first input takes to open.
    pub fn anchored(zero: Instant, lead: Duration) -> Self {
        SystemClock { anchor: Some(zero), lead }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new(Duration::from_millis(100))
    }
}

impl PlayoutClock for SystemClock {
    fn wait_until(&mut self, at: MediaTime) {
        let anchor = *self.anchor.get_or_insert_with(Instant::now);
        let due = anchor + Duration::from_nanos(at.unsigned_nanos());
        let wait = due.saturating_duration_since(Instant::now() + self.lead);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
    fn is_live(&self) -> bool {
        true
    }
    fn remaining(&self, at: MediaTime) -> Duration {
        self.anchor.map_or(Duration::ZERO, |anchor| {
            (anchor + Duration::from_nanos(at.unsigned_nanos())).saturating_duration_since(Instant::now() + self.lead)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_paces_to_wall_time_and_virtual_does_not() {
        let mut clock = SystemClock::new(Duration::ZERO);
        let t0 = Instant::now();
        clock.wait_until(MediaTime::ZERO);
        clock.wait_until(MediaTime::from_nanos(60_000_000));
        assert!(t0.elapsed() >= Duration::from_millis(60));
        let left = clock.remaining(MediaTime::from_nanos(1_000_000_000));
        assert!(left > Duration::from_millis(800) && left <= Duration::from_millis(940), "{left:?}");
        assert_eq!(clock.remaining(MediaTime::ZERO), Duration::ZERO);
        let mut v = VirtualClock;
        let t1 = Instant::now();
        v.wait_until(MediaTime::from_nanos(3_600_000_000_000));
        assert!(t1.elapsed() < Duration::from_secs(1));
        assert!(clock.is_live() && !v.is_live());
    }
}

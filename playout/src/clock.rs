//! The clocks of playout: the one the engine paces its pushes by — virtual (as fast as the
//! CPU allows) or the system's monotonic clock (real time), the engine code the same for both —
//! and the wall clock a channel places its schedule by ([`WallClock`]), injected so that a
//! test can step it the way NTP or an operator's `date -s` steps the system's.
//!
//! Pacing follows the monotonic clock, which never steps; the wall clock is compared with it
//! ([`StepDetector`]) so that a step of the wall clock re-anchors the channel (see
//! `channel::runner`), while a slew (NTP's gradual correction, ≤ 0.5 ms/s) is not followed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::timeline::{ChannelFormat, MediaTime};

/// The wall clock (UTC) a channel's schedule is placed by.
pub trait WallClock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemWall;

impl WallClock for SystemWall {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system's wall clock plus an offset that [`SteppedWall::step`] changes at once: a wall
/// clock step without root (tests; a drill of an NTP step on a running channel).
#[derive(Debug, Default)]
pub struct SteppedWall {
    offset_ns: AtomicI64,
}

impl SteppedWall {
    /// Steps the clock by `by` (negative: back).
    pub fn step(&self, by: chrono::Duration) {
        self.offset_ns.fetch_add(by.num_nanoseconds().unwrap_or_default(), Ordering::SeqCst);
    }
}

impl WallClock for SteppedWall {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::nanoseconds(self.offset_ns.load(Ordering::SeqCst))
    }
}

/// Tells a step of the wall clock from a slew by comparing it with the monotonic clock at
/// each observation: a change of their difference by more than `threshold` between two
/// observations (taken every few milliseconds) is a step; slow drift never is.
#[derive(Debug, Clone, Copy)]
pub struct StepDetector {
    threshold: chrono::Duration,
    last: Option<chrono::Duration>,
}

impl StepDetector {
    /// A detector reporting steps larger than `threshold` (a channel uses one frame).
    pub fn new(threshold: chrono::Duration) -> Self {
        StepDetector { threshold, last: None }
    }

    /// Observes the wall clock at `wall` when the monotonic clock has run `monotonic` since
    /// some fixed instant; returns the step since the last observation, if there was one.
    pub fn observe(&mut self, wall: DateTime<Utc>, monotonic: Duration) -> Option<chrono::Duration> {
        let offset = wall - DateTime::<Utc>::UNIX_EPOCH - chrono::Duration::from_std(monotonic).ok()?;
        let step = self.last.map(|last| offset - last).filter(|d| d.abs() > self.threshold);
        self.last = Some(offset);
        step
    }
}

/// The first frame boundary at or after `t` on a grid anchored at the Unix epoch (radio:
/// 20 ms steps). Two nodes that anchor their timelines here emit the same frames at the same
/// wall-clock times (to the accuracy of their clocks): frame-locked.
pub fn frame_grid_ceil(t: DateTime<Utc>, format: &ChannelFormat) -> DateTime<Utc> {
    const NS: i128 = 1_000_000_000;
    let (num, den) = match format.video {
        Some(v) => (i128::from(v.fps.num()), i128::from(v.fps.den())),
        None => (50, 1),
    };
    let ns = i128::from(t.timestamp()) * NS + i128::from(t.timestamp_subsec_nanos());
    let frame = (ns * num + den * NS - 1).div_euclid(den * NS);
    let at = (frame * den * NS + num - 1).div_euclid(num);
    let (secs, sub) = (at.div_euclid(NS), at.rem_euclid(NS));
    i64::try_from(secs)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, u32::try_from(sub).unwrap_or_default()))
        .unwrap_or(t)
}

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

    #[test]
    fn a_step_is_reported_once_and_a_slew_never() {
        let t0 = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().with_timezone(&Utc);
        let mut d = StepDetector::new(chrono::Duration::milliseconds(40));
        let ms = Duration::from_millis;
        assert_eq!(d.observe(t0, ms(0)), None);
        // 0.5 ms/s of slew for 100 s, observed every 10 ms: never a step.
        for i in 1..=10_000u64 {
            let wall = t0 + chrono::Duration::microseconds((i * 10_000 + i * 5) as i64);
            assert_eq!(d.observe(wall, ms(i * 10)), None, "at {i}");
        }
        let base = t0 + chrono::Duration::microseconds(100_050_000);
        let later = d.observe(base + chrono::Duration::seconds(10) + chrono::Duration::milliseconds(10), ms(100_010));
        assert_eq!(later, Some(chrono::Duration::seconds(10)));
        let back = d.observe(base + chrono::Duration::milliseconds(20), ms(100_020));
        assert_eq!(back.map(|b| b.num_milliseconds()), Some(-10_000));
        let stepped = SteppedWall::default();
        stepped.step(chrono::Duration::seconds(-10));
        assert!((Utc::now() - stepped.now() - chrono::Duration::seconds(10)).abs() < chrono::Duration::seconds(1));
    }

    #[test]
    fn the_frame_grid_is_the_same_for_every_node() {
        let f = |fps: &str| ChannelFormat {
            video: Some(crate::timeline::VideoFormat { width: 320, height: 180, fps: fps.parse().unwrap() }),
            audio: crate::timeline::AudioFormat { rate: 48_000, channels: 2 },
            audio_codec: crate::timeline::AudioCodec::Aac,
        };
        let t = DateTime::parse_from_rfc3339("2026-12-06T10:00:00.013Z").unwrap().with_timezone(&Utc);
        assert_eq!(frame_grid_ceil(t, &f("25/1")).timestamp_subsec_millis(), 40);
        let on = DateTime::parse_from_rfc3339("2026-12-06T10:00:00.040Z").unwrap().with_timezone(&Utc);
        assert_eq!(frame_grid_ceil(on, &f("25/1")), on);
        let ntsc = frame_grid_ceil(t, &f("30000/1001"));
        assert!(ntsc >= t && ntsc - t < chrono::Duration::milliseconds(34));
        assert_eq!(frame_grid_ceil(ntsc, &f("30000/1001")), ntsc);
    }
}

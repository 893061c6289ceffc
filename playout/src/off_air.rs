//! "Off air": every output target of a channel is down (reconnecting or failed), so nothing
//! leaves the machine although the engine keeps its timeline. Pure bookkeeping over the
//! targets' states and a monotonic time: since when the channel has been off air, and when
//! the next alarm (an error log line) is due — at once, then every [`ALARM_EVERY`].

use std::time::Duration;

use crate::status::{OutputState, OutputStatus};

/// How often an off-air channel logs its alarm again.
pub const ALARM_EVERY: Duration = Duration::from_secs(60);

/// How long an output must stay up before an off-air channel counts as back on air: a
/// network target whose receiver is gone can start again (`up`) and fail a moment later, so
/// one `up` sample between failures is not a return.
pub const BACK_AFTER: Duration = Duration::from_secs(5);

/// True when the channel has outputs and none of them is up.
pub fn all_down(outputs: &[OutputStatus]) -> bool {
    !outputs.is_empty() && outputs.iter().all(|o| o.state != OutputState::Up)
}

/// Since when a channel has been off air.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OffAirClock {
    since: Option<Duration>,
    up_since: Option<Duration>,
}

impl OffAirClock {
    /// Notes whether every output is down at `now`; returns how long the channel has been
    /// off air, or `None` when it is on air (some output up, and up for [`BACK_AFTER`] if
    /// the channel was off air).
    pub fn observe(&mut self, down: bool, now: Duration) -> Option<Duration> {
        if down {
            self.up_since = None;
            let since = *self.since.get_or_insert(now);
            return Some(now.saturating_sub(since));
        }
        let since = self.since?;
        let up_since = *self.up_since.get_or_insert(now);
        if now.saturating_sub(up_since) >= BACK_AFTER {
            *self = OffAirClock::default();
            return None;
        }
        Some(now.saturating_sub(since))
    }
}

/// When an off-air channel logs its alarm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OffAirAlarm {
    last: Option<Duration>,
}

impl OffAirAlarm {
    /// True when the alarm is due at `now` for a channel off air (`off_air`): the first time,
    /// then once every [`ALARM_EVERY`]; back on air resets it (and returns false).
    pub fn due(&mut self, off_air: bool, now: Duration) -> bool {
        if !off_air {
            self.last = None;
            return false;
        }
        match self.last {
            Some(last) if now.saturating_sub(last) < ALARM_EVERY => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(state: OutputState) -> OutputStatus {
        OutputStatus { target: "t".into(), state, ..OutputStatus::default() }
    }

    #[test]
    fn off_air_means_every_output_down_and_no_outputs_is_not_off_air() {
        use OutputState::{Failed, Reconnecting, Up};
        assert!(all_down(&[out(Reconnecting), out(Failed)]));
        assert!(!all_down(&[out(Reconnecting), out(Up)]));
        assert!(!all_down(&[]));
    }

    #[test]
    fn the_off_air_time_counts_from_the_first_down_observation_and_resets_on_return() {
        let s = Duration::from_secs;
        let mut c = OffAirClock::default();
        assert_eq!(c.observe(false, s(1)), None);
        assert_eq!(c.observe(true, s(10)), Some(s(0)));
        assert_eq!(c.observe(true, s(75)), Some(s(65)));
        assert_eq!(c.observe(false, s(76)), Some(s(66)), "up for a moment is not back yet");
        assert_eq!(c.observe(true, s(78)), Some(s(68)), "a flapping output does not reset the outage");
        assert_eq!(c.observe(false, s(80)), Some(s(70)));
        assert_eq!(c.observe(false, s(84)), Some(s(74)));
        assert_eq!(c.observe(false, s(85)), None, "up for 5 s: back on air");
        assert_eq!(c.observe(true, s(90)), Some(s(0)), "a new outage counts afresh");
    }

    #[test]
    fn the_alarm_fires_at_once_then_every_minute_and_rearms_after_return() {
        let s = Duration::from_secs;
        let mut a = OffAirAlarm::default();
        let fired: Vec<u64> = (0..=130).filter(|&t| a.due(true, s(t))).collect();
        assert_eq!(fired, [0, 60, 120]);
        assert!(!a.due(false, s(131)));
        assert!(a.due(true, s(132)), "a new outage alarms at once");
    }
}

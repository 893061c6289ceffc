//! Quota measurement over a playlist (shared by the generator and the validator).

use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeLookup;
use crate::channel::Channel;
use crate::playlist::{ItemKind, PlaylistItem, Source};
use crate::template::{Quota, QuotaMin};
use crate::time::{DayClock, Frames, MediaTime};

/// How far a quota is met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// Quota name.
    pub name: String,
    /// Airtime the quota asks for.
    pub required: Frames,
    /// Matching airtime inside the window.
    pub achieved: Frames,
}

impl QuotaStatus {
    /// True when achieved ≥ required.
    pub fn met(&self) -> bool {
        self.achieved >= self.required
    }
}

/// The quota window on the day's frame grid, as one or two ranges (a window may wrap past
/// the day start, e.g. 05:00-07:00 on a day starting at 06:00). `from == until` is the whole day.
pub fn window(q: &Quota, clock: &DayClock) -> Vec<(Frames, Frames)> {
    let len = clock.length();
    let from = clock.frame_of(q.from);
    let until = clock.frame_of(q.until);
    if until > from {
        vec![(from, until)]
    } else if until == Frames::ZERO {
        vec![(from, len)]
    } else {
        vec![(from, len), (Frames::ZERO, until)]
    }
    .into_iter()
    .filter(|(a, b)| b > a)
    .collect()
}

/// Frames of `[start, end)` inside the window ranges.
pub fn overlap(ranges: &[(Frames, Frames)], start: Frames, end: Frames) -> Frames {
    ranges.iter().map(|&(a, b)| Frames((end.min(b) - start.max(a)).0.max(0))).fold(Frames::ZERO, |x, y| x + y)
}

/// Airtime the quota requires.
pub fn required(q: &Quota, clock: &DayClock) -> Frames {
    match q.min {
        QuotaMin::Minutes(m) => clock.rate.frames_ceil(MediaTime::from_secs(i64::from(m) * 60)),
        QuotaMin::PercentOfAirtime(p) => {
            let total: i64 = window(q, clock).iter().map(|(a, b)| (*b - *a).0).sum();
            Frames((total * i64::from(p) + 99) / 100)
        }
    }
}

/// True when an item counts towards the quota.
pub fn counts(q: &Quota, item: &PlaylistItem, channel: &Channel, lookup: &impl ProgrammeLookup) -> bool {
    match (&item.source, item.kind) {
        (_, ItemKind::Slate) => false,
        (Source::Programme { id }, _) => lookup.by_id(id).is_some_and(|p| q.filter.matches(p, channel)),
        _ => q.filter.matches_category(&item.category) && !q.filter.has_secondary(),
    }
}

/// Measures a quota over playlist items.
pub fn status(
    q: &Quota,
    items: &[PlaylistItem],
    clock: &DayClock,
    channel: &Channel,
    lookup: &impl ProgrammeLookup,
) -> QuotaStatus {
    let ranges = window(q, clock);
    let achieved = items
        .iter()
        .filter(|it| counts(q, it, channel, lookup))
        .map(|it| overlap(&ranges, it.start, it.end()))
        .fold(Frames::ZERO, |a, b| a + b);
    QuotaStatus { name: q.name.clone(), required: required(q, clock), achieved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::tests::channel;
    use crate::template::Filter;
    use crate::time::TimeOfDay;
    use chrono::NaiveDate;

    fn quota(from: &str, until: &str, min: QuotaMin) -> Quota {
        Quota {
            name: "q".into(),
            filter: Filter { categories: vec!["涉农".into()], ..Filter::default() },
            from: TimeOfDay::parse(from).unwrap(),
            until: TimeOfDay::parse(until).unwrap(),
            min,
        }
    }

    #[test]
    fn windows_wrap_around_the_day_start() {
        let clock = channel().day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let h = 25 * 3600;
        assert_eq!(window(&quota("06:00", "22:00", QuotaMin::Minutes(30)), &clock), vec![(Frames(0), Frames(16 * h))]);
        assert_eq!(
            window(&quota("05:00", "07:00", QuotaMin::Minutes(30)), &clock),
            vec![(Frames(23 * h), Frames(24 * h)), (Frames(0), Frames(h))]
        );
        assert_eq!(required(&quota("06:00", "22:00", QuotaMin::PercentOfAirtime(10)), &clock), Frames(16 * h / 10));
        assert_eq!(window(&quota("06:00", "06:00", QuotaMin::Minutes(1)), &clock), vec![(Frames(0), Frames(24 * h))]);
        assert_eq!(overlap(&[(Frames(10), Frames(20))], Frames(15), Frames(30)), Frames(5));
    }
}

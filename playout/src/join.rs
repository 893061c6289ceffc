//! Joining a wall-clock playlist at "now": a channel that starts (or restarts) at 08:20 on an
//! 08:00 playlist must air what is scheduled at 08:20, from where it is at 08:20 — and a
//! playlist that starts in the future is preceded by slate until its start.
//!
//! Pure: a playlist in, a playlist out, whose timeline zero is `now`.

use chrono::{DateTime, FixedOffset};

use crate::playlist::{ItemKind, OnAirPlaylist};
use crate::timeline::{plan, MediaTime, PlanItems, SegmentKind};

/// Joining an on-air playlist at a wall-clock time.
pub trait JoinAt {
    /// This playlist as seen from wall-clock `now`: items already over are dropped, the item
    /// on air is shortened and (for a file) its in-point moved on, and timeline zero becomes
    /// `now`. A playlist that starts after `now` gets a hard start at its origin, so slate fills
    /// until then. A playlist without wall-clock times is returned unchanged; one that is over
    /// gives `None`.
    fn joined_at(&self, now: DateTime<FixedOffset>) -> Option<OnAirPlaylist>;
}

impl JoinAt for OnAirPlaylist {
    /// This playlist as seen from wall-clock `now`: items already over are dropped, the item
    /// on air is shortened and (for a file) its in-point moved on, and timeline zero becomes
    /// `now`. A playlist that starts after `now` gets a hard start at its origin, so slate fills
    /// until then. A playlist without wall-clock times is returned unchanged; one that is over
    /// gives `None`.
    fn joined_at(&self, now: DateTime<FixedOffset>) -> Option<OnAirPlaylist> {
        let Some(origin) = self.origin else { return Some(self.clone()) };
        let elapsed_ns = (now - origin).num_nanoseconds().unwrap_or(i64::MAX);
        let mut joined = self.clone();
        joined.origin = Some(now);
        if elapsed_ns <= 0 {
            if let Some(first) = joined.items.first_mut() {
                if first.start.is_none() {
                    first.start = Some(origin);
                    first.hard = true;
                }
            }
        } else {
            let elapsed = MediaTime::from_nanos(elapsed_ns);
            let segments = plan(&self.format, &self.plan_items());
            let current = segments.iter().find(|s| s.end.time > elapsed).map(|s| (s.kind, s.start.time, s.end.time));
            joined.items = match current {
                None => Vec::new(),
                Some((SegmentKind::Gap, ..)) => {
                    let next =
                        segments.iter().position(|s| s.end.time > elapsed && matches!(s.kind, SegmentKind::Item(_)));
                    let first_item = next.and_then(|k| match segments[k].kind {
                        SegmentKind::Item(i) => Some(i),
                        SegmentKind::Gap => None,
                    });
                    first_item.map(|i| self.items[i..].to_vec()).unwrap_or_default()
                }
                Some((SegmentKind::Item(i), start, end)) => {
                    let mut items = self.items[i..].to_vec();
                    let into = elapsed.sub_or_zero(start);
                    let current = &mut items[0];
                    if current.kind == ItemKind::File {
                        current.in_point = current.in_point.saturating_add(into);
                    }
                    current.duration = end.sub_or_zero(elapsed);
                    current.start = None;
                    current.hard = false;
                    items
                }
            };
        }
        for item in &mut joined.items {
            item.offset =
                item.start.and_then(|s| (s - now).num_nanoseconds()).filter(|ns| *ns >= 0).map(MediaTime::from_nanos);
        }
        (!joined.items.is_empty()).then_some(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn day() -> OnAirPlaylist {
        OnAirPlaylist::from_json(
            r#"{"format":{"kind":"tv","width":320,"height":180,"fps":"25/1"},
                "start":"2026-11-26T08:00:00+08:00","items":[
                {"source":"a.mp4","duration":600,"in":10},
                {"source":"b.mp4","duration":600},
                {"source":"c.mp4","duration":60,"start":"2026-11-26T08:30:00+08:00","hard":true}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn joining_mid_item_moves_its_in_point_and_keeps_later_hard_starts() {
        let j = day().joined_at(at("2026-11-26T08:12:30+08:00")).unwrap();
        assert_eq!(j.items.len(), 2);
        assert_eq!(j.items[0].source.to_string(), "b.mp4");
        assert_eq!(j.items[0].in_point, MediaTime::from_nanos(150_000_000_000));
        assert_eq!(j.items[0].duration, MediaTime::from_nanos(450_000_000_000));
        // c still starts at 08:30: 17.5 min from now, after a gap.
        assert_eq!(j.items[1].offset, Some(MediaTime::from_nanos(1_050_000_000_000)));
        let segs = plan(&j.format, &j.plan_items());
        assert_eq!(segs[1].kind, SegmentKind::Gap);
        assert_eq!(segs[2].start.frame, 1_050 * 25);
    }

    #[test]
    fn joining_in_a_gap_starts_with_slate_until_the_next_hard_item() {
        let j = day().joined_at(at("2026-11-26T08:25:00+08:00")).unwrap();
        assert_eq!(j.items.len(), 1);
        assert_eq!(j.items[0].source.to_string(), "c.mp4");
        assert_eq!(j.items[0].offset, Some(MediaTime::from_nanos(300_000_000_000)));
    }

    #[test]
    fn joining_before_the_start_waits_for_it_and_after_the_end_airs_nothing() {
        let j = day().joined_at(at("2026-11-26T07:59:00+08:00")).unwrap();
        assert_eq!(j.items.len(), 3);
        assert!(j.items[0].hard);
        assert_eq!(j.items[0].offset, Some(MediaTime::from_nanos(60_000_000_000)));
        assert_eq!(j.items[0].in_point, MediaTime::from_nanos(10_000_000_000));
        assert_eq!(day().joined_at(at("2026-11-26T09:00:00+08:00")), None);
    }

    #[test]
    fn a_playlist_without_wall_clock_is_unchanged() {
        let p = OnAirPlaylist::from_json(r#"{"format":{"kind":"radio"},"items":[{"source":"a.wav","duration":5}]}"#)
            .unwrap();
        assert_eq!(p.joined_at(at("2026-11-26T09:00:00+08:00")), Some(p));
    }
}

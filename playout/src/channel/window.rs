//! The schedule a channel holds, in wall-clock terms, and how it is joined at "now".
//!
//! Pure: published playlists in, one merged wall-clock playlist out; its agenda (what airs
//! when) for detecting changes; the playlist to run from a given instant. No GStreamer.

use chrono::{DateTime, Utc};

use crate::join::JoinAt;
use crate::playlist::{Item, OnAirPlaylist};
use crate::timeline::PlanItems;
use crate::timeline::{plan, ChannelFormat, MediaTime, SegmentKind};

/// One item of the merged schedule with its planned wall-clock slot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) item: Item,
}

/// How the first item of a run was joined: its scheduled start and how far in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Joined {
    pub(crate) scheduled: DateTime<Utc>,
    pub(crate) into: chrono::Duration,
}

fn origin(p: &OnAirPlaylist) -> Option<DateTime<Utc>> {
    p.origin.map(|o| o.with_timezone(&Utc))
}

/// Wall-clock end of `p`'s last item (its origin when it has no wall-clock time).
pub(crate) fn end_of(p: &OnAirPlaylist) -> Option<DateTime<Utc>> {
    let start = origin(p)?;
    let last = plan(&p.format, &p.plan_items()).last().map(|s| s.end.time).unwrap_or_default();
    Some(start + last.to_chrono())
}

/// True when `p` airs something between `from` and `until`.
pub(crate) fn overlaps(p: &OnAirPlaylist, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    match (origin(p), end_of(p)) {
        (Some(start), Some(end)) => start < until && end > from,
        _ => false,
    }
}

/// One playlist of every published playlist of `format`, in start order. Each playlist's
/// first item starts hard at its playlist's start, so a day begins on time whatever the day
/// before did. Playlists of another picture or sound format (the output cannot change) are
/// left out and reported; the audio codec is the output's own, whatever a playlist says.
pub(crate) fn merge(format: &ChannelFormat, mut playlists: Vec<OnAirPlaylist>) -> (Option<OnAirPlaylist>, Vec<String>) {
    let mut problems = Vec::new();
    playlists.retain(|p| {
        let keep = p.format.same_raw(format) && p.origin.is_some();
        if !keep {
            problems.push(format!(
                "playlist {:?} left out: {}",
                p.title.as_deref().unwrap_or("untitled"),
                if p.origin.is_none() { "no wall-clock start" } else { "not the channel's format" }
            ));
        }
        keep
    });
    playlists.sort_by_key(|p| p.origin);
    let Some(first) = playlists.first() else { return (None, problems) };
    let zero = first.origin;
    let mut items = Vec::new();
    for p in &playlists {
        for (k, item) in p.items.iter().enumerate() {
            let mut item = item.clone();
            if k == 0 {
                // A playlist starts at its time: slate before it, the day before cut by it.
                item.start = item.start.or(p.origin);
                item.hard = true;
            }
            items.push(item);
        }
    }
    for item in &mut items {
        item.offset = match (item.start, zero) {
            (Some(s), Some(z)) => (s - z).num_nanoseconds().filter(|ns| *ns >= 0).map(MediaTime::from_nanos),
            _ => None,
        };
    }
    (Some(OnAirPlaylist { title: first.title.clone(), format: *format, origin: zero, items }), problems)
}

/// What `p` airs when, item by item (gaps left out).
pub(crate) fn agenda(p: &OnAirPlaylist) -> Vec<Entry> {
    let Some(zero) = origin(p) else { return Vec::new() };
    plan(&p.format, &p.plan_items())
        .into_iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| match s.kind {
            SegmentKind::Item(i) => Some(Entry {
                start: zero + s.start.time.to_chrono(),
                end: zero + s.end.time.to_chrono(),
                // The slot says when; the offset only depends on which playlist came first.
                item: Item { offset: None, ..p.items[i].clone() },
            }),
            SegmentKind::Gap => None,
        })
        .collect()
}

/// The entries that matter between `from` and `until`: what a change must touch to count.
pub(crate) fn ahead(agenda: &[Entry], from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Entry> {
    agenda.iter().filter(|e| e.end > from && e.start < until).cloned().collect()
}

/// Whether the schedule ahead changed since it was loaded for the window ending at
/// `loaded_until`: `fresh` (the agenda now) and `loaded` are compared over what both cover,
/// `[now, loaded_until)`, so an item that merely ended, or came into view because time moved
/// on, is no change (compared over two different windows, every poll of a channel of short items
/// looked like a change and replanned it). Entries are compared by what airs when
/// ([`airs`]), not by how the slot was asked for: a source answers from the first item that
/// overlaps the window, and [`merge`] starts that item hard at its time, so the same item in
/// the same slot was hard in one answer and soft in the one before — every item boundary (the
/// demo cycle's, a published day's) looked like a change. Once half the window is used up
/// the load is renewed anyway, so the loaded window never runs out. Nothing loaded yet: any
/// entry is a change.
pub(crate) fn changed(
    fresh: &[Entry],
    loaded: &[Entry],
    now: DateTime<Utc>,
    loaded_until: Option<DateTime<Utc>>,
    window: chrono::Duration,
) -> bool {
    let differ = |until| airs(&ahead(fresh, now, until)) != airs(&ahead(loaded, now, until));
    match loaded_until {
        None => differ(now + window),
        Some(until) if now + window / 2 > until => true,
        Some(until) => differ(until),
    }
}

/// What `entries` air when: each slot with its item, the wall-clock start and hardness the
/// item was asked with left out (the slot already says when it airs).
fn airs(entries: &[Entry]) -> Vec<Entry> {
    entries.iter().map(|e| Entry { item: Item { start: None, hard: false, ..e.item.clone() }, ..e.clone() }).collect()
}

/// `t` moved onto an item boundary when it is within `tolerance` of one, so that rejoining at
/// the end of an item starts the next one at its beginning, not a frame before.
pub(crate) fn snap(t: DateTime<Utc>, agenda: &[Entry], tolerance: chrono::Duration) -> DateTime<Utc> {
    agenda.iter().flat_map(|e| [e.start, e.end]).find(|b| (*b - t).abs() <= tolerance).unwrap_or(t)
}

/// The playlist to run from wall-clock `at` (its timeline zero), `slip` ahead of the
/// published schedule (after a skip, soft items run early; hard items keep their time), and
/// how its first item was joined.
pub(crate) fn live_at(
    merged: &OnAirPlaylist,
    at: DateTime<Utc>,
    slip: chrono::Duration,
    tolerance: chrono::Duration,
) -> Option<(OnAirPlaylist, Option<Joined>)> {
    let entries = agenda(merged);
    let published = snap(at + slip, &entries, tolerance);
    let mut live = merged.joined_at(published.fixed_offset())?;
    let current = entries.iter().find(|e| e.start <= published && e.end > published);
    let joined =
        current.filter(|e| published > e.start).map(|e| Joined { scheduled: e.start, into: published - e.start });
    if slip > chrono::Duration::zero() {
        if let (Some(e), Some(first)) = (current, live.items.first_mut()) {
            // Run early, an item cut by the next hard start in the published plan may fit whole.
            let into = MediaTime::from_nanos(
                (published - e.start).num_nanoseconds().filter(|ns| *ns >= 0).unwrap_or_default(),
            );
            first.duration = e.item.duration.sub_or_zero(into);
            // Joining the published schedule at a hard item's start: it still waits for its time.
            if e.item.hard && e.start == published {
                first.start = e.item.start;
                first.hard = true;
            }
        }
    }
    live.origin = Some(at.fixed_offset());
    for item in &mut live.items {
        item.offset = item
            .start
            .and_then(|s| (s.with_timezone(&Utc) - at).num_nanoseconds())
            .filter(|ns| *ns >= 0)
            .map(MediaTime::from_nanos);
    }
    Some((live, joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(start: &str, items: &str) -> OnAirPlaylist {
        OnAirPlaylist::from_json(&format!(
            r#"{{"format":{{"kind":"tv","width":320,"height":180,"fps":"25/1"}},"start":"{start}","items":[{items}]}}"#
        ))
        .unwrap()
    }

    fn sources(p: &OnAirPlaylist) -> Vec<String> {
        p.items.iter().map(|i| i.source.to_string()).collect()
    }

    #[test]
    fn time_moving_on_is_no_change_and_an_edit_ahead_is() {
        let p = day(
            "2026-11-26T08:00:00Z",
            r#"{"source":"a","duration":10},{"source":"b","duration":10},{"source":"c","duration":10}"#,
        );
        let w = chrono::Duration::seconds(15);
        let t0 = at("2026-11-26T08:00:01Z");
        let loaded = ahead(&agenda(&p), t0, t0 + w);
        assert_eq!(loaded.len(), 2, "a and b are in the window loaded at 08:00:01");
        // 7 s later c has come into view (the window moved on); nothing was edited.
        let t1 = t0 + chrono::Duration::seconds(7);
        let until = Some(t0 + w);
        assert!(!changed(&agenda(&p), &loaded, t1, until, w));
        // b edited: a change.
        let edited = day(
            "2026-11-26T08:00:00Z",
            r#"{"source":"a","duration":10},{"source":"x","duration":10},{"source":"c","duration":10}"#,
        );
        assert!(changed(&agenda(&edited), &loaded, t1, until, w));
        // Past half the window the load is renewed.
        assert!(changed(&agenda(&p), &loaded, t0 + chrono::Duration::seconds(8), until, w));
        // Nothing loaded: whatever is scheduled is a change, nothing scheduled is not.
        assert!(changed(&agenda(&p), &[], t0, None, w));
        assert!(!changed(&[], &[], t0, None, w));
    }

    #[test]
    fn a_source_answering_from_the_item_now_on_air_is_no_change() {
        // A source answers from the first item overlapping the window (the demo cycle, a
        // published day cut to the window); merge starts that item hard at its time.
        let all = r#"{"source":"a","duration":10},{"source":"b","duration":10},{"source":"c","duration":10}"#;
        let w = chrono::Duration::seconds(60);
        let t0 = at("2026-11-26T08:00:01Z");
        let first = merge(&day("2026-11-26T08:00:00Z", all).format, vec![day("2026-11-26T08:00:00Z", all)]).0.unwrap();
        let loaded = ahead(&agenda(&first), t0, t0 + w);
        let later = day("2026-11-26T08:00:10Z", r#"{"source":"b","duration":10},{"source":"c","duration":10}"#);
        let later = merge(&later.format.clone(), vec![later]).0.unwrap();
        let t1 = at("2026-11-26T08:00:11Z");
        assert!(agenda(&later)[0].item.hard && !loaded[1].item.hard, "the same slot asked for two ways");
        assert!(!changed(&agenda(&later), &loaded, t1, Some(t0 + w), w));
    }

    #[test]
    fn merged_days_start_hard_at_their_own_start() {
        let d1 = day("2026-11-26T23:59:00Z", r#"{"source":"a","duration":90}"#);
        let d2 = day("2026-11-27T00:00:00Z", r#"{"source":"b","duration":60}"#);
        let format = d1.format;
        let (merged, problems) = merge(&format, vec![d2, d1]);
        let merged = merged.unwrap();
        assert!(problems.is_empty());
        assert_eq!(sources(&merged), ["a", "b"]);
        let entries = agenda(&merged);
        assert_eq!(entries[0].end, at("2026-11-27T00:00:00Z"), "a is cut by the next day's hard start");
        assert_eq!(entries[1].start, at("2026-11-27T00:00:00Z"));
    }

    #[test]
    fn playlists_of_another_format_are_left_out_and_reported() {
        let tv = day("2026-11-26T08:00:00Z", r#"{"source":"a","duration":10}"#);
        let radio = OnAirPlaylist::from_json(
            r#"{"format":{"kind":"radio"},"start":"2026-11-26T09:00:00Z","items":[{"source":"r","duration":5}]}"#,
        )
        .unwrap();
        let (merged, problems) = merge(&tv.format, vec![tv.clone(), radio]);
        assert_eq!(sources(&merged.unwrap()), ["a"]);
        assert_eq!(problems.len(), 1);
        assert!(merge(&tv.format, Vec::new()).0.is_none());
    }

    #[test]
    fn joining_mid_item_reports_how_far_in() {
        let p = day("2026-11-26T08:00:00Z", r#"{"source":"a","duration":10},{"source":"b","duration":10}"#);
        let (live, joined) =
            live_at(&p, at("2026-11-26T08:00:13.5Z"), chrono::Duration::zero(), chrono::Duration::milliseconds(40))
                .unwrap();
        assert_eq!(sources(&live), ["b"]);
        assert_eq!(live.items[0].in_point, MediaTime::from_nanos(3_500_000_000));
        let joined = joined.unwrap();
        assert_eq!(joined.scheduled, at("2026-11-26T08:00:10Z"));
        assert_eq!(joined.into, chrono::Duration::milliseconds(3500));
    }

    #[test]
    fn rejoining_a_hair_before_a_boundary_starts_the_next_item_clean() {
        let p = day("2026-11-26T08:00:00Z", r#"{"source":"a","duration":10},{"source":"b","duration":10}"#);
        let nearly = at("2026-11-26T08:00:09.999Z");
        let (live, joined) = live_at(&p, nearly, chrono::Duration::zero(), chrono::Duration::milliseconds(40)).unwrap();
        assert_eq!(sources(&live), ["b"]);
        assert_eq!(live.items[0].in_point, MediaTime::ZERO);
        assert!(joined.is_none());
    }

    #[test]
    fn a_skip_slips_soft_items_but_not_the_next_hard_one() {
        let p = day(
            "2026-11-26T08:00:00Z",
            r#"{"source":"a","duration":10},{"source":"b","duration":10},
               {"source":"c","duration":10,"start":"2026-11-26T08:00:30Z","hard":true}"#,
        );
        // At 08:00:04 "a" is skipped: slip 6 s, so "b" airs now and "c" still at 08:00:30.
        let now = at("2026-11-26T08:00:04Z");
        let (live, joined) =
            live_at(&p, now, chrono::Duration::seconds(6), chrono::Duration::milliseconds(40)).unwrap();
        assert!(joined.is_none());
        assert_eq!(sources(&live), ["b", "c"]);
        let segs = plan(&live.format, &live.plan_items());
        assert_eq!(segs[0].frames(), 250);
        assert_eq!(segs[1].kind, SegmentKind::Gap);
        assert_eq!(segs[2].start.frame, 26 * 25);
        // Skipping "b" too (slip 16 s) lands on "c"'s start: it still waits until 08:00:30.
        let (live, _) = live_at(&p, now, chrono::Duration::seconds(26), chrono::Duration::milliseconds(40)).unwrap();
        assert_eq!(sources(&live), ["c"]);
        assert_eq!(live.items[0].offset, Some(MediaTime::from_nanos(26_000_000_000)));
        assert!(live.items[0].hard);
    }

    #[test]
    fn changes_are_seen_only_where_they_air() {
        let p = day("2026-11-26T08:00:00Z", r#"{"source":"a","duration":10},{"source":"b","duration":10}"#);
        let q = day("2026-11-26T08:00:00Z", r#"{"source":"a","duration":10},{"source":"x","duration":10}"#);
        let (from, until) = (at("2026-11-26T08:00:05Z"), at("2026-11-26T09:00:00Z"));
        assert_ne!(ahead(&agenda(&p), from, until), ahead(&agenda(&q), from, until));
        let later = at("2026-11-26T08:00:25Z");
        assert_eq!(ahead(&agenda(&p), later, until), ahead(&agenda(&q), later, until));
        assert!(overlaps(&p, from, until) && !overlaps(&p, later, until));
    }
}

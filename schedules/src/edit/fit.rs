//! Edits that keep a day publishable: inserting at a time of day (the item on air then is
//! split, what follows ripples, and the overrun is taken out of the time before the next
//! fixed point), and fitting the day to its length (slate in every gap, the overrun past the
//! day end cut). A scheduler does these by hand on a paper log: fillers and slate give way
//! first, then the tails of the programmes nearest the fixed point.

use crate::error::{Result, ScheduleError};
use crate::phrase::Phrase;
use crate::playlist::{ItemKind, Playlist, PlaylistItem, Timing};
use crate::time::Frames;

use super::ripple;

/// A hard or locked item: a fixed point that insertions must not move.
fn fixed(it: &PlaylistItem) -> bool {
    it.timing == Timing::Hard || it.locked
}

/// Inserts `item` at offset `at` of the day: the item on air then is split (a programme or
/// filler resumes after the insert where it was cut; slate and live go on), and the time the
/// insert adds is taken out of the soft items before the next fixed point (or the day end):
/// fillers and slate first, nearest the fixed point first, then the tails of programmes.
/// Returns the change's description.
///
/// # Errors
/// `InvalidEdit` when `at` is outside the day, the item has no length, `at` is the start of
/// a hard item, or the insert is longer than the time before the next fixed point;
/// `Locked` when the item on air at `at` is locked.
pub(super) fn insert_at(p: &mut Playlist, at: Frames, item: &PlaylistItem) -> Result<String> {
    let len = p.length();
    let rate = p.rate;
    if at < Frames::ZERO || at >= len {
        let at = at.timecode(rate);
        return Err(ScheduleError::invalid_edit(
            Phrase::new("outside_day").with("at", &at),
            format!("{at} is outside the day"),
        ));
    }
    if item.duration <= Frames::ZERO || item.in_point < Frames::ZERO {
        return Err(super::no_length());
    }
    let mut new = PlaylistItem { start: at, timing: Timing::Soft, locked: false, ..item.clone() };
    let k = p.items.iter().position(|it| it.start <= at && at < it.end());
    let pos = match k {
        None => {
            // In a gap or after the last item: pinned where it was asked for.
            let pos = p.items.iter().position(|it| it.start > at).unwrap_or(p.items.len());
            new.timing = Timing::Hard;
            pos
        }
        Some(k) => {
            let cur = &p.items[k];
            if cur.locked {
                return Err(ScheduleError::Locked { index: k });
            }
            if cur.start == at {
                if cur.timing == Timing::Hard {
                    let when = p.clock().instant(at).format("%H:%M:%S").to_string();
                    return Err(ScheduleError::invalid_edit(
                        Phrase::new("fixed_start").with("title", &cur.title).with("at", &when),
                        format!("{} starts at a fixed time {when}: insert after it or make it soft first", cur.title),
                    ));
                }
                k
            } else {
                let head = at - cur.start;
                let resume = match cur.kind {
                    ItemKind::Programme | ItemKind::Filler => cur.in_point + head,
                    ItemKind::Slate | ItemKind::Live => cur.in_point,
                };
                let tail = PlaylistItem {
                    timing: Timing::Soft,
                    locked: false,
                    in_point: resume,
                    duration: cur.duration - head,
                    start: at,
                    ..cur.clone()
                };
                p.items[k].duration = head;
                p.items.insert(k + 1, tail);
                k + 1
            }
        }
    };
    p.items.insert(pos, new);
    ripple(&mut p.items);
    let (removed, cut) = absorb(p, pos)?;
    ripple(&mut p.items);
    let mut change = format!("insert {} at {}", item.title, p.clock().instant(at).format("%H:%M:%S"));
    if removed + cut > 0 {
        change.push_str(&format!(" (fitted: {removed} removed, {cut} cut)"));
    }
    Ok(change)
}

/// Takes the overrun past the next fixed point after `pos` out of the soft items between
/// them; returns how many items were removed and how many cut.
fn absorb(p: &mut Playlist, pos: usize) -> Result<(usize, usize)> {
    let boundary_at = p.items.iter().skip(pos + 1).position(fixed).map(|i| i + pos + 1);
    let (limit, end_index) = match boundary_at {
        Some(b) => (p.items[b].start, b),
        None => (p.length(), p.items.len()),
    };
    let reach = p.items[pos..end_index].iter().map(PlaylistItem::end).max().unwrap_or(Frames::ZERO);
    let mut over = reach - limit;
    if over <= Frames::ZERO {
        return Ok((0, 0));
    }
    if p.items[pos].end() > limit {
        let what = boundary_at.map_or_else(|| "the end of the day".to_owned(), |b| p.items[b].title.clone());
        let (title, length) = (&p.items[pos].title, p.items[pos].duration.timecode(p.rate));
        // No `before` parameter: the day's end.
        let mut phrase = Phrase::new("does_not_fit").with("title", title).with("length", &length);
        if let Some(b) = boundary_at {
            phrase = phrase.with("before", &p.items[b].title);
        }
        let message = format!("{title} ({length}) does not fit before {what}: shorten it or insert it earlier");
        return Err(ScheduleError::invalid_edit(phrase, message));
    }
    let (mut removed, mut cut) = (0, 0);
    // Fillers and slate first, then anything soft; nearest the fixed point first.
    for give_way in [true, false] {
        let mut j = end_index - removed;
        while over > Frames::ZERO && j > pos + 1 {
            j -= 1;
            let it = &p.items[j];
            let light = matches!(it.kind, ItemKind::Filler | ItemKind::Slate);
            if fixed(it) || (give_way && !light) {
                continue;
            }
            if it.duration <= over {
                over -= it.duration;
                p.items.remove(j);
                removed += 1;
            } else {
                p.items[j].duration -= over;
                over = Frames::ZERO;
                cut += 1;
            }
        }
    }
    Ok((removed, cut))
}

/// Fits the day to its length: slate in every gap (before a hard item and at the end), and
/// whatever runs past the day end cut (items wholly past it removed). Returns the change's
/// description.
pub(super) fn fit_day(p: &mut Playlist) -> String {
    ripple(&mut p.items);
    let len = p.length();
    let slate = |start: Frames, duration: Frames| {
        PlaylistItem::slate(start, duration, "fills a gap (fit to the day)".to_owned(), Phrase::new("fit_slate"))
    };
    let mut filled = 0;
    let mut i = 0;
    let mut prev_end = Frames::ZERO;
    while i < p.items.len() {
        let start = p.items[i].start;
        if start > prev_end {
            p.items.insert(i, slate(prev_end, start - prev_end));
            filled += 1;
            i += 1;
        }
        prev_end = prev_end.max(p.items[i].end());
        i += 1;
    }
    if prev_end < len {
        p.items.push(slate(prev_end, len - prev_end));
        filled += 1;
    }
    let before = p.items.len();
    p.items.retain(|it| it.start < len);
    let mut cut = before - p.items.len();
    if let Some(last) = p.items.last_mut() {
        if last.end() > len {
            last.duration = len - last.start;
            cut += 1;
        }
    }
    format!("fit to the day ({filled} gap(s) filled with slate, {cut} item(s) cut at the day end)")
}

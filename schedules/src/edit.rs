//! Editing a day playlist: pure operations on a versioned playlist with optimistic
//! concurrency (each edit names the version it is based on), locks, every version kept,
//! and undo.
//!
//! After every operation soft items "ripple": each starts where the previous one ends;
//! hard and locked items keep their start. Whatever that leaves (an overrun into a hard
//! item, a gap before one) is reported by [`crate::validate()`], not silently repaired.

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScheduleError};
use crate::phrase::Phrase;
use crate::playlist::{Playlist, PlaylistItem, Timing};
use crate::time::Frames;

/// One edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EditOp {
    /// Insert `item` before position `index` (`index == len` appends). A soft item's start
    /// is recomputed; a hard item keeps its start.
    Insert { index: usize, item: PlaylistItem },
    /// Move the item at `from` so that it ends up at position `to`.
    Move { from: usize, to: usize },
    /// Replace what the item at `index` plays by `item`'s source, title, kind, category,
    /// in-point and duration; its start, timing and lock stay (a hard 19:00 slot stays hard).
    Replace { index: usize, item: PlaylistItem },
    /// Delete the item at `index`.
    Delete { index: usize },
    /// Play `duration` frames of the media from `in_point`.
    Trim { index: usize, in_point: Frames, duration: Frames },
    /// Pin the item to `start` (hard) or release it to follow its predecessor (soft).
    Retime { index: usize, start: Frames, hard: bool },
    /// Lock or unlock the item.
    Lock { index: usize, locked: bool },
    /// Insert `item` at offset `at` of the day, splitting the item on air then and taking
    /// the added time out of the fillers, slate and programme tails before the next fixed
    /// point (see [`fit`]), so the day keeps its length.
    InsertAt { at: Frames, item: PlaylistItem },
    /// Fit the day to its length: slate in every gap, the overrun past the day end cut.
    FitDay,
}

/// One kept version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, 3, ...
    pub number: u64,
    /// The version it was derived from (None for the first).
    pub parent: Option<u64>,
    /// What produced it (`generated`, `insert at 3`, `undo of 5`).
    pub change: String,
    /// The playlist.
    pub playlist: Playlist,
}

/// A playlist with its full history of versions (never empty: deserialising an empty or
/// misnumbered history is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawVersions")]
pub struct VersionedPlaylist {
    versions: Vec<Version>,
}

#[derive(Deserialize)]
struct RawVersions {
    versions: Vec<Version>,
}

impl TryFrom<RawVersions> for VersionedPlaylist {
    type Error = ScheduleError;
    fn try_from(r: RawVersions) -> Result<Self> {
        if r.versions.is_empty() || r.versions.iter().enumerate().any(|(i, v)| v.number != i as u64 + 1) {
            let message = "a version history must hold versions 1, 2, 3, ...";
            return Err(ScheduleError::invalid_edit(Phrase::new("bad_history"), message));
        }
        Ok(Self { versions: r.versions })
    }
}

impl VersionedPlaylist {
    /// Version 1 is `playlist` as given.
    pub fn new(playlist: Playlist, change: &str) -> Self {
        Self { versions: vec![Version { number: 1, parent: None, change: change.to_owned(), playlist }] }
    }

    /// The current version number.
    pub fn version(&self) -> u64 {
        self.versions.len() as u64
    }

    /// The current playlist.
    pub fn current(&self) -> &Playlist {
        // `versions` is never empty: `new` creates one and nothing removes any.
        &self.last().playlist
    }

    fn last(&self) -> &Version {
        let i = self.versions.len().saturating_sub(1);
        &self.versions[i]
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// A version by number.
    pub fn get(&self, number: u64) -> Option<&Version> {
        number.checked_sub(1).and_then(|i| self.versions.get(i as usize))
    }

    fn check_version(&self, expected: u64) -> Result<()> {
        if expected != self.version() {
            return Err(ScheduleError::Conflict { expected, current: self.version() });
        }
        Ok(())
    }

    /// Applies `op` to the current version, which must be `expected`; returns the new
    /// version number.
    ///
    /// # Errors
    /// `Conflict` when `expected` is not current, `Locked` when the op would change a locked
    /// item, `NoSuchItem` for a bad index, `InvalidEdit` for out-of-range values.
    pub fn apply(&mut self, expected: u64, op: EditOp) -> Result<u64> {
        self.check_version(expected)?;
        let (p, change) = apply_once(self.current(), &op)?;
        let parent = Some(self.version());
        self.versions.push(Version { number: self.version() + 1, parent, change, playlist: p });
        Ok(self.version())
    }

    /// Undoes the change that produced the current version, as a new version (history is
    /// never rewritten). Repeated undos go further back.
    ///
    /// # Errors
    /// `Conflict` when `expected` is not current; `NothingToUndo` at the first version.
    pub fn undo(&mut self, expected: u64) -> Result<u64> {
        self.check_version(expected)?;
        let cur = self.last();
        let Some(target) = cur.parent.and_then(|n| self.get(n)) else {
            return Err(ScheduleError::NothingToUndo(cur.number));
        };
        let v = Version {
            number: self.version() + 1,
            parent: target.parent,
            change: format!("undo of version {} ({})", cur.number, cur.change),
            playlist: target.playlist.clone(),
        };
        self.versions.push(v);
        Ok(self.version())
    }
}

/// `op` applied to a copy of `p`, rippled, with the change's description: one edit of the
/// current version without its history (what [`VersionedPlaylist::apply`] appends).
///
/// # Errors
/// As [`VersionedPlaylist::apply`], less `Conflict`.
pub fn apply_once(p: &Playlist, op: &EditOp) -> Result<(Playlist, String)> {
    let mut p = p.clone();
    let change = apply_op(&mut p, op)?;
    ripple(&mut p.items);
    Ok((p, change))
}

fn item_at(p: &Playlist, index: usize) -> Result<&PlaylistItem> {
    p.items.get(index).ok_or(ScheduleError::NoSuchItem { index, len: p.items.len() })
}

fn unlocked(p: &Playlist, index: usize) -> Result<()> {
    if item_at(p, index)?.locked {
        return Err(ScheduleError::Locked { index });
    }
    Ok(())
}

fn sane(p: &Playlist, item: &PlaylistItem) -> Result<()> {
    if item.duration <= Frames::ZERO || item.in_point < Frames::ZERO {
        return Err(no_length());
    }
    if item.start < Frames::ZERO || item.start >= p.length() {
        return Err(outside_day(item.start, p.rate));
    }
    Ok(())
}

/// An item (or a trim) without a positive length or with a negative in-point.
fn no_length() -> ScheduleError {
    let message = "an item needs a positive duration and a non-negative in-point";
    ScheduleError::invalid_edit(Phrase::new("no_length"), message)
}

/// A start outside the day.
fn outside_day(start: Frames, rate: crate::time::FrameRate) -> ScheduleError {
    let at = start.timecode(rate);
    ScheduleError::invalid_edit(Phrase::new("outside_day").with("at", &at), format!("start {at} is outside the day"))
}

fn apply_op(p: &mut Playlist, op: &EditOp) -> Result<String> {
    let len = p.items.len();
    match op {
        EditOp::Insert { index, item } => {
            if *index > len {
                return Err(ScheduleError::NoSuchItem { index: *index, len });
            }
            sane(p, item)?;
            p.items.insert(*index, item.clone());
            Ok(format!("insert {} at {index}", item.title))
        }
        EditOp::Move { from, to } => {
            unlocked(p, *from)?;
            if *to >= len {
                return Err(ScheduleError::NoSuchItem { index: *to, len });
            }
            let it = p.items.remove(*from);
            let title = it.title.clone();
            p.items.insert(*to, it);
            Ok(format!("move {title} from {from} to {to}"))
        }
        EditOp::Replace { index, item } => {
            unlocked(p, *index)?;
            sane(p, item)?;
            let slot = &p.items[*index];
            let new = PlaylistItem { start: slot.start, timing: slot.timing, locked: slot.locked, ..item.clone() };
            let old = std::mem::replace(&mut p.items[*index], new);
            Ok(format!("replace {} by {} at {index}", old.title, item.title))
        }
        EditOp::Delete { index } => {
            unlocked(p, *index)?;
            let it = p.items.remove(*index);
            Ok(format!("delete {} at {index}", it.title))
        }
        EditOp::Trim { index, in_point, duration } => {
            unlocked(p, *index)?;
            if *duration <= Frames::ZERO || *in_point < Frames::ZERO {
                return Err(no_length());
            }
            let it = &mut p.items[*index];
            it.in_point = *in_point;
            it.duration = *duration;
            Ok(format!("trim {} to {} from {}", it.title, duration.0, in_point.0))
        }
        EditOp::Retime { index, start, hard } => {
            unlocked(p, *index)?;
            if *start < Frames::ZERO || *start >= p.length() {
                return Err(outside_day(*start, p.rate));
            }
            let it = &mut p.items[*index];
            it.start = *start;
            it.timing = if *hard { Timing::Hard } else { Timing::Soft };
            Ok(format!("retime {} to {}{}", it.title, start.0, if *hard { " (hard)" } else { "" }))
        }
        EditOp::Lock { index, locked } => {
            item_at(p, *index)?;
            let it = &mut p.items[*index];
            it.locked = *locked;
            Ok(format!("{} {}", if *locked { "lock" } else { "unlock" }, it.title))
        }
        EditOp::InsertAt { at, item } => fit::insert_at(p, *at, item),
        EditOp::FitDay => Ok(fit::fit_day(p)),
    }
}

/// Soft, unlocked items start where the previous item ends; hard and locked items keep
/// their start.
pub fn ripple(items: &mut [PlaylistItem]) {
    let mut t = Frames::ZERO;
    for it in items {
        if it.timing == Timing::Soft && !it.locked {
            it.start = t;
        }
        t = it.end();
    }
}

mod fit;

#[cfg(test)]
mod tests;

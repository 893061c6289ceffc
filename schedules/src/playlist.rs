//! The day playlist: items that tile one broadcast day of one channel, exact to the frame,
//! and the flat form the playout engine consumes.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeId;
use crate::channel::Channel;
use crate::time::{DayClock, FrameRate, Frames, MediaTime, TimeOfDay};

/// Whether an item's start is pinned to the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    /// Starts exactly at its start time (the 19:00 news); previous items must end by then.
    Hard,
    /// Follows the previous item.
    Soft,
}

/// What plays.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    /// Media of a catalog programme (also used for fillers).
    Programme {
        /// Catalog id.
        id: ProgrammeId,
    },
    /// A live relay (SRT/UDP/RTMP URI).
    Live {
        /// Source URI.
        uri: String,
    },
    /// The channel's slate (black + silence or a still): the last resort when nothing else fits.
    Slate,
}

/// Why an item is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A programme from a block or a fixed event.
    Programme,
    /// A live relay.
    Live,
    /// An ident, PSA or other interstitial closing a gap.
    Filler,
    /// The slate.
    Slate,
}

/// One item of a playlist. `start` and `duration` are frames on the channel timeline;
/// `in_point` is where to start inside the media (frames at the channel rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaylistItem {
    /// Offset from the day start.
    pub start: Frames,
    /// Length on air.
    pub duration: Frames,
    /// Hard (wall-clock pinned) or soft.
    pub timing: Timing,
    /// What plays.
    pub source: Source,
    /// Where to start inside the media.
    #[serde(default)]
    pub in_point: Frames,
    /// Title for people and the EPG.
    pub title: String,
    /// Programme, live, filler or slate.
    pub kind: ItemKind,
    /// Category (for quotas and the EPG).
    #[serde(default)]
    pub category: String,
    /// Locked items cannot be edited (and do not move when others change).
    #[serde(default)]
    pub locked: bool,
    /// Why the generator chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// `why` as a code and parameters, for a client to word in its reader's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::phrase::Phrase>,
}

impl PlaylistItem {
    /// The slate from `start` for `duration`, soft, with the reason it is there.
    pub fn slate(start: Frames, duration: Frames, why: String, reason: crate::phrase::Phrase) -> Self {
        PlaylistItem {
            start,
            duration,
            timing: Timing::Soft,
            source: Source::Slate,
            in_point: Frames::ZERO,
            title: "slate".into(),
            kind: ItemKind::Slate,
            category: String::new(),
            locked: false,
            why: Some(why),
            reason: Some(reason),
        }
    }

    /// First frame after the item.
    pub fn end(&self) -> Frames {
        self.start + self.duration
    }
    /// Programme id, when the source is a programme.
    pub fn programme(&self) -> Option<&ProgrammeId> {
        match &self.source {
            Source::Programme { id } => Some(id),
            _ => None,
        }
    }
}

/// One broadcast day of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playlist {
    /// Channel id.
    pub channel: String,
    /// Broadcast day (calendar date of its start).
    pub date: NaiveDate,
    /// Channel frame rate.
    pub rate: FrameRate,
    /// Day start on the wall clock.
    pub day_start: TimeOfDay,
    /// Channel UTC offset in seconds.
    pub utc_offset_secs: i32,
    /// Items in air order.
    pub items: Vec<PlaylistItem>,
}

impl Playlist {
    /// An empty playlist for `channel` on `date`.
    pub fn empty(channel: &Channel, date: NaiveDate) -> Self {
        Self {
            channel: channel.id.clone(),
            date,
            rate: channel.rate,
            day_start: channel.day_start,
            utc_offset_secs: channel.utc_offset_secs,
            items: Vec::new(),
        }
    }

    /// The day's frame clock.
    pub fn clock(&self) -> DayClock {
        let offset = FixedOffset::east_opt(self.utc_offset_secs).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc));
        DayClock::new(self.date, self.day_start, offset, self.rate)
    }

    /// Frames in the day.
    pub fn length(&self) -> Frames {
        self.rate.frames_per_day()
    }

    /// Index of the item on air at frame `f`.
    pub fn item_at(&self, f: Frames) -> Option<usize> {
        let i = self.items.partition_point(|it| it.start <= f);
        let i = i.checked_sub(1)?;
        (self.items.get(i)?.end() > f).then_some(i)
    }

    /// The flat list the playout engine runs.
    pub fn playout(&self) -> Vec<PlayoutItem> {
        let clock = self.clock();
        self.items
            .iter()
            .map(|it| PlayoutItem {
                start: clock.instant(it.start),
                start_frame: it.start,
                duration_frames: it.duration,
                duration_ns: self.rate.to_media(it.duration),
                hard: it.timing == Timing::Hard,
                source: it.source.clone(),
                in_point_frames: it.in_point,
                in_point_ns: self.rate.to_media(it.in_point),
                title: it.title.clone(),
                kind: it.kind,
            })
            .collect()
    }
}

/// One item as playout consumes it: wall-clock start, exact duration, hard or soft,
/// source and in-point, in both frames and nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayoutItem {
    /// Wall-clock start (channel offset, e.g. `2026-11-26T19:00:00+08:00`).
    pub start: DateTime<FixedOffset>,
    /// Start as a frame offset from the day start.
    pub start_frame: Frames,
    /// Duration in frames.
    pub duration_frames: Frames,
    /// Duration in nanoseconds (derived from frames).
    pub duration_ns: MediaTime,
    /// Must start exactly at `start`.
    pub hard: bool,
    /// What to play.
    pub source: Source,
    /// In-point in frames.
    pub in_point_frames: Frames,
    /// In-point in nanoseconds.
    pub in_point_ns: MediaTime,
    /// Title (for logs and graphics).
    pub title: String,
    /// Programme, live, filler or slate.
    pub kind: ItemKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{CentreCode, ChannelKind};

    pub(crate) fn item(start: i64, dur: i64) -> PlaylistItem {
        PlaylistItem {
            start: Frames(start),
            duration: Frames(dur),
            timing: Timing::Soft,
            source: Source::Slate,
            in_point: Frames(0),
            title: "x".into(),
            kind: ItemKind::Slate,
            category: String::new(),
            locked: false,
            why: None,
            reason: None,
        }
    }

    #[test]
    fn playout_items_carry_wall_clock_starts() {
        let ch = Channel::new("tv", "tv", ChannelKind::Tv, CentreCode::parse("510400").unwrap()).unwrap();
        let mut p = Playlist::empty(&ch, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        p.items.push(item(0, 25 * 3600 * 13));
        p.items.push(item(25 * 3600 * 13, 25 * 1800));
        let out = p.playout();
        assert_eq!(out[1].start.to_rfc3339(), "2026-11-26T19:00:00+08:00");
        assert_eq!(out[1].duration_ns, MediaTime::from_secs(1800));
        assert_eq!(p.item_at(Frames(25 * 3600 * 13)), Some(1));
        assert_eq!(p.item_at(Frames(25 * 3600 * 14)), None);
    }
}

//! As-run records: what actually went to air, item by item.

use serde::Serialize;

use crate::timeline::Segment;

/// How an item (or gap) went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Played from its source for its whole slot (short sources padded: see `reason`).
    Played,
    /// The source failed (missing, corrupt, decode error, missing track): slate and/or
    /// silence filled all or part of the slot; `reason` says why.
    Fallback,
    /// Shortened by a following hard start.
    Cut,
    /// Never aired: a hard start took its whole slot.
    Skipped,
    /// An override (an emergency alert, a live relay) took the air during the item; `reason`
    /// names it and says how the item came back (resumed, or rejoined at the wall clock).
    Interrupted,
}

/// One line of the as-run log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsRunRecord {
    /// Playlist item index; `None` for a gap filled before a hard start.
    pub item: Option<usize>,
    /// The item's id, if the playlist gave one.
    pub id: Option<String>,
    /// The item's title, if the playlist gave one.
    pub title: Option<String>,
    /// The source as written in the playlist (`None` for a gap).
    pub source: Option<String>,
    /// Scheduled start on the timeline, seconds from timeline zero.
    pub scheduled_start_s: f64,
    /// Wall-clock scheduled start (RFC 3339), when the playlist gave one.
    pub scheduled_wall: Option<String>,
    /// Where it actually started on the timeline, seconds.
    pub actual_start_s: f64,
    /// Wall-clock actual start (RFC 3339), when the channel knows its timeline's wall time
    /// (a [`crate::channel::ChannelRunner`] does; a render does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_wall: Option<String>,
    /// How long it actually aired, seconds.
    pub actual_duration_s: f64,
    /// First channel frame of the item.
    pub start_frame: u64,
    /// Video frames aired.
    pub frames: u64,
    /// Audio samples (per channel) aired.
    pub samples: u64,
    /// Of `frames`, how many were slate (fallback).
    pub slate_frames: u64,
    /// What happened.
    pub outcome: Outcome,
    /// Why, when not a plain `played`.
    pub reason: Option<String>,
    /// A provisional record, sent when the item goes on air (real time only) and replaced by
    /// its final record when it ends; if the node dies meanwhile, the item still has a line
    /// (with its planned end). See `catalog::asrun::merged`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_air: bool,
}

impl AsRunRecord {
    /// A record for `segment` with its timing filled in and outcome `played` (or `cut`/`skipped`
    /// as the plan says); the engine adjusts outcome and reason as the item airs.
    pub fn for_segment(segment: &Segment) -> AsRunRecord {
        let (outcome, reason) = match (segment.cut_by, segment.is_empty()) {
            (Some(by), true) => (Outcome::Skipped, Some(format!("hard start of item {by} took its slot"))),
            (Some(by), false) => (Outcome::Cut, Some(format!("cut by hard start of item {by}"))),
            (None, _) => (Outcome::Played, None),
        };
        AsRunRecord {
            item: None,
            id: None,
            title: None,
            source: None,
            scheduled_start_s: segment.scheduled.as_secs_f64(),
            scheduled_wall: None,
            actual_start_s: segment.start.time.as_secs_f64(),
            actual_wall: None,
            actual_duration_s: (segment.end.time.sub_or_zero(segment.start.time)).as_secs_f64(),
            start_frame: segment.start.frame,
            frames: segment.frames(),
            samples: segment.samples(),
            slate_frames: 0,
            outcome,
            reason,
            on_air: false,
        }
    }

    /// Marks the item as fallback for `reason` (kept alongside an earlier reason).
    pub fn fallback(&mut self, reason: impl Into<String>) {
        self.outcome = Outcome::Fallback;
        self.note(reason);
    }

    /// Adds a note to the reason without changing the outcome.
    pub fn note(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if self.reason.as_deref().is_some_and(|r| r.split("; ").any(|r| r == reason)) {
            return;
        }
        self.reason = Some(match self.reason.take() {
            Some(r) => format!("{r}; {reason}"),
            None => reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{plan, AudioFormat, ChannelFormat, MediaTime, PlanItem};

    #[test]
    fn plan_outcomes_and_json_shape() {
        let f = ChannelFormat {
            video: None,
            audio: AudioFormat { rate: 48_000, channels: 2 },
            audio_codec: crate::timeline::AudioCodec::Aac,
        };
        let item = |d: i64, start: Option<i64>| PlanItem {
            duration: MediaTime::from_nanos(d * 1_000_000_000),
            start: start.map(|s| MediaTime::from_nanos(s * 1_000_000_000)),
            hard: start.is_some(),
        };
        let segs = plan(&f, &[item(4, None), item(4, None), item(1, Some(2))]);
        let recs: Vec<_> = segs.iter().map(AsRunRecord::for_segment).collect();
        assert_eq!(recs[0].outcome, Outcome::Cut);
        assert_eq!(recs[1].outcome, Outcome::Skipped);
        assert_eq!(recs[2].outcome, Outcome::Played);
        assert_eq!(recs[0].samples, 96_000);
        let mut r = recs[2].clone();
        r.fallback("file missing");
        r.fallback("no audio");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["outcome"], "fallback");
        assert_eq!(json["reason"], "file missing; no audio");
        assert_eq!(json["actual_start_s"], 2.0);
    }
}

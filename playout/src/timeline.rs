//! Channel timeline maths: the plan that turns a playlist's items into exact frame and
//! sample counts. The format and its grids (`schedules::format`) and media time
//! (`schedules::time`) are defined once in `schedules`, re-exported here for playout's users.
//!
//! Every boundary is computed from *cumulative* timeline time and then snapped to the
//! grid (a video frame on TV, an audio sample on radio), so rounding never accumulates:
//! after 24 h of 4 s items at 30000/1001 the frame count is exactly `round(86400 · fps)`.

use serde::Serialize;

pub use schedules::format::{AudioCodec, AudioFormat, Boundary, ChannelFormat, VideoFormat};
pub use schedules::time::{BadFrameRate, FrameRate, MediaTime};

/// What the planner needs of one playlist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanItem {
    /// How long the item plays.
    pub duration: MediaTime,
    /// Scheduled position on the timeline, when the playlist gives one.
    pub start: Option<MediaTime>,
    /// A hard item starts exactly at `start`: it cuts what runs long, and a gap before it is filled.
    pub hard: bool,
}

/// What a stretch of the timeline carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "item")]
pub enum SegmentKind {
    /// Playlist item by index.
    Item(usize),
    /// Nothing scheduled: slate and silence until the next hard start.
    Gap,
}

/// One stretch of the planned timeline, exact to the frame and sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Item or gap.
    pub kind: SegmentKind,
    /// Where the playlist wanted it (for an item without a start: where it follows on).
    pub scheduled: MediaTime,
    /// First frame/sample.
    pub start: Boundary,
    /// One past the last frame/sample.
    pub end: Boundary,
    /// Index of the hard item that cut this one short, if any.
    pub cut_by: Option<usize>,
}

impl Segment {
    /// Video frames in the segment.
    pub fn frames(&self) -> u64 {
        self.end.frame - self.start.frame
    }

    /// Audio samples (per channel) in the segment.
    pub fn samples(&self) -> u64 {
        self.end.sample - self.start.sample
    }

    /// True when the segment carries nothing (an item cut before it began).
    pub fn is_empty(&self) -> bool {
        self.end.sample == self.start.sample && self.end.frame == self.start.frame
    }
}

/// Lays out `items` on the timeline of `format`.
///
/// Items follow one another; an item with a hard `start` begins exactly there, cutting the
/// items that would still run (they are shortened or left empty) or preceded by a gap.
/// A soft `start` is informational: the item follows on. Boundaries come from cumulative
/// time, so there is no drift however long the playlist.
pub fn plan(format: &ChannelFormat, items: &[PlanItem]) -> Vec<Segment> {
    // Unsnapped [start, end) per segment; snapped at the end in one place.
    let mut raw: Vec<(SegmentKind, MediaTime, MediaTime, MediaTime, Option<usize>)> = Vec::new();
    let mut cursor = MediaTime::ZERO;
    for (index, item) in items.iter().enumerate() {
        let mut start = cursor;
        if let (true, Some(at)) = (item.hard, item.start) {
            if at > cursor {
                raw.push((SegmentKind::Gap, cursor, cursor, at, None));
            } else if at < cursor {
                for seg in raw.iter_mut().rev() {
                    if seg.3 <= at {
                        break;
                    }
                    seg.2 = seg.2.min(at);
                    seg.3 = at;
                    if matches!(seg.0, SegmentKind::Item(_)) {
                        seg.4 = Some(index);
                    }
                }
            }
            start = at;
        }
        let scheduled = item.start.unwrap_or(start);
        let end = start.saturating_add(item.duration);
        raw.push((SegmentKind::Item(index), scheduled, start, end, None));
        cursor = end;
    }
    raw.into_iter()
        .filter(|(kind, _, s, e, _)| matches!(kind, SegmentKind::Item(_)) || e > s)
        .map(|(kind, scheduled, s, e, cut_by)| Segment {
            kind,
            scheduled,
            start: format.boundary(s),
            end: format.boundary(e),
            cut_by,
        })
        .collect()
}

/// The items of an on-air playlist as the planner sees them.
pub trait PlanItems {
    /// Each item's duration, timeline start (when it has one) and hardness, in order.
    fn plan_items(&self) -> Vec<PlanItem>;
}

impl PlanItems for crate::playlist::OnAirPlaylist {
    fn plan_items(&self) -> Vec<PlanItem> {
        self.items.iter().map(|i| PlanItem { duration: i.duration, start: i.offset, hard: i.hard }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(num: u32, den: u32) -> ChannelFormat {
        ChannelFormat {
            video: Some(VideoFormat { width: 1280, height: 720, fps: FrameRate::new(num, den).unwrap() }),
            audio: AudioFormat { rate: 48000, channels: 2 },
            audio_codec: AudioCodec::Aac,
        }
    }

    fn radio() -> ChannelFormat {
        ChannelFormat { video: None, audio: AudioFormat { rate: 44100, channels: 2 }, audio_codec: AudioCodec::Aac }
    }

    fn soft(secs: f64) -> PlanItem {
        PlanItem { duration: MediaTime::from_secs_f64(secs).unwrap(), start: None, hard: false }
    }

    fn hard(at: f64, secs: f64) -> PlanItem {
        PlanItem { duration: MediaTime::from_secs_f64(secs).unwrap(), start: MediaTime::from_secs_f64(at), hard: true }
    }

    #[test]
    fn frame_rate_parses_rationals_and_integers() {
        assert_eq!("25/1".parse::<FrameRate>().unwrap(), FrameRate::new(25, 1).unwrap());
        assert_eq!("30000/1001".parse::<FrameRate>().unwrap().to_string(), "30000/1001");
        assert_eq!("50".parse::<FrameRate>().unwrap(), FrameRate::new(50, 1).unwrap());
        for bad in ["0/1", "25/0", "abc", "1/2", "301/1", "-25/1", ""] {
            assert!(bad.parse::<FrameRate>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn pal_items_get_exact_frames_and_1920_samples_a_frame() {
        let segs = plan(&tv(25, 1), &[soft(4.0), soft(2.5)]);
        assert_eq!(segs[0].frames(), 100);
        assert_eq!(segs[0].samples(), 192_000);
        assert_eq!(segs[1].frames(), 63); // 6.5 s = 162.5 frames → boundary 100..163 (half up)
        assert_eq!(segs[1].start.sample, 192_000);
        assert_eq!(segs[1].end.sample, 163 * 1920);
    }

    #[test]
    fn a_day_of_ntsc_items_has_no_cumulative_drift() {
        let items = vec![soft(4.0); 21_600];
        let segs = plan(&tv(30000, 1001), &items);
        let frames: u64 = segs.iter().map(Segment::frames).sum();
        let samples: u64 = segs.iter().map(Segment::samples).sum();
        // 86400 s × 30000/1001 = 2589410.59 → 2589411 frames; samples follow the frame edge.
        assert_eq!(frames, 2_589_411);
        assert_eq!(samples, 4_147_200_658); // 2589411 × 1001/30000 s × 48000, rounded
                                            // Per-item rounding alone would give 21600 × round(119.88) = 2592000: 86 s of drift.
        assert!(segs.iter().all(|s| s.frames() == 119 || s.frames() == 120));
        // contiguous
        assert!(segs.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn thirds_of_a_second_on_radio_sum_to_the_total() {
        let items = vec![soft(1.0 / 3.0); 3 * 3600];
        let segs = plan(&radio(), &items);
        let samples: u64 = segs.iter().map(Segment::samples).sum();
        assert_eq!(samples, 3600 * 44_100);
        assert!(segs.iter().all(|s| s.frames() == 0));
    }

    #[test]
    fn hard_start_cuts_the_item_still_running() {
        let segs = plan(&tv(25, 1), &[soft(10.0), hard(6.0, 2.0)]);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].frames(), 150);
        assert_eq!(segs[0].cut_by, Some(1));
        assert_eq!(segs[1].start.frame, 150);
        assert_eq!(segs[1].frames(), 50);
    }

    #[test]
    fn hard_start_after_the_end_leaves_a_gap_to_fill() {
        let segs = plan(&tv(25, 1), &[soft(2.0), hard(5.0, 1.0)]);
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1].kind, SegmentKind::Gap);
        assert_eq!((segs[1].start.frame, segs[1].end.frame), (50, 125));
        assert_eq!(segs[2].start.frame, 125);
        assert_eq!(segs[2].cut_by, None);
    }

    #[test]
    fn hard_start_can_leave_earlier_items_empty() {
        let segs = plan(&tv(25, 1), &[soft(2.0), soft(3.0), soft(3.0), hard(3.0, 1.0)]);
        assert_eq!(segs[0].frames(), 50);
        assert_eq!(segs[1].frames(), 25);
        assert_eq!(segs[1].cut_by, Some(3));
        assert!(segs[2].is_empty());
        assert_eq!(segs[2].cut_by, Some(3));
        assert_eq!(segs[3].start.frame, 75);
    }

    #[test]
    fn soft_start_follows_on_and_keeps_its_schedule() {
        let item = PlanItem { start: MediaTime::from_secs_f64(1.0), ..soft(1.0) };
        let segs = plan(&tv(25, 1), &[soft(3.0), item]);
        assert_eq!(segs[1].start.frame, 75);
        assert_eq!(segs[1].scheduled, MediaTime::from_nanos(1_000_000_000));
    }

    #[test]
    fn frame_and_sample_times_are_exact() {
        let f = tv(30000, 1001);
        assert_eq!(f.video.unwrap().fps.frames_to_time(30000), MediaTime::from_nanos(1_001_000_000_000));
        assert_eq!(f.sample_time(48000), MediaTime::from_nanos(1_000_000_000));
        assert_eq!(MediaTime::from_secs_f64(-1.0), None);
        assert_eq!(MediaTime::from_secs_f64(f64::NAN), None);
    }
}

//! Channel timeline maths: formats, frame and sample grids, and the plan that turns a
//! playlist's items into exact frame and sample counts.
//!
//! Every boundary is computed from *cumulative* timeline time and then snapped to the
//! grid (a video frame on TV, an audio sample on radio), so rounding never accumulates:
//! after 24 h of 4 s items at 30000/1001 the frame count is exactly `round(86400 · fps)`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::audio_codec::AudioCodec;

const NS_PER_S: u128 = 1_000_000_000;

/// A position or length on the channel timeline, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct MediaTime(u64);

impl MediaTime {
    /// The start of the timeline.
    pub const ZERO: MediaTime = MediaTime(0);

    /// A time from whole nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        MediaTime(ns)
    }

    /// A time from seconds, rounded to the nanosecond; `None` when negative or not finite.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs < 0.0 || secs > (u64::MAX / 2) as f64 / 1e9 {
            return None;
        }
        Some(MediaTime((secs * 1e9).round() as u64))
    }

    /// Nanoseconds.
    pub const fn nanos(self) -> u64 {
        self.0
    }

    /// Seconds (for reports; never for arithmetic).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + other`, saturating.
    pub fn saturating_add(self, other: MediaTime) -> MediaTime {
        MediaTime(self.0.saturating_add(other.0))
    }

    /// `self - other`, or zero.
    pub fn saturating_sub(self, other: MediaTime) -> MediaTime {
        MediaTime(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for MediaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

/// A video frame rate as an exact rational, e.g. 25/1 or 30000/1001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    num: u32,
    den: u32,
}

/// Why a frame rate text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("frame rate {0:?} is not N/D or N with 1 <= N/D <= 300 (e.g. \"25/1\", \"30000/1001\")")]
pub struct BadFrameRate(pub String);

impl FrameRate {
    /// A frame rate `num/den`; refused when zero or above 300 fps.
    ///
    /// # Errors
    /// [`BadFrameRate`] when out of range.
    pub fn new(num: u32, den: u32) -> Result<Self, BadFrameRate> {
        if num == 0 || den == 0 || num < den || u64::from(num) > 300 * u64::from(den) {
            return Err(BadFrameRate(format!("{num}/{den}")));
        }
        Ok(FrameRate { num, den })
    }

    /// Numerator (frames).
    pub const fn num(self) -> u32 {
        self.num
    }

    /// Denominator (seconds).
    pub const fn den(self) -> u32 {
        self.den
    }

    /// The duration of `frames` frames, floored to the nanosecond.
    pub fn frames_to_time(self, frames: u64) -> MediaTime {
        MediaTime((u128::from(frames) * u128::from(self.den) * NS_PER_S / u128::from(self.num)) as u64)
    }

    /// The frame nearest to `t` (half rounds up).
    pub fn time_to_frame(self, t: MediaTime) -> u64 {
        round_div(u128::from(t.0) * u128::from(self.num), u128::from(self.den) * NS_PER_S)
    }
}

impl FromStr for FrameRate {
    type Err = BadFrameRate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadFrameRate(s.to_owned());
        let (n, d) = match s.trim().split_once('/') {
            Some((n, d)) => (n.trim(), d.trim()),
            None => (s.trim(), "1"),
        };
        let num = n.parse::<u32>().map_err(|_| bad())?;
        let den = d.parse::<u32>().map_err(|_| bad())?;
        FrameRate::new(num, den).map_err(|_| bad())
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// The video side of a TV channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormat {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Frames per second.
    pub fps: FrameRate,
}

/// The audio side of every channel: interleaved S16 at `rate` Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// Samples per second per channel (e.g. 48000).
    pub rate: u32,
    /// Channel count (1 or 2).
    pub channels: u32,
}

/// A channel's output format: TV (video + audio) or radio (audio only), and the codec its
/// audio is encoded with on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelFormat {
    /// `None` for radio.
    pub video: Option<VideoFormat>,
    /// Always present.
    pub audio: AudioFormat,
    /// The audio codec on air (AAC unless chosen otherwise).
    pub audio_codec: AudioCodec,
}

impl ChannelFormat {
    /// True when `other` has the same pictures and sound before encoding (size, frame rate,
    /// sample rate, channels): media made or planned for one fits the other, whatever codec
    /// each puts on air.
    pub fn same_raw(&self, other: &ChannelFormat) -> bool {
        self.video == other.video && self.audio == other.audio
    }

    /// True for an audio-only channel.
    pub fn is_radio(&self) -> bool {
        self.video.is_none()
    }

    /// The timeline time of `sample`, floored to the nanosecond.
    pub fn sample_time(&self, sample: u64) -> MediaTime {
        MediaTime((u128::from(sample) * NS_PER_S / u128::from(self.audio.rate)) as u64)
    }

    /// The audio sample at the start of video `frame` (nearest; 0 on radio).
    pub fn sample_at_frame(&self, frame: u64) -> u64 {
        match self.video {
            Some(v) => round_div(
                u128::from(frame) * u128::from(v.fps.den) * u128::from(self.audio.rate),
                u128::from(v.fps.num),
            ),
            None => 0,
        }
    }

    /// Snaps `t` to the channel grid: the nearest frame on TV, the nearest sample on radio.
    /// The audio sample of a TV boundary is the one nearest the frame's exact time, so audio
    /// and video cut at the same instant.
    pub fn boundary(&self, t: MediaTime) -> Boundary {
        let rate = u128::from(self.audio.rate);
        match self.video {
            Some(v) => {
                let frame = v.fps.time_to_frame(t);
                let sample = self.sample_at_frame(frame);
                Boundary { frame, sample, time: v.fps.frames_to_time(frame) }
            }
            None => {
                let sample = round_div(u128::from(t.0) * rate, NS_PER_S);
                Boundary { frame: 0, sample, time: self.sample_time(sample) }
            }
        }
    }
}

/// A point on the channel grid: the frame and sample counters there, and its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Boundary {
    /// Video frames before this point (0 on radio).
    pub frame: u64,
    /// Audio samples (per channel) before this point.
    pub sample: u64,
    /// Timeline time of the point.
    pub time: MediaTime,
}

fn round_div(a: u128, b: u128) -> u64 {
    ((a + b / 2) / b) as u64
}

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

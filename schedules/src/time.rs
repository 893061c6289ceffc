//! Channel time, exact to the frame. Every conversion between frames, exact media time and
//! wall-clock time lives here and nowhere else.
//!
//! Wall clock: channels carry a fixed UTC offset (default +08:00, China Standard Time).
//! China has observed no daylight-saving time since 1991, so a fixed offset
//! (`chrono::FixedOffset`) is exact and avoids pulling in a time-zone database (chrono-tz).
//! A broadcast day therefore always lasts exactly 24 h.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::str::FromStr;

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ScheduleError};

const NANOS_PER_SEC: i128 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// A frame rate as an exact rational (`25/1`, `30000/1001`), 1 to 300 frames per second.
/// Radio channels use a frame rate too: it is the grid their items are cut on (25 fps = 40 ms).
///
/// Text form `N/D` (or `N` for `N/1`); serialised as `{"num": N, "den": D}` where a schedule
/// stores it (a published day), as the `"N/D"` text where a channel format carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawRate", into = "RawRate")]
pub struct FrameRate {
    num: u32,
    den: u32,
}

#[derive(Serialize, Deserialize)]
struct RawRate {
    num: u32,
    den: u32,
}

impl TryFrom<RawRate> for FrameRate {
    type Error = BadFrameRate;
    fn try_from(r: RawRate) -> std::result::Result<Self, BadFrameRate> {
        FrameRate::new(r.num, r.den)
    }
}

impl From<FrameRate> for RawRate {
    fn from(r: FrameRate) -> Self {
        RawRate { num: r.num, den: r.den }
    }
}

/// Why a frame rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("frame rate {0:?} is not N/D or N with 1 <= N/D <= 300 (e.g. \"25/1\", \"30000/1001\")")]
pub struct BadFrameRate(pub String);

impl FrameRate {
    /// 25 fps, the PAL rate Chinese broadcasters use.
    pub const PAL: FrameRate = FrameRate { num: 25, den: 1 };

    /// A rate of `num/den` frames per second.
    ///
    /// # Errors
    /// [`BadFrameRate`] when either part is zero or the rate is below 1 or above 300 fps.
    pub fn new(num: u32, den: u32) -> std::result::Result<Self, BadFrameRate> {
        if num == 0 || den == 0 || num < den || u64::from(num) > 300 * u64::from(den) {
            return Err(BadFrameRate(format!("{num}/{den}")));
        }
        Ok(Self { num, den })
    }

    /// Numerator (frames).
    pub const fn num(self) -> u32 {
        self.num
    }

    /// Denominator (seconds).
    pub const fn den(self) -> u32 {
        self.den
    }

    /// Nominal whole frames per second, used for `HH:MM:SS:FF` timecodes (30 for 29.97).
    pub fn nominal_fps(self) -> i64 {
        (i64::from(self.num) + i64::from(self.den) - 1) / i64::from(self.den)
    }

    /// The media time at which frame `frames` starts, exact to the nanosecond (rounded up,
    /// so that converting back with [`FrameRate::frames_floor`] gives the same frame).
    pub fn to_media(self, frames: Frames) -> MediaTime {
        let n = i128::from(frames.0) * i128::from(self.den) * NANOS_PER_SEC;
        let d = i128::from(self.num);
        let q = n.div_euclid(d);
        MediaTime(clamp_i64(if n.rem_euclid(d) == 0 { q } else { q + 1 }))
    }

    /// How many whole frames fit in `t` (rounded down: a frame is only counted when the
    /// media really covers it).
    pub fn frames_floor(self, t: MediaTime) -> Frames {
        let n = i128::from(t.0) * i128::from(self.num);
        let d = i128::from(self.den) * NANOS_PER_SEC;
        Frames(clamp_i64(n.div_euclid(d)))
    }

    /// The first frame that starts at or after `t` (rounded up).
    pub fn frames_ceil(self, t: MediaTime) -> Frames {
        let n = i128::from(t.0) * i128::from(self.num);
        let d = i128::from(self.den) * NANOS_PER_SEC;
        let q = n.div_euclid(d);
        Frames(clamp_i64(if n.rem_euclid(d) == 0 { q } else { q + 1 }))
    }

    /// The time of frame `frames` of a playout timeline (counted from 0), rounded down to the
    /// nanosecond: the engine's buffer timestamps.
    pub fn frames_to_time(self, frames: u64) -> MediaTime {
        let n = i128::from(frames) * i128::from(self.den) * NANOS_PER_SEC;
        MediaTime(clamp_i64(n / i128::from(self.num)))
    }

    /// The frame of a playout timeline nearest to `t` (half rounds up; 0 before the origin):
    /// where the timeline snaps a boundary.
    pub fn time_to_frame(self, t: MediaTime) -> u64 {
        let n = i128::from(t.0.max(0)) * i128::from(self.num);
        let d = i128::from(self.den) * NANOS_PER_SEC;
        u64::try_from((n + d / 2) / d).unwrap_or(u64::MAX)
    }

    /// Frames in one broadcast day (24 h), rounded up so that the grid covers the whole day.
    pub fn frames_per_day(self) -> Frames {
        self.frames_ceil(MediaTime::from_secs(SECS_PER_DAY))
    }
}

impl FromStr for FrameRate {
    type Err = BadFrameRate;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
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

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// A count of frames at the channel's rate; also an offset from the start of a broadcast day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Frames(pub i64);

impl Add for Frames {
    type Output = Frames;
    fn add(self, o: Frames) -> Frames {
        Frames(self.0.saturating_add(o.0))
    }
}
// Saturating: frame counts come from untrusted playlists and must never overflow (panic).
impl Sub for Frames {
    type Output = Frames;
    fn sub(self, o: Frames) -> Frames {
        Frames(self.0.saturating_sub(o.0))
    }
}
impl AddAssign for Frames {
    fn add_assign(&mut self, o: Frames) {
        *self = *self + o;
    }
}
impl SubAssign for Frames {
    fn sub_assign(&mut self, o: Frames) {
        *self = *self - o;
    }
}

impl Frames {
    /// Zero frames.
    pub const ZERO: Frames = Frames(0);

    /// `HH:MM:SS:FF` at the nominal rate (non-drop-frame).
    pub fn timecode(self, rate: FrameRate) -> String {
        let fps = rate.nominal_fps();
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = i64::try_from(self.0.unsigned_abs()).unwrap_or(i64::MAX);
        let (ff, s) = (v % fps, v / fps);
        format!("{sign}{:02}:{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60, ff)
    }
}

/// Exact media time in nanoseconds: a programme's real duration, an in-point, or a position
/// on a channel timeline. Signed, because a schedule's instants may fall before its day start
/// (frame arithmetic across midnight); the playout timeline only ever holds values >= 0
/// ([`MediaTime::from_secs_f64`] refuses negatives, [`MediaTime::sub_or_zero`] stops at zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MediaTime(pub i64);

impl MediaTime {
    /// Zero: the start of a timeline.
    pub const ZERO: MediaTime = MediaTime(0);

    /// Whole nanoseconds.
    pub const fn from_nanos(ns: i64) -> Self {
        MediaTime(ns)
    }
    /// Whole seconds.
    pub fn from_secs(s: i64) -> Self {
        MediaTime(s.saturating_mul(1_000_000_000))
    }
    /// Milliseconds.
    pub fn from_millis(ms: i64) -> Self {
        MediaTime(ms.saturating_mul(1_000_000))
    }
    /// Seconds, rounded to the nanosecond; `None` when negative, not finite or beyond
    /// ~146 years (the form playlists give durations and in-points in).
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs < 0.0 || secs > (i64::MAX / 2) as f64 / 1e9 {
            return None;
        }
        Some(MediaTime((secs * 1e9).round() as i64))
    }
    /// Nanoseconds.
    pub const fn nanos(self) -> i64 {
        self.0
    }
    /// Nanoseconds as an unsigned count, negative as 0 (what GStreamer clock times and
    /// `std::time::Duration` take: a timeline position before its origin does not air).
    pub fn unsigned_nanos(self) -> u64 {
        u64::try_from(self.0).unwrap_or(0)
    }
    /// As a chrono duration.
    pub fn to_chrono(self) -> ChronoDuration {
        ChronoDuration::nanoseconds(self.0)
    }
    /// Seconds as a float, for display and reports only (never for arithmetic).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// `self + other`, saturating.
    pub fn saturating_add(self, other: MediaTime) -> MediaTime {
        MediaTime(self.0.saturating_add(other.0))
    }
    /// `self - other`, or zero when `other` is later (a length on the timeline).
    pub fn sub_or_zero(self, other: MediaTime) -> MediaTime {
        MediaTime(self.0.saturating_sub(other.0).max(0))
    }
}

impl fmt::Display for MediaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

/// Parses `HH:MM`, `HH:MM:SS`, `HH:MM:SS.mmm` into milliseconds; hours may exceed 23 for
/// durations. Returns milliseconds.
///
/// # Errors
/// `Time` with the reason when the text is not one of those forms.
/// Writes milliseconds as `HH:MM:SS` (with `.mmm` when not whole seconds): the form
/// [`parse_hms_millis`] reads.
///
/// # Errors
/// Only the formatter's.
pub fn write_hms_millis(f: &mut fmt::Formatter<'_>, ms: u32) -> fmt::Result {
    let s = ms / 1000;
    write!(f, "{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)?;
    if !ms.is_multiple_of(1000) {
        write!(f, ".{:03}", ms % 1000)?;
    }
    Ok(())
}

pub fn parse_hms_millis(text: &str) -> Result<i64> {
    let bad = |reason: &str| ScheduleError::Time { text: text.to_owned(), reason: reason.to_owned() };
    let t = text.trim();
    let (main, frac) = match t.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (t, None),
    };
    let parts: Vec<&str> = main.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad("expected HH:MM or HH:MM:SS"));
    }
    let mut nums = [0i64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("fields must be digits"));
        }
        nums[i] = p.parse::<i64>().map_err(|_| bad("fields must be digits"))?;
    }
    if nums[1] > 59 || nums[2] > 59 {
        return Err(bad("minutes and seconds must be below 60"));
    }
    let mut ms = (nums[0] * 3600 + nums[1] * 60 + nums[2]) * 1000;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("fraction must be 1-3 digits"));
        }
        let v: i64 = f.parse().map_err(|_| bad("fraction must be digits"))?;
        ms += v * 10i64.pow(3 - f.len() as u32);
    }
    Ok(ms)
}

/// Parses a timecode `HH:MM:SS:FF` at `rate`, or any form [`parse_hms_millis`] accepts
/// (converted to frames, rounded down).
///
/// # Errors
/// `Time` when the text is malformed or the frame field is not below the nominal rate.
pub fn parse_frames(text: &str, rate: FrameRate) -> Result<Frames> {
    let t = text.trim();
    if t.matches(':').count() == 3 {
        let (hms, ff) = t.rsplit_once(':').unwrap_or((t, "0"));
        let bad = |reason: &str| ScheduleError::Time { text: text.to_owned(), reason: reason.to_owned() };
        if ff.is_empty() || ff.len() > 3 || !ff.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("frame field must be digits"));
        }
        let ff: i64 = ff.parse().map_err(|_| bad("frame field must be digits"))?;
        if ff >= rate.nominal_fps() {
            return Err(bad("frame field must be below the frame rate"));
        }
        let secs = parse_hms_millis(hms)? / 1000;
        return Ok(Frames(secs * rate.nominal_fps() + ff));
    }
    Ok(rate.frames_floor(MediaTime::from_millis(parse_hms_millis(t)?)))
}

/// A time of day on the wall clock (`06:00:00`), at millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Midnight.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    /// From hours, minutes, seconds.
    ///
    /// # Errors
    /// `Time` when a field is out of range.
    pub fn hms(h: u32, m: u32, s: u32) -> Result<Self> {
        if h > 23 || m > 59 || s > 59 {
            return Err(ScheduleError::Time { text: format!("{h}:{m}:{s}"), reason: "out of range".into() });
        }
        Ok(TimeOfDay((h * 3600 + m * 60 + s) * 1000))
    }

    /// Parses `HH:MM[:SS[.mmm]]`, below 24:00.
    ///
    /// # Errors
    /// `Time` when malformed or not below 24:00.
    pub fn parse(text: &str) -> Result<Self> {
        let ms = parse_hms_millis(text)?;
        if ms >= SECS_PER_DAY * 1000 {
            return Err(ScheduleError::Time { text: text.to_owned(), reason: "must be below 24:00".into() });
        }
        Ok(TimeOfDay(ms as u32))
    }

    /// Milliseconds since midnight.
    pub fn millis(self) -> u32 {
        self.0
    }

    /// Milliseconds after `day_start`, wrapping past midnight (02:00 is 20 h after 06:00).
    pub fn millis_after(self, day_start: TimeOfDay) -> i64 {
        (i64::from(self.0) - i64::from(day_start.0)).rem_euclid(SECS_PER_DAY * 1000)
    }

    /// As a chrono time.
    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_num_seconds_from_midnight_opt(self.0 / 1000, (self.0 % 1000) * 1_000_000)
            .unwrap_or(NaiveTime::MIN)
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self> {
        TimeOfDay::parse(&s)
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> String {
        t.to_string()
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hms_millis(f, self.0)
    }
}

/// One broadcast day of one channel on the frame grid: frame 0 is the day start
/// (e.g. 06:00 +08:00 on `date`), and the day lasts [`FrameRate::frames_per_day`] frames.
///
/// This is the single place where frames become wall-clock instants and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayClock {
    /// The broadcast day (the calendar date on which it starts).
    pub date: NaiveDate,
    /// The instant of frame 0.
    pub start: DateTime<FixedOffset>,
    /// The channel's frame rate.
    pub rate: FrameRate,
    /// The day's day start as a time of day (frame 0).
    pub day_start: TimeOfDay,
}

impl DayClock {
    /// The clock of broadcast day `date` starting at `day_start` in `offset`.
    pub fn new(date: NaiveDate, day_start: TimeOfDay, offset: FixedOffset, rate: FrameRate) -> Self {
        let naive = date.and_time(day_start.to_naive());
        // A fixed offset has neither gaps nor folds, so the local time always maps to one instant.
        let start = naive
            .and_local_timezone(offset)
            .single()
            .unwrap_or_else(|| DateTime::from_naive_utc_and_offset(naive - offset_dur(offset), offset));
        Self { date, start, rate, day_start }
    }

    /// Frames in the day.
    pub fn length(&self) -> Frames {
        self.rate.frames_per_day()
    }

    /// The wall-clock instant at which frame `f` starts.
    pub fn instant(&self, f: Frames) -> DateTime<FixedOffset> {
        self.start + self.rate.to_media(f).to_chrono()
    }

    /// The frame showing at instant `t` (rounded down); may be negative or past the day.
    pub fn frame_at(&self, t: DateTime<Utc>) -> Frames {
        let d = t.signed_duration_since(self.start);
        let ns = d.num_nanoseconds().unwrap_or(if d < ChronoDuration::zero() { i64::MIN } else { i64::MAX });
        self.rate.frames_floor(MediaTime(ns))
    }

    /// The first frame at or after time of day `t` within this broadcast day
    /// (times before the day start belong to the next calendar date).
    pub fn frame_of(&self, t: TimeOfDay) -> Frames {
        self.rate.frames_ceil(MediaTime::from_millis(t.millis_after(self.day_start)))
    }

    /// Seconds since the Unix epoch of frame `f` (used for fast comparisons in the generator).
    pub fn unix_secs(&self, f: Frames) -> i64 {
        self.instant(f).timestamp()
    }
}

fn offset_dur(o: FixedOffset) -> ChronoDuration {
    ChronoDuration::seconds(i64::from(o.local_minus_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn pal_day_has_2_160_000_frames() {
        assert_eq!(FrameRate::PAL.frames_per_day(), Frames(2_160_000));
    }

    #[test]
    fn ntsc_day_is_rounded_up_to_cover_the_day() {
        let r = FrameRate::new(30000, 1001).unwrap();
        // 86400 * 30000 / 1001 = 2_589_410.59...
        assert_eq!(r.frames_per_day(), Frames(2_589_411));
        assert_eq!(r.frames_floor(MediaTime::from_secs(86_400)), Frames(2_589_410));
    }

    #[test]
    fn frames_round_trip_through_media_time() {
        let r = FrameRate::new(30000, 1001).unwrap();
        for f in [0, 1, 29, 30, 1799, 107_892, 2_589_410] {
            assert_eq!(r.frames_floor(r.to_media(Frames(f))), Frames(f), "frame {f}");
        }
    }

    #[test]
    fn zero_rate_is_refused() {
        assert!(FrameRate::new(0, 1).is_err());
        assert!(FrameRate::new(25, 0).is_err());
    }

    #[test]
    fn timecode_parses_and_prints() {
        let f = parse_frames("01:00:00:10", FrameRate::PAL).unwrap();
        assert_eq!(f, Frames(90_010));
        assert_eq!(f.timecode(FrameRate::PAL), "01:00:00:10");
        assert!(parse_frames("00:00:00:25", FrameRate::PAL).is_err());
        assert_eq!(parse_frames("00:00:01.5", FrameRate::PAL).unwrap(), Frames(37));
    }

    #[test]
    fn bad_times_are_refused_with_reasons() {
        assert!(TimeOfDay::parse("24:00").is_err());
        assert!(TimeOfDay::parse("12:60").is_err());
        assert!(TimeOfDay::parse("ab:00").is_err());
        assert!(TimeOfDay::parse("12").is_err());
        assert_eq!(TimeOfDay::parse("06:30").unwrap().to_string(), "06:30:00");
    }

    #[test]
    fn day_clock_maps_frames_to_shanghai_wall_clock() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let six = TimeOfDay::parse("06:00").unwrap();
        let c = DayClock::new(date, six, cst(), FrameRate::PAL);
        assert_eq!(c.start.to_rfc3339(), "2026-11-26T06:00:00+08:00");
        assert_eq!(c.instant(Frames(25 * 3600 * 13)).to_rfc3339(), "2026-11-26T19:00:00+08:00");
        // 02:00 belongs to the next calendar date, 20 h into the broadcast day.
        assert_eq!(c.frame_of(TimeOfDay::parse("02:00").unwrap()), Frames(25 * 3600 * 20));
        let t = c.instant(Frames(1234)).with_timezone(&Utc);
        assert_eq!(c.frame_at(t), Frames(1234));
    }

    #[test]
    fn extreme_frame_counts_saturate_instead_of_panicking() {
        assert_eq!(Frames(i64::MAX) + Frames(1), Frames(i64::MAX));
        assert_eq!(Frames(i64::MIN) - Frames(1), Frames(i64::MIN));
        assert!(Frames(i64::MIN).timecode(FrameRate::PAL).starts_with('-'));
    }
}

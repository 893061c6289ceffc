//! A channel: what it is (TV or radio), who owns it, and its clock (frame rate, day start,
//! UTC offset).

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ScheduleError};
use crate::time::{DayClock, FrameRate, TimeOfDay};

/// A GB/T 2260 area code of a media centre (`510400` is the city, `510421` 米易县).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CentreCode(String);

impl CentreCode {
    /// Parses six ASCII digits.
    ///
    /// # Errors
    /// `CentreCode` otherwise.
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ScheduleError::CentreCode(s.to_owned()))
        }
    }
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CentreCode {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self> {
        CentreCode::parse(&s)
    }
}
impl From<CentreCode> for String {
    fn from(c: CentreCode) -> String {
        c.0
    }
}
impl fmt::Display for CentreCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// TV or radio. Decides whether items need video (TV) or must stand alone as audio (radio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Television: every programme item must have video.
    Tv,
    /// Radio: items must be usable as audio alone.
    Radio,
}

/// A channel as the scheduler sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Stable identifier (e.g. `mi-yi-tv`); letters, digits, `-`, `_`, `.`.
    pub id: String,
    /// Display name (e.g. 米易电视台).
    pub name: String,
    /// TV or radio.
    pub kind: ChannelKind,
    /// The owning centre: its programmes count as "own centre" / "local".
    pub centre: CentreCode,
    /// Frame rate of the channel timeline (radio too: it is the cutting grid).
    pub rate: FrameRate,
    /// When the broadcast day starts on the wall clock (typically 06:00).
    pub day_start: TimeOfDay,
    /// Offset from UTC in seconds (default +08:00 = 28800, China Standard Time, no DST).
    #[serde(default = "default_offset")]
    pub utc_offset_secs: i32,
}

fn default_offset() -> i32 {
    8 * 3600
}

impl Channel {
    /// A channel with the network's defaults: 25 fps, day start 06:00, +08:00.
    ///
    /// # Errors
    /// `Identifier` when the id is empty, too long or has characters other than
    /// letters, digits, `-`, `_`, `.`.
    pub fn new(id: &str, name: &str, kind: ChannelKind, centre: CentreCode) -> Result<Self> {
        if id.is_empty()
            || id.len() > 64
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ScheduleError::Identifier(id.to_owned()));
        }
        Ok(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            centre,
            rate: FrameRate::PAL,
            day_start: TimeOfDay::hms(6, 0, 0)?,
            utc_offset_secs: default_offset(),
        })
    }

    /// The channel's UTC offset (falls back to +08:00 if the stored value is out of range).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_secs)
            .or_else(|| FixedOffset::east_opt(default_offset()))
            .unwrap_or_else(|| chrono::Utc.fix())
    }

    /// The frame clock of broadcast day `date`.
    pub fn day(&self, date: NaiveDate) -> DayClock {
        DayClock::new(date, self.day_start, self.offset(), self.rate)
    }

    /// The broadcast day on air at instant `t`: the one starting on `t`'s local date when
    /// its day start has passed, else the day before's.
    pub fn day_at(&self, t: DateTime<Utc>) -> DayClock {
        let date = t.with_timezone(&self.offset()).date_naive();
        let today = self.day(date);
        match date.pred_opt() {
            Some(before) if today.start > t => self.day(before),
            _ => today,
        }
    }

    /// True for TV channels.
    pub fn is_tv(&self) -> bool {
        self.kind == ChannelKind::Tv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_codes_must_be_six_digits() {
        assert!(CentreCode::parse("510421").is_ok());
        assert!(CentreCode::parse("51042").is_err());
        assert!(CentreCode::parse("51042x").is_err());
    }

    #[test]
    fn channel_defaults_to_pal_six_oclock_shanghai() {
        let c = Channel::new("miyi-tv", "米易电视台", ChannelKind::Tv, CentreCode::parse("510421").unwrap()).unwrap();
        let d = c.day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(d.start.to_rfc3339(), "2026-01-01T06:00:00+08:00");
        assert!(Channel::new("bad id", "x", ChannelKind::Radio, c.centre.clone()).is_err());
    }

    #[test]
    fn the_day_on_air_starts_at_the_channels_own_day_start_and_offset() {
        let mut c =
            Channel::new("pzh-fm", "攀枝花广播", ChannelKind::Radio, CentreCode::parse("510400").unwrap()).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(c.day_at(at("2026-11-26T07:00:00+08:00")).start.to_rfc3339(), "2026-11-26T06:00:00+08:00");
        assert_eq!(c.day_at(at("2026-11-26T05:59:59+08:00")).start.to_rfc3339(), "2026-11-25T06:00:00+08:00");
        c.day_start = TimeOfDay::hms(5, 0, 0).unwrap();
        c.utc_offset_secs = 0;
        assert_eq!(c.day_at(at("2026-11-26T05:30:00+00:00")).start.to_rfc3339(), "2026-11-26T05:00:00+00:00");
    }

    #[test]
    fn channel_round_trips_through_json() {
        let c = Channel::new("pzh-fm", "攀枝花广播", ChannelKind::Radio, CentreCode::parse("510400").unwrap()).unwrap();
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Channel>(&j).unwrap(), c);
    }
}

//! Channel templates: clocks (hour formats) and day/week grids of blocks, plus quotas and the
//! filler policy. A template is data (serde); [`Template::plan`] turns it into the frame-exact
//! blocks of one broadcast day, and [`check`] reports everything wrong with it.

mod check;
mod rules;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeId;
use crate::channel::Channel;
use crate::error::{Result, ScheduleError};
use crate::time::{parse_hms_millis, DayClock, Frames, MediaTime, TimeOfDay};

pub use check::{check, Problem};
pub use rules::{CategoryRule, FillerRule, Filter, Quota, QuotaMin};

/// A length of time in a template (`"00:30:00"`, `"01:00"` = one hour), millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span(u32);

impl Span {
    /// Parses `HH:MM[:SS[.mmm]]` up to 24 h.
    ///
    /// # Errors
    /// `Time` when malformed or longer than a day.
    pub fn parse(text: &str) -> Result<Self> {
        let ms = parse_hms_millis(text)?;
        if ms > 86_400_000 {
            return Err(ScheduleError::Time { text: text.into(), reason: "longer than a day".into() });
        }
        Ok(Span(ms as u32))
    }
    /// From whole seconds (saturating at a day).
    pub fn from_secs(s: u32) -> Self {
        Span(s.min(86_400) * 1000)
    }
    /// Milliseconds.
    pub fn millis(self) -> u32 {
        self.0
    }
    /// As exact media time.
    pub fn media(self) -> MediaTime {
        MediaTime::from_millis(i64::from(self.0))
    }
}
impl TryFrom<String> for Span {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self> {
        Span::parse(&s)
    }
}
impl From<Span> for String {
    fn from(s: Span) -> String {
        s.to_string()
    }
}
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::time::write_hms_millis(f, self.0)
    }
}

/// What a block does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockKind {
    /// A fixed-time event: this programme, hard start.
    Fixed {
        /// The programme.
        programme: ProgrammeId,
    },
    /// A live relay (e.g. the 19:00 national news), hard start, exactly the block's length.
    Live {
        /// Source URI.
        uri: String,
        /// Title for the EPG.
        title: String,
    },
    /// Programmes chosen by rule.
    Category(CategoryRule),
    /// Interstitials only (idents, PSAs).
    Filler,
}

impl BlockKind {
    /// Fixed events and live relays start at a hard time.
    pub fn is_hard(&self) -> bool {
        matches!(self, BlockKind::Fixed { .. } | BlockKind::Live { .. })
    }
}

/// A block placed at a time of day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Wall-clock start.
    pub start: TimeOfDay,
    /// Length.
    pub length: Span,
    /// What it does.
    #[serde(flatten)]
    pub kind: BlockKind,
    /// Name shown in explanations (defaults to kind and time).
    #[serde(default)]
    pub label: Option<String>,
}

/// A block inside an hour clock, at an offset from the top of the hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockSegment {
    /// Offset from the top of the hour (`"00:15:00"`).
    pub at: Span,
    /// Length (offset + length must stay within the hour).
    pub length: Span,
    /// What it does.
    #[serde(flatten)]
    pub kind: BlockKind,
    /// Name shown in explanations.
    #[serde(default)]
    pub label: Option<String>,
}

/// An hour format, reused across hours of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    /// Name referred to by day grids.
    pub name: String,
    /// Its segments.
    pub segments: Vec<ClockSegment>,
}

/// Use of a clock at some hours of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockUse {
    /// Clock name.
    pub clock: String,
    /// Wall-clock hours (0-23) at which it runs.
    pub hours: Vec<u8>,
}

/// One day's grid: clocks at hours and free-standing blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayGrid {
    /// Clocks at hours.
    #[serde(default)]
    pub clocks: Vec<ClockUse>,
    /// Blocks at times of day.
    #[serde(default)]
    pub blocks: Vec<Block>,
}

/// The week: a default day and per-weekday replacements (`mon` .. `sun`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeekGrid {
    /// Used on every weekday without its own grid.
    pub default: DayGrid,
    /// Replacements keyed `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[serde(default)]
    pub weekdays: BTreeMap<String, DayGrid>,
}

/// A channel's template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Name.
    pub name: String,
    /// Hour clocks.
    #[serde(default)]
    pub clocks: Vec<Clock>,
    /// Day grids.
    pub week: WeekGrid,
    /// Minimum airtime rules over the day.
    #[serde(default)]
    pub quotas: Vec<Quota>,
    /// How gaps are closed.
    #[serde(default)]
    pub fillers: FillerRule,
}

/// Weekday keys in `WeekGrid::weekdays`.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A block of one broadcast day on the frame grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBlock {
    /// First frame.
    pub start: Frames,
    /// First frame after.
    pub end: Frames,
    /// What it does.
    pub kind: BlockKind,
    /// Name for explanations.
    pub label: String,
    /// Where it came from in the template (for problems).
    pub location: String,
}

impl Template {
    /// Parses a template from JSON.
    ///
    /// # Errors
    /// `Template` with one `parse` problem giving serde's message, line and column.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            ScheduleError::Template(vec![Problem {
                code: "parse".into(),
                message: e.to_string(),
                location: format!("line {} column {}", e.line(), e.column()),
                params: Default::default(),
            }])
        })
    }

    /// The grid of the weekday of `date` (a broadcast day's weekday is that of its start).
    pub fn grid_for(&self, date: NaiveDate) -> (&DayGrid, String) {
        let key = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
        match self.week.weekdays.get(key) {
            Some(g) => (g, format!("week.weekdays.{key}")),
            None => (&self.week.default, "week.default".to_owned()),
        }
    }

    /// The blocks of broadcast day `date` on `channel`'s frame grid, sorted by start.
    /// Unknown clocks and bad hours are skipped here; [`check`] reports them.
    pub fn plan(&self, channel: &Channel, date: NaiveDate) -> Vec<PlannedBlock> {
        let clock = channel.day(date);
        let (grid, loc) = self.grid_for(date);
        plan_grid(self, grid, &loc, &clock)
    }
}

pub(crate) fn plan_grid(t: &Template, grid: &DayGrid, loc: &str, clock: &DayClock) -> Vec<PlannedBlock> {
    let mut out = Vec::new();
    let mut place = |start_ms: i64, length: Span, kind: &BlockKind, label: &Option<String>, location: String| {
        let from = clock.rate.frames_ceil(MediaTime::from_millis(start_ms));
        let to = clock.rate.frames_ceil(MediaTime::from_millis(start_ms + i64::from(length.millis())));
        let tod = clock.instant(from).format("%H:%M:%S");
        out.push(PlannedBlock {
            start: from,
            end: to,
            kind: kind.clone(),
            label: label.clone().unwrap_or_else(|| format!("{} {tod}", kind_name(kind))),
            location,
        });
    };
    for (i, b) in grid.blocks.iter().enumerate() {
        place(b.start.millis_after(clock.day_start), b.length, &b.kind, &b.label, format!("{loc}.blocks[{i}]"));
    }
    for (i, u) in grid.clocks.iter().enumerate() {
        let Some(c) = t.clocks.iter().find(|c| c.name == u.clock) else {
            continue;
        };
        for &h in u.hours.iter().filter(|&&h| h < 24) {
            let Ok(top) = TimeOfDay::hms(u32::from(h), 0, 0) else {
                continue;
            };
            for (j, s) in c.segments.iter().enumerate() {
                let start = top.millis_after(clock.day_start) + i64::from(s.at.millis());
                let label = s.label.as_ref().map(|l| format!("{l} {h:02}h"));
                place(start, s.length, &s.kind, &label, format!("{loc}.clocks[{i}] {} {h:02}h segment {j}", c.name));
            }
        }
    }
    out.sort_by_key(|b| (b.start, b.end));
    out
}

fn kind_name(k: &BlockKind) -> &'static str {
    match k {
        BlockKind::Fixed { .. } => "fixed",
        BlockKind::Live { .. } => "live",
        BlockKind::Category(_) => "category",
        BlockKind::Filler => "filler",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::channel::{CentreCode, ChannelKind};

    pub fn channel() -> Channel {
        Channel::new("pzh-tv1", "攀枝花电视台", ChannelKind::Tv, CentreCode::parse("510400").unwrap()).unwrap()
    }

    pub fn sample() -> Template {
        serde_json::from_value(serde_json::json!({
            "name": "weekday",
            "clocks": [{
                "name": "agri-hour",
                "segments": [
                    {"at": "00:00", "length": "00:30", "type": "category",
                     "filter": {"categories": ["涉农"]}},
                    {"at": "00:30", "length": "00:30", "type": "category",
                     "filter": {"categories": ["news"]}}
                ]
            }],
            "week": {"default": {
                "clocks": [{"clock": "agri-hour", "hours": [6, 7, 8]}],
                "blocks": [
                    {"start": "19:00", "length": "00:30", "type": "live",
                     "uri": "srt://cctv:9000", "title": "新闻联播"}
                ]
            }},
            "quotas": [{"name": "涉农 30 min", "filter": {"categories": ["涉农"]},
                        "from": "06:00", "until": "22:00", "min": {"minutes": 30}}]
        }))
        .unwrap()
    }

    #[test]
    fn template_plans_clock_hours_and_fixed_blocks_on_the_frame_grid() {
        let t = sample();
        let plan = t.plan(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert_eq!(plan.len(), 7);
        assert_eq!(plan[0].start, Frames(0));
        assert_eq!(plan[1].start, Frames(25 * 1800));
        let live = plan.last().unwrap();
        assert_eq!(live.start, Frames(25 * 3600 * 13));
        assert_eq!(live.end - live.start, Frames(25 * 1800));
        assert!(live.kind.is_hard());
    }

    #[test]
    fn bad_json_is_a_located_parse_problem() {
        let err =
            Template::from_json("{\"name\": \"x\",\n \"week\": {\"default\": {\"blocks\": [{\"start\": \"25:00\"}]}}}")
                .unwrap_err();
        let ScheduleError::Template(p) = err else { panic!("{err}") };
        assert_eq!(p[0].code, "parse");
        assert!(p[0].message.contains("below 24:00"), "{}", p[0].message);
        assert!(p[0].location.starts_with("line 2"), "{}", p[0].location);
    }

    #[test]
    fn weekday_grids_replace_the_default() {
        let mut t = sample();
        t.week.weekdays.insert("sun".into(), DayGrid::default());
        // 2026-11-29 is a Sunday.
        assert!(t.plan(&channel(), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()).is_empty());
        assert!(!t.plan(&channel(), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()).is_empty());
    }
}

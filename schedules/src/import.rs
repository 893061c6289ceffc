//! CSV import of one broadcast day: `start,programme,duration[,timing]`, all or nothing,
//! every problem reported with its line number.
//!
//! - `start`: wall-clock `HH:MM:SS` or `HH:MM:SS:FF`; times before the day start belong to
//!   the next calendar date (01:00 is late in a day starting at 06:00).
//! - `programme`: a catalog id, else an exact unique title; `live:<name>` for a live relay
//!   of the centre's list (checked against the list by the caller: see [`crate::relay`]).
//! - `duration`: `HH:MM:SS[:FF]`; empty means the media's full length (not allowed for live).
//! - `timing` (optional): `hard` or `soft` (default soft).

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeLookup;
use crate::channel::Channel;
use crate::error::{Result, ScheduleError};
use crate::playlist::{ItemKind, Playlist, PlaylistItem, Source, Timing};
use crate::time::{parse_frames, Frames, TimeOfDay};

/// A problem on one line of the CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Imports a day from CSV text.
///
/// # Errors
/// `Import` with every line error (nothing is imported), or `Csv` when the text cannot be
/// read as CSV at all.
pub fn import_day_csv(
    text: &str,
    channel: &Channel,
    date: NaiveDate,
    catalog: &impl ProgrammeLookup,
) -> Result<Playlist> {
    let lines = Lines::new(text);
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let headers: Vec<String> = rdr.headers()?.iter().map(str::to_lowercase).collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(c_start), Some(c_prog), Some(c_dur)) = (col("start"), col("programme"), col("duration")) else {
        return Err(ScheduleError::Import(vec![LineError {
            line: 1,
            message: format!("header must name start, programme and duration columns; found {headers:?}"),
        }]));
    };
    let c_timing = col("timing");
    let clock = channel.day(date);
    let rate = channel.rate;
    let mut items: Vec<(u64, PlaylistItem)> = Vec::new();
    let mut starts: HashMap<Frames, u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                errors.push(LineError { line, message: format!("unreadable CSV record: {e}") });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.line_of(p.byte()));
        let mut err = |m: String| errors.push(LineError { line, message: m });
        let field = |i: usize| rec.get(i).unwrap_or("");
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let start = match parse_start(field(c_start), &clock, rate) {
            Ok(f) => f,
            Err(e) => {
                err(format!("bad start {:?}: {e}", field(c_start)));
                continue;
            }
        };
        if let Some(first) = starts.get(&start) {
            err(format!("duplicate start {} (first on line {first})", field(c_start)));
            continue;
        }
        starts.insert(start, line);
        let timing = match c_timing.map(field).unwrap_or("") {
            "" | "soft" => Timing::Soft,
            "hard" => Timing::Hard,
            t => {
                err(format!("timing {t:?} is neither hard nor soft"));
                continue;
            }
        };
        let dur_text = field(c_dur);
        let dur = if dur_text.is_empty() {
            None
        } else {
            match parse_frames(dur_text, rate) {
                Ok(f) if f > Frames::ZERO => Some(f),
                Ok(_) => {
                    err(format!("duration {dur_text:?} must be positive"));
                    continue;
                }
                Err(e) => {
                    err(format!("bad duration {dur_text:?}: {e}"));
                    continue;
                }
            }
        };
        let prog = field(c_prog);
        let item = if let Some(uri) = prog.strip_prefix("live:") {
            let Some(d) = dur else {
                err("a live relay needs a duration".into());
                continue;
            };
            PlaylistItem {
                start,
                duration: d,
                timing,
                source: Source::Live { uri: uri.to_owned() },
                in_point: Frames::ZERO,
                title: uri.to_owned(),
                kind: ItemKind::Live,
                category: "live".into(),
                locked: false,
                why: None,
                reason: None,
            }
        } else {
            let found = crate::ProgrammeId::parse(prog).ok().and_then(|id| catalog.by_id(&id));
            let p = match found {
                Some(p) => p,
                None => match catalog.by_title(prog).as_slice() {
                    [p] => *p,
                    [] => {
                        err(format!("unknown programme {prog:?} (neither an id nor a title in the catalog)"));
                        continue;
                    }
                    many => {
                        err(format!("title {prog:?} is ambiguous ({} programmes); use the id", many.len()));
                        continue;
                    }
                },
            };
            let media = rate.frames_floor(p.duration);
            let d = dur.unwrap_or(media);
            if d > media {
                err(format!(
                    "duration {} is longer than the media of {} ({})",
                    d.timecode(rate),
                    p.title,
                    media.timecode(rate)
                ));
                continue;
            }
            if d <= Frames::ZERO {
                err(format!("{} has no media length", p.title));
                continue;
            }
            PlaylistItem {
                start,
                duration: d,
                timing,
                source: Source::Programme { id: p.id.clone() },
                in_point: Frames::ZERO,
                title: p.title.clone(),
                kind: ItemKind::Programme,
                category: p.category.clone(),
                locked: false,
                why: Some(format!("imported from CSV line {line}")),
                reason: Some(crate::phrase::Phrase::new("imported").with("line", line)),
            }
        };
        items.push((line, item));
    }
    items.sort_by_key(|(_, it)| it.start);
    for w in items.windows(2) {
        if let [(la, a), (lb, b)] = w {
            if b.start < a.end() {
                errors.push(LineError {
                    line: *lb,
                    message: format!("starts {} before the item of line {la} ends", (a.end() - b.start).timecode(rate)),
                });
            }
        }
    }
    if let Some((l, last)) = items.last() {
        if last.end() > clock.length() {
            errors.push(LineError { line: *l, message: "runs past the end of the broadcast day".into() });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ScheduleError::Import(errors));
    }
    let mut p = Playlist::empty(channel, date);
    p.items = items.into_iter().map(|(_, i)| i).collect();
    Ok(p)
}

/// Line numbers from byte offsets. (The csv crate's own line count is one short for records
/// after a CRLF line end, which is what spreadsheets write.)
struct Lines<'a> {
    text: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        Self { text, newlines: text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect() }
    }

    /// 1-based line of the record starting at (or just before the line end preceding) `byte`.
    fn line_of(&self, byte: u64) -> u64 {
        let mut b = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(self.text.get(b), Some(b'\r' | b'\n')) {
            b += 1;
        }
        self.newlines.partition_point(|&n| n < b) as u64 + 1
    }
}

fn parse_start(text: &str, clock: &crate::time::DayClock, rate: crate::time::FrameRate) -> Result<Frames> {
    let (hms, ff) = if text.matches(':').count() == 3 {
        let (a, b) = text.rsplit_once(':').unwrap_or((text, "0"));
        (a, Some(b))
    } else {
        (text, None)
    };
    let tod = TimeOfDay::parse(hms)?;
    let mut f = clock.frame_of(tod);
    if let Some(ff) = ff {
        f += parse_frames(&format!("00:00:00:{ff}"), rate)?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests;

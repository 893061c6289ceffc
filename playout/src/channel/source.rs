//! Where a channel's schedule comes from and where its as-run goes: two small traits the
//! server implements in-process over the catalog (and a remote node over the API), plus the
//! file-based implementations a stand-alone node and the tests use.
//!
//! Both traits are blocking: the engine runs on its own thread and the runner calls them from
//! its own helper threads (never from the engine's frame loop), so an implementation over an
//! async store simply blocks on its runtime handle (`Handle::block_on` is allowed on a thread
//! the runtime does not own). That keeps `playout` free of any async runtime.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::asrun::AsRunRecord;
use crate::playlist::{OnAirPlaylist, PlaylistError};
use crate::si::GuideEvent;

/// Why the published schedule could not be read. The runner keeps airing what it has loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The source is unreachable for now (API, database or disk down): try again later.
    #[error("schedule source unavailable: {0}")]
    Unavailable(String),
    /// The source answered with something unusable.
    #[error(transparent)]
    OnAirPlaylist(#[from] PlaylistError),
    /// A playlist without wall-clock times cannot be placed on a 24/7 channel.
    #[error("published playlist {0:?} has no wall-clock start")]
    NoStart(String),
}

/// The published playlists of a channel. Implemented by the server over the catalog
/// (in-process) and over HTTP for a remote playout node; [`FileSource`] reads JSON files.
pub trait PlaylistSource: Send + Sync {
    /// The published playlists that overlap `from..until` (wall clock), each with wall-clock
    /// starts (a `start` on the playlist or its first item). Order does not matter; where two
    /// overlap, the later one's first item starts hard at its time.
    ///
    /// # Errors
    /// [`SourceError`]; the runner then keeps what it has loaded and asks again later.
    fn published(
        &self,
        channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError>;

    /// The programme guide for `from..until` (the EIT of the channel's TS): by default each
    /// titled item of [`PlaylistSource::published`] in the slot it airs in, without a
    /// category; the server's catalog source gives the published days' programmes with
    /// their categories.
    ///
    /// # Errors
    /// As [`PlaylistSource::published`].
    fn guide(&self, channel: &str, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<GuideEvent>, SourceError> {
        Ok(guide_of(self.published(channel, from, until)?, from, until))
    }
}

/// The titled items of `playlists` (merged as the channel airs them) that overlap
/// `from..until`, as guide events.
pub fn guide_of(playlists: Vec<OnAirPlaylist>, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<GuideEvent> {
    let Some(format) = playlists.first().map(|p| p.format) else { return Vec::new() };
    let (merged, _) = super::window::merge(&format, playlists);
    let agenda = merged.as_ref().map(super::window::agenda).unwrap_or_default();
    agenda
        .into_iter()
        .filter(|e| e.end > from && e.start < until)
        .filter_map(|e| {
            let title = e.item.title?;
            Some(GuideEvent { start: e.start, end: e.end, title, category: None })
        })
        .collect()
}

/// Where as-run records go (the catalog in-process, the API from a remote node). Called from
/// the runner's as-run thread, never the engine's: a slow sink delays the log, not the air.
/// A sink that cannot deliver should queue and retry itself; the runner does not.
pub trait AsRunSink: Send + Sync {
    /// Stores one record of `channel`.
    fn record(&self, channel: &str, record: &AsRunRecord);

    /// Stores the provisional record of an item that has just gone on air (`on_air`; its
    /// final record follows through [`AsRunSink::record`] and replaces it). A sink whose store
    /// merges lines by slot (the catalog) keeps it, so a node that dies mid-item leaves a line;
    /// others ignore it (the default).
    fn started(&self, _channel: &str, _record: &AsRunRecord) {}
}

/// Playlists from a JSON file (or every `*.json` file of a directory, e.g. one per day) in
/// the format of `docs/playlist.md`, with wall-clock `start`s. Files are re-read when their
/// modification time or size changes; a file that does not parse (half written) is an error,
/// so the runner keeps the previous version.
pub struct FileSource {
    path: PathBuf,
    cache: Mutex<Vec<Read>>,
}

/// A file as last read: (path, modification time, size, playlist).
type Read = (PathBuf, Option<SystemTime>, u64, OnAirPlaylist);

impl FileSource {
    /// Reads from `path`: a playlist file, or a directory of them.
    pub fn new(path: impl Into<PathBuf>) -> FileSource {
        FileSource { path: path.into(), cache: Mutex::new(Vec::new()) }
    }

    fn files(&self) -> Result<Vec<PathBuf>, SourceError> {
        let unavailable = |e: std::io::Error| SourceError::Unavailable(format!("{}: {e}", self.path.display()));
        if !self.path.is_dir() {
            return Ok(vec![self.path.clone()]);
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.path).map_err(unavailable)? {
            let path = entry.map_err(unavailable)?.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    fn load(&self, path: &Path, cache: &[Read]) -> Result<OnAirPlaylist, SourceError> {
        let meta = std::fs::metadata(path).map_err(|e| SourceError::Unavailable(format!("{}: {e}", path.display())))?;
        let modified = meta.modified().ok();
        if let Some((.., p)) = cache.iter().find(|(p, m, len, _)| p == path && *m == modified && *len == meta.len()) {
            return Ok(p.clone());
        }
        let playlist = OnAirPlaylist::load(path)?;
        if playlist.origin.is_none() {
            return Err(SourceError::NoStart(path.display().to_string()));
        }
        Ok(playlist)
    }
}

impl PlaylistSource for FileSource {
    fn published(
        &self,
        _channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError> {
        let files = self.files()?;
        let mut cache = self.cache.lock().map_err(|_| SourceError::Unavailable("cache poisoned".to_owned()))?;
        let mut fresh = Vec::with_capacity(files.len());
        for path in files {
            let playlist = self.load(&path, &cache)?;
            let meta = std::fs::metadata(&path).ok();
            fresh.push((path, meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len()), playlist));
        }
        *cache = fresh;
        Ok(cache
            .iter()
            .map(|(.., p)| p)
            .filter(|p| crate::channel::window::overlaps(p, from, until))
            .cloned()
            .collect())
    }
}

/// As-run as JSON lines appended to a file (one object per record, with `channel`): the
/// durable log of a stand-alone node.
pub struct JsonLinesAsRun {
    path: PathBuf,
    lock: Mutex<()>,
}

impl JsonLinesAsRun {
    /// Appends to `path` (created, with its directory, when missing).
    pub fn new(path: impl Into<PathBuf>) -> JsonLinesAsRun {
        JsonLinesAsRun { path: path.into(), lock: Mutex::new(()) }
    }
}

impl AsRunSink for JsonLinesAsRun {
    fn record(&self, channel: &str, record: &AsRunRecord) {
        let _guard = self.lock.lock();
        let line = serde_json::json!({ "channel": channel, "record": record });
        let open = || OpenOptions::new().create(true).append(true).open(&self.path);
        let file = open().or_else(|e| match self.path.parent() {
            Some(dir) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir).and_then(|()| open()),
            _ => Err(e),
        });
        let written = file.and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            tracing::error!(path = %self.path.display(), error = %e, "cannot write the as-run log");
        }
    }
}

/// As-run kept in memory: for tests, and for a server that forwards it elsewhere.
#[derive(Default)]
pub struct MemoryAsRun {
    records: Mutex<Vec<(String, AsRunRecord)>>,
}

impl MemoryAsRun {
    /// Everything recorded so far, as (channel, record).
    pub fn records(&self) -> Vec<(String, AsRunRecord)> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl AsRunSink for MemoryAsRun {
    fn record(&self, channel: &str, record: &AsRunRecord) {
        if let Ok(mut r) = self.records.lock() {
            r.push((channel.to_owned(), record.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(start: &str, source: &str) -> String {
        format!(
            r#"{{"format":{{"kind":"radio"}},"start":"{start}","items":[{{"source":"{source}","duration":3600}}]}}"#
        )
    }

    #[test]
    fn a_directory_of_days_is_read_and_re_read_when_a_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d1.json"), day("2026-11-26T08:00:00Z", "a.wav")).unwrap();
        std::fs::write(dir.path().join("d2.json"), day("2026-11-27T08:00:00Z", "b.wav")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a playlist").unwrap();
        let source = FileSource::new(dir.path());
        let (from, until) = (at("2026-11-26T08:30:00Z"), at("2026-11-28T00:00:00Z"));
        assert_eq!(source.published("c", from, until).unwrap().len(), 2);
        // Only what overlaps the window.
        assert_eq!(source.published("c", from, at("2026-11-26T10:00:00Z")).unwrap().len(), 1);
        std::fs::write(dir.path().join("d1.json"), day("2026-11-26T08:00:00Z", "changed.wav")).unwrap();
        let p = source.published("c", from, at("2026-11-26T10:00:00Z")).unwrap();
        assert_eq!(p[0].items[0].source.to_string(), dir.path().join("changed.wav").display().to_string());
    }

    #[test]
    fn half_written_or_timeless_playlists_are_errors_and_a_missing_file_is_an_outage() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("day.json");
        let source = FileSource::new(&file);
        let (from, until) = (at("2026-11-26T08:00:00Z"), at("2026-11-27T08:00:00Z"));
        assert!(matches!(source.published("c", from, until), Err(SourceError::Unavailable(_))));
        std::fs::write(&file, &day("2026-11-26T08:00:00Z", "a.wav")[..40]).unwrap();
        assert!(matches!(source.published("c", from, until), Err(SourceError::OnAirPlaylist(_))));
        std::fs::write(&file, r#"{"format":{"kind":"radio"},"items":[{"source":"a","duration":1}]}"#).unwrap();
        assert!(matches!(source.published("c", from, until), Err(SourceError::NoStart(_))));
    }

    #[test]
    fn json_lines_as_run_creates_its_directory_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("asrun/tv.jsonl");
        let sink = JsonLinesAsRun::new(&path);
        let seg = crate::timeline::Segment {
            kind: crate::timeline::SegmentKind::Gap,
            scheduled: crate::timeline::MediaTime::ZERO,
            start: crate::timeline::Boundary { frame: 0, sample: 0, time: crate::timeline::MediaTime::ZERO },
            end: crate::timeline::Boundary { frame: 0, sample: 0, time: crate::timeline::MediaTime::ZERO },
            cut_by: None,
        };
        let record = AsRunRecord::for_segment(&seg);
        sink.record("tv", &record);
        sink.record("tv", &record);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["channel"], "tv");
        assert_eq!(line["record"]["outcome"], "played");
    }
}

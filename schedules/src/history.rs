//! What has been aired recently (`PlayHistory`): drives rotation (least recently played
//! first) and separation (same programme / series not within N / M hours).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeId;
use crate::playlist::{ItemKind, Playlist, Source};

/// One airing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayRecord {
    /// What aired.
    pub programme: ProgrammeId,
    /// Its series, if any.
    #[serde(default)]
    pub series: Option<String>,
    /// When it started.
    pub aired_at: DateTime<Utc>,
}

/// Recent airings, indexed by programme and series (latest airing wins).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlayHistory {
    programmes: HashMap<ProgrammeId, i64>,
    series: HashMap<String, i64>,
}

impl PlayHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// From airing records (as-run or published playlists).
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a PlayRecord>) -> Self {
        let mut h = Self::new();
        for r in records {
            h.record(&r.programme, r.series.as_deref(), r.aired_at.timestamp());
        }
        h
    }

    /// Records one airing at Unix second `at`.
    pub fn record(&mut self, programme: &ProgrammeId, series: Option<&str>, at: i64) {
        let e = self.programmes.entry(programme.clone()).or_insert(at);
        *e = (*e).max(at);
        if let Some(s) = series {
            let e = self.series.entry(s.to_owned()).or_insert(at);
            *e = (*e).max(at);
        }
    }

    /// Records every programme item of a playlist (fillers included: they rotate too).
    /// `series_of` resolves a programme's series.
    pub fn record_playlist(&mut self, playlist: &Playlist, series_of: impl Fn(&ProgrammeId) -> Option<String>) {
        let clock = playlist.clock();
        for item in &playlist.items {
            if let (Source::Programme { id }, ItemKind::Programme | ItemKind::Filler) = (&item.source, item.kind) {
                let s = series_of(id);
                self.record(id, s.as_deref(), clock.unix_secs(item.start));
            }
        }
    }

    /// Latest airing of a programme (Unix seconds).
    pub fn last_programme(&self, id: &ProgrammeId) -> Option<i64> {
        self.programmes.get(id).copied()
    }

    /// Latest airing of any episode of a series (Unix seconds).
    pub fn last_series(&self, series: &str) -> Option<i64> {
        self.series.get(series).copied()
    }

    /// Every programme with its latest airing (Unix seconds).
    pub fn programmes(&self) -> impl Iterator<Item = (&ProgrammeId, i64)> {
        self.programmes.iter().map(|(k, v)| (k, *v))
    }

    /// Number of programmes with an airing.
    pub fn len(&self) -> usize {
        self.programmes.len()
    }

    /// True when nothing has aired.
    pub fn is_empty(&self) -> bool {
        self.programmes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_airing_wins() {
        let id = ProgrammeId::parse("p").unwrap();
        let mut h = PlayHistory::new();
        h.record(&id, Some("s"), 100);
        h.record(&id, Some("s"), 50);
        assert_eq!(h.last_programme(&id), Some(100));
        assert_eq!(h.last_series("s"), Some(100));
        assert_eq!(h.last_series("t"), None);
    }
}

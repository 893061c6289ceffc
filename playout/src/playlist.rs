//! The engine's playlist: JSON in, a validated [`Playlist`] out (format in `docs/playlist.md`).
//!
//! A `Playlist` that exists is valid: every duration is positive, every frame rate exact,
//! every wall-clock start placed on the timeline. Problems are all reported at once, each
//! with the JSON path of the field at fault.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use schedules::format::FormatKind;

use crate::timeline::{ChannelFormat, MediaTime, PlanItem};

/// Longest item accepted (48 h): longer is a typo, not a programme.
const MAX_ITEM_S: f64 = 48.0 * 3600.0;

/// A playlist that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaylistError {
    /// The file could not be read.
    #[error("cannot read playlist {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON, or not the playlist's shape.
    #[error("playlist is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// Well-formed JSON whose values are not usable.
    #[error("playlist is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Whether an item is a file (seekable, finite) or a live source (a stream, joined as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A file or other seekable URI.
    #[default]
    File,
    /// A live stream (UDP, SRT, RTMP, …): no in-point.
    Live,
}

/// Where an item's media comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file path.
    Path(PathBuf),
    /// A URI with a scheme (`file://`, `udp://`, `srt://`, `http://` …).
    Uri(String),
    /// Frames and samples made in process (an emergency alert programme): nothing to open or
    /// decode, so an override with it is on air at the next frame. Never parsed from JSON.
    Generated(crate::input::Generated),
}

impl Source {
    fn parse(text: &str, base: Option<&Path>) -> Source {
        let is_uri = text.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
        });
        if is_uri {
            return Source::Uri(text.to_owned());
        }
        let path = PathBuf::from(text);
        match base {
            Some(dir) if path.is_relative() => Source::Path(dir.join(path)),
            _ => Source::Path(path),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(p) => write!(f, "{}", p.display()),
            Source::Uri(u) => f.write_str(u),
            Source::Generated(g) => f.write_str(g.label()),
        }
    }
}

/// One validated playlist item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Media to play.
    pub source: Source,
    /// Where in the source to start.
    pub in_point: MediaTime,
    /// How long it plays on the channel.
    pub duration: MediaTime,
    /// File or live.
    pub kind: ItemKind,
    /// Optional human title (as-run).
    pub title: Option<String>,
    /// Optional identity (e.g. the schedule's event id), echoed in the as-run.
    pub id: Option<String>,
    /// Optional wall-clock start.
    pub start: Option<DateTime<FixedOffset>>,
    /// `start` as a timeline position (wall clock minus the playlist's origin).
    pub offset: Option<MediaTime>,
    /// Must start exactly at `start` (cutting or gap-filling).
    pub hard: bool,
}

/// A validated playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Playlist {
    /// Optional title (for people and logs).
    pub title: Option<String>,
    /// The channel's output format.
    pub format: ChannelFormat,
    /// Wall-clock time of timeline zero (the playlist's `start`, else the first item's).
    pub origin: Option<DateTime<FixedOffset>>,
    /// Items in order (at least one).
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaylist {
    format: RawFormat,
    items: Vec<RawItem>,
    #[serde(default)]
    start: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormat {
    kind: String,
    width: Option<u32>,
    height: Option<u32>,
    fps: Option<String>,
    #[serde(default = "default_rate")]
    sample_rate: u32,
    #[serde(default = "default_channels")]
    channels: u32,
    #[serde(default)]
    audio_codec: Option<String>,
}

fn default_rate() -> u32 {
    48_000
}
fn default_channels() -> u32 {
    2
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    source: String,
    #[serde(rename = "in", default)]
    in_point: f64,
    duration: f64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    start: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    hard: bool,
    #[serde(default)]
    kind: ItemKind,
}

impl Playlist {
    /// Parses and validates playlist JSON. Relative paths stay relative to the working directory.
    ///
    /// # Errors
    /// [`PlaylistError::Json`] for malformed JSON, [`PlaylistError::Invalid`] listing every bad value.
    pub fn from_json(text: &str) -> Result<Playlist, PlaylistError> {
        Self::parse(text, None)
    }

    /// Loads a playlist file; relative media paths are resolved against the file's directory.
    ///
    /// # Errors
    /// [`PlaylistError::Io`] when unreadable, otherwise as [`Playlist::from_json`].
    pub fn load(path: &Path) -> Result<Playlist, PlaylistError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| PlaylistError::Io { path: path.to_owned(), source })?;
        Self::parse(&text, path.parent())
    }

    fn parse(text: &str, base: Option<&Path>) -> Result<Playlist, PlaylistError> {
        let raw: RawPlaylist = serde_json::from_str(text)?;
        let mut problems = Vec::new();
        let format = parse_format(&raw.format, &mut problems);
        if raw.items.is_empty() {
            problems.push("items: at least one item is needed".to_owned());
        }
        let origin = raw.start.or_else(|| raw.items.first().and_then(|i| i.start));
        let mut items = Vec::with_capacity(raw.items.len());
        for (n, it) in raw.items.into_iter().enumerate() {
            let at = |field: &str| format!("items[{n}].{field}");
            if it.source.trim().is_empty() {
                problems.push(format!("{}: must not be empty", at("source")));
            }
            let duration = match MediaTime::from_secs_f64(it.duration) {
                Some(d) if it.duration > 0.0 && it.duration <= MAX_ITEM_S => d,
                _ => {
                    problems.push(format!(
                        "{}: must be > 0 and <= {MAX_ITEM_S} seconds (got {})",
                        at("duration"),
                        it.duration
                    ));
                    MediaTime::ZERO
                }
            };
            let in_point = MediaTime::from_secs_f64(it.in_point).unwrap_or_else(|| {
                problems.push(format!("{}: must be >= 0 seconds (got {})", at("in"), it.in_point));
                MediaTime::ZERO
            });
            if it.kind == ItemKind::Live && in_point != MediaTime::ZERO {
                problems.push(format!("{}: a live item cannot have an in-point", at("in")));
            }
            if it.hard && it.start.is_none() {
                problems.push(format!("{}: a hard item needs a start time", at("hard")));
            }
            let offset = match (it.start, origin) {
                (Some(s), Some(o)) => {
                    let ns = (s - o).num_nanoseconds();
                    match ns.filter(|ns| *ns >= 0) {
                        Some(ns) => Some(MediaTime::from_nanos(ns)),
                        None => {
                            problems.push(format!("{}: {s} is before the playlist start {o}", at("start")));
                            None
                        }
                    }
                }
                _ => None,
            };
            items.push(Item {
                source: Source::parse(it.source.trim(), base),
                in_point,
                duration,
                kind: it.kind,
                title: it.title,
                id: it.id,
                start: it.start,
                offset,
                hard: it.hard,
            });
        }
        match (format, problems.is_empty()) {
            (Some(format), true) => Ok(Playlist { title: raw.title, format, origin, items }),
            _ => Err(PlaylistError::Invalid(problems)),
        }
    }

    /// The items as the timeline planner sees them.
    pub fn plan_items(&self) -> Vec<PlanItem> {
        self.items.iter().map(|i| PlanItem { duration: i.duration, start: i.offset, hard: i.hard }).collect()
    }
}

fn parse_format(raw: &RawFormat, problems: &mut Vec<String>) -> Option<ChannelFormat> {
    let kind = match raw.kind.as_str() {
        "radio" => FormatKind::Radio,
        "tv" => FormatKind::Tv,
        other => {
            problems.push(format!("format.kind: must be \"tv\" or \"radio\" (got {other:?})"));
            FormatKind::FromFields
        }
    };
    ChannelFormat::from_fields(
        kind,
        raw.width,
        raw.height,
        raw.fps.as_deref(),
        raw.sample_rate,
        raw.channels,
        raw.audio_codec.as_deref(),
    )
    .map_err(|bad| problems.extend(bad.0))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::AudioCodec;

    const MINIMAL: &str = r#"{ "format": { "kind": "tv", "width": 1280, "height": 720, "fps": "25/1",
        "sample_rate": 48000, "channels": 2 },
        "items": [ { "source": "/path/or/uri", "in": 0.0, "duration": 4.0 } ] }"#;

    #[test]
    fn the_minimal_tv_playlist_parses() {
        let p = Playlist::from_json(MINIMAL).unwrap();
        let v = p.format.video.unwrap();
        assert_eq!((v.width, v.height, v.fps.to_string()), (1280, 720, "25/1".to_owned()));
        assert_eq!(p.items[0].source, Source::Path("/path/or/uri".into()));
        assert_eq!(p.items[0].duration, MediaTime::from_nanos(4_000_000_000));
        assert_eq!(p.items[0].kind, ItemKind::File);
    }

    #[test]
    fn radio_has_no_video_and_uris_stay_uris() {
        let p = Playlist::from_json(
            r#"{"format":{"kind":"radio","sample_rate":44100,"channels":1},
               "items":[{"source":"udp://239.0.0.1:5000","duration":60,"kind":"live"}]}"#,
        )
        .unwrap();
        assert!(p.format.is_radio());
        assert_eq!(p.format.audio.rate, 44_100);
        assert_eq!(p.items[0].source, Source::Uri("udp://239.0.0.1:5000".into()));
        assert_eq!(p.items[0].kind, ItemKind::Live);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let err = Playlist::from_json(
            r#"{"format":{"kind":"tv","width":1281,"fps":"0/1","sample_rate":7,"channels":6},
               "items":[{"source":"","duration":-1,"in":-2},{"source":"a","duration":1,"hard":true}]}"#,
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "format.width: must be even",
            "format.height: required",
            "format.fps",
            "format.sample_rate",
            "format.channels",
            "items[0].source",
            "items[0].duration",
            "items[0].in",
            "items[1].hard: a hard item needs a start",
        ] {
            assert!(err.contains(needle), "{needle:?} missing from {err}");
        }
    }

    #[test]
    fn unknown_fields_and_bad_json_are_refused() {
        assert!(matches!(Playlist::from_json("{"), Err(PlaylistError::Json(_))));
        let typo = MINIMAL.replace("\"duration\"", "\"durration\"");
        assert!(Playlist::from_json(&typo).unwrap_err().to_string().contains("durration"));
        let empty = r#"{"format":{"kind":"radio"},"items":[]}"#;
        assert!(Playlist::from_json(empty).unwrap_err().to_string().contains("at least one item"));
    }

    #[test]
    fn the_audio_codec_is_chosen_per_kind_and_aac_by_default() {
        assert_eq!(Playlist::from_json(MINIMAL).unwrap().format.audio_codec, AudioCodec::Aac);
        let tv = MINIMAL.replace("\"channels\": 2", "\"channels\": 2, \"audio_codec\": \"mp2\"");
        assert_eq!(Playlist::from_json(&tv).unwrap().format.audio_codec, AudioCodec::Mp2);
        let radio = |codec: &str, rate: u32| {
            Playlist::from_json(&format!(
                r#"{{"format":{{"kind":"radio","sample_rate":{rate},"audio_codec":"{codec}"}},
                   "items":[{{"source":"a.wav","duration":1}}]}}"#
            ))
        };
        assert_eq!(radio("opus", 48_000).unwrap().format.audio_codec, AudioCodec::Opus);
        assert_eq!(radio("mp3", 44_100).unwrap().format.audio_codec, AudioCodec::Mp3);
        for (codec, rate, needle) in [
            ("opus", 44_100, "format.audio_codec: opus runs at [48000] Hz"),
            ("mp2", 48_000, "format.audio_codec: a radio channel carries aac, mp3, opus"),
            ("ac3", 48_000, "format.audio_codec: audio codec \"ac3\""),
        ] {
            let err = radio(codec, rate).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle:?} missing from {err}");
        }
        let mp3_tv = MINIMAL.replace("\"channels\": 2", "\"channels\": 2, \"audio_codec\": \"mp3\"");
        assert!(Playlist::from_json(&mp3_tv).unwrap_err().to_string().contains("a tv channel carries aac, mp2"));
    }

    #[test]
    fn wall_clock_starts_become_timeline_offsets() {
        let p = Playlist::from_json(
            r#"{"format":{"kind":"radio"},"start":"2026-11-26T08:00:00+08:00","items":[
                {"source":"a.wav","duration":10},
                {"source":"b.wav","duration":5,"start":"2026-11-26T08:00:30+08:00","hard":true}]}"#,
        )
        .unwrap();
        assert_eq!(p.items[1].offset, Some(MediaTime::from_nanos(30_000_000_000)));
        let plan = p.plan_items();
        assert!(plan[1].hard && plan[0].start.is_none());
        let early = r#"{"format":{"kind":"radio"},"start":"2026-11-26T08:00:00Z","items":[
                {"source":"a","duration":1,"start":"2026-11-26T07:00:00Z"}]}"#;
        assert!(Playlist::from_json(early).unwrap_err().to_string().contains("before the playlist start"));
    }

    #[test]
    fn load_resolves_relative_paths_against_the_playlist_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("day.json");
        std::fs::write(&file, MINIMAL.replace("/path/or/uri", "clips/a.mp4")).unwrap();
        let p = Playlist::load(&file).unwrap();
        assert_eq!(p.items[0].source, Source::Path(dir.path().join("clips/a.mp4")));
        assert!(matches!(Playlist::load(&dir.path().join("nope.json")), Err(PlaylistError::Io { .. })));
    }
}

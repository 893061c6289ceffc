//! The on-air playlist, the contract between Kapok and a playout engine (a remote node, a
//! playlist file; format in `docs/playlist.md`): JSON in, a validated [`OnAirPlaylist`] out,
//! and back to JSON. Defined here, beside the published day it is made from, so that the
//! HTTP layer serves it without linking the engine; `playout` re-exports it as
//! `playout::playlist`.
//!
//! An `OnAirPlaylist` that exists is valid: every duration is positive, every frame rate exact,
//! every wall-clock start placed on the timeline. Problems are all reported at once, each
//! with the JSON path of the field at fault.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::format::{AudioCodec, ChannelFormat, FormatKind};
use crate::time::MediaTime;

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
    Generated(Generated),
}

/// Media made in process by the engine that airs it (`playout::input::Generated`); this
/// crate only carries it through the playlist.
pub trait GeneratedMedia: Send + Sync + fmt::Debug {
    /// Its name in the as-run (e.g. `alert:ID`).
    fn label(&self) -> &str;
    /// The engine's own type, to take the generator back out.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A [`GeneratedMedia`] in a playlist item: clones share it; two are equal when they are the
/// same media.
#[derive(Clone, Debug)]
pub struct Generated(pub std::sync::Arc<dyn GeneratedMedia>);

impl Generated {
    /// The as-run label.
    pub fn label(&self) -> &str {
        self.0.label()
    }

    /// The engine's own type, when it is a `T`.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }
}

impl PartialEq for Generated {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Generated {}

impl Source {
    /// A source from its text in a playlist: a URI when it has a scheme (`media://…`,
    /// `udp://…`), else a path (relative to the working directory).
    pub fn from_text(text: &str) -> Source {
        Source::parse(text, None)
    }

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

impl Item {
    /// `source` airing for `duration` from its beginning: a file item, soft, without start,
    /// title or id. Checked when it becomes part of an [`OnAirPlaylist`].
    pub fn new(source: Source, duration: MediaTime) -> Item {
        Item {
            source,
            in_point: MediaTime::ZERO,
            duration,
            kind: ItemKind::File,
            title: None,
            id: None,
            start: None,
            offset: None,
            hard: false,
        }
    }

    /// An item of a published day (the day's flat form, [`crate::PlayoutItem`]): its
    /// wall-clock start, exact duration and in-point, hard or soft, and title. `media` is a
    /// programme's media as the caller resolved it (`media://KEY?sha256=…`); without it the
    /// slate stands in. A live relay airs its URI; the slate the slate.
    pub fn scheduled(it: &crate::PlayoutItem, media: Option<&str>) -> Item {
        let (source, kind, in_point) = match &it.source {
            crate::Source::Programme { .. } => {
                (Source::from_text(media.unwrap_or(SLATE)), ItemKind::File, it.in_point_ns)
            }
            crate::Source::Live { uri } => (Source::from_text(uri), ItemKind::Live, MediaTime::ZERO),
            crate::Source::Slate => (Source::from_text(SLATE), ItemKind::File, MediaTime::ZERO),
        };
        Item {
            source,
            in_point,
            duration: it.duration_ns,
            kind,
            title: Some(it.title.clone()),
            id: None,
            start: Some(it.start),
            offset: None,
            hard: it.hard,
        }
    }
}

/// The source text of the slate in a published day (nothing to open: black and silence).
const SLATE: &str = "slate";

/// A validated playlist: what a channel airs (the on-air contract of docs/playlist.md, as
/// opposed to `schedules::Playlist`, the broadcast day people edit in frames).
#[derive(Debug, Clone, PartialEq)]
pub struct OnAirPlaylist {
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

impl OnAirPlaylist {
    /// A playlist of `items` on a channel of `format`, its timeline zero at `origin` (else
    /// the first item's start), checked exactly as a playlist file is; each item's timeline
    /// offset is set from its start.
    ///
    /// # Errors
    /// [`PlaylistError::Invalid`] listing every bad value with its path (`items[2].duration: …`).
    pub fn new(
        title: Option<String>,
        format: ChannelFormat,
        origin: Option<DateTime<FixedOffset>>,
        items: Vec<Item>,
    ) -> Result<OnAirPlaylist, PlaylistError> {
        let mut problems = Vec::new();
        let origin = origin.or_else(|| items.first().and_then(|i| i.start));
        let items = check_items(items, origin, &mut problems);
        match problems.is_empty() {
            true => Ok(OnAirPlaylist { title, format, origin, items }),
            false => Err(PlaylistError::Invalid(problems)),
        }
    }

    /// The playlist in its JSON form (docs/playlist.md): what a remote playout node reads
    /// and [`OnAirPlaylist::from_json`] parses back to an equal playlist (times to the nanosecond
    /// as far as JSON numbers carry them).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        let f = &self.format;
        let mut format = match f.video {
            Some(v) => json!({ "kind": "tv", "width": v.width, "height": v.height, "fps": v.fps.to_string(),
                "sample_rate": f.audio.rate, "channels": f.audio.channels }),
            None => json!({ "kind": "radio", "sample_rate": f.audio.rate, "channels": f.audio.channels }),
        };
        if f.audio_codec != AudioCodec::Aac {
            format["audio_codec"] = Value::from(f.audio_codec.as_str());
        }
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|i| {
                let mut item = json!({ "source": i.source.to_string(), "duration": i.duration.as_secs_f64(),
                    "hard": i.hard });
                match i.kind {
                    ItemKind::File => item["in"] = Value::from(i.in_point.as_secs_f64()),
                    ItemKind::Live => item["kind"] = Value::from("live"),
                }
                if let Some(t) = &i.title {
                    item["title"] = Value::from(t.as_str());
                }
                if let Some(id) = &i.id {
                    item["id"] = Value::from(id.as_str());
                }
                if let Some(s) = i.start {
                    item["start"] = Value::from(s.to_rfc3339());
                }
                item
            })
            .collect();
        let mut doc = json!({ "format": format, "items": items });
        if let Some(t) = &self.title {
            doc["title"] = Value::from(t.as_str());
        }
        if let Some(o) = self.origin.filter(|o| Some(*o) != self.items.first().and_then(|i| i.start)) {
            doc["start"] = Value::from(o.to_rfc3339());
        }
        doc
    }

    /// Parses and validates playlist JSON. Relative paths stay relative to the working directory.
    ///
    /// # Errors
    /// [`PlaylistError::Json`] for malformed JSON, [`PlaylistError::Invalid`] listing every bad value.
    pub fn from_json(text: &str) -> Result<OnAirPlaylist, PlaylistError> {
        Self::parse(text, None)
    }

    /// Loads a playlist file; relative media paths are resolved against the file's directory.
    ///
    /// # Errors
    /// [`PlaylistError::Io`] when unreadable, otherwise as [`OnAirPlaylist::from_json`].
    pub fn load(path: &Path) -> Result<OnAirPlaylist, PlaylistError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| PlaylistError::Io { path: path.to_owned(), source })?;
        Self::parse(&text, path.parent())
    }

    fn parse(text: &str, base: Option<&Path>) -> Result<OnAirPlaylist, PlaylistError> {
        let raw: RawPlaylist = serde_json::from_str(text)?;
        let mut problems = Vec::new();
        let format = parse_format(&raw.format, &mut problems);
        let origin = raw.start.or_else(|| raw.items.first().and_then(|i| i.start));
        let mut items = Vec::with_capacity(raw.items.len());
        for (n, it) in raw.items.into_iter().enumerate() {
            let at = |field: &str| format!("items[{n}].{field}");
            // Seconds become exact times here; the rest is checked with typed items below.
            let duration = match MediaTime::from_secs_f64(it.duration) {
                Some(d) if it.duration > 0.0 && it.duration <= MAX_ITEM_S => d,
                _ => {
                    problems.push(format!(
                        "{}: must be > 0 and <= {MAX_ITEM_S} seconds (got {})",
                        at("duration"),
                        it.duration
                    ));
                    MediaTime::from_nanos(1)
                }
            };
            let in_point = MediaTime::from_secs_f64(it.in_point).unwrap_or_else(|| {
                problems.push(format!("{}: must be >= 0 seconds (got {})", at("in"), it.in_point));
                MediaTime::ZERO
            });
            items.push(Item {
                source: Source::parse(it.source.trim(), base),
                in_point,
                duration,
                kind: it.kind,
                title: it.title,
                id: it.id,
                start: it.start,
                offset: None,
                hard: it.hard,
            });
        }
        let items = check_items(items, origin, &mut problems);
        match (format, problems.is_empty()) {
            (Some(format), true) => Ok(OnAirPlaylist { title: raw.title, format, origin, items }),
            _ => Err(PlaylistError::Invalid(problems)),
        }
    }
}

/// Checks `items` as one playlist whose timeline zero is `origin`, and sets their offsets.
fn check_items(mut items: Vec<Item>, origin: Option<DateTime<FixedOffset>>, problems: &mut Vec<String>) -> Vec<Item> {
    if items.is_empty() {
        problems.push("items: at least one item is needed".to_owned());
    }
    let max = MediaTime::from_secs_f64(MAX_ITEM_S).unwrap_or(MediaTime::ZERO);
    for (n, item) in items.iter_mut().enumerate() {
        let at = |field: &str| format!("items[{n}].{field}");
        if item.source.to_string().trim().is_empty() {
            problems.push(format!("{}: must not be empty", at("source")));
        }
        if item.duration <= MediaTime::ZERO || item.duration > max {
            problems.push(format!(
                "{}: must be > 0 and <= {MAX_ITEM_S} seconds (got {})",
                at("duration"),
                item.duration.as_secs_f64()
            ));
        }
        if item.in_point < MediaTime::ZERO {
            problems.push(format!("{}: must be >= 0 seconds (got {})", at("in"), item.in_point.as_secs_f64()));
        }
        if item.kind == ItemKind::Live && item.in_point != MediaTime::ZERO {
            problems.push(format!("{}: a live item cannot have an in-point", at("in")));
        }
        if item.hard && item.start.is_none() {
            problems.push(format!("{}: a hard item needs a start time", at("hard")));
        }
        item.offset = match (item.start, origin) {
            (Some(s), Some(o)) => match (s - o).num_nanoseconds().filter(|ns| *ns >= 0) {
                Some(ns) => Some(MediaTime::from_nanos(ns)),
                None => {
                    problems.push(format!("{}: {s} is before the playlist start {o}", at("start")));
                    None
                }
            },
            _ => None,
        };
    }
    items
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

    const MINIMAL: &str = r#"{ "format": { "kind": "tv", "width": 1280, "height": 720, "fps": "25/1",
        "sample_rate": 48000, "channels": 2 },
        "items": [ { "source": "/path/or/uri", "in": 0.0, "duration": 4.0 } ] }"#;

    #[test]
    fn the_minimal_tv_playlist_parses() {
        let p = OnAirPlaylist::from_json(MINIMAL).unwrap();
        let v = p.format.video.unwrap();
        assert_eq!((v.width, v.height, v.fps.to_string()), (1280, 720, "25/1".to_owned()));
        assert_eq!(p.items[0].source, Source::Path("/path/or/uri".into()));
        assert_eq!(p.items[0].duration, MediaTime::from_nanos(4_000_000_000));
        assert_eq!(p.items[0].kind, ItemKind::File);
    }

    #[test]
    fn radio_has_no_video_and_uris_stay_uris() {
        let p = OnAirPlaylist::from_json(
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
        let err = OnAirPlaylist::from_json(
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
        assert!(matches!(OnAirPlaylist::from_json("{"), Err(PlaylistError::Json(_))));
        let typo = MINIMAL.replace("\"duration\"", "\"durration\"");
        assert!(OnAirPlaylist::from_json(&typo).unwrap_err().to_string().contains("durration"));
        let empty = r#"{"format":{"kind":"radio"},"items":[]}"#;
        assert!(OnAirPlaylist::from_json(empty).unwrap_err().to_string().contains("at least one item"));
    }

    #[test]
    fn the_audio_codec_is_chosen_per_kind_and_aac_by_default() {
        assert_eq!(OnAirPlaylist::from_json(MINIMAL).unwrap().format.audio_codec, AudioCodec::Aac);
        let tv = MINIMAL.replace("\"channels\": 2", "\"channels\": 2, \"audio_codec\": \"mp2\"");
        assert_eq!(OnAirPlaylist::from_json(&tv).unwrap().format.audio_codec, AudioCodec::Mp2);
        let radio = |codec: &str, rate: u32| {
            OnAirPlaylist::from_json(&format!(
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
        assert!(OnAirPlaylist::from_json(&mp3_tv).unwrap_err().to_string().contains("a tv channel carries aac, mp2"));
    }

    #[test]
    fn wall_clock_starts_become_timeline_offsets() {
        let p = OnAirPlaylist::from_json(
            r#"{"format":{"kind":"radio"},"start":"2026-11-26T08:00:00+08:00","items":[
                {"source":"a.wav","duration":10},
                {"source":"b.wav","duration":5,"start":"2026-11-26T08:00:30+08:00","hard":true}]}"#,
        )
        .unwrap();
        assert_eq!(p.items[1].offset, Some(MediaTime::from_nanos(30_000_000_000)));
        // What the planner is given: item 1 hard at its offset, item 0 placed after nothing.
        assert!(p.items[1].hard && p.items[0].offset.is_none());
        let early = r#"{"format":{"kind":"radio"},"start":"2026-11-26T08:00:00Z","items":[
                {"source":"a","duration":1,"start":"2026-11-26T07:00:00Z"}]}"#;
        assert!(OnAirPlaylist::from_json(early).unwrap_err().to_string().contains("before the playlist start"));
    }

    #[test]
    fn a_playlist_written_as_json_parses_back_equal() {
        let p = OnAirPlaylist::from_json(
            r#"{"format":{"kind":"tv","width":1280,"height":720,"fps":"30000/1001","audio_codec":"mp2"},
               "title":"day","start":"2026-11-26T08:00:00+08:00","items":[
                {"source":"media://a.mp4?sha256=00","in":1.5,"duration":10,"title":"a","id":"x/1"},
                {"source":"srt://relay:9000","kind":"live","duration":5,"start":"2026-11-26T08:00:30+08:00","hard":true}]}"#,
        )
        .unwrap();
        assert_eq!(OnAirPlaylist::from_json(&p.to_json().to_string()).unwrap(), p);
        let radio =
            OnAirPlaylist::from_json(r#"{"format":{"kind":"radio"},"items":[{"source":"a.wav","duration":1}]}"#)
                .unwrap();
        assert_eq!(OnAirPlaylist::from_json(&radio.to_json().to_string()).unwrap(), radio);
    }

    #[test]
    fn a_published_days_items_air_their_media_their_relay_or_the_slate() {
        use crate::{Frames, PlayoutItem, ProgrammeId};
        let start = DateTime::parse_from_rfc3339("2026-11-26T19:00:00+08:00").unwrap();
        let it = |source| PlayoutItem {
            start,
            start_frame: Frames(0),
            duration_frames: Frames(250),
            duration_ns: MediaTime::from_secs(10),
            hard: true,
            source,
            in_point_frames: Frames(25),
            in_point_ns: MediaTime::from_secs(1),
            title: "新闻".into(),
            kind: crate::ItemKind::Programme,
        };
        let programme = it(crate::Source::Programme { id: ProgrammeId::parse("p1").unwrap() });
        let aired = Item::scheduled(&programme, Some("media://k.mp4?sha256=00"));
        assert_eq!(aired.source, Source::Uri("media://k.mp4?sha256=00".into()));
        assert_eq!(
            (aired.in_point, aired.duration, aired.hard),
            (MediaTime::from_secs(1), MediaTime::from_secs(10), true)
        );
        assert_eq!((aired.start, aired.title.as_deref()), (Some(start), Some("新闻")));
        assert_eq!(Item::scheduled(&programme, None).source, Source::Path("slate".into()));
        let live = Item::scheduled(&it(crate::Source::Live { uri: "srt://relay:9000".into() }), None);
        assert_eq!((live.kind, live.in_point), (ItemKind::Live, MediaTime::ZERO));
        let p = OnAirPlaylist::new(None, ChannelFormat::tv_hd(), None, vec![aired, live]).unwrap();
        assert_eq!(p.origin, Some(start));
        assert_eq!(p.items[1].offset, Some(MediaTime::ZERO));
        let empty = OnAirPlaylist::new(
            None,
            ChannelFormat::radio(),
            None,
            vec![Item::new(Source::from_text("a"), MediaTime::ZERO)],
        );
        assert!(empty.unwrap_err().to_string().contains("items[0].duration: must be > 0"));
    }

    #[test]
    fn load_resolves_relative_paths_against_the_playlist_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("day.json");
        std::fs::write(&file, MINIMAL.replace("/path/or/uri", "clips/a.mp4")).unwrap();
        let p = OnAirPlaylist::load(&file).unwrap();
        assert_eq!(p.items[0].source, Source::Path(dir.path().join("clips/a.mp4")));
        assert!(matches!(OnAirPlaylist::load(&dir.path().join("nope.json")), Err(PlaylistError::Io { .. })));
    }
}

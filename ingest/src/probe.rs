//! Media facts of a file (`kapok probe FILE --json`): container, streams and loudness.
//!
//! Facts come from the media child ([`crate::media`], libavformat through `ffmpeg-next` in a
//! sandboxed `kapok __media-child`), in ffprobe's JSON shape, not from libavformat in this
//! process: demuxers are where hostile files bite, and a crash there must cost a child, not
//! the worker. The JSON is parsed here with every field optional and checked for sanity
//! (dimensions, rates, channel counts, stream counts, durations) before anything trusts it.

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::child;
use crate::loudness::Loudness;
use crate::pcm::{self, Layout};
use crate::sandbox::Limits;
use crate::IngestError;

/// The largest width or height accepted (8K UHD is 7680×4320).
pub const MAX_DIMENSION: u32 = 8192;
/// The longest declared duration accepted, in seconds (24 h).
pub const MAX_DURATION_S: f64 = 24.0 * 3600.0;
/// The most streams accepted in one file.
pub const MAX_STREAMS: usize = 64;

/// What kind of elementary stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// Moving pictures.
    Video,
    /// Sound.
    Audio,
    /// Subtitles or captions.
    Subtitle,
    /// Timecode tracks, metadata, anything else.
    Data,
    /// Attachments and cover art (a still picture in a video slot).
    Attachment,
}

/// One elementary stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Absolute stream index in the container (`-map 0:INDEX`).
    pub index: u32,
    /// Stream kind.
    pub kind: StreamKind,
    /// Codec short name (`h264`, `aac`, …).
    pub codec: Option<String>,
    /// Coded picture width (video).
    pub width: Option<u32>,
    /// Coded picture height (video).
    pub height: Option<u32>,
    /// Frame rate in frames per second (video; average rate, else the stream's base rate).
    pub fps: Option<f64>,
    /// True when the stream is flagged interlaced (field order tt/bb/tb/bt).
    pub interlaced: Option<bool>,
    /// FFmpeg's field order: `progressive`, `tt`, `bb`, `tb`, `bt` or `unknown`.
    pub field_order: Option<String>,
    /// Sample rate in Hz (audio).
    pub sample_rate: Option<u32>,
    /// Channel count (audio).
    pub channels: Option<u32>,
    /// Declared stream duration in seconds.
    pub duration_s: Option<f64>,
    /// Sample aspect ratio (num, den) when not square; internal, not part of the JSON.
    #[serde(skip)]
    pub sample_aspect: Option<(u32, u32)>,
}

/// Everything `kapok probe FILE --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Declared duration of the container, seconds.
    pub duration_s: Option<f64>,
    /// Container (FFmpeg demuxer names, e.g. `mov,mp4,m4a,3gp,3g2,mj2`).
    pub format: String,
    /// All streams, in container order.
    pub streams: Vec<StreamInfo>,
    /// Loudness of the first audio stream, measured as it is (null without audio).
    pub loudness: Option<Loudness>,
    /// Loudness of the first audio stream as 48 kHz stereo, the signal the house gain stage
    /// sees, from the same decode as `loudness` (internal, not part of the JSON; `None` from
    /// [`probe_facts`]).
    #[serde(skip)]
    pub house_chain_loudness: Option<Loudness>,
}

impl ProbeReport {
    /// The video stream the house transcode uses (first non-cover-art video).
    pub fn video(&self) -> Option<&StreamInfo> {
        self.streams.iter().find(|s| s.kind == StreamKind::Video)
    }

    /// The audio stream the house transcode uses (the first).
    pub fn audio(&self) -> Option<&StreamInfo> {
        self.streams.iter().find(|s| s.kind == StreamKind::Audio)
    }
}

/// Probes `path`: facts from the media child, then loudness of its first audio stream as it
/// is and as the house gain stage will see it (one decode).
///
/// # Errors
/// [`IngestError::BadMedia`] for an empty, unreadable, unrecognised, absurd or truncated
/// file (the reason says which); [`IngestError::Timeout`] when a tool hangs;
/// [`IngestError::Io`]/[`IngestError::Spawn`] for environment faults (retryable).
pub fn probe_file(path: &Path) -> Result<ProbeReport, IngestError> {
    let mut report = probe_facts(path)?;
    if let Some(audio) = report.audio().cloned() {
        let layout =
            Layout::Native { channels: audio.channels.unwrap_or(2), sample_rate: audio.sample_rate.unwrap_or(48_000) };
        let declared = audio.duration_s.or(report.duration_s);
        let limits = Limits::for_media(declared.unwrap_or(0.0), 1.0, 2);
        let both = pcm::measure_layouts(path, audio.index, &[layout, Layout::HouseStereo], limits)?;
        let (Some(native), Some(house_chain)) = (both.first(), both.get(1)) else {
            return Err(IngestError::bad_media("the media child measured nothing"));
        };
        check_not_truncated(declared, native.decoded_s, "audio")?;
        report.loudness = Some(native.loudness);
        report.house_chain_loudness = Some(house_chain.loudness);
    }
    Ok(report)
}

/// Fails when the header promises much more media than actually decodes (a damaged upload,
/// or a header forged to make the worker reserve hours of work).
///
/// # Errors
/// [`IngestError::BadMedia`] when `decoded_s` falls short of `declared` by more than 2 s
/// and 5 %.
pub fn check_not_truncated(declared: Option<f64>, decoded_s: f64, what: &str) -> Result<(), IngestError> {
    if let Some(declared) = declared {
        let short = declared - decoded_s;
        if short > 2.0 && short > 0.05 * declared {
            return Err(IngestError::bad_media(format!(
                "truncated or damaged: the header declares {declared:.1} s but only {decoded_s:.1} s of {what} decode"
            )));
        }
    }
    Ok(())
}

/// Probes `path` for facts only (no audio decode): the cheap part of [`probe_file`].
///
/// # Errors
/// As [`probe_file`].
pub fn probe_facts(path: &Path) -> Result<ProbeReport, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
    if !meta.is_file() {
        return Err(IngestError::bad_media(format!("{} is not a regular file", path.display())));
    }
    if meta.len() == 0 {
        return Err(IngestError::bad_media("file is empty (0 bytes)"));
    }
    let args = [OsString::from("facts"), path.as_os_str().to_owned()];
    let raw = match child::run::<RawProbe>(&args, Limits::PROBE) {
        Ok(raw) => raw,
        Err(IngestError::Tool { detail, environmental: false, .. }) => {
            return Err(IngestError::bad_media(format!(
                "not a media file FFmpeg can read ({})",
                detail.replace("file:", "")
            )))
        }
        Err(e) => return Err(e),
    };
    check_facts(raw)
}

/// ffprobe's `-show_format -show_streams` JSON, the fields Kapok reads; also what the media
/// child ([`crate::media`]) answers, so both are checked by [`parse_ffprobe_json`].
#[derive(Deserialize, Serialize, Default)]
pub(crate) struct RawProbe {
    #[serde(default)]
    pub(crate) streams: Vec<RawStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) format: Option<RawFormat>,
}

#[derive(Deserialize, Serialize, Default)]
pub(crate) struct RawFormat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) format_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration: Option<String>,
}

#[derive(Deserialize, Serialize, Default)]
pub(crate) struct RawStream {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) codec_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) codec_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) avg_frame_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) r_frame_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field_order: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sample_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) channels: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sample_aspect_ratio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) disposition: Option<RawDisposition>,
}

#[derive(Deserialize, Serialize, Default)]
pub(crate) struct RawDisposition {
    #[serde(default)]
    pub(crate) attached_pic: u8,
}

/// Parses and sanity-checks ffprobe's `-show_format -show_streams` JSON.
///
/// # Errors
/// [`IngestError::BadMedia`] when the JSON is garbage or describes an unusable file.
pub fn parse_ffprobe_json(bytes: &[u8]) -> Result<ProbeReport, IngestError> {
    let raw: RawProbe =
        serde_json::from_slice(bytes).map_err(|e| IngestError::bad_media(format!("unreadable probe output: {e}")))?;
    check_facts(raw)
}

/// Checks the facts a probe reported (every field untrusted) and types them.
fn check_facts(raw: RawProbe) -> Result<ProbeReport, IngestError> {
    let format =
        raw.format.ok_or_else(|| IngestError::bad_media("not a media file FFmpeg can read (no container found)"))?;
    if raw.streams.is_empty() {
        return Err(IngestError::bad_media("the file contains no streams"));
    }
    if raw.streams.len() > MAX_STREAMS {
        return Err(IngestError::bad_media(format!(
            "the file declares {} streams (more than {MAX_STREAMS})",
            raw.streams.len()
        )));
    }
    let duration_s = seconds(format.duration.as_deref());
    if let Some(d) = duration_s {
        if d > MAX_DURATION_S {
            return Err(IngestError::bad_media(format!("the file declares a duration of {d:.0} s, more than 24 h")));
        }
    }
    let streams = raw.streams.into_iter().enumerate().map(|(i, s)| stream_info(i, s)).collect::<Result<Vec<_>, _>>()?;
    let longest_stream =
        streams.iter().filter_map(|s| s.duration_s).fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
    if let Some(longest) = longest_stream {
        check_not_truncated(duration_s, longest, "stream data").map_err(|_| {
            IngestError::bad_media(format!(
                "truncated or damaged: the header declares {:.1} s but its streams hold only {longest:.1} s",
                duration_s.unwrap_or(0.0)
            ))
        })?;
    }
    Ok(ProbeReport {
        duration_s,
        format: format.format_name.unwrap_or_else(|| "unknown".into()),
        streams,
        loudness: None,
        house_chain_loudness: None,
    })
}

fn stream_info(position: usize, s: RawStream) -> Result<StreamInfo, IngestError> {
    let index = s.index.unwrap_or(position as u32);
    let cover_art = s.disposition.as_ref().is_some_and(|d| d.attached_pic != 0);
    let kind = match s.codec_type.as_deref() {
        Some("video") if cover_art => StreamKind::Attachment,
        Some("video") => StreamKind::Video,
        Some("audio") => StreamKind::Audio,
        Some("subtitle") => StreamKind::Subtitle,
        Some("attachment") => StreamKind::Attachment,
        _ => StreamKind::Data,
    };
    let mut info = StreamInfo {
        index,
        kind,
        codec: s.codec_name,
        width: None,
        height: None,
        fps: None,
        interlaced: None,
        field_order: None,
        sample_rate: None,
        channels: None,
        duration_s: seconds(s.duration.as_deref()),
        sample_aspect: None,
    };
    match kind {
        StreamKind::Video => {
            let (w, h) = (s.width.unwrap_or(0), s.height.unwrap_or(0));
            if w == 0 || h == 0 || w > MAX_DIMENSION || h > MAX_DIMENSION {
                return Err(IngestError::bad_media(format!(
                    "video stream {index} has unusable dimensions {w}x{h} (1…{MAX_DIMENSION} allowed)"
                )));
            }
            info.width = Some(w);
            info.height = Some(h);
            info.fps = rate(s.avg_frame_rate.as_deref()).or_else(|| rate(s.r_frame_rate.as_deref()));
            if let Some(fps) = info.fps {
                if !(1.0..=300.0).contains(&fps) {
                    info.fps = None;
                }
            }
            info.interlaced = s.field_order.as_deref().and_then(|f| match f {
                "progressive" => Some(false),
                "tt" | "bb" | "tb" | "bt" => Some(true),
                _ => None,
            });
            info.field_order = s.field_order;
            info.sample_aspect = ratio(s.sample_aspect_ratio.as_deref()).filter(|&(n, d)| n != d);
        }
        StreamKind::Audio => {
            let sr = s.sample_rate.as_deref().and_then(|r| r.parse::<u32>().ok()).unwrap_or(0);
            let ch = s.channels.unwrap_or(0);
            if !(1_000..=768_000).contains(&sr) || !(1..=64).contains(&ch) {
                return Err(IngestError::bad_media(format!(
                    "audio stream {index} has unusable parameters: {sr} Hz, {ch} channels"
                )));
            }
            info.sample_rate = Some(sr);
            info.channels = Some(ch);
        }
        _ => {}
    }
    Ok(info)
}

fn seconds(v: Option<&str>) -> Option<f64> {
    v.and_then(|s| s.parse::<f64>().ok()).filter(|d| d.is_finite() && *d >= 0.0)
}

fn ratio(v: Option<&str>) -> Option<(u32, u32)> {
    let (n, d) = v?.split_once([':', '/'])?;
    let (n, d) = (n.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    (n > 0 && d > 0).then_some((n, d))
}

fn rate(v: Option<&str>) -> Option<f64> {
    ratio(v).map(|(n, d)| f64::from(n) / f64::from(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"streams":[
      {"index":0,"codec_type":"video","codec_name":"h264","width":720,"height":576,
       "avg_frame_rate":"25/1","r_frame_rate":"50/1","field_order":"tt","sample_aspect_ratio":"16:15",
       "duration":"2.000000","disposition":{"attached_pic":0}},
      {"index":1,"codec_type":"audio","codec_name":"aac","sample_rate":"48000","channels":2,"duration":"2.01"},
      {"index":2,"codec_type":"data","duration":"2.0"}],
     "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"2.010000"}}"#;

    #[test]
    fn ffprobe_json_becomes_typed_facts() {
        let r = parse_ffprobe_json(SAMPLE.as_bytes()).unwrap();
        assert_eq!(r.duration_s, Some(2.01));
        let v = r.video().unwrap();
        assert_eq!((v.width, v.height, v.fps, v.interlaced), (Some(720), Some(576), Some(25.0), Some(true)));
        assert_eq!(v.sample_aspect, Some((16, 15)));
        let a = r.audio().unwrap();
        assert_eq!((a.index, a.sample_rate, a.channels), (1, Some(48_000), Some(2)));
        assert_eq!(r.streams[2].kind, StreamKind::Data);
    }

    #[test]
    fn report_serialises_to_the_probe_contract_field_names() {
        let r = parse_ffprobe_json(SAMPLE.as_bytes()).unwrap();
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        for key in ["duration_s", "format", "streams", "loudness"] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        let s0 = &v["streams"][0];
        for key in [
            "index",
            "kind",
            "codec",
            "width",
            "height",
            "fps",
            "interlaced",
            "field_order",
            "sample_rate",
            "channels",
            "duration_s",
        ] {
            assert!(s0.get(key).is_some(), "missing streams[].{key}");
        }
        assert_eq!(s0["kind"], "video");
        assert!(s0.get("sample_aspect").is_none());
    }

    #[test]
    fn absurd_dimensions_are_bad_media() {
        let j = r#"{"streams":[{"index":0,"codec_type":"video","width":100000,"height":100000}],"format":{}}"#;
        let e = parse_ffprobe_json(j.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("100000x100000"), "{e}");
    }

    #[test]
    fn garbage_and_empty_probe_output_are_bad_media() {
        assert!(matches!(parse_ffprobe_json(b"\x00\xffnot json"), Err(IngestError::BadMedia { .. })));
        assert!(matches!(parse_ffprobe_json(b"{}"), Err(IngestError::BadMedia { .. })));
        assert!(matches!(parse_ffprobe_json(br#"{"streams":[],"format":{}}"#), Err(IngestError::BadMedia { .. })));
    }

    #[test]
    fn cover_art_is_an_attachment_not_video() {
        let j = r#"{"streams":[{"index":0,"codec_type":"video","width":500,"height":500,"disposition":{"attached_pic":1}}],"format":{}}"#;
        assert_eq!(parse_ffprobe_json(j.as_bytes()).unwrap().streams[0].kind, StreamKind::Attachment);
    }

    #[test]
    fn a_header_longer_than_a_day_is_refused() {
        let j = r#"{"streams":[{"index":0,"codec_type":"data"}],"format":{"duration":"999999"}}"#;
        assert!(parse_ffprobe_json(j.as_bytes()).is_err());
    }

    #[test]
    fn container_duration_far_beyond_every_stream_is_truncation() {
        let j = r#"{"streams":[{"index":0,"codec_type":"audio","sample_rate":"48000","channels":1,"duration":"1.0"}],
                   "format":{"duration":"36000.0"}}"#;
        let e = parse_ffprobe_json(j.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("declares 36000.0 s but its streams hold only 1.0 s"), "{e}");
    }

    #[test]
    fn truncation_is_detected_only_beyond_tolerance() {
        assert!(check_not_truncated(Some(36_000.0), 1.0, "audio").is_err());
        assert!(check_not_truncated(Some(60.0), 59.0, "audio").is_ok());
        assert!(check_not_truncated(None, 1.0, "audio").is_ok());
    }
}

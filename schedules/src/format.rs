//! A channel's format — picture size and frame rate (TV), audio rate and channels, the audio
//! codec on air — defined once for the catalog (stored and served), the scheduler and the
//! playout engine, with its frame and sample grids.
//!
//! A [`ChannelFormat`] that exists is valid: [`ChannelFormat::from_fields`] is the one place
//! that knows which sizes, rates and codecs a channel can air, and reports every problem with
//! the path of the field at fault (`format.width: …`). Two written forms lead there: the
//! catalog's JSON (this type's serde form: `{width?, height?, fps?, sample_rate, channels,
//! audio_codec?}`, TV when it has picture fields) and the playout playlist's `format` object
//! (docs/playlist.md, parsed by `playout::playlist`, which carries an explicit `kind`).
//!
//! Which GStreamer elements encode a codec is playout's business (`playout::audio_codec`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::{FrameRate, MediaTime};

const NS_PER_S: u128 = 1_000_000_000;

/// How a channel's audio is encoded on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudioCodec {
    /// AAC-LC in ADTS: TV and radio; the default.
    #[default]
    Aac,
    /// MPEG-1 Audio Layer II (ISO/IEC 11172-3): TV.
    Mp2,
    /// MPEG-1 Audio Layer III: radio.
    Mp3,
    /// Opus (RFC 6716) at 48 kHz: radio.
    Opus,
}

/// Why a codec text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audio codec {0:?} is not one of aac, mp2, mp3, opus")]
pub struct BadAudioCodec(pub String);

impl AudioCodec {
    /// Every codec, in declaration order.
    pub const ALL: [AudioCodec; 4] = [AudioCodec::Aac, AudioCodec::Mp2, AudioCodec::Mp3, AudioCodec::Opus];

    /// The stable text form (`aac`, `mp2`, `mp3`, `opus`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AudioCodec::Aac => "aac",
            AudioCodec::Mp2 => "mp2",
            AudioCodec::Mp3 => "mp3",
            AudioCodec::Opus => "opus",
        }
    }

    /// Why this codec cannot be the audio of a channel of that kind and rate, if it cannot:
    /// TV carries AAC or MP2, radio AAC, MP3 or Opus; MPEG audio runs at 32, 44.1 or 48 kHz
    /// and Opus at 48 kHz.
    pub fn unfit(self, radio: bool, rate: u32) -> Option<String> {
        let kinds: &[AudioCodec] = if radio {
            &[AudioCodec::Aac, AudioCodec::Mp3, AudioCodec::Opus]
        } else {
            &[AudioCodec::Aac, AudioCodec::Mp2]
        };
        if !kinds.contains(&self) {
            let names: Vec<&str> = kinds.iter().map(|c| c.as_str()).collect();
            return Some(format!("a {} channel carries {}", if radio { "radio" } else { "tv" }, names.join(", ")));
        }
        let rates: &[u32] = match self {
            AudioCodec::Aac => return None,
            AudioCodec::Mp2 | AudioCodec::Mp3 => &[32_000, 44_100, 48_000],
            AudioCodec::Opus => &[48_000],
        };
        (!rates.contains(&rate)).then(|| format!("{self} runs at {rates:?} Hz, not {rate}"))
    }

    /// Bits per second for `channels` (1 or 2), CBR: MP2 256 kb/s stereo and 128 kb/s mono
    /// (the usual DVB/DTMB rate of a TV service's main audio), the others 128 and 96 kb/s.
    pub fn bitrate_bps(self, channels: u32) -> u32 {
        match (self, channels) {
            (AudioCodec::Mp2, 1) => 128_000,
            (AudioCodec::Mp2, _) => 256_000,
            (_, 1) => 96_000,
            _ => 128_000,
        }
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AudioCodec {
    type Err = BadAudioCodec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AudioCodec::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| BadAudioCodec(s.to_owned()))
    }
}

/// The video side of a TV channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormat {
    /// Width in pixels (even, 16–7680).
    pub width: u32,
    /// Height in pixels (even, 16–4320).
    pub height: u32,
    /// Frames per second.
    pub fps: FrameRate,
}

/// The audio side of every channel: interleaved S16 at `rate` Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// Samples per second per channel (8000–192000, e.g. 48000).
    pub rate: u32,
    /// Channel count (1 or 2).
    pub channels: u32,
}

/// A channel's output format: TV (video + audio) or radio (audio only), and the codec its
/// audio is encoded with on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredFormat", into = "StoredFormat")]
pub struct ChannelFormat {
    /// `None` for radio.
    pub video: Option<VideoFormat>,
    /// Always present.
    pub audio: AudioFormat,
    /// The audio codec on air (AAC unless chosen otherwise).
    pub audio_codec: AudioCodec,
}

/// Why a format's fields do not make a format: every problem, each with its field's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct BadFormat(pub Vec<String>);

/// The kind a format's fields are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    /// Video and audio: width, height and fps required.
    Tv,
    /// Audio only: no width, height or fps.
    Radio,
    /// TV when any of width, height or fps is given, else radio (the catalog's form).
    FromFields,
}

impl ChannelFormat {
    /// 1920x1080@25, 48 kHz stereo, AAC.
    pub fn tv_hd() -> Self {
        ChannelFormat {
            video: Some(VideoFormat { width: 1920, height: 1080, fps: FrameRate::PAL }),
            audio: AudioFormat { rate: 48_000, channels: 2 },
            audio_codec: AudioCodec::Aac,
        }
    }

    /// 48 kHz stereo, no video, AAC.
    pub fn radio() -> Self {
        ChannelFormat { video: None, audio: AudioFormat { rate: 48_000, channels: 2 }, audio_codec: AudioCodec::Aac }
    }

    /// A format from its written fields, each checked: sizes even and 16..=7680 / 16..=4320,
    /// fps `N/D` (1–300 fps), 8–192 kHz, 1 or 2 channels, a codec that fits the kind and rate
    /// (absent: AAC).
    ///
    /// # Errors
    /// [`BadFormat`] listing every problem as `format.<field>: why`.
    #[allow(clippy::too_many_arguments)] // the fields of the written form, one each
    pub fn from_fields(
        kind: FormatKind,
        width: Option<u32>,
        height: Option<u32>,
        fps: Option<&str>,
        sample_rate: u32,
        channels: u32,
        audio_codec: Option<&str>,
    ) -> Result<ChannelFormat, BadFormat> {
        let mut problems = Vec::new();
        if !(8_000..=192_000).contains(&sample_rate) {
            problems.push(format!("format.sample_rate: must be 8000..=192000 Hz (got {sample_rate})"));
        }
        if !(1..=2).contains(&channels) {
            problems.push(format!("format.channels: must be 1 or 2 (got {channels})"));
        }
        let audio = AudioFormat { rate: sample_rate, channels };
        let pictured = width.is_some() || height.is_some() || fps.is_some();
        let radio = match kind {
            FormatKind::Tv => false,
            FormatKind::Radio => true,
            FormatKind::FromFields => !pictured,
        };
        let video = if radio {
            if pictured {
                problems.push("format: a radio channel has no width, height or fps".to_owned());
            }
            None
        } else {
            let mut dim = |name: &str, v: Option<u32>, max: u32| match v {
                Some(v) if v >= 16 && v <= max && v % 2 == 0 => v,
                Some(v) => {
                    problems.push(format!("format.{name}: must be even and 16..={max} (got {v})"));
                    0
                }
                None => {
                    problems.push(format!("format.{name}: required for a tv channel"));
                    0
                }
            };
            let width = dim("width", width, 7680);
            let height = dim("height", height, 4320);
            let fps = match fps.map(str::parse::<FrameRate>) {
                Some(Ok(f)) => Some(f),
                Some(Err(e)) => {
                    problems.push(format!("format.fps: {e}"));
                    None
                }
                None => {
                    problems.push("format.fps: required for a tv channel (e.g. \"25/1\")".to_owned());
                    None
                }
            };
            fps.map(|fps| VideoFormat { width, height, fps })
        };
        let audio_codec = match audio_codec.map(str::parse::<AudioCodec>).transpose() {
            Ok(codec) => {
                let codec = codec.unwrap_or_default();
                if let Some(why) = codec.unfit(radio, sample_rate) {
                    problems.push(format!("format.audio_codec: {why}"));
                }
                codec
            }
            Err(e) => {
                problems.push(format!("format.audio_codec: {e}"));
                AudioCodec::Aac
            }
        };
        if !problems.is_empty() {
            return Err(BadFormat(problems));
        }
        Ok(ChannelFormat { video, audio, audio_codec })
    }

    /// Whether this format can be the format of a channel of that kind (TV has pictures,
    /// radio none).
    ///
    /// # Errors
    /// [`BadFormat`] saying which fields are missing or too many.
    pub fn check_kind(&self, radio: bool) -> Result<(), BadFormat> {
        match (radio, self.video.is_some()) {
            (true, true) => Err(BadFormat(vec!["format: a radio channel has no width, height or fps".to_owned()])),
            (false, false) => {
                Err(BadFormat(vec!["format.width, format.height, format.fps: required for a tv channel".to_owned()]))
            }
            _ => Ok(()),
        }
    }

    /// This format with its audio on air in `codec` instead.
    ///
    /// # Errors
    /// [`BadFormat`] when the codec does not fit the kind or the sample rate.
    pub fn with_audio_codec(self, codec: AudioCodec) -> Result<ChannelFormat, BadFormat> {
        match codec.unfit(self.is_radio(), self.audio.rate) {
            Some(why) => Err(BadFormat(vec![format!("format.audio_codec: {why}")])),
            None => Ok(ChannelFormat { audio_codec: codec, ..self }),
        }
    }

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
        MediaTime::from_nanos(clamp(u128::from(sample) * NS_PER_S / u128::from(self.audio.rate)))
    }

    /// The audio sample at the start of video `frame` (nearest; 0 on radio).
    pub fn sample_at_frame(&self, frame: u64) -> u64 {
        match self.video {
            Some(v) => round_div(
                u128::from(frame) * u128::from(v.fps.den()) * u128::from(self.audio.rate),
                u128::from(v.fps.num()),
            ),
            None => 0,
        }
    }

    /// Snaps `t` to the channel grid: the nearest frame on TV, the nearest sample on radio.
    /// The audio sample of a TV boundary is the one nearest the frame's exact time, so audio
    /// and video cut at the same instant. Times before zero snap to zero.
    pub fn boundary(&self, t: MediaTime) -> Boundary {
        let rate = u128::from(self.audio.rate);
        match self.video {
            Some(v) => {
                let frame = v.fps.time_to_frame(t);
                let sample = self.sample_at_frame(frame);
                Boundary { frame, sample, time: v.fps.frames_to_time(frame) }
            }
            None => {
                let sample = round_div(u128::from(t.unsigned_nanos()) * rate, NS_PER_S);
                Boundary { frame: 0, sample, time: self.sample_time(sample) }
            }
        }
    }
}

/// A point on a channel's grid: the frame and sample counters there, and its time.
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
    u64::try_from((a + b / 2) / b).unwrap_or(u64::MAX)
}

fn clamp(ns: u128) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}

/// The catalog's stored and served form of a format (kept byte for byte: existing databases
/// and API clients read and write it). An AAC codec is written as absent, which the form
/// defines as AAC.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
struct StoredFormat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    /// Frame rate as a rational, e.g. `25/1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fps: Option<String>,
    sample_rate: u32,
    channels: u32,
    /// The audio codec on air; absent: AAC. TV carries `aac` or `mp2`, radio `aac`, `mp3`
    /// or `opus` (48 kHz only); MPEG audio runs at 32, 44.1 or 48 kHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<AudioCodec>))]
    audio_codec: Option<String>,
}

impl TryFrom<StoredFormat> for ChannelFormat {
    type Error = BadFormat;
    fn try_from(s: StoredFormat) -> Result<Self, BadFormat> {
        ChannelFormat::from_fields(
            FormatKind::FromFields,
            s.width,
            s.height,
            s.fps.as_deref(),
            s.sample_rate,
            s.channels,
            s.audio_codec.as_deref(),
        )
    }
}

impl From<ChannelFormat> for StoredFormat {
    fn from(f: ChannelFormat) -> Self {
        StoredFormat {
            width: f.video.map(|v| v.width),
            height: f.video.map(|v| v.height),
            fps: f.video.map(|v| v.fps.to_string()),
            sample_rate: f.audio.rate,
            channels: f.audio.channels,
            audio_codec: (f.audio_codec != AudioCodec::Aac).then(|| f.audio_codec.as_str().to_owned()),
        }
    }
}

#[cfg(feature = "utoipa")]
mod schema {
    //! The OpenAPI schema of a format is its stored form's; a codec's is its text form.
    use std::borrow::Cow;

    use utoipa::openapi::schema::{Schema, Type};
    use utoipa::openapi::{ObjectBuilder, RefOr};
    use utoipa::{PartialSchema, ToSchema};

    use super::{AudioCodec, ChannelFormat, StoredFormat};

    impl PartialSchema for ChannelFormat {
        fn schema() -> RefOr<Schema> {
            StoredFormat::schema()
        }
    }

    impl ToSchema for ChannelFormat {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("ChannelFormat")
        }
        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            <StoredFormat as ToSchema>::schemas(schemas);
        }
    }

    impl PartialSchema for AudioCodec {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(AudioCodec::ALL.map(AudioCodec::as_str)))
                .into()
        }
    }

    impl ToSchema for AudioCodec {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("AudioCodec")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(num: u32, den: u32) -> ChannelFormat {
        ChannelFormat {
            video: Some(VideoFormat { width: 1280, height: 720, fps: FrameRate::new(num, den).unwrap() }),
            ..ChannelFormat::radio()
        }
    }

    #[test]
    fn codecs_parse_from_their_names_and_others_are_refused() {
        for c in AudioCodec::ALL {
            assert_eq!(c.as_str().parse::<AudioCodec>(), Ok(c));
        }
        assert!("ac3".parse::<AudioCodec>().unwrap_err().to_string().contains("aac, mp2, mp3, opus"));
        assert_eq!(AudioCodec::default(), AudioCodec::Aac);
    }

    #[test]
    fn tv_carries_aac_or_mp2_and_radio_aac_mp3_or_opus_at_their_rates() {
        assert_eq!(AudioCodec::Mp2.unfit(false, 48_000), None);
        assert!(AudioCodec::Mp3.unfit(false, 48_000).unwrap().contains("tv channel carries aac, mp2"));
        assert!(AudioCodec::Opus.unfit(false, 48_000).is_some());
        assert!(AudioCodec::Mp2.unfit(true, 48_000).unwrap().contains("radio channel carries aac, mp3, opus"));
        assert_eq!(AudioCodec::Opus.unfit(true, 48_000), None);
        assert!(AudioCodec::Opus.unfit(true, 44_100).unwrap().contains("not 44100"));
        assert_eq!(AudioCodec::Mp3.unfit(true, 44_100), None);
        assert!(AudioCodec::Mp2.unfit(false, 22_050).is_some());
        assert_eq!(AudioCodec::Aac.unfit(true, 22_050), None);
    }

    #[test]
    fn bitrates_are_the_documented_ones() {
        assert_eq!(AudioCodec::Mp2.bitrate_bps(2), 256_000);
        assert_eq!(AudioCodec::Mp2.bitrate_bps(1), 128_000);
        assert_eq!(AudioCodec::Aac.bitrate_bps(2), 128_000);
        assert_eq!(AudioCodec::Mp3.bitrate_bps(2), 128_000);
        assert_eq!(AudioCodec::Opus.bitrate_bps(1), 96_000);
    }

    #[test]
    fn the_stored_form_reads_and_writes_the_catalog_json_byte_for_byte() {
        for json in [
            r#"{"width":1920,"height":1080,"fps":"25/1","sample_rate":48000,"channels":2}"#,
            r#"{"sample_rate":48000,"channels":2}"#,
            r#"{"sample_rate":48000,"channels":2,"audio_codec":"opus"}"#,
            r#"{"width":1280,"height":720,"fps":"30000/1001","sample_rate":48000,"channels":2,"audio_codec":"mp2"}"#,
        ] {
            let f: ChannelFormat = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&f).unwrap(), json);
        }
        let tv: ChannelFormat =
            serde_json::from_str(r#"{"width":1920,"height":1080,"fps":"25/1","sample_rate":48000,"channels":2}"#)
                .unwrap();
        assert_eq!(tv, ChannelFormat::tv_hd());
        let aac: ChannelFormat =
            serde_json::from_str(r#"{"sample_rate":48000,"channels":2,"audio_codec":"aac"}"#).unwrap();
        assert_eq!(aac, ChannelFormat::radio());
    }

    #[test]
    fn the_stored_form_is_checked_with_the_paths_of_the_fields() {
        let err = |json: &str| serde_json::from_str::<ChannelFormat>(json).unwrap_err().to_string();
        assert!(err(r#"{"sample_rate":48000,"channels":2,"audio_codec":"ac3"}"#).contains("format.audio_codec"));
        assert!(err(
            r#"{"width":1280,"height":720,"fps":"25/1","sample_rate":48000,"channels":2,"audio_codec":"mp3"}"#
        )
        .contains("format.audio_codec: a tv channel carries aac, mp2"));
        let partial = err(r#"{"width":1281,"sample_rate":7,"channels":6}"#);
        for needle in ["format.width: must be even", "format.height: required", "format.fps", "format.sample_rate"] {
            assert!(partial.contains(needle), "{needle:?} missing from {partial}");
        }
        assert!(ChannelFormat::radio().check_kind(true).is_ok());
        assert!(ChannelFormat::radio().check_kind(false).unwrap_err().to_string().contains("required for a tv"));
        assert!(ChannelFormat::tv_hd().check_kind(true).unwrap_err().to_string().contains("radio channel has no"));
    }

    #[test]
    fn pal_frames_carry_1920_samples_and_boundaries_snap_to_the_nearest_frame() {
        let f = tv(25, 1);
        assert_eq!(f.sample_at_frame(1), 1920);
        let b = f.boundary(MediaTime::from_millis(6500));
        assert_eq!((b.frame, b.sample), (163, 163 * 1920));
        assert_eq!(f.boundary(MediaTime::from_secs(-1)).frame, 0);
    }

    #[test]
    fn frame_and_sample_times_are_exact() {
        let f = tv(30000, 1001);
        assert_eq!(f.video.unwrap().fps.frames_to_time(30000), MediaTime::from_nanos(1_001_000_000_000));
        assert_eq!(f.sample_time(48000), MediaTime::from_nanos(1_000_000_000));
    }
}

//! The house format, and the transcode that makes it with the planned loudness gain applied
//! in the same pass, followed by a re-measurement of the result.
//!
//! * TV: H.264 High, 4:2:0 8-bit, the channel's resolution (default 1920×1080), 25 fps
//!   progressive constant frame rate, deinterlaced with `bwdif`, aspect kept by scale + pad,
//!   closed 1 s GOPs; AAC-LC 48 kHz stereo 256 kb/s; MP4 with `faststart`.
//! * Radio: FLAC 48 kHz stereo 24-bit in a native `.flac` file (lossless, so the playout
//!   encoder is the only lossy generation, and sample-exact: no AAC priming delay).
//!
//! Reasons and the equivalent `ffmpeg` command line: `docs/house-format.md`.

mod command;
pub mod job;

pub use command::{audio_filter, ffmpeg_args, video_filter};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::child;
use crate::gain::{GainPlan, LoudnessTarget};
use crate::loudness::Loudness;
use crate::normalise;
use crate::probe::ProbeReport;
use crate::proxy::ProxyOutcome;
use crate::qc::{Detections, Thresholds};
use crate::sandbox::Limits;
use crate::IngestError;
use job::{HouseJob, HouseReply, VideoIn};

/// TV or radio house format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseKind {
    /// Picture and sound (MP4).
    Tv,
    /// Sound only (FLAC).
    Radio,
}

/// The house-format settings of a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseSpec {
    /// Output picture width (even).
    pub width: u32,
    /// Output picture height (even).
    pub height: u32,
    /// Output frame rate (frames per second, integer: 25 in China's PAL heritage).
    pub fps: u32,
    /// x264 preset. `veryfast` keeps a 1080p25 transcode near real time on 2 cores.
    pub x264_preset: String,
    /// x264 constant rate factor (quality), capped by `max_video_kbps`.
    pub crf: u8,
    /// VBV cap of the video bit rate, kb/s.
    pub max_video_kbps: u32,
    /// AAC bit rate for TV, kb/s.
    pub aac_kbps: u32,
}

impl Default for HouseSpec {
    fn default() -> Self {
        Self {
            width: 1920,
            height: 1080,
            fps: 25,
            x264_preset: "veryfast".into(),
            crf: 18,
            max_video_kbps: 20_000,
            aac_kbps: 256,
        }
    }
}

impl HouseSpec {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`IngestError::InvalidOptions`] for odd or out-of-range sizes, rates or presets.
    pub fn validate(&self) -> Result<(), IngestError> {
        let bad = |m: String| Err(IngestError::InvalidOptions(m));
        if !(16..=7680).contains(&self.width) || !(16..=4320).contains(&self.height) {
            return bad(format!("house size {}x{} out of range", self.width, self.height));
        }
        if (self.width | self.height) & 1 == 1 {
            return bad("house width and height must be even (4:2:0)".into());
        }
        if !(1..=60).contains(&self.fps) || self.crf > 51 {
            return bad("house fps must be 1…60 and crf 0…51".into());
        }
        const PRESETS: [&str; 9] =
            ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];
        if !PRESETS.contains(&self.x264_preset.as_str()) {
            return bad(format!("unknown x264 preset {}", self.x264_preset));
        }
        Ok(())
    }

    /// File name of the house file for `kind`.
    pub fn file_name(kind: HouseKind) -> &'static str {
        match kind {
            HouseKind::Tv => "house.mp4",
            HouseKind::Radio => "house.flac",
        }
    }
}

/// The result of a house transcode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseOutcome {
    /// The finished house file.
    pub path: PathBuf,
    /// TV or radio.
    pub kind: HouseKind,
    /// Source loudness, measured on the 48 kHz stereo signal the gain is applied to.
    pub source_loudness: Option<Loudness>,
    /// The gain (and limiter) applied.
    pub plan: GainPlan,
    /// Loudness of the house file, re-measured after the transcode.
    pub house_loudness: Option<Loudness>,
    /// Seconds of house audio decoded by the re-measurement.
    pub house_audio_s: f64,
    /// Decoder complaints FFmpeg printed while reading the source (first 20).
    pub decode_errors: Vec<String>,
    /// How many decoder complaints there were in all.
    pub decode_error_count: usize,
}

/// Picks TV when the source has video, radio otherwise.
pub fn kind_for(probe: &ProbeReport) -> HouseKind {
    if probe.video().is_some() {
        HouseKind::Tv
    } else {
        HouseKind::Radio
    }
}

/// Transcodes `source` to the house format in `work_dir`, applying the loudness plan, and
/// measures the normalised audio. `progress` receives 0.0…1.0. See [`make`].
///
/// # Errors
/// As [`make`].
pub fn transcode(
    source: &Path,
    probe: &ProbeReport,
    kind: HouseKind,
    spec: &HouseSpec,
    target: &LoudnessTarget,
    work_dir: &Path,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<HouseOutcome, IngestError> {
    Ok(make(source, probe, kind, spec, target, work_dir, Extras::default(), progress)?.house)
}

/// What else the one decode of the house transcode makes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extras {
    /// Run the QC detectors (black, freeze, silence) with these thresholds.
    pub detect: Option<Thresholds>,
    /// Render proxy, poster and (TV) strip.
    pub proxy: bool,
}

/// Everything [`make`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    /// The house file and its loudness.
    pub house: HouseOutcome,
    /// Detector findings, when asked.
    pub detections: Option<Detections>,
    /// Proxy files, when asked.
    pub proxy: Option<ProxyOutcome>,
    /// The media child's peak resident memory, KiB, where the system tells it.
    pub child_peak_rss_kib: Option<u64>,
}

/// Plans the gain (source measured by the probe, or here), then makes the house file in one
/// decode of the source in the media child (`house`, [`crate::media`]), together with the
/// `extras`: the audio is measured as it goes to the encoder (the re-measure), the detectors
/// run on the house picture and sound, the proxy is encoded from the same frames.
///
/// The house file is written under a temporary name and renamed only when complete, so a
/// half-written house file is never visible.
///
/// # Errors
/// [`IngestError::BadMedia`], [`IngestError::Tool`] or [`IngestError::Timeout`] when the
/// source cannot be transcoded; [`IngestError::Io`] for work-directory faults.
#[allow(clippy::too_many_arguments)]
pub fn make(
    source: &Path,
    probe: &ProbeReport,
    kind: HouseKind,
    spec: &HouseSpec,
    target: &LoudnessTarget,
    work_dir: &Path,
    extras: Extras,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<Made, IngestError> {
    spec.validate()?;
    let duration = probe.duration_s.unwrap_or(0.0);
    let video = match kind {
        HouseKind::Tv => {
            let v = probe
                .video()
                .ok_or_else(|| IngestError::bad_media("the TV house format needs a video stream; the file has none"))?;
            // Both streams are cut at the source video's whole-frame duration when declared.
            let frames = v.duration_s.filter(|d| *d > 0.0).map(|d| (d * f64::from(spec.fps)).round() as u64);
            Some(VideoIn { index: v.index, filter: video_filter(v, spec), frames })
        }
        HouseKind::Radio => None,
    };
    if kind == HouseKind::Radio && probe.audio().is_none() {
        return Err(IngestError::bad_media("the file has no audio stream"));
    }
    let (source_loudness, plan) = match probe.audio() {
        Some(audio) => {
            let (l, p) = match probe.house_chain_loudness {
                Some(measured) => normalise::plan_from_measured(source, audio.index, duration, target, measured)?,
                None => normalise::plan_for_stream(source, audio.index, duration, target)?,
            };
            (Some(l), p)
        }
        None => (None, normalise::silent_plan(target)),
    };
    let name = HouseSpec::file_name(kind);
    let tmp = work_dir.join(format!(".{name}.part"));
    let out = work_dir.join(name);
    let job = HouseJob {
        source: source.to_path_buf(),
        work_dir: work_dir.to_path_buf(),
        kind,
        spec: spec.clone(),
        video,
        audio: probe.audio().map(|a| a.index),
        audio_filter: audio_filter(&plan),
        duration_s: duration,
        detect: extras.detect,
        proxy: extras.proxy,
    };
    let arg = serde_json::to_string(&job).map_err(|e| IngestError::InvalidOptions(format!("house job: {e}")))?;
    let limits = Limits::for_media(duration, 10.0, 4);
    let reply: HouseReply = match child::run_with_progress(&["house".into(), arg.into()], limits, progress) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &out).map_err(|e| IngestError::io(&out, e))?;
    let proxy = if extras.proxy {
        let (proxy, strip) = match kind {
            HouseKind::Tv => (work_dir.join("proxy.mp4"), Some(work_dir.join("strip.jpg"))),
            HouseKind::Radio => (work_dir.join("proxy.m4a"), None),
        };
        let made = ProxyOutcome { proxy, poster: work_dir.join("poster.jpg"), strip };
        for f in [Some(&made.proxy), Some(&made.poster), made.strip.as_ref()].into_iter().flatten() {
            if !f.is_file() {
                return Err(IngestError::bad_media("the media child did not write the proxy files"));
            }
        }
        Some(made)
    } else {
        None
    };
    let decode_errors: Vec<String> =
        reply.decode_errors.iter().take(20).map(|l| l.chars().take(300).collect()).collect();
    Ok(Made {
        house: HouseOutcome {
            path: out,
            kind,
            source_loudness,
            plan,
            house_loudness: Some(reply.house.loudness),
            house_audio_s: reply.house.decoded_s,
            decode_errors,
            decode_error_count: reply.decode_error_count,
        },
        detections: reply.detections,
        proxy,
        child_peak_rss_kib: reply.peak_rss_kib,
    })
}

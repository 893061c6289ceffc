//! The question the worker asks the media child's `house` command, and its answer: one decode
//! of the source that makes the house file and, optionally, everything else ingest needs from
//! the picture and sound (QC detectors, proxy, poster, strip).
//!
//! Both sides are this crate, versioned with the binary; the answer is still read as untrusted
//! (numbers checked, file names fixed by the parent, not taken from the answer).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{HouseKind, HouseSpec};
use crate::pcm::Measured;
use crate::qc::{Detections, Thresholds};

/// The source's video stream as the house command needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoIn {
    /// Absolute stream index.
    pub index: u32,
    /// The video filter chain (`house::video_filter`), from the decoded picture to the house
    /// picture.
    pub filter: String,
    /// Frames of the house file when the source declares its video duration (both streams
    /// are cut there); `None`: as many as the source gives, audio cut to the video.
    pub frames: Option<u64>,
}

/// One house transcode, as the child receives it (JSON, one argument).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseJob {
    /// The source file.
    pub source: PathBuf,
    /// Where the files go (house file first written under a `.part` name).
    pub work_dir: PathBuf,
    /// TV or radio.
    pub kind: HouseKind,
    /// House settings.
    pub spec: HouseSpec,
    /// Video (TV only).
    pub video: Option<VideoIn>,
    /// Absolute index of the audio stream; `None`: silence (TV) .
    pub audio: Option<u32>,
    /// The audio filter chain (`house::audio_filter`): 48 kHz stereo, gain, limiter.
    pub audio_filter: String,
    /// Declared programme duration, seconds (progress, the strip's spacing).
    pub duration_s: f64,
    /// Run the QC detectors with these thresholds.
    pub detect: Option<Thresholds>,
    /// Render proxy, poster and (TV) strip.
    pub proxy: bool,
}

/// What the child reports after a house transcode (its files are in the work directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseReply {
    /// The house audio measured as it went to the encoder (after gain, limiter, cut and pad).
    pub house: Measured,
    /// Decoder complaints (first 20).
    pub decode_errors: Vec<String>,
    /// Decoder complaints in all.
    pub decode_error_count: usize,
    /// House video frames written (TV).
    pub frames: u64,
    /// Detector findings, when asked.
    pub detections: Option<Detections>,
    /// Poster time chosen, seconds, when a proxy was asked for.
    pub poster_s: Option<f64>,
    /// The child's peak resident memory, KiB (`VmHWM`), where the system tells it.
    #[serde(default)]
    pub peak_rss_kib: Option<u64>,
}

/// This process's peak resident memory, KiB (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Prefix of the child's progress lines on stdout (`progress 0.25`); the answer is the last line.
pub const PROGRESS: &str = "progress ";

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

pub use command::{audio_filter, ffmpeg_args, video_filter};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::gain::{GainPlan, LoudnessTarget};
use crate::loudness::Loudness;
use crate::normalise;
use crate::pcm::{self, Layout};
use crate::probe::ProbeReport;
use crate::sandbox::{self, Limits};
use crate::IngestError;

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

/// Transcodes `source` to the house format in `work_dir`, applying the loudness plan, then
/// re-measures the result. `progress` receives 0.0…1.0.
///
/// The file is written under a temporary name and renamed only when complete, so a
/// half-written house file is never visible.
///
/// # Errors
/// [`IngestError::BadMedia`], [`IngestError::Tool`] or [`IngestError::Timeout`] when the
/// source cannot be transcoded; [`IngestError::Io`] for work-directory faults.
pub fn transcode(
    source: &Path,
    probe: &ProbeReport,
    kind: HouseKind,
    spec: &HouseSpec,
    target: &LoudnessTarget,
    work_dir: &Path,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<HouseOutcome, IngestError> {
    spec.validate()?;
    let duration = probe.duration_s.unwrap_or(0.0);
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
    let args = ffmpeg_args(source, probe, kind, spec, &plan, &tmp)?;
    let limits = Limits::for_media(duration, 10.0, 4);
    let run = sandbox::run("ffmpeg", &args, limits, |stdout| {
        report_progress(stdout, duration, progress);
        Ok(())
    });
    let finished = match run {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if kind == HouseKind::Tv {
        if let Err(e) = align_audio_to_video(&tmp, work_dir, spec.fps) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    std::fs::rename(&tmp, &out).map_err(|e| IngestError::io(&out, e))?;
    let house_audio = match kind {
        HouseKind::Tv => 1,
        HouseKind::Radio => 0,
    };
    let remeasured = pcm::measure_stream(&out, house_audio, Layout::HouseStereo, Limits::for_media(duration, 1.0, 2))?;
    let errors: Vec<&str> = finished.stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    Ok(HouseOutcome {
        path: out,
        kind,
        source_loudness,
        plan,
        house_loudness: Some(remeasured.loudness),
        house_audio_s: remeasured.decoded_s,
        decode_errors: errors.iter().take(20).map(|l| l.to_string()).collect(),
        decode_error_count: errors.len(),
    })
}

/// Cuts the audio of a TV house file back to its video when FFmpeg's `-shortest` let it run
/// past the last frame (by a few AAC frames, or more when the source's container declares no
/// video duration, as Matroska does). A stream copy, so the cut falls on an AAC frame
/// boundary: within 21 ms, under one video frame.
fn align_audio_to_video(file: &Path, work_dir: &Path, fps: u32) -> Result<(), IngestError> {
    let facts = crate::probe::probe_facts(file)?;
    let (Some(v), Some(a)) = (facts.video().and_then(|s| s.duration_s), facts.audio().and_then(|s| s.duration_s))
    else {
        return Ok(());
    };
    if a <= v + 1.0 / f64::from(fps.max(1)) {
        return Ok(());
    }
    let cut = work_dir.join(".house.cut.mp4.part");
    let mut args: Vec<std::ffi::OsString> =
        ["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"].map(Into::into).into();
    args.extend(sandbox::untrusted_input(file));
    args.extend(["-map", "0", "-c", "copy", "-t"].map(Into::into));
    args.push(format!("{v:.6}").into());
    args.extend(["-movflags", "+faststart", "-f", "mp4"].map(Into::into));
    args.push(cut.clone().into());
    if let Err(e) = sandbox::run("ffmpeg", &args, Limits::for_media(v, 1.0, 2), sandbox::discard) {
        let _ = std::fs::remove_file(&cut);
        return Err(e);
    }
    std::fs::rename(&cut, file).map_err(|e| IngestError::io(file, e))
}

/// Turns ffmpeg's `-progress` key=value lines into fractions of `duration_s`.
pub fn report_progress(stdout: impl std::io::Read, duration_s: f64, progress: &mut (dyn FnMut(f64) + Send)) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(us) = line.strip_prefix("out_time_us=") {
            if let (Ok(us), true) = (us.trim().parse::<f64>(), duration_s > 0.0) {
                progress((us / 1e6 / duration_s).clamp(0.0, 1.0));
            }
        } else if line == "progress=end" {
            progress(1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_become_fractions() {
        let text = "frame=1\nout_time_us=1000000\nprogress=continue\nout_time_us=N/A\nprogress=end\n";
        let mut seen = Vec::new();
        report_progress(text.as_bytes(), 4.0, &mut |p| seen.push(p));
        assert_eq!(seen, vec![0.25, 1.0]);
    }
}

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

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::gain::{self, GainPlan, LoudnessTarget};
use crate::loudness::Loudness;
use crate::pcm::{self, Layout};
use crate::probe::{ProbeReport, StreamInfo};
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
            return bad(format!(
                "house size {}x{} out of range",
                self.width, self.height
            ));
        }
        if (self.width | self.height) & 1 == 1 {
            return bad("house width and height must be even (4:2:0)".into());
        }
        if !(1..=60).contains(&self.fps) || self.crf > 51 {
            return bad("house fps must be 1…60 and crf 0…51".into());
        }
        const PRESETS: [&str; 9] = [
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
        ];
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

/// The audio filter chain: stereo 48 kHz, planned gain, and the true-peak limiter if planned.
pub fn audio_filter(plan: &GainPlan) -> String {
    let mut f = format!(
        "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,volume={:.2}dB:precision=float",
        plan.gain_db
    );
    if let Some(lim) = plan.limiter {
        // 4x oversampled look-ahead limiter = true-peak limiting (see gain::Limiter).
        f.push_str(&format!(
            ",aresample=192000,alimiter=limit={:.4}:attack=5:release=100:level=false:latency=true,aresample=48000",
            crate::loudness::db_to_linear(lim.threshold_dbfs)
        ));
    }
    f
}

/// The video filter chain: deinterlace, frame rate, aspect-correct fit, pad, 4:2:0.
pub fn video_filter(video: &StreamInfo, spec: &HouseSpec) -> String {
    let (w, h, fps) = (spec.width, spec.height, spec.fps);
    // Streams flagged interlaced are deinterlaced whole; otherwise only frames that carry the
    // interlaced flag are (bwdif passes progressive frames through untouched).
    let deint = if video.interlaced == Some(true) {
        "all"
    } else {
        "interlaced"
    };
    let mut f = format!("bwdif=mode=send_frame:parity=auto:deint={deint},fps={fps}");
    if video.sample_aspect.is_some() {
        // Anamorphic source: make pixels square first so the fit below keeps the shape.
        f.push_str(",scale=trunc(iw*sar/2)*2:ih,setsar=1");
    }
    f.push_str(&format!(
        ",scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic,\
pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p"
    ));
    f
}

/// The complete ffmpeg argument list of a house transcode (after `ffmpeg`).
///
/// # Errors
/// [`IngestError::BadMedia`] when the source lacks what `kind` needs (no audio for radio,
/// no video for TV).
pub fn ffmpeg_args(
    source: &Path,
    probe: &ProbeReport,
    kind: HouseKind,
    spec: &HouseSpec,
    plan: &GainPlan,
    out: &Path,
) -> Result<Vec<OsString>, IngestError> {
    let mut a: Vec<OsString> = [
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-v",
        "error",
        "-progress",
        "pipe:1",
        "-y",
    ]
    .map(OsString::from)
    .into();
    a.extend(sandbox::untrusted_input(source));
    let audio = probe.audio();
    let s = |v: &str| OsString::from(v);
    match kind {
        HouseKind::Tv => {
            let video = probe.video().ok_or_else(|| {
                IngestError::bad_media(
                    "the TV house format needs a video stream; the file has none",
                )
            })?;
            let (audio_in, silent) = match audio {
                Some(a) => (format!("0:{}", a.index), false),
                None => ("1:a".to_string(), true),
            };
            if silent {
                a.extend(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"].map(s));
            }
            // Simple filtergraphs (-vf/-af), not -filter_complex: FFmpeg 5.1 ends an infinite
            // `apad` at the video's end with -shortest only for simple graphs.
            a.extend([
                s("-map"),
                format!("0:{}", video.index).into(),
                s("-map"),
                audio_in.into(),
            ]);
            a.extend([s("-vf"), video_filter(video, spec).into()]);
            a.extend([s("-af"), format!("{},apad", audio_filter(plan)).into()]);
            // -shortest alone lets up to a few AAC frames of padding through; cutting both
            // streams at the video's whole-frame duration makes them end together. -shortest
            // stays as the guard for files whose header overstates the video.
            if let Some(d) = video.duration_s.or(probe.duration_s).filter(|d| *d > 0.0) {
                let frames = (d * f64::from(spec.fps)).round();
                a.extend([
                    s("-t"),
                    format!("{:.6}", frames / f64::from(spec.fps)).into(),
                ]);
            }
            let gop = spec.fps.to_string();
            a.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    &spec.x264_preset,
                    "-profile:v",
                    "high",
                    "-pix_fmt",
                    "yuv420p",
                    "-crf",
                    &spec.crf.to_string(),
                    "-maxrate",
                    &format!("{}k", spec.max_video_kbps),
                    "-bufsize",
                    &format!("{}k", spec.max_video_kbps),
                    "-g",
                    &gop,
                    "-keyint_min",
                    &gop,
                    "-sc_threshold",
                    "0",
                    "-flags",
                    "+cgop",
                    "-fps_mode",
                    "cfr",
                    "-r",
                    &gop,
                    "-c:a",
                    "aac",
                    "-b:a",
                    &format!("{}k", spec.aac_kbps),
                    "-ar",
                    "48000",
                    "-ac",
                    "2",
                    "-shortest",
                    "-map_metadata",
                    "-1",
                    "-map_chapters",
                    "-1",
                    "-max_muxing_queue_size",
                    "4096",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "mp4",
                ]
                .map(s),
            );
        }
        HouseKind::Radio => {
            let audio =
                audio.ok_or_else(|| IngestError::bad_media("the file has no audio stream"))?;
            a.extend([
                s("-map"),
                format!("0:{}", audio.index).into(),
                s("-af"),
                audio_filter(plan).into(),
            ]);
            a.extend(
                [
                    "-c:a",
                    "flac",
                    "-sample_fmt",
                    "s32",
                    "-bits_per_raw_sample",
                    "24",
                    "-ar",
                    "48000",
                    "-ac",
                    "2",
                    "-map_metadata",
                    "-1",
                    "-map_chapters",
                    "-1",
                    "-f",
                    "flac",
                ]
                .map(s),
            );
        }
    }
    a.push(out.into());
    Ok(a)
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
    let source_loudness = match probe.audio() {
        Some(audio) => {
            let limits = Limits::for_media(duration, 1.0, 2);
            Some(pcm::measure_stream(source, audio.index, Layout::HouseStereo, limits)?.loudness)
        }
        None => None,
    };
    let plan = source_loudness.map_or_else(
        || {
            gain::plan(
                &Loudness {
                    integrated_lufs: None,
                    true_peak_dbtp: None,
                    range_lu: None,
                },
                target,
            )
        },
        |l| gain::plan(&l, target),
    );
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
    std::fs::rename(&tmp, &out).map_err(|e| IngestError::io(&out, e))?;
    let house_audio = match kind {
        HouseKind::Tv => 1,
        HouseKind::Radio => 0,
    };
    let remeasured = pcm::measure_stream(
        &out,
        house_audio,
        Layout::HouseStereo,
        Limits::for_media(duration, 1.0, 2),
    )?;
    let errors: Vec<&str> = finished
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
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

/// Turns ffmpeg's `-progress` key=value lines into fractions of `duration_s`.
pub fn report_progress(
    stdout: impl std::io::Read,
    duration_s: f64,
    progress: &mut (dyn FnMut(f64) + Send),
) {
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
    use crate::gain::Limiter;
    use crate::probe::StreamKind;

    fn video(interlaced: Option<bool>, sar: Option<(u32, u32)>) -> StreamInfo {
        StreamInfo {
            index: 0,
            kind: StreamKind::Video,
            codec: Some("h264".into()),
            width: Some(720),
            height: Some(576),
            fps: Some(25.0),
            interlaced,
            field_order: None,
            sample_rate: None,
            channels: None,
            duration_s: Some(2.0),
            sample_aspect: sar,
        }
    }

    fn plan(gain_db: f64, limiter: Option<f64>) -> GainPlan {
        GainPlan {
            gain_db,
            gain_capped: false,
            predicted_true_peak_dbtp: None,
            limiter: limiter.map(|t| Limiter { threshold_dbfs: t }),
        }
    }

    #[test]
    fn interlaced_sources_are_deinterlaced_whole_then_fitted_and_padded() {
        let f = video_filter(&video(Some(true), None), &HouseSpec::default());
        assert!(
            f.starts_with("bwdif=mode=send_frame:parity=auto:deint=all,fps=25"),
            "{f}"
        );
        assert!(
            f.contains("scale=1920:1080:force_original_aspect_ratio=decrease"),
            "{f}"
        );
        assert!(f.contains("pad=1920:1080:(ow-iw)/2:(oh-ih)/2"), "{f}");
        assert!(f.ends_with("format=yuv420p"));
    }

    #[test]
    fn anamorphic_sources_get_square_pixels_before_the_fit() {
        let f = video_filter(&video(Some(false), Some((64, 45))), &HouseSpec::default());
        assert!(f.contains("deint=interlaced"));
        assert!(
            f.contains("scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=1920"),
            "{f}"
        );
    }

    #[test]
    fn gain_only_plan_has_no_limiter_stage() {
        let f = audio_filter(&plan(-3.5, None));
        assert!(f.contains("volume=-3.50dB"), "{f}");
        assert!(!f.contains("alimiter"));
    }

    #[test]
    fn limiter_runs_oversampled_with_latency_compensation_and_no_auto_level() {
        let f = audio_filter(&plan(6.0, Some(-2.5)));
        assert!(f.contains("aresample=192000,alimiter=limit=0.7499:"), "{f}");
        assert!(
            f.contains("level=false:latency=true,aresample=48000"),
            "{f}"
        );
    }

    #[test]
    fn odd_sizes_and_unknown_presets_are_refused() {
        let mut s = HouseSpec {
            width: 1921,
            ..HouseSpec::default()
        };
        assert!(s.validate().is_err());
        s.width = 1920;
        s.x264_preset = "ludicrous".into();
        assert!(s.validate().is_err());
        assert!(HouseSpec::default().validate().is_ok());
    }

    #[test]
    fn progress_lines_become_fractions() {
        let text =
            "frame=1\nout_time_us=1000000\nprogress=continue\nout_time_us=N/A\nprogress=end\n";
        let mut seen = Vec::new();
        report_progress(text.as_bytes(), 4.0, &mut |p| seen.push(p));
        assert_eq!(seen, vec![0.25, 1.0]);
    }
}

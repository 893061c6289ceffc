//! The FFmpeg command line of a house transcode: filter chains and encoder settings.
//! Pure string building, unit-tested; `docs/house-format.md` shows the result.

use std::ffi::OsString;
use std::path::Path;

use super::{HouseKind, HouseSpec};
use crate::gain::GainPlan;
use crate::probe::{ProbeReport, StreamInfo};
use crate::sandbox;
use crate::IngestError;

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
    let deint = if video.interlaced == Some(true) { "all" } else { "interlaced" };
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
    let mut a: Vec<OsString> =
        ["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-progress", "pipe:1", "-y"].map(OsString::from).into();
    a.extend(sandbox::untrusted_input(source));
    let audio = probe.audio();
    let s = |v: &str| OsString::from(v);
    match kind {
        HouseKind::Tv => {
            let video = probe
                .video()
                .ok_or_else(|| IngestError::bad_media("the TV house format needs a video stream; the file has none"))?;
            let (audio_in, silent) = match audio {
                Some(a) => (format!("0:{}", a.index), false),
                None => ("1:a".to_string(), true),
            };
            if silent {
                a.extend(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"].map(s));
            }
            // Simple filtergraphs (-vf/-af), not -filter_complex: FFmpeg 5.1 ends an infinite
            // `apad` at the video's end with -shortest only for simple graphs.
            a.extend([s("-map"), format!("0:{}", video.index).into(), s("-map"), audio_in.into()]);
            a.extend([s("-vf"), video_filter(video, spec).into()]);
            a.extend([s("-af"), format!("{},apad", audio_filter(plan)).into()]);
            // -shortest alone lets up to a few AAC frames of padding through; cutting both
            // streams at the video's whole-frame duration makes them end together. -shortest
            // stays as the guard for files whose header overstates the video.
            if let Some(d) = video.duration_s.filter(|d| *d > 0.0) {
                let frames = (d * f64::from(spec.fps)).round();
                a.extend([s("-t"), format!("{:.6}", frames / f64::from(spec.fps)).into()]);
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
            let audio = audio.ok_or_else(|| IngestError::bad_media("the file has no audio stream"))?;
            a.extend([s("-map"), format!("0:{}", audio.index).into(), s("-af"), audio_filter(plan).into()]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gain::Limiter;
    use crate::house::HouseSpec;
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
            limiter_makeup_db: 0.0,
        }
    }

    #[test]
    fn interlaced_sources_are_deinterlaced_whole_then_fitted_and_padded() {
        let f = video_filter(&video(Some(true), None), &HouseSpec::default());
        assert!(f.starts_with("bwdif=mode=send_frame:parity=auto:deint=all,fps=25"), "{f}");
        assert!(f.contains("scale=1920:1080:force_original_aspect_ratio=decrease"), "{f}");
        assert!(f.contains("pad=1920:1080:(ow-iw)/2:(oh-ih)/2"), "{f}");
        assert!(f.ends_with("format=yuv420p"));
    }

    #[test]
    fn anamorphic_sources_get_square_pixels_before_the_fit() {
        let f = video_filter(&video(Some(false), Some((64, 45))), &HouseSpec::default());
        assert!(f.contains("deint=interlaced"));
        assert!(f.contains("scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=1920"), "{f}");
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
        assert!(f.contains("level=false:latency=true,aresample=48000"), "{f}");
    }

    #[test]
    fn odd_sizes_and_unknown_presets_are_refused() {
        let mut s = HouseSpec { width: 1921, ..HouseSpec::default() };
        assert!(s.validate().is_err());
        s.width = 1920;
        s.x264_preset = "ludicrous".into();
        assert!(s.validate().is_err());
        assert!(HouseSpec::default().validate().is_ok());
    }
}

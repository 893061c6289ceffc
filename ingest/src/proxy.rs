//! Browse proxy, poster and thumbnail strip, rendered from the house file.
//!
//! * TV: H.264 540p ~1.5 Mb/s + AAC 128 kb/s MP4 with `faststart` (plays in a browser while
//!   it downloads), a 960×540 poster JPEG, and a strip of 10 thumbnails (192×108 each)
//!   spread evenly over the programme — proxy and strip from one decode.
//! * Radio: AAC 128 kb/s in M4A, and a waveform picture as poster (no strip).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::house::HouseKind;
use crate::qc::Segment;
use crate::sandbox::{self, Limits};
use crate::IngestError;

/// Thumbnails in the strip.
pub const STRIP_TILES: u32 = 10;

/// The files rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyOutcome {
    /// Browse proxy (`proxy.mp4` or `proxy.m4a`).
    pub proxy: PathBuf,
    /// Poster picture (`poster.jpg`).
    pub poster: PathBuf,
    /// Thumbnail strip (`strip.jpg`), TV only.
    pub strip: Option<PathBuf>,
}

/// Chooses the poster time: a third into the programme, moved out of black or frozen runs
/// (the first moment after such a run, if any is left).
pub fn poster_time(duration_s: f64, avoid: &[Segment]) -> f64 {
    let mut t = duration_s / 3.0;
    for _ in 0..avoid.len() {
        match avoid.iter().find(|s| t >= s.start_s && t < s.end_s) {
            Some(s) if s.end_s + 0.5 < duration_s => t = s.end_s + 0.5,
            Some(_) => break,
            None => break,
        }
    }
    t.clamp(0.0, (duration_s - 0.1).max(0.0))
}

/// Renders proxy, poster and (TV) strip of `house` into `work_dir`.
///
/// # Errors
/// [`IngestError::Tool`]/[`IngestError::Timeout`] when ffmpeg fails; [`IngestError::Io`].
pub fn render(
    house: &Path,
    kind: HouseKind,
    duration_s: f64,
    avoid: &[Segment],
    work_dir: &Path,
) -> Result<ProxyOutcome, IngestError> {
    let limits = Limits::for_media(duration_s, 5.0, 4);
    let s = |v: &str| OsString::from(v);
    let base: Vec<OsString> = ["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"].map(s).into();
    let poster = work_dir.join("poster.jpg");
    match kind {
        HouseKind::Tv => {
            let proxy = work_dir.join("proxy.mp4");
            let strip = work_dir.join("strip.jpg");
            let rate = f64::from(STRIP_TILES) / duration_s.max(0.04);
            let graph = format!(
                "[0:v]split=2[p][t];[p]scale=-2:540[pv];[t]fps={rate:.6},scale=192:108,tile={STRIP_TILES}x1[s]"
            );
            let mut a = base.clone();
            a.extend(sandbox::untrusted_input(house));
            a.extend([s("-filter_complex"), graph.into(), s("-map"), s("[pv]"), s("-map"), s("0:a:0?")]);
            a.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-profile:v",
                    "high",
                    "-pix_fmt",
                    "yuv420p",
                    "-b:v",
                    "1500k",
                    "-maxrate",
                    "1800k",
                    "-bufsize",
                    "3000k",
                    "-g",
                    "50",
                    "-c:a",
                    "aac",
                    "-b:a",
                    "128k",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "mp4",
                ]
                .map(s),
            );
            a.push(proxy.clone().into());
            a.extend(["-map", "[s]", "-frames:v", "1", "-update", "1", "-q:v", "4"].map(s));
            a.push(strip.clone().into());
            sandbox::run("ffmpeg", &a, limits, sandbox::discard)?;
            let mut p = base;
            p.extend([s("-ss"), format!("{:.3}", poster_time(duration_s, avoid)).into()]);
            p.extend(sandbox::untrusted_input(house));
            p.extend(["-frames:v", "1", "-vf", "scale=-2:540", "-q:v", "3", "-update", "1"].map(s));
            p.push(poster.clone().into());
            sandbox::run("ffmpeg", &p, Limits::PROBE, sandbox::discard)?;
            Ok(ProxyOutcome { proxy, poster, strip: Some(strip) })
        }
        HouseKind::Radio => {
            let proxy = work_dir.join("proxy.m4a");
            let mut a = base;
            a.extend(sandbox::untrusted_input(house));
            a.extend(["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4"].map(s));
            a.push(proxy.clone().into());
            a.extend(
                [
                    "-filter_complex",
                    "[0:a:0]showwavespic=s=960x540:split_channels=1[w]",
                    "-map",
                    "[w]",
                    "-frames:v",
                    "1",
                    "-update",
                    "1",
                    "-q:v",
                    "3",
                ]
                .map(s),
            );
            a.push(poster.clone().into());
            sandbox::run("ffmpeg", &a, limits, sandbox::discard)?;
            Ok(ProxyOutcome { proxy, poster, strip: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poster_is_a_third_in_when_nothing_is_black() {
        assert!((poster_time(90.0, &[]) - 30.0).abs() < 1e-9);
    }

    #[test]
    fn poster_skips_black_and_frozen_runs() {
        let avoid = [Segment { start_s: 20.0, end_s: 35.0 }, Segment { start_s: 35.0, end_s: 40.0 }];
        assert!((poster_time(90.0, &avoid) - 40.5).abs() < 1e-9);
    }

    #[test]
    fn poster_stays_inside_the_programme() {
        let avoid = [Segment { start_s: 0.0, end_s: 10.0 }];
        let t = poster_time(10.0, &avoid);
        assert!((0.0..10.0).contains(&t));
    }
}

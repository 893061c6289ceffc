//! Measures the loudness of one audio stream of a file in constant memory, any programme
//! length: as it is or as 48 kHz stereo, in the media child (decode, libswresample and the
//! meter in one sandboxed process), or after an FFmpeg filter chain (the limiter make-up of
//! [`crate::normalise`]) in the same child.

use std::ffi::OsString;
use std::path::Path;

use crate::loudness::{channel_map, Loudness};
use crate::sandbox::Limits;
use crate::IngestError;

/// Which signal to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The stream as it is (channel counts without a BS.1770 map are downmixed to stereo;
    /// rates above 192 kHz are resampled to 48 kHz).
    Native {
        /// The stream's channel count (from the probe).
        channels: u32,
        /// The stream's sample rate (from the probe).
        sample_rate: u32,
    },
    /// 48 kHz stereo, exactly the chain the house transcode feeds its gain stage with, so the
    /// gain planned on it lands on target after a mono or 5.1 source is made stereo.
    HouseStereo,
}

impl Layout {
    fn resolved(self) -> (u32, u32, bool) {
        match self {
            Layout::Native { channels, sample_rate } => {
                let ch = if channel_map(channels).is_some() { channels } else { 2 };
                let rate = if (8_000..=192_000).contains(&sample_rate) { sample_rate } else { 48_000 };
                (ch, rate, ch != channels || rate != sample_rate)
            }
            Layout::HouseStereo => (2, 48_000, true),
        }
    }
}

/// A loudness measurement together with how much audio was actually decoded.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measured {
    /// The measurement.
    pub loudness: Loudness,
    /// Seconds of audio that decoded.
    pub decoded_s: f64,
}

/// Measures the audio stream with absolute index `stream` of `path`.
///
/// # Errors
/// [`IngestError::Timeout`]/[`IngestError::Tool`] when the decoder hangs or fails,
/// [`IngestError::Spawn`] when ffmpeg is missing.
pub fn measure_stream(path: &Path, stream: u32, layout: Layout, limits: Limits) -> Result<Measured, IngestError> {
    measure_with(path, stream, layout, limits)
}

/// Measures the audio stream with absolute index `stream` of `path` as each of `layouts`,
/// from one decode in the media child (a layout asked twice is measured once).
///
/// # Errors
/// As [`measure_stream`]; [`IngestError::BadMedia`] when the child's answer does not match
/// the question.
pub fn measure_layouts(
    path: &Path,
    stream: u32,
    layouts: &[Layout],
    limits: Limits,
) -> Result<Vec<Measured>, IngestError> {
    let mut wanted: Vec<(u32, u32)> = Vec::new();
    for l in layouts {
        let (channels, rate, _) = l.resolved();
        if !wanted.contains(&(channels, rate)) {
            wanted.push((channels, rate));
        }
    }
    let mut args: Vec<OsString> = vec!["measure".into(), path.as_os_str().to_owned(), stream.to_string().into()];
    for (channels, rate) in &wanted {
        args.extend([channels.to_string().into(), rate.to_string().into()]);
    }
    let measured: Vec<Measured> = crate::child::run(&args, limits)?;
    if measured.len() != wanted.len() {
        return Err(IngestError::bad_media("the media child answered a different number of measurements"));
    }
    Ok(layouts
        .iter()
        .filter_map(|l| {
            let (channels, rate, _) = l.resolved();
            wanted.iter().position(|w| *w == (channels, rate)).map(|i| measured[i])
        })
        .collect())
}

/// Measures the audio stream `stream` after the FFmpeg audio filter chain `filter`, which
/// must output 48 kHz stereo (the house chain: gain and limiter as the transcode applies them),
/// in the media child (`measure-filtered`): decode, FFmpeg's filters and the meter in one
/// sandboxed process.
///
/// # Errors
/// As [`measure_stream`].
pub fn measure_filtered(path: &Path, stream: u32, filter: &str, limits: Limits) -> Result<Measured, IngestError> {
    let args: Vec<OsString> =
        vec!["measure-filtered".into(), path.as_os_str().to_owned(), stream.to_string().into(), filter.into()];
    crate::child::run(&args, limits)
}

fn measure_with(path: &Path, stream: u32, layout: Layout, limits: Limits) -> Result<Measured, IngestError> {
    let mut all = measure_layouts(path, stream, &[layout], limits)?;
    all.pop().ok_or_else(|| IngestError::bad_media("the media child measured nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_layouts_are_downmixed_and_odd_rates_resampled() {
        let (c, r, conv) = Layout::Native { channels: 8, sample_rate: 48_000 }.resolved();
        assert_eq!((c, r, conv), (2, 48_000, true));
        let (c, r, conv) = Layout::Native { channels: 1, sample_rate: 44_100 }.resolved();
        assert_eq!((c, r, conv), (1, 44_100, false));
    }
}

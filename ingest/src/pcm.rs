//! Measures the loudness of one audio stream of a file in constant memory, any programme
//! length: as it is or as 48 kHz stereo, in the media child (decode, libswresample and the
//! meter in one sandboxed process); after an FFmpeg filter chain (the limiter make-up of
//! [`crate::normalise`]), by an `ffmpeg` child writing f32 PCM to a pipe into the [`Meter`].

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

use crate::loudness::{channel_map, Loudness, Meter};
use crate::sandbox::{self, Limits};
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
    measure_with(path, stream, layout, None, limits)
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
/// must output 48 kHz stereo (the house chain: gain and limiter as the transcode applies them).
///
/// # Errors
/// As [`measure_stream`].
pub fn measure_filtered(path: &Path, stream: u32, filter: &str, limits: Limits) -> Result<Measured, IngestError> {
    measure_with(path, stream, Layout::HouseStereo, Some(filter), limits)
}

fn measure_with(
    path: &Path,
    stream: u32,
    layout: Layout,
    filter: Option<&str>,
    limits: Limits,
) -> Result<Measured, IngestError> {
    let (channels, rate, convert) = layout.resolved();
    if filter.is_none() {
        let mut all = measure_layouts(path, stream, &[layout], limits)?;
        return all.pop().ok_or_else(|| IngestError::bad_media("the media child measured nothing"));
    }
    let mut args: Vec<OsString> =
        ["-nostdin", "-hide_banner", "-nostats", "-v", "error"].into_iter().map(OsString::from).collect();
    args.extend(sandbox::untrusted_input(path));
    args.extend(["-map".into(), format!("0:{stream}").into()]);
    if let Some(f) = filter {
        args.extend(["-af".into(), f.into()]);
    }
    if convert {
        args.extend(["-ac".into(), channels.to_string().into(), "-ar".into(), rate.to_string().into()]);
    }
    args.extend(["-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"].map(OsString::from));
    let mut meter = Meter::new(channels, rate)?;
    let feed = |out: std::process::ChildStdout| feed_meter(out, &mut meter);
    sandbox::run("ffmpeg", &args, limits, feed)?;
    Ok(Measured { loudness: meter.loudness()?, decoded_s: meter.duration_s() })
}

/// Reads little-endian f32 samples from `r` into the meter, carrying partial frames over.
pub fn feed_meter(mut r: impl Read, meter: &mut Meter) -> Result<(), IngestError> {
    let mut bytes = vec![0u8; 256 * 1024];
    let mut samples: Vec<f32> = Vec::with_capacity(bytes.len() / 4);
    let mut filled = 0;
    let frame_bytes = 4 * meter.channels() as usize;
    loop {
        let n = match r.read(&mut bytes[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IngestError::bad_media(format!("reading decoded audio: {e}"))),
        };
        if n == 0 {
            break;
        }
        filled += n;
        let whole = filled - filled % frame_bytes;
        samples.clear();
        samples.extend(
            bytes[..whole]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                // A NaN or ±inf from a broken decoder would poison the meter's sums.
                .map(|s| if s.is_finite() { s } else { 0.0 }),
        );
        meter.add_interleaved(&samples)?;
        bytes.copy_within(whole..filled, 0);
        filled -= whole;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_split_across_reads_reassemble_into_samples() {
        // A reader that returns one byte at a time still yields every frame.
        struct OneByte(Vec<u8>, usize);
        impl Read for OneByte {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.1 >= self.0.len() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let data: Vec<u8> = (0..480).flat_map(|_| 0.5f32.to_le_bytes()).collect();
        let mut m = Meter::new(2, 48_000).unwrap();
        feed_meter(OneByte(data, 0), &mut m).unwrap();
        assert!((m.duration_s() - 240.0 / 48_000.0).abs() < 1e-12);
        let tp = m.loudness().unwrap().true_peak_dbtp.unwrap();
        // A 0.5 step overshoots a little after 4x interpolation (Gibbs), never below its level.
        assert!(tp > -6.1 && tp < -4.0, "{tp}");
    }

    #[test]
    fn odd_layouts_are_downmixed_and_odd_rates_resampled() {
        let (c, r, conv) = Layout::Native { channels: 8, sample_rate: 48_000 }.resolved();
        assert_eq!((c, r, conv), (2, 48_000, true));
        let (c, r, conv) = Layout::Native { channels: 1, sample_rate: 44_100 }.resolved();
        assert_eq!((c, r, conv), (1, 44_100, false));
    }
}

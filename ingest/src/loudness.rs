//! Loudness measurement over PCM samples: ITU-R BS.1770-4 / EBU R128 (Tech 3341, 3342).
//!
//! Pure: it knows nothing of files or FFmpeg. [`crate::pcm`] feeds it decoded audio.

use ebur128::{Channel, EbuR128, Mode};
use serde::{Deserialize, Serialize};

use crate::IngestError;

/// The loudness of a programme, as `kapok probe --json` prints it.
///
/// A value is `None` when it does not exist: the integrated loudness of a programme that never
/// rises above the BS.1770 absolute gate (−70 LUFS) or is shorter than one 400 ms block, or
/// the true peak of digital silence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Integrated (programme) loudness, gated, in LUFS (= LKFS).
    pub integrated_lufs: Option<f64>,
    /// Maximum true peak over all channels (4× oversampled below 96 kHz), in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Loudness range (EBU Tech 3342), in LU.
    pub range_lu: Option<f64>,
}

/// Streaming BS.1770-4 meter: integrated loudness, loudness range and true peak.
pub struct Meter {
    inner: EbuR128,
    channels: u32,
    rate: u32,
    frames: u64,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .field("frames", &self.frames)
            .finish()
    }
}

/// The BS.1770 channel weights for the interleaved orders FFmpeg decodes to.
///
/// 1 channel is measured as mono (weight 1, like FFmpeg's `ebur128` filter), 2 as L R,
/// 5 as L R C Ls Rs, 6 as L R C LFE Ls Rs (LFE excluded, BS.1770-4 §2).
/// Other counts are downmixed to stereo before they reach the meter (see [`crate::pcm`]).
pub fn channel_map(channels: u32) -> Option<&'static [Channel]> {
    use Channel::*;
    match channels {
        1 => Some(&[Center]),
        2 => Some(&[Left, Right]),
        5 => Some(&[Left, Right, Center, LeftSurround, RightSurround]),
        6 => Some(&[Left, Right, Center, Unused, LeftSurround, RightSurround]),
        _ => None,
    }
}

impl Meter {
    /// A meter for `channels` interleaved channels at `rate` Hz.
    ///
    /// # Errors
    /// [`IngestError::InvalidOptions`] for a channel count without a BS.1770 map (see
    /// [`channel_map`]); [`IngestError::Meter`] for a rate the meter refuses.
    pub fn new(channels: u32, rate: u32) -> Result<Self, IngestError> {
        let map = channel_map(channels).ok_or_else(|| {
            IngestError::InvalidOptions(format!(
                "no BS.1770 channel map for {channels} channels (downmix to stereo first)"
            ))
        })?;
        let mut inner = EbuR128::new(channels, rate, Mode::I | Mode::LRA | Mode::TRUE_PEAK)?;
        inner.set_channel_map(map)?;
        Ok(Self { inner, channels, rate, frames: 0 })
    }

    /// Adds interleaved samples (full scale = ±1.0). A trailing partial frame is ignored.
    ///
    /// # Errors
    /// [`IngestError::Meter`] if the meter rejects the buffer.
    pub fn add_interleaved(&mut self, samples: &[f32]) -> Result<(), IngestError> {
        let whole = samples.len() - samples.len() % self.channels as usize;
        if whole == 0 {
            return Ok(());
        }
        self.inner.add_frames_f32(&samples[..whole])?;
        self.frames += (whole / self.channels as usize) as u64;
        Ok(())
    }

    /// Interleaved channel count.
    pub fn channels(&self) -> u32 {
        self.channels
    }

    /// Seconds of audio measured so far.
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / f64::from(self.rate)
    }

    /// The measurement of everything added so far.
    ///
    /// # Errors
    /// [`IngestError::Meter`] if the meter state is inconsistent (not expected).
    pub fn loudness(&self) -> Result<Loudness, IngestError> {
        let integrated = self.inner.loudness_global()?;
        let range = self.inner.loudness_range()?;
        let mut peak = 0.0_f64;
        for ch in 0..self.channels {
            peak = peak.max(self.inner.true_peak(ch)?);
        }
        Ok(Loudness {
            integrated_lufs: finite(integrated),
            true_peak_dbtp: (peak > 0.0).then(|| 20.0 * peak.log10()),
            range_lu: finite(range).filter(|_| integrated.is_finite()),
        })
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Measures a whole interleaved buffer in one call.
///
/// # Errors
/// As [`Meter::new`] and [`Meter::add_interleaved`].
pub fn measure_interleaved(samples: &[f32], channels: u32, rate: u32) -> Result<Loudness, IngestError> {
    let mut meter = Meter::new(channels, rate)?;
    meter.add_interleaved(samples)?;
    meter.loudness()
}

/// Converts a level in dB to a linear amplitude factor.
pub fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    //! EBU Tech 3341 (v4) and Tech 3342 test signals, synthesised here rather than downloaded.
    //! Tolerances from Tech 3341: integrated ±0.1 LU, true peak +0.2/−0.4 dB; LRA ±1 LU.
    use super::*;

    const FS: u32 = 48_000;

    /// Appends `secs` of a sine at `dbfs` peak level to every channel in `gains_db`
    /// (per-channel offsets; `None` = silent channel).
    fn sine(out: &mut Vec<f32>, freq: f64, dbfs: f64, secs: f64, phase_deg: f64, chans: &[Option<f64>]) {
        let n = (secs * f64::from(FS)).round() as usize;
        let phase = phase_deg.to_radians();
        for i in 0..n {
            let x = (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(FS) + phase).sin();
            for ch in chans {
                let v = ch.map_or(0.0, |off| x * db_to_linear(dbfs + off));
                out.push(v as f32);
            }
        }
    }

    const STEREO: [Option<f64>; 2] = [Some(0.0), Some(0.0)];

    fn stereo_sequence(parts: &[(f64, f64)]) -> Loudness {
        let mut s = Vec::new();
        for &(dbfs, secs) in parts {
            sine(&mut s, 1000.0, dbfs, secs, 0.0, &STEREO);
        }
        measure_interleaved(&s, 2, FS).unwrap()
    }

    fn assert_integrated(l: &Loudness, want: f64) {
        let got = l.integrated_lufs.unwrap();
        assert!((got - want).abs() <= 0.1, "integrated {got} LUFS, want {want} ±0.1");
    }

    fn assert_true_peak(l: &Loudness, want: f64) {
        let got = l.true_peak_dbtp.unwrap();
        assert!(got <= want + 0.2 && got >= want - 0.4, "true peak {got} dBTP, want {want} +0.2/−0.4");
    }

    #[test]
    fn tech3341_case1_stereo_sine_at_minus23_dbfs_reads_minus23_lufs() {
        assert_integrated(&stereo_sequence(&[(-23.0, 20.0)]), -23.0);
    }

    #[test]
    fn tech3341_case2_stereo_sine_at_minus33_dbfs_reads_minus33_lufs() {
        assert_integrated(&stereo_sequence(&[(-33.0, 20.0)]), -33.0);
    }

    #[test]
    fn tech3341_case3_relative_gate_ignores_minus36_segments() {
        let l = stereo_sequence(&[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
        assert_integrated(&l, -23.0);
    }

    #[test]
    fn tech3341_case4_absolute_and_relative_gates_together() {
        let l = stereo_sequence(&[(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)]);
        assert_integrated(&l, -23.0);
    }

    #[test]
    fn tech3341_case5_minus26_minus20_minus26_reads_minus23() {
        let l = stereo_sequence(&[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]);
        assert_integrated(&l, -23.0);
    }

    #[test]
    fn tech3341_case6_five_one_channel_weights_read_minus23() {
        // L, R −28 dBFS; C −24; LFE silent; Ls, Rs −30 (surround weight +1.5 dB).
        let chans = [Some(-28.0), Some(-28.0), Some(-24.0), None, Some(-30.0), Some(-30.0)];
        let mut s = Vec::new();
        sine(&mut s, 1000.0, 0.0, 20.0, 0.0, &chans);
        assert_integrated(&measure_interleaved(&s, 6, FS).unwrap(), -23.0);
    }

    #[test]
    fn minus20_dbfs_stereo_sine_reads_minus20_lufs() {
        assert_integrated(&stereo_sequence(&[(-20.0, 20.0)]), -20.0);
    }

    #[test]
    fn tech3342_case1_minus20_then_minus30_has_range_10_lu() {
        let l = stereo_sequence(&[(-20.0, 20.0), (-30.0, 20.0)]);
        assert!((l.range_lu.unwrap() - 10.0).abs() <= 1.0, "{l:?}");
    }

    #[test]
    fn tech3342_case3_minus40_then_minus20_has_range_20_lu() {
        let l = stereo_sequence(&[(-40.0, 20.0), (-20.0, 20.0)]);
        assert!((l.range_lu.unwrap() - 20.0).abs() <= 1.0, "{l:?}");
    }

    #[test]
    fn tech3342_case4_five_steps_have_range_15_lu() {
        let l = stereo_sequence(&[(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)]);
        assert!((l.range_lu.unwrap() - 15.0).abs() <= 1.0, "{l:?}");
    }

    /// Tech 3341 cases 15–19: a sine at fs/4 whose samples miss the waveform peak by the
    /// given phase, so sample peak understates true peak by up to 3 dB.
    fn quarter_rate_sine(peak_dbfs: f64, phase_deg: f64) -> Loudness {
        let mut s = Vec::new();
        sine(&mut s, f64::from(FS) / 4.0, peak_dbfs, 1.0, phase_deg, &STEREO);
        measure_interleaved(&s, 2, FS).unwrap()
    }

    #[test]
    fn tech3341_case15_quarter_rate_sine_phase_0_peaks_at_minus6_dbtp() {
        assert_true_peak(&quarter_rate_sine(-6.0, 0.0), -6.0);
    }

    #[test]
    fn tech3341_case16_quarter_rate_sine_phase_45_peaks_at_minus6_dbtp() {
        assert_true_peak(&quarter_rate_sine(-6.0, 45.0), -6.0);
    }

    #[test]
    fn tech3341_case17_quarter_rate_sine_phase_60_peaks_at_minus6_dbtp() {
        assert_true_peak(&quarter_rate_sine(-6.0, 60.0), -6.0);
    }

    #[test]
    fn tech3341_case18_quarter_rate_sine_phase_67_5_peaks_at_minus6_dbtp() {
        assert_true_peak(&quarter_rate_sine(-6.0, 67.5), -6.0);
    }

    #[test]
    fn tech3341_case19_intersample_peak_reads_plus3_dbtp_with_samples_at_full_scale() {
        // Samples sit at ±1.0 (0 dBFS); the waveform between them peaks at +3.01 dBTP.
        let l = quarter_rate_sine(3.0103, 45.0);
        assert_true_peak(&l, 3.0);
    }

    #[test]
    fn digital_silence_has_no_integrated_loudness_nor_peak() {
        let l = measure_interleaved(&vec![0.0; 2 * 48_000 * 3], 2, FS).unwrap();
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.true_peak_dbtp, None);
        assert_eq!(l.range_lu, None);
    }

    #[test]
    fn unsupported_channel_count_is_an_error_not_a_panic() {
        assert!(matches!(Meter::new(3, FS), Err(IngestError::InvalidOptions(_))));
    }

    #[test]
    fn partial_frames_are_ignored() {
        let mut m = Meter::new(2, FS).unwrap();
        m.add_interleaved(&[0.1, 0.1, 0.1]).unwrap();
        assert!((m.duration_s() - 1.0 / 48_000.0).abs() < 1e-12);
    }
}

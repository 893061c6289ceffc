//! The attention signal that opens every interrupting alert: by default the two-tone
//! 853 Hz + 960 Hz sum for 8 s (the EAS/EBU "two-tone" convention also used by Chinese
//! emergency broadcast terminals), configurable in tones, duration and level.
//!
//! Pure: samples are computed, not read, so the signal exists the moment an alert arrives.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::AlertError;

/// What the attention signal sounds like (serde, so it can live in `kapok.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttentionSignal {
    /// Tone frequencies in Hz, summed (one or more; each below the Nyquist frequency).
    pub tones_hz: Vec<f64>,
    /// Length in seconds (0 < s ≤ 60).
    pub duration_s: f64,
    /// Peak level of the sum in dBFS (−60 ≤ level ≤ 0).
    pub level_dbfs: f64,
    /// Fade in and out, in milliseconds, so the tones start and stop without a click.
    pub ramp_ms: f64,
}

impl Default for AttentionSignal {
    fn default() -> Self {
        AttentionSignal { tones_hz: vec![853.0, 960.0], duration_s: 8.0, level_dbfs: -6.0, ramp_ms: 10.0 }
    }
}

impl AttentionSignal {
    /// Checks the settings against a sample rate.
    ///
    /// # Errors
    /// [`AlertError::Attention`] naming the value at fault.
    pub fn check(&self, rate: u32) -> Result<(), AlertError> {
        let bad = |m: String| Err(AlertError::Attention(m));
        if rate == 0 {
            return bad("sample rate is 0".to_owned());
        }
        if self.tones_hz.is_empty() {
            return bad("no tone given".to_owned());
        }
        let nyquist = f64::from(rate) / 2.0;
        if let Some(f) = self.tones_hz.iter().find(|f| !f.is_finite() || **f <= 0.0 || **f >= nyquist) {
            return bad(format!("tone {f} Hz is not between 0 and {nyquist} Hz"));
        }
        if !self.duration_s.is_finite() || self.duration_s <= 0.0 || self.duration_s > 60.0 {
            return bad(format!("duration {} s is not in (0, 60]", self.duration_s));
        }
        if !self.level_dbfs.is_finite() || !(-60.0..=0.0).contains(&self.level_dbfs) {
            return bad(format!("level {} dBFS is not in [-60, 0]", self.level_dbfs));
        }
        if !self.ramp_ms.is_finite() || self.ramp_ms < 0.0 || self.ramp_ms * 2.0 > self.duration_s * 1000.0 {
            return bad(format!("ramp {} ms does not fit the duration", self.ramp_ms));
        }
        Ok(())
    }

    /// Number of sample frames (per channel) at `rate`.
    pub fn frames(&self, rate: u32) -> usize {
        (self.duration_s * f64::from(rate)).round() as usize
    }

    /// The signal as interleaved S16 samples: `channels` identical channels at `rate`.
    ///
    /// # Errors
    /// [`AlertError::Attention`] when the settings are unusable ([`AttentionSignal::check`]),
    /// or `channels` is 0.
    pub fn samples(&self, rate: u32, channels: u32) -> Result<Vec<i16>, AlertError> {
        self.check(rate)?;
        if channels == 0 {
            return Err(AlertError::Attention("channel count is 0".to_owned()));
        }
        let frames = self.frames(rate);
        let peak = 10f64.powf(self.level_dbfs / 20.0) * f64::from(i16::MAX);
        // Each tone gets an equal share so the sum never exceeds the peak.
        let amplitude = peak / self.tones_hz.len() as f64;
        let ramp = (self.ramp_ms / 1000.0 * f64::from(rate)).round().max(1.0);
        let step: Vec<f64> = self.tones_hz.iter().map(|f| 2.0 * std::f64::consts::PI * f / f64::from(rate)).collect();
        let mut out = Vec::with_capacity(frames * channels as usize);
        for n in 0..frames {
            let t = n as f64;
            let gain = (t / ramp).min((frames - n) as f64 / ramp).min(1.0);
            let v: f64 = step.iter().map(|w| (w * t).sin()).sum::<f64>() * amplitude * gain;
            let s = v.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16;
            out.extend(std::iter::repeat_n(s, channels as usize));
        }
        Ok(out)
    }
}

/// Signals already computed, by (settings, rate, channels): an alert's programme reuses them
/// instead of computing 8 s of sines while the channel waits.
type Cache = Vec<(AttentionSignal, u32, u32, Arc<Vec<i16>>)>;
static CACHE: Mutex<Cache> = Mutex::new(Vec::new());

impl AttentionSignal {
    /// As [`AttentionSignal::samples`], computed once per process for each setting, rate and
    /// channel count; call it when a channel starts so the first alert finds it ready.
    ///
    /// # Errors
    /// As [`AttentionSignal::samples`].
    pub fn cached_samples(&self, rate: u32, channels: u32) -> Result<Arc<Vec<i16>>, AlertError> {
        let hit = |c: &Cache| c.iter().find(|e| e.0 == *self && e.1 == rate && e.2 == channels).map(|e| e.3.clone());
        if let Some(found) = CACHE.lock().ok().and_then(|c| hit(&c)) {
            return Ok(found);
        }
        let samples = Arc::new(self.samples(rate, channels)?);
        if let Ok(mut c) = CACHE.lock() {
            if c.len() >= 16 {
                c.remove(0);
            }
            c.push((self.clone(), rate, channels, samples.clone()));
        }
        Ok(samples)
    }
}

/// Power of `frequency` in `samples` (mono, at `rate`), by the Goertzel algorithm,
/// normalised so a full-scale sine at that frequency gives about 0.25 per sample squared.
/// Used to find the signal in decoded output (tests, benchmarks).
pub fn tone_power(samples: &[i16], rate: u32, frequency: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * frequency / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / f64::from(i16::MAX) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (samples.len() as f64 * samples.len() as f64)
}

/// True when `block` (mono) carries every tone of `signal` clearly: each tone holds at least
/// a fifth of the block's energy share it would have in the pure signal.
pub fn detects(signal: &AttentionSignal, block: &[i16], rate: u32) -> bool {
    let energy: f64 = block.iter().map(|&x| (f64::from(x) / f64::from(i16::MAX)).powi(2)).sum::<f64>();
    if block.is_empty() || energy <= 1e-9 * block.len() as f64 {
        return false;
    }
    let mean = energy / block.len() as f64;
    let share = 1.0 / signal.tones_hz.len() as f64;
    signal.tones_hz.iter().all(|&f| tone_power(block, rate, f) * 2.0 >= 0.2 * share * mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mono(samples: &[i16], channels: usize) -> Vec<i16> {
        samples.iter().step_by(channels).copied().collect()
    }

    #[test]
    fn default_is_853_and_960_hz_for_8_s_at_the_channel_rate_and_channels() {
        let s = AttentionSignal::default();
        let out = s.samples(48_000, 2).unwrap();
        assert_eq!(out.len(), 8 * 48_000 * 2);
        assert!(out.chunks_exact(2).all(|c| c[0] == c[1]));
        let m = mono(&out, 2);
        let block = &m[48_000..48_000 + 4_800];
        assert!(tone_power(block, 48_000, 853.0) > 0.01);
        assert!(tone_power(block, 48_000, 960.0) > 0.01);
        assert!(tone_power(block, 48_000, 1000.0) < 0.0005);
        assert!(tone_power(block, 48_000, 440.0) < 0.0005);
        assert!(detects(&s, block, 48_000));
        let mono44 = s.samples(44_100, 1).unwrap();
        assert_eq!(mono44.len(), 8 * 44_100);
    }

    #[test]
    fn level_is_the_peak_and_ramps_avoid_clicks() {
        let s = AttentionSignal { level_dbfs: -12.0, ..AttentionSignal::default() };
        let out = s.samples(48_000, 1).unwrap();
        let peak = out.iter().map(|x| i32::from(*x).abs()).max().unwrap();
        let expected = 10f64.powf(-12.0 / 20.0) * 32767.0;
        assert!((f64::from(peak) - expected).abs() / expected < 0.02, "peak {peak}, expected {expected}");
        assert!(out[0].abs() < 10 && out[out.len() - 1].abs() < 100);
    }

    #[test]
    fn configurable_tones_and_duration() {
        let s = AttentionSignal { tones_hz: vec![1050.0], duration_s: 2.5, ..AttentionSignal::default() };
        let out = s.samples(32_000, 1).unwrap();
        assert_eq!(out.len(), 80_000);
        assert!(tone_power(&out[8000..11200], 32_000, 1050.0) > 0.05);
        assert!(!detects(&AttentionSignal::default(), &out[8000..11200], 32_000));
    }

    #[test]
    fn other_sound_and_silence_are_not_the_signal() {
        let s = AttentionSignal::default();
        let silence = vec![0i16; 4800];
        assert!(!detects(&s, &silence, 48_000));
        let sine: Vec<i16> = (0..4800)
            .map(|n| ((n as f64 * 2.0 * std::f64::consts::PI * 440.0 / 48_000.0).sin() * 16000.0) as i16)
            .collect();
        assert!(!detects(&s, &sine, 48_000));
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        let cases = [
            AttentionSignal { tones_hz: vec![], ..AttentionSignal::default() },
            AttentionSignal { tones_hz: vec![30_000.0], ..AttentionSignal::default() },
            AttentionSignal { duration_s: 0.0, ..AttentionSignal::default() },
            AttentionSignal { duration_s: f64::NAN, ..AttentionSignal::default() },
            AttentionSignal { level_dbfs: 3.0, ..AttentionSignal::default() },
            AttentionSignal { ramp_ms: 5000.0, ..AttentionSignal::default() },
        ];
        for c in cases {
            assert!(matches!(c.samples(48_000, 2), Err(AlertError::Attention(_))), "{c:?}");
        }
        assert!(AttentionSignal::default().samples(48_000, 0).is_err());
        let a = AttentionSignal::default().cached_samples(44_100, 2).unwrap();
        let b = AttentionSignal::default().cached_samples(44_100, 2).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, AttentionSignal::default().samples(44_100, 2).unwrap());
        let json: AttentionSignal = serde_json::from_str(r#"{"duration_s": 4}"#).unwrap();
        assert_eq!(json.tones_hz, [853.0, 960.0]);
        assert_eq!(json.duration_s, 4.0);
    }
}

//! How much of a signal is one tone: checks audio decoded by an independent tool.

/// Energy of `freq` in `x` (sampled at `rate` Hz) relative to the signal's energy, by the
/// Goertzel algorithm: about 1.0 for a pure tone at `freq`, near 0.0 without it, 0.0 for
/// silence.
#[must_use]
pub fn tone_share(x: &[f32], rate: f32, freq: f32) -> f32 {
    let w = 2.0 * std::f32::consts::PI * freq / rate;
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &v in x {
        let s0 = v + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let total: f32 = x.iter().map(|v| v * v).sum::<f32>() * x.len() as f32 / 2.0;
    if total > 0.0 {
        power / total
    } else {
        0.0
    }
}

/// True when some 50 ms of `x` (at `rate` Hz) carries both tones of the emergency attention
/// signal, 853 Hz and 960 Hz, each at least a fifth of the signal.
#[must_use]
pub fn has_attention_signal(x: &[f32], rate: f32) -> bool {
    let (win, step) = ((rate * 0.05) as usize, (rate * 0.01) as usize);
    (0..x.len().saturating_sub(win)).step_by(step.max(1)).any(|at| {
        let w = &x[at..at + win];
        tone_share(w, rate, 853.0) > 0.2 && tone_share(w, rate, 960.0) > 0.2
    })
}

#[cfg(test)]
mod tests {
    use super::tone_share;

    fn sine(freq: f32, rate: f32, n: usize) -> Vec<f32> {
        (0..n).map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin()).collect()
    }

    #[test]
    fn a_pure_tone_is_all_of_its_signal_and_none_of_another() {
        let x = sine(853.0, 48_000.0, 4800);
        assert!(tone_share(&x, 48_000.0, 853.0) > 0.9);
        assert!(tone_share(&x, 48_000.0, 960.0) < 0.05);
        assert_eq!(tone_share(&[0.0; 480], 48_000.0, 853.0), 0.0);
    }
}

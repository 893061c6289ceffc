//! The gain plan: one constant gain that brings a programme to its loudness target, and a
//! true-peak limiter only when that gain would push the true peak over the ceiling.
//!
//! Pure arithmetic over a [`Loudness`] measurement; [`crate::house`] turns the plan into
//! FFmpeg filters.

use serde::{Deserialize, Serialize};

use crate::loudness::Loudness;
use crate::IngestError;

/// A channel's loudness target: integrated level, true-peak ceiling and the gain cap.
///
/// Constructed through [`LoudnessTarget::new`] (validated) or one of the presets, so a value
/// that exists is sane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoudnessTarget {
    integrated_lufs: f64,
    true_peak_ceiling_dbtp: f64,
    max_gain_db: f64,
    tolerance_lu: f64,
}

impl Default for LoudnessTarget {
    fn default() -> Self {
        Self::gy_t_282()
    }
}

impl LoudnessTarget {
    /// GY/T 282-2014 (China, television): −24 LKFS, true peak ≤ −2 dBTP, ±1 LU.
    pub fn gy_t_282() -> Self {
        Self { integrated_lufs: -24.0, true_peak_ceiling_dbtp: -2.0, max_gain_db: 20.0, tolerance_lu: 1.0 }
    }

    /// EBU R128: −23 LUFS, true peak ≤ −1 dBTP, ±1 LU (the file-based tolerance is ±0.5 LU;
    /// ±1 LU is what R128 allows where exact normalisation is not possible).
    pub fn ebu_r128() -> Self {
        Self { integrated_lufs: -23.0, true_peak_ceiling_dbtp: -1.0, max_gain_db: 20.0, tolerance_lu: 1.0 }
    }

    /// A custom target.
    ///
    /// # Errors
    /// [`IngestError::InvalidOptions`] when the target is outside −40…−5 LUFS, the ceiling
    /// outside −12…0 dBTP (the limiter's range), the gain cap outside 0…40 dB or the
    /// tolerance outside 0.1…6 LU.
    pub fn new(
        integrated_lufs: f64,
        true_peak_ceiling_dbtp: f64,
        max_gain_db: f64,
        tolerance_lu: f64,
    ) -> Result<Self, IngestError> {
        let check = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(IngestError::InvalidOptions(what.to_string()))
            }
        };
        check((-40.0..=-5.0).contains(&integrated_lufs), "loudness target must be −40…−5 LUFS")?;
        check((-12.0..=0.0).contains(&true_peak_ceiling_dbtp), "true-peak ceiling must be −12…0 dBTP")?;
        check((0.0..=40.0).contains(&max_gain_db), "gain cap must be 0…40 dB")?;
        check((0.1..=6.0).contains(&tolerance_lu), "tolerance must be 0.1…6 LU")?;
        Ok(Self { integrated_lufs, true_peak_ceiling_dbtp, max_gain_db, tolerance_lu })
    }

    /// Target integrated loudness in LUFS.
    pub fn integrated_lufs(&self) -> f64 {
        self.integrated_lufs
    }

    /// Maximum allowed true peak in dBTP.
    pub fn true_peak_ceiling_dbtp(&self) -> f64 {
        self.true_peak_ceiling_dbtp
    }

    /// Largest positive gain the plan may apply (protects against lifting noise by 40 dB).
    pub fn max_gain_db(&self) -> f64 {
        self.max_gain_db
    }

    /// Accepted deviation from the target, in LU (QC warns beyond it).
    pub fn tolerance_lu(&self) -> f64 {
        self.tolerance_lu
    }
}

/// A true-peak limiter stage.
///
/// Applied as FFmpeg `aresample=192000,alimiter=limit=L:level=false:latency=true,
/// aresample=48000`: the look-ahead limiter works on the 4× oversampled signal, so it
/// catches inter-sample peaks that a 48 kHz sample-peak limiter misses; `latency=true`
/// compensates its look-ahead so audio stays in sync; the ceiling sits
/// [`Limiter::MARGIN_DB`] below the target ceiling to absorb the ripple of resampling back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limiter {
    /// The limiter's threshold (in the oversampled domain), dBFS.
    pub threshold_dbfs: f64,
}

impl Limiter {
    /// Headroom kept under the ceiling for the downsampling ripple.
    pub const MARGIN_DB: f64 = 0.5;
}

/// What the house transcode will do to the audio level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainPlan {
    /// Constant gain to apply, dB (0 when the programme is silent).
    pub gain_db: f64,
    /// True when the gain was limited by [`LoudnessTarget::max_gain_db`], so the result
    /// stays below target.
    pub gain_capped: bool,
    /// True peak expected after the gain alone, dBTP (`None` for silence).
    pub predicted_true_peak_dbtp: Option<f64>,
    /// The limiter, present only when the gain would push the true peak over the ceiling.
    pub limiter: Option<Limiter>,
    /// Gain added on top of `target − integrated` to make up the loudness the limiter takes
    /// away (found by measuring the limited signal; see [`refine`]). Included in `gain_db`.
    pub limiter_makeup_db: f64,
}

/// Plans the constant gain and, if needed, the limiter for a measured programme.
pub fn plan(measured: &Loudness, target: &LoudnessTarget) -> GainPlan {
    let (gain_db, gain_capped) = match measured.integrated_lufs {
        Some(lufs) => {
            let want = target.integrated_lufs - lufs;
            if want > target.max_gain_db {
                (target.max_gain_db, true)
            } else {
                (want, false)
            }
        }
        None => (0.0, false),
    };
    let predicted = measured.true_peak_dbtp.map(|tp| tp + gain_db);
    let limiter = predicted
        .filter(|tp| *tp > target.true_peak_ceiling_dbtp)
        .map(|_| Limiter { threshold_dbfs: target.true_peak_ceiling_dbtp - Limiter::MARGIN_DB });
    GainPlan { gain_db, gain_capped, predicted_true_peak_dbtp: predicted, limiter, limiter_makeup_db: 0.0 }
}

/// Limited signals come out quieter than `gain_db` predicts. Given the integrated loudness
/// measured after gain and limiter, returns the plan with the shortfall added (still capped
/// by [`LoudnessTarget::max_gain_db`]), or `None` when it is close enough (±0.3 LU), there
/// is no limiter, or nothing more can be gained.
pub fn refine(
    plan: &GainPlan,
    measured_lufs: f64,
    source_true_peak: Option<f64>,
    target: &LoudnessTarget,
) -> Option<GainPlan> {
    let limiter = plan.limiter?;
    let short = target.integrated_lufs - measured_lufs;
    if short.abs() <= 0.3 || !short.is_finite() {
        return None;
    }
    let wanted = plan.gain_db + short;
    let gain_db = wanted.min(target.max_gain_db);
    if (gain_db - plan.gain_db).abs() < 0.05 {
        return None;
    }
    Some(GainPlan {
        gain_db,
        gain_capped: wanted > target.max_gain_db,
        predicted_true_peak_dbtp: source_true_peak.map(|tp| tp + gain_db),
        limiter: Some(limiter),
        limiter_makeup_db: plan.limiter_makeup_db + (gain_db - plan.gain_db),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(i: Option<f64>, tp: Option<f64>) -> Loudness {
        Loudness { integrated_lufs: i, true_peak_dbtp: tp, range_lu: None }
    }

    #[test]
    fn quiet_programme_is_raised_to_target_without_limiter_when_peaks_allow() {
        let p = plan(&l(Some(-30.0), Some(-12.0)), &LoudnessTarget::gy_t_282());
        assert!((p.gain_db - 6.0).abs() < 1e-9);
        assert_eq!(p.predicted_true_peak_dbtp, Some(-6.0));
        assert!(p.limiter.is_none());
        assert!(!p.gain_capped);
    }

    #[test]
    fn gain_that_pushes_true_peak_over_ceiling_adds_a_limiter_below_it() {
        let p = plan(&l(Some(-30.0), Some(-3.0)), &LoudnessTarget::gy_t_282());
        assert_eq!(p.predicted_true_peak_dbtp, Some(3.0));
        assert_eq!(p.limiter, Some(Limiter { threshold_dbfs: -2.5 }));
    }

    #[test]
    fn loud_programme_is_attenuated() {
        let p = plan(&l(Some(-14.0), Some(-0.1)), &LoudnessTarget::ebu_r128());
        assert!((p.gain_db + 9.0).abs() < 1e-9);
        assert!(p.limiter.is_none());
    }

    #[test]
    fn gain_is_capped_for_very_quiet_programmes() {
        let p = plan(&l(Some(-60.0), Some(-40.0)), &LoudnessTarget::gy_t_282());
        assert_eq!(p.gain_db, 20.0);
        assert!(p.gain_capped);
    }

    #[test]
    fn silence_gets_no_gain_and_no_limiter() {
        let p = plan(&l(None, None), &LoudnessTarget::gy_t_282());
        assert_eq!(p.gain_db, 0.0);
        assert!(p.limiter.is_none());
    }

    #[test]
    fn limiter_loss_is_made_up_once_measured() {
        let t = LoudnessTarget::gy_t_282();
        let p = plan(&l(Some(-30.0), Some(-3.0)), &t);
        let r = refine(&p, -25.8, Some(-3.0), &t).unwrap();
        assert!((r.gain_db - 7.8).abs() < 1e-9, "{r:?}");
        assert!((r.limiter_makeup_db - 1.8).abs() < 1e-9);
        assert!(r.limiter.is_some());
        assert!(refine(&r, -24.1, Some(-3.0), &t).is_none(), "close enough");
    }

    #[test]
    fn plans_without_limiter_are_not_refined_and_makeup_respects_the_cap() {
        let t = LoudnessTarget::gy_t_282();
        assert!(refine(&plan(&l(Some(-30.0), Some(-20.0)), &t), -25.0, None, &t).is_none());
        let p = plan(&l(Some(-43.5), Some(-20.0)), &t); // +19.5 dB, peaks to −0.5: limiter
        let r = refine(&p, -26.0, Some(-20.0), &t).unwrap();
        assert_eq!(r.gain_db, 20.0);
        assert!(r.gain_capped);
    }

    #[test]
    fn absurd_targets_are_rejected() {
        assert!(LoudnessTarget::new(-24.0, 3.0, 20.0, 1.0).is_err());
        assert!(LoudnessTarget::new(0.0, -2.0, 20.0, 1.0).is_err());
        assert!(LoudnessTarget::new(-23.0, -1.0, 20.0, 0.5).is_ok());
    }
}

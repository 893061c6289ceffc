//! Loudness normalisation plan for a file: measure the source on the house audio chain,
//! plan the gain, and — only when a true-peak limiter is needed — measure the limited chain
//! and make up what the limiter took, so the house file lands on target.
//!
//! Every measurement is an audio-only FFmpeg child (no video decode), so refining costs a
//! fraction of the transcode and only for programmes that need limiting.

use std::path::Path;

use crate::gain::{self, GainPlan, LoudnessTarget};
use crate::house::audio_filter;
use crate::loudness::Loudness;
use crate::pcm::{self, Layout};
use crate::sandbox::Limits;
use crate::IngestError;

/// Refinement passes at most (each one an audio-only decode with the limiter).
pub const MAX_REFINEMENTS: usize = 2;

/// The plan for `stream` of `source`, and the source loudness it was made from.
///
/// # Errors
/// As [`pcm::measure_stream`].
pub fn plan_for_stream(
    source: &Path,
    stream: u32,
    duration_s: f64,
    target: &LoudnessTarget,
) -> Result<(Loudness, GainPlan), IngestError> {
    let limits = Limits::for_media(duration_s, 1.0, 2);
    let measured = pcm::measure_stream(source, stream, Layout::HouseStereo, limits)?.loudness;
    plan_from_measured(source, stream, duration_s, target, measured)
}

/// As [`plan_for_stream`], from a measurement of the house chain already made (the probe's
/// `house_chain_loudness`), so the source is not decoded again for it.
///
/// # Errors
/// As [`pcm::measure_filtered`] (only when the limiter is needed).
pub fn plan_from_measured(
    source: &Path,
    stream: u32,
    duration_s: f64,
    target: &LoudnessTarget,
    measured: Loudness,
) -> Result<(Loudness, GainPlan), IngestError> {
    let mut plan = gain::plan(&measured, target);
    for _ in 0..MAX_REFINEMENTS {
        if plan.limiter.is_none() {
            break;
        }
        let limited =
            pcm::measure_filtered(source, stream, &audio_filter(&plan), Limits::for_media(duration_s, 2.0, 2))?;
        let Some(lufs) = limited.loudness.integrated_lufs else {
            break;
        };
        match gain::refine(&plan, lufs, measured.true_peak_dbtp, target) {
            Some(better) => plan = better,
            None => break,
        }
    }
    Ok((measured, plan))
}

/// The plan for a programme without sound: nothing to do.
pub fn silent_plan(target: &LoudnessTarget) -> GainPlan {
    gain::plan(&Loudness { integrated_lufs: None, true_peak_dbtp: None, range_lu: None }, target)
}

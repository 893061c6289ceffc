//! Which loudness target a programme is normalised to: the network's default (GY/T 282-2014,
//! −24 LKFS) or the one its producing centre is configured with (a county that also feeds an
//! EBU R128 partner may choose −23 LUFS).
//!
//! The target follows the *producing centre*, not the channel: a programme has one house file,
//! made once at ingest and shared by every channel of the network, so it can be normalised to
//! one level only. The true-peak ceiling stays −2 dBTP (GY/T 282) whatever the level: it is
//! stricter than R128's −1 dBTP, so a −23 LUFS house file satisfies both.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use catalog::ids::CentreCode;

use crate::gain::LoudnessTarget;
use crate::IngestError;

/// The loudness targets of a deployment: a default and per-centre exceptions.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessTargets {
    default: LoudnessTarget,
    centres: BTreeMap<CentreCode, LoudnessTarget>,
}

impl Default for LoudnessTargets {
    /// GY/T 282-2014 for everyone.
    fn default() -> Self {
        Self::new(LoudnessTarget::default())
    }
}

impl LoudnessTargets {
    /// The integrated levels an operator may configure, LKFS: from −31 (the quietest
    /// dialnorm an AC-3/A/85 chain can signal) to −14 (the loudest common streaming norm).
    /// Anything outside is a typo (a missing minus, LU for LUFS), not a house style.
    pub const RANGE_LKFS: RangeInclusive<f64> = -31.0..=-14.0;

    /// `default` for every centre.
    pub fn new(default: LoudnessTarget) -> Self {
        Self { default, centres: BTreeMap::new() }
    }

    /// A house target at `lkfs` with the GY/T 282 ceiling (−2 dBTP), gain cap and tolerance.
    ///
    /// # Errors
    /// [`IngestError::InvalidOptions`] when `lkfs` is outside [`Self::RANGE_LKFS`] (or not a
    /// number).
    pub fn house_target(lkfs: f64) -> Result<LoudnessTarget, IngestError> {
        if !Self::RANGE_LKFS.contains(&lkfs) {
            return Err(IngestError::InvalidOptions(format!(
                "{lkfs} LKFS is outside {}…{} LKFS",
                Self::RANGE_LKFS.start(),
                Self::RANGE_LKFS.end()
            )));
        }
        let gy = LoudnessTarget::gy_t_282();
        LoudnessTarget::new(lkfs, gy.true_peak_ceiling_dbtp(), gy.max_gain_db(), gy.tolerance_lu())
    }

    /// Sets `centre`'s own target.
    pub fn with_centre(mut self, centre: CentreCode, target: LoudnessTarget) -> Self {
        self.centres.insert(centre, target);
        self
    }

    /// The default target.
    pub fn default_target(&self) -> &LoudnessTarget {
        &self.default
    }

    /// The centres with their own target.
    pub fn centres(&self) -> impl Iterator<Item = (&CentreCode, &LoudnessTarget)> {
        self.centres.iter()
    }

    /// The target for programmes of `centre` (the default when it has none of its own or is
    /// unknown).
    pub fn for_centre(&self, centre: Option<&str>) -> LoudnessTarget {
        centre.and_then(|c| self.centres.iter().find(|(k, _)| k.as_str() == c)).map_or(self.default, |(_, t)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_centre_with_its_own_target_gets_it_and_the_others_the_default() {
        let miyi = CentreCode::parse("510421").unwrap();
        let t = LoudnessTargets::default().with_centre(miyi, LoudnessTargets::house_target(-23.0).unwrap());
        assert_eq!(t.for_centre(Some("510421")).integrated_lufs(), -23.0);
        assert_eq!(t.for_centre(Some("510421")).true_peak_ceiling_dbtp(), -2.0);
        assert_eq!(t.for_centre(Some("510402")).integrated_lufs(), -24.0);
        assert_eq!(t.for_centre(None).integrated_lufs(), -24.0);
    }

    #[test]
    fn levels_outside_the_broadcast_range_are_refused() {
        for bad in [-40.0, -13.9, 23.0, 0.0, f64::NAN] {
            assert!(LoudnessTargets::house_target(bad).is_err(), "{bad}");
        }
        assert!(LoudnessTargets::house_target(-31.0).is_ok());
        assert!(LoudnessTargets::house_target(-14.0).is_ok());
    }
}

//! Rules inside a template: candidate filters, category blocks (rotation, separation,
//! own-centre share), quotas over the day, and the filler policy.

use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeCandidate;
use crate::channel::{CentreCode, Channel};
use crate::template::Span;
use crate::time::TimeOfDay;

/// Which programmes a rule is about. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Any of these categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// At least one of these tags.
    #[serde(default)]
    pub tags_any: Vec<String>,
    /// Produced by one of these centres.
    #[serde(default)]
    pub centres: Vec<CentreCode>,
    /// Produced by the channel's own centre ("local").
    #[serde(default)]
    pub own_centre: bool,
    /// In this language.
    #[serde(default)]
    pub language: Option<String>,
    /// At least this long.
    #[serde(default)]
    pub min_length: Option<Span>,
    /// At most this long.
    #[serde(default)]
    pub max_length: Option<Span>,
}

impl Filter {
    /// True when `p` passes every part of the filter on `channel`.
    pub fn matches(&self, p: &ProgrammeCandidate, channel: &Channel) -> bool {
        self.matches_category(&p.category) && self.matches_secondary(p, channel)
    }

    /// Category part only.
    pub fn matches_category(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| c == category)
    }

    /// Everything except the category (the part the generator may relax).
    pub fn matches_secondary(&self, p: &ProgrammeCandidate, channel: &Channel) -> bool {
        (self.tags_any.is_empty() || self.tags_any.iter().any(|t| p.tags.contains(t)))
            && (self.centres.is_empty() || self.centres.contains(&p.centre))
            && (!self.own_centre || p.centre == channel.centre)
            && self.language.as_ref().is_none_or(|l| *l == p.language)
            && self.min_length.is_none_or(|m| p.duration >= m.media())
            && self.max_length.is_none_or(|m| p.duration <= m.media())
    }

    /// True when tags, centres, language or length restrict the filter beyond categories.
    pub fn has_secondary(&self) -> bool {
        !self.tags_any.is_empty()
            || !self.centres.is_empty()
            || self.own_centre
            || self.language.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
    }
}

fn default_programme_sep() -> u32 {
    24
}
fn default_series_sep() -> u32 {
    4
}

/// A category block: programmes matching `filter`, least recently played first, with
/// separation and an optional minimum share of the channel's own centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRule {
    /// Which programmes (categories must not be empty).
    pub filter: Filter,
    /// The same programme is not aired again within this many hours (default 24).
    #[serde(default = "default_programme_sep")]
    pub programme_separation_hours: u32,
    /// No two episodes of the same series within this many hours (default 4).
    #[serde(default = "default_series_sep")]
    pub series_separation_hours: u32,
    /// At least this percentage of the block's programme time from the channel's own centre;
    /// the rest may come from the network.
    #[serde(default)]
    pub own_centre_min_percent: Option<u8>,
}

/// Minimum of a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaMin {
    /// At least this many minutes in the window.
    Minutes(u32),
    /// At least this percentage of the window's airtime.
    PercentOfAirtime(u8),
}

/// A minimum of airtime matching `filter` between `from` and `until` (wall clock; an item
/// counts for the part of it inside the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    /// Name (e.g. `涉农 ≥ 30 min 06:00-22:00`).
    pub name: String,
    /// What counts.
    pub filter: Filter,
    /// Window start.
    pub from: TimeOfDay,
    /// Window end (may be past midnight).
    pub until: TimeOfDay,
    /// Minimum.
    pub min: QuotaMin,
}

fn default_filler_categories() -> Vec<String> {
    vec!["ident".into(), "psa".into()]
}
fn default_max_filler() -> Span {
    Span::from_secs(300)
}

/// How gaps are closed: interstitials of these categories, rotated; the last one of a gap is
/// cut to the frame. A block whose filler time exceeds `max_per_block` is reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillerRule {
    /// Filler categories (default `ident`, `psa`).
    #[serde(default = "default_filler_categories")]
    pub categories: Vec<String>,
    /// Filler time in one block above which a rule break is recorded (default 5 min).
    #[serde(default = "default_max_filler")]
    pub max_per_block: Span,
}

impl Default for FillerRule {
    fn default() -> Self {
        Self { categories: default_filler_categories(), max_per_block: default_max_filler() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::tests::prog;
    use crate::template::tests::channel;

    #[test]
    fn filters_combine_tags_centres_language_and_length() {
        let mut p = prog("a", "涉农", 600);
        p.tags = vec!["mango".into()];
        let ch = channel();
        let f = |json: serde_json::Value| serde_json::from_value::<Filter>(json).unwrap();
        assert!(f(serde_json::json!({"categories": ["涉农"], "tags_any": ["mango", "x"]})).matches(&p, &ch));
        assert!(!f(serde_json::json!({"categories": ["news"]})).matches(&p, &ch));
        assert!(!f(serde_json::json!({"own_centre": true})).matches(&p, &ch), "510421 is not the channel's 510400");
        assert!(f(serde_json::json!({"centres": ["510421"], "language": "zh"})).matches(&p, &ch));
        assert!(!f(serde_json::json!({"language": "yi"})).matches(&p, &ch));
        assert!(f(serde_json::json!({"min_length": "00:10:00", "max_length": "00:10:00"})).matches(&p, &ch));
        assert!(!f(serde_json::json!({"max_length": "00:09:59"})).matches(&p, &ch));
    }
}

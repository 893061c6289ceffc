//! The scheduler's view of a programme (`ProgrammeCandidate`) and an index over many of them.
//!
//! `schedules` does not depend on `catalog`: the catalog maps its rows onto this view.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::{CentreCode, Channel};
use crate::error::{Result, ScheduleError};
use crate::time::MediaTime;

/// A programme's identifier (the catalog's UUID as text, or any stable non-empty string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProgrammeId(String);

impl ProgrammeId {
    /// Any non-empty id of at most 128 bytes without control characters.
    ///
    /// # Errors
    /// `Identifier` otherwise.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.is_empty() || s.len() > 128 || s.chars().any(char::is_control) {
            return Err(ScheduleError::Identifier(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for ProgrammeId {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self> {
        ProgrammeId::parse(&s)
    }
}
impl From<ProgrammeId> for String {
    fn from(p: ProgrammeId) -> String {
        p.0
    }
}
impl fmt::Display for ProgrammeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn yes() -> bool {
    true
}

/// What the scheduler needs to know about one programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeCandidate {
    /// Catalog id.
    pub id: ProgrammeId,
    /// Title (used in the EPG and for CSV import by title).
    pub title: String,
    /// Exact media duration.
    pub duration: MediaTime,
    /// Category, e.g. `涉农`, `news`, `ident`, `psa`.
    pub category: String,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The centre that produced it.
    pub centre: CentreCode,
    /// Shared with the whole network (else only its own centre's channels may air it).
    #[serde(default = "yes")]
    pub shared: bool,
    /// Language, e.g. `zh`, `yi` (彝语).
    pub language: String,
    /// Series it belongs to, if any.
    #[serde(default)]
    pub series: Option<String>,
    /// Rights window start (absent: no restriction).
    #[serde(default)]
    pub rights_from: Option<DateTime<Utc>>,
    /// Rights window end, exclusive (absent: no restriction).
    #[serde(default)]
    pub rights_until: Option<DateTime<Utc>>,
    /// Media has passed ingest and QC and may be aired.
    pub ready: bool,
    /// Has video (TV-capable).
    pub video: bool,
    /// Usable on radio (its audio stands alone). False for TV-only items.
    #[serde(default = "yes")]
    pub radio: bool,
}

impl ProgrammeCandidate {
    /// True when the channel may air it at all: ready, right medium, own centre or shared.
    pub fn airable_on(&self, channel: &Channel) -> bool {
        self.ready
            && if channel.is_tv() { self.video } else { self.radio }
            && (self.shared || self.centre == channel.centre)
    }

    /// True when the rights window covers `[from, until)` (Unix seconds).
    pub fn rights_cover(&self, from: i64, until: i64) -> bool {
        self.rights_from.is_none_or(|r| r.timestamp() <= from)
            && self.rights_until.is_none_or(|r| until <= r.timestamp())
    }
}

/// Anything that finds programmes by id and by title (an index, a map, the catalog).
pub trait ProgrammeLookup {
    /// The programme with this id.
    fn by_id(&self, id: &ProgrammeId) -> Option<&ProgrammeCandidate>;
    /// Every programme with exactly this title.
    fn by_title(&self, title: &str) -> Vec<&ProgrammeCandidate>;
}

/// A read-only index over candidates: by id, by title and by category, so the generator and
/// the validator never scan the whole catalog per slot. Build once, reuse for many days.
#[derive(Debug, Clone)]
pub struct CandidateIndex {
    items: Vec<ProgrammeCandidate>,
    hashes: Vec<u64>,
    by_id: HashMap<ProgrammeId, usize>,
    by_title: HashMap<String, Vec<usize>>,
    by_category: HashMap<String, Vec<usize>>,
}

impl CandidateIndex {
    /// Indexes `items` (later duplicates of an id are ignored).
    pub fn new(items: Vec<ProgrammeCandidate>) -> Self {
        let mut by_id = HashMap::with_capacity(items.len());
        let mut by_title: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_category: HashMap<String, Vec<usize>> = HashMap::new();
        let mut hashes = Vec::with_capacity(items.len());
        for (i, p) in items.iter().enumerate() {
            hashes.push(mix(fnv1a(p.id.as_str().as_bytes())));
            if by_id.contains_key(&p.id) {
                continue;
            }
            by_id.insert(p.id.clone(), i);
            by_title.entry(p.title.clone()).or_default().push(i);
            by_category.entry(p.category.clone()).or_default().push(i);
        }
        // Category lists in id-hash order: the generator's rotation starts from this order,
        // so it never depends on the order of the catalog rows.
        for v in by_category.values_mut() {
            v.sort_unstable_by_key(|&i| (hashes.get(i).copied().unwrap_or(0), i));
        }
        Self { items, hashes, by_id, by_title, by_category }
    }

    /// Indexes a slice (clones it).
    pub fn from_slice(items: &[ProgrammeCandidate]) -> Self {
        Self::new(items.to_vec())
    }

    /// All candidates.
    pub fn items(&self) -> &[ProgrammeCandidate] {
        &self.items
    }

    /// Candidate by position.
    pub fn get(&self, i: usize) -> Option<&ProgrammeCandidate> {
        self.items.get(i)
    }

    /// Position of an id.
    pub fn position(&self, id: &ProgrammeId) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Positions of the candidates of a category, in id-hash order.
    pub fn category(&self, category: &str) -> &[usize] {
        self.by_category.get(category).map_or(&[], Vec::as_slice)
    }

    /// Known categories.
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        self.by_category.keys().map(String::as_str)
    }

    /// A stable hash of candidate `i`'s id (for seeded, order-independent tie-breaks).
    pub fn id_hash(&self, i: usize) -> u64 {
        self.hashes.get(i).copied().unwrap_or(0)
    }
}

impl ProgrammeLookup for CandidateIndex {
    fn by_id(&self, id: &ProgrammeId) -> Option<&ProgrammeCandidate> {
        self.by_id.get(id).and_then(|&i| self.items.get(i))
    }
    fn by_title(&self, title: &str) -> Vec<&ProgrammeCandidate> {
        self.by_title.get(title).map(|v| v.iter().filter_map(|&i| self.items.get(i)).collect()).unwrap_or_default()
    }
}

/// 64-bit FNV-1a: stable across runs and platforms (unlike `std`'s randomised hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: mixes a seed into a hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::channel::ChannelKind;

    pub fn prog(id: &str, category: &str, secs: i64) -> ProgrammeCandidate {
        ProgrammeCandidate {
            id: ProgrammeId::parse(id).unwrap(),
            title: format!("title {id}"),
            duration: MediaTime::from_secs(secs),
            category: category.into(),
            tags: vec![],
            centre: CentreCode::parse("510421").unwrap(),
            shared: true,
            language: "zh".into(),
            series: None,
            rights_from: None,
            rights_until: None,
            ready: true,
            video: true,
            radio: true,
        }
    }

    #[test]
    fn index_finds_by_id_title_and_category() {
        let idx = CandidateIndex::new(vec![prog("a", "news", 60), prog("b", "涉农", 60), prog("a", "x", 1)]);
        assert_eq!(idx.by_id(&ProgrammeId::parse("b").unwrap()).unwrap().category, "涉农");
        assert_eq!(idx.category("news").len(), 1);
        assert!(idx.category("x").is_empty(), "duplicate id ignored");
        assert_eq!(idx.by_title("title a").len(), 1);
    }

    #[test]
    fn private_programmes_of_other_centres_are_not_airable() {
        let ch = Channel::new("c", "c", ChannelKind::Tv, CentreCode::parse("510400").unwrap()).unwrap();
        let mut p = prog("a", "news", 60);
        assert!(p.airable_on(&ch));
        p.shared = false;
        assert!(!p.airable_on(&ch));
        p.centre = ch.centre.clone();
        assert!(p.airable_on(&ch));
        p.video = false;
        assert!(!p.airable_on(&ch));
    }
}

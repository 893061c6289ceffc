//! Choosing the next programme of a category block: rotation (least recently played first,
//! seeded tie-break), separation, rights, own-centre share, and the documented relaxation
//! order when not every rule can be met.

use std::collections::HashMap;

use crate::candidate::{mix, CandidateIndex};
use crate::channel::Channel;
use crate::history::PlayHistory;
use crate::template::CategoryRule;

/// Rules the generator may relax, in the order it relaxes them. Never relaxed: the block's
/// categories, media ready, the channel's medium (video on TV, audio on radio), network
/// sharing, the rights window and the block's end (hard times stay hard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relax {
    /// All rules met.
    None = 0,
    /// 1. The own-centre minimum share of the block.
    OwnCentreShare = 1,
    /// 2. Series separation.
    SeriesSeparation = 2,
    /// 3. Programme separation.
    ProgrammeSeparation = 3,
    /// 4. The block's secondary filter (tags, centres, language); category stays.
    BlockFilter = 4,
}

impl Relax {
    pub const ORDER: [Relax; 5] =
        [Relax::None, Relax::OwnCentreShare, Relax::SeriesSeparation, Relax::ProgrammeSeparation, Relax::BlockFilter];

    /// Stable code used in `RuleBreak::rule`.
    pub fn code(self) -> &'static str {
        match self {
            Relax::None => "none",
            Relax::OwnCentreShare => "own_centre_share",
            Relax::SeriesSeparation => "series_separation",
            Relax::ProgrammeSeparation => "programme_separation",
            Relax::BlockFilter => "block_filter",
        }
    }
}

/// A pool entry: candidate position, length in channel frames, last airing before today.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub i: usize,
    pub frames: i64,
    pub last: i64,
}

/// The airable candidates of a set of categories, in rotation order for one day.
#[derive(Debug, Default)]
pub struct Pool {
    pub order: Vec<Entry>,
    pub min_frames: i64,
}

impl Pool {
    /// Builds the rotation order: programmes never aired first (in id-hash order, rotated by
    /// the seed), then aired ones, oldest airing first (ties broken by the seeded hash).
    /// Linear in the pool size apart from sorting the aired ones; deterministic and
    /// independent of catalog order. `last[i]` is candidate `i`'s last airing or `i64::MIN`.
    /// The airable candidates of `categories` on `channel` with their length in frames, in
    /// id-hash order. Independent of the day: a [`super::Generator`] builds it once.
    pub fn base(categories: &[String], idx: &CandidateIndex, ch: &Channel) -> Vec<Entry> {
        let merged = merge_by_hash(categories.iter().map(|c| idx.category(c)).collect(), idx);
        merged
            .into_iter()
            .filter_map(|i| {
                let p = idx.get(i)?;
                let frames = ch.rate.frames_floor(p.duration).0;
                (p.airable_on(ch) && frames > 0).then_some(Entry { i, frames, last: i64::MIN })
            })
            .collect()
    }

    /// The day's rotation order: programmes never aired first (in id-hash order, rotated by
    /// the seed), then aired ones, oldest airing first (ties broken by the seeded hash).
    /// Linear in the pool apart from sorting the aired ones; deterministic and independent
    /// of catalog order. `last[i]` is candidate `i`'s last airing or `i64::MIN`.
    pub fn build(base: &[Entry], idx: &CandidateIndex, last: &[i64], salt: u64) -> Self {
        let mut fresh = Vec::with_capacity(base.len());
        let mut aired = Vec::new();
        for e in base {
            match last.get(e.i).copied().unwrap_or(i64::MIN) {
                i64::MIN => fresh.push(*e),
                l => aired.push((l, mix(idx.id_hash(e.i) ^ salt), Entry { last: l, ..*e })),
            }
        }
        if !fresh.is_empty() {
            let k = (salt % fresh.len() as u64) as usize;
            fresh.rotate_left(k);
        }
        aired.sort_unstable_by_key(|(l, h, _)| (*l, *h));
        fresh.extend(aired.into_iter().map(|(_, _, e)| e));
        let min_frames = fresh.iter().map(|e| e.frames).min().unwrap_or(i64::MAX);
        Self { order: fresh, min_frames }
    }
}

/// Merges lists that are each in id-hash order into one list in id-hash order.
pub fn merge_by_hash(mut lists: Vec<&[usize]>, idx: &CandidateIndex) -> Vec<usize> {
    let mut out = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
    let key = |i: usize| (idx.id_hash(i), i);
    loop {
        let best = lists.iter().enumerate().filter_map(|(k, l)| l.first().map(|&i| (key(i), k))).min();
        let Some((_, k)) = best else { break };
        if let Some(l) = lists.get_mut(k) {
            if let Some((&i, rest)) = l.split_first() {
                out.push(i);
                *l = rest;
            }
        }
    }
    out
}

/// What is aired so far today (Unix seconds), for separation and rotation.
#[derive(Debug, Default)]
pub struct Today {
    pub programmes: HashMap<usize, i64>,
    pub series: HashMap<String, i64>,
    /// Candidates in the order they first aired today.
    pub aired: Vec<Entry>,
}

/// How many further acceptable candidates the fit look-ahead may examine.
const LOOKAHEAD: usize = 64;

/// The question asked of a pool.
pub struct Ask<'a> {
    pub rule: &'a CategoryRule,
    pub at: i64,
    pub max_frames: i64,
    pub own_needed: bool,
    pub quota: Option<&'a crate::template::Filter>,
    /// Relax no further than this.
    pub max_relax: Relax,
    /// Unix second at which an item of the given length (frames) starting now would end
    /// (for the rights window).
    pub secs_of: &'a dyn Fn(i64) -> i64,
}

/// The choice and the relaxation it needed.
pub struct Pick {
    pub entry: Entry,
    pub relax: Relax,
}

/// First candidate of the pool meeting the rules at the given relaxation level.
fn scan(
    pool: &Pool,
    ask: &Ask<'_>,
    level: Relax,
    idx: &CandidateIndex,
    ch: &Channel,
    hist: &PlayHistory,
    today: &Today,
) -> (Option<Entry>, bool) {
    let mut fits = false;
    let fits = &mut fits;
    let ok = |e: &Entry, fits: &mut bool| -> bool {
        if e.frames > ask.max_frames {
            return false;
        }
        let Some(p) = idx.get(e.i) else { return false };
        let end = (ask.secs_of)(e.frames);
        if !p.rights_cover(ask.at, end) {
            return false;
        }
        *fits = true;
        if level < Relax::BlockFilter && !ask.rule.filter.matches_secondary(p, ch) {
            return false;
        }
        if let Some(q) = ask.quota {
            if !q.matches(p, ch) {
                return false;
            }
        }
        if level < Relax::OwnCentreShare && ask.own_needed && p.centre != ch.centre {
            return false;
        }
        if level < Relax::ProgrammeSeparation {
            let last = today.programmes.get(&e.i).copied().unwrap_or(e.last);
            if last != i64::MIN && ask.at - last < i64::from(ask.rule.programme_separation_hours) * 3600 {
                return false;
            }
        }
        if level < Relax::SeriesSeparation {
            if let Some(s) = &p.series {
                let last = today.series.get(s).copied().or_else(|| hist.last_series(s));
                if last.is_some_and(|l| ask.at - l < i64::from(ask.rule.series_separation_hours) * 3600) {
                    return false;
                }
            }
        }
        true
    };
    // Rotation with fit: take the least recently played acceptable candidate unless it would
    // leave a remainder no programme of the pool can fill; then look at most LOOKAHEAD
    // further acceptable candidates for one that leaves nothing or a fillable remainder,
    // else the one leaving the least.
    let leaves_fillable = |e: &Entry| {
        let rest = ask.max_frames - e.frames;
        rest == 0 || rest >= pool.min_frames
    };
    let mut best: Option<Entry> = None;
    let mut looked = 0;
    for e in pool.order.iter().filter(|e| !today.programmes.contains_key(&e.i)) {
        if best.is_some() {
            looked += 1;
            if looked > LOOKAHEAD {
                break;
            }
        }
        if !ok(e, fits) {
            continue;
        }
        if leaves_fillable(e) {
            return (Some(*e), true);
        }
        if best.is_none_or(|b| e.frames > b.frames) {
            best = Some(*e);
        }
    }
    if best.is_some() {
        return (best, true);
    }
    // Aired today: least recently first (the `aired` list is in air order).
    let found = today
        .aired
        .iter()
        .filter(|e| idx.get(e.i).is_some_and(|p| ask.rule.filter.matches_category(&p.category)))
        .find(|e| ok(e, fits))
        .copied();
    (found, *fits)
}

/// Picks the next programme, relaxing rules in [`Relax::ORDER`] only as far as needed.
/// Returns `None` when nothing airable fits the remaining time at all.
pub fn pick(
    pool: &Pool,
    ask: &Ask<'_>,
    idx: &CandidateIndex,
    ch: &Channel,
    hist: &PlayHistory,
    today: &Today,
) -> Option<Pick> {
    if pool.min_frames > ask.max_frames {
        return None;
    }
    for level in Relax::ORDER.into_iter().filter(|l| *l <= ask.max_relax) {
        let (found, fits) = scan(pool, ask, level, idx, ch, hist, today);
        if let Some(entry) = found {
            return Some(Pick { entry, relax: level });
        }
        if !fits {
            return None; // nothing fits the time left: relaxing rules cannot help
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::tests::prog;
    use crate::template::tests::channel;
    use crate::template::Filter;

    fn rule() -> CategoryRule {
        CategoryRule {
            filter: Filter { categories: vec!["news".into()], ..Filter::default() },
            programme_separation_hours: 24,
            series_separation_hours: 4,
            own_centre_min_percent: None,
        }
    }

    #[test]
    fn least_recently_played_comes_first_and_relaxation_is_ordered() {
        let idx = CandidateIndex::new(vec![prog("a", "news", 60), prog("b", "news", 60)]);
        let ch = channel();
        let mut hist = PlayHistory::new();
        hist.record(&crate::ProgrammeId::parse("a").unwrap(), None, 1_000);
        hist.record(&crate::ProgrammeId::parse("b").unwrap(), None, 500);
        let last: Vec<i64> = idx.items().iter().map(|p| hist.last_programme(&p.id).unwrap_or(i64::MIN)).collect();
        let base = Pool::base(&["news".into()], &idx, &ch);
        let pool = Pool::build(&base, &idx, &last, 7);
        let r = rule();
        let secs = |f: i64| 2_000 + f / 25;
        let ask = Ask {
            rule: &r,
            at: 2_000,
            max_frames: 10_000,
            own_needed: false,
            quota: None,
            max_relax: Relax::BlockFilter,
            secs_of: &secs,
        };
        let p = pick(&pool, &ask, &idx, &ch, &hist, &Today::default()).unwrap();
        assert_eq!(idx.get(p.entry.i).unwrap().id.as_str(), "b");
        assert_eq!(p.relax, Relax::ProgrammeSeparation, "both aired within 24 h");
        let short = Ask { max_frames: 10, ..ask };
        assert!(pick(&pool, &short, &idx, &ch, &hist, &Today::default()).is_none());
    }
}

//! The day generator: template + candidates + history + seed → a frame-exact playlist that
//! explains every item and lists every rule it had to break.
//!
//! Order of work: the template's blocks are laid out on the frame grid; hard events (fixed
//! programmes, live relays) sit at their times; category blocks are filled in time order by
//! rotation with separation (see [`Relax`]); every remaining gap is closed by fillers, the last cut to the frame.
//!
//! Relaxation order when a category block cannot be filled under all rules (documented in
//! docs/schedules.md and [`Relax`]): 1 own-centre share, 2 series separation, 3 programme
//! separation, 4 the block's tag/centre/language filter. Never relaxed: category, ready,
//! medium, sharing, rights window, hard times. Each relaxation and each unmet quota becomes a
//! [`RuleBreak`]; nothing is broken silently.

mod day;
mod fill;
mod select;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use select::Relax;

use crate::candidate::{fnv1a, mix, CandidateIndex, ProgrammeCandidate, ProgrammeLookup};
use crate::channel::Channel;
use crate::error::{Result, ScheduleError};
use crate::history::PlayHistory;
use crate::phrase::Phrase;
use crate::playlist::Playlist;
use crate::template::{check, BlockKind, CategoryRule, Template};
use crate::time::Frames;
use day::Gen;
use fill::Fillers;
use select::{Pool, Today};

/// A rule the generator could not keep, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBreak {
    /// `own_centre_share`, `series_separation`, `programme_separation`, `block_filter`,
    /// `block_unfilled`, `filler_excess`, `fixed_unavailable`, `fixed_truncated`,
    /// `no_filler`, `quota`.
    pub rule: String,
    /// Block label (or quota name).
    pub block: String,
    /// First frame concerned.
    pub at: Frames,
    /// How many items needed this relaxation.
    pub count: u32,
    /// Why, in English.
    pub reason: String,
    /// `reason` as a code and parameters, for a client to word in its reader's language:
    /// `no_filler`, `unplanned`, `block_short`, `fixed_unavailable`, `fixed_rights`,
    /// `fixed_truncated`, `relaxed`, `block_unfilled`, `quota`.
    #[serde(default)]
    pub reason_phrase: Phrase,
}

/// The generator's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedDay {
    /// The playlist (items tile the day exactly).
    pub playlist: Playlist,
    /// Every rule broken.
    pub exceptions: Vec<RuleBreak>,
    /// Why each item was chosen (same order as `playlist.items`; also in `item.why`).
    pub explanations: Vec<String>,
}

/// Generates broadcast day `date` of `channel` from `template`, choosing from `catalog`.
/// Same inputs and seed → same playlist. Builds an index and a [`Generator`]; to generate
/// many days, build them once and call [`Generator::day`].
///
/// # Errors
/// `Template` when the template has problems (see [`check`]).
pub fn generate_day(
    channel: &Channel,
    template: &Template,
    date: NaiveDate,
    catalog: &[ProgrammeCandidate],
    history: &PlayHistory,
    seed: u64,
) -> Result<GeneratedDay> {
    let index = CandidateIndex::from_slice(catalog);
    Ok(Generator::new(channel, template, &index)?.day(date, history, seed))
}

/// [`generate_day`] over a prebuilt index.
///
/// # Errors
/// `Template` when the template has problems (see [`check`]).
pub fn generate_day_indexed(
    channel: &Channel,
    template: &Template,
    date: NaiveDate,
    index: &CandidateIndex,
    history: &PlayHistory,
    seed: u64,
) -> Result<GeneratedDay> {
    Ok(Generator::new(channel, template, index)?.day(date, history, seed))
}

/// A channel's generator: the template checked once and, per category set of the template,
/// the airable candidates with their lengths (so each day only re-orders them).
#[derive(Debug)]
pub struct Generator<'a> {
    ch: &'a Channel,
    t: &'a Template,
    idx: &'a CandidateIndex,
    bases: HashMap<Vec<String>, Vec<select::Entry>>,
    filler_base: Vec<select::Entry>,
}

impl<'a> Generator<'a> {
    /// Checks `template` against the index's categories and prepares the pools.
    ///
    /// # Errors
    /// `Template` with every problem when the template is not usable.
    pub fn new(channel: &'a Channel, template: &'a Template, index: &'a CandidateIndex) -> Result<Self> {
        let known: Vec<&str> = index.categories().collect();
        let problems = check(template, channel, &known);
        if !problems.is_empty() {
            return Err(ScheduleError::Template(problems));
        }
        let mut bases = HashMap::new();
        let grids = std::iter::once(&template.week.default).chain(template.week.weekdays.values());
        let kinds = grids
            .flat_map(|g| g.blocks.iter().map(|b| &b.kind))
            .chain(template.clocks.iter().flat_map(|c| c.segments.iter().map(|s| &s.kind)));
        for k in kinds {
            if let BlockKind::Category(r) = k {
                let key = pool_key(r);
                if let std::collections::hash_map::Entry::Vacant(v) = bases.entry(key) {
                    let base = Pool::base(v.key(), index, channel);
                    v.insert(base);
                }
            }
        }
        let filler_base = Pool::base(&template.fillers.categories, index, channel);
        Ok(Self { ch: channel, t: template, idx: index, bases, filler_base })
    }

    /// Generates broadcast day `date`. Same inputs and seed → same playlist.
    pub fn day(&self, date: NaiveDate, history: &PlayHistory, seed: u64) -> GeneratedDay {
        let (channel, template, index) = (self.ch, self.t, self.idx);
        let clock = channel.day(date);
        let salt = mix(seed ^ fnv1a(channel.id.as_bytes()) ^ fnv1a(date.to_string().as_bytes()));
        // History by candidate position: one lookup per aired programme, not one per candidate.
        let mut last = vec![i64::MIN; index.items().len()];
        for (id, at) in history.programmes() {
            if let Some(slot) = index.position(id).and_then(|i| last.get_mut(i)) {
                *slot = at;
            }
        }
        let fillers = Fillers::build(&self.filler_base, index, &last, salt);
        let mut g = Gen {
            ch: channel,
            t: template,
            idx: index,
            hist: history,
            bases: &self.bases,
            last,
            clock,
            start_unix: clock.start.timestamp(),
            salt,
            items: Vec::new(),
            breaks: Vec::new(),
            break_at: HashMap::new(),
            today: Today::default(),
            pools: HashMap::new(),
            fillers,
            quota_got: vec![Frames::ZERO; template.quotas.len()],
        };
        let plan = template.plan(channel, date);
        let mut cursor = Frames::ZERO;
        for b in &plan {
            if b.start > cursor {
                g.gap(cursor, b.start, &b.label, true);
            }
            g.block(b);
            cursor = b.end;
        }
        let len = clock.length();
        if cursor < len {
            g.gap(cursor, len, "the end of the day", true);
        }
        g.quota_breaks();
        let mut playlist = Playlist::empty(channel, date);
        let explanations = g.items.iter().map(|i| i.why.clone().unwrap_or_default()).collect();
        playlist.items = g.items;
        GeneratedDay { playlist, exceptions: g.breaks, explanations }
    }
}

impl Generator<'_> {
    /// Generates `n` consecutive days from `first`, recording each day into `history` so
    /// rotation and separation carry from one day to the next.
    pub fn days(&self, first: NaiveDate, n: u32, history: &mut PlayHistory, seed: u64) -> Vec<GeneratedDay> {
        let mut out = Vec::with_capacity(n as usize);
        let mut date = first;
        for _ in 0..n {
            let day = self.day(date, history, seed);
            history.record_playlist(&day.playlist, |id| self.idx.by_id(id).and_then(|p| p.series.clone()));
            out.push(day);
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        out
    }
}

fn pool_key(r: &CategoryRule) -> Vec<String> {
    let mut key = r.filter.categories.clone();
    key.sort();
    key.dedup();
    key
}

#[cfg(test)]
mod tests;

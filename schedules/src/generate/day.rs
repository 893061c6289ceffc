//! Filling one broadcast day: the state of a [`super::Generator::day`] run (what is placed,
//! what aired today, quota progress, rule breaks) and the block-by-block filling.

use std::collections::HashMap;

use super::fill::Fillers;
use super::select::{self, Ask, Pool, Relax, Today};
use super::{pool_key, RuleBreak};
use crate::candidate::{CandidateIndex, ProgrammeLookup};
use crate::channel::Channel;
use crate::history::PlayHistory;
use crate::phrase::Phrase;
use crate::playlist::{ItemKind, PlaylistItem, Source, Timing};
use crate::quota;
use crate::template::{BlockKind, CategoryRule, PlannedBlock, Template};
use crate::time::{DayClock, Frames};

pub(super) struct Gen<'a> {
    pub(super) ch: &'a Channel,
    pub(super) t: &'a Template,
    pub(super) idx: &'a CandidateIndex,
    pub(super) hist: &'a PlayHistory,
    pub(super) bases: &'a HashMap<Vec<String>, Vec<select::Entry>>,
    pub(super) last: Vec<i64>,
    pub(super) clock: DayClock,
    pub(super) start_unix: i64,
    pub(super) salt: u64,
    pub(super) items: Vec<PlaylistItem>,
    pub(super) breaks: Vec<RuleBreak>,
    pub(super) break_at: HashMap<(String, String), usize>,
    pub(super) today: Today,
    pub(super) pools: HashMap<Vec<String>, Pool>,
    pub(super) fillers: Fillers,
    pub(super) quota_got: Vec<Frames>,
}

impl Gen<'_> {
    fn secs(&self, f: Frames) -> i64 {
        self.start_unix + self.clock.rate.to_media(f).0.div_euclid(1_000_000_000)
    }

    fn tod(&self, f: Frames) -> String {
        self.clock.instant(f).format("%H:%M:%S").to_string()
    }

    /// Records that `rule` was broken in `block` at `at`: `phrase` is the sentence as a code
    /// and parameters, `reason` the same in English. A rule broken again in the same block
    /// only counts.
    fn rule_break(&mut self, rule: &str, block: &str, at: Frames, phrase: Phrase, reason: String) {
        let key = (rule.to_owned(), block.to_owned());
        if let Some(b) = self.break_at.get(&key).and_then(|&i| self.breaks.get_mut(i)) {
            b.count += 1;
            return;
        }
        self.break_at.insert(key, self.breaks.len());
        let b = RuleBreak { rule: rule.into(), block: block.into(), at, count: 1, reason, reason_phrase: phrase };
        self.breaks.push(b);
    }

    fn push(&mut self, item: PlaylistItem) {
        for (qi, q) in self.t.quotas.iter().enumerate() {
            if quota::counts(q, &item, self.ch, self.idx) {
                let add = quota::overlap(&quota::window(q, &self.clock), item.start, item.end());
                if let Some(g) = self.quota_got.get_mut(qi) {
                    *g += add;
                }
            }
        }
        self.items.push(item);
    }

    /// Closes `[from, to)` with fillers. `planned == true` means the template left it empty.
    pub(super) fn gap(&mut self, from: Frames, to: Frames, before: &str, unplanned: bool) -> Frames {
        let idx = self.idx;
        let (start_unix, rate) = (self.start_unix, self.clock.rate);
        let rights = move |i: usize, at: Frames, len: i64| {
            let s = |f: Frames| start_unix + rate.to_media(f).0.div_euclid(1_000_000_000);
            idx.get(i).is_some_and(|p| p.rights_cover(s(at), s(at + Frames(len))))
        };
        let (items, slate) = self.fillers.close(from, to, before, idx, &rights);
        if slate {
            let cats = self.t.fillers.categories.join(",");
            let phrase = Phrase::new("no_filler").with("categories", cats).with("at", self.tod(from));
            self.rule_break(
                "no_filler",
                before,
                from,
                phrase,
                format!(
                    "no airable filler of {:?} could close the gap at {}; the slate fills it",
                    self.t.fillers.categories,
                    self.tod(from)
                ),
            );
        }
        let len = to - from;
        if unplanned && rate.to_media(len) > self.t.fillers.max_per_block.media() {
            let phrase = Phrase::new("unplanned").with("length", len.timecode(rate)).with("before", before);
            self.rule_break(
                "filler_excess",
                before,
                from,
                phrase,
                format!(
                    "the template leaves {} unplanned before {before}; filled with interstitials",
                    len.timecode(rate)
                ),
            );
        }
        for it in items {
            self.push(it);
        }
        len
    }

    pub(super) fn block(&mut self, b: &PlannedBlock) {
        match &b.kind {
            BlockKind::Live { uri, title } => self.push(PlaylistItem {
                start: b.start,
                duration: b.end - b.start,
                timing: Timing::Hard,
                source: Source::Live { uri: uri.clone() },
                in_point: Frames::ZERO,
                title: title.clone(),
                kind: ItemKind::Live,
                category: "live".into(),
                locked: false,
                why: Some(format!("live relay fixed at {} by {}", self.tod(b.start), b.location)),
                reason: Some(Phrase::new("live_fixed").with("at", self.tod(b.start)).with("by", &b.location)),
            }),
            BlockKind::Fixed { programme } => self.fixed(b, programme),
            BlockKind::Filler => {
                self.gap(b.start, b.end, &b.label, false);
            }
            BlockKind::Category(rule) => self.category(b, rule),
        }
    }

    fn fixed(&mut self, b: &PlannedBlock, id: &crate::ProgrammeId) {
        let slot = b.end - b.start;
        let ok = self.idx.by_id(id).filter(|p| p.airable_on(self.ch));
        let Some(p) = ok else {
            let phrase = Phrase::new("fixed_unavailable").with("id", id);
            self.rule_break("fixed_unavailable", &b.label, b.start, phrase, format!("programme {id} is unknown, not ready, not for this medium or not shared with this channel; fillers take its slot"));
            self.gap(b.start, b.end, &b.label, false);
            return;
        };
        let mut len = self.clock.rate.frames_floor(p.duration);
        if len > slot {
            let phrase = Phrase::new("fixed_truncated")
                .with("title", &p.title)
                .with("length", len.timecode(self.clock.rate))
                .with("slot", slot.timecode(self.clock.rate));
            self.rule_break(
                "fixed_truncated",
                &b.label,
                b.start,
                phrase,
                format!(
                    "{} lasts {} but its slot is {}; cut at the slot end",
                    p.title,
                    len.timecode(self.clock.rate),
                    slot.timecode(self.clock.rate)
                ),
            );
            len = slot;
        }
        if !p.rights_cover(self.secs(b.start), self.secs(b.start + len)) {
            let phrase = Phrase::new("fixed_rights").with("title", &p.title).with("at", self.tod(b.start));
            self.rule_break(
                "fixed_unavailable",
                &b.label,
                b.start,
                phrase,
                format!("rights of {} do not cover {}", p.title, self.tod(b.start)),
            );
            self.gap(b.start, b.end, &b.label, false);
            return;
        }
        let item = PlaylistItem {
            start: b.start,
            duration: len,
            timing: Timing::Hard,
            source: Source::Programme { id: p.id.clone() },
            in_point: Frames::ZERO,
            title: p.title.clone(),
            kind: ItemKind::Programme,
            category: p.category.clone(),
            locked: false,
            why: Some(format!("fixed event at {} by {}", self.tod(b.start), b.location)),
            reason: Some(Phrase::new("fixed_event").with("at", self.tod(b.start)).with("by", &b.location)),
        };
        self.mark_aired(self.idx.position(&p.id), b.start, len.0);
        self.push(item);
        if b.start + len < b.end {
            self.gap(b.start + len, b.end, &b.label, false);
        }
    }

    fn mark_aired(&mut self, i: Option<usize>, at: Frames, frames: i64) {
        let Some(i) = i else { return };
        let s = self.secs(at);
        // `aired` stays in order of last airing, so "least recently played" among today's
        // repeats rotates through them instead of repeating the first one aired.
        if self.today.programmes.insert(i, s).is_some() {
            if let Some(k) = self.today.aired.iter().position(|e| e.i == i) {
                let e = self.today.aired.remove(k);
                self.today.aired.push(select::Entry { last: s, ..e });
            }
        } else {
            self.today.aired.push(select::Entry { i, frames, last: s });
        }
        if let Some(series) = self.idx.get(i).and_then(|p| p.series.clone()) {
            self.today.series.insert(series, s);
        }
    }

    fn category(&mut self, b: &PlannedBlock, rule: &CategoryRule) {
        let key = pool_key(rule);
        if !self.pools.contains_key(&key) {
            let base = self.bases.get(&key).map_or(&[][..], Vec::as_slice);
            let pool = Pool::build(base, self.idx, &self.last, self.salt);
            self.pools.insert(key.clone(), pool);
        }
        let rate = self.clock.rate;
        let (mut t, mut own, mut placed) = (b.start, 0i64, 0u32);
        loop {
            let filled = (t - b.start).0;
            let own_needed = rule.own_centre_min_percent.is_some_and(|p| own * 100 < i64::from(p) * filled.max(1));
            let at = self.secs(t);
            let quota = self.quota_focus(t, rule);
            let Some(pool) = self.pools.get(&key) else {
                break;
            };
            let (start_unix, tt) = (self.start_unix, t);
            let secs_of = move |f: i64| start_unix + rate.to_media(tt + Frames(f)).0.div_euclid(1_000_000_000);
            let mut ask = Ask {
                rule,
                at,
                max_frames: (b.end - t).0,
                own_needed,
                quota: quota.map(|q| &q.filter),
                max_relax: Relax::None,
                secs_of: &secs_of,
            };
            let mut pick = None;
            if ask.quota.is_some() {
                pick = select::pick(pool, &ask, self.idx, self.ch, self.hist, &self.today);
            }
            ask.quota = None;
            ask.max_relax = Relax::BlockFilter;
            let quota_name = if pick.is_some() { quota.map(|q| q.name.clone()) } else { None };
            let pick = pick.or_else(|| select::pick(pool, &ask, self.idx, self.ch, self.hist, &self.today));
            let Some(pick) = pick else { break };
            let Some(p) = self.idx.get(pick.entry.i) else {
                break;
            };
            let len = Frames(pick.entry.frames);
            let last = self.today.programmes.get(&pick.entry.i).copied().unwrap_or(pick.entry.last);
            let mut why = format!(
                "{}: {} · least recently played (last aired {})",
                b.label,
                p.category,
                if last == i64::MIN { "never".to_owned() } else { fmt_unix(last, self.ch) }
            );
            let mut reason = Phrase::new("least_recent").with("block", &b.label).with("category", &p.category);
            if last != i64::MIN {
                reason = reason.with("last", fmt_unix(last, self.ch));
            }
            if let Some(q) = quota_name {
                why.push_str(&format!(" · preferred for quota {q}"));
                reason = reason.with("quota", q);
            }
            if pick.relax != Relax::None {
                why.push_str(&format!(" · relaxed rules up to {}", pick.relax.code()));
                reason = reason.with("relaxed", pick.relax.code());
                let reason = format!(
                    "no candidate of {:?} fitting {} at {} met every rule; relaxed in documented order up to {}",
                    rule.filter.categories,
                    (b.end - t).timecode(rate),
                    self.tod(t),
                    pick.relax.code()
                );
                let phrase = Phrase::new("relaxed")
                    .with("categories", rule.filter.categories.join(","))
                    .with("length", (b.end - t).timecode(rate))
                    .with("at", self.tod(t))
                    .with("relaxed", pick.relax.code());
                self.rule_break(pick.relax.code(), &b.label, t, phrase, reason);
            } else {
                why.push_str(" · all rules met");
            }
            if p.centre == self.ch.centre {
                own += len.0;
            }
            let item = PlaylistItem {
                start: t,
                duration: len,
                timing: Timing::Soft,
                source: Source::Programme { id: p.id.clone() },
                in_point: Frames::ZERO,
                title: p.title.clone(),
                kind: ItemKind::Programme,
                category: p.category.clone(),
                locked: false,
                why: Some(why),
                reason: Some(reason),
            };
            self.mark_aired(Some(pick.entry.i), t, len.0);
            self.push(item);
            t += len;
            placed += 1;
        }
        if placed == 0 {
            let phrase = Phrase::new("block_unfilled").with("categories", rule.filter.categories.join(","));
            self.rule_break(
                "block_unfilled",
                &b.label,
                b.start,
                phrase,
                format!(
                    "no airable programme of {:?} fits the block at all (ready, medium, sharing, rights, length)",
                    rule.filter.categories
                ),
            );
        }
        if t < b.end {
            let rest = self.gap(t, b.end, &b.label, false);
            if placed > 0 && rate.to_media(rest) > self.t.fillers.max_per_block.media() {
                let phrase = Phrase::new("block_short").with("length", rest.timecode(rate));
                self.rule_break(
                    "filler_excess",
                    &b.label,
                    t,
                    phrase,
                    format!("only {} of interstitials could close the block; no programme fits", rest.timecode(rate)),
                );
            }
        }
    }

    /// The first quota not yet met whose window contains `t` and which this block can serve.
    fn quota_focus(&self, t: Frames, rule: &CategoryRule) -> Option<&crate::template::Quota> {
        self.t.quotas.iter().enumerate().find_map(|(qi, q)| {
            let need = quota::required(q, &self.clock);
            let got = self.quota_got.get(qi).copied().unwrap_or(Frames::ZERO);
            let active = quota::overlap(&quota::window(q, &self.clock), t, t + Frames(1)) > Frames::ZERO;
            let serves = q.filter.categories.is_empty()
                || q.filter.categories.iter().any(|c| rule.filter.categories.contains(c));
            (got < need && active && serves).then_some(q)
        })
    }

    pub(super) fn quota_breaks(&mut self) {
        for (qi, q) in self.t.quotas.iter().enumerate() {
            let need = quota::required(q, &self.clock);
            let got = self.quota_got.get(qi).copied().unwrap_or(Frames::ZERO);
            if got < need {
                let rate = self.clock.rate;
                let reason = format!(
                    "{} achieved {} of the required {} between {} and {}: not enough matching blocks or programmes",
                    q.name,
                    got.timecode(rate),
                    need.timecode(rate),
                    q.from,
                    q.until
                );
                let phrase = Phrase::new("quota")
                    .with("quota", &q.name)
                    .with("achieved", got.timecode(rate))
                    .with("required", need.timecode(rate))
                    .with("from", q.from)
                    .with("until", q.until);
                self.rule_break("quota", &q.name.clone(), Frames::ZERO, phrase, reason);
            }
        }
    }
}

fn fmt_unix(s: i64, ch: &Channel) -> String {
    chrono::DateTime::from_timestamp(s, 0)
        .map(|d| d.with_timezone(&ch.offset()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| s.to_string())
}

//! Template validation: every problem at once, each with a code, a message a person can act
//! on and where in the template it is.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{plan_grid, BlockKind, DayGrid, Template, WEEKDAYS};
use crate::channel::Channel;
use crate::template::rules::{Filter, QuotaMin};

/// One thing wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable machine code: `unknown_clock`, `invalid_hour`, `block_exceeds_hour`,
    /// `empty_block`, `hard_overlap`, `block_overlap`, `crosses_day_end`, `no_category`,
    /// `unknown_category`, `unknown_weekday`, `invalid_quota`, `invalid_live`, `duplicate_clock`.
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where (`week.default.blocks[2]`, `clocks[0].segments[1]`, `quotas[0]`).
    pub location: String,
    /// The values `message` names (`category`, `clock`, `block`, …), for a client that
    /// words `code` in its reader's language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Problem {
    /// The problem with parameter `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.insert(key.to_owned(), value.to_string());
        self
    }
}

fn problem(code: &str, location: impl Into<String>, message: String) -> Problem {
    Problem { code: code.into(), message, location: location.into(), params: BTreeMap::new() }
}

/// Every problem of `template` for `channel`. Categories are checked against
/// `known_categories` (the catalog's); an empty list skips that check.
pub fn check(template: &Template, channel: &Channel, known_categories: &[&str]) -> Vec<Problem> {
    let mut out = Vec::new();
    let known: HashSet<&str> = known_categories.iter().copied().collect();
    let mut cat = |f: &Filter, loc: &str, out: &mut Vec<Problem>| {
        if known.is_empty() {
            return;
        }
        for c in &f.categories {
            if !known.contains(c.as_str()) {
                out.push(
                    problem(
                        "unknown_category",
                        loc,
                        format!("category {c:?} is not known to the catalog; known: {}", sorted(&known)),
                    )
                    .with("category", c),
                );
            }
        }
    };

    let mut names = HashSet::new();
    for (i, c) in template.clocks.iter().enumerate() {
        if !names.insert(c.name.as_str()) {
            out.push(problem(
                "duplicate_clock",
                format!("clocks[{i}]"),
                format!("clock {:?} is defined twice", c.name),
            ));
        }
        for (j, s) in c.segments.iter().enumerate() {
            let loc = format!("clocks[{i}].segments[{j}]");
            if s.length.millis() == 0 {
                out.push(problem("empty_block", &loc, "segment has zero length".into()));
            }
            if s.at.millis() + s.length.millis() > 3_600_000 {
                out.push(problem(
                    "block_exceeds_hour",
                    &loc,
                    format!(
                        "segment at {} lasting {} runs past the end of its hour of clock {:?}",
                        s.at, s.length, c.name
                    ),
                ));
            }
            kind_checks(&s.kind, &loc, &mut out, &mut cat);
        }
    }

    let mut grids: Vec<(&DayGrid, String)> = vec![(&template.week.default, "week.default".into())];
    for (k, g) in &template.week.weekdays {
        if !WEEKDAYS.contains(&k.as_str()) {
            out.push(problem(
                "unknown_weekday",
                format!("week.weekdays.{k}"),
                format!("{k:?} is not one of {WEEKDAYS:?}"),
            ));
        }
        grids.push((g, format!("week.weekdays.{k}")));
    }
    let date = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or_default();
    let clock = channel.day(date);
    let day = clock.length();
    for (grid, loc) in grids {
        for (i, u) in grid.clocks.iter().enumerate() {
            if !template.clocks.iter().any(|c| c.name == u.clock) {
                out.push(
                    problem(
                        "unknown_clock",
                        format!("{loc}.clocks[{i}]"),
                        format!("clock {:?} is not defined", u.clock),
                    )
                    .with("clock", &u.clock),
                );
            }
            for h in u.hours.iter().filter(|&&h| h > 23) {
                out.push(problem("invalid_hour", format!("{loc}.clocks[{i}]"), format!("hour {h} is not 0-23")));
            }
        }
        for (i, b) in grid.blocks.iter().enumerate() {
            let l = format!("{loc}.blocks[{i}]");
            if b.length.millis() == 0 {
                out.push(problem("empty_block", &l, "block has zero length".into()));
            }
            kind_checks(&b.kind, &l, &mut out, &mut cat);
        }
        let plan = plan_grid(template, grid, &loc, &clock);
        let mut reach: Option<usize> = None; // planned block reaching furthest so far
        for (i, b) in plan.iter().enumerate() {
            if b.end > day {
                out.push(
                    problem(
                        "crosses_day_end",
                        &b.location,
                        format!(
                            "{} runs past the end of the broadcast day (day starts at {})",
                            b.label, channel.day_start
                        ),
                    )
                    .with("block", &b.label),
                );
            }
            if let Some(r) = reach.and_then(|r| plan.get(r)) {
                if b.start < r.end {
                    let both_hard = b.kind.is_hard() && r.kind.is_hard();
                    out.push(
                        problem(
                            if both_hard { "hard_overlap" } else { "block_overlap" },
                            &b.location,
                            format!("{} overlaps {} ({})", b.label, r.label, r.location),
                        )
                        .with("block", &b.label)
                        .with("other", &r.label),
                    );
                }
            }
            if reach.and_then(|r| plan.get(r)).is_none_or(|r| b.end > r.end) {
                reach = Some(i);
            }
        }
    }

    for (i, q) in template.quotas.iter().enumerate() {
        let loc = format!("quotas[{i}]");
        if let QuotaMin::PercentOfAirtime(p) = q.min {
            if p > 100 {
                out.push(problem("invalid_quota", &loc, format!("quota {:?} asks for {p}% (> 100%)", q.name)));
            }
        }
        cat(&q.filter, &loc, &mut out);
    }
    let f = Filter { categories: template.fillers.categories.clone(), ..Filter::default() };
    cat(&f, "fillers", &mut out);
    out
}

fn kind_checks(
    kind: &BlockKind,
    loc: &str,
    out: &mut Vec<Problem>,
    cat: &mut impl FnMut(&Filter, &str, &mut Vec<Problem>),
) {
    match kind {
        BlockKind::Category(r) => {
            if r.filter.categories.is_empty() {
                out.push(problem("no_category", loc, "category block names no category".into()));
            }
            if r.own_centre_min_percent.is_some_and(|p| p > 100) {
                out.push(problem("invalid_quota", loc, "own_centre_min_percent is above 100".into()));
            }
            cat(&r.filter, loc, out);
        }
        BlockKind::Live { uri, .. } if uri.trim().is_empty() => {
            out.push(problem("invalid_live", loc, "live relay has no source URI".into()));
        }
        _ => {}
    }
}

fn sorted(s: &HashSet<&str>) -> String {
    let mut v: Vec<&str> = s.iter().copied().collect();
    v.sort_unstable();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::tests::{channel, sample};
    use crate::template::{Block, Span};
    use crate::time::TimeOfDay;

    const KNOWN: &[&str] = &["涉农", "news", "ident", "psa"];

    fn codes(t: &Template) -> Vec<String> {
        check(t, &channel(), KNOWN).into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn sample_template_is_clean() {
        assert_eq!(codes(&sample()), Vec::<String>::new());
    }

    #[test]
    fn overlapping_hard_events_are_reported() {
        let mut t = sample();
        t.week.default.blocks.push(Block {
            start: TimeOfDay::parse("19:15").unwrap(),
            length: Span::parse("00:30").unwrap(),
            kind: BlockKind::Live { uri: "srt://x".into(), title: "x".into() },
            label: None,
        });
        let p = check(&t, &channel(), KNOWN);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].code, "hard_overlap");
        assert_eq!(p[0].location, "week.default.blocks[1]");
    }

    #[test]
    fn segment_longer_than_its_hour_is_reported() {
        let mut t = sample();
        t.clocks[0].segments[1].length = Span::parse("00:45").unwrap();
        let c = codes(&t);
        assert!(c.contains(&"block_exceeds_hour".to_string()), "{c:?}");
    }

    #[test]
    fn unknown_category_and_clock_are_reported() {
        let mut t = sample();
        t.quotas[0].filter.categories = vec!["农业".into()];
        t.week.default.clocks[0].clock = "nope".into();
        let p = check(&t, &channel(), KNOWN);
        let c: Vec<&str> = p.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(c, ["unknown_clock", "unknown_category"]);
        assert!(p[1].message.contains("农业"));
        assert_eq!(p[1].location, "quotas[0]");
        // Problems serialise for the API.
        assert!(serde_json::to_string(&p).unwrap().contains("unknown_clock"));
    }

    #[test]
    fn block_crossing_the_day_start_is_reported() {
        let mut t = sample();
        t.week.default.blocks.push(Block {
            start: TimeOfDay::parse("05:30").unwrap(),
            length: Span::parse("01:00").unwrap(),
            kind: BlockKind::Filler,
            label: None,
        });
        assert!(codes(&t).contains(&"crosses_day_end".to_string()));
    }
}

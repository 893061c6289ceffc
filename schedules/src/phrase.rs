//! Sentences for people as a stable `code` with named parameters, so a client words them in
//! its reader's language; the English sentence stays beside it for the API and logs. Used for
//! a finding's detail, an item's reason (why the generator chose it) and a version's change.
//!
//! A version's change is stored as its English sentence (the catalog keeps text);
//! [`change`] reads the sentences this crate and the API write back into a phrase, so
//! versions stored before phrases existed get one too. Anything else is `other` with the
//! text as `text`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A sentence as a code and its parameters (values as shown, e.g. `08:58:19`, a title).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phrase {
    /// Stable code (`least_recent`, `insert_at`, `gap`, …).
    pub code: String,
    /// Named values the sentence needs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Phrase {
    /// A phrase with no parameters.
    pub fn new(code: &str) -> Self {
        Self { code: code.to_owned(), params: BTreeMap::new() }
    }

    /// The phrase with `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.insert(key.to_owned(), value.to_string());
        self
    }

    /// A parameter's value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

/// A 0-based item index in a sentence as the 1-based row a person sees.
fn row(index: &str) -> Option<String> {
    index.trim().parse::<usize>().ok().map(|i| (i + 1).to_string())
}

/// The phrase of a stored change sentence (see the module doc).
pub fn change(text: &str) -> Phrase {
    parse_change(text).unwrap_or_else(|| Phrase::new("other").with("text", text))
}

fn parse_change(text: &str) -> Option<Phrase> {
    let t = text.trim();
    if let Some(seed) = t.strip_prefix("generated (seed ").and_then(|r| r.strip_suffix(')')) {
        return Some(Phrase::new("generated").with("seed", seed));
    }
    if t == "imported" {
        return Some(Phrase::new("imported"));
    }
    if let Some(r) = t.strip_prefix("copied from ") {
        let (from, v) = r.split_once(" version ")?;
        return Some(Phrase::new("copied").with("from", from).with("version", v));
    }
    if let Some(r) = t.strip_prefix("undo of version ") {
        let (v, _) = r.split_once(' ').unwrap_or((r, ""));
        return Some(Phrase::new("undo").with("version", v));
    }
    if let Some(r) = t.strip_prefix("fit to the day (") {
        let (filled, r) = r.split_once(" gap(s) filled with slate, ")?;
        let (cut, _) = r.split_once(" item(s) cut")?;
        return Some(Phrase::new("fit_day").with("filled", filled).with("cut", cut));
    }
    if let Some(r) = t.strip_prefix("insert ") {
        // `insert T at HH:MM:SS[ (fitted: R removed, C cut)]` (insert_at) or `insert T at I`.
        let (head, fitted) = match r.strip_suffix(" cut)").and_then(|x| x.rsplit_once(" (fitted: ")) {
            Some((h, f)) => (h, Some(f)),
            None => (r, None),
        };
        let (title, at) = head.rsplit_once(" at ")?;
        if at.contains(':') {
            let mut p = Phrase::new("insert_at").with("title", title).with("at", at);
            if let Some(f) = fitted {
                let (removed, cut) = f.split_once(" removed, ")?;
                p = p.with("removed", removed).with("cut", cut);
            }
            return Some(p);
        }
        return Some(Phrase::new("insert").with("title", title).with("row", row(at)?));
    }
    if let Some(r) = t.strip_prefix("move ") {
        let (r, to) = r.rsplit_once(" to ")?;
        let (title, from) = r.rsplit_once(" from ")?;
        return Some(Phrase::new("move").with("title", title).with("from", row(from)?).with("to", row(to)?));
    }
    if let Some(r) = t.strip_prefix("replace ") {
        let (r, at) = r.rsplit_once(" at ")?;
        let (old, new) = r.split_once(" by ")?;
        return Some(Phrase::new("replace").with("old", old).with("new", new).with("row", row(at)?));
    }
    if let Some(r) = t.strip_prefix("delete ") {
        let (title, at) = r.rsplit_once(" at ")?;
        return Some(Phrase::new("delete").with("title", title).with("row", row(at)?));
    }
    if let Some(r) = t.strip_prefix("trim ") {
        let (r, from) = r.rsplit_once(" from ")?;
        let (title, frames) = r.rsplit_once(" to ")?;
        return Some(Phrase::new("trim").with("title", title).with("frames", frames).with("in_point", from));
    }
    if let Some(r) = t.strip_prefix("retime ") {
        let (r, hard) = match r.strip_suffix(" (hard)") {
            Some(x) => (x, true),
            None => (r, false),
        };
        let (title, start) = r.rsplit_once(" to ")?;
        return Some(
            Phrase::new(if hard { "retime_hard" } else { "retime" }).with("title", title).with("start", start),
        );
    }
    if let Some(title) = t.strip_prefix("unlock ") {
        return Some(Phrase::new("unlock").with("title", title));
    }
    if let Some(title) = t.strip_prefix("lock ") {
        return Some(Phrase::new("lock").with("title", title));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(code: &str, kv: &[(&str, &str)]) -> Phrase {
        kv.iter().fold(Phrase::new(code), |p, (k, v)| p.with(k, v))
    }

    #[test]
    fn every_change_sentence_written_reads_back_as_its_phrase() {
        let cases = [
            ("generated (seed 7)", p("generated", &[("seed", "7")])),
            ("imported", p("imported", &[])),
            ("copied from 2026-12-06 version 4", p("copied", &[("from", "2026-12-06"), ("version", "4")])),
            ("undo of version 5 (lock 新闻 at 3)", p("undo", &[("version", "5")])),
            (
                "fit to the day (1 gap(s) filled with slate, 2 item(s) cut at the day end)",
                p("fit_day", &[("filled", "1"), ("cut", "2")]),
            ),
            (
                "insert 芒果 at 片 at 08:58:19 (fitted: 0 removed, 1 cut)",
                p("insert_at", &[("title", "芒果 at 片"), ("at", "08:58:19"), ("removed", "0"), ("cut", "1")]),
            ),
            ("insert 芒果 at 08:58:19", p("insert_at", &[("title", "芒果"), ("at", "08:58:19")])),
            ("insert 芒果 at 3", p("insert", &[("title", "芒果"), ("row", "4")])),
            ("move a from b from 2 to 0", p("move", &[("title", "a from b"), ("from", "3"), ("to", "1")])),
            ("replace a by b at 0", p("replace", &[("old", "a"), ("new", "b"), ("row", "1")])),
            ("delete 新闻 at 9", p("delete", &[("title", "新闻"), ("row", "10")])),
            ("trim 新闻 to 250 from 25", p("trim", &[("title", "新闻"), ("frames", "250"), ("in_point", "25")])),
            ("retime 新闻 to 900 (hard)", p("retime_hard", &[("title", "新闻"), ("start", "900")])),
            ("retime 新闻 to 900", p("retime", &[("title", "新闻"), ("start", "900")])),
            ("lock 新闻", p("lock", &[("title", "新闻")])),
            ("unlock 新闻", p("unlock", &[("title", "新闻")])),
            ("something new", p("other", &[("text", "something new")])),
        ];
        for (text, want) in cases {
            assert_eq!(change(text), want, "{text}");
        }
    }
}

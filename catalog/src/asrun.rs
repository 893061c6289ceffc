//! The as-run log: what each channel actually aired, as the playout engine reported it.
//!
//! One line per scheduled item, whichever node aired it: a line of a schedule item has a
//! *slot* ([`slot_of`], its scheduled start), unique per channel in the store; a second line
//! for the slot — the other node of a main/backup pair, a node restarted mid-item, the final
//! line replacing the provisional one written when the item went on air — is merged into the
//! first ([`merged`]) instead of stored beside it.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One aired item (or gap, fallback, interruption) of a channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AsRunEntry {
    /// Row id; 0 before it is stored.
    pub id: i64,
    /// The channel's slug.
    pub channel: String,
    /// The schedule's id of the item (a programme id for catalog items).
    pub item_id: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub actual_start: DateTime<Utc>,
    pub duration_ms: i64,
    /// `played`, `fallback`, `cut`, `skipped`, `interrupted`, …
    pub outcome: String,
    pub reason: Option<String>,
    /// The engine's full record (frames, samples, slate frames, …).
    pub detail: serde_json::Value,
}

impl AsRunEntry {
    /// The end of what the line covers.
    pub fn end(&self) -> DateTime<Utc> {
        self.actual_start + chrono::Duration::milliseconds(self.duration_ms)
    }

    /// True for the provisional line a node writes when an item goes on air (`on_air` in the
    /// engine's record), replaced by the item's final line when it ends.
    pub fn is_on_air(&self) -> bool {
        self.detail.get("on_air").and_then(serde_json::Value::as_bool).unwrap_or(false)
    }
}

/// The slot of a line of a schedule item: its scheduled start to the millisecond (RFC 3339,
/// UTC). Only the engine's lines of playlist items (`item` in the detail) have one; gaps,
/// fills, overrides and alert lines do not and are never merged.
pub fn slot_of(e: &AsRunEntry) -> Option<String> {
    let item = e.detail.get("item").is_some_and(serde_json::Value::is_u64);
    e.scheduled_start.filter(|_| item).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Two lines of the same slot as one. A final line replaces a provisional one: its end is the
/// truth (an item cut short ends early), its start the earlier of the two — later when the node
/// that aired it stopped and the item was rejoined, which the reason then says (the break
/// between is not known to the store). A provisional line never changes a final one. Two final
/// lines (main and backup, or a retried post) become one covering both, with the outcome,
/// reason and detail of the longer (the first on a tie: main and backup report the same).
pub fn merged(old: &AsRunEntry, new: &AsRunEntry) -> AsRunEntry {
    let start = old.actual_start.min(new.actual_start);
    let (mut line, end) = match (old.is_on_air(), new.is_on_air()) {
        (true, false) => (new.clone(), new.end()),
        (false, true) | (true, true) => return old.clone(),
        (false, false) if new.duration_ms > old.duration_ms => (new.clone(), old.end().max(new.end())),
        (false, false) => (old.clone(), old.end().max(new.end())),
    };
    line.id = old.id;
    if old.is_on_air() && new.actual_start - old.actual_start > chrono::Duration::seconds(1) {
        let note = format!(
            "on air from {} by a node that stopped; rejoined at {} (the break between is not known)",
            old.actual_start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            new.actual_start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        line.reason = Some(match line.reason.take() {
            Some(r) => format!("{r}; {note}"),
            None => note,
        });
    }
    line.actual_start = start;
    line.duration_ms = (end - start).num_milliseconds();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(start_s: i64, dur_ms: i64, on_air: bool, outcome: &str) -> AsRunEntry {
        let t0 = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().with_timezone(&Utc);
        AsRunEntry {
            id: 7,
            channel: "tv".into(),
            item_id: Some("p1".into()),
            title: None,
            source: None,
            scheduled_start: Some(t0),
            actual_start: t0 + chrono::Duration::seconds(start_s),
            duration_ms: dur_ms,
            outcome: outcome.into(),
            reason: None,
            detail: serde_json::json!({ "item": 0, "on_air": on_air }),
        }
    }

    #[test]
    fn only_schedule_items_have_a_slot() {
        let item = line(0, 1000, false, "played");
        assert_eq!(slot_of(&item).as_deref(), Some("2026-12-06T10:00:00.000Z"));
        let gap = AsRunEntry { detail: serde_json::json!({ "item": null }), ..item.clone() };
        assert_eq!(slot_of(&gap), None);
        let alert = AsRunEntry { scheduled_start: None, detail: serde_json::json!({ "alert": "k" }), ..item };
        assert_eq!(slot_of(&alert), None);
    }

    #[test]
    fn a_final_line_replaces_the_provisional_one_and_a_rejoin_covers_the_whole_item() {
        let provisional = line(0, 60_000, true, "played");
        let done = line(0, 60_000, false, "fallback");
        let m = merged(&provisional, &done);
        assert_eq!((m.outcome.as_str(), m.duration_ms, m.id, m.is_on_air()), ("fallback", 60_000, 7, false));
        // Killed at 20 s, rejoined at 22 s to the end: one line from 0 to 60 s, with a note.
        let rejoined = line(22, 38_000, false, "played");
        let m = merged(&provisional, &rejoined);
        assert_eq!((m.actual_start, m.duration_ms), (provisional.actual_start, 60_000));
        assert!(m.reason.unwrap().contains("rejoined"));
        // Main and backup: the same line twice is one line, unchanged.
        assert_eq!(merged(&done, &done), done);
        // A provisional line after a final one changes nothing.
        assert_eq!(merged(&done, &provisional), done);
        // Cut short after 10 s (a skip): the final line's end, not the planned one.
        let cut = line(0, 10_000, false, "cut");
        assert_eq!(merged(&provisional, &cut).duration_ms, 10_000);
    }
}

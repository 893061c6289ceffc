//! Programme guide: XMLTV export (per the XMLTV DTD) and now/next.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::playlist::{ItemKind, Playlist, PlaylistItem};

/// One channel and its playlists (any days, any order) for the guide.
#[derive(Debug, Clone, Copy)]
pub struct EpgChannel<'a> {
    /// The channel.
    pub channel: &'a Channel,
    /// Its playlists (published versions).
    pub playlists: &'a [Playlist],
}

/// The XMLTV channel id: `<channel id>.<centre>.kapok`, with characters other than ASCII
/// letters, digits and `-` replaced by `-` (the form `tv_validate_file` requires).
pub fn xmltv_id(channel: &Channel) -> String {
    let id: String = channel.id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    format!("{id}.{}.kapok", channel.centre)
}

/// An entry of the guide: programmes and live relays (fillers and the slate are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideEntry {
    /// Title.
    pub title: String,
    /// Category.
    pub category: String,
    /// Programme or live.
    pub kind: ItemKind,
    /// Wall-clock start.
    pub start: DateTime<FixedOffset>,
    /// Wall-clock end.
    pub stop: DateTime<FixedOffset>,
}

fn listed(it: &PlaylistItem) -> bool {
    matches!(it.kind, ItemKind::Programme | ItemKind::Live)
}

fn entries(playlists: &[Playlist]) -> Vec<GuideEntry> {
    entries_where(playlists, listed)
}

fn entries_where(playlists: &[Playlist], keep: fn(&PlaylistItem) -> bool) -> Vec<GuideEntry> {
    let mut out: Vec<GuideEntry> = playlists
        .iter()
        .flat_map(|p| {
            let clock = p.clock();
            p.items.iter().filter(move |i| keep(i)).map(move |i| GuideEntry {
                title: i.title.clone(),
                category: i.category.clone(),
                kind: i.kind,
                start: clock.instant(i.start),
                stop: clock.instant(i.end()),
            })
        })
        .collect();
    out.sort_by_key(|e| e.start);
    out
}

/// XMLTV document of `channels` for programmes overlapping `[from, until)`.
pub fn xmltv(channels: &[EpgChannel<'_>], from: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n");
    s.push_str("<tv generator-info-name=\"kapok\" source-info-name=\"Kapok schedules\">\n");
    for c in channels {
        let _ = writeln!(
            s,
            "  <channel id=\"{}\">\n    <display-name lang=\"zh\">{}</display-name>\n  </channel>",
            esc(&xmltv_id(c.channel)),
            esc(&c.channel.name)
        );
    }
    for c in channels {
        let id = esc(&xmltv_id(c.channel));
        for e in entries(c.playlists) {
            if e.stop <= from || e.start >= until {
                continue;
            }
            let _ = write!(
                s,
                "  <programme start=\"{}\" stop=\"{}\" channel=\"{id}\">\n    <title lang=\"zh\">{}</title>\n",
                stamp(e.start),
                stamp(e.stop),
                esc(&e.title)
            );
            if !e.category.is_empty() {
                let _ = writeln!(s, "    <category lang=\"zh\">{}</category>", esc(&e.category));
            }
            s.push_str("  </programme>\n");
        }
    }
    s.push_str("</tv>\n");
    s
}

fn stamp(t: DateTime<FixedOffset>) -> String {
    t.format("%Y%m%d%H%M%S %z").to_string()
}

/// Escapes text for XML content and attributes.
fn esc(t: &str) -> String {
    let mut o = String::with_capacity(t.len());
    for ch in t.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped rather than producing an invalid file.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// What is on now and what comes next on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NowNext {
    /// Channel id.
    pub channel: String,
    /// The programme or live relay on air (None during fillers or outside the playlists).
    pub now: Option<GuideEntry>,
    /// The next programme or live relay.
    pub next: Option<GuideEntry>,
    /// Whatever item is on air, fillers and slate included (a monitor names the filler
    /// between programmes where `now` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_air: Option<GuideEntry>,
}

/// Now/next of `channel` at `at` from its playlists (pass today's and tomorrow's so that
/// "next" crosses the day boundary).
pub fn now_next(channel: &Channel, playlists: &[Playlist], at: DateTime<Utc>) -> NowNext {
    let all = entries(playlists);
    let now = all.iter().find(|e| e.start <= at && at < e.stop).cloned();
    let next = all.into_iter().find(|e| e.start > at);
    let on_air = entries_where(playlists, |_| true).into_iter().find(|e| e.start <= at && at < e.stop);
    NowNext { channel: channel.id.clone(), now, next, on_air }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::edit::ripple;
    use crate::playlist::{Source, Timing};
    use crate::template::tests::channel;
    use crate::time::Frames;

    fn it(title: &str, kind: ItemKind, dur: i64) -> PlaylistItem {
        PlaylistItem {
            start: Frames(0),
            duration: Frames(dur),
            timing: Timing::Soft,
            source: Source::Slate,
            in_point: Frames(0),
            title: title.into(),
            kind,
            category: "news".into(),
            locked: false,
            why: None,
            reason: None,
        }
    }

    #[test]
    fn now_next_skips_fillers_and_escapes_titles() {
        let ch = channel();
        let mut p = Playlist::empty(&ch, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        p.items = vec![
            it("早间 <新闻> & 天气", ItemKind::Programme, 25 * 60),
            it("ident", ItemKind::Filler, 25 * 10),
            it("农业", ItemKind::Programme, 25 * 3600 * 24 - 25 * 70),
        ];
        ripple(&mut p.items);
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 22, 0, 30).unwrap(); // 06:00:30 +08:00
        let nn = now_next(&ch, std::slice::from_ref(&p), at);
        assert_eq!(nn.now.unwrap().title, "早间 <新闻> & 天气");
        assert_eq!(nn.next.unwrap().title, "农业");
        let x = xmltv(
            &[EpgChannel { channel: &ch, playlists: std::slice::from_ref(&p) }],
            at,
            at + chrono::Duration::hours(1),
        );
        assert!(x.contains("早间 &lt;新闻&gt; &amp; 天气"));
        assert!(x.contains("start=\"20261126060000 +0800\" stop=\"20261126060100 +0800\""));
        assert!(!x.contains(">ident<"));
        assert_eq!(xmltv_id(&ch), "pzh-tv1.510400.kapok");
    }

    #[test]
    fn on_air_names_the_filler_between_programmes() {
        let ch = channel();
        let mut p = Playlist::empty(&ch, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        p.items = vec![
            it("早间新闻", ItemKind::Programme, 25 * 60),
            it("台标宣传", ItemKind::Filler, 25 * 10),
            it("农业", ItemKind::Programme, 25 * 3600 * 24 - 25 * 70),
        ];
        ripple(&mut p.items);
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 22, 1, 5).unwrap(); // 06:01:05 +08:00, in the filler
        let nn = now_next(&ch, std::slice::from_ref(&p), at);
        assert!(nn.now.is_none(), "the guide lists programmes only");
        let on = nn.on_air.unwrap();
        assert_eq!((on.title.as_str(), on.kind), ("台标宣传", ItemKind::Filler));
        assert_eq!(nn.next.unwrap().title, "农业");
    }
}

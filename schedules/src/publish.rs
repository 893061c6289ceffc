//! Publishing: a published day is immutable and versioned; playout runs the latest version.
//! Re-publishing while the day is on air takes effect from the next item: the item on air
//! finishes as published, and the new version continues after it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ScheduleError};
use crate::playlist::Playlist;
use crate::time::Frames;
use crate::validate::{has_errors, Finding, Severity};

/// One published version of a channel day. Never changed once made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedDay {
    /// 1, 2, 3, ... per channel day.
    pub version: u32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The editing version it came from, if known.
    pub source_version: Option<u64>,
    /// Index of the item that was on air when it was published (its predecessors are
    /// unchanged from the previous version).
    pub on_air_item: Option<usize>,
    /// Warnings accepted when publishing.
    pub warnings: Vec<Finding>,
    /// What playout runs.
    pub playlist: Playlist,
}

/// Every published version of one channel day, oldest first (append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedDays {
    /// Channel id.
    pub channel: String,
    /// Broadcast day.
    pub date: NaiveDate,
    versions: Vec<PublishedDay>,
}

impl PublishedDays {
    /// Nothing published yet.
    pub fn new(channel: &str, date: NaiveDate) -> Self {
        Self { channel: channel.to_owned(), date, versions: Vec::new() }
    }

    /// The version playout should run.
    pub fn current(&self) -> Option<&PublishedDay> {
        self.versions.last()
    }

    /// All versions.
    pub fn versions(&self) -> &[PublishedDay] {
        &self.versions
    }

    /// Publishes `playlist` at `now`. `findings` are its validation results: any error
    /// refuses publishing; warnings are kept with the version. When a version is already
    /// published and the day is on air at `now`, the new one takes effect from the next
    /// item (see [`merge_on_air`]).
    ///
    /// # Errors
    /// `PublishBlocked` when findings contain errors; `Mismatch` when the playlist is for
    /// another channel or day, or the day is already over.
    pub fn publish(
        &mut self,
        playlist: Playlist,
        findings: &[Finding],
        source_version: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<&PublishedDay> {
        if has_errors(findings) {
            return Err(ScheduleError::PublishBlocked(
                findings.iter().filter(|f| f.severity == Severity::Error).count(),
            ));
        }
        if playlist.channel != self.channel || playlist.date != self.date {
            return Err(ScheduleError::Mismatch(format!(
                "playlist of {} {} published into {} {}",
                playlist.channel, playlist.date, self.channel, self.date
            )));
        }
        let clock = playlist.clock();
        let frame = clock.frame_at(now);
        if frame >= playlist.length() {
            return Err(ScheduleError::Mismatch(format!("broadcast day {} is over", self.date)));
        }
        let (playlist, on_air_item) = match self.current() {
            Some(cur) if frame >= Frames::ZERO => match cur.playlist.item_at(frame) {
                Some(i) => (merge_on_air(&cur.playlist, &playlist, i)?, Some(i)),
                None => (playlist, None),
            },
            _ => (playlist, None),
        };
        let warnings = findings.to_vec();
        let version = self.versions.len() as u32 + 1;
        self.versions.push(PublishedDay {
            version,
            published_at: now,
            source_version,
            on_air_item,
            warnings,
            playlist,
        });
        self.current().ok_or_else(|| ScheduleError::Mismatch("no version".into()))
    }
}

impl PublishedDays {
    /// Validates `playlist` (see [`crate::validate()`]) and publishes it if it has no
    /// errors: the way to publish that cannot be fed stale or empty findings.
    ///
    /// # Errors
    /// As [`PublishedDays::publish`].
    pub fn validate_and_publish(
        &mut self,
        playlist: Playlist,
        channel: &crate::channel::Channel,
        quotas: &[crate::template::Quota],
        catalog: &impl crate::candidate::ProgrammeLookup,
        source_version: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<&PublishedDay> {
        let findings = crate::validate::validate(&playlist, channel, quotas, catalog, now);
        self.publish(playlist, &findings, source_version, now)
    }
}

/// The playlist playout should switch to when `next` is published while item `on_air` of
/// `current` is on air: `current` up to and including the on-air item, then `next` from the
/// end of that item. An item of `next` that straddles that boundary is joined part-way
/// (its in-point advanced); items of `next` that end before it are dropped.
///
/// # Errors
/// `Mismatch` when the playlists are of different channels, days or frame rates, or
/// `on_air` is not an item of `current`.
pub fn merge_on_air(current: &Playlist, next: &Playlist, on_air: usize) -> Result<Playlist> {
    if current.channel != next.channel || current.date != next.date || current.rate != next.rate {
        return Err(ScheduleError::Mismatch("re-publishing needs the same channel, day and frame rate".into()));
    }
    let Some(live) = current.items.get(on_air) else {
        return Err(ScheduleError::Mismatch(format!("no on-air item {on_air}")));
    };
    let boundary = live.end();
    let mut out = next.clone();
    out.items = current.items[..=on_air].to_vec();
    for it in &next.items {
        if it.end() <= boundary {
            continue;
        }
        let mut it = it.clone();
        if it.start < boundary {
            let skip = boundary - it.start;
            it.start = boundary;
            it.in_point += skip;
            it.duration -= skip;
            let note = format!("joined {} frames in: re-published while on air", skip.0);
            it.why = Some(match it.why.take() {
                Some(w) => format!("{w} · {note}"),
                None => note,
            });
            it.reason =
                Some(it.reason.take().unwrap_or_else(|| crate::phrase::Phrase::new("joined")).with("joined", skip.0));
        }
        out.items.push(it);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::edit::ripple;
    use crate::playlist::{ItemKind, PlaylistItem, Source, Timing};
    use crate::template::tests::channel;

    fn it(title: &str, dur: i64) -> PlaylistItem {
        PlaylistItem {
            start: Frames(0),
            duration: Frames(dur),
            timing: Timing::Soft,
            source: Source::Slate,
            in_point: Frames(0),
            title: title.into(),
            kind: ItemKind::Slate,
            category: String::new(),
            locked: false,
            why: None,
            reason: None,
        }
    }

    fn day(items: &[(&str, i64)]) -> Playlist {
        let mut p = Playlist::empty(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        p.items = items.iter().map(|(t, d)| it(t, *d)).collect();
        ripple(&mut p.items);
        p
    }

    const H: i64 = 25 * 3600;

    #[test]
    fn republish_on_air_takes_effect_from_the_next_item() {
        let mut pubs = PublishedDays::new("pzh-tv1", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        let before = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        pubs.publish(day(&[("a", H), ("b", H), ("rest", 22 * H)]), &[], Some(1), before).unwrap();
        // 06:30 +08:00: item "a" is on air.
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 22, 30, 0).unwrap();
        let v2 = pubs
            .publish(day(&[("x", H / 2), ("y", H), ("z", H), ("rest", 21 * H + H / 2)]), &[], Some(2), now)
            .unwrap();
        let got: Vec<(&str, i64, i64)> =
            v2.playlist.items.iter().map(|i| (i.title.as_str(), i.start.0, i.in_point.0)).collect();
        assert_eq!(got, [("a", 0, 0), ("y", H, H / 2), ("z", H + H / 2, 0), ("rest", 2 * H + H / 2, 0)]);
        assert_eq!(v2.on_air_item, Some(0));
        assert_eq!(v2.version, 2);
        assert_eq!(pubs.versions()[0].playlist.items[1].title, "b", "version 1 unchanged");
    }

    #[test]
    fn errors_block_publishing_and_warnings_do_not() {
        let mut pubs = PublishedDays::new("pzh-tv1", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        let f = |severity| Finding::new(severity, "x", None, "m".into());
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        let p = day(&[("a", 24 * H)]);
        assert!(matches!(
            pubs.publish(p.clone(), &[f(Severity::Error)], None, now),
            Err(ScheduleError::PublishBlocked(1))
        ));
        assert_eq!(pubs.publish(p, &[f(Severity::Warning)], None, now).unwrap().warnings.len(), 1);
    }

    #[test]
    fn validate_and_publish_refuses_a_day_with_gaps() {
        let mut pubs = PublishedDays::new("pzh-tv1", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        let idx = crate::candidate::CandidateIndex::new(vec![]);
        let short = day(&[("a", H)]);
        let err = pubs.validate_and_publish(short, &channel(), &[], &idx, None, now).unwrap_err();
        assert!(matches!(err, ScheduleError::PublishBlocked(1)), "{err}");
        assert!(pubs.current().is_none());
        let full = day(&[("a", 24 * H)]);
        assert_eq!(pubs.validate_and_publish(full, &channel(), &[], &idx, None, now).unwrap().version, 1);
    }
}

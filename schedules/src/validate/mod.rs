//! Playlist validation: everything that would go wrong on air, as findings. Errors block
//! publishing; warnings do not.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::candidate::ProgrammeLookup;
use crate::channel::Channel;
use crate::playlist::{Playlist, Source, Timing};
use crate::quota;
use crate::template::Quota;
use crate::time::Frames;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Does not block publishing.
    Warning,
    /// Blocks publishing.
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code: `gap`, `overlap`, `hard_time_missed`, `past_day_end`, `empty_item`,
    /// `unknown_programme`, `media_not_ready`, `rights_expired`, `rights_expiring`,
    /// `exceeds_media`, `tv_only_on_radio`, `audio_only_on_tv`, `not_shared`, `live_without_uri`,
    /// `slate`, `quota_unmet`, `wrong_channel`, `day_over`, `repeated_programme`.
    pub code: String,
    /// What is wrong, with times, for a person (English).
    pub message: String,
    /// Index of the item concerned.
    pub item: Option<usize>,
    /// The values `message` names (title, times, lengths), for a client that words the code
    /// in its reader's language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Finding {
    /// A finding with no parameters yet.
    pub fn new(severity: Severity, code: &str, item: Option<usize>, message: String) -> Self {
        Self { severity, code: code.into(), message, item, params: BTreeMap::new() }
    }

    /// The finding with parameter `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.insert(key.to_owned(), value.to_string());
        self
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Validates `playlist` for `channel` against the catalog view, the template's quotas and the
/// time `now`. Findings come in item order, quotas last.
pub fn validate(
    playlist: &Playlist,
    channel: &Channel,
    quotas: &[Quota],
    catalog: &impl ProgrammeLookup,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // Each finding with the values its message names, as (name, value) pairs.
    let mut push = |severity, code: &str, item: Option<usize>, message: String, params: &[(&str, String)]| {
        let f = params.iter().fold(Finding::new(severity, code, item, message), |f, (k, v)| f.with(k, v));
        out.push(f);
    };
    use Severity::{Error, Warning};
    let clock = playlist.clock();
    let rate = playlist.rate;
    let tod = |f| clock.instant(f).format("%H:%M:%S%.3f").to_string();
    let len = playlist.length();
    let day_end = clock.unix_secs(len);
    if playlist.channel != channel.id || playlist.rate != channel.rate {
        push(
            Error,
            "wrong_channel",
            None,
            format!(
                "playlist is for {} at {} fps, channel is {} at {} fps",
                playlist.channel, playlist.rate, channel.id, channel.rate
            ),
            &[("playlist", playlist.channel.to_string()), ("channel", channel.id.to_string())],
        );
    }
    if day_end <= now.timestamp() {
        push(
            Warning,
            "day_over",
            None,
            format!("broadcast day {} is already over", playlist.date),
            &[("date", playlist.date.to_string())],
        );
    }

    let mut prev_end = crate::time::Frames::ZERO;
    for (i, it) in playlist.items.iter().enumerate() {
        let at = Some(i);
        let title = || ("title", it.title.clone());
        if it.duration.0 <= 0 {
            push(
                Error,
                "empty_item",
                at,
                format!("item {i} ({}) at {} has no length", it.title, tod(it.start)),
                &[title(), ("at", tod(it.start))],
            );
        }
        if it.start > prev_end {
            let gap = (it.start - prev_end).timecode(rate);
            push(
                Error,
                "gap",
                at,
                format!("{gap} of dead air from {} before {}", tod(prev_end), it.title),
                &[title(), ("length", gap.to_string()), ("from", tod(prev_end))],
            );
        } else if it.start < prev_end {
            let by = (prev_end - it.start).timecode(rate);
            if it.timing == Timing::Hard {
                push(
                    Error,
                    "hard_time_missed",
                    at,
                    format!(
                        "{} must start at {} but the previous item runs until {} ({by} late)",
                        it.title,
                        tod(it.start),
                        tod(prev_end),
                    ),
                    &[title(), ("at", tod(it.start)), ("until", tod(prev_end)), ("late", by.to_string())],
                );
            } else {
                push(
                    Error,
                    "overlap",
                    at,
                    format!("{} at {} overlaps the previous item by {by}", it.title, tod(it.start)),
                    &[title(), ("at", tod(it.start)), ("by", by.to_string())],
                );
            }
        }
        prev_end = prev_end.max(it.end());
        match &it.source {
            Source::Slate => push(
                Warning,
                "slate",
                at,
                format!("slate on air from {} for {}", tod(it.start), it.duration.timecode(rate)),
                &[("at", tod(it.start)), ("length", it.duration.timecode(rate).to_string())],
            ),
            Source::Live { uri } => {
                if uri.trim().is_empty() {
                    push(
                        Error,
                        "live_without_uri",
                        at,
                        format!("live item {} has no source URI", it.title),
                        &[title()],
                    );
                }
            }
            Source::Programme { id } => {
                let Some(p) = catalog.by_id(id) else {
                    push(
                        Error,
                        "unknown_programme",
                        at,
                        format!("programme {id} ({}) is not in the catalog", it.title),
                        &[title(), ("id", id.to_string())],
                    );
                    continue;
                };
                let title = || ("title", p.title.clone());
                if !p.ready {
                    push(Error, "media_not_ready", at, format!("{} ({id}) is not ready for air", p.title), &[title()]);
                }
                if channel.is_tv() && !p.video {
                    // It plays: the channel shows its slate picture while the sound goes out.
                    push(
                        Warning,
                        "audio_only_on_tv",
                        at,
                        format!("{} has no picture: this TV channel shows slate while its sound plays", p.title),
                        &[title()],
                    );
                }
                if !channel.is_tv() && !p.radio {
                    push(
                        Error,
                        "tv_only_on_radio",
                        at,
                        format!("{} is TV-only and this is a radio channel", p.title),
                        &[title()],
                    );
                }
                if !p.shared && p.centre != channel.centre {
                    push(
                        Error,
                        "not_shared",
                        at,
                        format!("{} belongs to centre {} and is not shared with the network", p.title, p.centre),
                        &[title(), ("centre", p.centre.to_string())],
                    );
                }
                let media = rate.frames_floor(p.duration);
                if it.in_point < Frames::ZERO {
                    push(Error, "exceeds_media", at, format!("{} has a negative in-point", p.title), &[title()]);
                } else if it.in_point + it.duration > media {
                    push(
                        Error,
                        "exceeds_media",
                        at,
                        format!(
                            "{} plays {} from {} but the media lasts {}",
                            p.title,
                            it.duration.timecode(rate),
                            it.in_point.timecode(rate),
                            media.timecode(rate)
                        ),
                        &[
                            title(),
                            ("plays", it.duration.timecode(rate).to_string()),
                            ("from", it.in_point.timecode(rate).to_string()),
                            ("media", media.timecode(rate).to_string()),
                        ],
                    );
                }
                let (s, e) = (clock.unix_secs(it.start), clock.unix_secs(it.end()));
                if !p.rights_cover(s, e) {
                    push(
                        Error,
                        "rights_expired",
                        at,
                        format!(
                            "rights of {} ({}–{}) do not cover its airing at {}",
                            p.title,
                            opt(p.rights_from),
                            opt(p.rights_until),
                            tod(it.start)
                        ),
                        &[title(), ("at", tod(it.start))],
                    );
                } else if let Some(u) = p.rights_until {
                    if u.timestamp() < day_end {
                        let until = u.with_timezone(&channel.offset()).format("%H:%M").to_string();
                        push(
                            Warning,
                            "rights_expiring",
                            at,
                            format!("rights of {} expire on this day at {until}", p.title),
                            &[title(), ("until", until)],
                        );
                    }
                }
            }
        }
    }
    if prev_end < len {
        let gap = (len - prev_end).timecode(rate);
        push(
            Error,
            "gap",
            None,
            format!("{gap} of dead air at the end of the day from {}", tod(prev_end)),
            &[("length", gap.to_string()), ("from", tod(prev_end))],
        );
    } else if prev_end > len {
        let by = (prev_end - len).timecode(rate);
        push(
            Error,
            "past_day_end",
            playlist.items.len().checked_sub(1),
            format!("the last item runs {by} into the next day"),
            &[("by", by.to_string())],
        );
    }
    repeats(playlist, &mut push);
    for q in quotas {
        let st = quota::status(q, &playlist.items, &clock, channel, catalog);
        if !st.met() {
            let (got, need) = (st.achieved.timecode(rate).to_string(), st.required.timecode(rate).to_string());
            push(
                Error,
                "quota_unmet",
                None,
                format!("{}: {got} of the required {need}", q.name),
                &[("quota", q.name.clone()), ("achieved", got), ("required", need)],
            );
        }
    }
    out
}

/// Programmes aired this many times in a row or more are worth a second look.
const REPEAT_RUN: usize = 3;

/// A warning at the first item of each run of [`REPEAT_RUN`] or more consecutive airings of
/// the same programme (fillers rotate by design and are left out).
fn repeats(playlist: &Playlist, push: &mut impl FnMut(Severity, &str, Option<usize>, String, &[(&str, String)])) {
    let tod = |i: usize| playlist.clock().instant(playlist.items[i].start).format("%H:%M:%S").to_string();
    let mut i = 0;
    while i < playlist.items.len() {
        let it = &playlist.items[i];
        let run = match (it.kind, it.programme()) {
            (crate::playlist::ItemKind::Programme, Some(id)) => {
                playlist.items[i..].iter().take_while(|x| x.programme() == Some(id)).count()
            }
            _ => 1,
        };
        if run >= REPEAT_RUN {
            push(
                Severity::Warning,
                "repeated_programme",
                Some(i),
                format!("{} airs {run} times in a row from {}", it.title, tod(i)),
                &[("title", it.title.clone()), ("count", run.to_string()), ("at", tod(i))],
            );
        }
        i += run;
    }
}

fn opt(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "…".into())
}

#[cfg(test)]
mod tests;

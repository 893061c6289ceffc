//! What the emergency desk hands to the catalog: the alert when first received, each state
//! change, each airing event per channel, and the as-run lines of each interruption and
//! resume. Built under the desk's lock (plain data, no SQL); written by `alert_log`.

use std::collections::HashMap;

use catalog::alert::{AlertEvent, NewAlertRecord};
use catalog::asrun::AsRunEntry;
use chrono::{DateTime, Utc};
use playout::alert::{AiringEvent, AiringKind, AlertOnAir};
use playout::ResumePolicy;
use schedules::emergency::lifecycle::{AlertState, Transition};
use schedules::emergency::{Alert, DedupeKey};

/// Writes due for one alert, in order: the alert itself (first time only), its steps, and
/// as-run lines of the channels it interrupted.
#[derive(Debug, Clone, Default)]
pub struct DeskRecord {
    /// The alert's dedupe key.
    pub key: String,
    /// Who caused these steps, for the audit log (`None`: the desk itself, `system:emergency`).
    pub actor: Option<catalog::audit::Actor>,
    /// The alert when first received.
    pub new: Option<NewAlertRecord>,
    /// State changes and airing events.
    pub events: Vec<AlertEvent>,
    /// Interruptions and resumes.
    pub as_run: Vec<AsRunEntry>,
}

impl DeskRecord {
    pub(crate) fn for_key(key: &DedupeKey) -> Self {
        Self { key: key.as_str().to_string(), ..Self::default() }
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.new.is_none() && self.events.is_empty() && self.as_run.is_empty()
    }
}

/// The catalog row of a newly received alert.
pub(crate) fn new_record(
    alert: &Alert,
    first: &Transition,
    scope: Option<&schedules::emergency::scope::SenderScope>,
) -> NewAlertRecord {
    NewAlertRecord {
        key: first.key.as_str().to_string(),
        kind: serde_json::to_value(alert.origin).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        msg_type: alert.msg_type.to_string(),
        sender: alert.sender.clone(),
        sent: alert.sent.utc(),
        expires: alert.expires.map(|e| e.utc()),
        state: first.to.as_str().to_string(),
        alert: serde_json::to_value(alert).unwrap_or_default(),
        received_at: first.at,
        scope: match scope {
            Some(schedules::emergency::scope::SenderScope::Area(a)) => Some(a.as_str().to_string()),
            _ => None,
        },
    }
}

/// A lifecycle step as a catalog event.
pub(crate) fn transition_event(t: &Transition) -> AlertEvent {
    AlertEvent::state(t.at, t.from.map(AlertState::as_str), t.to.as_str())
}

/// The name of an airing event (as serialised).
pub fn airing_kind_name(kind: AiringKind) -> &'static str {
    match kind {
        AiringKind::OnAir => "on_air",
        AiringKind::Completed => "completed",
        AiringKind::Cancelled => "cancelled",
        AiringKind::Expired => "expired",
        AiringKind::CrawlOn => "crawl_on",
        AiringKind::NotAired => "not_aired",
    }
}

fn resume_name(r: ResumePolicy) -> &'static str {
    match r {
        ResumePolicy::ResumeItem => "resume_item",
        ResumePolicy::RejoinSchedule => "rejoin_schedule",
    }
}

/// An alert airing on one channel, and how much of its event list has been recorded.
pub(crate) struct ChannelAiring {
    on_air: AlertOnAir,
    rec: Recorder,
}

/// Turns one channel's airing events into catalog events and as-run lines, once each.
struct Recorder {
    channel: String,
    /// A drill (演练): said in every as-run line.
    drill: bool,
    resume: ResumePolicy,
    title: Option<String>,
    seen: usize,
    /// When each airing (by index) went on air, for the resume line's duration.
    started: HashMap<usize, DateTime<Utc>>,
}

impl ChannelAiring {
    pub fn new(channel: String, on_air: AlertOnAir, resume: ResumePolicy, title: Option<String>, drill: bool) -> Self {
        Self { on_air, rec: Recorder { channel, drill, resume, title, seen: 0, started: HashMap::new() } }
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.rec.channel
    }

    /// Whether its airing thread has ended (every airing done, cancelled or expired).
    pub fn finished(&self) -> bool {
        self.on_air.wait(std::time::Duration::ZERO)
    }

    /// The kind of the last event so far.
    pub fn last_kind(&self) -> Option<AiringKind> {
        self.on_air.events().last().map(|e| e.kind)
    }

    /// Records the events not yet recorded into `out`.
    pub fn harvest(&mut self, key: &DedupeKey, out: &mut DeskRecord) {
        let events = self.on_air.events();
        self.rec.record(key, &events, out);
    }

    /// Takes it off air at the next frame and records its last events.
    pub fn cancel(self, key: &DedupeKey, out: &mut DeskRecord) {
        let Self { on_air, mut rec } = self;
        let events = on_air.cancel();
        rec.record(key, &events, out);
    }
}

impl Recorder {
    fn record(&mut self, key: &DedupeKey, events: &[AiringEvent], out: &mut DeskRecord) {
        for e in events.iter().skip(self.seen) {
            let name = airing_kind_name(e.kind);
            out.events.push(AlertEvent::airing(e.at, &self.channel, e.airing as i64, name, e.note.clone()));
            let (outcome, duration_ms, reason) = match e.kind {
                AiringKind::OnAir | AiringKind::CrawlOn => {
                    self.started.insert(e.airing, e.at);
                    let what = if e.kind == AiringKind::OnAir { "interrupted" } else { "alert_crawl" };
                    let kind = if self.drill { "emergency drill (演练)" } else { "emergency alert" };
                    (what, 0, e.note.clone().map_or_else(|| kind.to_string(), |n| format!("{kind}: {n}")))
                }
                AiringKind::NotAired => continue,
                AiringKind::Completed | AiringKind::Cancelled | AiringKind::Expired => {
                    let Some(start) = self.started.remove(&e.airing) else { continue };
                    let ms = (e.at - start).num_milliseconds().max(0);
                    (
                        "resumed",
                        ms,
                        format!("alert {name} after {:.1} s; {}", ms as f64 / 1000.0, resume_name(self.resume)),
                    )
                }
            };
            out.as_run.push(AsRunEntry {
                id: 0,
                channel: self.channel.clone(),
                item_id: Some(key.as_str().to_string()),
                title: self.title.clone(),
                source: Some(if self.drill { "drill" } else { "alert" }.into()),
                scheduled_start: None,
                actual_start: e.at,
                duration_ms,
                outcome: outcome.into(),
                reason: Some(reason),
                detail: serde_json::json!({ "alert": key.as_str(), "airing": e.airing, "event": name, "drill": self.drill,
                    "resume": resume_name(self.resume), "note": e.note }),
            });
        }
        self.seen = self.seen.max(events.len());
    }
}

//! The report of one alert, from its stored steps: which channels aired it, when each airing
//! started and ended, how many times, and how each ended. Pure: the route reads the catalog.

use std::collections::BTreeMap;

use catalog::alert::{AlertEvent, AlertRecord};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One airing of an alert on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AiringReport {
    /// Which airing (0 = first, then the repeats).
    pub airing: i64,
    /// When it went on air (or the crawl started); absent when it never did.
    pub start: Option<DateTime<Utc>>,
    /// When it ended.
    pub end: Option<DateTime<Utc>>,
    /// `completed`, `cancelled`, `expired`, `not_aired`, or `on_air` while it runs.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An alert on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChannelReport {
    pub channel: String,
    /// How many airings went on air.
    pub times_aired: usize,
    /// The outcome of its last airing.
    pub outcome: String,
    pub airings: Vec<AiringReport>,
}

/// The report of `GET /api/alerts/{id}/report`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertReport {
    pub key: String,
    pub state: String,
    pub msg_type: String,
    pub headline: Option<String>,
    pub sent: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    /// When it was received and when it reached its current state.
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Channels it was put on, by channel id.
    pub channels: Vec<ChannelReport>,
}

/// Builds the report of `record` from its steps (oldest first).
pub fn report(record: &AlertRecord, events: &[AlertEvent]) -> AlertReport {
    let mut by_channel: BTreeMap<String, BTreeMap<i64, AiringReport>> = BTreeMap::new();
    for e in events {
        let (Some(channel), Some(k)) = (&e.channel, e.airing) else { continue };
        let a = by_channel.entry(channel.clone()).or_default().entry(k).or_insert_with(|| AiringReport {
            airing: k,
            start: None,
            end: None,
            outcome: "scheduled".into(),
            note: None,
        });
        match e.event.as_str() {
            "on_air" | "crawl_on" => {
                a.start = Some(e.at);
                a.outcome = "on_air".into();
            }
            other => {
                a.end = Some(e.at);
                a.outcome = other.to_string();
            }
        }
        if e.note.is_some() {
            a.note = e.note.clone();
        }
    }
    let channels = by_channel
        .into_iter()
        .map(|(channel, airings)| {
            let airings: Vec<AiringReport> = airings.into_values().collect();
            ChannelReport {
                channel,
                times_aired: airings.iter().filter(|a| a.start.is_some()).count(),
                outcome: airings.last().map(|a| a.outcome.clone()).unwrap_or_default(),
                airings,
            }
        })
        .collect();
    AlertReport {
        key: record.key.clone(),
        state: record.state.clone(),
        msg_type: record.msg_type.clone(),
        headline: record.alert.get("headline").and_then(|h| h.as_str()).map(str::to_string),
        sent: record.sent,
        expires: record.expires,
        received_at: record.received_at,
        updated_at: record.updated_at,
        channels,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_counts_airings_per_channel_with_their_times_and_outcomes() {
        let t = |s: i64| DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap();
        let record = AlertRecord {
            key: "cap:a,1,x".into(),
            kind: "cap".into(),
            msg_type: "Alert".into(),
            sender: "a".into(),
            sent: t(0),
            expires: None,
            state: "cancelled".into(),
            alert: serde_json::json!({ "headline": "暴雨红色预警" }),
            received_at: t(0),
            updated_at: t(90),
            scope: None,
        };
        let events = [
            AlertEvent::state(t(0), None, "received"),
            AlertEvent::airing(t(1), "tv", 0, "on_air", None),
            AlertEvent::airing(t(1), "radio", 0, "on_air", None),
            AlertEvent::airing(t(30), "tv", 0, "completed", None),
            AlertEvent::airing(t(30), "radio", 0, "completed", None),
            AlertEvent::airing(t(60), "tv", 1, "on_air", None),
            AlertEvent::airing(t(90), "tv", 1, "cancelled", Some("taken off air".into())),
            AlertEvent::airing(t(90), "radio", 1, "cancelled", Some("before airing".into())),
        ];
        let r = report(&record, &events);
        assert_eq!(r.headline.as_deref(), Some("暴雨红色预警"));
        let tv = r.channels.iter().find(|c| c.channel == "tv").unwrap();
        assert_eq!((tv.times_aired, tv.outcome.as_str()), (2, "cancelled"));
        assert_eq!((tv.airings[1].start, tv.airings[1].end), (Some(t(60)), Some(t(90))));
        let radio = r.channels.iter().find(|c| c.channel == "radio").unwrap();
        assert_eq!(radio.times_aired, 1, "the repeat was cancelled before it aired");
        assert_eq!(radio.airings[1].start, None);
    }
}

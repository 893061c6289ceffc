//! Emergency alerts as the catalog stores them: the alert (its JSON form, as
//! `schedules::emergency::Alert` serialises it — the catalog does not interpret it), its
//! current state, and every timestamped step (state changes and per-channel airings).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// States after which nothing more happens to an alert (`schedules::emergency::lifecycle`).
pub const TERMINAL_STATES: &[&str] = &["completed", "expired", "cancelled", "superseded"];

/// An alert to store when first received.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertRecord {
    /// The dedupe key (`cap:sender,identifier,sent` or `ebm:ID`): the alert's identity.
    pub key: String,
    /// `cap`, `ebm` or `json`.
    pub kind: String,
    /// `Alert`, `Update`, `Cancel`, …
    pub msg_type: String,
    pub sender: String,
    pub sent: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    /// Its first state (`received`, or `completed`/`expired` for messages that never air).
    pub state: String,
    /// The alert's JSON form.
    pub alert: serde_json::Value,
    pub received_at: DateTime<Utc>,
    /// The area its sender may interrupt (an area code); `None`: the whole network.
    pub scope: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertRecord {
    pub key: String,
    pub kind: String,
    pub msg_type: String,
    pub sender: String,
    pub sent: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub state: String,
    pub alert: serde_json::Value,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The area its sender may interrupt (an area code); `None`: the whole network.
    pub scope: Option<String>,
}

impl AlertRecord {
    /// Whether nothing more can happen to it.
    pub fn is_terminal(&self) -> bool {
        TERMINAL_STATES.contains(&self.state.as_str())
    }
}

/// One step of an alert: a state change (no channel; `event` is the new state, `from_state`
/// the old one) or an airing event on one channel (`event` = `on_air`, `completed`,
/// `cancelled`, `expired`, `crawl_on`, `not_aired`; `airing` counts repeats from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlertEvent {
    /// Row id; 0 before it is stored.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub airing: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl AlertEvent {
    /// A state change.
    pub fn state(at: DateTime<Utc>, from: Option<&str>, to: &str) -> Self {
        Self {
            id: 0,
            at,
            event: to.to_string(),
            from_state: from.map(str::to_string),
            channel: None,
            airing: None,
            note: None,
        }
    }

    /// An airing event on `channel`.
    pub fn airing(at: DateTime<Utc>, channel: &str, airing: i64, event: &str, note: Option<String>) -> Self {
        Self {
            id: 0,
            at,
            event: event.to_string(),
            from_state: None,
            channel: Some(channel.to_string()),
            airing: Some(airing),
            note,
        }
    }

    /// Whether this is a state change (not an airing).
    pub fn is_state_change(&self) -> bool {
        self.channel.is_none()
    }
}

//! The alert lifecycle: received → verified → scheduled → on_air → completed, or ended early
//! as expired, cancelled or superseded; with de-duplication by [`DedupeKey`].
//!
//! Pure: every step takes `now`, so the playout engine's virtual clock drives it in tests.
//! An Update supersedes what it references; a Cancel stops what it references; either is an
//! error when it references nothing known; expiry is checked by [`Lifecycle::expire_due`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::alert::{Alert, DedupeKey, DocumentKind};
use super::vocab::MsgType;
use super::EmergencyError;

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Parsed and validated, not yet authenticated.
    Received,
    /// Authenticated (signature checked or trusted source).
    Verified,
    /// Insertion planned on its channels.
    Scheduled,
    /// Airing.
    OnAir,
    /// Aired as the policy says, ended normally (also: Cancel/Ack/Error messages, recorded).
    Completed,
    /// Passed its `expires`.
    Expired,
    /// Stopped by a Cancel.
    Cancelled,
    /// Replaced by an Update.
    Superseded,
}

impl AlertState {
    /// Whether nothing more can happen to it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Expired | Self::Cancelled | Self::Superseded)
    }

    /// The state's name as serialised (`on_air`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Scheduled => "scheduled",
            Self::OnAir => "on_air",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Superseded => "superseded",
        }
    }

    /// The state named `s` (as [`Self::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Self> {
        use AlertState::*;
        [Received, Verified, Scheduled, OnAir, Completed, Expired, Cancelled, Superseded]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    fn may_become(self, to: AlertState) -> bool {
        use AlertState::*;
        match (self, to) {
            (from, _) if from.is_terminal() => false,
            (_, Expired | Cancelled | Superseded) => true,
            (Received, Verified) | (Verified, Scheduled) | (Scheduled, OnAir) => true,
            // Between repeats an alert goes back to Scheduled.
            (OnAir, Completed | Scheduled) => true,
            _ => false,
        }
    }
}

/// One recorded step, for the audit and as-run logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// When.
    pub at: DateTime<Utc>,
    /// Which alert.
    pub key: DedupeKey,
    /// From which state (`None` when first received).
    pub from: Option<AlertState>,
    /// To which state.
    pub to: AlertState,
}

/// A tracked alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracked {
    /// The alert as received.
    pub alert: Alert,
    /// Its state.
    pub state: AlertState,
    /// Every step, oldest first.
    pub history: Vec<Transition>,
}

/// What receiving a message did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "transitions")]
pub enum Received {
    /// Taken in; the transitions it caused (its own, and any cancelled/superseded alert's).
    Accepted(Vec<Transition>),
    /// Already known by its dedupe key: ignored.
    Duplicate,
}

/// Every alert this node knows, by dedupe key.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    entries: BTreeMap<DedupeKey, Tracked>,
}

impl Lifecycle {
    /// An empty lifecycle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in a validated alert.
    ///
    /// # Errors
    /// [`EmergencyError::UnknownReference`] for a Cancel or Update that references no known
    /// alert.
    pub fn receive(&mut self, alert: Alert, now: DateTime<Utc>) -> Result<Received, EmergencyError> {
        let key = alert.key();
        // An EBM cancel carries the EBM ID of the message it stops, which is its own key.
        let ebm_cancel = alert.origin == DocumentKind::Ebm && alert.msg_type == MsgType::Cancel;
        if ebm_cancel {
            return match self.entries.get(&key).map(|t| t.state) {
                None => Err(EmergencyError::UnknownReference(key.to_string())),
                Some(s) if s.is_terminal() => Ok(Received::Duplicate),
                Some(_) => Ok(Received::Accepted(vec![self.force(&key, AlertState::Cancelled, now)?])),
            };
        }
        if self.entries.contains_key(&key) {
            return Ok(Received::Duplicate);
        }
        let mut out = Vec::new();
        let referenced: Vec<DedupeKey> = alert.references.iter().map(|r| r.key()).collect();
        // A Cancel or Update that refers to nothing known is refused: it may be a forgery or
        // meant for another network, and airing an "update" of nothing would mislead.
        if matches!(alert.msg_type, MsgType::Cancel | MsgType::Update)
            && !referenced.iter().any(|k| self.entries.contains_key(k))
        {
            let list: Vec<&str> = referenced.iter().map(DedupeKey::as_str).collect();
            return Err(EmergencyError::UnknownReference(list.join(" ")));
        }
        match alert.msg_type {
            MsgType::Cancel => out.extend(self.end_all(&referenced, AlertState::Cancelled, now)),
            MsgType::Update => out.extend(self.end_all(&referenced, AlertState::Superseded, now)),
            MsgType::Alert | MsgType::Ack | MsgType::Error => {}
        }
        let expired = alert.expires.is_some_and(|e| e.utc() <= now);
        let first = if !alert.msg_type.airs() {
            AlertState::Completed
        } else if expired {
            AlertState::Expired
        } else {
            AlertState::Received
        };
        let t = Transition { at: now, key: key.clone(), from: None, to: first };
        out.push(t.clone());
        self.entries.insert(key, Tracked { alert, state: first, history: vec![t] });
        Ok(Received::Accepted(out))
    }

    fn end_all(&mut self, keys: &[DedupeKey], to: AlertState, now: DateTime<Utc>) -> Vec<Transition> {
        keys.iter().filter_map(|k| self.force(k, to, now).ok()).collect()
    }

    fn force(&mut self, key: &DedupeKey, to: AlertState, now: DateTime<Utc>) -> Result<Transition, EmergencyError> {
        let tracked = self.entries.get_mut(key).ok_or_else(|| EmergencyError::UnknownAlert(key.to_string()))?;
        if !tracked.state.may_become(to) {
            return Err(EmergencyError::InvalidTransition { key: key.to_string(), from: tracked.state, to });
        }
        let t = Transition { at: now, key: key.clone(), from: Some(tracked.state), to };
        tracked.state = to;
        tracked.history.push(t.clone());
        Ok(t)
    }

    /// Moves an alert on (verified, scheduled, on_air, completed, …).
    ///
    /// # Errors
    /// [`EmergencyError::UnknownAlert`], or [`EmergencyError::InvalidTransition`] when the
    /// state machine does not allow the step (e.g. on_air before verified, anything after
    /// a terminal state).
    pub fn advance(
        &mut self,
        key: &DedupeKey,
        to: AlertState,
        now: DateTime<Utc>,
    ) -> Result<Transition, EmergencyError> {
        self.force(key, to, now)
    }

    /// Expires every live alert whose `expires` is at or before `now`.
    pub fn expire_due(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        let due: Vec<DedupeKey> = self
            .entries
            .iter()
            .filter(|(_, t)| !t.state.is_terminal() && t.alert.expires.is_some_and(|e| e.utc() <= now))
            .map(|(k, _)| k.clone())
            .collect();
        self.end_all(&due, AlertState::Expired, now)
    }

    /// Forgets ended alerts sent before `cutoff`; returns how many. Use `now` minus the
    /// replay window: older messages are refused by the window, so their dedupe keys are no
    /// longer needed and memory stays bounded on a node that runs for years.
    pub fn forget_ended_before(&mut self, cutoff: DateTime<Utc>) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, t| !(t.state.is_terminal() && t.alert.sent.utc() < cutoff));
        before - self.entries.len()
    }

    /// Takes back an alert known before a restart, in the state and with the history stored
    /// for it (its key is computed from the alert). A key already known is left as it is.
    pub fn restore(&mut self, tracked: Tracked) {
        self.entries.entry(tracked.alert.key()).or_insert(tracked);
    }

    /// A tracked alert.
    pub fn get(&self, key: &DedupeKey) -> Option<&Tracked> {
        self.entries.get(key)
    }

    /// The state of an alert.
    pub fn state(&self, key: &DedupeKey) -> Option<AlertState> {
        self.entries.get(key).map(|t| t.state)
    }

    /// Alerts not yet in a terminal state.
    pub fn live(&self) -> impl Iterator<Item = &Tracked> {
        self.entries.values().filter(|t| !t.state.is_terminal())
    }
}

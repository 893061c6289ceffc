//! The emergency desk: takes an alert document, validates it, de-duplicates it through the
//! lifecycle, resolves its channels by area and puts it on air on each running channel it
//! targets, cancelling what a Cancel or Update replaces. HTTP-free: the route only
//! authenticates the sender and hands the bytes here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use playout::alert::{air_alert, AlertMedia, AlertOnAir, AlertProgramme, SlateFont};
use playout::timeline::ChannelFormat;
use playout::{EngineHandle, ResumePolicy};
use schedules::emergency::lifecycle::{AlertState, Lifecycle, Received, Transition};
use schedules::emergency::policy::AlertPolicy;
use schedules::emergency::targeting::{ChannelCoverage, Network, Targeting};
use schedules::emergency::{validate_document, DedupeKey, Reason, ReasonCode};
use serde::Serialize;

/// A channel the desk can interrupt.
#[derive(Clone)]
pub struct DeskChannel {
    pub coverage: ChannelCoverage,
    pub format: ChannelFormat,
    pub engine: EngineHandle,
    pub resume: ResumePolicy,
}

/// What the desk did with a document.
#[derive(Debug, Serialize)]
pub struct Receipt {
    /// The alert's identity (CAP sender,identifier,sent or EBM id).
    pub key: String,
    /// `accepted` or `duplicate`.
    pub outcome: &'static str,
    pub state: Option<AlertState>,
    /// Channels it went to air on (or will, per its policy).
    pub channels: Vec<String>,
    pub targeting: Option<Targeting>,
    pub transitions: Vec<Transition>,
}

/// Why a document was refused. Nothing airs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    #[error("the alert is invalid")]
    Invalid(Vec<Reason>),
    #[error("{0}")]
    Refused(String),
    /// The sender may not send for the alert's areas.
    #[error("{0}")]
    Forbidden(String),
}

#[derive(Default)]
struct DeskState {
    lifecycle: Lifecycle,
    channels: Vec<DeskChannel>,
    airing: HashMap<DedupeKey, Vec<(String, AlertOnAir)>>,
}

/// The desk of one server. Cheap to clone.
#[derive(Clone)]
pub struct EmergencyDesk {
    state: Arc<Mutex<DeskState>>,
    policy: AlertPolicy,
    network: Network,
    work: PathBuf,
    /// Loaded on the first alert (a CJK font is several MB).
    font: Arc<std::sync::OnceLock<Option<Arc<SlateFont>>>>,
}

impl EmergencyDesk {
    /// A desk for the Panzhihua network working under `work`, with the default policy.
    pub fn new(work: PathBuf) -> Self {
        Self {
            state: Arc::default(),
            policy: AlertPolicy::default(),
            network: Network::panzhihua(),
            work,
            font: Arc::default(),
        }
    }

    fn font(&self) -> Option<Arc<SlateFont>> {
        self.font
            .get_or_init(|| match SlateFont::find() {
                Ok(f) => Some(Arc::new(f)),
                Err(e) => {
                    tracing::warn!(error = %e, "no CJK font: alert slates carry no text (install fonts-wqy-zenhei)");
                    None
                }
            })
            .clone()
    }

    /// Every alert this desk knows, with its state and history.
    pub fn alerts(&self) -> Vec<schedules::emergency::lifecycle::Tracked> {
        self.state.lock().map(|s| s.lifecycle.live().cloned().collect()).unwrap_or_default()
    }

    /// Makes a running channel reachable by alerts.
    pub fn add_channel(&self, channel: DeskChannel) {
        if let Ok(mut s) = self.state.lock() {
            s.channels.push(channel);
        }
    }

    /// Validates, de-duplicates, targets and airs `document` (CAP 1.2, GY/T 385 EBM or JSON).
    ///
    /// # Errors
    /// `Invalid` with every reason; `Refused` for an alert the lifecycle rejects (unknown
    /// reference, post-dated …) or an area outside the network. Nothing airs then.
    pub fn receive(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        authorize: impl FnOnce(&schedules::emergency::Alert) -> Result<(), String>,
    ) -> Result<Receipt, DeskError> {
        let report = validate_document(document);
        let alert = match (report.valid, report.alert) {
            (true, Some(a)) => a,
            _ => return Err(DeskError::Invalid(report.reasons)),
        };
        authorize(&alert).map_err(DeskError::Forbidden)?;
        let key = alert.key();
        let mut state = self.state.lock().map_err(|_| DeskError::Refused("the desk is unavailable".into()))?;
        // Refuse before the lifecycle records anything, so a corrected resend is not a duplicate.
        let coverages: Vec<ChannelCoverage> = state.channels.iter().map(|c| c.coverage.clone()).collect();
        let targeting = self.network.targets(&alert, &coverages);
        let unknown: Vec<Reason> =
            targeting.reasons.iter().filter(|r| r.code == ReasonCode::UnknownArea).cloned().collect();
        if !unknown.is_empty() {
            return Err(DeskError::Invalid(unknown));
        }
        let transitions =
            match state.lifecycle.receive(alert.clone(), now).map_err(|e| DeskError::Refused(e.to_string()))? {
                Received::Duplicate => {
                    return Ok(Receipt {
                        key: key.as_str().to_string(),
                        outcome: "duplicate",
                        state: state.lifecycle.state(&key),
                        channels: Vec::new(),
                        targeting: None,
                        transitions: Vec::new(),
                    })
                }
                Received::Accepted(t) => t,
            };
        // What a Cancel or Update ended comes off air at once.
        for t in &transitions {
            if t.key != key && matches!(t.to, AlertState::Cancelled | AlertState::Superseded) {
                for (channel, on_air) in state.airing.remove(&t.key).unwrap_or_default() {
                    let events = on_air.cancel();
                    tracing::info!(alert = t.key.as_str(), %channel, events = events.len(), "alert taken off air");
                }
            }
        }
        let mut aired = Vec::new();
        if targeting.withheld.is_none() && !targeting.channels.is_empty() {
            let _ = state.lifecycle.advance(&key, AlertState::Verified, now);
            let _ = state.lifecycle.advance(&key, AlertState::Scheduled, now);
            let plan = self.policy.plan(&alert, now);
            let targets: Vec<DeskChannel> =
                state.channels.iter().filter(|c| targeting.channels.contains(&c.coverage.id)).cloned().collect();
            for channel in targets {
                let mut media = AlertMedia::new(self.work.join("alerts"));
                media.font = self.font();
                match AlertProgramme::build(&alert, &channel.format, &media) {
                    Ok(programme) => {
                        let on_air = air_alert(channel.engine.clone(), programme, &plan, channel.resume, 3);
                        let id = channel.coverage.id.0.clone();
                        tracing::warn!(alert = key.as_str(), channel = %id, "emergency alert on air");
                        state.airing.entry(key.clone()).or_default().push((id.clone(), on_air));
                        aired.push(id);
                    }
                    Err(e) => {
                        tracing::error!(alert = key.as_str(), channel = %channel.coverage.id.0, error = %e, "alert not aired")
                    }
                }
            }
            if !aired.is_empty() {
                let _ = state.lifecycle.advance(&key, AlertState::OnAir, now);
            }
        }
        Ok(Receipt {
            key: key.as_str().to_string(),
            outcome: "accepted",
            state: state.lifecycle.state(&key),
            channels: aired,
            targeting: Some(targeting),
            transitions,
        })
    }
}

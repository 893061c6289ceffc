//! The emergency desk: takes an alert document, validates it, de-duplicates it through the
//! lifecycle, resolves its channels by area and puts it on air on each running channel it
//! targets, cancelling what a Cancel or Update replaces. HTTP-free: the route only
//! authenticates the sender and hands the bytes here.

pub mod feed;
pub mod log;
pub mod records;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use catalog::audit::Actor;
use chrono::{DateTime, Utc};
use playout::alert::{air_alert, AiringKind, AlertMedia, AlertProgramme};
use playout::font::CjkFont;
use playout::timeline::ChannelFormat;
use playout::{EngineHandle, ResumePolicy};
use schedules::emergency::authenticate::{Authenticated, Authority};
use schedules::emergency::lifecycle::{AlertState, Lifecycle, Received, Tracked, Transition};
use schedules::emergency::policy::AlertPolicy;
use schedules::emergency::targeting::{ChannelCoverage, Network};
use schedules::emergency::{validate_document, DedupeKey, Reason, ReasonCode};

use web::desk::{DeskError, Receipt};

use crate::desk::records::{new_record, transition_event, ChannelAiring, DeskRecord};

/// A channel the desk can interrupt.
#[derive(Clone)]
pub struct DeskChannel {
    pub coverage: ChannelCoverage,
    pub format: ChannelFormat,
    pub engine: EngineHandle,
    pub resume: ResumePolicy,
}

#[derive(Default)]
struct DeskState {
    lifecycle: Lifecycle,
    channels: Vec<DeskChannel>,
    airing: HashMap<DedupeKey, Vec<ChannelAiring>>,
    /// Writes for the catalog, oldest first (taken by [`EmergencyDesk::take_records`]).
    outbox: Vec<DeskRecord>,
}

impl DeskState {
    /// Queues the transitions `ts` (the alert of a first step, `from == None`, is `new`).
    fn record_transitions(&mut self, ts: &[Transition], new: Option<&schedules::emergency::Alert>, by: Option<&Actor>) {
        for t in ts {
            let mut r = DeskRecord::for_key(&t.key);
            r.actor = by.cloned();
            match (t.from, new) {
                (None, Some(a)) => r.new = Some(new_record(a, t)),
                _ => r.events.push(transition_event(t)),
            }
            self.outbox.push(r);
        }
    }

    /// Moves `key` on and queues the step; a step the state machine refuses is skipped.
    fn advance(&mut self, key: &DedupeKey, to: AlertState, now: DateTime<Utc>, note: Option<&str>) {
        if let Ok(t) = self.lifecycle.advance(key, to, now) {
            let mut r = DeskRecord::for_key(key);
            let mut e = transition_event(&t);
            e.note = note.map(str::to_string);
            r.events.push(e);
            self.outbox.push(r);
        }
    }

    /// Takes `key` off air on every channel, queueing the last airing events.
    fn take_off_air(&mut self, key: &DedupeKey) {
        let mut r = DeskRecord::for_key(key);
        for airing in self.airing.remove(key).unwrap_or_default() {
            let channel = airing.channel().to_string();
            airing.cancel(key, &mut r);
            tracing::info!(alert = key.as_str(), %channel, "alert taken off air");
        }
        if !r.is_empty() {
            self.outbox.push(r);
        }
    }
}

/// The desk of one server. Cheap to clone.
#[derive(Clone)]
pub struct EmergencyDesk {
    state: Arc<Mutex<DeskState>>,
    policy: AlertPolicy,
    network: Network,
    work: PathBuf,
    /// Loaded on the first alert (a CJK font is several MB).
    font: Arc<std::sync::OnceLock<Option<Arc<CjkFont>>>>,
    /// Held while records are written, so that they reach the catalog in order.
    pub(crate) flush_lock: Arc<tokio::sync::Mutex<()>>,
    /// Configured coverage polygons by channel id.
    coverage: Arc<HashMap<String, schedules::emergency::geo::Polygon>>,
    /// Signing keys of configured sources, and the replay window (replaceable at run time).
    authority: Arc<Mutex<Arc<Authority>>>,
    /// Moves on whenever the alerts change (see [`Self::subscribe`]).
    changed: Arc<tokio::sync::watch::Sender<u64>>,
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
            flush_lock: Arc::default(),
            coverage: Arc::default(),
            authority: Arc::default(),
            changed: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// A receiver that wakes whenever an alert is taken in, changes state or ends.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn font(&self) -> Option<Arc<CjkFont>> {
        self.font
            .get_or_init(|| match CjkFont::find() {
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

    /// Makes a running channel reachable by alerts (with its configured coverage polygon,
    /// when [`Self::with_coverage`] gave one for its id).
    pub fn add_channel(&self, mut channel: DeskChannel) {
        if let Some(p) = self.coverage.get(&channel.coverage.id.0) {
            channel.coverage.polygon = Some(p.clone());
        }
        if let Ok(mut s) = self.state.lock() {
            s.channels.push(channel);
        }
    }

    /// This desk, giving channels these coverage polygons (by channel id) as they are added.
    pub fn with_coverage(mut self, coverage: HashMap<String, schedules::emergency::geo::Polygon>) -> Self {
        self.coverage = Arc::new(coverage);
        self
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
        self.receive_as(document, now, Actor::system("emergency"), authorize)
    }

    /// [`Self::receive`] on behalf of `sender`, who is named in the audit log and in the
    /// alert's `verified` step.
    ///
    /// # Errors
    /// As [`Self::receive`].
    pub fn receive_as(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        sender: Actor,
        authorize: impl FnOnce(&schedules::emergency::Alert) -> Result<(), String>,
    ) -> Result<Receipt, DeskError> {
        let report = validate_document(document);
        let alert = match (report.valid, report.alert) {
            (true, Some(a)) => a,
            _ => return Err(DeskError::Invalid(report.reasons)),
        };
        authorize(&alert).map_err(DeskError::Forbidden)?;
        let note = format!("sent by {}", sender.as_str());
        let receipt = self.take_in(alert, now, sender, note);
        self.bump();
        receipt
    }

    /// Like [`Self::receive`] for a sender without a session or token: the document must
    /// carry a valid signature by a configured source (CAP enveloped XML-DSig, or the EBD's
    /// `detached` SM2 signature) and a `sent` within the replay window. A configured source
    /// may send for the whole network.
    ///
    /// # Errors
    /// `Unauthenticated` with the reasons (missing, wrong or unknown signature, replay);
    /// otherwise as [`Self::receive`]. Nothing airs then.
    pub fn receive_signed(
        &self,
        document: &[u8],
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<Receipt, DeskError> {
        let report = validate_document(document);
        if !report.valid {
            return Err(DeskError::Invalid(report.reasons));
        }
        let signer = match self.authority().authenticate(&report, document, detached, now) {
            Ok(Authenticated::Signature { key }) => key,
            Ok(Authenticated::Unsigned) => {
                return Err(DeskError::Unauthenticated(vec![Reason::new(
                    ReasonCode::Signature,
                    "the message is not signed: sign it with a configured key, or send it with a session or API token",
                    "/",
                )]))
            }
            Err(reasons) => return Err(DeskError::Unauthenticated(reasons)),
        };
        let Some(alert) = report.alert else { return Err(DeskError::Invalid(report.reasons)) };
        let note = format!("signed by configured key {signer}");
        let receipt = self.take_in(alert, now, Actor::system(&format!("signed-source:{signer}")), note);
        self.bump();
        receipt
    }

    /// The configured signed sources and replay window.
    pub fn authority(&self) -> Arc<Authority> {
        self.authority.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// This desk, trusting the signing keys (and replay window) of `authority`.
    pub fn with_authority(self, authority: Authority) -> Self {
        self.set_authority(authority);
        self
    }

    /// This desk, airing by `policy` (interrupt mode, repeats per severity).
    pub fn with_policy(mut self, policy: AlertPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Trusts the signing keys (and replay window) of `authority` from now on (every clone
    /// of this desk).
    pub fn set_authority(&self, authority: Authority) {
        if let Ok(mut a) = self.authority.lock() {
            *a = Arc::new(authority);
        }
    }

    fn take_in(
        &self,
        alert: schedules::emergency::Alert,
        now: DateTime<Utc>,
        sender: Actor,
        verified_note: String,
    ) -> Result<Receipt, DeskError> {
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
        state.record_transitions(&transitions, Some(&alert), Some(&sender));
        // What a Cancel or Update ended comes off air at once.
        for t in &transitions {
            if t.key != key && matches!(t.to, AlertState::Cancelled | AlertState::Superseded) {
                state.take_off_air(&t.key);
            }
        }
        let mut aired = Vec::new();
        if state.lifecycle.state(&key) == Some(AlertState::Received) {
            state.advance(&key, AlertState::Verified, now, Some(&verified_note));
        }
        if targeting.withheld.is_none() && !targeting.channels.is_empty() {
            state.advance(&key, AlertState::Scheduled, now, None);
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
                        let airing = ChannelAiring::new(id.clone(), on_air, channel.resume, alert.headline.clone());
                        state.airing.entry(key.clone()).or_default().push(airing);
                        aired.push(id);
                    }
                    Err(e) => {
                        tracing::error!(alert = key.as_str(), channel = %channel.coverage.id.0, error = %e, "alert not aired")
                    }
                }
            }
            if !aired.is_empty() {
                state.advance(&key, AlertState::OnAir, now, None);
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

    /// The timer's step: expires what passed its `expires` (taking it off air), records the
    /// airing events since the last step, and marks completed every alert whose airings all
    /// ran to their end.
    pub fn tick(&self, now: DateTime<Utc>) {
        let Ok(mut state) = self.state.lock() else { return };
        let queued = state.outbox.len();
        let expired = state.lifecycle.expire_due(now);
        state.record_transitions(&expired, None, None);
        for t in &expired {
            tracing::warn!(alert = t.key.as_str(), "alert expired");
            state.take_off_air(&t.key);
        }
        let keys: Vec<DedupeKey> = state.airing.keys().cloned().collect();
        for key in keys {
            let mut r = DeskRecord::for_key(&key);
            let mut done = true;
            let mut ran_out = true;
            for a in state.airing.get_mut(&key).into_iter().flatten() {
                a.harvest(&key, &mut r);
                done &= a.finished();
                ran_out &= matches!(a.last_kind(), Some(AiringKind::Completed | AiringKind::NotAired));
            }
            if !r.is_empty() {
                state.outbox.push(r);
            }
            if done {
                state.airing.remove(&key);
                // Airings that stopped for expiry or cancel are ended by those paths instead.
                if ran_out {
                    state.advance(&key, AlertState::Completed, now, Some("every airing ran to its end"));
                }
            }
        }
        if state.outbox.len() != queued {
            drop(state);
            self.bump();
        }
    }

    /// The catalog writes queued since the last call, oldest first.
    pub fn take_records(&self) -> Vec<DeskRecord> {
        self.state.lock().map(|mut s| std::mem::take(&mut s.outbox)).unwrap_or_default()
    }

    /// Puts `records` (taken by [`Self::take_records`] and not written) back before whatever
    /// was queued since, so the next flush writes them first, in their order.
    pub fn requeue(&self, mut records: Vec<DeskRecord>) {
        if let Ok(mut s) = self.state.lock() {
            records.append(&mut s.outbox);
            s.outbox = records;
        }
    }

    /// Takes back alerts stored before a restart. An alert that was on air when the server
    /// stopped is not re-aired: the restart took it off air, so it goes back to `scheduled`
    /// (recorded, with the reason) and stays known until it expires, is cancelled or is
    /// updated — an Update re-airs it. Returns how many were taken back.
    pub fn restore(&self, tracked: Vec<Tracked>, now: DateTime<Utc>) -> usize {
        let Ok(mut state) = self.state.lock() else { return 0 };
        let n = tracked.len();
        for t in tracked {
            let (key, was) = (t.alert.key(), t.state);
            state.lifecycle.restore(t);
            if was == AlertState::OnAir {
                let note = "the server restarted: off air since; not re-aired (send an Update to air it again)";
                state.advance(&key, AlertState::Scheduled, now, Some(note));
            }
        }
        drop(state);
        self.bump();
        n
    }
}

impl web::desk::AlertDesk for EmergencyDesk {
    fn receive_as(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        sender: Actor,
        authorize: web::desk::Authorize,
    ) -> Result<Receipt, DeskError> {
        EmergencyDesk::receive_as(self, document, now, sender, authorize)
    }

    fn receive_signed(
        &self,
        document: &[u8],
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<Receipt, DeskError> {
        EmergencyDesk::receive_signed(self, document, detached, now)
    }

    fn alerts(&self) -> Vec<Tracked> {
        EmergencyDesk::alerts(self)
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        EmergencyDesk::subscribe(self)
    }

    fn flush<'a>(&'a self, store: &'a catalog::Store) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(log::flush(self, store))
    }
}

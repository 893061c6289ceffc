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
use playout::alert::{air_alert, AiringKind, AlertMedia, AlertProgramme, OwnAudio};
use playout::font::CjkFont;
use playout::timeline::ChannelFormat;
use playout::{EngineHandle, ResumePolicy};
use schedules::emergency::authenticate::{Authenticated, Authority};
use schedules::emergency::lifecycle::{AlertState, Lifecycle, Received, Tracked, Transition};
use schedules::emergency::policy::AlertPolicy;
use schedules::emergency::scope::{check_limits, SenderScope};
use schedules::emergency::targeting::{ChannelCoverage, Network, Withheld};
use schedules::emergency::vocab::MsgType;
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
    /// The area each alert's sender may interrupt (absent: the whole network). Stored with
    /// the alert, so other servers and remote playout nodes apply it too.
    scopes: HashMap<DedupeKey, SenderScope>,
    /// Alerts another server of the same catalog took in ([`EmergencyDesk::take_in_peer`]):
    /// that server records their steps; this desk records only its own airings of them.
    peers: std::collections::HashSet<DedupeKey>,
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
                (None, Some(a)) => r.new = Some(new_record(a, t, self.scopes.get(&t.key))),
                _ => r.events.push(transition_event(t)),
            }
            self.outbox.push(r);
        }
    }

    /// Moves `key` on and queues the step; a step the state machine refuses is skipped.
    fn advance(&mut self, key: &DedupeKey, to: AlertState, now: DateTime<Utc>, note: Option<&str>) {
        if let Ok(t) = self.lifecycle.advance(key, to, now) {
            if self.peers.contains(key) && !matches!(to, AlertState::OnAir | AlertState::Completed) {
                return; // the server that took it in records these steps
            }
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
    /// The channels (by id) that air drills; `None`: every channel.
    drill_channels: Arc<Option<Vec<String>>>,
    /// Signing keys of configured sources, and the replay window (replaceable at run time).
    authority: Arc<Mutex<Arc<Authority>>>,
    /// How long ended alerts stay in the catalog.
    pub(crate) retention: chrono::TimeDelta,
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
            drill_channels: Arc::default(),
            authority: Arc::default(),
            retention: chrono::TimeDelta::days(i64::from(crate::config::alerts::DEFAULT_RETENTION_DAYS)),
            changed: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// This desk, keeping ended alerts in the catalog for `days`.
    pub fn with_retention_days(mut self, days: u32) -> Self {
        self.retention = chrono::TimeDelta::days(i64::from(days.max(1)));
        self
    }

    /// Forgets (in memory) alerts that ended and were sent more than a day (at least the
    /// replay window) ago: their keys are no longer needed against replays, and a desk that
    /// runs for years keeps a bounded memory. Returns how many were forgotten.
    pub fn forget_ended(&self, now: DateTime<Utc>) -> usize {
        let window = chrono::TimeDelta::seconds(i64::from(self.authority().replay.max_age_s));
        let keep = window.max(chrono::TimeDelta::days(1));
        let Ok(mut s) = self.state.lock() else { return 0 };
        let n = s.lifecycle.forget_ended_before(now - keep);
        let s = &mut *s;
        s.scopes.retain(|k, _| s.lifecycle.get(k).is_some());
        s.peers.retain(|k| s.lifecycle.get(k).is_some());
        n
    }

    /// Makes the directory alert speech and audio are written to (`<work>/alerts`), checks
    /// that it can be written, and removes files a previous run left behind. Called at
    /// start-up so that a server that cannot speak an alert says so before one arrives.
    ///
    /// # Errors
    /// A message naming the directory and the reason.
    pub fn prepare(&self) -> Result<PathBuf, String> {
        let dir = self.work.join("alerts");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let probe = dir.join(format!(".write-test-{}", std::process::id()));
        std::fs::write(&probe, b"kapok").map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        let _ = std::fs::remove_file(&probe);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("alert-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(dir)
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

    /// The area the sender of `key` may interrupt (the whole network when unknown).
    pub fn scope_of(&self, key: &DedupeKey) -> SenderScope {
        self.state.lock().ok().and_then(|s| s.scopes.get(key).cloned()).unwrap_or(SenderScope::Network)
    }

    /// Whether this desk knows the alert `key` (live, or ended and not yet forgotten).
    pub fn knows(&self, key: &DedupeKey) -> bool {
        self.state.lock().map(|s| s.lifecycle.get(key).is_some()).unwrap_or(false)
    }

    /// Every alert this desk knows, with its state and history.
    pub fn alerts(&self) -> Vec<schedules::emergency::lifecycle::Tracked> {
        self.state.lock().map(|s| s.lifecycle.live().cloned().collect()).unwrap_or_default()
    }

    /// Makes a running channel reachable by alerts (with its configured coverage polygon,
    /// when [`Self::with_coverage`] gave one for its id, and allowing drills unless
    /// [`Self::with_drill_channels`] leaves it out).
    pub fn add_channel(&self, mut channel: DeskChannel) {
        if let Some(p) = self.coverage.get(&channel.coverage.id.0) {
            channel.coverage.polygon = Some(p.clone());
        }
        if let Some(drills) = self.drill_channels.as_ref() {
            channel.coverage.allows_drills = drills.contains(&channel.coverage.id.0);
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

    /// This desk, airing drills only on `channels` (ids) as they are added (`None`: on every
    /// channel).
    pub fn with_drill_channels(mut self, channels: Option<Vec<String>>) -> Self {
        self.drill_channels = Arc::new(channels);
        self
    }

    /// Validates, de-duplicates, targets and airs `document` (CAP 1.2, GY/T 385 EBM or JSON).
    ///
    /// # Errors
    /// `Invalid` with every reason; `Refused` for an alert the lifecycle rejects (unknown
    /// reference, post-dated …) or an area outside the network. Nothing airs then.
    pub fn receive(&self, document: &[u8], now: DateTime<Utc>) -> Result<Receipt, DeskError> {
        self.receive_as(document, now, Actor::system("emergency"), SenderScope::Network)
    }

    /// [`Self::receive`] on behalf of `sender`, acting for `scope` (the whole network, or one
    /// centre's area: see [`schedules::emergency::scope`]), who is named in the audit log and
    /// in the alert's `verified` step.
    ///
    /// # Errors
    /// As [`Self::receive`]; `Forbidden` when the alert, or an alert it updates or cancels,
    /// lies outside `scope`.
    pub fn receive_as(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        sender: Actor,
        scope: SenderScope,
    ) -> Result<Receipt, DeskError> {
        // CAP validity and the broadcast policy (an Alert without info or area …) both decide.
        let alert = validate_document(document).into_broadcast_alert().map_err(DeskError::Invalid)?;
        let note = format!("sent by {}", sender.as_str());
        let receipt = self.take_in(alert, now, sender, note, &scope);
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
        let refusals = report.broadcast_refusals();
        if !refusals.is_empty() {
            return Err(DeskError::Invalid(refusals));
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
        let receipt =
            self.take_in(alert, now, Actor::system(&format!("signed-source:{signer}")), note, &SenderScope::Network);
        self.bump();
        receipt
    }

    /// Takes in an alert from a verified EBD package (`schedules::emergency::ebd`, through
    /// `crate::platform`): already parsed and authenticated, its areas cut to the network and
    /// its audio attached; `signer` is the `CertSN` whose key signed the package.
    ///
    /// # Errors
    /// As [`Self::receive`]. Nothing airs then.
    pub fn receive_ebd(
        &self,
        alert: schedules::emergency::Alert,
        now: DateTime<Utc>,
        signer: &str,
    ) -> Result<Receipt, DeskError> {
        let note = format!("EBD package signed by platform key {signer}");
        let receipt =
            self.take_in(alert, now, Actor::system(&format!("ebd-platform:{signer}")), note, &SenderScope::Network);
        self.bump();
        receipt
    }

    /// Takes in an alert another server of the same catalog received, checked and stored
    /// (found by [`log::pull_peers`]). It becomes known here, so this server's alert streams
    /// push it to the playout nodes that follow them and a Cancel or Update sent here finds
    /// it, and it airs on this server's own channels that `scope` (its sender's area, as
    /// stored) may interrupt. The steps the receiving server records (received, verified,
    /// expired, what its Cancel ends) are not recorded again; this desk's airings are.
    /// Returns false when the desk already knew it.
    pub fn take_in_peer(&self, alert: schedules::emergency::Alert, scope: SenderScope, now: DateTime<Utc>) -> bool {
        let key = alert.key();
        let Ok(mut state) = self.state.lock() else { return false };
        if state.lifecycle.get(&key).is_some() {
            return false;
        }
        let coverages: Vec<ChannelCoverage> = state.channels.iter().map(|c| c.coverage.clone()).collect();
        let mut targeting = self.network.targets(&alert, &coverages);
        if scope != SenderScope::Network {
            let owned: Vec<_> = coverages.iter().filter(|c| scope.owns(c)).map(|c| c.id.clone()).collect();
            targeting.channels.retain(|id| owned.contains(id));
        }
        state.peers.insert(key.clone());
        state.scopes.insert(key.clone(), scope);
        let transitions = match state.lifecycle.receive(alert.clone(), now) {
            Ok(Received::Accepted(t)) => t,
            Ok(Received::Duplicate) => return false,
            Err(e) => {
                tracing::warn!(alert = key.as_str(), error = %e, "alert of another server not taken in");
                return false;
            }
        };
        for t in &transitions {
            if (t.key != key || !alert.msg_type.airs())
                && matches!(t.to, AlertState::Cancelled | AlertState::Superseded)
            {
                state.take_off_air(&t.key);
            }
        }
        if state.lifecycle.state(&key) == Some(AlertState::Received) {
            state.advance(&key, AlertState::Verified, now, None);
        }
        let aired = self.air(&mut state, &alert, &targeting, now);
        tracing::info!(alert = key.as_str(), channels = ?aired, "alert taken in by another server");
        drop(state);
        self.bump();
        true
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
        scope: &SenderScope,
    ) -> Result<Receipt, DeskError> {
        let key = alert.key();
        let too_much = check_limits(&alert);
        if !too_much.is_empty() {
            return Err(DeskError::Invalid(too_much));
        }
        let mut state = self.state.lock().map_err(|_| DeskError::Refused("the desk is unavailable".into()))?;
        // Refuse before the lifecycle records anything, so a corrected resend is not a duplicate.
        let coverages: Vec<ChannelCoverage> = state.channels.iter().map(|c| c.coverage.clone()).collect();
        scope.check_areas(&alert, &coverages).map_err(DeskError::Forbidden)?;
        check_references(&state.lifecycle, &alert, scope, &coverages)?;
        let mut targeting = self.network.targets(&alert, &coverages);
        let unknown: Vec<Reason> =
            targeting.reasons.iter().filter(|r| r.code == ReasonCode::UnknownArea).cloned().collect();
        if !unknown.is_empty() {
            return Err(DeskError::Invalid(unknown));
        }
        if *scope != SenderScope::Network {
            // An area's sender interrupts its own channels only, whatever a shape overlaps.
            let owned: Vec<_> = coverages.iter().filter(|c| scope.owns(c)).map(|c| c.id.clone()).collect();
            targeting.channels.retain(|id| owned.contains(id));
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
                        note: Some("already received: nothing more was done".into()),
                        warnings: Vec::new(),
                    })
                }
                Received::Accepted(t) => t,
            };
        state.scopes.insert(key.clone(), scope.clone());
        state.record_transitions(&transitions, Some(&alert), Some(&sender));
        // What a Cancel or Update ended comes off air at once (an EBM cancel ends its own key).
        for t in &transitions {
            if (t.key != key || !alert.msg_type.airs())
                && matches!(t.to, AlertState::Cancelled | AlertState::Superseded)
            {
                state.take_off_air(&t.key);
            }
        }
        if state.lifecycle.state(&key) == Some(AlertState::Received) {
            state.advance(&key, AlertState::Verified, now, Some(&verified_note));
        }
        let aired = self.air(&mut state, &alert, &targeting, now);
        let note = reached_no_channel(&alert, &targeting, &aired);
        let warnings: Vec<String> = alert
            .headline
            .as_deref()
            .and_then(|h| schedules::emergency::gbt35965::headline_colour_mismatch(h, alert.severity))
            .into_iter()
            .collect();
        for w in &warnings {
            tracing::warn!(alert = key.as_str(), warning = %w, "alert accepted with a warning");
        }
        Ok(Receipt {
            key: key.as_str().to_string(),
            outcome: "accepted",
            state: state.lifecycle.state(&key),
            channels: aired,
            targeting: Some(targeting),
            transitions,
            note,
            warnings,
        })
    }

    /// Airs `alert` on the channels `targeting` names (when it airs at all), moving it to
    /// `scheduled` and `on_air`. Returns the channels it went on air on.
    fn air(
        &self,
        state: &mut DeskState,
        alert: &schedules::emergency::Alert,
        targeting: &schedules::emergency::targeting::Targeting,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let key = alert.key();
        let mut aired = Vec::new();
        if targeting.withheld.is_none() && alert.msg_type.airs() && !targeting.channels.is_empty() {
            state.advance(&key, AlertState::Scheduled, now, None);
            let plan = self.policy.plan(alert, now);
            let drill = alert.status == schedules::emergency::vocab::Status::Exercise;
            let targets: Vec<DeskChannel> =
                state.channels.iter().filter(|c| targeting.channels.contains(&c.coverage.id)).cloned().collect();
            // Fetched (when it is a URL) once, by the first channel that needs it.
            let own = OwnAudio::of(alert);
            for channel in targets {
                let mut media = AlertMedia::new(self.work.join("alerts"));
                media.font = self.font();
                media.own = own.clone();
                match AlertProgramme::build(alert, &channel.format, &media) {
                    Ok(programme) => {
                        let on_air = air_alert(channel.engine.clone(), programme, &plan, channel.resume, 3);
                        let id = channel.coverage.id.0.clone();
                        tracing::warn!(alert = key.as_str(), channel = %id, "emergency alert on air");
                        let title = alert.headline.clone().unwrap_or_else(|| alert.event.clone());
                        let title = if drill { format!("【演练】{title}") } else { title };
                        let airing = ChannelAiring::new(id.clone(), on_air, channel.resume, Some(title), drill);
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
        aired
    }

    /// The timer's step: expires what passed its `expires` (taking it off air), records the
    /// airing events since the last step, and marks completed every alert whose airings all
    /// ran to their end.
    pub fn tick(&self, now: DateTime<Utc>) {
        let Ok(mut state) = self.state.lock() else { return };
        let queued = state.outbox.len();
        let expired = state.lifecycle.expire_due(now);
        // A peer's alert expires here too; the server that took it in records that.
        let own: Vec<Transition> = expired.iter().filter(|t| !state.peers.contains(&t.key)).cloned().collect();
        state.record_transitions(&own, None, None);
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
    pub fn restore(&self, tracked: Vec<(Tracked, SenderScope)>, now: DateTime<Utc>) -> usize {
        let Ok(mut state) = self.state.lock() else { return 0 };
        let n = tracked.len();
        for (t, scope) in tracked {
            let (key, was) = (t.alert.key(), t.state);
            state.scopes.insert(key.clone(), scope);
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

/// Refuses an Update or Cancel that references an alert outside `scope`, or only alerts that
/// have already ended (a second Cancel would otherwise be "accepted" and change nothing).
fn check_references(
    lifecycle: &Lifecycle,
    alert: &schedules::emergency::Alert,
    scope: &SenderScope,
    coverages: &[ChannelCoverage],
) -> Result<(), DeskError> {
    if !matches!(alert.msg_type, MsgType::Cancel | MsgType::Update) {
        return Ok(());
    }
    // An EBM cancel carries the EBM ID of what it stops, which is its own key.
    let keys: Vec<DedupeKey> = if alert.origin == schedules::emergency::DocumentKind::Ebm {
        vec![alert.key()]
    } else {
        alert.references.iter().map(|r| r.key()).collect()
    };
    let known: Vec<&Tracked> = keys.iter().filter_map(|k| lifecycle.get(k)).collect();
    for t in &known {
        scope.check_areas(&t.alert, coverages).map_err(|why| {
            DeskError::Forbidden(format!(
                "{} may not {} alert {} ({why})",
                scope.label(),
                if alert.msg_type == MsgType::Cancel { "cancel" } else { "update" },
                t.alert.key().as_str()
            ))
        })?;
    }
    if !known.is_empty()
        && known.iter().all(|t| t.state.is_terminal())
        && alert.origin != schedules::emergency::DocumentKind::Ebm
    {
        let states: Vec<String> =
            known.iter().map(|t| format!("{} is already {}", t.alert.key().as_str(), t.state.as_str())).collect();
        return Err(DeskError::Refused(format!("nothing to {}: {}", alert.msg_type, states.join("; "))));
    }
    Ok(())
}

/// The receipt's word when an airable alert went to no channel.
fn reached_no_channel(
    alert: &schedules::emergency::Alert,
    targeting: &schedules::emergency::targeting::Targeting,
    aired: &[String],
) -> Option<String> {
    if !aired.is_empty() || !alert.msg_type.airs() {
        return None;
    }
    Some(match targeting.withheld {
        Some(Withheld::Status(st)) => format!("recorded, not aired: status {st} never airs on a public channel"),
        Some(Withheld::MsgType(m)) => format!("recorded, not aired: a {m} message never airs"),
        None if targeting.channels.is_empty() => {
            let why = targeting
                .reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_else(|| "no channel of its area is running".into());
            format!("recorded, not aired: it reached no channel ({why})")
        }
        None => "recorded, not aired: no channel could air it (see the alert's events)".to_string(),
    })
}

impl web::desk::AlertDesk for EmergencyDesk {
    fn receive_as(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        sender: Actor,
        scope: SenderScope,
    ) -> Result<Receipt, DeskError> {
        EmergencyDesk::receive_as(self, document, now, sender, scope)
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

    fn scope_of(&self, key: &DedupeKey) -> SenderScope {
        EmergencyDesk::scope_of(self, key)
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        EmergencyDesk::subscribe(self)
    }

    fn flush<'a>(&'a self, store: &'a catalog::Store) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(log::flush(self, store))
    }
}

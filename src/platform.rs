//! Kapok's link to the upper emergency-broadcast platform (应急广播平台), in the platform's
//! own protocol (`schedules::emergency::ebd`):
//!
//! - **Down**: [`Platform`] answers `POST /api/ebd` (`web::routes::ebd`). Each package is
//!   checked (`ebd::inbound::receive`), an EBM goes to the emergency desk
//!   ([`EmergencyDesk::receive_ebd`]), and the reply is always a signed `EBDResponse` package.
//! - **Up**: a heartbeat (`ConnectionCheck`) every `ebd_heartbeat_s`; `EBRBSInfo` and
//!   `EBRBSState` (on) at start, `EBRBSState` (off) at shutdown; `EBMStateResponse` whenever
//!   an EBM's broadcast state changes (so: after each EBM, airing, done) and on
//!   `EBMStateRequest`; `EBMBrdLog` on `OMDRequest`. Every package is first written to a spool
//!   directory (`<data>/ebd/outbox`, one file each, written then renamed, like the playout
//!   node's as-run spool) and removed only once the platform answered 200: while the
//!   platform is down they wait, retried with backoff (1 s doubling to 30 s), in order, and a
//!   restart resumes them. Nothing is sent up without `ebd_platform_url`.
//!
//! Broadcast reports are read from the catalog's alert records and their per-channel airing
//! events (the as-run of alerts), so they say what actually aired, channel by channel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::Store;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use schedules::emergency::ebd::envelope::new_ebd_id;
use schedules::emergency::ebd::inbound::{self, Request};
use schedules::emergency::ebd::report::{self, BrdState, BroadcastReport, ChannelBroadcast, SystemInfo};
use schedules::emergency::ebd::{response, sign, vendor, EbdType, Header, Limits, Package, ResultCode, Signer};
use schedules::emergency::ebm::EbmSeverity;
use schedules::emergency::signature::TrustedKeys;
use schedules::emergency::targeting::Network;
use schedules::emergency::vocab::Status;
use schedules::emergency::DedupeKey;
use serde::{Deserialize, Serialize};
use web::routes::ebd::{EbdEndpoint, Reply};

use crate::config::ebd::{EbdSettings, RoutinePolicy};
use crate::desk::EmergencyDesk;

/// An EBM this link took in, remembered for its reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Known {
    received_at: DateTime<Utc>,
    /// The EBD that carried it (reports relate to it).
    ebd_id: String,
    /// Area codes outside the network.
    outside: Vec<String>,
    /// The state last reported up.
    reported: Option<BrdState>,
}

struct Inner {
    settings: EbdSettings,
    signer: Arc<dyn Signer>,
    keys: TrustedKeys,
    network: Network,
    desk: EmergencyDesk,
    store: Store,
    dir: PathBuf,
    seq: AtomicU64,
    known: Mutex<BTreeMap<String, Known>>,
    wake: tokio::sync::Notify,
    /// The channels on air, whose off-air state makes `EBRBSState` fault / recovered.
    channels: Option<crate::metrics::OnAirChannels>,
}

/// The platform link of one server. Cheap to clone.
#[derive(Clone)]
pub struct Platform {
    inner: Arc<Inner>,
}

impl Platform {
    /// A link with these settings, trusting `keys` (the platform's), working under `data`.
    ///
    /// # Errors
    /// A message when the signing key cannot be read or the spool directory made.
    pub fn new(
        settings: EbdSettings,
        keys: TrustedKeys,
        desk: EmergencyDesk,
        store: Store,
        data: &Path,
    ) -> Result<Self, crate::config::ConfigError> {
        let signer = Arc::new(settings.signer()?);
        let dir = data.join("ebd");
        std::fs::create_dir_all(dir.join("outbox"))
            .map_err(|e| crate::config::ConfigError::new("KAPOK_DATA (data)", format!("{}: {e}", dir.display())))?;
        let known =
            std::fs::read(dir.join("ebms.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let seq = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0) * 1000;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                signer,
                keys,
                network: Network::panzhihua(),
                desk,
                store,
                dir,
                seq: AtomicU64::new(seq),
                known: Mutex::new(known),
                wake: tokio::sync::Notify::new(),
                channels: None,
            }),
        })
    }

    /// This link, reporting a fault while any of `channels` is off air (every output down)
    /// and recovered when all are back. Call before the link is shared.
    pub fn with_channels(mut self, channels: crate::metrics::OnAirChannels) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.channels = Some(channels);
        }
        self
    }

    fn header(&self, heartbeat: bool, related: Option<String>, now: DateTime<Utc>) -> Header {
        let s = &self.inner.settings;
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        Header {
            id: new_ebd_id(heartbeat, &s.ebrid, seq),
            source: s.ebrid.clone(),
            source_url: s.url.clone(),
            dest: Some(s.platform_ebrid.clone()),
            time: now,
            related,
        }
    }

    /// Signs and packs a data file.
    fn package(&self, h: &Header, data: Vec<u8>, now: DateTime<Utc>) -> Vec<u8> {
        match sign::signature_file(&h.id, &data, self.inner.signer.as_ref(), now) {
            Ok(sig) => Package::pack(&h.id, &data, &sig, &[], now.timestamp()),
            Err(e) => {
                // A device that cannot sign: the package goes unsigned (the platform answers 4).
                tracing::error!(error = %e, "EBD package not signed");
                Package::pack(&h.id, &data, b"", &[], now.timestamp())
            }
        }
    }

    /// The reply to a package.
    fn reply(&self, code: ResultCode, desc: &str, related: Option<String>, now: DateTime<Utc>) -> Reply {
        let h = self.header(false, related, now);
        let body = self.package(&h, response::response(&h, code, desc), now);
        Reply { name: vendor::package_name(&h.id), body }
    }

    /// Spools a package for the platform (nothing without `ebd_platform_url`).
    fn send_up(
        &self,
        kind: EbdType,
        related: Option<String>,
        now: DateTime<Utc>,
        build: impl FnOnce(&Header) -> Vec<u8>,
    ) {
        if self.inner.settings.platform_url.is_none() {
            return;
        }
        let heartbeat = kind == EbdType::ConnectionCheck;
        let h = self.header(heartbeat, related, now);
        let tar = self.package(&h, build(&h), now);
        let outbox = self.inner.dir.join("outbox");
        if heartbeat {
            // A heartbeat says only "alive now": the newest supersedes any still waiting, so a
            // long outage leaves one in the spool, not one per interval. Reports all stay.
            remove_spooled_heartbeats(&outbox);
        }
        let name = format!("{:020}-{}.tar", self.inner.seq.fetch_add(1, Ordering::Relaxed), h.id);
        let tmp = outbox.join(format!(".{name}.tmp"));
        let written = std::fs::write(&tmp, &tar).and_then(|()| std::fs::rename(&tmp, outbox.join(&name)));
        match written {
            Ok(()) => tracing::debug!(kind = kind.name(), ebd = %h.id, "EBD package spooled"),
            Err(e) => tracing::error!(kind = kind.name(), error = %e, "EBD package not spooled"),
        }
        self.inner.wake.notify_one();
    }

    fn save_known(&self, known: &BTreeMap<String, Known>) {
        let path = self.inner.dir.join("ebms.json");
        let tmp = self.inner.dir.join(".ebms.json.tmp");
        let body = serde_json::to_vec(known).unwrap_or_default();
        if let Err(e) = std::fs::write(&tmp, body).and_then(|()| std::fs::rename(&tmp, &path)) {
            tracing::error!(error = %e, "EBD message index not saved");
        }
    }

    async fn handle(&self, package: Result<Vec<u8>, String>, now: DateTime<Utc>) -> Reply {
        let bytes = match package {
            Ok(b) => b,
            Err(m) => return self.reply(ResultCode::Unparseable, &m, None, now),
        };
        let (keys, network) = (self.inner.keys.clone(), self.inner.network.clone());
        let checked =
            tokio::task::spawn_blocking(move || inbound::receive(&bytes, Limits::default(), &keys, &network)).await;
        let inbound = match checked {
            Ok(Ok(i)) => i,
            Ok(Err(refused)) => {
                tracing::warn!(code = refused.code.code(), reason = %refused.reason, "EBD package refused");
                return self.reply(refused.code, &refused.reason, refused.ebd_id, now);
            }
            Err(e) => return self.reply(ResultCode::Other, &format!("internal error: {e}"), None, now),
        };
        let id = inbound.envelope.id.clone();
        let (code, desc) = self.act(inbound, now).await;
        self.reply(code, &desc, Some(id), now)
    }

    async fn act(&self, inbound: inbound::Inbound, now: DateTime<Utc>) -> (ResultCode, String) {
        let request_id = inbound.envelope.id.clone();
        match inbound.request {
            Request::Ebm { ebm, mut alert, outside, notes } => {
                let routine = matches!(ebm.severity, Some(EbmSeverity::Unknown | EbmSeverity::Routine));
                if routine && self.inner.settings.routine == RoutinePolicy::Record {
                    alert.status = Status::System;
                }
                let (desk, signer) = (self.inner.desk.clone(), inbound.signer.clone());
                let taken = tokio::task::spawn_blocking(move || desk.receive_ebd(*alert, now, &signer)).await;
                match taken {
                    Ok(Ok(receipt)) => {
                        if let Ok(mut known) = self.inner.known.lock() {
                            known.entry(ebm.ebm_id.clone()).or_insert(Known {
                                received_at: now,
                                ebd_id: request_id,
                                outside: outside.iter().map(|c| c.as_str().to_string()).collect(),
                                reported: None,
                            });
                            self.save_known(&known);
                        }
                        self.inner.wake.notify_one();
                        let mut desc = format!(
                            "{} ({}); on air on {} channel(s)",
                            receipt.outcome,
                            receipt.key,
                            receipt.channels.len()
                        );
                        for n in receipt.note.into_iter().chain(notes) {
                            desc.push_str("; ");
                            desc.push_str(&n);
                        }
                        (ResultCode::Ok, desc)
                    }
                    Ok(Err(e)) => (ResultCode::Other, desk_reason(&e)),
                    Err(e) => (ResultCode::Other, format!("internal error: {e}")),
                }
            }
            Request::EbmState { ebm_id } => match self.report(&ebm_id).await {
                Some(r) => {
                    let ebrid = self.inner.settings.ebrid.clone();
                    self.send_up(EbdType::EbmStateResponse, Some(request_id), now, |h| {
                        report::ebm_state(h, &ebrid, &r, now)
                    });
                    (ResultCode::Ok, format!("EBMStateResponse for {ebm_id} sent"))
                }
                None => (ResultCode::Other, format!("no EBM {ebm_id} is known here")),
            },
            Request::Omd { kind, start, end } if kind == vendor::OMD_BROADCAST_LOG => {
                let end = end.map_or(now, |t| t.utc());
                let start = start.map_or(end - chrono::Duration::days(1), |t| t.utc());
                let ids: Vec<String> = self
                    .inner
                    .known
                    .lock()
                    .map(|k| k.iter().filter(|(_, v)| v.received_at <= end).map(|(id, _)| id.clone()).collect())
                    .unwrap_or_default();
                let mut reports = Vec::new();
                for id in ids {
                    if let Some(r) = self.report(&id).await {
                        let aired_in_range = r
                            .channels
                            .iter()
                            .any(|c| c.start.is_some_and(|s| s <= end) && c.end.is_none_or(|e| e >= start));
                        let received = self.inner.known.lock().ok().and_then(|k| k.get(&id).map(|v| v.received_at));
                        if aired_in_range || received.is_some_and(|t| t >= start && t <= end) {
                            reports.push(r);
                        }
                    }
                }
                let ebrid = self.inner.settings.ebrid.clone();
                let n = reports.len();
                self.send_up(EbdType::EbmBrdLog, Some(request_id), now, |h| {
                    report::broadcast_log(h, &ebrid, start, end, &reports)
                });
                (ResultCode::Ok, format!("EBMBrdLog of {n} message(s) sent"))
            }
            Request::Omd { kind, .. } => {
                (ResultCode::Other, format!("OMDType {kind:?} is not served by a broadcast system"))
            }
            Request::Other(kind) => (ResultCode::Ok, format!("{} received", kind.name())),
        }
    }

    /// How `ebm_id` is airing, from the catalog's records.
    async fn report(&self, ebm_id: &str) -> Option<BroadcastReport> {
        let outside = self.inner.known.lock().ok()?.get(ebm_id).map(|k| k.outside.clone()).unwrap_or_default();
        let key = DedupeKey::ebm(ebm_id);
        let record = self.inner.store.get_alert(key.as_str()).await.ok()?;
        let events = self.inner.store.alert_events(key.as_str()).await.unwrap_or_default();
        let mut channels: BTreeMap<String, ChannelBroadcast> = BTreeMap::new();
        for e in events.iter().filter(|e| e.channel.is_some()) {
            let name = e.channel.clone().unwrap_or_default();
            let c = channels.entry(name.clone()).or_insert(ChannelBroadcast {
                channel: name,
                start: None,
                end: None,
                state: BrdState::Waiting,
            });
            match e.event.as_str() {
                "on_air" => {
                    c.start.get_or_insert(e.at);
                    c.state = BrdState::Airing;
                }
                "completed" | "expired" => (c.end, c.state) = (Some(e.at), BrdState::Done),
                "cancelled" => (c.end, c.state) = (Some(e.at), BrdState::Cancelled),
                "not_aired" => (c.end, c.state) = (Some(e.at), BrdState::Failed),
                _ => {}
            }
        }
        let status = record.alert.get("status").and_then(|s| s.as_str()).unwrap_or("Actual");
        let state = match record.state.as_str() {
            _ if status == "Test" || status == "System" => BrdState::NotProcessed,
            "on_air" => BrdState::Airing,
            "completed" | "expired" if channels.is_empty() => BrdState::NotProcessed,
            "completed" | "expired" => BrdState::Done,
            "cancelled" | "superseded" => BrdState::Cancelled,
            _ => BrdState::Waiting,
        };
        let covered = record
            .alert
            .get("areas")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("codes").and_then(|c| c.as_array()))
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        Some(BroadcastReport {
            ebm_id: ebm_id.to_string(),
            state,
            covered,
            not_covered: outside,
            channels: channels.into_values().collect(),
        })
    }

    /// Reports every EBM whose broadcast state changed since it was last reported.
    async fn report_changes(&self, now: DateTime<Utc>) {
        let pending: Vec<(String, Known)> = self
            .inner
            .known
            .lock()
            .map(|k| {
                k.iter()
                    .filter(|(_, v)| {
                        !matches!(v.reported, Some(BrdState::Done | BrdState::Cancelled | BrdState::Failed))
                            && now - v.received_at < chrono::Duration::days(7)
                    })
                    .map(|(id, v)| (id.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (id, known) in pending {
            let Some(r) = self.report(&id).await else { continue };
            if Some(r.state) == known.reported {
                continue;
            }
            let ebrid = self.inner.settings.ebrid.clone();
            self.send_up(EbdType::EbmStateResponse, Some(known.ebd_id.clone()), now, |h| {
                report::ebm_state(h, &ebrid, &r, now)
            });
            tracing::info!(ebm = %id, state = ?r.state, "EBM state reported");
            if let Ok(mut k) = self.inner.known.lock() {
                if let Some(v) = k.get_mut(&id) {
                    v.reported = Some(r.state);
                }
                self.save_known(&k);
            }
        }
    }

    fn system_info(&self) -> SystemInfo {
        let s = &self.inner.settings;
        SystemInfo {
            ebrid: s.ebrid.clone(),
            name: "Kapok".into(),
            url: s.url.clone(),
            platform: s.platform_ebrid.clone(),
            areas: vec![format!("{:0<12}", s.ebrid.get(1..13).unwrap_or(""))],
        }
    }

    fn send_state(&self, state: u8, desc: &str, now: DateTime<Utc>) {
        let ebrid = self.inner.settings.ebrid.clone();
        self.send_up(EbdType::EbrbsState, None, now, |h| report::system_state(h, &ebrid, state, desc, now));
    }

    /// Runs the upward side until `shutdown`: registration, heartbeats, state reports and the
    /// spool's delivery.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let Some(url) = self.inner.settings.platform_url.clone() else {
            tracing::info!("EBD exchange: no ebd_platform_url, nothing is sent up");
            shutdown.await;
            return;
        };
        let now = Utc::now();
        let info = self.system_info();
        self.send_up(EbdType::EbrbsInfo, None, now, |h| report::system_info(h, &info, now));
        self.send_state(vendor::rbs_state::ON, "on", now);
        let sender = tokio::spawn(self.clone().deliver(url.clone()));
        let mut heartbeat = tokio::time::interval(self.inner.settings.heartbeat);
        let mut reports = tokio::time::interval(Duration::from_secs(1));
        let mut fault = false;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = heartbeat.tick() => {
                    let now = Utc::now();
                    self.send_up(EbdType::ConnectionCheck, None, now, |h| report::connection_check(h, now));
                }
                _ = reports.tick() => {
                    let now = Utc::now();
                    let off = self.inner.channels.as_ref().map(|c| c.off_air()).unwrap_or_default();
                    if let Some((state, desc)) = fault_change(&mut fault, &off) {
                        tracing::warn!(state, %desc, "EBRBSState reported");
                        self.send_state(state, &desc, now);
                    }
                    self.report_changes(now).await;
                }
            }
        }
        self.send_state(vendor::rbs_state::OFF, "off", Utc::now());
        // One last short chance to deliver; what is left stays spooled for the next start.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.deliver_all(&reqwest::Client::new(), &url)).await;
        sender.abort();
    }

    async fn deliver(self, url: String) {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.deliver_all(&client, &url).await {
                Ok(()) => {
                    backoff = Duration::from_secs(1);
                    let _ = tokio::time::timeout(Duration::from_secs(1), self.inner.wake.notified()).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_s = backoff.as_secs(), "EBD platform unreachable; packages stay spooled");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// Posts every spooled package, oldest first, removing each the platform took.
    async fn deliver_all(&self, client: &reqwest::Client, url: &str) -> Result<(), String> {
        let outbox = self.inner.dir.join("outbox");
        let mut names: Vec<String> = std::fs::read_dir(&outbox)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tar") && !n.starts_with('.'))
            .collect();
        names.sort();
        for name in names {
            let path = outbox.join(&name);
            let Ok(tar) = std::fs::read(&path) else { continue };
            let file_name = name.split_once('-').map_or(name.as_str(), |(_, id)| id);
            let (content_type, body) = multipart(&format!("EBDT_{file_name}"), &tar);
            let answer = client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("{url} answered {}", answer.status()));
            }
            let reply = answer.bytes().await.unwrap_or_default();
            log_reply(&reply, &self.inner.keys);
            match std::fs::remove_file(&path) {
                // A newer heartbeat superseded it meanwhile.
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.to_string()),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The `EBRBSState` to report when the channels' off-air state changed: fault (3) when a
/// channel went off air (every output down) while none was, recovered (4) when the last one
/// came back. `fault` is the state last reported, updated.
fn fault_change(fault: &mut bool, off_air: &[(String, f64)]) -> Option<(u8, String)> {
    match (*fault, off_air.is_empty()) {
        (false, false) => {
            *fault = true;
            let names: Vec<String> = off_air.iter().map(|(c, s)| format!("{c} ({s:.0} s)")).collect();
            Some((vendor::rbs_state::FAULT, format!("off air: {}", names.join(", "))))
        }
        (true, true) => {
            *fault = false;
            Some((vendor::rbs_state::RECOVERED, "every channel back on air".into()))
        }
        _ => None,
    }
}

/// Removes the heartbeats waiting in `outbox` (spool names are `<seq>-<EBDID>.tar`; a
/// heartbeat's EBDID has its own prefix, [`vendor::EBDID_HEARTBEAT_PREFIX`]).
fn remove_spooled_heartbeats(outbox: &Path) {
    let Ok(entries) = std::fs::read_dir(outbox) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let heartbeat = name
            .strip_suffix(".tar")
            .and_then(|n| n.split_once('-'))
            .is_some_and(|(_, id)| id.starts_with(vendor::EBDID_HEARTBEAT_PREFIX));
        if heartbeat && !name.starts_with('.') {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A `multipart/form-data` body with one file part (see [`vendor::MULTIPART_PART`]).
fn multipart(file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("kapok-ebd-{}", boundary_for(content));
    let mut body = Vec::with_capacity(content.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/x-tar\r\n\r\n",
            vendor::MULTIPART_PART
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A boundary that does not occur in `content` (its length and a checksum, re-tried).
fn boundary_for(content: &[u8]) -> String {
    let sum: u64 = content.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{sum:016x}{:x}", content.len())
}

fn log_reply(reply: &[u8], keys: &TrustedKeys) {
    match inbound::receive(reply, Limits::default(), keys, &Network::panzhihua()) {
        Ok(i) => {
            let p = i.envelope.payload();
            tracing::debug!(
                code = p.child_text("ResultCode"),
                desc = p.child_text("ResultDesc"),
                "EBD platform replied"
            );
        }
        Err(r) => tracing::debug!(reason = %r.reason, "EBD platform reply not readable"),
    }
}

fn desk_reason(e: &web::desk::DeskError) -> String {
    match e {
        web::desk::DeskError::Invalid(r) | web::desk::DeskError::Unauthenticated(r) => {
            r.iter().map(|r| r.message.clone()).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

impl EbdEndpoint for Platform {
    fn receive(&self, package: Result<Vec<u8>, String>, now: DateTime<Utc>) -> BoxFuture<'static, Reply> {
        let me = self.clone();
        Box::pin(async move { me.handle(package, now).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_off_air_is_a_fault_once_and_all_back_is_recovered_once() {
        let mut fault = false;
        assert_eq!(fault_change(&mut fault, &[]), None);
        let off = vec![("pzh-demo-tv".to_string(), 12.0)];
        let (state, desc) = fault_change(&mut fault, &off).unwrap();
        assert_eq!((state, desc.as_str()), (vendor::rbs_state::FAULT, "off air: pzh-demo-tv (12 s)"));
        assert_eq!(fault_change(&mut fault, &off), None, "reported once while it lasts");
        let both = vec![off[0].clone(), ("pzh-demo-radio".to_string(), 1.0)];
        assert_eq!(fault_change(&mut fault, &both), None);
        assert_eq!(fault_change(&mut fault, &[]).map(|s| s.0), Some(vendor::rbs_state::RECOVERED));
        assert_eq!(fault_change(&mut fault, &[]), None);
    }

    #[test]
    fn a_new_heartbeat_supersedes_spooled_ones_and_reports_stay() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["001-01345.tar", "002-10345.tar", "003-01345.tar", ".004-01345.tar.tmp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_spooled_heartbeats(dir.path());
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [".004-01345.tar.tmp", "002-10345.tar"]);
    }
}

//! A remote playout node (`kapok playout --channel ID --api URL`): one channel on air from the
//! API of a Kapok server — published days through `HttpSource`, as-run through
//! `HttpAsRunSink` (spooled while the API is away), media fetched through the API into the
//! local cache, and the alerts that target the channel handed to a local [`EmergencyDesk`],
//! which airs them exactly as `kapok serve` airs its own channels' (see `web::routes::playout`).
//!
//! Alerts are pushed: the node holds `/api/channels/{id}/alerts/stream` (server-sent events,
//! each the channel's whole set of active alerts) and reconnects with a growing backoff when it
//! drops or goes quiet for longer than three keep-alives. Only while the stream is down does it
//! poll `/api/channels/{id}/alerts/active` every 0.5 s, so an older server, or a proxy that
//! will not pass the stream, still reaches the node.
//!
//! Blocking (`ureq`, threads): run it outside an async runtime.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use catalog::audit::Actor;
use catalog::channel::Channel;
use chrono::{DateTime, Offset, Utc};
use playout::cache::{FetchError, Fetcher, MediaCache};
use playout::channel::{AsRunSink, SourceError};
use playout::channel::{ChannelConfig, ChannelReport, ChannelRunner, HttpAsRunSink, HttpSource, PlaylistSource};
use playout::channel::{EventReader, ServerEvent};
use playout::{OnAirPlaylist, OutputTarget};
use schedules::emergency::scope::SenderScope;
use serde_json::Value;

use crate::desk::{DeskChannel, EmergencyDesk};
use playout::cache::SourceMedia;

pub mod backup;

/// How a node is run.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The server's base URL, e.g. `http://kapok.example:8080`.
    pub api: String,
    /// A `playout_node` token of the channel's centre.
    pub token: Option<String>,
    /// The channel's id or slug.
    pub channel: String,
    /// Local directory: media cache, as-run spool, HLS preview, alert work files.
    pub data: PathBuf,
    /// Where the output goes; empty: HLS under `<data>/hls/<slug>/`.
    pub outputs: Vec<OutputTarget>,
    /// Media cache size cap in bytes.
    pub cache_bytes: u64,
    /// A text crawl across the bottom of the picture (TV), e.g. a weather ticker; `None`:
    /// the channel's own (from the API).
    pub crawl: Option<String>,
    /// Local filler files (idents, short programmes) aired instead of the slate; empty: the
    /// channel's filler programmes (from the API, their media through the cache).
    pub fillers: Vec<PathBuf>,
    /// Give up (see [`Node::gave_up`]) when every output has been down this long: a
    /// supervisor (systemd `Restart=always`) then starts the node afresh, outputs rebuilt.
    /// `None`: never; stay up retrying.
    pub off_air_exit_after: Option<Duration>,
    /// The audio codec on air instead of the channel's own (`--audio-codec`); `None`: the
    /// channel's (AAC unless set).
    pub audio_codec: Option<catalog::channel::AudioCodec>,
    /// Main/backup (see [`backup`]): `None` for a lone node (outputs sent directly); the
    /// node's role otherwise, its UDP outputs then passing its output gate.
    pub role: Option<backup::Role>,
}

/// Why a node cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The channel is unknown to the API (and not remembered from an earlier run).
    #[error("channel {0}: {1}")]
    Channel(String, String),
    /// Local files (cache, spool) cannot be used.
    #[error("{0}")]
    Local(String),
    /// The channel could not go on air.
    #[error(transparent)]
    Playout(#[from] playout::channel::ChannelError),
}

#[derive(Clone)]
struct Api {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Api {
    fn get(&self, path: &str) -> Result<ureq::Response, String> {
        self.get_as(path, "application/json")
    }

    fn get_as(&self, path: &str, accept: &str) -> Result<ureq::Response, String> {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url).set("Accept", accept);
        if let Some(t) = &self.token {
            request = request.set("Authorization", &format!("Bearer {t}"));
        }
        request.call().map_err(|e| match e {
            ureq::Error::Status(code, r) => {
                let mut text = String::new();
                let _ = r.into_reader().take(500).read_to_string(&mut text);
                format!("{url}: HTTP {code} {}", text.trim())
            }
            ureq::Error::Transport(t) => format!("{url}: {t}"),
        })
    }
}

/// The channel from the API, remembered under `data` so a restart during an API outage still
/// knows its format.
fn channel_of(api: &Api, wanted: &str, data: &std::path::Path) -> Result<Channel, NodeError> {
    let remembered = data.join(format!("channel-{}.json", sanitize(wanted)));
    let fail = |m: String| NodeError::Channel(wanted.to_owned(), m);
    let listed = api.get("/api/channels").and_then(|r| {
        serde_json::from_reader::<_, Vec<serde_json::Value>>(r.into_reader().take(16 << 20)).map_err(|e| e.to_string())
    });
    let value = match listed {
        Ok(list) => {
            let found = list.into_iter().find(|c| c["id"] == wanted || c["slug"] == wanted);
            let value = found.ok_or_else(|| fail("not among the channels this token may read".into()))?;
            let _ = std::fs::create_dir_all(data);
            if let Err(e) = std::fs::write(&remembered, value.to_string()) {
                tracing::warn!(path = %remembered.display(), error = %e, "cannot remember the channel");
            }
            value
        }
        Err(e) => {
            tracing::warn!(error = %e, "API unavailable: using the channel as remembered");
            let text = std::fs::read_to_string(&remembered).map_err(|_| fail(format!("{e} (and not remembered)")))?;
            serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
        }
    };
    channel_from_json(&value).map_err(fail)
}

/// A channel from its API JSON (the catalog type is serialise-only).
fn channel_from_json(v: &serde_json::Value) -> Result<Channel, String> {
    #[derive(serde::Deserialize)]
    struct Wire {
        id: String,
        centre: String,
        slug: String,
        name: String,
        kind: String,
        format: catalog::channel::ChannelFormat,
        day_start: String,
        time_zone: String,
        created_at: DateTime<Utc>,
        #[serde(default)]
        fillers: Vec<catalog::ids::ProgrammeId>,
        #[serde(default)]
        crawl: Option<String>,
        #[serde(default)]
        logo: Option<catalog::channel::ChannelLogo>,
        #[serde(default)]
        service: catalog::channel::ServiceIds,
    }
    let w: Wire = serde_json::from_value(v.clone()).map_err(|e| format!("channel JSON: {e}"))?;
    Ok(Channel {
        id: catalog::ids::ChannelId::parse(&w.id).map_err(|e| e.to_string())?,
        centre: catalog::ids::CentreCode::parse(&w.centre).map_err(|e| e.to_string())?,
        slug: w.slug,
        name: w.name,
        kind: catalog::channel::ChannelKind::parse(&w.kind).map_err(|e| e.to_string())?,
        format: w.format,
        day_start: w.day_start,
        time_zone: w.time_zone,
        retired_at: None,
        created_at: w.created_at,
        fillers: w.fillers,
        crawl: w.crawl,
        logo: w.logo,
        service: w.service,
    })
}

/// The name of `channel`'s centre (`GET /api/centres`), the service provider in its SDT; its
/// area code when the API does not say.
fn centre_name(api: &Api, channel: &Channel) -> String {
    let code = channel.centre.as_str();
    let centres = api.get("/api/centres").and_then(|r| {
        serde_json::from_reader::<_, Vec<Value>>(r.into_reader().take(1 << 20)).map_err(|e| e.to_string())
    });
    let name = centres
        .ok()
        .and_then(|list| list.iter().find(|c| c["code"] == code).and_then(|c| c["name"].as_str().map(str::to_owned)));
    name.unwrap_or_else(|| {
        tracing::warn!(channel = %channel.slug, "centre name not read from the API: the SDT names the area code");
        code.to_owned()
    })
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `media://` keys seen in the schedule, with their checksums: the API serves media by checksum.
type Checksums = Arc<Mutex<HashMap<String, String>>>;

/// `HttpSource` that also notes each `media://` key's checksum for [`ApiFetcher`].
struct NotingSource {
    inner: HttpSource,
    checksums: Checksums,
}

impl PlaylistSource for NotingSource {
    fn published(
        &self,
        channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError> {
        let playlists = self.inner.published(channel, from, until)?;
        if let Ok(mut map) = self.checksums.lock() {
            for item in playlists.iter().flat_map(|p| p.items.iter()) {
                if let Some(m) = item.source.media() {
                    map.insert(m.key().to_owned(), m.sha256().to_owned());
                }
            }
        }
        Ok(playlists)
    }
}

/// Media through `GET /api/channels/{id}/media/{sha256}`.
struct ApiFetcher {
    api: Api,
    channel_id: String,
    checksums: Checksums,
}

impl Fetcher for ApiFetcher {
    fn fetch(&self, key: &str, dest: &mut dyn Write) -> Result<(), FetchError> {
        let sha = self.checksums.lock().ok().and_then(|m| m.get(key).cloned());
        let sha = sha.ok_or_else(|| FetchError::NotFound(format!("{key} (not in the schedule)")))?;
        let response = self.api.get(&format!("/api/channels/{}/media/{sha}", self.channel_id)).map_err(|e| {
            if e.contains("HTTP 404") {
                FetchError::NotFound(e)
            } else {
                FetchError::Unavailable(e)
            }
        })?;
        std::io::copy(&mut response.into_reader(), dest)?;
        Ok(())
    }
}

/// One channel on air from a remote API: see the module docs.
pub struct Node {
    runner: ChannelRunner,
    slug: String,
    off_air_exit_after: Option<Duration>,
    stopping: Arc<AtomicBool>,
    helpers: Vec<std::thread::JoinHandle<()>>,
    sink: Arc<HttpAsRunSink>,
    switch: Option<Arc<backup::Switch>>,
}

impl Node {
    /// Resolves the channel through the API (or as remembered), fills the media cache through
    /// it, and puts the channel on air.
    ///
    /// # Errors
    /// [`NodeError`] when the channel is unknown, the local directory is unusable or the
    /// output cannot be built. An API outage after start is not an error: the node airs what
    /// it holds (slate when nothing) and spools its as-run.
    pub fn start(opts: NodeOptions) -> Result<Node, NodeError> {
        let agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout(Duration::from_secs(60)).build();
        let api = Api { agent, base: opts.api.trim_end_matches('/').to_owned(), token: opts.token.clone() };
        let channel = channel_of(&api, &opts.channel, &opts.data)?;
        let id = channel.id.to_string();
        let local = |e: std::io::Error| NodeError::Local(format!("{}: {e}", opts.data.display()));
        std::fs::create_dir_all(&opts.data).map_err(local)?;
        let bad = |e: schedules::format::BadFormat| NodeError::Channel(opts.channel.clone(), e.to_string());
        channel.format.check_kind(channel.kind == catalog::channel::ChannelKind::Radio).map_err(bad)?;
        let format = match opts.audio_codec {
            Some(codec) => channel.format.with_audio_codec(codec).map_err(bad)?,
            None => channel.format,
        };
        let checksums = Checksums::default();
        let fetcher = Arc::new(ApiFetcher { api: api.clone(), channel_id: id.clone(), checksums: checksums.clone() });
        let cache = MediaCache::open(opts.data.join("cache"), opts.cache_bytes, fetcher)
            .map_err(|e| NodeError::Local(e.to_string()))?;
        let source = Arc::new(NotingSource {
            inner: HttpSource::new(&api.base, api.token.clone()),
            checksums: checksums.clone(),
        });
        let spool = opts.data.join("asrun").join(format!("{}.jsonl", sanitize(&channel.slug)));
        let sink = Arc::new(HttpAsRunSink::new(&api.base, api.token.clone(), spool));
        let mut targets = opts.outputs.clone();
        if targets.is_empty() {
            let hls = crate::onair::hls_dir(&opts.data, &channel.slug);
            std::fs::create_dir_all(&hls).map_err(local)?;
            targets.push(OutputTarget::Hls(hls));
        }
        let stopping = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(backup::OutputGate::default());
        if opts.role.is_some() {
            targets =
                backup::gated(targets, &gate, &stopping).map_err(|e| NodeError::Local(format!("output gate: {e}")))?;
        }
        let mut config = ChannelConfig::new(id.clone(), format, targets);
        config.cache = Some(Arc::new(cache));
        config.crawl = opts.crawl.clone().or_else(|| channel.crawl.clone());
        config.fillers = if opts.fillers.is_empty() {
            channel_fillers(&api, &channel, &checksums)
        } else {
            let files: Vec<String> = opts.fillers.iter().map(|f| f.to_string_lossy().into_owned()).collect();
            crate::onair::filler_items(&channel, &files).map_err(|e| NodeError::Local(format!("--filler: {e}")))?
        };
        config.logo = crate::onair::logo_of(&channel);
        config.service = Some(crate::onair::service_of(&channel, &centre_name(&api, &channel)));
        let runner = ChannelRunner::start(config, source, sink.clone() as Arc<dyn AsRunSink>)?;
        let desk = EmergencyDesk::new(opts.data.join("work"));
        desk.prepare().map_err(|e| NodeError::Local(format!("alert speech has nowhere to go: {e}")))?;
        desk.add_channel(DeskChannel {
            coverage: web::routes::playout::coverage(&channel),
            format,
            engine: runner.handle().engine().clone(),
            resume: playout::ResumePolicy::ResumeItem,
        });
        let spawn = |name: &str| std::thread::Builder::new().name(format!("node-{name}"));
        let mut helpers = Vec::new();
        // (By the channel's id: the as-run API takes it, as the runner's records do.)
        let switch =
            opts.role.clone().map(|role| backup::Switch::new(id.clone(), role, gate, sink.clone(), runner.handle()));
        if let Some(switch) = switch.clone() {
            let st = stopping.clone();
            let watcher = spawn("backup-watch").spawn(move || switch.watch_main(&st));
            helpers.push(watcher.map_err(|e| NodeError::Local(format!("cannot start a thread: {e}")))?);
        }
        let (st, s) = (stopping.clone(), sink.clone());
        let flusher = spawn("as-run-flush").spawn(move || {
            while !nap(&st, Duration::from_secs(2)) {
                s.flush();
            }
        });
        let (pushed_tx, pushed_rx) = std::sync::mpsc::channel();
        // A stream has no overall deadline; silence longer than three keep-alives is a dead one.
        let stream_agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout_read(STREAM_SILENCE).build();
        let stream_api = Api { agent: stream_agent, ..api.clone() };
        let (st, path) = (stopping.clone(), format!("/api/channels/{id}/alerts/stream"));
        // Not joined at stop: it may be blocked in a read until the next keep-alive, and it
        // touches nothing but its channel, whose receiver ends with the alerts thread.
        let stream = spawn("alert-stream").spawn(move || hold_stream(&stream_api, &path, &st, &pushed_tx));
        let (st, a, path) = (stopping.clone(), api.clone(), format!("/api/channels/{id}/alerts/active"));
        let mut taken = Taken::load(opts.data.join(format!("alerts-taken-{}.json", sanitize(&channel.slug))));
        let alerts = spawn("alerts").spawn(move || follow_alerts(&a, &path, &desk, &pushed_rx, &st, &mut taken));
        stream.map_err(|e| NodeError::Local(format!("cannot start a thread: {e}")))?;
        for thread in [flusher, alerts] {
            helpers.push(thread.map_err(|e| NodeError::Local(format!("cannot start a thread: {e}")))?);
        }
        tracing::info!(channel = %channel.slug, %id, api = %api.base, "remote playout node on air");
        Ok(Node {
            runner,
            slug: channel.slug,
            off_air_exit_after: opts.off_air_exit_after,
            stopping,
            helpers,
            sink,
            switch,
        })
    }

    /// The channel's controls and status.
    pub fn handle(&self) -> playout::channel::ChannelHandle {
        self.runner.handle()
    }

    /// The node's main/backup switch, when it has a role (see [`backup`]).
    pub fn switch(&self) -> Option<Arc<backup::Switch>> {
        self.switch.clone()
    }

    /// The channel's slug (its `channel` label in `/metrics`).
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// Why the node should end now, if it should: every output has been down for longer
    /// than [`NodeOptions::off_air_exit_after`], or the channel ended on its own (every
    /// output failed for good). The caller stops it and exits non-zero.
    pub fn gave_up(&self) -> Option<String> {
        if self.runner.is_finished() {
            return Some("the channel ended: every output target failed".into());
        }
        let grace = self.off_air_exit_after?;
        let status = self.runner.handle().status();
        let off = status.off_air_s.filter(|s| *s >= grace.as_secs_f64())?;
        Some(format!("off air for {off:.0} s (limit {} s): every output target is down", grace.as_secs()))
    }

    /// Stops the channel, then tries once more to deliver the spooled as-run.
    ///
    /// # Errors
    /// As [`ChannelRunner::stop`].
    pub fn stop(self) -> Result<ChannelReport, NodeError> {
        self.stopping.store(true, Ordering::SeqCst);
        let report = self.runner.stop();
        for h in self.helpers {
            let _ = h.join();
        }
        let left = self.sink.flush();
        if left > 0 {
            tracing::warn!(records = left, "as-run still spooled: sent at the next start");
        }
        Ok(report?)
    }
}

/// The channel's filler programmes as `media://` items of their house files, read through the
/// API (`GET /api/programmes/{id}/assets`), their checksums noted for [`ApiFetcher`]. A filler
/// the API does not answer for is left out (logged): the node still goes on air.
fn channel_fillers(api: &Api, channel: &Channel, checksums: &Checksums) -> Vec<playout::playlist::Item> {
    let mut sources = Vec::new();
    for id in &channel.fillers {
        let assets = api.get(&format!("/api/programmes/{id}/assets")).and_then(|r| {
            serde_json::from_reader::<_, Vec<Value>>(r.into_reader().take(1 << 20)).map_err(|e| e.to_string())
        });
        let house = assets.map(|list| list.into_iter().find(|a| a["kind"] == "house"));
        match house {
            Ok(Some(a)) => {
                let (key, sha) = (a["key"].as_str().unwrap_or_default(), a["sha256"].as_str().unwrap_or_default());
                if let Ok(mut map) = checksums.lock() {
                    map.insert(key.to_owned(), sha.to_owned());
                }
                sources.push(format!("media://{key}?sha256={sha}"));
            }
            Ok(None) => tracing::warn!(programme = %id, "filler has no house file: left out"),
            Err(e) => tracing::warn!(programme = %id, error = %e, "filler not read from the API: left out"),
        }
    }
    crate::onair::filler_items(channel, &sources).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "fillers not usable");
        Vec::new()
    })
}

/// Sleeps `d` in short steps; true when the node is stopping.
fn nap(stopping: &AtomicBool, d: Duration) -> bool {
    let step = Duration::from_millis(100);
    let mut left = d;
    while !left.is_zero() {
        if stopping.load(Ordering::SeqCst) {
            return true;
        }
        std::thread::sleep(step.min(left));
        left = left.saturating_sub(step);
    }
    stopping.load(Ordering::SeqCst)
}

/// How often the active alerts are polled while the stream is down.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// A stream silent this long (three of the server's keep-alives) is taken for dead.
const STREAM_SILENCE: Duration = Duration::from_secs(15);
/// Reconnection backoff: from the first, doubling, to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(10));
/// Largest set of alerts accepted in one event or poll.
const MAX_ALERTS_BYTES: usize = 16 << 20;

/// What the stream thread tells the alerts thread.
enum Pushed {
    /// The server's whole set of active alerts for the channel.
    Alerts(Vec<Value>),
    /// The stream is down (why); poll until the next `Alerts`.
    Down(String),
}

/// Holds the alert stream, reconnecting with backoff, until the node stops.
fn hold_stream(api: &Api, path: &str, stopping: &AtomicBool, tx: &Sender<Pushed>) {
    let mut backoff = BACKOFF.0;
    while !stopping.load(Ordering::SeqCst) {
        let (delivered, why) = match api.get_as(path, "text/event-stream") {
            Ok(response) => read_stream(response, stopping, tx),
            Err(e) => (false, e),
        };
        if stopping.load(Ordering::SeqCst) || tx.send(Pushed::Down(why)).is_err() {
            return;
        }
        if delivered {
            backoff = BACKOFF.0;
        }
        if nap(stopping, backoff) {
            return;
        }
        backoff = (backoff * 2).min(BACKOFF.1);
    }
}

/// Forwards the stream's `alerts` events until it ends; whether any arrived, and why it ended.
fn read_stream(response: ureq::Response, stopping: &AtomicBool, tx: &Sender<Pushed>) -> (bool, String) {
    let mut events = EventReader::new(std::io::BufReader::new(response.into_reader()), MAX_ALERTS_BYTES);
    let mut delivered = false;
    loop {
        if stopping.load(Ordering::SeqCst) {
            return (delivered, "stopping".into());
        }
        match events.next_event() {
            Ok(Some(ServerEvent { event, data, .. })) if event == "alerts" => {
                match serde_json::from_str::<Vec<Value>>(&data) {
                    Ok(list) => {
                        if tx.send(Pushed::Alerts(list)).is_err() {
                            return (delivered, "stopping".into());
                        }
                        delivered = true;
                    }
                    Err(e) => return (delivered, format!("an alerts event that is not a JSON array: {e}")),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return (delivered, "the server ended the stream".into()),
            Err(e) => return (delivered, format!("stream read: {e}")),
        }
    }
}

/// Airs what the stream pushes; polls only while the stream is down.
fn follow_alerts(
    api: &Api,
    path: &str,
    desk: &EmergencyDesk,
    pushed: &Receiver<Pushed>,
    stopping: &AtomicBool,
    taken: &mut Taken,
) {
    let mut seen = HashMap::new();
    let mut streaming = false;
    let mut polled: Option<Instant> = None;
    while !stopping.load(Ordering::SeqCst) {
        match pushed.recv_timeout(Duration::from_millis(100)) {
            Ok(Pushed::Alerts(list)) => {
                if !streaming {
                    tracing::info!("alerts pushed by the server (stream up): polling stops");
                    streaming = true;
                }
                apply_alerts(desk, list, &mut seen, taken);
            }
            Ok(Pushed::Down(why)) => {
                if streaming {
                    tracing::warn!(reason = %why, "alert stream down: polling until it is back");
                } else {
                    tracing::debug!(reason = %why, "alert stream not up");
                }
                streaming = false;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                streaming = false;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        if !streaming && polled.is_none_or(|at| at.elapsed() >= POLL_EVERY) {
            polled = Some(Instant::now());
            poll_alerts(api, path, desk, &mut seen, taken);
        }
    }
}

/// Polls the active alerts once and airs them as [`apply_alerts`] does.
fn poll_alerts(
    api: &Api,
    path: &str,
    desk: &EmergencyDesk,
    seen: &mut HashMap<String, Option<Value>>,
    taken: &mut Taken,
) {
    let list = api.get(path).and_then(|r| {
        serde_json::from_reader::<_, Vec<Value>>(r.into_reader().take(MAX_ALERTS_BYTES as u64))
            .map_err(|e| e.to_string())
    });
    match list {
        Ok(l) => apply_alerts(desk, l, seen, taken),
        Err(e) => tracing::debug!(error = %e, "alerts not polled"),
    }
}

/// Hands every alert of the server's active `list` not seen before to the local desk (which
/// de-duplicates, targets, airs, and lets an Update or Cancel replace what it ends). An alert
/// that leaves the list (cancelled there, superseded, expired) is ended here by a Cancel
/// naming it. An alert this node took in before it restarted is not aired again (as
/// `kapok serve` does not re-air after a restart: an Update airs it again).
fn apply_alerts(desk: &EmergencyDesk, list: Vec<Value>, seen: &mut HashMap<String, Option<Value>>, taken: &mut Taken) {
    let mut active = HashSet::new();
    for entry in list {
        let key = entry["key"].as_str().unwrap_or_default().to_owned();
        if key.is_empty() {
            continue;
        }
        active.insert(key.clone());
        if seen.contains_key(&key) {
            continue;
        }
        if taken.has(&key) {
            tracing::info!(alert = %key, "alert taken in before this node restarted: not aired again");
            seen.insert(key, None);
            continue;
        }
        let aired = scope_of(&entry).is_some_and(|scope| receive(desk, &key, &entry["alert"], scope));
        taken.add(&key);
        seen.insert(key, aired.then(|| entry["alert"].clone()));
    }
    let ended: Vec<(String, Value)> = seen
        .iter_mut()
        .filter(|(key, _)| !active.contains(*key))
        .filter_map(|(key, alert)| alert.take().map(|a| (key.clone(), a)))
        .collect();
    for (key, alert) in ended {
        receive(desk, &format!("{key} (ended upstream)"), &cancel_of(&alert), SenderScope::Network);
    }
}

/// The area the server says the alert's sender may interrupt (`scope`, absent for the whole
/// network); `None` when the node cannot read it (the alert then airs nowhere rather than
/// everywhere).
fn scope_of(entry: &Value) -> Option<SenderScope> {
    match entry["scope"].as_str() {
        None => Some(SenderScope::Network),
        Some(code) => match schedules::emergency::area_code::AreaCode::parse(code) {
            Ok(a) => Some(SenderScope::Area(a)),
            Err(e) => {
                tracing::error!(scope = code, error = %e, "alert scope not understood: the alert is not aired");
                None
            }
        },
    }
}

fn receive(desk: &EmergencyDesk, key: &str, alert: &Value, scope: SenderScope) -> bool {
    match desk.receive_as(alert.to_string().as_bytes(), Utc::now(), Actor::system("api"), scope) {
        Ok(receipt) => {
            tracing::warn!(alert = %key, outcome = receipt.outcome, channels = ?receipt.channels, "alert from the API");
            true
        }
        Err(e) => {
            tracing::error!(alert = %key, error = %e, "alert from the API refused by the local desk");
            false
        }
    }
}

/// The alerts this node has taken in, kept in a file under its data directory so that a
/// restarted node does not air again what it aired before (the server keeps an alert active
/// until it ends, and a node's desk starts empty). Entries older than two days are dropped.
struct Taken {
    path: PathBuf,
    keys: HashMap<String, DateTime<Utc>>,
}

impl Taken {
    const KEEP: chrono::TimeDelta = chrono::TimeDelta::days(2);

    fn load(path: PathBuf) -> Taken {
        let keys: HashMap<String, DateTime<Utc>> =
            std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let now = Utc::now();
        let keys = keys.into_iter().filter(|(_, at)| now - *at < Self::KEEP).collect();
        Taken { path, keys }
    }

    fn has(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Notes `key` and writes the file (through a temporary file, so a kill mid-write
    /// leaves the old one).
    fn add(&mut self, key: &str) {
        let now = Utc::now();
        self.keys.retain(|_, at| now - *at < Self::KEEP);
        self.keys.insert(key.to_owned(), now);
        let tmp = self.path.with_extension("json.tmp");
        let written = serde_json::to_vec(&self.keys)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(&tmp, b))
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            tracing::warn!(file = %self.path.display(), error = %e, "alerts taken in not noted: a restart would air them again");
        }
    }
}

/// A Cancel (JSON alert form) of `alert`, from its sender.
fn cancel_of(alert: &Value) -> Value {
    let mut cancel = alert.clone();
    let reference = match alert["origin"].as_str() {
        Some("ebm") => serde_json::json!({ "ebm_id": alert["id"] }),
        _ => serde_json::json!({ "sender": alert["sender"], "identifier": alert["id"], "sent": alert["sent"] }),
    };
    // An EBM cancel names what it stops by the EBM ID itself (GY/T 385: MsgType 2 with the
    // same EBMID), which is its own key; a CAP-style cancel is a message of its own.
    if alert["origin"].as_str() != Some("ebm") {
        cancel["id"] = Value::String(format!("{}-ended-upstream", alert["id"].as_str().unwrap_or_default()));
    }
    cancel["msg_type"] = Value::String("Cancel".into());
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
    cancel["sent"] = Value::String(Utc::now().with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string());
    cancel["references"] = Value::Array(vec![reference]);
    cancel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_that_ended_upstream_is_cancelled_by_a_valid_cancel_naming_it() {
        let now = Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
        let alert = serde_json::json!({ "id": "A-1", "sender": "ops@510400", "sent": fmt(now - chrono::Duration::minutes(1)),
            "status": "Actual", "msg_type": "Alert", "severity": "Severe", "urgency": "Immediate",
            "certainty": "Observed", "event": "暴雨", "areas": [{ "desc": "市", "codes": ["510400"] }],
            "expires": fmt(now + chrono::Duration::hours(1)), "resources": [], "language": "zh-CN" });
        let report = schedules::emergency::validate_document(alert.to_string().as_bytes());
        let original = report.alert.expect("valid alert");
        let cancel = cancel_of(&serde_json::to_value(&original).unwrap());
        let report = schedules::emergency::validate_document(cancel.to_string().as_bytes());
        assert!(report.valid, "{:?}", report.reasons);
        let cancel = report.alert.unwrap();
        assert_eq!(cancel.msg_type, schedules::emergency::vocab::MsgType::Cancel);
        assert_eq!(cancel.references[0].key(), original.key());
    }

    #[test]
    fn an_ebm_that_ended_upstream_is_cancelled_on_the_node_too() {
        let now = Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
        let ebm = serde_json::json!({ "origin": "ebm", "id": "15104000000000000000000202612060001", "sender": "platform",
            "sent": fmt(now - chrono::Duration::minutes(1)), "status": "Actual", "msg_type": "Alert",
            "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
            "areas": [{ "desc": "市", "codes": ["510400"] }], "expires": fmt(now + chrono::Duration::hours(1)),
            "resources": [], "language": "zh-CN" });
        let dir = tempfile::tempdir().unwrap();
        let desk = EmergencyDesk::new(dir.path().to_path_buf());
        let first = desk.receive(ebm.to_string().as_bytes(), Utc::now()).expect("the EBM as the node gets it");
        let original = desk.alerts().into_iter().find(|t| t.alert.key().as_str() == first.key).unwrap().alert;
        let cancel = cancel_of(&serde_json::to_value(&original).unwrap());
        let receipt = desk.receive(cancel.to_string().as_bytes(), Utc::now()).expect("the cancel is taken");
        assert_eq!(receipt.key, first.key);
        assert!(desk.alerts().iter().all(|t| t.alert.key().as_str() != first.key), "still live: {receipt:?}");
    }
}

//! [`ChannelRunner`]: one channel on air in real time for as long as the process runs.
//!
//! Three threads: the engine (frames, never blocks on anything else), the watcher (polls the
//! schedule source, asks the engine to replan when what lies ahead changed, feeds the cache
//! prefetcher) and the as-run writer (hands records to the sink, so a slow sink never delays
//! a frame). The engine's timeline is anchored to the wall clock at start, so every (re)join
//! is computed from the engine's exact position, not from a sleeping thread's idea of "now".

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::source::{AsRunSink, PlaylistSource};
use super::watch::{guide_loop, prefetch_loop, watch};
use super::window::{agenda, ahead, live_at, merge, Entry, Joined};
use super::ChannelError;
use crate::asrun::{AsRunRecord, Outcome};
use crate::cache::SourceMedia;
use crate::cache::{MediaCache, MediaRef};
use crate::clock::{StepDetector, SystemClock, SystemWall, WallClock};
use crate::engine::{Engine, EngineConfig, EngineHandle, ResumePolicy};
use crate::output::Output;
use crate::output::OutputTarget;
use crate::playlist::{Item, OnAirPlaylist, Source};
use crate::status::Status;
use crate::timeline::{ChannelFormat, MediaTime};

/// How buffers are released ahead of their wall-clock time (encoder and sink headroom).
const LEAD: Duration = Duration::from_millis(100);

/// What a channel needs besides its schedule.
#[derive(Clone)]
pub struct ChannelConfig {
    /// Channel id (as-run, metrics, logs).
    pub channel: String,
    /// The output format; published playlists of another format are refused (logged).
    pub format: ChannelFormat,
    /// Where the output goes; built once at start.
    pub targets: Vec<OutputTarget>,
    /// How far ahead the schedule is loaded and its media prefetched.
    pub window: Duration,
    /// How often the schedule source is polled for changes.
    pub poll: Duration,
    /// Local media cache resolving `media://` sources; without it they air as slate.
    pub cache: Option<Arc<MediaCache>>,
    /// A text crawl across the bottom of the programme (TV), e.g. a weather ticker.
    pub crawl: Option<String>,
    /// Filler programmes (local files or `media://` sources of the cache: idents, short
    /// programmes) aired in rotation instead of the slate when media is missing, a live
    /// source drops or nothing is scheduled. `media://` fillers are prefetched with the
    /// schedule's media and air once cached.
    pub fillers: Vec<crate::playlist::Item>,
    /// The station logo burnt into every frame (TV), fixed for the life of the output.
    pub logo: Option<crate::output_logo::Logo>,
    /// Service information in the TS (SDT, EIT from [`PlaylistSource::guide`], the PAT with
    /// the channel's ids); `None`: PAT and PMT only, numbered by the mux.
    pub service: Option<crate::si::ServiceInfo>,
    /// The wall clock the schedule is placed by (the system's; a test steps its own).
    pub wall: Arc<dyn WallClock>,
}

impl ChannelConfig {
    /// A channel `channel` of `format` into `targets`, with a 48 h window polled every 5 s.
    pub fn new(channel: impl Into<String>, format: ChannelFormat, targets: Vec<OutputTarget>) -> ChannelConfig {
        ChannelConfig {
            channel: channel.into(),
            format,
            targets,
            window: Duration::from_secs(48 * 3600),
            poll: Duration::from_secs(5),
            cache: None,
            crawl: None,
            fillers: Vec::new(),
            logo: None,
            service: None,
            wall: Arc::new(SystemWall),
        }
    }
}

/// Fillers and crawl asked for while the channel runs, applied at the next (re)plan.
#[derive(Default)]
pub(super) struct Extras {
    /// A new filler list and crawl not applied yet.
    pending: Option<(Vec<crate::playlist::Item>, Option<String>)>,
    /// The filler list as configured (`media://` sources unresolved).
    pub(super) fillers: Vec<crate::playlist::Item>,
    /// Filler media not in the cache when the list was last applied.
    pub(super) missing: HashSet<MediaRef>,
}

/// What a channel aired, returned when it stops.
#[derive(Debug, Clone)]
pub struct ChannelReport {
    /// Video frames emitted (0 on radio).
    pub frames_out: u64,
    /// Audio samples (per channel) emitted.
    pub samples_out: u64,
    /// Targets that failed while the others went on, as (target, reason).
    pub failed_targets: Vec<(String, String)>,
}

#[derive(Default)]
pub(super) struct Slip {
    /// How far ahead of the published schedule soft items run (after skips).
    pub(super) ahead: chrono::Duration,
    /// When the slip ends: the next hard start.
    until: Option<DateTime<Utc>>,
    /// A skip asked for: the published time to jump to at the next (re)join.
    target: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub(super) struct Notes {
    joined: Option<Joined>,
    skipping: bool,
    /// Wall clock of the timeline zero of the playlist being run (items' scheduled times).
    origin: Option<DateTime<Utc>>,
    /// A wall-clock step that cut the item on air: its note on that item's record.
    step: Option<String>,
}

pub(super) struct Shared {
    pub(super) channel: String,
    pub(super) format: ChannelFormat,
    pub(super) window: chrono::Duration,
    pub(super) source: Arc<dyn PlaylistSource>,
    pub(super) cache: Option<Arc<MediaCache>>,
    pub(super) wall: Arc<dyn WallClock>,
    /// Wall clock of the timeline's zero, as (from timeline position, epoch): one entry more
    /// at each re-anchor after a wall-clock step.
    pub(super) epochs: Mutex<Vec<(MediaTime, DateTime<Utc>)>>,
    /// After a step back: the wall time up to which the schedule has already aired; the
    /// channel holds (fill) until the wall clock is there again.
    pub(super) hold_until: Mutex<Option<DateTime<Utc>>>,
    pub(super) engine: EngineHandle,
    pub(super) latest: Mutex<Option<OnAirPlaylist>>,
    pub(super) loaded: Mutex<Vec<Entry>>,
    /// The end of the window `loaded` was taken from (`None` before the first load).
    pub(super) loaded_until: Mutex<Option<DateTime<Utc>>>,
    pub(super) slip: Mutex<Slip>,
    pub(super) notes: Mutex<Notes>,
    pub(super) missing: Mutex<HashSet<MediaRef>>,
    pub(super) extras: Mutex<Extras>,
    pub(super) stopping: AtomicBool,
    /// How often the watcher found the schedule ahead changed and asked for a replan.
    pub(super) replans: AtomicU64,
    pub(super) wake: (Mutex<()>, Condvar),
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every value behind these locks is replaced whole, so a poisoned one is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Reads the published schedule around `now`; on failure keeps (and returns) the last one.
    pub(super) fn refresh(&self, now: DateTime<Utc>) -> Option<OnAirPlaylist> {
        match self.source.published(&self.channel, now, now + self.window) {
            Ok(playlists) => {
                let (merged, problems) = merge(&self.format, playlists);
                for p in problems {
                    tracing::warn!(channel = %self.channel, "{p}");
                }
                lock(&self.latest).clone_from(&merged);
                merged
            }
            Err(e) => {
                tracing::warn!(channel = %self.channel, error = %e, "schedule source failed: airing what is loaded");
                lock(&self.latest).clone()
            }
        }
    }

    /// Wall clock of timeline position `at` (by the anchor in force there).
    pub(super) fn wall_at(&self, at: MediaTime) -> DateTime<Utc> {
        let epochs = lock(&self.epochs);
        let epoch = epochs.iter().rev().find(|(from, _)| *from <= at).or(epochs.first()).map(|(_, e)| *e);
        epoch.unwrap_or(DateTime::<Utc>::UNIX_EPOCH) + at.to_chrono()
    }

    /// The engine's position on its timeline now (the last frame or sample pushed).
    pub(super) fn position(&self) -> MediaTime {
        let status = self.engine.status();
        match self.format.video {
            Some(v) => v.fps.frames_to_time(status.frames_out),
            None => self.format.sample_time(status.samples_out),
        }
    }

    pub(super) fn tolerance(&self) -> chrono::Duration {
        match self.format.video {
            Some(v) => v.fps.frames_to_time(1).to_chrono(),
            None => chrono::Duration::milliseconds(20),
        }
    }
}

/// An item of the schedule a channel follows, placed on the wall clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// When it airs (after a skip, earlier than published).
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// The item (its source as scheduled: `media://…`, a live URI, `slate`).
    pub item: Item,
}

/// What a channel airs now, by the schedule it has loaded and by its engine: see
/// [`ChannelHandle::on_air`].
#[derive(Debug, Clone)]
pub struct OnAirNow {
    /// The item due now; `None` in a gap (slate or fillers air).
    pub now: Option<Slot>,
    /// In a gap: when the item before it ended.
    pub gap_from: Option<DateTime<Utc>>,
    /// The item after it.
    pub next: Option<Slot>,
    /// The engine's status: an override on air (`now` as `override: …`), the filler airing.
    pub status: Status,
}

#[derive(Clone)]
pub struct ChannelHandle {
    shared: Arc<Shared>,
}

impl ChannelHandle {
    /// Puts `source` on air at the next frame once it is open (see [`EngineHandle::override_with`]).
    pub fn override_with(&self, source: Source) {
        self.shared.engine.override_with(source);
    }

    /// Opens `source` ahead, so a later override with it is on air at the next frame (see
    /// [`EngineHandle::arm_override`]).
    pub fn arm_override(&self, source: Source) {
        self.shared.engine.arm_override(source);
    }

    /// Ends the override. With [`ResumePolicy::ResumeItem`] the interrupted item finishes
    /// and the channel then rejoins the schedule at the wall clock.
    pub fn release(&self, policy: ResumePolicy) {
        self.shared.engine.release(policy);
    }

    /// Ends the item on air at the next frame; the next item starts now and the soft items
    /// after it run early until the next hard start, which keeps its time (slate fills up
    /// to it if the list runs out).
    pub fn skip(&self) {
        let shared = &self.shared;
        let mut slip = lock(&shared.slip);
        let published = shared.wall.now() + slip.ahead;
        let loaded = lock(&shared.loaded);
        let Some(current) = loaded.iter().find(|e| e.start <= published && e.end > published) else {
            return; // a gap: nothing to skip
        };
        slip.target = Some(current.end);
        slip.until = loaded.iter().find(|e| e.item.hard && e.start >= current.end).map(|e| e.start);
        lock(&shared.notes).skipping = true;
        shared.engine.return_now();
        tracing::info!(channel = %shared.channel, "skip");
    }

    /// What is on air, what is next, counters.
    pub fn status(&self) -> Status {
        self.shared.engine.status()
    }

    /// What airs now and next by the schedule loaded (a published day or the channel's own
    /// cycle), with the engine's status: the answer to "what is on" whether or not a day is
    /// published.
    pub fn on_air(&self) -> OnAirNow {
        let shared = &self.shared;
        let ahead = lock(&shared.slip).ahead;
        let published = shared.wall.now() + ahead;
        let slot = |e: &Entry| Slot { start: e.start - ahead, end: e.end - ahead, item: e.item.clone() };
        let loaded = lock(&shared.loaded);
        let now = loaded.iter().find(|e| e.start <= published && published < e.end).map(slot);
        let next = loaded.iter().find(|e| e.start > published).map(slot);
        let gap_from = match now {
            Some(_) => None,
            None => loaded.iter().filter(|e| e.end <= published).map(|e| e.end - ahead).max(),
        };
        drop(loaded);
        OnAirNow { now, gap_from, next, status: self.status() }
    }

    /// The channel's metrics in Prometheus text format.
    pub fn prometheus(&self) -> String {
        self.status().prometheus(&self.shared.channel)
    }

    /// How many times the schedule ahead was found changed since the channel started (each
    /// logged as `schedule changed` and applied after the item on air).
    pub fn replans(&self) -> u64 {
        self.shared.replans.load(Ordering::Relaxed)
    }

    /// Wall-clock time of the channel's timeline zero (as re-anchored by the last wall-clock
    /// step, if any).
    pub fn epoch(&self) -> DateTime<Utc> {
        lock(&self.shared.epochs).last().map_or(DateTime::<Utc>::UNIX_EPOCH, |(_, e)| *e)
    }

    /// The engine's own handle (timed overrides, stop).
    pub fn engine(&self) -> &EngineHandle {
        &self.shared.engine
    }

    /// Replaces the fillers and the crawl (a channel edited while on air): they apply when
    /// the item on air ends (`media://` fillers once their media is cached).
    pub fn set_fillers_and_crawl(&self, fillers: Vec<crate::playlist::Item>, crawl: Option<String>) {
        lock(&self.shared.extras).pending = Some((fillers, crawl));
        self.shared.wake.1.notify_all();
        self.shared.engine.return_after_item();
    }
}

/// One channel on air: see the module docs.
pub struct ChannelRunner {
    handle: ChannelHandle,
    engine: JoinHandle<Result<ChannelReport, ChannelError>>,
    watcher: JoinHandle<()>,
    as_run: JoinHandle<()>,
}

impl ChannelRunner {
    /// Builds the output and puts the channel on air: it joins the schedule at the item due
    /// now, at the right offset, and follows it until [`ChannelRunner::stop`].
    ///
    /// # Errors
    /// [`ChannelError::Playout`] when the output cannot be built (missing GStreamer elements,
    /// a bad target), [`ChannelError::Thread`] when a thread cannot start. Schedule and media
    /// problems are not errors: they air as slate and are logged and recorded.
    pub fn start(
        config: ChannelConfig,
        source: Arc<dyn PlaylistSource>,
        sink: Arc<dyn AsRunSink>,
    ) -> Result<ChannelRunner, ChannelError> {
        let output =
            Output::start_with(&config.format, &config.targets, true, config.logo.as_ref(), config.service.as_ref())?;
        let si = output.si();
        // Timeline zero on the wall clock's frame grid, a frame ahead at most: every node of
        // the channel (main and backup) then emits the same frames at the same times.
        let (mono, wall) = (Instant::now(), config.wall.now());
        let epoch = crate::clock::frame_grid_ceil(wall, &config.format);
        let zero = mono + (epoch - wall).to_std().unwrap_or_default();
        if let Some(si) = &si {
            si.set_epoch(epoch);
        }
        let clock = SystemClock::anchored(zero, LEAD);
        let mut engine = Engine::new(config.format, output, clock, EngineConfig::real_time());
        let extras = Extras { pending: Some((config.fillers.clone(), config.crawl.clone())), ..Extras::default() };
        let shared = Arc::new(Shared {
            channel: config.channel.clone(),
            format: config.format,
            window: chrono::Duration::from_std(config.window).unwrap_or(chrono::Duration::hours(48)),
            source,
            cache: config.cache.clone(),
            wall: config.wall.clone(),
            epochs: Mutex::new(vec![(MediaTime::ZERO, epoch)]),
            hold_until: Mutex::new(None),
            engine: engine.handle(),
            latest: Mutex::new(None),
            loaded: Mutex::new(Vec::new()),
            loaded_until: Mutex::new(None),
            slip: Mutex::new(Slip::default()),
            notes: Mutex::new(Notes::default()),
            missing: Mutex::new(HashSet::new()),
            extras: Mutex::new(extras),
            stopping: AtomicBool::new(false),
            replans: AtomicU64::new(0),
            wake: (Mutex::new(()), Condvar::new()),
        });
        let (tx, rx) = mpsc::channel::<AsRunRecord>();
        let notes = shared.clone();
        engine.set_observer(Box::new(move |record| {
            let _ = tx.send(annotate(&notes, record));
        }));
        let spawn = |name: &'static str| std::thread::Builder::new().name(format!("playout-{name}"));
        let channel = config.channel.clone();
        let as_run = spawn("as-run")
            .spawn(move || {
                for record in rx {
                    if record.on_air {
                        sink.started(&channel, &record);
                    } else {
                        sink.record(&channel, &record);
                    }
                }
            })
            .map_err(|e| ChannelError::Thread("as-run", e))?;
        let (prefetch_tx, prefetch_rx) = mpsc::channel::<Vec<MediaRef>>();
        if let Some(cache) = config.cache.clone() {
            let shared = shared.clone();
            spawn("prefetch")
                .spawn(move || prefetch_loop(&shared, &cache, &prefetch_rx))
                .map_err(|e| ChannelError::Thread("prefetch", e))?;
        }
        if let Some(si) = si {
            let shared = shared.clone();
            spawn("si").spawn(move || guide_loop(&shared, &si)).map_err(|e| ChannelError::Thread("si", e))?;
        }
        let followed = shared.clone();
        spawn("wall-clock")
            .spawn(move || follow_wall_clock(&followed, zero))
            .map_err(|e| ChannelError::Thread("wall-clock", e))?;
        let watched = shared.clone();
        let poll = config.poll;
        let watcher = spawn("watcher")
            .spawn(move || watch(&watched, poll, &prefetch_tx))
            .map_err(|e| ChannelError::Thread("watcher", e))?;
        let on_air = shared.clone();
        let engine = spawn("engine")
            .spawn(move || {
                let result = air(&on_air, &mut engine);
                let (frames_out, samples_out) = engine.counters();
                let failed_targets = engine.finish()?;
                result?;
                Ok(ChannelReport { frames_out, samples_out, failed_targets })
            })
            .map_err(|e| ChannelError::Thread("engine", e))?;
        Ok(ChannelRunner { handle: ChannelHandle { shared }, engine, watcher, as_run })
    }

    /// Controls: override, release, skip, status.
    pub fn handle(&self) -> ChannelHandle {
        self.handle.clone()
    }

    /// True when the channel has ended on its own: every output target failed (or the engine
    /// panicked). [`ChannelRunner::stop`] then returns the error; a supervisor restarts the
    /// channel, which rejoins the schedule.
    pub fn is_finished(&self) -> bool {
        self.engine.is_finished()
    }

    /// Airs until `shutdown` returns (a blocking wait on the process's shutdown signal), then
    /// stops and drains as [`ChannelRunner::stop`].
    ///
    /// # Errors
    /// As [`ChannelRunner::stop`].
    pub fn run_until(self, shutdown: impl FnOnce()) -> Result<ChannelReport, ChannelError> {
        shutdown();
        self.stop()
    }

    /// Stops at the next frame, drains the outputs (files complete), delivers the last as-run
    /// records to the sink and returns the totals. Blocking: from async code call it on a
    /// blocking thread once the shutdown signal fired.
    ///
    /// # Errors
    /// [`ChannelError::Playout`] when the output failed; [`ChannelError::Panicked`].
    pub fn stop(self) -> Result<ChannelReport, ChannelError> {
        let shared = &self.handle.shared;
        shared.stopping.store(true, Ordering::SeqCst);
        shared.engine.stop();
        shared.wake.1.notify_all();
        let report = self.engine.join().unwrap_or(Err(ChannelError::Panicked));
        let _ = self.watcher.join();
        let _ = self.as_run.join();
        report
    }
}

/// Fills in what only the channel knows: wall-clock times, how an item was joined, skips.
fn annotate(shared: &Shared, record: &AsRunRecord) -> AsRunRecord {
    let mut rec = record.clone();
    if rec.outcome != Outcome::Skipped {
        // (A skipped item never aired: it has no actual start.)
        let at = MediaTime::from_secs_f64(rec.actual_start_s).unwrap_or_default();
        rec.actual_wall = Some(shared.wall_at(at).to_rfc3339());
    }
    let mut notes = lock(&shared.notes);
    if rec.scheduled_wall.is_none() && rec.item.is_some() {
        // The slot the schedule gave the item: the key that makes its as-run line one line
        // whichever node (or run of a node) aired it.
        if let Some(origin) = notes.origin {
            let at = MediaTime::from_secs_f64(rec.scheduled_start_s).unwrap_or_default();
            rec.scheduled_wall = Some((origin + at.to_chrono()).to_rfc3339());
        }
    }
    if rec.reason.as_deref().is_some_and(|r| r.contains("ended early")) {
        if let Some(step) = notes.step.take() {
            rec.note(step);
        }
    }
    if rec.item == Some(0) {
        // (The provisional record of the item leaves the note for its final one.)
        let joined = if rec.on_air { notes.joined } else { notes.joined.take() };
        if let Some(j) = joined {
            rec.scheduled_wall = Some(j.scheduled.to_rfc3339());
            let into = j.into.num_nanoseconds().unwrap_or_default() as f64 / 1e9;
            rec.note(format!("joined {into:.3} s into the item"));
        }
    }
    if notes.skipping && rec.reason.as_deref().is_some_and(|r| r.contains("ended early")) {
        notes.skipping = false;
        rec.outcome = Outcome::Cut;
        rec.note("skipped by the operator");
    }
    drop(notes);
    // On the published slot exactly (a run's plan rounds to its own frames): every node
    // writes the same scheduled start for the item. (`loaded` is locked after `notes` is
    // released: `skip` takes them the other way round.)
    let slot = rec.scheduled_wall.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    if let (Some(t), Some(_)) = (slot, rec.item) {
        let t = t.with_timezone(&Utc);
        let near = shared.tolerance() * 3 / 2;
        if let Some(e) = lock(&shared.loaded).iter().find(|e| (e.start - t).abs() <= near) {
            rec.scheduled_wall = Some(e.start.to_rfc3339());
        }
    }
    rec
}

/// Applies a new filler list and crawl, or the fillers whose media has since been cached.
fn apply_extras(shared: &Shared, engine: &mut Engine<SystemClock>) {
    let mut extras = lock(&shared.extras);
    let arrived = shared.cache.as_ref().is_some_and(|c| extras.missing.iter().any(|m| c.get(m).is_some()));
    let crawl = match extras.pending.take() {
        Some((fillers, crawl)) => {
            extras.fillers = fillers;
            Some(crawl)
        }
        None if arrived => None,
        None => return,
    };
    let mut missing = HashSet::new();
    let mut usable = Vec::new();
    for wanted in &extras.fillers {
        match from_cache(shared, wanted) {
            Ok(item) => usable.push(item),
            Err(media) => {
                missing.insert(media);
            }
        }
    }
    if !missing.is_empty() {
        tracing::warn!(channel = %shared.channel, missing = missing.len(), "filler media not cached yet: airing the others");
    }
    extras.missing = missing;
    engine.set_fillers(usable);
    if let Some(crawl) = crawl {
        engine.set_ticker(crawl.as_deref().and_then(|text| ticker(&shared.channel, &shared.format, text)));
    }
}

/// The crawl `text` drawn for `format`, or `None` (logged) when no font is installed.
fn ticker(channel: &str, format: &ChannelFormat, text: &str) -> Option<Box<dyn crate::engine::Overlay>> {
    let ticker = crate::font::CjkFont::find()
        .map_err(|e| e.to_string())
        .and_then(|font| crate::ticker::Ticker::new(text, format, &font).map_err(|e| e.to_string()));
    match ticker {
        Ok(t) => Some(Box::new(t)),
        Err(e) => {
            tracing::warn!(%channel, error = %e, "text crawl not drawn");
            None
        }
    }
}

/// The engine thread: (re)join the schedule, run it until it ends or must be replanned.
fn air(shared: &Shared, engine: &mut Engine<SystemClock>) -> Result<(), ChannelError> {
    let tolerance = shared.tolerance();
    while !shared.stopping.load(Ordering::SeqCst) {
        apply_extras(shared, engine);
        let before = engine.counters();
        let position = match shared.format.video {
            Some(v) => v.fps.frames_to_time(before.0),
            None => shared.format.sample_time(before.1),
        };
        let now = shared.wall_at(position);
        // (Kept until caught up: a fill cut short by a pending return fills the rest next round.)
        let hold = {
            let mut hold = lock(&shared.hold_until);
            *hold = hold.filter(|h| *h - now > tolerance);
            *hold
        };
        if let Some(until) = hold {
            let length = MediaTime::from_nanos((until - now).num_nanoseconds().unwrap_or_default());
            let why = format!(
                "wall clock stepped back: held {:.3} s (slate or filler) until the schedule caught up with what had aired",
                length.as_secs_f64(),
            );
            tracing::warn!(channel = %shared.channel, hold_s = length.as_secs_f64(), "wall clock stepped back: holding until the schedule catches up");
            engine.fill_for(length, &why)?;
            continue;
        }
        let merged = shared.refresh(now);
        let slip = {
            let mut slip = lock(&shared.slip);
            if let Some(target) = slip.target.take() {
                slip.ahead = (target - now).max(chrono::Duration::zero());
            }
            if slip.until.is_some_and(|u| u <= now) {
                *slip = Slip::default();
            }
            slip.ahead
        };
        let live = merged.as_ref().and_then(|m| live_at(m, now, slip, tolerance));
        *lock(&shared.loaded) =
            merged.as_ref().map(|m| ahead(&agenda(m), now, now + shared.window)).unwrap_or_default();
        *lock(&shared.loaded_until) = Some(now + shared.window);
        match live {
            Some((playlist, joined)) => {
                let playlist = resolve(shared, playlist);
                {
                    let mut notes = lock(&shared.notes);
                    notes.joined = joined;
                    notes.origin = playlist.origin.map(|o| o.with_timezone(&Utc));
                }
                if let Some(j) = joined {
                    tracing::info!(channel = %shared.channel, into = %j.into, "joined the schedule mid-item");
                }
                engine.run(&playlist)?;
            }
            None => {
                tracing::info!(channel = %shared.channel, "nothing scheduled: slate until something is");
                engine.fill_until_stopped()?;
            }
        }
        if engine.counters() == before {
            std::thread::sleep(Duration::from_millis(20)); // nothing aired: do not spin
        }
    }
    Ok(())
}

/// `media://` sources replaced by their cached files; media not cached airs as slate.
fn resolve(shared: &Shared, playlist: OnAirPlaylist) -> OnAirPlaylist {
    let (playlist, missing) = resolved(shared, playlist);
    *lock(&shared.missing) = missing;
    playlist
}

/// `playlist` with `media://` sources resolved, and the media it lacks.
pub(super) fn resolved(shared: &Shared, mut playlist: OnAirPlaylist) -> (OnAirPlaylist, HashSet<MediaRef>) {
    let mut missing = HashSet::new();
    for item in &mut playlist.items {
        match from_cache(shared, item) {
            Ok(cached) => *item = cached,
            Err(media) => {
                item.source = Source::Path(PathBuf::from(format!("(not in the media cache) {}", media.key())));
                missing.insert(media);
            }
        }
    }
    (playlist, missing)
}

/// `item` with its `media://` source replaced by the cached file, or the media it needs when
/// that is not cached (yet). Any other source passes as it is. The one place a schedule's
/// or a filler's media reference becomes a file.
fn from_cache(shared: &Shared, item: &Item) -> Result<Item, MediaRef> {
    let Some(media) = item.source.media() else { return Ok(item.clone()) };
    match shared.cache.as_ref().and_then(|c| c.get(&media)) {
        Some(path) => Ok(Item { source: Source::Path(path), ..item.clone() }),
        None => Err(media),
    }
}

/// Longest a wall-clock read may take between its two monotonic reads to count (a read takes
/// well under a microsecond unless the thread is preempted).
const READ_PAIR_MAX: Duration = Duration::from_millis(2);

/// The wall-clock thread: compares the wall clock with the monotonic one every 5 ms and
/// re-anchors the channel when the wall clock steps by more than a frame (a slew is not
/// followed). Forward: the timeline's wall time moves on by the step and the engine replans
/// at once, cutting to where the schedule is now. Back: the timeline's wall time moves back
/// and the channel holds (fill) until the schedule is where it had already aired. Both are
/// logged and noted in the as-run.
fn follow_wall_clock(shared: &Shared, zero: Instant) {
    let mut detector = StepDetector::new(shared.tolerance());
    while !shared.stopping.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(5));
        // The wall clock read between two monotonic reads: a thread preempted between its
        // reads (a loaded machine: 58 and 102 ms seen at start-up) would take the delay for a
        // step, back then forward, and cut the air twice. Such a pair says nothing; skip it.
        let before = Instant::now();
        let wall = shared.wall.now();
        let after = Instant::now();
        if after - before > READ_PAIR_MAX {
            continue;
        }
        let mono = before.saturating_duration_since(zero) + (after - before) / 2;
        let Some(step) = detector.observe(wall, mono) else { continue };
        let position = shared.position();
        let aired_until = shared.wall_at(position);
        let secs = step.num_milliseconds() as f64 / 1000.0;
        {
            let mut epochs = lock(&shared.epochs);
            let epoch = epochs.last().map_or(DateTime::<Utc>::UNIX_EPOCH, |(_, e)| *e) + step;
            epochs.push((position, epoch));
        }
        if step > chrono::Duration::zero() {
            let why = format!("wall clock stepped forward {secs:.3} s: cut to where the schedule is now");
            tracing::warn!(channel = %shared.channel, step_s = secs, "{why}");
            lock(&shared.notes).step = Some(why);
        } else {
            tracing::warn!(channel = %shared.channel, step_s = secs, "wall clock stepped back: holding");
            lock(&shared.notes).step = Some(format!("wall clock stepped back {:.3} s: held", -secs));
            let mut hold = lock(&shared.hold_until);
            *hold = Some(hold.map_or(aired_until, |h| h.max(aired_until)));
        }
        shared.engine.return_now();
    }
}

//! The engine: walks the planned timeline, pulls conformed frames and samples from each
//! item's input, re-stamps them onto the one channel timeline and pushes them to the output.
//!
//! Exactly the planned number of frames and samples go out per segment whatever the source
//! does: short sources are padded (last frame, silence), long ones cut, failed ones replaced
//! by slate and silence. The clock decides only *when* each buffer is pushed.
//!
//! Positions: the plan counts in *local* units (frames on TV, samples on radio, from the
//! playlist's zero); the output counts *global* ones. `base` maps one onto the other and moves
//! only when an override is released with [`ResumePolicy::ResumeItem`] (the schedule slips).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;

use crate::asrun::{AsRunRecord, Outcome};
use crate::clock::PlayoutClock;
use crate::error::PlayoutError;
use crate::feed::{AudioFeed, State, VideoFeed};
use crate::input::{Input, Pending};
use crate::output::Output;
use crate::playlist::{Item, ItemKind, OnAirPlaylist, Source};
use crate::status::Status;
use crate::timeline::PlanItems;
use crate::timeline::{plan, ChannelFormat, MediaTime, Segment, SegmentKind};

mod control;
mod fill;

use control::{Command, Override, Return, ReturnRequest};
pub use control::{EngineHandle, Overlay, ResumePolicy};

/// Called with each as-run record as soon as its item (or gap, or override) has aired.
pub type AsRunObserver = Box<dyn FnMut(&AsRunRecord) + Send>;

/// Radio audio goes to the output in batches of this many per second (100 ms): the engine
/// still ticks (and switches) every 20 ms, but each push wakes every thread of the output
/// chain, so batching five ticks saves four wake-ups of each (bench/playout.md).
const RADIO_PUSHES_PER_S: u32 = 10;

/// Silence padded at the natural end of a source up to this many samples (one AAC frame) is
/// what the house format allows (its streams end within one AAC frame, docs/house-format.md)
/// and decoders' priming leaves: it still airs and counts, but the as-run does not call the
/// item's audio short. A 7 Dec soak's as-run said "audio short: 256 samples of silence" for
/// every one of 176 items of the demo day — news for nobody.
const AUDIO_END_SLACK: u64 = 1024;

/// The as-run note for `silent` samples padded after a source's audio ended, when worth one.
fn audio_short_note(silent: u64) -> Option<String> {
    (silent > AUDIO_END_SLACK).then(|| format!("audio short: {silent} samples of silence"))
}

/// Runtime settings of an engine.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// How long an input may take to preroll, and the longest stall of a pull, before the
    /// engine gives up on it and fills.
    pub input_timeout: Duration,
    /// How long the output may take to drain at the end.
    pub drain_timeout: Duration,
    /// Real time: the longest one pull may wait before the engine airs a stand-in (the last
    /// frame, silence) for that frame and keeps the output going. `None`: pulls block (virtual).
    pub patience: Option<Duration>,
}

impl EngineConfig {
    /// For rendering on the virtual clock: generous, since a busy CPU is not a fault.
    pub fn rendering() -> Self {
        EngineConfig { input_timeout: Duration::from_secs(30), drain_timeout: Duration::from_secs(300), patience: None }
    }

    /// For real time: a source silent for 2 s is treated as failed.
    pub fn real_time() -> Self {
        EngineConfig {
            input_timeout: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(30),
            patience: Some(Duration::from_millis(20)),
        }
    }
}

/// One channel's engine: an output that never stops and the counters of what it emitted.
pub struct Engine<C: PlayoutClock> {
    format: ChannelFormat,
    output: Output,
    clock: C,
    config: EngineConfig,
    frames_out: u64,
    samples_out: u64,
    /// Global (frame, sample) of local zero.
    base: (u64, u64),
    slate: Option<gst::Buffer>,
    status: Arc<Mutex<Status>>,
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Command>,
    tx: mpsc::Sender<Command>,
    queued: VecDeque<Command>,
    overriding: Option<Override>,
    /// An override source opened ahead ([`EngineHandle::arm_override`]).
    armed: Option<(Source, Pending)>,
    extra_records: Vec<AsRunRecord>,
    overlay: Option<Box<dyn Overlay>>,
    /// The channel's own graphics (a text crawl), drawn after `overlay`, never dropped.
    ticker: Option<Box<dyn Overlay>>,
    /// Filler programmes aired instead of the slate.
    fillers: fill::Fillers,
    /// Whether [`Engine::run`] is asked to hand back early.
    returning: Arc<ReturnRequest>,
    /// The next item's input, opened before a run returned early, for the next run to reuse.
    carry: Option<(Item, Pending)>,
    /// An input opened on request ([`EngineHandle::prepare`]) for the next run.
    prepared: Option<(Item, Pending)>,
    observer: Option<AsRunObserver>,
    /// Since when every output target has been down.
    off_air: crate::off_air::OffAirClock,
    /// Radio audio not pushed yet, and its first sample.
    audio_batch: Option<(gst::Buffer, u64)>,
    /// Frames and samples aired as stand-ins for late real-time sources, in finished segments.
    late: (u64, u64),
    /// The first sample of an override just put on air, until it is pushed to the output.
    first_push: Option<u64>,
}

/// Where the current segment stands.
struct Cursor<'a> {
    input: Option<&'a Input>,
    video: VideoFeed,
    audio: AudioFeed,
    /// Local unit (frame on TV, sample on radio) the input is at.
    at: u64,
}

impl<C: PlayoutClock> Engine<C> {
    /// An engine for `format` pushing into `output`, paced by `clock`.
    pub fn new(format: ChannelFormat, output: Output, clock: C, config: EngineConfig) -> Self {
        let slate = format.video.map(|v| {
            // Black I420: Y = 16, Cb = Cr = 128 (BT.601/709 video range).
            let (w, h) = (v.width as usize, v.height as usize);
            let mut data = vec![16u8; w * h];
            data.resize(w * h * 3 / 2, 128);
            gst::Buffer::from_mut_slice(data)
        });
        let (tx, rx) = mpsc::channel();
        Engine {
            format,
            output,
            clock,
            config,
            frames_out: 0,
            samples_out: 0,
            base: (0, 0),
            slate,
            status: Arc::default(),
            stop: Arc::default(),
            rx,
            tx,
            queued: VecDeque::new(),
            overriding: None,
            armed: None,
            extra_records: Vec::new(),
            overlay: None,
            ticker: None,
            fillers: fill::Fillers::default(),
            returning: Arc::default(),
            carry: None,
            prepared: None,
            observer: None,
            off_air: crate::off_air::OffAirClock::default(),
            audio_batch: None,
            late: (0, 0),
            first_push: None,
        }
    }

    /// A handle to control the engine from other threads.
    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            tx: self.tx.clone(),
            stop: self.stop.clone(),
            status: self.status.clone(),
            returning: self.returning.clone(),
        }
    }

    /// Sets a function called with each as-run record as soon as it is complete (a channel
    /// that runs for days reports item by item, not when a run returns).
    pub fn set_observer(&mut self, observer: AsRunObserver) {
        self.observer = Some(observer);
    }

    /// Draws `ticker` (e.g. [`crate::ticker::Ticker`]) into every frame of the scheduled
    /// programme from now on, under any overlay such as an alert crawl; `None` removes it.
    pub fn set_ticker(&mut self, ticker: Option<Box<dyn Overlay>>) {
        self.ticker = ticker;
    }

    fn observe(&mut self, record: &AsRunRecord) {
        if let Some(observer) = self.observer.as_mut() {
            observer(record);
        }
    }

    /// Video frames and audio samples emitted so far.
    pub fn counters(&self) -> (u64, u64) {
        (self.frames_out, self.samples_out)
    }

    fn global_unit(&self) -> u64 {
        if self.format.is_radio() {
            self.samples_out
        } else {
            self.frames_out
        }
    }

    fn base_unit(&self) -> u64 {
        if self.format.is_radio() {
            self.base.1
        } else {
            self.base.0
        }
    }

    fn now(&self) -> MediaTime {
        self.format.sample_time(self.samples_out)
    }

    /// Plays `playlist` from the current position to its end (or until stopped) and returns
    /// the as-run. A later call continues the same timeline.
    ///
    /// # Errors
    /// Only an output failure ([`PlayoutError::Output`]); media faults become fallback records.
    pub fn run(&mut self, playlist: &OnAirPlaylist) -> Result<Vec<AsRunRecord>, PlayoutError> {
        self.base = (self.frames_out, self.samples_out);
        let segments = plan(&self.format, &playlist.plan_items());
        let (format, timeout, patience) = (self.format, self.config.input_timeout, self.config.patience);
        let unit = |b: &crate::timeline::Boundary| if format.is_radio() { b.sample } else { b.frame };
        let open = |k: usize| -> Option<(usize, Pending)> {
            match segments[k].kind {
                SegmentKind::Item(i) => Some((k, Pending::open(&playlist.items[i], format, timeout, patience))),
                SegmentKind::Gap => None,
            }
        };
        let airs = |s: &Segment| matches!(s.kind, SegmentKind::Item(_)) && !s.is_empty();
        let next_from = |from: usize| segments.iter().skip(from).position(airs).map(|p| p + from);
        let first = next_from(0);
        // Reuse an input already open for the first item (kept by the last run or prepared);
        // any other is stale and closed.
        let opened = [self.carry.take(), self.prepared.take()];
        let carried = first.and_then(|k| match segments[k].kind {
            SegmentKind::Item(i) => {
                opened.into_iter().flatten().find(|(item, _)| same_input(item, &playlist.items[i])).map(|(_, p)| (k, p))
            }
            SegmentKind::Gap => None,
        });
        let mut pending = carried.or_else(|| first.and_then(open));
        let mut records = Vec::with_capacity(segments.len());
        for (k, seg) in segments.iter().enumerate() {
            let mut rec = AsRunRecord::for_segment(seg);
            if let SegmentKind::Item(i) = seg.kind {
                let item = &playlist.items[i];
                rec.item = Some(i);
                rec.id.clone_from(&item.id);
                rec.title.clone_from(&item.title);
                rec.source = Some(item.source.to_string());
                rec.scheduled_wall = item.start.map(|s| s.to_rfc3339());
            }
            if self.returning.take() != Return::Not {
                // Hand back at this boundary; the input opened for this segment is kept.
                if let Some((pk, p)) = pending.take() {
                    if let SegmentKind::Item(i) = segments[pk].kind {
                        self.carry = Some((playlist.items[i].clone(), p));
                    }
                }
                break;
            }
            let local_now = self.global_unit() - self.base_unit();
            let stopped = self.stop.load(Ordering::SeqCst);
            if seg.is_empty() || stopped || local_now >= unit(&seg.end) {
                if !seg.is_empty() {
                    rec.outcome = Outcome::Skipped;
                    rec.note(if stopped { "engine stopped" } else { "overridden" });
                }
                if pending.as_ref().is_some_and(|(pk, _)| *pk == k) {
                    pending = next_from(k + 1).and_then(open);
                }
                if !stopped && !seg.is_empty() || seg.is_empty() && seg.cut_by.is_some() {
                    self.observe(&rec);
                }
                records.push(rec);
                continue;
            }
            let input = match seg.kind {
                SegmentKind::Gap => {
                    rec.fallback("nothing scheduled before a hard start: slate and silence");
                    None
                }
                SegmentKind::Item(_) => {
                    let mine = match pending.take() {
                        Some((pk, p)) if pk == k => Some(p),
                        other => {
                            pending = other;
                            open(k).map(|(_, p)| p)
                        }
                    };
                    let asked = std::time::Instant::now();
                    let input = mine.map(Pending::wait);
                    let waited = asked.elapsed();
                    // In real time the output has ~100 ms of lead; waiting longer delays delivery.
                    if self.clock.is_live() && waited > Duration::from_millis(100) {
                        rec.note(format!("waited {:.3} s for the input to open", waited.as_secs_f64()));
                    }
                    input
                }
            };
            // Open the next item while this one airs — except the same live source again: a
            // relay (srt-live-transmit, an encoder's listener) may serve one connection at a
            // time, and one that dropped must be called afresh, so it is reconnected at the boundary.
            let next = next_from(k + 1);
            let relay_again = match (seg.kind, next.map(|n| segments[n].kind)) {
                (SegmentKind::Item(a), Some(SegmentKind::Item(b))) => {
                    let (a, b) = (&playlist.items[a], &playlist.items[b]);
                    a.kind == ItemKind::Live && same_input(a, b)
                }
                _ => false,
            };
            if pending.is_none() && !relay_again {
                pending = next.and_then(open);
            }
            let input = match input {
                Some(Ok(input)) => Some(input),
                Some(Err(reason)) => {
                    rec.fallback(reason);
                    None
                }
                None => None,
            };
            self.set_now(rec.item, next_from(k + 1).map(|n| &segments[n]), playlist);
            // Actual position: differs from the plan after an override or a previous playlist.
            rec.actual_start_s = self.now().as_secs_f64();
            rec.start_frame = self.frames_out;
            if local_now > unit(&seg.start) {
                rec.note("joined late after an override");
            }
            if self.clock.is_live() {
                // A line for the item while it airs: a node that dies now does not lose it.
                let mut on_air = rec.clone();
                on_air.on_air = true;
                on_air.note("on air: the end is the planned one until the item ends");
                self.observe(&on_air);
            }
            // A live relay that drops (or never connects) is called again while its slot lasts.
            self.fillers.relay = match seg.kind {
                SegmentKind::Item(i) if playlist.items[i].kind == ItemKind::Live => Some(playlist.items[i].clone()),
                _ => None,
            };
            self.air(seg, input.as_ref(), &mut rec)?;
            self.fillers.relay = None;
            // The same relay next: a call to it still under way (made while this segment aired
            // slate) is the next segment's call. Dropped, it would hold the relay's one
            // connection while it dies, and the next call would find the relay taken.
            let retry = self.fillers.retry.take();
            if relay_again && pending.is_none() {
                pending = next.zip(retry);
            }
            self.fillers.backoff = fill::RelayBackoff::default();
            drop(input);
            self.output.check()?;
            if rec.outcome == Outcome::Fallback {
                if let Ok(mut s) = self.status.lock() {
                    s.fallbacks += 1;
                }
            }
            tracing::info!(item = ?rec.item, outcome = ?rec.outcome, reason = ?rec.reason, "as-run");
            self.observe(&rec);
            records.push(rec);
        }
        if self.stop.load(Ordering::SeqCst) {
            self.returning.take();
        }
        records.append(&mut self.extra_records);
        records.sort_by(|a, b| a.actual_start_s.total_cmp(&b.actual_start_s));
        Ok(records)
    }

    /// Fills slate and silence (overrides still apply) until [`EngineHandle::stop`] (or
    /// [`EngineHandle::return_now`] / [`EngineHandle::return_after_item`]): what a channel airs
    /// when its playlist has run out.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output fails.
    pub fn fill_until_stopped(&mut self) -> Result<Vec<AsRunRecord>, PlayoutError> {
        // The end is decades away.
        self.fill(MediaTime::from_nanos(i64::MAX / 4), "playlist ended: slate and silence")
    }

    /// Fills slate and silence (or the fillers; overrides still apply) for `length`, or until
    /// [`EngineHandle::stop`] / a return: what a channel airs while it holds, e.g. after the
    /// wall clock stepped back, until its schedule catches up. The record's reason is `reason`.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output fails.
    pub fn fill_for(&mut self, length: MediaTime, reason: &str) -> Result<Vec<AsRunRecord>, PlayoutError> {
        // A return asked while the last item of the previous run aired is spent: it ended that run.
        self.returning.take();
        self.fill(length, reason)
    }

    fn fill(&mut self, length: MediaTime, reason: &str) -> Result<Vec<AsRunRecord>, PlayoutError> {
        // Local units from here.
        let start = self.format.boundary(MediaTime::ZERO);
        let end = self.format.boundary(length);
        let seg = Segment { kind: SegmentKind::Gap, scheduled: start.time, start, end, cut_by: None };
        let mut rec = AsRunRecord::for_segment(&seg);
        rec.fallback(reason);
        let before = (self.frames_out, self.samples_out);
        self.base = before;
        rec.actual_start_s = self.now().as_secs_f64();
        rec.start_frame = self.frames_out;
        self.air(&seg, None, &mut rec)?;
        self.returning.take();
        rec.frames = self.frames_out - before.0;
        rec.samples = self.samples_out - before.1;
        rec.actual_duration_s = self.format.sample_time(rec.samples).as_secs_f64();
        self.observe(&rec);
        let mut records = std::mem::take(&mut self.extra_records);
        records.insert(0, rec);
        Ok(records)
    }

    /// Ends the output cleanly (files are complete when this returns); returns the targets
    /// that failed on the way, as (target, reason).
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output fails to drain or every target failed.
    pub fn finish(mut self) -> Result<Vec<(String, String)>, PlayoutError> {
        self.flush_audio()?;
        self.output.finish(self.config.drain_timeout)
    }

    fn set_now(&self, item: Option<usize>, next: Option<&Segment>, playlist: &OnAirPlaylist) {
        let label = |i: usize| {
            let item = &playlist.items[i];
            item.title.clone().unwrap_or_else(|| item.source.to_string())
        };
        if let Ok(mut s) = self.status.lock() {
            s.now = item.map(label);
            s.next = next.and_then(|n| match n.kind {
                SegmentKind::Item(i) => Some(label(i)),
                SegmentKind::Gap => None,
            });
        }
    }

    fn air(&mut self, seg: &Segment, input: Option<&Input>, rec: &mut AsRunRecord) -> Result<(), PlayoutError> {
        let feed_state = |present: bool| if present { State::Flowing } else { State::Failed };
        let has_video = input.is_some_and(Input::has_video);
        let has_audio = input.is_some_and(Input::has_audio);
        if input.is_some() && !has_audio {
            rec.fallback("no audio track: silence");
        }
        if input.is_some() && !self.format.is_radio() && !has_video {
            rec.fallback("no video track: slate");
        }
        let radio = self.format.is_radio();
        let (start, end) = if radio { (seg.start.sample, seg.end.sample) } else { (seg.start.frame, seg.end.frame) };
        let mut cur = Cursor {
            input,
            video: VideoFeed::new(feed_state(has_video)),
            audio: AudioFeed::new(feed_state(has_audio), self.format.audio.channels),
            at: start,
        };
        let mut filler: Option<fill::Filler> = None;
        self.set_filler(None);
        let chunk = u64::from(self.format.audio.rate / 50).max(1); // radio tick: 20 ms
        let mut ticks = 0u64;
        self.publish_health(0, 0);
        loop {
            ticks += 1;
            if ticks >= 50 {
                ticks = 0;
                self.output.check()?; // about every 2 s: a failed target is logged when it fails
                self.publish_health(cur.video.late, cur.audio.late);
            }
            self.poll_commands(&mut cur, rec);
            if self.stop.load(Ordering::SeqCst) {
                rec.note("engine stopped");
                break;
            }
            match self.returning.get() {
                Return::Now => {
                    if seg.kind != SegmentKind::Gap {
                        rec.note("ended early: the channel replanned");
                    }
                    break;
                }
                // A gap, a fill or an item airing slate is not a programme: it gives way at once.
                Return::AfterItem if input.is_none() => {
                    if seg.kind != SegmentKind::Gap {
                        rec.note("ended early: the channel replanned");
                    }
                    break;
                }
                _ => {}
            }
            if self.overriding.as_ref().is_some_and(|o| o.input.is_some() || o.pending.is_none()) {
                self.tick_override()?;
                continue;
            }
            let local = self.global_unit() - self.base_unit();
            if local >= end {
                break;
            }
            if local > cur.at {
                self.skip(&mut cur, local, rec);
            }
            // The schedule cannot air (no input, or its picture/sound failed): filler if any.
            let failed = if radio {
                has_audio && cur.audio.state == State::Failed
            } else {
                has_video && cur.video.state == State::Failed
            };
            let filling = cur.input.is_none() || failed;
            if filling && !filler.as_ref().is_some_and(|f| f.relay && !f.done(radio)) {
                if let Some(back) = self.relay_back(rec) {
                    filler = Some(back);
                }
            }
            if filling && self.has_fillers() && filler.as_ref().is_none_or(|f| f.done(radio)) {
                filler = self.next_filler(rec);
            }
            if radio {
                // A command that comes while the engine waits is taken at once, not after
                // this step (an emergency override would wait up to 100 ms).
                if self.pace(self.now()) {
                    continue;
                }
                // 100 ms steps while nothing is about to change (no command queued, no
                // override, no filler), 20 ms otherwise; `end` still cuts to the sample.
                let quiet = !filling && self.overriding.is_none() && self.queued.is_empty();
                let to = (local + if quiet { 5 * chunk } else { chunk }).min(end);
                ticks += ((to - local) / chunk).saturating_sub(1);
                let target = self.base.1 + to;
                let (audio, source) = match filler.as_mut() {
                    Some(f) if filling => (&mut f.audio, Some(&f.input)),
                    _ => (&mut cur.audio, cur.input),
                };
                self.audio_until(target, |n, r| audio.take(source, n, r), rec)?;
                cur.at = to;
            } else {
                let Some(v) = self.format.video else { break };
                let pts = v.fps.frames_to_time(self.frames_out);
                let duration = v.fps.frames_to_time(self.frames_out + 1).sub_or_zero(pts);
                if self.pace(pts) {
                    continue;
                }
                let frame = match filler.as_ref().is_some_and(|f| !f.relay || !f.done(false)) && filling {
                    true => self.filler_frame(&mut filler, rec),
                    false => cur.video.next(cur.input, self.slate.as_ref(), rec),
                };
                if let Some(frame) = frame {
                    let frame = self.overlaid(frame);
                    self.output.push_video(frame, pts, duration)?;
                }
                self.frames_out += 1;
                cur.at = local + 1;
                let target = self.base.1 + self.format.sample_at_frame(cur.at);
                let (audio, source) = match filler.as_mut() {
                    Some(f) if filling => (&mut f.audio, Some(&f.input)),
                    _ => (&mut cur.audio, cur.input),
                };
                self.audio_until(target, |n, r| audio.take(source, n, r), rec)?;
            }
            self.publish_position();
        }
        rec.slate_frames += cur.video.slate;
        self.late = (self.late.0 + cur.video.late, self.late.1 + cur.audio.late);
        self.publish_health(0, 0);
        if cur.video.held > 0 {
            rec.note(format!("source short: last frame held for {} frames", cur.video.held));
        }
        if cur.video.late > 0 || cur.audio.late > 0 {
            rec.note(format!("source late: {} frames repeated, {} samples of silence", cur.video.late, cur.audio.late));
        }
        if let Some(note) = audio_short_note(cur.audio.silent).filter(|_| cur.audio.state == State::Ended) {
            rec.note(note);
        }
        // What actually aired of this segment (overrides and stops change the plan).
        let aired = cur.at.saturating_sub(start);
        if radio {
            rec.samples = rec.samples.min(aired);
            rec.actual_duration_s = self.format.sample_time(rec.samples).as_secs_f64();
        } else if let Some(v) = self.format.video {
            if aired < rec.frames {
                rec.frames = aired;
                rec.samples = self.format.sample_at_frame(aired);
            }
            rec.actual_duration_s = v.fps.frames_to_time(rec.frames).as_secs_f64();
        }
        Ok(())
    }

    /// Waits until the clock lets the buffer at `at` go, or until a command comes first: then
    /// true, and the command is queued for [`Engine::poll_commands`] before that buffer (an
    /// override goes on air at once instead of after the frame or radio step being waited for).
    fn pace(&mut self, at: MediaTime) -> bool {
        let left = self.clock.remaining(at);
        if !left.is_zero() {
            if let Ok(command) = self.rx.recv_timeout(left) {
                self.queued.push_back(command);
                return true;
            }
        }
        self.clock.wait_until(at);
        false
    }

    /// Joins the segment late: drops input up to local unit `to`.
    fn skip(&self, cur: &mut Cursor<'_>, to: u64, rec: &mut AsRunRecord) {
        if self.format.is_radio() {
            cur.audio.skip(cur.input, to - cur.at, rec);
        } else {
            cur.video.skip(cur.input, to - cur.at, rec);
            let samples = self.format.sample_at_frame(to) - self.format.sample_at_frame(cur.at);
            cur.audio.skip(cur.input, samples, rec);
        }
        cur.at = to;
    }

    fn audio_until(
        &mut self,
        target: u64,
        mut take: impl FnMut(u64, &mut AsRunRecord) -> (gst::Buffer, u64),
        rec: &mut AsRunRecord,
    ) -> Result<(), PlayoutError> {
        // The pieces taken (input buffers, silence) go out as one buffer: on TV one per frame,
        // on radio one per 100 ms (timestamps are the samples', so timing is unchanged).
        while self.samples_out < target {
            let (buffer, n) = take(target - self.samples_out, rec);
            match self.audio_batch.as_mut() {
                Some((b, _)) => b.append(buffer),
                None => self.audio_batch = Some((buffer, self.samples_out)),
            }
            self.samples_out += n;
        }
        let batch = if self.format.is_radio() { u64::from(self.format.audio.rate / RADIO_PUSHES_PER_S) } else { 0 };
        if self.audio_batch.as_ref().is_some_and(|(_, first)| self.samples_out - first >= batch) {
            self.flush_audio()?;
        }
        Ok(())
    }

    /// Pushes the audio batched so far.
    fn flush_audio(&mut self) -> Result<(), PlayoutError> {
        if let Some((buffer, first)) = self.audio_batch.take() {
            let pts = self.format.sample_time(first);
            let duration = self.format.sample_time(self.samples_out).sub_or_zero(pts);
            self.output.push_audio(buffer, pts, duration)?;
            if let Some(first) = self.first_push.take_if(|s| *s < self.samples_out) {
                // Its time through the encoder and the mux is logged when it leaves the mux.
                let (samples, radio) = (self.samples_out - first, self.format.is_radio());
                tracing::info!(samples, radio, "override's first audio pushed to the output");
                self.output.watch(self.format.sample_time(first));
            }
        }
        Ok(())
    }

    /// `frame` with the overlay drawn on it (a copy when the buffer is shared).
    fn overlaid(&mut self, mut frame: gst::Buffer) -> gst::Buffer {
        let Some(v) = self.format.video else { return frame };
        if self.overlay.is_none() && self.ticker.is_none() {
            return frame;
        }
        let Ok(mut map) = frame.make_mut().map_writable() else {
            self.overlay = None;
            return frame;
        };
        if let Some(ticker) = self.ticker.as_mut() {
            ticker.draw(map.as_mut_slice(), v.width, v.height);
        }
        if let Some(overlay) = self.overlay.as_mut() {
            if !overlay.draw(map.as_mut_slice(), v.width, v.height) {
                self.overlay = None;
            }
        }
        drop(map);
        frame
    }

    /// Late counters (plus those of the segment on air) and each output target's state.
    fn publish_health(&mut self, late_frames: u64, late_samples: u64) {
        let outputs = self.output.target_states();
        let now = std::time::Duration::from_nanos(self.now().unsigned_nanos());
        let off_air = self.off_air.observe(crate::off_air::all_down(&outputs), now);
        if let Ok(mut s) = self.status.lock() {
            s.off_air_s = off_air.map(|d| d.as_secs_f64());
            s.late_frames = self.late.0 + late_frames;
            s.late_samples = self.late.1 + late_samples;
            s.outputs = outputs;
        }
    }

    fn publish_position(&self) {
        if let Ok(mut s) = self.status.lock() {
            s.frames_out = self.frames_out;
            s.samples_out = self.samples_out;
            s.position_s = self.now().as_secs_f64();
        }
    }
}

/// True when an input opened for `a` serves `b` (same media from the same point).
fn same_input(a: &Item, b: &Item) -> bool {
    a.source == b.source && a.in_point == b.in_point && a.kind == b.kind
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_items_audio_is_called_short_only_past_one_aac_frame() {
        assert_eq!(super::audio_short_note(256), None);
        assert_eq!(super::audio_short_note(1024), None);
        assert_eq!(super::audio_short_note(1025).as_deref(), Some("audio short: 1025 samples of silence"));
        assert_eq!(super::audio_short_note(24_000).as_deref(), Some("audio short: 24000 samples of silence"));
    }
}

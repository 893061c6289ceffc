//! Engine control from other threads: overrides (emergency, live relay), release with a
//! resume policy, stop. Commands are applied at frame boundaries, so an override is on air at
//! the first frame after its source is open (at once on the virtual clock, which waits).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use crate::asrun::{AsRunRecord, Outcome};
use crate::clock::PlayoutClock;
use crate::error::PlayoutError;
use crate::feed::{AudioFeed, State, VideoFeed};
use crate::input::{Input, Pending};
use crate::playlist::{Item, ItemKind, Source};
use crate::status::Status;
use crate::timeline::{MediaTime, Segment, SegmentKind};

use super::{Cursor, Engine};

/// What happens to the schedule when an override is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumePolicy {
    /// The interrupted item continues where it was interrupted; everything after slips.
    ResumeItem,
    /// The schedule ran on underneath: join whatever is scheduled now, where it is now.
    RejoinSchedule,
}

pub(super) enum Command {
    Override(Source, Option<MediaTime>),
    Release(ResumePolicy, Option<MediaTime>),
    Overlay(Option<Box<dyn Overlay>>),
    Prepare(Box<Item>),
    Arm(Source),
}

impl Command {
    pub(super) fn due(&self, now: MediaTime) -> bool {
        match self {
            Command::Override(_, at) | Command::Release(_, at) => !at.is_some_and(|at| at > now),
            Command::Overlay(_) => true,
            Command::Prepare(_) | Command::Arm(_) => true,
        }
    }
}

/// Graphics drawn over the scheduled programme's pictures (not over overrides), e.g. an
/// emergency crawl. Called once per frame on the engine's thread.
pub trait Overlay: Send {
    /// Draws into one I420 frame of the channel's size; returns false when finished (the
    /// engine then drops it).
    fn draw(&mut self, frame: &mut [u8], width: u32, height: u32) -> bool;
}

/// Controls a running engine from another thread (API, alert handler, tests).
#[derive(Clone)]
pub struct EngineHandle {
    pub(super) tx: mpsc::Sender<Command>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) status: Arc<Mutex<Status>>,
    pub(super) returning: Arc<ReturnRequest>,
}

/// When [`Engine::run`](super::Engine::run) is asked to hand back to its caller, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Return {
    /// Not asked: play on.
    Not = 0,
    /// Once the item on air has ended (at once during a gap or a fill).
    AfterItem = 1,
    /// At the next frame, ending the item on air there.
    Now = 2,
}

/// The one [`Return`] request, shared between the engine and its handles: read on every
/// tick without a lock, so it is an atomic holding the state's number.
#[derive(Debug, Default)]
pub(super) struct ReturnRequest(AtomicU8);

impl ReturnRequest {
    /// What is asked now.
    pub(super) fn get(&self) -> Return {
        Self::state(self.0.load(Ordering::SeqCst))
    }

    fn state(n: u8) -> Return {
        match n {
            1 => Return::AfterItem,
            2 => Return::Now,
            _ => Return::Not,
        }
    }

    /// Asks for `r`; [`Return::AfterItem`] never weakens a [`Return::Now`] already asked.
    pub(super) fn ask(&self, r: Return) {
        match r {
            Return::AfterItem => {
                let _ = self.0.compare_exchange(Return::Not as u8, r as u8, Ordering::SeqCst, Ordering::SeqCst);
            }
            Return::Now | Return::Not => self.0.store(r as u8, Ordering::SeqCst),
        }
    }

    /// What was asked, forgetting it (the engine has handed back).
    pub(super) fn take(&self) -> Return {
        Self::state(self.0.swap(Return::Not as u8, Ordering::SeqCst))
    }
}

impl EngineHandle {
    /// Puts `source` on air at the next frame once it is open (the schedule is held).
    pub fn override_with(&self, source: Source) {
        let _ = self.tx.send(Command::Override(source, None));
    }

    /// Opens `source` in the background now and keeps it ready, so that a later override with
    /// the same source goes on air at the next frame after the call instead of at the first
    /// frame after opening it (a file takes 5–7 frames to open and preroll). A standby source
    /// (a studio feed, an emergency slate) is armed once and taken when needed; arming another
    /// source replaces it, and an override takes what is armed.
    pub fn arm_override(&self, source: Source) {
        let _ = self.tx.send(Command::Arm(source));
    }

    /// As [`EngineHandle::override_with`], at channel time `at` (exact on the virtual clock).
    pub fn override_at(&self, at: MediaTime, source: Source) {
        let _ = self.tx.send(Command::Override(source, Some(at)));
    }

    /// Ends the override at the next frame.
    pub fn release(&self, policy: ResumePolicy) {
        let _ = self.tx.send(Command::Release(policy, None));
    }

    /// Ends the override at channel time `at`.
    pub fn release_at(&self, at: MediaTime, policy: ResumePolicy) {
        let _ = self.tx.send(Command::Release(policy, Some(at)));
    }

    /// Puts `overlay` over the programme from the next frame (replacing any other); `None`
    /// removes it. Ignored on radio.
    pub fn set_overlay(&self, overlay: Option<Box<dyn Overlay>>) {
        let _ = self.tx.send(Command::Overlay(overlay));
    }

    /// Asks the engine to stop after the current frame.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Opens `item`'s input now, in the background: the next [`Engine::run`] that starts with
    /// the same media (source, in-point) airs it without waiting for it to open. How a channel
    /// pre-rolls the item a schedule change puts after the item on air.
    pub fn prepare(&self, item: Item) {
        let _ = self.tx.send(Command::Prepare(Box::new(item)));
    }

    /// Asks [`Engine::run`] to return once the item on air has ended (at once during a gap or
    /// a fill): the item is not touched, and the input already opened for the next item is kept
    /// for the next run when it starts with the same media. How a channel applies a new
    /// schedule.
    pub fn return_after_item(&self) {
        self.returning.ask(Return::AfterItem);
    }

    /// Asks [`Engine::run`] (or [`Engine::fill_until_stopped`]) to return at the next frame,
    /// ending the item on air there (skip).
    pub fn return_now(&self) {
        self.returning.ask(Return::Now);
    }

    /// True once [`EngineHandle::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// A snapshot of the engine's status.
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

pub(super) struct Override {
    pub(super) pending: Option<Pending>,
    pub(super) input: Option<Input>,
    pub(super) video: VideoFeed,
    pub(super) audio: AudioFeed,
    pub(super) ticks: u64,
    pub(super) record: AsRunRecord,
    /// Samples out when it went on air.
    pub(super) start_samples: u64,
    /// Status "now" before it, restored on release.
    pub(super) previous_now: Option<String>,
    /// Made in process ([`Source::Generated`]): opening it takes no time, so it is waited for.
    pub(super) made: bool,
}

impl<C: PlayoutClock> Engine<C> {
    /// One frame (TV) or 20 ms (radio) of the override source.
    pub(super) fn tick_override(&mut self) -> Result<(), PlayoutError> {
        let Some(mut ov) = self.overriding.take() else { return Ok(()) };
        let result = self.tick_override_with(&mut ov);
        self.overriding = Some(ov);
        result
    }

    fn tick_override_with(&mut self, ov: &mut Override) -> Result<(), PlayoutError> {
        // The first tick goes out without waiting for the clock: the engine is ahead of wall
        // time by its lead anyway, and an override (an emergency alert) should leave at once.
        let first = ov.ticks == 0;
        let input = ov.input.as_ref();
        let target = match self.format.video {
            Some(v) => {
                let pts = v.fps.frames_to_time(self.frames_out);
                let duration = v.fps.frames_to_time(self.frames_out + 1).sub_or_zero(pts);
                if !first && self.pace(pts) {
                    return Ok(()); // a command came first (a release): handled before this frame
                }
                if let Some(frame) = ov.video.next(input, self.slate.as_ref(), &mut ov.record) {
                    self.output.push_video(frame, pts, duration)?;
                }
                self.frames_out += 1;
                self.samples_out + self.format.sample_at_frame(ov.ticks + 1) - self.format.sample_at_frame(ov.ticks)
            }
            None => {
                if !first && self.pace(self.now()) {
                    return Ok(());
                }
                // Radio: the first tick is 200 ms, pushed at once. The AAC encoder holds a frame
                // back and the mux sends 7 TS packets a datagram (~3 AAC frames): with 100 ms
                // the datagram carrying the start was sometimes left incomplete until the next
                // push, 0.2 s later (bench/notes/alert-latency.md).
                let per_s = if first { 5 } else { 50 };
                self.samples_out + u64::from(self.format.audio.rate / per_s).max(1)
            }
        };
        let audio = &mut ov.audio;
        self.audio_until(target, |n, r| audio.take(input, n, r), &mut ov.record)?;
        ov.ticks += 1;
        self.publish_position();
        Ok(())
    }

    pub(super) fn poll_commands(&mut self, cur: &mut Cursor<'_>, rec: &mut AsRunRecord) {
        self.queued.extend(self.rx.try_iter());
        let now = self.now();
        while self.queued.front().is_some_and(|c| c.due(now)) {
            let Some(cmd) = self.queued.pop_front() else { break };
            match cmd {
                Command::Override(source, _) => {
                    if self.overriding.is_some() {
                        self.release(ResumePolicy::ResumeItem, cur, rec);
                    }
                    let armed = match self.armed.take() {
                        Some((s, pending)) if s == source => Some(pending),
                        _ => None,
                    };
                    let mut record = AsRunRecord::for_segment(&Segment {
                        kind: SegmentKind::Gap,
                        scheduled: now,
                        start: self.format.boundary(now),
                        end: self.format.boundary(now),
                        cut_by: None,
                    });
                    record.source = Some(source.to_string());
                    record.title = Some("override".to_owned());
                    record.outcome = Outcome::Played;
                    record.reason = Some("override".to_owned());
                    if armed.is_some() {
                        record.note("armed ahead");
                    }
                    tracing::info!(%source, armed = armed.is_some(), "override requested");
                    let made = matches!(source, Source::Generated(_));
                    let pending = armed.unwrap_or_else(|| self.open_override(&source));
                    self.overriding = Some(Override {
                        pending: Some(pending),
                        input: None,
                        video: VideoFeed::new(State::Failed),
                        audio: AudioFeed::new(State::Failed, self.format.audio.channels),
                        ticks: 0,
                        record,
                        start_samples: 0,
                        previous_now: None,
                        made,
                    });
                }
                Command::Release(policy, _) => self.release(policy, cur, rec),
                Command::Overlay(overlay) => {
                    if overlay.is_some() {
                        rec.note("overlay on the programme");
                    }
                    self.overlay = overlay;
                }
                Command::Arm(source) => {
                    tracing::info!(%source, "override armed");
                    let pending = self.open_override(&source);
                    self.armed = Some((source, pending));
                }
                Command::Prepare(item) => {
                    let pending = Pending::open(&item, self.format, self.config.input_timeout, self.config.patience);
                    self.prepared = Some((*item, pending));
                }
            }
        }
        // An override opens in the background and goes on air at the first frame after.
        let (now_s, frames_out, samples_out, live, radio) =
            (self.now().as_secs_f64(), self.frames_out, self.samples_out, self.clock.is_live(), self.format.is_radio());
        if let Some(ov) = self.overriding.as_mut() {
            // On the virtual clock wait for it, so it airs exactly when asked.
            // A programme made in process (an alert) opens at once: it is waited for too.
            if ov.pending.as_ref().is_some_and(|p| !live || ov.made || p.is_finished()) {
                if let Some(p) = ov.pending.take() {
                    match p.wait() {
                        Ok(input) => {
                            ov.video.state = if input.has_video() { State::Flowing } else { State::Failed };
                            ov.audio.state = if input.has_audio() { State::Flowing } else { State::Failed };
                            ov.input = Some(input);
                        }
                        Err(reason) => ov.record.fallback(reason),
                    }
                    ov.record.actual_start_s = now_s;
                    ov.record.start_frame = frames_out;
                    ov.start_samples = samples_out;
                    tracing::info!(source = ov.record.source.as_deref().unwrap_or(""), radio, "override on air");
                    self.first_push = Some(samples_out);
                    if let Ok(mut status) = self.status.lock() {
                        ov.previous_now =
                            status.now.replace(format!("override: {}", ov.record.source.as_deref().unwrap_or("")));
                    }
                    // The interrupted segment's input is simply not pulled meanwhile. An item
                    // that failed, or was cut or skipped by the plan, keeps that outcome.
                    if rec.outcome == Outcome::Played {
                        rec.outcome = Outcome::Interrupted;
                    }
                    rec.note(format!("interrupted by an override ({})", ov.record.source.as_deref().unwrap_or("")));
                }
            }
        }
    }

    /// Starts opening an override source: an item with no end, on air until released. A
    /// file is a file item (a path is never admitted as a live item); a URI is a live relay.
    fn open_override(&self, source: &Source) -> Pending {
        let item = Item {
            source: source.clone(),
            in_point: MediaTime::ZERO,
            duration: MediaTime::from_nanos(i64::MAX / 4),
            kind: if matches!(source, Source::Path(_)) { ItemKind::File } else { ItemKind::Live },
            title: Some("override".to_owned()),
            id: None,
            start: None,
            offset: None,
            hard: true,
        };
        Pending::open(&item, self.format, self.config.input_timeout, self.config.patience)
    }

    fn release(&mut self, policy: ResumePolicy, cur: &mut Cursor<'_>, rec: &mut AsRunRecord) {
        let Some(ov) = self.overriding.take() else { return };
        let mut record = ov.record;
        if ov.pending.is_some() {
            // Released before it went on air.
            record.outcome = Outcome::Skipped;
            record.note("released before it was open");
        }
        record.frames = ov.ticks * u64::from(!self.format.is_radio());
        record.samples = self.samples_out.saturating_sub(ov.start_samples);
        if ov.pending.is_none() {
            if let Ok(mut status) = self.status.lock() {
                status.now = ov.previous_now;
            }
        }
        record.actual_duration_s = self.now().as_secs_f64() - record.actual_start_s;
        if let Some(observer) = self.observer.as_mut() {
            observer(&record);
        }
        self.extra_records.push(record);
        if ov.ticks > 0 && policy == ResumePolicy::ResumeItem {
            // Local position `cur.at` is where the item stopped: map it onto now.
            self.base = if self.format.is_radio() {
                (self.frames_out, self.samples_out.saturating_sub(cur.at))
            } else {
                (
                    self.frames_out.saturating_sub(cur.at),
                    self.samples_out.saturating_sub(self.format.sample_at_frame(cur.at)),
                )
            };
            rec.note("resumed after the override");
        } else if ov.ticks > 0 {
            rec.note("rejoined the schedule after the override");
        }
        tracing::info!(?policy, "override released");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_now_is_not_weakened_by_a_later_return_after_item_and_taking_clears_it() {
        let r = ReturnRequest::default();
        assert_eq!(r.get(), Return::Not);
        r.ask(Return::AfterItem);
        assert_eq!(r.get(), Return::AfterItem);
        r.ask(Return::Now);
        r.ask(Return::AfterItem);
        assert_eq!(r.take(), Return::Now);
        assert_eq!(r.get(), Return::Not);
    }
}

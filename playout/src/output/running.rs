//! Output targets on air: each one its own small pipeline fed with the channel's MPEG-TS, so a
//! target that fails or stalls (a full disk, an SRT peer gone, Icecast down) loses only its
//! own data and never blocks the channel or the other targets.
//!
//! On air each target's `appsrc` is a leaky queue (~2 s): a slow sink drops its oldest data.
//! A network target (UDP, SRT, RTMP, Icecast) that fails is torn down and rebuilt with
//! backoff (1 s doubling to 30 s) from a helper thread, so neither the channel's timeline
//! nor the other targets ever wait for a connection; a file or HLS target that fails stays
//! failed (its data would have a hole anyway).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::sink::{backoff, needed, sink_description};
use super::target::OutputTarget;
use crate::error::PlayoutError;
use crate::status::OutputState;

/// One started pipeline of a target.
struct Running {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
}

fn launch(desc: &str, name: &str, max_bytes: u64, lossless: bool) -> Result<Running, String> {
    let pipeline = gst::parse::launch(&format!("appsrc name=src format=time ! {desc}"))
        .map_err(|e| format!("{name}: {e}"))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline".to_owned())?;
    let src = pipeline
        .by_name("src")
        .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
        .ok_or_else(|| "target appsrc missing".to_owned())?;
    src.set_caps(Some(
        &gst::Caps::builder("video/mpegts").field("systemstream", true).field("packetsize", 188).build(),
    ));
    src.set_max_bytes(max_bytes);
    src.set_block(lossless);
    if !lossless {
        src.set_leaky_type(gst_app::AppLeakyType::Downstream);
    }
    if pipeline.set_state(gst::State::Playing).is_err() {
        let reason = first_error(&pipeline).unwrap_or_else(|| "cannot start".to_owned());
        let _ = pipeline.set_state(gst::State::Null);
        return Err(reason);
    }
    Ok(Running { pipeline, src })
}

/// A target: its configuration, its running pipeline (if any) and its state.
pub(crate) struct Target {
    pub(crate) name: String,
    reconnects_on_failure: bool,
    desc: String,
    lossless: bool,
    running: Option<Running>,
    /// Why it is not up (the last error while reconnecting; the cause when failed).
    pub(crate) failed: Option<String>,
    pub(crate) state: OutputState,
    /// Buffers pushed while the queue was full (a leaky target then drops its oldest data).
    pub(crate) dropped: u64,
    /// Successful reconnections.
    pub(crate) reconnects: u64,
    attempt: u32,
    retry_at: Instant,
    pending: Option<mpsc::Receiver<Result<Running, String>>>,
    up_since: Instant,
    max_bytes: u64,
}

impl Target {
    /// Starts the pipeline of `target`. `lossless` (rendering) blocks the channel when the
    /// target is slow; otherwise (on air) the target drops its oldest data past ~2 s.
    /// A network target that cannot start yet (peer down) starts in `reconnecting`.
    pub(crate) fn start(
        target: &OutputTarget,
        format: &crate::timeline::ChannelFormat,
        lossless: bool,
    ) -> Result<Target, PlayoutError> {
        for (element, package) in needed(target, format.audio_codec) {
            if gst::ElementFactory::find(element).is_none() {
                return Err(PlayoutError::MissingElement(element, package));
            }
        }
        let desc = sink_description(target, format.video.is_some(), format.audio_codec)?;
        let max_bytes = if lossless { 4 << 20 } else { 2 << 20 };
        let name = target.to_string();
        let now = Instant::now();
        let mut t = Target {
            name,
            reconnects_on_failure: target.reconnects() && !lossless,
            desc,
            lossless,
            running: None,
            failed: None,
            state: OutputState::Up,
            dropped: 0,
            reconnects: 0,
            attempt: 0,
            retry_at: now,
            pending: None,
            up_since: now,
            max_bytes,
        };
        match launch(&t.desc, &t.name, max_bytes, lossless) {
            Ok(r) => t.running = Some(r),
            Err(e) if t.reconnects_on_failure => t.lost(e),
            Err(e) => return Err(PlayoutError::Pipeline(format!("{target}: cannot start ({e})"))),
        }
        Ok(t)
    }

    /// Hands one TS buffer to the target; a target that is not up ignores it.
    pub(crate) fn push(&mut self, buffer: gst::Buffer) {
        let Some(r) = self.running.as_ref().filter(|_| self.state == OutputState::Up) else {
            return;
        };
        if r.src.current_level_bytes() + buffer.size() as u64 > self.max_bytes {
            self.dropped += 1;
        }
        if let Err(e) = r.src.push_buffer(buffer) {
            self.lost(format!("refused data: {e:?}"));
        }
    }

    /// Notices a bus error (then stops or schedules a reconnect) and drives reconnection.
    /// Never blocks: pipelines are started and stopped on helper threads.
    pub(crate) fn poll(&mut self) {
        let now = Instant::now();
        match self.state {
            OutputState::Failed => {}
            OutputState::Up => {
                if let Some(e) = self.running.as_ref().and_then(|r| first_error(&r.pipeline)) {
                    self.lost(e);
                } else if now.duration_since(self.up_since) > Duration::from_secs(10) {
                    self.attempt = 0; // stable again: the next failure retries quickly
                }
            }
            OutputState::Reconnecting => match self.pending.as_ref().map(mpsc::Receiver::try_recv) {
                Some(Ok(Ok(r))) => {
                    tracing::info!(target = %self.name, "output target reconnected");
                    self.pending = None;
                    self.running = Some(r);
                    self.state = OutputState::Up;
                    self.failed = None;
                    self.reconnects += 1;
                    self.up_since = now;
                }
                Some(Ok(Err(e))) => {
                    self.pending = None;
                    self.retry(e);
                }
                Some(Err(mpsc::TryRecvError::Disconnected)) => {
                    self.pending = None;
                    self.retry("reconnect thread ended".to_owned());
                }
                Some(Err(mpsc::TryRecvError::Empty)) => {}
                None if now >= self.retry_at => {
                    let (tx, rx) = mpsc::channel();
                    let (desc, name, max_bytes, lossless) =
                        (self.desc.clone(), self.name.clone(), self.max_bytes, self.lossless);
                    std::thread::spawn(move || {
                        let r = launch(&desc, &name, max_bytes, lossless);
                        if let Err(Ok(r)) = tx.send(r).map_err(|e| e.0) {
                            let _ = r.pipeline.set_state(gst::State::Null);
                        }
                    });
                    self.pending = Some(rx);
                }
                None => {}
            },
        }
    }

    /// The target stopped working: tear it down off-thread; retry later or give up.
    fn lost(&mut self, reason: String) {
        if let Some(r) = self.running.take() {
            std::thread::spawn(move || {
                let _ = r.pipeline.set_state(gst::State::Null);
            });
        }
        if self.reconnects_on_failure {
            self.retry(reason);
        } else {
            tracing::error!(target = %self.name, %reason, "output target failed; the others go on");
            self.state = OutputState::Failed;
            self.failed = Some(reason);
        }
    }

    fn retry(&mut self, reason: String) {
        self.attempt = self.attempt.saturating_add(1);
        let wait = backoff(self.attempt);
        tracing::warn!(target = %self.name, %reason, attempt = self.attempt, ?wait, "output target down; reconnecting");
        self.state = OutputState::Reconnecting;
        self.retry_at = Instant::now() + wait;
        self.failed = Some(reason);
    }

    pub(crate) fn end_of_stream(&self) {
        if let Some(r) = self.running.as_ref().filter(|_| self.state == OutputState::Up) {
            let _ = r.src.end_of_stream();
        }
    }

    /// Waits for the target to write everything it was given.
    pub(crate) fn drain(&mut self, timeout: gst::ClockTime) -> Result<(), String> {
        let r = match (&self.running, self.state) {
            (Some(r), OutputState::Up) => r,
            _ => return Err(self.failed.clone().unwrap_or_else(|| "not connected".to_owned())),
        };
        let bus = r.pipeline.bus().ok_or("no bus")?;
        match bus.timed_pop_filtered(timeout, &[gst::MessageType::Eos, gst::MessageType::Error]) {
            Some(m) if m.type_() == gst::MessageType::Eos => Ok(()),
            Some(m) => Err(crate::output::describe(&m)),
            None => Err("did not drain in time".to_owned()),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.pipeline.set_state(gst::State::Null);
        }
    }
}

fn first_error(pipeline: &gst::Pipeline) -> Option<String> {
    pipeline.bus()?.pop_filtered(&[gst::MessageType::Error]).map(|m| crate::output::describe(&m))
}

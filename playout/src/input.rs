//! One item's input: decode (uridecodebin), conform to the channel format, hand out
//! frames and samples from appsinks for the engine to re-stamp.
//!
//! Each item gets its own pipeline, opened and prerolled (and seeked to its in-point) on a
//! helper thread while the previous item airs. Faults are returned as text for the as-run;
//! they never reach the output.
//!
//! Files (programmes, fillers) are decoded here; a live relay, a stream from outside, is
//! decoded in a child process ([`relay_child`]) and only its conformed frames come in.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::playlist::{Item, ItemKind, Source};
use crate::timeline::{ChannelFormat, MediaTime};

pub mod relay_child;

/// What a pull from an input gave.
#[derive(Debug)]
pub enum Pull {
    /// A conformed buffer (one video frame, or some audio samples).
    Buffer(gst::Buffer),
    /// The source ended.
    Eos,
    /// The source failed (decode error, stall); the text goes to the as-run.
    Failed(String),
    /// Nothing yet (real time only): the engine airs a stand-in for this frame and asks again.
    Late,
}

type Slot = Arc<Mutex<Option<gst_app::AppSink>>>;

/// A source that makes conformed frames (I420 at the channel size) and samples (S16LE
/// interleaved at the channel rate and channel count) in process, pulled by the engine.
pub trait Generator: Send {
    /// True when it makes pictures (it is never asked on radio).
    fn has_video(&self) -> bool;
    /// The next video frame.
    fn pull_video(&mut self) -> Pull;
    /// The next audio samples (any count).
    fn pull_audio(&mut self) -> Pull;
}

/// A [`Generator`] wrapped for a [`Source::Generated`]: clones share it, and the first input
/// opened from it takes it (a generated programme airs once).
#[derive(Clone)]
pub struct Generated {
    label: String,
    format: ChannelFormat,
    slot: Arc<Mutex<Option<Box<dyn Generator>>>>,
}

impl Generated {
    /// Wraps `generator`, which makes frames and samples of `format`; `label` names it in the
    /// as-run (e.g. `alert:ID`). A channel of another format refuses it.
    pub fn new(label: impl Into<String>, format: ChannelFormat, generator: Box<dyn Generator>) -> Self {
        Generated { label: label.into(), format, slot: Arc::new(Mutex::new(Some(generator))) }
    }

    /// The as-run label.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn take(&self) -> Option<Box<dyn Generator>> {
        self.slot.lock().ok().and_then(|mut g| g.take())
    }
}

impl schedules::on_air::GeneratedMedia for Generated {
    fn label(&self) -> &str {
        &self.label
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Generated {
    /// This generator as a playlist source.
    pub fn into_source(self) -> Source {
        Source::Generated(schedules::on_air::Generated(Arc::new(self)))
    }
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated").field("label", &self.label).finish_non_exhaustive()
    }
}

impl PartialEq for Generated {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.slot, &other.slot)
    }
}

impl Eq for Generated {}

/// An item's decoding pipeline, prerolled and playing into its appsinks.
pub struct Input {
    pipeline: gst::Pipeline,
    video: Option<gst_app::AppSink>,
    audio: Option<gst_app::AppSink>,
    timeout: Duration,
    /// How long one pull may wait in real time before the engine airs a stand-in (`None`:
    /// wait up to `timeout`, as on the virtual clock).
    patience: Option<Duration>,
    /// Since when no data came (real time), to turn a long stall into a failure.
    stalled_since: Mutex<Option<Instant>>,
    /// Set at the first fault, so the other stream stops at once too.
    failure: Mutex<Option<String>>,
    /// An in-process source instead of the pipeline.
    generated: Option<Mutex<Box<dyn Generator>>>,
    /// The child decoding a live relay; after `pipeline`, so it is killed once that stopped.
    relay: Option<relay_child::RelayChild>,
}

/// An input being opened on a helper thread. Dropped before it is waited for (a live
/// segment ended while a call to its relay was under way), it cancels the opening: the call
/// gives up within 50 ms and its relay child is stopped, so the source (an SRT listener takes
/// one caller) is free for the next call at once.
pub struct Pending {
    thread: Option<JoinHandle<Result<Input, String>>>,
    cancel: Arc<AtomicBool>,
}

thread_local! {
    /// The cancel flag of the [`Pending`] opening on this thread.
    static OPENING: std::cell::RefCell<Option<Arc<AtomicBool>>> = const { std::cell::RefCell::new(None) };
}

/// Whether the opening on this thread was given up by its [`Pending`].
fn opening_cancelled() -> bool {
    OPENING.with(|c| c.borrow().as_ref().is_some_and(|f| f.load(Ordering::SeqCst)))
}

impl Pending {
    /// Starts opening `item` for a channel of `format`; `timeout` bounds preroll and stalls,
    /// `patience` (real time) bounds one pull.
    pub fn open(item: &Item, format: ChannelFormat, timeout: Duration, patience: Option<Duration>) -> Pending {
        let item = item.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let thread = std::thread::spawn(move || {
            OPENING.with(|c| *c.borrow_mut() = Some(flag));
            let mut input = Input::open(&item, &format, timeout)?;
            input.patience = patience;
            Ok(input)
        });
        Pending { thread: Some(thread), cancel }
    }

    /// True when opening has finished (successfully or not): `wait` will not block.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the input; `Err` carries the reason it could not be opened.
    ///
    /// # Errors
    /// The reason text (missing file, unknown format, preroll timeout …).
    pub fn wait(mut self) -> Result<Input, String> {
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| Err("input thread panicked".to_owned())),
            None => Err("input already taken".to_owned()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }
}

/// What may reach GStreamer: a URI only when it is a live relay
/// ([`schedules::relay::check_uri`]: SRT, UDP, RTMP, RTSP, HLS); files come as paths (the
/// media cache's, a stand-alone node's own, an operator's override). A schedule's `file://`,
/// a `media://` left unresolved or an arbitrary `http://` fetch is refused here, whatever wrote
/// the playlist (the catalog, the API of a remote node, a file). Schedules from the catalog
/// carry no paths: their live items are URIs of the centre's relay list.
///
/// # Errors
/// Why the item may not be opened, for the as-run.
pub fn admitted(item: &Item) -> Result<(), String> {
    match &item.source {
        Source::Uri(u) => schedules::relay::check_uri(u).map_err(|e| format!("source refused: {e}")),
        Source::Path(_) | Source::Generated(_) => Ok(()),
    }
}

fn uri_of(source: &Source) -> Result<String, String> {
    match source {
        Source::Uri(u) => Ok(u.clone()),
        Source::Generated(g) => Err(format!("{} is not a URI", g.label())),
        Source::Path(p) => {
            if !p.exists() {
                return Err(format!("file not found: {}", p.display()));
            }
            let abs = std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))?;
            gst::glib::filename_to_uri(Path::new(&abs), None)
                .map(|u| u.to_string())
                .map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory).build().map_err(|_| format!("GStreamer element {factory} missing"))
}

fn conform_caps(format: &ChannelFormat, video: bool) -> gst::Caps {
    match (video, format.video) {
        (true, Some(v)) => gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", v.width as i32)
            .field("height", v.height as i32)
            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
            .field("framerate", gst::Fraction::new(v.fps.num() as i32, v.fps.den() as i32))
            .build(),
        _ => gst::Caps::builder("audio/x-raw")
            .field("format", "S16LE")
            .field("layout", "interleaved")
            .field("rate", format.audio.rate as i32)
            .field("channels", format.audio.channels as i32)
            .build(),
    }
}

/// The elements that conform a decoded stream to the channel format (before its caps).
fn conform_chain(format: &ChannelFormat, video: bool) -> Result<Vec<gst::Element>, String> {
    conform_names(format, video).iter().map(|f| make(f)).collect()
}

fn conform_names(format: &ChannelFormat, video: bool) -> &'static [&'static str] {
    if video {
        // deinterlace is a passthrough on progressive input; videoscale adds borders to keep
        // the picture's aspect (PAR 1/1 in the caps forces it); videorate makes CFR.
        &["queue", "videoconvert", "deinterlace", "videoconvert", "videoscale", "videorate"]
    } else if format.is_radio() {
        // Radio has one stream: decodebin's multiqueue already decouples it from the demuxer,
        // so no queue (and no thread to wake per buffer) of its own.
        &["audioconvert", "audioresample"]
    } else {
        &["queue", "audioconvert", "audioresample"]
    }
}

/// The elements before the appsink of a stream a relay child conformed already: on TV a
/// queue per stream, so the demuxer's one thread does not wait on one sink while the engine
/// waits on the other. The child's muxer interleaves by timestamp, and a source's sound may
/// lead or trail its pictures by a second or more (an MPEG-TS muxer's delay): each queue
/// holds [`RELAY_SLACK`] of its stream, counted in bytes, not the queue's default second.
fn relayed_chain(format: &ChannelFormat, video: bool) -> Result<Vec<gst::Element>, String> {
    let Some(v) = format.video else { return Ok(Vec::new()) };
    let per_s = if video {
        u64::from(v.width) * u64::from(v.height) * 3 / 2 * u64::from(v.fps.num()) / u64::from(v.fps.den().max(1))
    } else {
        u64::from(format.audio.rate) * u64::from(format.audio.channels) * 2
    };
    let bytes = u32::try_from(per_s * RELAY_SLACK.as_secs()).unwrap_or(u32::MAX);
    let queue = gst::ElementFactory::make("queue")
        .property("max-size-time", 0u64)
        .property("max-size-buffers", 0u32)
        .property("max-size-bytes", bytes)
        .build()
        .map_err(|_| "GStreamer element queue missing".to_owned())?;
    Ok(vec![queue])
}

/// How much of each stream the parent side of a relay may hold while the engine waits for
/// the other one.
const RELAY_SLACK: Duration = Duration::from_secs(4);

/// Builds the branch `chain ! appsink` for a pad and returns its appsink.
fn add_branch(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    format: &ChannelFormat,
    video: bool,
    chain: Chain,
) -> Result<gst_app::AppSink, String> {
    let mut elements = chain(format, video)?;
    let sink = gst_app::AppSink::builder()
        .caps(&conform_caps(format, video))
        .sync(false)
        .max_buffers(if video { 3 } else { 64 })
        .drop(false)
        .enable_last_sample(false)
        .build();
    elements.push(sink.clone().upcast());
    let err = |e: gst::glib::BoolError| e.to_string();
    pipeline.add_many(&elements).map_err(err)?;
    gst::Element::link_many(&elements).map_err(err)?;
    for e in &elements {
        e.sync_state_with_parent().map_err(err)?;
    }
    let sinkpad = elements[0].static_pad("sink").ok_or("conform branch without sink pad")?;
    pad.link(&sinkpad).map_err(|e| format!("cannot link decoded stream: {e:?}"))?;
    Ok(sink)
}

/// `uridecodebin` for `uri`; on radio it decodes sound only.
fn decoder(uri: &str, format: &ChannelFormat) -> Result<gst::Element, String> {
    let decode = gst::ElementFactory::make("uridecodebin")
        .property("uri", uri)
        .build()
        .map_err(|_| "GStreamer element uridecodebin missing".to_owned())?;
    if format.is_radio() {
        // Do not even decode the pictures of a video file played on radio.
        decode.set_property("caps", gst::Caps::builder("audio/x-raw").build());
        decode.set_property("expose-all-streams", false);
    }
    Ok(decode)
}

/// Whether a raw pad is a stream the channel airs: `Some(true)` video, `Some(false)` audio.
fn stream_kind(pad: &gst::Pad, format: &ChannelFormat) -> Option<bool> {
    let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
    let name = caps.structure(0).map(|s| s.name().to_string()).unwrap_or_default();
    match name.as_str() {
        n if n.starts_with("video/x-raw") && format.video.is_some() => Some(true),
        n if n.starts_with("audio/x-raw") => Some(false),
        _ => None,
    }
}

/// Sends the first video and audio stream `element` exposes through `chain` into appsinks
/// put in `video` and `audio`; other streams go to fakesinks.
fn route_streams(
    element: &gst::Element,
    pipeline: &gst::Pipeline,
    (video, audio): (&Slot, &Slot),
    format: &ChannelFormat,
    chain: Chain,
) {
    let weak = pipeline.downgrade();
    let (vslot, aslot, fmt) = (video.clone(), audio.clone(), *format);
    element.connect_pad_added(move |_, pad| {
        let Some(pipeline) = weak.upgrade() else {
            return;
        };
        let Some(is_video) = stream_kind(pad, &fmt) else {
            return add_fakesink(&pipeline, pad);
        };
        let slot = if is_video { &vslot } else { &aslot };
        let Ok(mut guard) = slot.lock() else { return };
        if guard.is_some() {
            return add_fakesink(&pipeline, pad); // a second video/audio stream
        }
        match add_branch(&pipeline, pad, &fmt, is_video, chain) {
            Ok(sink) => *guard = Some(sink),
            Err(e) => tracing::warn!(error = %e, "cannot conform decoded stream"),
        }
    });
}

/// Builds the elements between a raw pad and its appsink, for a stream (video when true).
type Chain = fn(&ChannelFormat, bool) -> Result<Vec<gst::Element>, String>;

/// Signals when `element` has exposed all its streams (`no-more-pads`).
fn streams_exposed(element: &gst::Element) -> Arc<(Mutex<bool>, Condvar)> {
    let exposed: Arc<(Mutex<bool>, Condvar)> = Arc::default();
    let signal = exposed.clone();
    element.connect_no_more_pads(move |_| {
        if let Ok(mut done) = signal.0.lock() {
            *done = true;
            signal.1.notify_all();
        }
    });
    exposed
}

fn bus_error(msg: &gst::Message) -> Option<String> {
    match msg.view() {
        gst::MessageView::Error(e) => {
            Some(format!("{}{}", e.error(), e.src().map(|s| format!(" (from {})", s.name())).unwrap_or_default()))
        }
        _ => None,
    }
}

impl Input {
    /// Opens, prerolls, seeks to the in-point and starts `item`.
    ///
    /// # Errors
    /// The reason text when the source cannot be opened or prerolled within `timeout`.
    pub fn open(item: &Item, format: &ChannelFormat, timeout: Duration) -> Result<Input, String> {
        if let Source::Generated(made) = &item.source {
            let g =
                made.downcast::<Generated>().ok_or_else(|| format!("{} is not media of this engine", made.label()))?;
            if !g.format.same_raw(format) {
                return Err(format!("{} was made for another channel format", g.label()));
            }
            let generator = g.take().ok_or_else(|| format!("{} has already aired", g.label()))?;
            let mut input = Input::new(gst::Pipeline::new(), timeout, None);
            input.generated = Some(Mutex::new(generator));
            return Ok(input);
        }
        admitted(item)?;
        if let Source::Uri(uri) = &item.source {
            return Input::open_relay(uri, format, timeout);
        }
        let uri = uri_of(&item.source)?;
        let pipeline = gst::Pipeline::new();
        let decode = decoder(&uri, format)?;
        pipeline.add(&decode).map_err(|e| e.to_string())?;
        let video: Slot = Arc::default();
        let audio: Slot = Arc::default();
        route_streams(&decode, &pipeline, (&video, &audio), format, conform_chain);
        // A live source has no preroll: its streams are known when decodebin says no-more-pads.
        let exposed = streams_exposed(&decode);
        let input = Input::new(pipeline, timeout, None);
        if input.preroll(item, timeout)? {
            input.wait_streams(&exposed, timeout)?;
        }
        input.take_sinks(&video, &audio)
    }

    /// Opens a live relay decoded in a child process ([`relay_child`]): this process only
    /// reads the conformed frames and samples the child writes.
    fn open_relay(uri: &str, format: &ChannelFormat, timeout: Duration) -> Result<Input, String> {
        let child = relay_child::RelayChild::spawn(uri, format)?;
        child.wait_ready(timeout, opening_cancelled)?;
        let pipeline = gst::Pipeline::new();
        let read = gst::ElementFactory::make("fdsrc")
            .property("fd", child.fd())
            // Up to a whole pipe (1 MiB) a read: one buffer per frame rather than 4 KiB ones.
            .property("blocksize", 1u32 << 20)
            .build()
            .map_err(|_| "GStreamer element fdsrc missing".to_owned())?;
        let demux = make("matroskademux")?;
        pipeline.add_many([&read, &demux]).map_err(|e| e.to_string())?;
        read.link(&demux).map_err(|e| e.to_string())?;
        let video: Slot = Arc::default();
        let audio: Slot = Arc::default();
        route_streams(&demux, &pipeline, (&video, &audio), format, relayed_chain);
        let exposed = streams_exposed(&demux);
        let input = Input::new(pipeline, timeout, Some(child));
        // Like a live source: no preroll to wait for, only the streams.
        input.pipeline.set_state(gst::State::Playing).map_err(|_| input.fault("cannot start source".to_owned()))?;
        input.wait_streams(&exposed, timeout)?;
        input.take_sinks(&video, &audio)
    }

    fn new(pipeline: gst::Pipeline, timeout: Duration, relay: Option<relay_child::RelayChild>) -> Input {
        Input {
            pipeline,
            video: None,
            audio: None,
            timeout,
            patience: None,
            stalled_since: Mutex::new(None),
            failure: Mutex::new(None),
            generated: None,
            relay,
        }
    }

    fn take_sinks(mut self, video: &Slot, audio: &Slot) -> Result<Input, String> {
        let take = |s: &Slot| s.lock().ok().and_then(|mut g| g.take());
        self.video = take(video);
        self.audio = take(audio);
        if self.video.is_none() && self.audio.is_none() {
            return Err(self.fault("source has no usable audio or video stream".to_owned()));
        }
        Ok(self)
    }

    /// The relay child's reason when it has failed (it is the better one: the parent only
    /// sees its pipe end), else `reason`.
    fn fault(&self, reason: String) -> String {
        self.relay.as_ref().and_then(|r| r.failure(Duration::from_millis(300))).unwrap_or(reason)
    }

    /// The relay child's process id, for a live relay (`None` for files and generators).
    pub fn relay_pid(&self) -> Option<u32> {
        self.relay.as_ref().map(relay_child::RelayChild::pid)
    }

    /// Prerolls (files) or starts (live sources); returns true for a live source.
    fn preroll(&self, item: &Item, timeout: Duration) -> Result<bool, String> {
        let bus = self.pipeline.bus().ok_or("pipeline without bus")?;
        let state_err = |bus: &gst::Bus, what: &str| {
            bus.pop_filtered(&[gst::MessageType::Error]).and_then(|m| bus_error(&m)).unwrap_or_else(|| what.to_owned())
        };
        let live = match self.pipeline.set_state(gst::State::Paused) {
            Err(_) => return Err(state_err(&bus, "cannot open source")),
            Ok(gst::StateChangeSuccess::NoPreroll) => true,
            Ok(_) => false,
        };
        if !live {
            self.wait_async_done(&bus, timeout)?;
        }
        if item.kind == ItemKind::File && item.in_point > MediaTime::ZERO {
            let at = gst::ClockTime::from_nseconds(item.in_point.unsigned_nanos());
            self.pipeline
                .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, at)
                .map_err(|e| format!("cannot seek to in-point {}: {e}", item.in_point))?;
            self.wait_async_done(&bus, timeout)?;
        }
        self.pipeline.set_state(gst::State::Playing).map_err(|_| state_err(&bus, "cannot start source"))?;
        Ok(live)
    }

    fn wait_streams(&self, exposed: &(Mutex<bool>, Condvar), timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut done = exposed.0.lock().map_err(|_| "poisoned")?;
        while !*done {
            if let Some(err) = self.pipeline.bus().and_then(|b| b.pop_filtered(&[gst::MessageType::Error])) {
                return Err(self.fault(bus_error(&err).unwrap_or_else(|| "source error".to_owned())));
            }
            if let Some(reason) = self.relay.as_ref().and_then(|r| r.failure(Duration::ZERO)) {
                return Err(reason);
            }
            if Instant::now() >= deadline {
                return Err(format!("live source sent no stream within {timeout:?}"));
            }
            if opening_cancelled() {
                return Err("call given up: its segment ended".to_owned());
            }
            done = exposed.1.wait_timeout(done, Duration::from_millis(50)).map_err(|_| "poisoned")?.0;
        }
        Ok(())
    }

    fn wait_async_done(&self, bus: &gst::Bus, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("source did not preroll within {timeout:?}"));
            }
            let msg = bus.timed_pop_filtered(
                gst::ClockTime::from_nseconds(left.as_nanos() as u64),
                &[gst::MessageType::AsyncDone, gst::MessageType::Error],
            );
            match msg {
                Some(m) if m.type_() == gst::MessageType::AsyncDone => return Ok(()),
                Some(m) => return Err(bus_error(&m).unwrap_or_else(|| "source error".to_owned())),
                None => {}
            }
        }
    }

    /// True when the source has a video stream (always false on radio).
    pub fn has_video(&self) -> bool {
        match &self.generated {
            Some(g) => g.lock().is_ok_and(|g| g.has_video()),
            None => self.video.is_some(),
        }
    }

    /// True when the source has an audio stream.
    pub fn has_audio(&self) -> bool {
        self.generated.is_some() || self.audio.is_some()
    }

    /// The next conformed video frame.
    pub fn pull_video(&self) -> Pull {
        match &self.generated {
            Some(g) => g.lock().map_or_else(|_| Pull::Failed("generator poisoned".to_owned()), |mut g| g.pull_video()),
            None => self.pull(self.video.as_ref()),
        }
    }

    /// The next conformed audio buffer.
    pub fn pull_audio(&self) -> Pull {
        match &self.generated {
            Some(g) => g.lock().map_or_else(|_| Pull::Failed("generator poisoned".to_owned()), |mut g| g.pull_audio()),
            None => self.pull(self.audio.as_ref()),
        }
    }

    fn pull(&self, sink: Option<&gst_app::AppSink>) -> Pull {
        let Some(sink) = sink else { return Pull::Eos };
        if let Some(reason) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return Pull::Failed(reason);
        }
        match self.pull_from(sink) {
            Pull::Failed(reason) => {
                if let Ok(mut f) = self.failure.lock() {
                    *f = Some(reason.clone());
                }
                Pull::Failed(reason)
            }
            other => other,
        }
    }

    fn pull_from(&self, sink: &gst_app::AppSink) -> Pull {
        let started = Instant::now();
        let deadline = started + self.patience.unwrap_or(self.timeout);
        loop {
            let left = deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(20));
            if let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_nseconds(left.as_nanos() as u64)) {
                if let Ok(mut since) = self.stalled_since.lock() {
                    *since = None;
                }
                return match sample.buffer_owned() {
                    Some(b) => Pull::Buffer(b),
                    None => Pull::Failed("sample without buffer".to_owned()),
                };
            }
            if sink.is_eos() {
                // A relay child's stream ends when the child does: a crash is a failure.
                return match self.relay.as_ref().and_then(|r| r.failure(Duration::from_millis(500))) {
                    Some(reason) => Pull::Failed(reason),
                    None => Pull::Eos,
                };
            }
            if let Some(err) =
                self.pipeline.bus().and_then(|b| b.pop_filtered(&[gst::MessageType::Error])).and_then(|m| bus_error(&m))
            {
                return Pull::Failed(self.fault(format!("decode error: {err}")));
            }
            if Instant::now() >= deadline {
                let stalled = match (self.patience, self.stalled_since.lock()) {
                    (Some(_), Ok(mut since)) => since.get_or_insert(started).elapsed(),
                    _ => self.timeout,
                };
                if stalled < self.timeout {
                    return Pull::Late;
                }
                return Pull::Failed(format!("source stalled for {:?}", self.timeout));
            }
        }
    }
}

fn add_fakesink(pipeline: &gst::Pipeline, pad: &gst::Pad) {
    let Ok(sink) = gst::ElementFactory::make("fakesink").property("sync", false).property("async", false).build()
    else {
        return;
    };
    if pipeline.add(&sink).is_ok() {
        let _ = sink.sync_state_with_parent();
        if let Some(sinkpad) = sink.static_pad("sink") {
            let _ = pad.link(&sinkpad);
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

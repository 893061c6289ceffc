//! The channel's output: built once, never stopped while the channel is on air.
//!
//! `appsrc` (raw video) → x264enc → h264parse ┐
//! `appsrc` (raw audio) → the channel's audio encoder and parser ┴→ mpegtsmux → appsink → each target's pipeline
//!
//! With service information ([`crate::si`]) the mux numbers the programme and its PIDs as the
//! channel says (`prog-map`, pad names) and an [`Inserter`](crate::si::Inserter) at the appsink
//! puts the channel's PAT, SDT and EIT into the stream before it reaches the targets.
//!
//! The targets live in this folder: [`target`] (the types, their text forms), `sink` (each
//! type's GStreamer sink), `running` (a target's pipeline on air, reconnected with backoff).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::audio_codec::CodecElements;
use crate::error::PlayoutError;
use crate::timeline::{ChannelFormat, MediaTime};

mod running;
mod sink;
pub mod target;

use running::Target;
pub use target::{BadTarget, OutputTarget};

/// Every element the output needs, with the Debian package that provides it.
const NEEDED: &[(&str, &str)] = &[
    ("appsrc", "gstreamer1.0-plugins-base"),
    ("queue", "libgstreamer1.0-0"),
    ("appsink", "gstreamer1.0-plugins-base"),
    ("audioconvert", "gstreamer1.0-plugins-base"),
    ("mpegtsmux", "gstreamer1.0-plugins-bad"),
];

const VIDEO_NEEDED: &[(&str, &str)] =
    &[("x264enc", "gstreamer1.0-plugins-ugly"), ("h264parse", "gstreamer1.0-plugins-bad")];

fn require(list: &[(&'static str, &'static str)]) -> Result<(), PlayoutError> {
    for (name, pkg) in list {
        if gst::ElementFactory::find(name).is_none() {
            return Err(PlayoutError::MissingElement(name, pkg));
        }
    }
    Ok(())
}

/// Video bitrate (kbit/s) for a picture size: CBR budgets typical of SD/HD contribution.
pub fn video_bitrate_kbps(width: u32, height: u32) -> u32 {
    match u64::from(width) * u64::from(height) {
        p if p <= 720 * 576 => 2_500,
        p if p <= 1280 * 720 => 4_000,
        _ => 8_000,
    }
}

/// x264 speed preset for a picture size. Measured on the 2-core machine (bench/playout.md):
/// `veryfast` costs ~0.66 CPU-s per second of 1080p25, too much to keep a 1080p channel in real
/// time next to anything else; `superfast` costs ~0.40. SD and 720p stay on `veryfast`.
pub fn x264_preset(width: u32, height: u32) -> &'static str {
    if u64::from(width) * u64::from(height) > 1280 * 720 {
        "superfast"
    } else {
        "veryfast"
    }
}

/// x264 frame threads for a picture size. Each frame thread past the first delays the output
/// by one frame, and x264's automatic count is 1.5 per CPU (3 frames of delay on 2 cores,
/// ~20 on a 16-core server), which an emergency alert waits through on TV. One thread
/// encodes SD and 720p25 `veryfast` in real time with room to spare (~0.25 CPU-s per second)
/// and two 1080p25 `superfast` (~0.4); fewer frame threads cost no picture quality
/// (bench/alert-latency-x264.sh).
pub fn x264_threads(width: u32, height: u32) -> u32 {
    if u64::from(width) * u64::from(height) > 1280 * 720 {
        2
    } else {
        1
    }
}

/// The running output pipeline and its two entry points.
pub struct Output {
    pipeline: gst::Pipeline,
    video: Option<gst_app::AppSrc>,
    audio: gst_app::AppSrc,
    targets: Arc<Mutex<Vec<Target>>>,
    /// A timestamp (ns) whose first TS data leaving the mux is logged ([`Output::watch`]).
    watch: Arc<AtomicU64>,
    /// Feeds the SI inserter, when the output carries service information.
    si: Option<crate::si::SiHandle>,
}

impl Output {
    /// Builds and starts the output for `format` into `targets`. With `live` (real time) each
    /// target drops its oldest data when it falls behind instead of stalling the channel;
    /// without (rendering) a slow target slows the render and nothing is lost.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] or [`PlayoutError::Pipeline`] when it cannot be built.
    pub fn start(format: &ChannelFormat, targets: &[OutputTarget], live: bool) -> Result<Output, PlayoutError> {
        Output::start_with_logo(format, targets, live, None)
    }

    /// As [`Output::start`], with `logo` burnt into every frame (TV; ignored on radio).
    ///
    /// # Errors
    /// As [`Output::start`]; [`PlayoutError::MissingElement`] without `gdkpixbufoverlay`.
    pub fn start_with_logo(
        format: &ChannelFormat,
        targets: &[OutputTarget],
        live: bool,
        logo: Option<&crate::output_logo::Logo>,
    ) -> Result<Output, PlayoutError> {
        Output::start_with(format, targets, live, logo, None)
    }

    /// As [`Output::start_with_logo`], with the service information of `service` (SDT, EIT,
    /// the PAT with its transport stream id, its programme number and PIDs) in the TS; feed
    /// its guide through [`Output::si`].
    ///
    /// # Errors
    /// As [`Output::start_with_logo`].
    pub fn start_with(
        format: &ChannelFormat,
        targets: &[OutputTarget],
        live: bool,
        logo: Option<&crate::output_logo::Logo>,
        service: Option<&crate::si::ServiceInfo>,
    ) -> Result<Output, PlayoutError> {
        gst::init().map_err(PlayoutError::Init)?;
        require(NEEDED)?;
        let encoder = format.audio_codec.encoder(format.audio.channels)?;
        // TV: queues decouple audio from the video encoder's latency (the mux waits for both).
        // Radio: no queue at all, so the chain runs in appsrc's thread and the mux's — two
        // threads woken per 100 ms push instead of four.
        let queue = if format.video.is_some() {
            ("queue max-size-time=2000000000 max-size-bytes=0 max-size-buffers=0 !", "! queue")
        } else {
            ("", "")
        };
        // The mux names each stream's PID after its sink pad (`sink_<PID>`) and takes the
        // programme number and PMT PID from `prog-map`.
        let (audio_pad, video_pad, prog_map) = match service {
            Some(s) => {
                let (sid, pmt, a, v) = (s.ids.service_id, s.ids.pmt_pid, s.ids.audio_pid, s.ids.video_pid);
                let video = if format.video.is_some() { format!(",sink_{v}=(int){sid}") } else { String::new() };
                (
                    format!("mux.sink_{a}"),
                    format!("mux.sink_{v}"),
                    format!(" prog-map=\"programs,sink_{a}=(int){sid}{video},PMT_{sid}=(uint){pmt}\""),
                )
            }
            None => ("mux.".to_owned(), "mux.".to_owned(), String::new()),
        };
        let mut desc = format!(
            "appsrc name=asrc format=time ! {} audioconvert ! {encoder} {} ! {audio_pad} \
             mpegtsmux name=mux alignment=7{prog_map} ! appsink name=ts sync=false enable-last-sample=false ",
            queue.0, queue.1
        );
        if let Some(v) = format.video {
            require(VIDEO_NEEDED)?;
            let logo = match logo {
                Some(l) => {
                    require(&[("gdkpixbufoverlay", "gstreamer1.0-plugins-good")])?;
                    format!("{} ! ", l.element())
                }
                None => String::new(),
            };
            // Fixed 2 s closed GOP, no scene-cut I-frames, CBR with a 1 s VBV and HRD
            // signalling; the preset per picture size is `x264_preset`.
            let gop = (2 * u64::from(v.fps.num())).div_ceil(u64::from(v.fps.den()));
            desc.push_str(&format!(
                "appsrc name=vsrc format=time ! queue max-size-buffers=4 max-size-bytes=0 max-size-time=0 \
                 ! {logo}x264enc speed-preset={} pass=cbr bitrate={} vbv-buf-capacity=1000 \
                 key-int-max={gop} bframes=2 b-adapt=false rc-lookahead=5 sync-lookahead=0 \
                 threads={} option-string=\"scenecut=0:open-gop=0:nal-hrd=cbr\" \
                 ! video/x-h264,profile=high ! h264parse config-interval=-1 ! queue ! {video_pad} ",
                x264_preset(v.width, v.height),
                video_bitrate_kbps(v.width, v.height),
                x264_threads(v.width, v.height)
            ));
        }
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| PlayoutError::Pipeline(format!("{e}")))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| PlayoutError::Pipeline("not a pipeline".to_owned()))?;
        let appsrc = |name: &str, caps: gst::Caps, max_bytes: u64| -> Result<gst_app::AppSrc, PlayoutError> {
            let src = pipeline
                .by_name(name)
                .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
                .ok_or_else(|| PlayoutError::Pipeline(format!("{name} missing")))?;
            src.set_caps(Some(&caps));
            src.set_format(gst::Format::Time);
            src.set_is_live(live);
            src.set_block(true);
            src.set_max_bytes(max_bytes);
            Ok(src)
        };
        let audio_caps = gst::Caps::builder("audio/x-raw")
            .field("format", "S16LE")
            .field("layout", "interleaved")
            .field("rate", format.audio.rate as i32)
            .field("channels", format.audio.channels as i32)
            .build();
        let audio = appsrc("asrc", audio_caps, u64::from(format.audio.rate * format.audio.channels))?;
        let video = match format.video {
            Some(v) => {
                let caps = gst::Caps::builder("video/x-raw")
                    .field("format", "I420")
                    .field("width", v.width as i32)
                    .field("height", v.height as i32)
                    .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                    .field("framerate", gst::Fraction::new(v.fps.num() as i32, v.fps.den() as i32))
                    .build();
                let frame = u64::from(v.width) * u64::from(v.height) * 3 / 2;
                Some(appsrc("vsrc", caps, 4 * frame)?)
            }
            None => None,
        };
        let started = targets.iter().map(|t| Target::start(t, format, !live)).collect::<Result<Vec<_>, _>>()?;
        let targets = Arc::new(Mutex::new(started));
        let sink = pipeline
            .by_name("ts")
            .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
            .ok_or_else(|| PlayoutError::Pipeline("ts appsink missing".to_owned()))?;
        let (on_sample, on_eos) = (targets.clone(), targets.clone());
        let watch = Arc::new(AtomicU64::new(u64::MAX));
        let (watched, radio) = (watch.clone(), format.is_radio());
        let (inserter, si) = match service {
            Some(s) => {
                let (inserter, handle) = crate::si::Inserter::new(s.clone());
                (Some(Mutex::new(inserter)), Some(handle))
            }
            None => (None, None),
        };
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(pts) = sample.buffer().and_then(|b| b.pts()) {
                        let at = watched.load(Ordering::Relaxed);
                        if pts.nseconds() >= at && watched.swap(u64::MAX, Ordering::Relaxed) == at {
                            tracing::info!(pts = pts.nseconds(), radio, "the watched data left the mux");
                        }
                    }
                    let Some(buffer) = sample.buffer_owned() else { return Ok(gst::FlowSuccess::Ok) };
                    let buffers = match &inserter {
                        Some(inserter) => with_si(inserter, buffer),
                        None => vec![buffer],
                    };
                    if let Ok(mut targets) = on_sample.lock() {
                        for buffer in &buffers {
                            for t in targets.iter_mut() {
                                t.push(buffer.clone());
                            }
                        }
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .eos(move |_| {
                    if let Ok(targets) = on_eos.lock() {
                        targets.iter().for_each(Target::end_of_stream);
                    }
                })
                .build(),
        );
        pipeline.set_state(gst::State::Playing)?;
        Ok(Output { pipeline, video, audio, targets, watch, si })
    }

    /// Feeds the service information (the guide, the wall clock of stream time zero), when
    /// the output carries it.
    pub fn si(&self) -> Option<crate::si::SiHandle> {
        self.si.clone()
    }

    /// Pushes one video frame stamped at `pts` for `duration`.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output has failed.
    pub fn push_video(&self, buffer: gst::Buffer, pts: MediaTime, duration: MediaTime) -> Result<(), PlayoutError> {
        match &self.video {
            Some(src) => push(src, buffer, pts, duration),
            None => Ok(()),
        }
    }

    /// Pushes audio samples stamped at `pts` for `duration`.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output has failed.
    pub fn push_audio(&self, buffer: gst::Buffer, pts: MediaTime, duration: MediaTime) -> Result<(), PlayoutError> {
        push(&self.audio, buffer, pts, duration)
    }

    /// Logs (info) when the first TS data stamped at or after `pts` leaves the mux: how long
    /// an override's first sound spends in the encoders and the mux.
    pub fn watch(&self, pts: MediaTime) {
        self.watch.store(pts.unsigned_nanos(), Ordering::Relaxed);
    }

    /// Returns the first error the output posted, if any.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] with the element's message.
    pub fn check(&self) -> Result<(), PlayoutError> {
        if let Some(msg) = self.pipeline.bus().and_then(|b| b.pop_filtered(&[gst::MessageType::Error])) {
            return Err(PlayoutError::Output(describe(&msg)));
        }
        let mut targets = self.targets.lock().map_err(|_| PlayoutError::Output("targets poisoned".to_owned()))?;
        targets.iter_mut().for_each(Target::poll);
        if !targets.is_empty() && targets.iter().all(|t| t.state == crate::status::OutputState::Failed) {
            return Err(PlayoutError::Output(format!("every output target failed: {}", failures(&targets))));
        }
        Ok(())
    }

    /// Every target's state, in configuration order.
    pub fn target_states(&self) -> Vec<crate::status::OutputStatus> {
        self.targets
            .lock()
            .map(|t| {
                t.iter()
                    .map(|t| crate::status::OutputStatus {
                        target: t.name.clone(),
                        failed: t.failed.clone(),
                        dropped_buffers: t.dropped,
                        state: t.state,
                        reconnects: t.reconnects,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Targets that have failed, as (target, reason).
    pub fn failed_targets(&self) -> Vec<(String, String)> {
        self.targets
            .lock()
            .map(|t| t.iter().filter_map(|t| t.failed.clone().map(|f| (t.name.clone(), f))).collect())
            .unwrap_or_default()
    }

    /// Ends the stream and waits until every target has written it (files are complete).
    /// Returns the targets that failed on the way, as (target, reason).
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the channel's pipeline fails, does not drain within
    /// `timeout`, or every target failed.
    pub fn finish(self, timeout: Duration) -> Result<Vec<(String, String)>, PlayoutError> {
        if let Some(v) = &self.video {
            let _ = v.end_of_stream();
        }
        let _ = self.audio.end_of_stream();
        let bus = self.pipeline.bus().ok_or_else(|| PlayoutError::Output("no bus".to_owned()))?;
        let msg = bus.timed_pop_filtered(
            gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        );
        match msg {
            Some(m) if m.type_() == gst::MessageType::Eos => {}
            Some(m) => return Err(PlayoutError::Output(describe(&m))),
            None => return Err(PlayoutError::Output(format!("output did not drain within {timeout:?}"))),
        }
        let mut targets = self.targets.lock().map_err(|_| PlayoutError::Output("targets poisoned".to_owned()))?;
        let wait = gst::ClockTime::from_nseconds(timeout.as_nanos() as u64);
        let failed: Vec<(String, String)> =
            targets.iter_mut().filter_map(|t| t.drain(wait).err().map(|e| (t.name.clone(), e))).collect();
        if !targets.is_empty() && failed.len() == targets.len() {
            let all = failed.iter().map(|(t, e)| format!("{t}: {e}")).collect::<Vec<_>>().join("; ");
            return Err(PlayoutError::Output(format!("every output target failed: {all}")));
        }
        Ok(failed)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// `buffer` (whole TS packets from the mux) with its PAT packets replaced by the channel's,
/// followed by the SI packets due, in buffers of at most 7 packets (one UDP datagram each),
/// stamped as `buffer`.
fn with_si(inserter: &Mutex<crate::si::Inserter>, mut buffer: gst::Buffer) -> Vec<gst::Buffer> {
    let Ok(mut inserter) = inserter.lock() else { return vec![buffer] };
    let pts = buffer.pts();
    let extra = {
        let b = buffer.make_mut();
        match b.map_writable() {
            Ok(mut map) => inserter.process(map.as_mut_slice(), pts.map(|t| Duration::from_nanos(t.nseconds()))),
            Err(_) => Vec::new(),
        }
    };
    let mut out = vec![buffer];
    for chunk in extra.chunks(7) {
        let mut b = gst::Buffer::from_slice(chunk.concat());
        if let Some(b) = b.get_mut() {
            b.set_pts(pts);
        }
        out.push(b);
    }
    out
}

fn failures(targets: &[Target]) -> String {
    targets.iter().filter_map(|t| t.failed.as_ref().map(|f| format!("{}: {f}", t.name))).collect::<Vec<_>>().join("; ")
}

pub(crate) fn describe(msg: &gst::Message) -> String {
    match msg.view() {
        gst::MessageView::Error(e) => {
            format!("{}{}", e.error(), e.src().map(|s| format!(" (from {})", s.name())).unwrap_or_default())
        }
        _ => format!("{:?}", msg.type_()),
    }
}

fn push(
    src: &gst_app::AppSrc,
    mut buffer: gst::Buffer,
    pts: MediaTime,
    duration: MediaTime,
) -> Result<(), PlayoutError> {
    {
        let b = buffer.make_mut();
        b.set_pts(gst::ClockTime::from_nseconds(pts.unsigned_nanos()));
        b.set_dts(gst::ClockTime::NONE);
        b.set_duration(gst::ClockTime::from_nseconds(duration.unsigned_nanos()));
        b.unset_flags(gst::BufferFlags::DISCONT | gst::BufferFlags::GAP);
    }
    src.push_buffer(buffer).map(|_| ()).map_err(|e| PlayoutError::Output(format!("output refused a buffer: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hd_pictures_encode_superfast_and_sd_or_720p_veryfast() {
        assert_eq!(x264_preset(720, 576), "veryfast");
        assert_eq!(x264_preset(1280, 720), "veryfast");
        assert_eq!(x264_preset(1920, 1080), "superfast");
    }

    #[test]
    fn x264_frame_threads_are_few_and_fixed_whatever_the_machine() {
        assert_eq!(x264_threads(720, 576), 1);
        assert_eq!(x264_threads(1280, 720), 1);
        assert_eq!(x264_threads(1920, 1080), 2);
    }
}

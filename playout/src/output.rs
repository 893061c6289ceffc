//! The channel's output: built once, never stopped while the channel is on air.
//!
//! `appsrc` (raw video) → x264enc → h264parse ┐
//! `appsrc` (raw audio) → AAC encoder → aacparse ┴→ mpegtsmux → tee → one queue + sink per target

use std::path::PathBuf;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::error::PlayoutError;
use crate::timeline::{ChannelFormat, MediaTime};

/// Where the channel's MPEG-TS goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputTarget {
    /// A `.ts` file.
    File(PathBuf),
    /// MPEG-TS over UDP (7 TS packets a datagram).
    Udp {
        /// Destination host (unicast or multicast).
        host: String,
        /// Destination port.
        port: u16,
    },
    /// HLS: `index.m3u8` and 2 s segments in a directory (segments cut at key frames).
    Hls(PathBuf),
}

/// Every element the output needs, with the Debian package that provides it.
const NEEDED: &[(&str, &str)] = &[
    ("appsrc", "base"),
    ("queue", "core"),
    ("tee", "core"),
    ("audioconvert", "base"),
    ("aacparse", "good"),
    ("mpegtsmux", "bad"),
];

const VIDEO_NEEDED: &[(&str, &str)] = &[("x264enc", "ugly"), ("h264parse", "bad")];

fn require(list: &[(&'static str, &'static str)]) -> Result<(), PlayoutError> {
    for (name, pkg) in list {
        if gst::ElementFactory::find(name).is_none() {
            return Err(PlayoutError::MissingElement(name, pkg));
        }
    }
    Ok(())
}

/// The AAC encoder installed: FFmpeg's (gstreamer1.0-libav) or VisualOn's (plugins-bad).
fn aac_encoder() -> Result<&'static str, PlayoutError> {
    ["avenc_aac", "voaacenc", "fdkaacenc"]
        .into_iter()
        .find(|f| gst::ElementFactory::find(f).is_some())
        .ok_or(PlayoutError::MissingElement("avenc_aac", "libav"))
}

/// Video bitrate (kbit/s) for a picture size: CBR budgets typical of SD/HD contribution.
pub fn video_bitrate_kbps(width: u32, height: u32) -> u32 {
    match u64::from(width) * u64::from(height) {
        p if p <= 720 * 576 => 2_500,
        p if p <= 1280 * 720 => 4_000,
        _ => 8_000,
    }
}

/// The running output pipeline and its two entry points.
pub struct Output {
    pipeline: gst::Pipeline,
    video: Option<gst_app::AppSrc>,
    audio: gst_app::AppSrc,
}

impl Output {
    /// Builds and starts the output for `format` into `targets`. `live` marks the sources live
    /// (real-time mode) and makes each target's queue leaky, so a stuck target drops its own
    /// data instead of stalling the others.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] or [`PlayoutError::Pipeline`] when it cannot be built.
    pub fn start(format: &ChannelFormat, targets: &[OutputTarget], live: bool) -> Result<Output, PlayoutError> {
        require(NEEDED)?;
        let aac = aac_encoder()?;
        let mut desc = format!(
            "appsrc name=asrc format=time ! queue max-size-time=2000000000 max-size-bytes=0 max-size-buffers=0 \
             ! audioconvert ! {aac} bitrate={} ! aacparse ! queue ! mux. \
             mpegtsmux name=mux alignment=7 ! tee name=t allow-not-linked=true ",
            if format.audio.channels == 1 { 96_000 } else { 128_000 }
        );
        if let Some(v) = format.video {
            require(VIDEO_NEEDED)?;
            // Fixed 2 s closed GOP, no scene-cut I-frames, CBR with a 1 s VBV and HRD
            // signalling; veryfast holds real time for 1080p25 on two cores.
            let gop = (2 * u64::from(v.fps.num())).div_ceil(u64::from(v.fps.den()));
            desc.push_str(&format!(
                "appsrc name=vsrc format=time ! queue max-size-buffers=4 max-size-bytes=0 max-size-time=0 \
                 ! x264enc speed-preset=veryfast pass=cbr bitrate={} vbv-buf-capacity=1000 \
                 key-int-max={gop} bframes=2 b-adapt=false \
                 option-string=\"scenecut=0:open-gop=0:nal-hrd=cbr\" \
                 ! video/x-h264,profile=high ! h264parse config-interval=-1 ! queue ! mux. ",
                video_bitrate_kbps(v.width, v.height)
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
        let tee = pipeline.by_name("t").ok_or_else(|| PlayoutError::Pipeline("tee missing".to_owned()))?;
        for target in targets {
            add_target(&pipeline, &tee, target, live)?;
        }
        pipeline.set_state(gst::State::Playing)?;
        Ok(Output { pipeline, video, audio })
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

    /// Returns the first error the output posted, if any.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] with the element's message.
    pub fn check(&self) -> Result<(), PlayoutError> {
        match self.pipeline.bus().and_then(|b| b.pop_filtered(&[gst::MessageType::Error])) {
            Some(msg) => Err(PlayoutError::Output(describe(&msg))),
            None => Ok(()),
        }
    }

    /// Ends the stream and waits until every sink has written it (the file is complete).
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output fails or does not drain within `timeout`.
    pub fn finish(self, timeout: Duration) -> Result<(), PlayoutError> {
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
            Some(m) if m.type_() == gst::MessageType::Eos => Ok(()),
            Some(m) => Err(PlayoutError::Output(describe(&m))),
            None => Err(PlayoutError::Output(format!("output did not drain within {timeout:?}"))),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

fn describe(msg: &gst::Message) -> String {
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
        b.set_pts(gst::ClockTime::from_nseconds(pts.nanos()));
        b.set_dts(gst::ClockTime::NONE);
        b.set_duration(gst::ClockTime::from_nseconds(duration.nanos()));
        b.unset_flags(gst::BufferFlags::DISCONT | gst::BufferFlags::GAP);
    }
    src.push_buffer(buffer).map(|_| ()).map_err(|e| PlayoutError::Output(format!("output refused a buffer: {e:?}")))
}

fn add_target(
    pipeline: &gst::Pipeline,
    tee: &gst::Element,
    target: &OutputTarget,
    live: bool,
) -> Result<(), PlayoutError> {
    let queue = gst::ElementFactory::make("queue")
        .property("max-size-time", 2_000_000_000u64)
        .property("max-size-bytes", 0u32)
        .property("max-size-buffers", 0u32)
        .build()?;
    if live {
        queue.set_property_from_str("leaky", "downstream");
    }
    let sink = match target {
        OutputTarget::File(path) => gst::ElementFactory::make("filesink")
            .property("location", path.to_string_lossy().as_ref())
            .property("sync", false)
            .build()?,
        OutputTarget::Udp { host, port } => gst::ElementFactory::make("udpsink")
            .property("host", host.as_str())
            .property("port", i32::from(*port))
            .property("sync", false)
            .property("async", false)
            .build()
            .map_err(|_| PlayoutError::MissingElement("udpsink", "good"))?,
        OutputTarget::Hls(dir) => gst::ElementFactory::make("hlssink")
            .property("location", dir.join("segment%05d.ts").to_string_lossy().as_ref())
            .property("playlist-location", dir.join("index.m3u8").to_string_lossy().as_ref())
            .property("target-duration", 2u32)
            .property("max-files", 10u32)
            .property("playlist-length", 6u32)
            .property("sync", false)
            .property("async", false)
            .build()
            .map_err(|_| PlayoutError::MissingElement("hlssink", "bad"))?,
    };
    pipeline.add_many([&queue, &sink])?;
    gst::Element::link_many([tee, &queue, &sink])?;
    Ok(())
}
